-- demand_signals: posting counts per role_label x region x period (month / quarter / year) with
-- the year-over-year change, the seniority mix of postings and the salary reports of the same
-- cell and year. Membership roll-ups as in role_region_stats: city, subdivision, country, World
-- x role_label (seniority known), role_name, 'All roles'. Postings flagged as pay outliers still
-- count (demand is not a pay statistic). Month and quarter periods need posted_date; salary
-- reports count per year only. Nothing after $as_of counts; is_complete says whether the period
-- had ended by $as_of; yoy_change_pct is left null for a period that has not ended (a partial
-- period against a full one would read as a fall).
-- Parameters: $observations_path (a Parquet file or a glob; read as role_region_stats.sql reads it:
-- hive keys as text, year cast back to INTEGER), $as_of.
WITH obs AS (
    SELECT
        kind,
        role_name,
        seniority,
        CASE WHEN seniority IS NOT NULL THEN role_label END AS known_role_label,
        country_code,
        country,
        subdivision,
        city,
        CAST(year AS INTEGER) AS year,
        posted_date
    FROM read_parquet($observations_path, hive_partitioning = true, hive_types_autocast = false)
    WHERE CAST(year AS INTEGER) <= year($as_of::DATE)
      AND (posted_date IS NULL OR posted_date <= $as_of::DATE)
),

periods AS (
    SELECT
        obs.*,
        unnest(list_filter([
            {period_type: 'year', period: year::VARCHAR, period_start: make_date(year, 1, 1)},
            {period_type: 'quarter',
             period: strftime(posted_date, '%Y') || '-Q' || quarter(posted_date)::VARCHAR,
             period_start: date_trunc('quarter', posted_date)::DATE},
            {period_type: 'month', period: strftime(posted_date, '%Y-%m'),
             period_start: date_trunc('month', posted_date)::DATE}
        ], lambda p: p.period IS NOT NULL)) AS period_member
    FROM obs
),

cells AS (
    SELECT
        grouping(known_role_label) AS is_label_rolled_up,
        grouping(role_name) AS is_role_rolled_up,
        grouping(country) AS is_country_rolled_up,
        grouping(subdivision) AS is_subdivision_rolled_up,
        grouping(city) AS is_city_rolled_up,
        known_role_label,
        role_name,
        country_code,
        country,
        subdivision,
        city,
        period_member.period_type AS period_type,
        period_member.period AS period,
        period_member.period_start AS period_start,
        count(*) FILTER (WHERE kind = 'job_posting') AS postings,
        count(*) FILTER (WHERE kind = 'job_posting' AND seniority = 'Junior') AS junior_postings,
        count(*) FILTER (WHERE kind = 'job_posting' AND seniority IN ('Senior', 'Lead', 'Executive')) AS senior_postings,
        count(*) FILTER (WHERE kind = 'job_posting' AND seniority IS NOT NULL) AS postings_with_seniority,
        count(*) FILTER (WHERE kind = 'salary_report') AS period_salary_reports
    FROM periods
    GROUP BY GROUPING SETS (
        (period_member, country_code, country, subdivision, city, role_name, known_role_label),
        (period_member, country_code, country, subdivision, role_name, known_role_label),
        (period_member, country_code, country, role_name, known_role_label),
        (period_member, role_name, known_role_label),
        (period_member, country_code, country, subdivision, city, role_name),
        (period_member, country_code, country, subdivision, role_name),
        (period_member, country_code, country, role_name),
        (period_member, role_name),
        (period_member, country_code, country, subdivision, city),
        (period_member, country_code, country, subdivision),
        (period_member, country_code, country),
        (period_member)
    )
),

labelled AS (
    SELECT
        CASE
            WHEN is_role_rolled_up = 1 THEN 'All roles'
            WHEN is_label_rolled_up = 1 THEN role_name
            ELSE known_role_label
        END AS role_label,
        CASE
            WHEN is_role_rolled_up = 1 THEN 'all'
            WHEN is_label_rolled_up = 1 THEN 'role'
            ELSE 'role_label'
        END AS role_level,
        CASE
            WHEN is_country_rolled_up = 1 THEN 'World'
            WHEN is_subdivision_rolled_up = 1 THEN country
            WHEN is_city_rolled_up = 1 THEN subdivision
            ELSE city
        END AS region,
        CASE
            WHEN is_country_rolled_up = 1 THEN 'world'
            WHEN is_subdivision_rolled_up = 1 THEN 'country'
            WHEN is_city_rolled_up = 1 THEN 'subdivision'
            ELSE 'city'
        END AS region_level,
        CASE WHEN is_country_rolled_up = 0 THEN country_code END AS country_code,
        period_type,
        period,
        period_start,
        postings,
        junior_postings,
        senior_postings,
        postings_with_seniority,
        period_salary_reports
    FROM cells
    WHERE (is_label_rolled_up = 1 OR known_role_label IS NOT NULL)
      AND (is_city_rolled_up = 1 OR city IS NOT NULL)
      AND (is_subdivision_rolled_up = 1 OR subdivision IS NOT NULL)
      AND (is_country_rolled_up = 1 OR country IS NOT NULL)
      AND (period_type = 'year' OR postings > 0)
)

SELECT
    cell.role_label,
    cell.role_level,
    cell.region,
    cell.region_level,
    cell.country_code,
    cell.period_type,
    cell.period,
    cell.period_start,
    (CASE cell.period_type
        WHEN 'month' THEN cell.period_start + INTERVAL 1 MONTH
        WHEN 'quarter' THEN cell.period_start + INTERVAL 3 MONTH
        ELSE cell.period_start + INTERVAL 1 YEAR
    END)::DATE - 1 <= $as_of::DATE AS is_complete,
    cell.postings,
    year_before.postings AS postings_year_before,
    CASE
        WHEN year_before.postings > 0 AND is_complete
            THEN 100.0 * (cell.postings / year_before.postings - 1.0)
    END AS yoy_change_pct,
    cell.postings_with_seniority,
    CASE
        WHEN cell.postings_with_seniority > 0 THEN cell.junior_postings / cell.postings_with_seniority
    END AS entry_share,
    CASE
        WHEN cell.postings_with_seniority > 0 THEN cell.senior_postings / cell.postings_with_seniority
    END AS senior_share,
    coalesce(same_year.period_salary_reports, 0) AS salary_reports,
    CASE
        WHEN cell.period_type = 'year' AND same_year.period_salary_reports > 0
            THEN cell.postings / same_year.period_salary_reports
    END AS postings_per_report
FROM labelled AS cell
LEFT JOIN labelled AS year_before
    ON year_before.role_label = cell.role_label
    AND year_before.region = cell.region
    AND year_before.period_type = cell.period_type
    AND year_before.period_start = (cell.period_start - INTERVAL 1 YEAR)::DATE
LEFT JOIN labelled AS same_year
    ON same_year.role_label = cell.role_label
    AND same_year.region = cell.region
    AND same_year.period_type = 'year'
    AND same_year.period_start = make_date(year(cell.period_start), 1, 1)
