"""Next-year median projections and their backtests, from the `role_region_stats` mart.

Model `eb_loglinear_trend`, fitted for every role_label x region cell at once:

* Data. Per cell the log median of each usable year (`n >= min_n`, positive median, a full year:
  `year <= last_full_year(as_of)`, at most the last `max_years` of them). Each year's sampling variance
  of the log median comes from the stats CI (`median_ci_low/high`, a `ci_level` interval), else
  from the IQR (`pi/2 * sd^2 / n`, sd = log IQR / 1.349), else from `default_log_sd`.
* Truth assumed. log true median_t = a + g * t + u_t, with u_t independent year shocks of variance
  `s2` (the residual year-to-year variance). `s2` is estimated once per region level by the method
  of moments from the cells' OLS residuals (pooled over all cells with >= 3 years; the sampling
  part of each residual is subtracted), so that a cell with three years still gets a sensible
  error model.
* Growth. Per cell a weighted OLS slope (weights 1 / (sampling variance + s2)) and its variance,
  as closed-form group sums. Slopes are pooled top-down by empirical Bayes: each cell's slope is
  shrunk toward its parent's (already pooled) growth with weight tau^2 / (tau^2 + var), tau^2 by
  the method of moments per (region level, role level) among the cells pooled together.
  The hierarchy (documented because it is a choice):
    - 'All roles' x 'World' is the root: its slope is shrunk toward a weak prior,
      `root_growth_prior` (3 %/year) with sd `root_growth_prior_sd` (5 %), so that a short,
      composition-driven history (aijobs 2021-2023: +30 %/year) does not set every cell's growth;
      a long, precise root trend (the synthetic market) is left practically untouched;
    - World cells: a seniority role_label -> its role ('Machine Learning Engineer'), a role ->
      'All roles';
    - other cells: the same role_label in the parent region (city -> subdivision -> country ->
      World), adjusted by the region's own deviation over all roles:
      prior = g(role, parent) + g(All roles, region) - g(All roles, parent). This two-way prior
      carries both a role's and a country's growth; it is used when those cells exist.
    - a missing parent falls back to 'All roles' in the region, then to the root.
  Cells with fewer than `min_years_for_trend` usable years take the prior growth as theirs and say
  so: growth_source 'parent:<parent cell>'; pooled cells say 'shrunk:<parent cell>'; the root says
  'shrunk:prior' ('parent:prior' with one year; 'cell' when the prior is switched off).
* Level. The trend line with the pooled slope through the precision-weighted mean of all years:
  level_T = ybar + g * (T - tbar). This is a precision blend of the observed base-year log median
  and the earlier years' medians moved along the trend, which damps the base year's sampling
  noise (~1.25 * sd / sqrt(n)); when the trend is poorly known or the base year is precise the
  base year dominates through its weight. Under independent year shocks this is the best linear
  predictor. `level_persistence` (rho, default 0) adds rho * s2 / (s2 + v_T) of the base
  year's residual from the trend: shocks that persist (composition shifts in survey data) favour
  rho near 1; on simulated log-linear markets with independent shocks rho = 0 is best, and with
  s2 ~ 0 both give the same answer. To be re-checked on the synthetic market's truth.
* Forecast. projected = exp(level_T + g * h), h = target_year - base_year. Its variance:
  1/sum(w) (level) + (target - tbar)^2 var(g) (growth, including the level's slope part) + s2
  (next year's own shock). Intervals are log-normal: 80 % and 90 %. They are intervals for the
  population median of the target year; the backtest compares with an observed median and widens
  the interval by that year's own sampling variance.
* Backtests. Each cell's last usable year is held out, the whole model (s2, trends, pooling) is
  refitted on the earlier years, and the held-out median is predicted; naive = the previous usable
  year's median carried forward. Errors are in percent (2.5 means 2.5 %).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import date
from statistics import NormalDist

import polars as pl

MODEL_NAME = "eb_loglinear_trend"
ALL_ROLES = "All roles"
WORLD = "World"
CELL = ["role_label", "region"]

Z90 = NormalDist().inv_cdf(0.95)
Z80 = NormalDist().inv_cdf(0.90)


@dataclass(frozen=True)
class ProjectionParams:
    """Tunables of the projection model (Settings fields `projection_<name>` override them)."""

    min_n: int = 5  # a year is usable when its median rests on at least this many observations
    min_years_for_trend: int = 3  # fewer usable years -> the cell takes its parent's growth
    max_years: int = 6  # only the most recent usable years enter a cell's trend
    ci_level: float = 0.95  # confidence level of median_ci_low / median_ci_high in the stats
    default_log_sd: float = 0.35  # sd of log pay when neither CI nor IQR is available
    residual_min_n: int = 30  # years with fewer observations do not inform the residual variance
    min_cells_for_moments: int = 5  # fewer cells -> pool the moment estimate more widely
    tau2_floor: float = 1e-6  # smallest between-cell growth variance (avoids a zero weight)
    tau2_default: float = 0.03**2  # between-cell growth variance when it cannot be estimated
    root_growth_prior: float | None = 0.03  # prior annual log growth of the root cell; None: no prior
    root_growth_prior_sd: float = 0.05  # its sd: nominal pay growth rarely leaves +-10 %/year
    level_persistence: float = 0.0  # share of the base year's own shock carried into next year


# The lazy plans here collect on Polars' in-memory engine: on the default engine the per-cell window
# sums (`over`) of residual_variance added floats in a varying order, so their last bits, and through
# the backtests' |predicted - actual| those of ~450 abs_pct_error values at 1e-9, differed between
# two runs on the same input (the published 9-digit rounding does not hide a relative error that
# large). The frames are role_region_stats-sized: the engine costs nothing here.
ENGINE = "in-memory"


def params_from_settings(settings=None, **overrides) -> ProjectionParams:
    """ProjectionParams from Settings fields named `projection_<param>` when present, then overrides."""
    values = {}
    for field in fields(ProjectionParams):
        setting = getattr(settings, f"projection_{field.name}", None) if settings is not None else None
        if setting is not None:
            values[field.name] = setting
    values.update(overrides)
    return ProjectionParams(**values)


# ---------------------------------------------------------------------------------------------
# public interface
# ---------------------------------------------------------------------------------------------


def last_full_year(as_of: date) -> int:
    """The last calendar year that has ended by `as_of` (inclusive: data through Dec 31 make the year
    full, as demand_signals' is_complete counts it): as_of.year on Dec 31, else the year before."""
    return as_of.year if (as_of.month, as_of.day) == (12, 31) else as_of.year - 1


def build_projections(
    stats: pl.DataFrame, as_of: date, settings=None, params: ProjectionParams | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(projections, backtests) for every role_label x region cell of `role_region_stats`.

    Only full years up to `as_of` are used (the current year is partial until its Dec 31:
    last_full_year). The base year is that last full year when the cell has a usable median for it,
    else the cell's last usable year (`base_year_source` says which).
    """
    params = params or params_from_settings(settings)
    full_year = last_full_year(as_of)
    years = usable_years(stats, last_year=full_year, params=params)
    projections = project_cells(years, params=params, full_year=full_year)
    backtests = backtest_cells(years, params=params)
    return projections, backtests


def backtest_summary(backtests: pl.DataFrame) -> dict:
    """Median absolute % error of the model and of naive carry-forward, 90 % coverage, cell count."""
    if backtests.height == 0:
        return {
            "median_abs_pct_error": None,
            "naive_median_abs_pct_error": None,
            "coverage_90": None,
            "cells": 0,
        }
    row = backtests.select(
        pl.col("abs_pct_error").median().alias("median_abs_pct_error"),
        pl.col("naive_abs_pct_error").median().alias("naive_median_abs_pct_error"),
        pl.col("covered_90").cast(pl.Float64).mean().alias("coverage_90"),
        pl.len().alias("cells"),
    ).row(0, named=True)
    return {key: (float(value) if key != "cells" else int(value)) for key, value in row.items()}


# ---------------------------------------------------------------------------------------------
# data preparation
# ---------------------------------------------------------------------------------------------

_OPTIONAL_COLUMNS = {
    "role_level": pl.String,
    "role_name": pl.String,
    "region_level": pl.String,
    "parent_region": pl.String,
    "country_code": pl.String,
    "currency": pl.String,
    "median_ci_low": pl.Float64,
    "median_ci_high": pl.Float64,
    "p25": pl.Float64,
    "p75": pl.Float64,
}


def usable_years(stats: pl.DataFrame, last_year: int, params: ProjectionParams) -> pl.DataFrame:
    """One row per cell x usable year: log median `y` and its sampling variance `v`.

    Hierarchy columns missing from `stats` are inferred ('All roles' -> all, 'World' -> world).
    """
    missing = [pl.lit(None, dtype=dtype).alias(name) for name, dtype in _OPTIONAL_COLUMNS.items() if name not in stats.columns]
    z_ci = NormalDist().inv_cdf(0.5 + params.ci_level / 2)
    frame = (
        stats.lazy()
        .with_columns(missing)
        .filter(
            (pl.col("year") <= last_year)
            & (pl.col("n") >= params.min_n)
            & (pl.col("median") > 0)
            & pl.col("median").is_finite()
        )
        .select(
            pl.col("role_label"),
            pl.col("region"),
            pl.col("year").cast(pl.Int32).alias("year"),
            pl.col("n").cast(pl.Int64).alias("n"),
            pl.col("median").cast(pl.Float64).alias("median"),
            pl.col("median").cast(pl.Float64).log().alias("y"),
            _sampling_variance(z_ci, params.default_log_sd).alias("v"),
            pl.coalesce(
                pl.col("role_level"),
                pl.when(pl.col("role_label") == ALL_ROLES).then(pl.lit("all")).otherwise(pl.lit("role_label")),
            ).alias("role_level"),
            pl.coalesce(pl.col("role_name"), pl.col("role_label")).alias("role_name"),
            pl.coalesce(
                pl.col("region_level"),
                pl.when(pl.col("region") == WORLD).then(pl.lit("world")).otherwise(pl.lit("country")),
            ).alias("region_level"),
            pl.when(pl.col("region") == WORLD)
            .then(pl.lit(None, dtype=pl.String))
            .otherwise(pl.coalesce(pl.col("parent_region"), pl.lit(WORLD)))
            .alias("parent_region"),
            pl.col("country_code").cast(pl.String).alias("country_code"),
            pl.col("currency").cast(pl.String).alias("currency"),
        )
        .sort([*CELL, "year"])
        .with_columns(pl.col("year").rank("ordinal", descending=True).over(CELL).alias("recency"))
        .filter(pl.col("recency") <= params.max_years)
        .drop("recency")
        .collect(engine=ENGINE)
    )
    duplicated = frame.select(pl.struct([*CELL, "year"]).is_duplicated().any().alias("dup")).item()
    if duplicated:
        raise ValueError("role_region_stats has more than one row per role_label x region x year")
    return frame.sort([*CELL, "year"])


def _sampling_variance(z_ci: float, default_log_sd: float) -> pl.Expr:
    """Variance of the log median: from the CI, else from the IQR, else from a default spread."""
    n = pl.col("n").cast(pl.Float64)
    from_ci = (
        pl.when(
            (pl.col("median_ci_low") > 0)
            & (pl.col("median_ci_high") > pl.col("median_ci_low"))
            & pl.col("median_ci_high").is_finite()
        )
        .then(((pl.col("median_ci_high").log() - pl.col("median_ci_low").log()) / (2 * z_ci)) ** 2)
        .otherwise(None)
    )
    from_iqr = (
        pl.when((pl.col("p25") > 0) & (pl.col("p75") > pl.col("p25")))
        .then((math.pi / 2) * ((pl.col("p75").log() - pl.col("p25").log()) / 1.349) ** 2 / n)
        .otherwise(None)
    )
    fallback = (math.pi / 2) * default_log_sd**2 / n
    return pl.max_horizontal(pl.coalesce(from_ci, from_iqr, fallback), pl.lit(1e-10))


# ---------------------------------------------------------------------------------------------
# fitting
# ---------------------------------------------------------------------------------------------


def residual_variance(years: pl.DataFrame, params: ProjectionParams, iterations: int = 4) -> pl.DataFrame:
    """Year-to-year variance s2 of true medians around their trend, per region_level.

    Method of moments on unweighted per-cell OLS residuals r_t, whose expectation is exact:
    E[r_t^2] = (1 - h_t) s2 + sum_j (I - H)_tj^2 v_j. Residuals are weighted by
    1 / ((1 - h_t)(s2 + v_t))^2 (iterated a few times) so that large cells, where s2 is visible
    above sampling noise, dominate. Cells need >= 3 years each with `residual_min_n`
    observations; a level with too few cells takes the value pooled over all levels. Never
    negative.
    """
    levels = years.select(pl.col("region_level").unique()).sort("region_level")
    k = pl.len().over(CELL).cast(pl.Float64)
    tc = pl.col("tc")
    sxx = pl.col("sxx")
    eligible = (
        years.lazy()
        .with_columns(
            pl.len().over(CELL).alias("k"),
            pl.col("n").min().over(CELL).alias("n_min"),
            (pl.col("year") - pl.col("year").mean().over(CELL)).cast(pl.Float64).alias("tc"),
        )
        .filter((pl.col("k") >= 3) & (pl.col("n_min") >= params.residual_min_n))
        .with_columns((tc**2).sum().over(CELL).alias("sxx"))
        .with_columns(
            (
                pl.col("y")
                - pl.col("y").mean().over(CELL)
                - (tc * pl.col("y")).sum().over(CELL) / sxx * tc
            ).alias("r"),
            (1 - 1 / k - tc**2 / sxx).alias("one_minus_h"),
            (
                pl.col("v") * (1 - 2 / k - 2 * tc**2 / sxx)
                + pl.col("v").sum().over(CELL) / k**2
                + 2 * tc / (k * sxx) * (tc * pl.col("v")).sum().over(CELL)
                + tc**2 / sxx**2 * (tc**2 * pl.col("v")).sum().over(CELL)
            ).alias("sampling_part"),
        )
        .sort([*CELL, "year"])  # a fixed order for the sums over all rows below (a lazy plan need not keep one)
        .select("region_level", *CELL, "r", "one_minus_h", "sampling_part", "v")
        .collect(engine=ENGINE)
    )
    pooled = _weighted_moment_s2(eligible, None, iterations)
    rows = []
    for level in levels.get_column("region_level").to_list():
        part = eligible.filter(pl.col("region_level") == level)
        cells = part.select(pl.struct(CELL).n_unique()).item() if part.height else 0
        value = _weighted_moment_s2(part, pooled, iterations) if cells >= params.min_cells_for_moments else pooled
        rows.append({"region_level": level, "s2": value})
    return pl.DataFrame(rows, schema={"region_level": pl.String, "s2": pl.Float64}).sort("region_level")


def _weighted_moment_s2(eligible: pl.DataFrame, start: float | None, iterations: int) -> float:
    """Iteratively reweighted moment estimate of s2 from residuals (0 when there are none)."""
    if eligible.height == 0:
        return 0.0
    s2 = start or 0.0
    for _ in range(iterations):
        weight = 1.0 / ((pl.col("one_minus_h") * (pl.lit(s2) + pl.col("v"))) ** 2)
        value = eligible.select(
            (
                (weight * (pl.col("r") ** 2 - pl.col("sampling_part"))).sum()
                / (weight * pl.col("one_minus_h")).sum()
            ).alias("s2")
        ).item()
        s2 = max(float(value), 0.0) if value is not None and math.isfinite(value) else 0.0
    return s2


def fit_trends(years: pl.DataFrame, s2: pl.DataFrame) -> pl.DataFrame:
    """Per cell: weighted OLS slope `b`, its variance, and the sums that place the trend line.

    Weights are 1 / (v_t + s2). For cells with one year the slope is null.
    """
    cells = (
        years.lazy()
        .join(s2.lazy(), on="region_level", how="left")
        .with_columns((1.0 / (pl.col("v") + pl.col("s2").fill_null(0.0))).alias("w"))
        .with_columns(
            ((pl.col("w") * pl.col("year")).sum().over(CELL) / pl.col("w").sum().over(CELL)).alias("tbar"),
            ((pl.col("w") * pl.col("y")).sum().over(CELL) / pl.col("w").sum().over(CELL)).alias("ybar"),
        )
        .sort([*CELL, "year"])
        .group_by(CELL)
        .agg(
            pl.len().alias("k"),
            pl.col("w").sum().alias("sw"),
            pl.col("tbar").first().alias("tbar"),
            pl.col("ybar").first().alias("ybar"),
            (pl.col("w") * (pl.col("year") - pl.col("tbar")) ** 2).sum().alias("sxx"),
            (pl.col("w") * (pl.col("year") - pl.col("tbar")) * (pl.col("y") - pl.col("ybar"))).sum().alias("sxy"),
            pl.col("s2").first().fill_null(0.0).alias("s2"),
            pl.col("year").last().alias("last_year"),
            pl.col("median").last().alias("last_median"),
            pl.col("n").last().alias("last_n"),
            pl.col("v").last().alias("last_v"),
            pl.col("currency").last().alias("currency"),
            pl.col("role_level").last().alias("role_level"),
            pl.col("role_name").last().alias("role_name"),
            pl.col("region_level").last().alias("region_level"),
            pl.col("parent_region").last().alias("parent_region"),
            pl.col("country_code").last().alias("country_code"),
        )
        .with_columns(
            pl.when((pl.col("k") >= 2) & (pl.col("sxx") > 0)).then(pl.col("sxy") / pl.col("sxx")).otherwise(None).alias("b"),
            pl.when((pl.col("k") >= 2) & (pl.col("sxx") > 0)).then(1.0 / pl.col("sxx")).otherwise(None).alias("var_b"),
        )
        .collect(engine=ENGINE)
    )
    return cells.sort(CELL)


def _with_parents(cells: pl.DataFrame) -> pl.DataFrame:
    """Attach each cell's parent cell (with fallbacks) and the two-way adjustment cells."""
    keys = cells.select(CELL).with_columns(pl.lit(True).alias("exists"))
    primary_role = (
        pl.when(pl.col("region_level") != "world")
        .then(pl.col("role_label"))
        .when(pl.col("role_level") == "role_label")
        .then(pl.col("role_name"))
        .when(pl.col("role_level") == "role")
        .then(pl.lit(ALL_ROLES))
        .otherwise(None)
    )
    primary_region = pl.when(pl.col("region_level") != "world").then(pl.col("parent_region")).otherwise(pl.lit(WORLD))
    frame = cells.with_columns(
        primary_role.alias("p1_role"),
        pl.when(primary_role.is_not_null()).then(primary_region).otherwise(None).alias("p1_region"),
        pl.when(pl.col("role_label") != ALL_ROLES).then(pl.lit(ALL_ROLES)).otherwise(None).alias("p2_role"),
        pl.when(pl.col("role_label") != ALL_ROLES).then(pl.col("region")).otherwise(None).alias("p2_region"),
        pl.when((pl.col("role_label") != ALL_ROLES) | (pl.col("region") != WORLD)).then(pl.lit(ALL_ROLES)).otherwise(None).alias("p3_role"),
        pl.when((pl.col("role_label") != ALL_ROLES) | (pl.col("region") != WORLD)).then(pl.lit(WORLD)).otherwise(None).alias("p3_region"),
    )
    for tag in ("p1", "p2", "p3"):
        frame = frame.join(
            keys.rename({"role_label": f"{tag}_role", "region": f"{tag}_region", "exists": f"{tag}_exists"}),
            on=[f"{tag}_role", f"{tag}_region"],
            how="left",
        )
    # two-way adjustment cells: All roles in the region and in the parent region
    frame = frame.join(
        keys.rename({"role_label": "a_role", "region": "a_region", "exists": "a_exists"}),
        left_on=["p2_role", "region"],
        right_on=["a_role", "a_region"],
        how="left",
    ).join(
        keys.rename({"role_label": "ap_role", "region": "ap_region", "exists": "ap_exists"}),
        left_on=["p2_role", "p1_region"],
        right_on=["ap_role", "ap_region"],
        how="left",
    )
    use_p1 = pl.col("p1_exists").fill_null(False)
    use_p2 = ~use_p1 & pl.col("p2_exists").fill_null(False)
    use_p3 = ~use_p1 & ~use_p2 & pl.col("p3_exists").fill_null(False)
    two_way = (
        use_p1
        & (pl.col("region_level") != "world")
        & (pl.col("role_label") != ALL_ROLES)
        & pl.col("a_exists").fill_null(False)
        & pl.col("ap_exists").fill_null(False)
    )
    return frame.select(
        pl.all().exclude(r"^p[123]_.*$", "a_exists", "ap_exists"),
        pl.when(use_p1).then(pl.col("p1_role")).when(use_p2).then(pl.col("p2_role")).when(use_p3).then(pl.col("p3_role")).alias("parent_role"),
        pl.when(use_p1).then(pl.col("p1_region")).when(use_p2).then(pl.col("p2_region")).when(use_p3).then(pl.col("p3_region")).alias("parent_cell_region"),
        two_way.alias("two_way"),
    ).with_columns(
        pl.when(pl.col("parent_role").is_null())
        .then(None)
        .when(pl.col("two_way"))
        .then(pl.format("{} | {} + {} | {} vs {}", "parent_role", "parent_cell_region", pl.lit(ALL_ROLES), "region", "parent_cell_region"))
        .otherwise(pl.format("{} | {}", "parent_role", "parent_cell_region"))
        .alias("parent_label")
    )


def pool_growth(cells: pl.DataFrame, params: ProjectionParams) -> pl.DataFrame:
    """Empirical-Bayes growth per cell, resolved top-down through the hierarchy.

    Each pass pools the cells whose parents are already pooled (a handful of passes: root,
    roles, countries, subdivisions, cities), estimating tau^2 by moments within the pass per
    (region_level, role_level); every pass is one vectorised frame operation.
    """
    pending = _with_parents(cells)
    resolved = pl.DataFrame(schema={"role_label": pl.String, "region": pl.String, "g": pl.Float64, "var_g": pl.Float64})
    done: list[pl.DataFrame] = []
    while pending.height > 0:
        joined = _join_resolved(pending, resolved)
        ready_mask = (pl.col("parent_role").is_null() | pl.col("m_parent").is_not_null()) & (
            ~pl.col("two_way") | (pl.col("m_a").is_not_null() & pl.col("m_ap").is_not_null())
        )
        ready = joined.filter(ready_mask)
        if ready.height == 0:  # a cycle in the hierarchy: pool the rest without parents
            ready = joined.with_columns(
                pl.lit(None, dtype=pl.String).alias("parent_role"),
                pl.lit(None, dtype=pl.String).alias("parent_label"),
                pl.lit(False).alias("two_way"),
            )
        pooled = _shrink(ready, params)
        done.append(pooled)
        resolved = pl.concat([resolved, pooled.select(CELL + ["g", "var_g"])], how="vertical")
        pending = pending.join(ready.select(CELL), on=CELL, how="anti")
    return pl.concat(done, how="vertical").sort(CELL)


def _join_resolved(pending: pl.DataFrame, resolved: pl.DataFrame) -> pl.DataFrame:
    """Attach the pooled growth of the parent and of the two-way adjustment cells."""
    def side(prefix: str) -> pl.DataFrame:
        return resolved.rename({"role_label": f"{prefix}_r", "region": f"{prefix}_g", "g": f"m_{prefix}", "var_g": f"var_{prefix}"})

    return (
        pending.join(side("parent"), left_on=["parent_role", "parent_cell_region"], right_on=["parent_r", "parent_g"], how="left")
        .with_columns(pl.lit(ALL_ROLES).alias("_all"))
        .join(side("a"), left_on=["_all", "region"], right_on=["a_r", "a_g"], how="left")
        .join(side("ap"), left_on=["_all", "parent_cell_region"], right_on=["ap_r", "ap_g"], how="left")
        .drop("_all")
    )


def _shrink(ready: pl.DataFrame, params: ProjectionParams) -> pl.DataFrame:
    """Prior mean and variance, tau^2 by moments, then the posterior growth of each ready cell."""
    root_prior = params.root_growth_prior is not None
    is_root = pl.col("parent_role").is_null() & pl.lit(root_prior)
    # in cell order: the joins that built `ready` do not keep rows in order, and the tau^2 means
    # below add floats in row order (different orders differed in the last bits, and after the
    # 9-digit rounding of the published tables, 2 of 4,344 backtests rows differed between runs)
    prior = ready.sort(CELL).with_columns(
        pl.when(is_root)
        .then(pl.lit(params.root_growth_prior, dtype=pl.Float64))
        .when(pl.col("two_way"))
        .then(pl.col("m_parent") + pl.col("m_a") - pl.col("m_ap"))
        .otherwise(pl.col("m_parent"))
        .alias("m"),
        pl.when(is_root)
        .then(pl.lit(0.0))
        .when(pl.col("two_way"))
        # a (all roles in the region) is estimated from a subset of ap's data (all roles in the
        # parent region), so var(a - ap) ~ var_a - var_ap (nested estimates), not var_a + var_ap:
        # adding them overstated the growth variance and widened intervals past their nominal cover
        .then(pl.col("var_parent") + (pl.col("var_a") - pl.col("var_ap")).clip(lower_bound=0.0))
        .otherwise(pl.col("var_parent"))
        .alias("var_m"),
        pl.when(is_root).then(pl.lit("prior")).otherwise(pl.col("parent_label")).alias("parent_label"),
        # the root has nothing above it to borrow from, so two years already make its trend
        ((pl.col("k") >= params.min_years_for_trend) | (is_root & pl.col("b").is_not_null())).alias("has_trend"),
        is_root.alias("is_root"),
    )
    # tau^2: E[(b - m)^2] ~= tau^2 + var_b (the parent's own variance is mostly shared with the
    # child's data, so it is not subtracted)
    informative = pl.col("has_trend") & pl.col("m").is_not_null() & pl.col("b").is_not_null() & ~pl.col("is_root")
    excess = ((pl.col("b") - pl.col("m")) ** 2 - pl.col("var_b")).alias("excess")
    moments = prior.filter(informative).select("region_level", "role_level", excess)
    pass_tau2 = (
        float(moments.select(pl.col("excess").mean()).item())
        if moments.height >= params.min_cells_for_moments
        else params.tau2_default
    )
    # maintain_order: Polars 2.1's group_by mean without it added a group's floats in a varying
    # order (the last bits of tau^2 differed between runs; a group_by sum and over() did not)
    by_group = moments.group_by("region_level", "role_level", maintain_order=True).agg(
        pl.col("excess").mean().alias("tau2_group"), pl.len().alias("cells")
    )
    prior = prior.join(by_group, on=["region_level", "role_level"], how="left").with_columns(
        pl.when(pl.col("is_root"))
        .then(pl.lit(params.root_growth_prior_sd**2))
        .when(pl.col("cells") >= params.min_cells_for_moments)
        .then(pl.col("tau2_group"))
        .otherwise(pl.lit(pass_tau2))
        .clip(lower_bound=params.tau2_floor)
        .alias("tau2")
    )
    weight = pl.col("tau2") / (pl.col("tau2") + pl.col("var_b"))
    has_prior = pl.col("m").is_not_null()
    return prior.with_columns(
        pl.when(pl.col("has_trend") & has_prior)
        .then(weight)
        .when(~has_prior & pl.col("b").is_not_null())
        .then(pl.lit(1.0))
        .otherwise(pl.lit(0.0))
        .alias("shrink_weight"),
    ).with_columns(
        pl.when(has_prior & pl.col("has_trend"))
        .then(pl.col("shrink_weight") * pl.col("b") + (1 - pl.col("shrink_weight")) * pl.col("m"))
        .when(has_prior)
        .then(pl.col("m"))
        .when(pl.col("b").is_not_null())
        .then(pl.col("b"))
        .otherwise(pl.lit(0.0))
        .alias("g"),
        pl.when(has_prior & pl.col("has_trend"))
        .then(pl.col("shrink_weight") * pl.col("var_b") + (1 - pl.col("shrink_weight")) ** 2 * pl.col("var_m"))
        .when(has_prior)
        .then(pl.col("var_m") + pl.col("tau2"))
        .when(pl.col("var_b").is_not_null())
        .then(pl.col("var_b"))
        .otherwise(pl.lit(params.tau2_default))
        .alias("var_g"),
        pl.when(has_prior & pl.col("has_trend"))
        .then(pl.format("shrunk:{}", "parent_label"))
        .when(has_prior)
        .then(pl.format("parent:{}", "parent_label"))
        .when(pl.col("b").is_not_null())
        .then(pl.lit("cell"))
        .otherwise(pl.lit("none"))
        .alias("growth_source"),
    )


def fit_model(years: pl.DataFrame, params: ProjectionParams) -> pl.DataFrame:
    """Residual variance, per-cell trends and pooled growth: everything a forecast needs."""
    s2 = residual_variance(years, params)
    return pool_growth(fit_trends(years, s2), params)


def _forecast(
    cells: pl.DataFrame, target: pl.Expr, persistence: float, extra_variance: pl.Expr | None = None
) -> pl.DataFrame:
    """Log forecast at `target` year from the pooled trend line, with its variance and intervals.

    With `persistence` > 0 the base year's estimated own shock, s2 / (s2 + v_T) of its residual
    from the trend, is carried into the forecast (a heavier weight on the observed base year).
    """
    trend_at_base = pl.col("ybar") + pl.col("g") * (pl.col("last_year") - pl.col("tbar"))
    base_shock = (pl.col("s2") / (pl.col("s2") + pl.col("last_v"))) * (pl.col("last_median").log() - trend_at_base)
    log_mean = pl.col("ybar") + pl.col("g") * (target - pl.col("tbar")) + persistence * base_shock
    variance = 1.0 / pl.col("sw") + (target - pl.col("tbar")) ** 2 * pl.col("var_g") + pl.col("s2")
    if extra_variance is not None:
        variance = variance + extra_variance
    frame = cells.with_columns(log_mean.alias("log_projected"), variance.alias("log_variance"))
    sd = pl.col("log_variance").sqrt()
    return frame.with_columns(
        pl.col("log_projected").exp().alias("projected"),
        (pl.col("log_projected") - Z90 * sd).exp().alias("pi_low"),
        (pl.col("log_projected") + Z90 * sd).exp().alias("pi_high"),
        (pl.col("log_projected") - Z80 * sd).exp().alias("pi80_low"),
        (pl.col("log_projected") + Z80 * sd).exp().alias("pi80_high"),
    )


# ---------------------------------------------------------------------------------------------
# projections and backtests
# ---------------------------------------------------------------------------------------------


def project_cells(years: pl.DataFrame, params: ProjectionParams, full_year: int) -> pl.DataFrame:
    """The `projections` table: next year's median per cell from all its usable years."""
    if years.height == 0:
        return _empty_projections()
    fitted = fit_model(years, params)
    target = pl.col("last_year") + 1
    out = _forecast(fitted, target.cast(pl.Float64), params.level_persistence)
    return (
        out.select(
            pl.col("role_label"),
            pl.col("region"),
            pl.col("role_level"),
            pl.col("region_level"),
            pl.col("country_code"),
            pl.col("last_year").alias("base_year"),
            pl.when(pl.col("last_year") == full_year)
            .then(pl.lit("last_full_year"))
            .otherwise(pl.lit("last_observed_year"))
            .alias("base_year_source"),
            target.cast(pl.Int32).alias("target_year"),
            pl.col("last_median").alias("baseline"),
            pl.col("last_n").alias("baseline_n"),
            pl.col("projected"),
            pl.col("pi_low"),
            pl.col("pi_high"),
            pl.col("pi80_low"),
            pl.col("pi80_high"),
            pl.col("currency"),
            pl.lit(MODEL_NAME).alias("model"),
            (pl.col("g").exp() - 1).alias("growth_rate"),
            pl.col("var_g").sqrt().alias("growth_log_se"),
            pl.col("growth_source"),
            pl.col("shrink_weight"),
            pl.col("k").cast(pl.Int32).alias("n_years"),
            pl.col("s2").sqrt().alias("residual_sd"),
        )
        .sort(CELL)
    )


def backtest_cells(years: pl.DataFrame, params: ProjectionParams) -> pl.DataFrame:
    """The `backtests` table: each cell's last usable year predicted from the years before it.

    The whole model is refitted on the truncated history. `covered_90` uses the 90 % interval
    widened by the held-out median's own sampling variance, since the actual is itself an
    estimate; `pi_low`/`pi_high` here are that widened interval.
    """
    last = years.group_by(CELL).agg(pl.col("year").max().alias("holdout_year"), pl.len().alias("k_all"))
    holdout = (
        years.join(last, on=CELL, how="inner")
        .filter((pl.col("year") == pl.col("holdout_year")) & (pl.col("k_all") >= 2))
        .select(CELL + ["holdout_year", pl.col("median").alias("actual"), pl.col("n").alias("actual_n"), pl.col("v").alias("actual_v")])
    )
    if holdout.height == 0:
        return _empty_backtests()
    # in (cell, year) order like `years`: the fit's per-cell window sums add rows in frame order
    train = years.join(holdout.select(CELL + [pl.col("holdout_year").alias("year")]), on=[*CELL, "year"], how="anti",
                       maintain_order="left")
    fitted = fit_model(train, params).join(holdout, on=CELL, how="inner")
    out = _forecast(
        fitted, pl.col("holdout_year").cast(pl.Float64), params.level_persistence, extra_variance=pl.col("actual_v")
    )
    pct = lambda predicted: ((predicted - pl.col("actual")).abs() / pl.col("actual") * 100.0)  # noqa: E731
    return (
        out.select(
            pl.col("role_label"),
            pl.col("region"),
            pl.col("role_level"),
            pl.col("region_level"),
            pl.col("country_code"),
            pl.col("holdout_year").cast(pl.Int32).alias("holdout_year"),
            pl.col("last_year").cast(pl.Int32).alias("base_year"),
            pl.col("projected").alias("predicted"),
            pl.col("actual"),
            pl.col("actual_n"),
            pl.col("last_median").alias("naive_predicted"),
            pct(pl.col("projected")).alias("abs_pct_error"),
            pct(pl.col("last_median")).alias("naive_abs_pct_error"),
            pl.col("pi_low"),
            pl.col("pi_high"),
            ((pl.col("actual") >= pl.col("pi_low")) & (pl.col("actual") <= pl.col("pi_high"))).alias("covered_90"),
            pl.col("currency"),
            pl.lit(MODEL_NAME).alias("model"),
            pl.col("growth_source"),
            pl.col("k").cast(pl.Int32).alias("n_years"),
        )
        .sort([*CELL, "holdout_year"])
    )


_PROJECTION_SCHEMA = {
    "role_label": pl.String, "region": pl.String, "role_level": pl.String, "region_level": pl.String,
    "country_code": pl.String, "base_year": pl.Int32, "base_year_source": pl.String, "target_year": pl.Int32,
    "baseline": pl.Float64, "baseline_n": pl.Int64, "projected": pl.Float64, "pi_low": pl.Float64,
    "pi_high": pl.Float64, "pi80_low": pl.Float64, "pi80_high": pl.Float64, "currency": pl.String,
    "model": pl.String, "growth_rate": pl.Float64, "growth_log_se": pl.Float64, "growth_source": pl.String,
    "shrink_weight": pl.Float64, "n_years": pl.Int32, "residual_sd": pl.Float64,
}
_BACKTEST_SCHEMA = {
    "role_label": pl.String, "region": pl.String, "role_level": pl.String, "region_level": pl.String,
    "country_code": pl.String, "holdout_year": pl.Int32, "base_year": pl.Int32, "predicted": pl.Float64,
    "actual": pl.Float64, "actual_n": pl.Int64, "naive_predicted": pl.Float64, "abs_pct_error": pl.Float64,
    "naive_abs_pct_error": pl.Float64, "pi_low": pl.Float64, "pi_high": pl.Float64, "covered_90": pl.Boolean,
    "currency": pl.String, "model": pl.String, "growth_source": pl.String, "n_years": pl.Int32,
}


def _empty_projections() -> pl.DataFrame:
    """An empty `projections` table with its full schema."""
    return pl.DataFrame(schema=_PROJECTION_SCHEMA)


def _empty_backtests() -> pl.DataFrame:
    """An empty `backtests` table with its full schema."""
    return pl.DataFrame(schema=_BACKTEST_SCHEMA)
