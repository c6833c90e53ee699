-- role_region_stats: one row per role_label x region x year over the observations that enter pay
-- statistics: not is_outlier and not is_non_fte_pay (a part-time salary or an internship, which is
-- no full-time market rate of the role; transforms/normalise.py).
-- Membership: each observation counts in its city, subdivision, country and 'World', and in its
-- role_label (only when seniority is known), its role_name and 'All roles' (all combinations).
-- Pay is in the region's currency (pay_annual_local); World cells use pay_annual_usd and 'USD'.
-- A row without pay_annual_local (its local currency has no ECB rate) counts in World only.
-- One list-valued quantile_cont per cell over $probabilities: its first five entries are
-- p10, p25, median, p75, p90; the rest (returned as ci_grid_values) is the probability grid from
-- which transforms/stats.py reads the median's binomial order-statistic interval. CV,
-- reliability and shrinkage are added in Python.
-- Means are exact decimal sums (each pay rounded to 1e-6 of a currency unit, then summed as
-- DECIMAL(38, 6)) over the count: a floating-point sum, even fsum, depends in its last bits on the
-- order in which threads combine row groups, and the published bytes must not.
-- Slicing: $years (list) keeps the rows of those years, $country_codes (list) makes local cells
-- only for those countries, $include_world makes the World cells; all years, all countries and
-- true give every cell in one query. transforms/stats.py (role_region_cells) runs it in slices
-- instead, for memory: World cells per batch of years, local cells per batch of whole years or of
-- one year's countries, each batch up to ROWS_PER_QUERY rows. quantile_cont is holistic and does
-- not spill, so one query holds every value of every grouping set at once (21 doubles per row:
-- pay and USD in nine local sets, USD in three World sets; 2.4 GB peak at 10M rows, and a
-- memory_limit only makes it fail). Every local grouping set contains (year, country_code) and
-- every World set contains year, so each cell's rows lie in one slice and the slices' cells are
-- exactly the cells of the whole query (tests/unit/test_stats_slices.py). The slice filters are
-- bound constants that DuckDB pushes into the scan: the flow's observations are hive pieces, one
-- (year, country_code) each, and DuckDB skips the files of other slices by their folder names
-- without opening them (hive partitioning on, keys read as text and year cast back to INTEGER, so
-- that a single file, the flow's pieces, which hold their keys too, and the published folders,
-- which hold them in the folder names only, all read alike). With hive partitioning off every
-- query opened every piece: 1.5 s a query at 10,500 pieces (100M rows) instead of 0.4 s.
-- Parameters: $observations_path (a Parquet file or a glob), $probabilities, $years,
-- $country_codes, $include_world.
WITH obs AS (
    SELECT
        role_name,
        seniority,
        CASE WHEN seniority IS NOT NULL THEN role_label END AS known_role_label,
        country_code,
        country,
        subdivision,
        city,
        CAST(year AS INTEGER) AS year,
        currency_local,
        pay_annual_local,
        pay_annual_usd
    FROM read_parquet($observations_path, hive_partitioning = true, hive_types_autocast = false)
    WHERE NOT is_outlier
      AND NOT is_non_fte_pay
      AND pay_annual_usd IS NOT NULL
      AND list_contains($years, CAST(year AS INTEGER))
),

local_cells AS (
    SELECT
        grouping(known_role_label) AS is_label_rolled_up,
        grouping(role_name) AS is_role_rolled_up,
        grouping(subdivision) AS is_subdivision_rolled_up,
        grouping(city) AS is_city_rolled_up,
        0 AS is_world,
        known_role_label,
        seniority,
        role_name,
        country_code,
        country,
        subdivision,
        city,
        year,
        count(*) AS n,
        CAST(sum(CAST(pay_annual_local AS DECIMAL(38, 6))) AS DOUBLE) / count(*) AS mean,
        quantile_cont(pay_annual_local, $probabilities) AS pay_quantiles,
        min(currency_local) AS currency,
        -- 0 / 1 / 2: no, one, more than one local currency (a sanity check; min <> max costs a
        -- fraction of count(DISTINCT ...) over the nine grouping sets)
        CASE
            WHEN count(currency_local) = 0 THEN 0
            WHEN min(currency_local) = max(currency_local) THEN 1
            ELSE 2
        END AS currency_count,
        quantile_cont(pay_annual_usd, 0.5) AS median_usd,
        CAST(sum(CAST(pay_annual_usd AS DECIMAL(38, 6))) AS DOUBLE) / count(*) AS mean_usd
    FROM obs
    WHERE pay_annual_local IS NOT NULL
      AND list_contains($country_codes, country_code)
    GROUP BY GROUPING SETS (
        (year, country_code, country, subdivision, city, role_name, known_role_label, seniority),
        (year, country_code, country, subdivision, role_name, known_role_label, seniority),
        (year, country_code, country, role_name, known_role_label, seniority),
        (year, country_code, country, subdivision, city, role_name),
        (year, country_code, country, subdivision, role_name),
        (year, country_code, country, role_name),
        (year, country_code, country, subdivision, city),
        (year, country_code, country, subdivision),
        (year, country_code, country)
    )
),

world_cells AS (
    SELECT
        grouping(known_role_label) AS is_label_rolled_up,
        grouping(role_name) AS is_role_rolled_up,
        1 AS is_subdivision_rolled_up,
        1 AS is_city_rolled_up,
        1 AS is_world,
        known_role_label,
        seniority,
        role_name,
        NULL::VARCHAR AS country_code,
        NULL::VARCHAR AS country,
        NULL::VARCHAR AS subdivision,
        NULL::VARCHAR AS city,
        year,
        count(*) AS n,
        CAST(sum(CAST(pay_annual_usd AS DECIMAL(38, 6))) AS DOUBLE) / count(*) AS mean,
        quantile_cont(pay_annual_usd, $probabilities) AS pay_quantiles,
        'USD' AS currency,
        1 AS currency_count,
        NULL::DOUBLE AS median_usd,
        CAST(sum(CAST(pay_annual_usd AS DECIMAL(38, 6))) AS DOUBLE) / count(*) AS mean_usd
    FROM obs
    WHERE $include_world
    GROUP BY GROUPING SETS (
        (year, role_name, known_role_label, seniority),
        (year, role_name),
        (year)
    )
),

cells AS (
    SELECT * FROM local_cells
    UNION ALL BY NAME
    SELECT * FROM world_cells
)

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
    role_name,
    CASE WHEN is_label_rolled_up = 0 THEN seniority END AS seniority,
    CASE
        WHEN is_world = 1 THEN 'World'
        WHEN is_subdivision_rolled_up = 1 THEN country
        WHEN is_city_rolled_up = 1 THEN subdivision
        ELSE city
    END AS region,
    CASE
        WHEN is_world = 1 THEN 'world'
        WHEN is_subdivision_rolled_up = 1 THEN 'country'
        WHEN is_city_rolled_up = 1 THEN 'subdivision'
        ELSE 'city'
    END AS region_level,
    country_code,
    CASE
        WHEN is_world = 1 THEN NULL
        WHEN is_subdivision_rolled_up = 1 THEN 'World'
        WHEN is_city_rolled_up = 1 THEN country
        ELSE coalesce(subdivision, country)
    END AS parent_region,
    year,
    n,
    mean,
    pay_quantiles[1] AS p10,
    pay_quantiles[2] AS p25,
    pay_quantiles[3] AS median,
    pay_quantiles[4] AS p75,
    pay_quantiles[5] AS p90,
    currency,
    currency_count,
    CASE WHEN is_world = 1 THEN pay_quantiles[3] ELSE median_usd END AS median_usd,
    mean_usd,
    pay_quantiles[6:] AS ci_grid_values
FROM cells
WHERE (is_label_rolled_up = 1 OR seniority IS NOT NULL)
  AND (is_city_rolled_up = 1 OR city IS NOT NULL)
  AND (is_subdivision_rolled_up = 1 OR subdivision IS NOT NULL)
  AND (is_world = 1 OR country IS NOT NULL)
