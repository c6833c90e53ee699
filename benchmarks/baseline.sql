-- Benchmark baseline (not a pipeline table): the cheapest honest version of role_region_stats.
-- Reads the same raw files as the pipeline (CSV salary reports, JSONL postings) and computes
-- n and p10..p90 (one list-valued quantile_cont) per raw (title, location, year) with no cleaning:
-- no title / location / currency normalisation, no FX, no dedupe, no outliers. Postings take the
-- first number in the salary text as a crude amount ("$53K-$91K" -> 53).
-- Parameters: $salary_files, $posting_files (lists of paths), $probabilities.
WITH reports AS (
    SELECT
        job_title AS title,
        location,
        TRY_CAST(work_year AS INTEGER) AS year,
        TRY_CAST(salary AS DOUBLE) AS amount
    FROM read_csv($salary_files, header = true, all_varchar = true)
),

postings AS (
    SELECT
        title,
        location,
        year(TRY_CAST(posted_at AS DATE)) AS year,
        TRY_CAST(replace(regexp_extract(salary, '[0-9][0-9,.]*'), ',', '') AS DOUBLE) AS amount
    FROM read_json($posting_files, format = 'newline_delimited',
                   columns = {title: 'VARCHAR', location: 'VARCHAR', salary: 'VARCHAR', posted_at: 'VARCHAR'})
),

amounts AS (
    SELECT * FROM reports
    UNION ALL
    SELECT * FROM postings
)

SELECT
    title,
    location,
    year,
    count(*) AS n,
    quantile_cont(amount, $probabilities) AS pay_quantiles
FROM amounts
WHERE amount IS NOT NULL
GROUP BY title, location, year
