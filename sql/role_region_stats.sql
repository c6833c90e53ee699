-- role_region_stats (before CI ranks, cv, reliability and shrinkage, which transforms/stats.py adds):
-- one row per role_label x region x year over non-outlier observations.
-- Membership: every observation counts in its city, subdivision, country and 'World', and in its
-- role_label (seniority known), its role_name and 'All roles'. Figures are in the region's
-- currency (pay_annual_local), on pay_annual_usd for World.
-- near_median holds the sorted values whose rank lies within sqrt(n) + 2 of n / 2 (first rank
-- near_median_first_rank) so the distribution-free median interval can pick its binomial ranks
-- without another pass over the data.
WITH obs AS (
    SELECT
        role_name,
        seniority,
        role_label,
        country_code,
        country,
        subdivision,
        city,
        year,
        currency_local,
        pay_annual_local,
        pay_annual_usd
    FROM read_parquet($observations_path)
    WHERE NOT is_outlier
      AND pay_annual_usd IS NOT NULL
      AND pay_annual_local IS NOT NULL
),

regions AS (
    SELECT
        obs.*,
        unnest(list_filter([
            {region: city, region_level: 'city',
             parent_region: coalesce(subdivision, country), in_world: false},
            {region: subdivision, region_level: 'subdivision', parent_region: country, in_world: false},
            {region: country, region_level: 'country', parent_region: 'World', in_world: false},
            {region: 'World', region_level: 'world', parent_region: NULL, in_world: true}
        ], lambda m: m.region IS NOT NULL)) AS region_member
    FROM obs
),

members AS (
    SELECT
        role_member.role_label AS role_label,
        role_member.role_level AS role_level,
        role_member.role_name AS role_name,
        role_member.seniority AS seniority,
        region_member.region AS region,
        region_member.region_level AS region_level,
        CASE WHEN region_member.in_world THEN NULL ELSE country_code END AS country_code,
        region_member.parent_region AS parent_region,
        year,
        CASE WHEN region_member.in_world THEN pay_annual_usd ELSE pay_annual_local END AS pay,
        CASE WHEN region_member.in_world THEN 'USD' ELSE currency_local END AS currency,
        pay_annual_usd
    FROM (
        SELECT
            regions.*,
            unnest(list_filter([
                {role_label: role_label, role_level: 'role_label', role_name: role_name,
                 seniority: seniority},
                {role_label: role_name, role_level: 'role', role_name: role_name,
                 seniority: NULL::VARCHAR},
                {role_label: 'All roles', role_level: 'all', role_name: NULL::VARCHAR,
                 seniority: NULL::VARCHAR}
            ], lambda m: m.role_level <> 'role_label' OR m.seniority IS NOT NULL)) AS role_member
        FROM regions
    )
),

ranked AS (
    SELECT
        members.*,
        row_number() OVER (PARTITION BY role_label, region, year ORDER BY pay) AS pay_rank,
        count(*) OVER (PARTITION BY role_label, region, year) AS cell_n
    FROM members
)

SELECT
    role_label,
    any_value(role_level) AS role_level,
    any_value(role_name) AS role_name,
    any_value(seniority) AS seniority,
    region,
    any_value(region_level) AS region_level,
    any_value(country_code) AS country_code,
    any_value(parent_region) AS parent_region,
    year,
    count(*) AS n,
    avg(pay) AS mean,
    quantile_cont(pay, [0.1, 0.25, 0.5, 0.75, 0.9]) AS pay_quantiles,
    min(currency) AS currency,
    max(currency) AS currency_check,
    quantile_cont(pay_annual_usd, 0.5) AS median_usd,
    avg(pay_annual_usd) AS mean_usd,
    list(pay ORDER BY pay) FILTER (WHERE abs(pay_rank - cell_n / 2) <= sqrt(cell_n) + 2) AS near_median,
    min(pay_rank) FILTER (WHERE abs(pay_rank - cell_n / 2) <= sqrt(cell_n) + 2) AS near_median_first_rank
FROM ranked
GROUP BY role_label, region, year
