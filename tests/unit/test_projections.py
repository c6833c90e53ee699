"""Projections and backtests on simulated role_region_stats frames with a known log-linear truth."""
from __future__ import annotations

import math
from datetime import date

import numpy as np
import polars as pl
import pytest

from transforms import projections as proj

AS_OF = date(2025, 3, 1)  # last full year 2024
YEARS = list(range(2019, 2025))
NO_ROOT_PRIOR = proj.params_from_settings(None, root_growth_prior=None)
LOG_SD = 0.4  # spread of log pay inside a cell; the median's standard error is 1.2533 * LOG_SD / sqrt(n)


def simulate_market(seed: int, shock_sd: float = 0.01, n_roles: int = 10, n_countries: int = 5, n_subdivisions: int = 3):
    """A stats frame and the truth behind it.

    True log median of a cell: a + g * (year - 2019) + shock_year, g = 3 % + role effect + region
    effect + a little cell noise (so the two-way hierarchy is roughly right), shocks independent
    per cell-year with sd `shock_sd`. Observed medians add the sampling error of a median of n
    log-normal draws; the CI is the matching 95 % normal interval on the log scale.
    Returns (stats, truth) where truth has the true growth and the true median of 2025.
    """
    rng = np.random.default_rng(seed)
    roles = [proj.ALL_ROLES] + [f"Role {i}" for i in range(n_roles)]
    role_effect = {role: 0.0 if role == proj.ALL_ROLES else rng.normal(0, 0.015) for role in roles}
    regions = [(proj.WORLD, "world", None)]
    region_effect = {proj.WORLD: 0.0}
    for c in range(n_countries):
        country = f"Country {c}"
        regions.append((country, "country", proj.WORLD))
        region_effect[country] = rng.normal(0, 0.015)
        for s in range(n_subdivisions):
            subdivision = f"Province {s}, {country}"
            regions.append((subdivision, "subdivision", country))
            region_effect[subdivision] = region_effect[country] + rng.normal(0, 0.005)
    stats_rows, truth_rows = [], []
    for role in roles:
        for region, level, parent in regions:
            growth = 0.03 + role_effect[role] + region_effect[region] + rng.normal(0, 0.003)
            intercept = math.log(80_000) + rng.normal(0, 0.3)
            shocks = rng.normal(0, shock_sd, len(YEARS) + 1)
            size = 100 if level == "world" else int(rng.choice([1, 5, 50]))
            for i, year in enumerate([*YEARS, YEARS[-1] + 1]):
                true_log = intercept + growth * (year - YEARS[0]) + shocks[i]
                if year > YEARS[-1]:
                    truth_rows.append({"role_label": role, "region": region, "true_growth": growth, "true_next": math.exp(true_log)})
                    continue
                n = int(rng.integers(20, 2000) * size / 10) + 5
                se = 1.2533 * LOG_SD / math.sqrt(n)
                observed = true_log + rng.normal(0, se)
                stats_rows.append(
                    {
                        "role_label": role,
                        "role_level": "all" if role == proj.ALL_ROLES else "role",
                        "role_name": role,
                        "region": region,
                        "region_level": level,
                        "parent_region": parent,
                        "country_code": None,
                        "year": year,
                        "n": n,
                        "median": math.exp(observed),
                        "median_ci_low": math.exp(observed - 1.96 * se),
                        "median_ci_high": math.exp(observed + 1.96 * se),
                        "currency": "USD",
                    }
                )
    return pl.DataFrame(stats_rows), pl.DataFrame(truth_rows)


@pytest.fixture(scope="module")
def market():
    """Three simulated markets (about 900 cells), projected and backtested once for the module."""
    results = []
    for seed in (11, 12, 13):
        stats, truth = simulate_market(seed)
        projections, backtests = proj.build_projections(stats, AS_OF)
        results.append((stats, truth, projections, backtests))
    return results


def test_projection_recovers_the_simulated_growth(market):
    errors = []
    for _, truth, projections, _ in market:
        joined = projections.join(truth, on=proj.CELL, how="inner")
        assert joined.height == truth.height
        errors.append((joined["growth_rate"].log1p() - joined["true_growth"]).abs().to_numpy())
    errors = np.concatenate(errors)
    # the spread of true growth across cells is ~2.2 %; the estimates must be far tighter
    assert np.median(errors) < 0.005
    assert np.quantile(errors, 0.9) < 0.012


def test_90_and_80_percent_intervals_cover_the_true_next_year_median_at_nominal_rates(market):
    covered_90, covered_80 = [], []
    for _, truth, projections, _ in market:
        joined = projections.join(truth, on=proj.CELL, how="inner")
        covered_90.append(((joined["true_next"] >= joined["pi_low"]) & (joined["true_next"] <= joined["pi_high"])).to_numpy())
        covered_80.append(((joined["true_next"] >= joined["pi80_low"]) & (joined["true_next"] <= joined["pi80_high"])).to_numpy())
    assert 0.85 <= np.concatenate(covered_90).mean() <= 0.95
    assert 0.74 <= np.concatenate(covered_80).mean() <= 0.86


def test_the_trends_90_percent_interval_covers_the_true_growth(market):
    """Reports call a market median rising or falling when the trend's 90 % interval, exp(ln(1 + growth_rate)
    -+ 1.645 growth_log_se) - 1, excludes zero, and they print that interval: it must cover the true growth
    about as often as it says (91-94 % of the ~700 simulated cells here)."""
    covered = []
    for _, truth, projections, _ in market:
        joined = projections.join(truth, on=proj.CELL, how="inner")
        log_growth = np.log1p(joined["growth_rate"].to_numpy())
        covered.append(np.abs(log_growth - joined["true_growth"].to_numpy())
                       <= proj.Z90 * joined["growth_log_se"].to_numpy())
    covered = np.concatenate(covered)
    assert covered.size > 600
    assert 0.85 <= covered.mean() <= 0.97


def test_intervals_cover_the_market_median_and_need_the_sampling_error_to_cover_an_observed_one(market):
    """What the reports say about the intervals must hold. They are for the market (true) median; a median
    observed from next year's data points adds its own sampling error, so in thin cells the interval
    covers it far less often than 90 %; widened by that error (as the backtests widen theirs) it covers
    the observed median at the nominal rate again."""
    rng = np.random.default_rng(2026)
    market_cov, plain_cov, widened_cov = [], [], []
    for stats, truth, projections, _ in market:
        base_n = stats.filter(pl.col("year") == YEARS[-1]).select(*proj.CELL, "n")
        joined = projections.join(truth, on=proj.CELL).join(base_n, on=proj.CELL)
        log_projected = np.log(joined["projected"].to_numpy())
        sd = (np.log(joined["pi_high"].to_numpy()) - log_projected) / proj.Z90
        se = 1.2533 * LOG_SD / np.sqrt(joined["n"].to_numpy())  # next year's median from as many points
        thin = se > sd
        true_log = np.log(joined["true_next"].to_numpy())
        observed_log = true_log + rng.normal(0.0, se)
        market_cov.append((np.abs(true_log - log_projected) <= proj.Z90 * sd)[thin])
        plain_cov.append((np.abs(observed_log - log_projected) <= proj.Z90 * sd)[thin])
        widened_cov.append((np.abs(observed_log - log_projected) <= proj.Z90 * np.sqrt(sd**2 + se**2))[thin])
    market_cov, plain_cov, widened_cov = (np.concatenate(c) for c in (market_cov, plain_cov, widened_cov))
    assert market_cov.size > 150
    assert 0.85 <= market_cov.mean() <= 0.96
    assert plain_cov.mean() < 0.75
    assert 0.85 <= widened_cov.mean() <= 0.95


def test_projection_beats_carrying_the_base_year_forward_against_the_truth(market):
    for _, truth, projections, _ in market:
        joined = projections.join(truth, on=proj.CELL, how="inner")
        model = ((joined["projected"] / joined["true_next"]) - 1).abs().median()
        naive = ((joined["baseline"] / joined["true_next"]) - 1).abs().median()
        assert model < 0.6 * naive


def test_residual_year_to_year_variance_is_estimated_near_the_simulated_shock_size(market):
    for _, _, projections, _ in market:
        assert projections["residual_sd"].median() == pytest.approx(0.01, abs=0.004)


def test_backtest_naive_error_exceeds_model_error_when_there_is_a_trend(market):
    for _, _, _, backtests in market:
        summary = proj.backtest_summary(backtests)
        assert summary["cells"] == backtests.height > 0
        assert summary["naive_median_abs_pct_error"] > 1.3 * summary["median_abs_pct_error"]
        assert 0.85 <= summary["coverage_90"] <= 0.97


def test_backtest_errors_match_an_independent_computation_from_the_stats(market):
    stats, _, _, backtests = market[0]
    ordered = stats.sort([*proj.CELL, "year"])
    last_two = ordered.group_by(proj.CELL).agg(
        pl.col("year").last().alias("holdout_year"),
        pl.col("median").last().alias("expected_actual"),
        pl.col("median").reverse().get(1).alias("expected_naive"),
    )
    joined = backtests.join(last_two, on=proj.CELL, how="inner")
    assert joined.height == backtests.height == last_two.height
    assert (joined["holdout_year"] == joined["holdout_year_right"]).all()
    np.testing.assert_allclose(joined["actual"], joined["expected_actual"], rtol=1e-12)
    np.testing.assert_allclose(joined["naive_predicted"], joined["expected_naive"], rtol=1e-12)
    actual = joined["expected_actual"].to_numpy()
    np.testing.assert_allclose(joined["abs_pct_error"], np.abs(joined["predicted"].to_numpy() - actual) / actual * 100, rtol=1e-9)
    np.testing.assert_allclose(joined["naive_abs_pct_error"], np.abs(joined["expected_naive"].to_numpy() - actual) / actual * 100, rtol=1e-9)
    inside = (actual >= joined["pi_low"].to_numpy()) & (actual <= joined["pi_high"].to_numpy())
    assert (joined["covered_90"].to_numpy() == inside).all()


@pytest.mark.parametrize("as_of, full_year", [(date(2024, 12, 30), 2023), (date(2024, 12, 31), 2024),
                                               (date(2025, 1, 1), 2024), (date(2025, 3, 1), 2024)])
def test_a_year_is_full_from_its_last_day_on(as_of, full_year):
    """As demand_signals' is_complete counts it: data through Dec 31 make the year full."""
    assert proj.last_full_year(as_of) == full_year


def test_projections_as_of_new_years_eve_start_from_that_year(market):
    stats = market[0][0]
    on_the_day, next_day = (proj.build_projections(stats, day)[0] for day in (date(2024, 12, 31), date(2025, 1, 1)))
    assert on_the_day.equals(next_day)
    assert set(on_the_day["target_year"].to_list()) == {2025}
    assert (proj.build_projections(stats, date(2024, 12, 30))[0]["target_year"] == 2024).all()


def test_backtest_refits_without_the_held_out_year(market):
    stats, _, _, backtests = market[0]
    holdout = 2024
    truncated = stats.filter(pl.col("year") < holdout)
    # projecting from the truncated history as of 2024 must give exactly the backtest's predictions
    projections, _ = proj.build_projections(truncated, date(holdout, 6, 1))
    joined = backtests.join(projections, on=proj.CELL, how="inner")
    assert joined.height == backtests.height
    assert (joined["target_year"] == holdout).all()
    np.testing.assert_allclose(joined["predicted"], joined["projected"], rtol=1e-9)


def test_a_thin_world_cell_with_one_year_takes_its_parents_growth_and_says_so(market):
    stats, _, _, _ = market[0]
    thin = {
        "role_label": "Senior Role 0", "role_level": "role_label", "role_name": "Role 0", "region": proj.WORLD,
        "region_level": "world", "parent_region": None, "country_code": None, "year": 2024, "n": 40,
        "median": 101_000.0, "median_ci_low": 90_000.0, "median_ci_high": 112_000.0, "currency": "USD",
    }
    projections, _ = proj.build_projections(pl.concat([stats, pl.DataFrame([thin])], how="vertical_relaxed"), AS_OF)
    cell = projections.filter((pl.col("role_label") == "Senior Role 0") & (pl.col("region") == proj.WORLD)).row(0, named=True)
    parent = projections.filter((pl.col("role_label") == "Role 0") & (pl.col("region") == proj.WORLD)).row(0, named=True)
    assert cell["n_years"] == 1
    assert cell["growth_source"] == "parent:Role 0 | World"
    assert cell["growth_rate"] == pytest.approx(parent["growth_rate"], rel=1e-12)
    assert cell["baseline"] == 101_000.0
    assert cell["projected"] == pytest.approx(101_000.0 * (1 + parent["growth_rate"]), rel=1e-9)
    # its interval is wider than the parent's, relative to the level
    assert cell["pi_high"] / cell["projected"] > parent["pi_high"] / parent["projected"]


def test_a_thin_province_cell_takes_the_role_growth_of_its_country_adjusted_by_the_province(market):
    stats, _, _, _ = market[0]
    province, country = "Province 0, Country 0", "Country 0"
    role = "Role 3"
    thinned = stats.filter(~((pl.col("role_label") == role) & (pl.col("region") == province) & (pl.col("year") < 2023)))
    projections, _ = proj.build_projections(thinned, AS_OF)

    def log_growth(role_label: str, region: str) -> float:
        row = projections.filter((pl.col("role_label") == role_label) & (pl.col("region") == region)).row(0, named=True)
        return math.log1p(row["growth_rate"])

    cell = projections.filter((pl.col("role_label") == role) & (pl.col("region") == province)).row(0, named=True)
    expected = log_growth(role, country) + log_growth(proj.ALL_ROLES, province) - log_growth(proj.ALL_ROLES, country)
    assert cell["n_years"] == 2
    assert cell["growth_source"].startswith(f"parent:{role} | {country}")
    assert math.log1p(cell["growth_rate"]) == pytest.approx(expected, rel=1e-9)


def test_exactly_log_linear_medians_are_extrapolated_exactly():
    years = [2020, 2021, 2022, 2023, 2024]
    stats = pl.DataFrame(
        {
            "role_label": proj.ALL_ROLES, "region": proj.WORLD, "year": years, "n": 10_000,
            "median": [100_000.0 * 1.04 ** (y - 2020) for y in years],
        }
    )
    projections, backtests = proj.build_projections(stats, AS_OF, params=NO_ROOT_PRIOR)
    row = projections.row(0, named=True)
    assert row["growth_source"] == "cell"
    assert row["growth_rate"] == pytest.approx(0.04, rel=1e-9)
    assert row["projected"] == pytest.approx(100_000.0 * 1.04**5, rel=1e-9)
    assert (row["base_year"], row["target_year"], row["base_year_source"]) == (2024, 2025, "last_full_year")
    assert backtests["abs_pct_error"][0] == pytest.approx(0.0, abs=1e-7)
    assert backtests["naive_abs_pct_error"][0] == pytest.approx(100 * (1 - 1 / 1.04), rel=1e-9)


def test_a_single_cell_slope_is_the_inverse_variance_weighted_least_squares_fit():
    years = np.array([2019, 2020, 2021, 2022, 2023, 2024])
    medians = np.array([70_000, 74_500, 74_000, 79_000, 80_500, 86_000], dtype=float)
    n = np.array([40, 400, 60, 800, 90, 1000])
    stats = pl.DataFrame({"role_label": proj.ALL_ROLES, "region": proj.WORLD, "year": years, "n": n, "median": medians})
    projections, _ = proj.build_projections(stats, AS_OF, params=NO_ROOT_PRIOR)
    row = projections.row(0, named=True)
    # independent: numpy polyfit with weights sqrt(1 / (v + s2)); v from the default spread
    v = (math.pi / 2) * proj.ProjectionParams().default_log_sd**2 / n
    weights = 1.0 / (v + row["residual_sd"] ** 2)
    slope, intercept = np.polyfit(years - 2024, np.log(medians), 1, w=np.sqrt(weights))
    assert math.log1p(row["growth_rate"]) == pytest.approx(slope, rel=1e-9)
    assert row["projected"] == pytest.approx(math.exp(intercept + slope), rel=1e-9)


def test_a_short_noisy_root_trend_is_shrunk_toward_the_prior_growth():
    years = [2021, 2022, 2023]
    medians = [84_000.0, 131_000.0, 145_000.0]  # aijobs-like composition jumps
    n = [218, 1660, 8522]
    stats = pl.DataFrame({"role_label": proj.ALL_ROLES, "region": proj.WORLD, "year": years, "n": n, "median": medians})
    free = proj.build_projections(stats, AS_OF, params=NO_ROOT_PRIOR)[0].row(0, named=True)
    shrunk = proj.build_projections(stats, AS_OF)[0].row(0, named=True)
    params = proj.ProjectionParams()
    # independent: precision-weighted mean of the free slope and the prior
    free_slope, free_var = math.log1p(free["growth_rate"]), free["growth_log_se"] ** 2
    weight = params.root_growth_prior_sd**2 / (params.root_growth_prior_sd**2 + free_var)
    expected = weight * free_slope + (1 - weight) * params.root_growth_prior
    assert free_slope > 0.2
    assert shrunk["growth_source"] == "shrunk:prior"
    assert math.log1p(shrunk["growth_rate"]) == pytest.approx(expected, rel=1e-9)
    assert shrunk["growth_log_se"] ** 2 == pytest.approx(weight * free_var, rel=1e-9)


def test_level_persistence_carries_the_base_years_own_shock_into_the_projection():
    years = [2019, 2020, 2021, 2022, 2023, 2024]
    medians = [100.0, 103.0, 109.0, 106.0, 112.0, 125.0]  # a jump in the base year
    n = [300] * 6
    stats = pl.DataFrame({"role_label": proj.ALL_ROLES, "region": proj.WORLD, "year": years, "n": n, "median": medians})
    trend = proj.build_projections(stats, AS_OF, params=NO_ROOT_PRIOR)[0].row(0, named=True)
    persistent_params = proj.params_from_settings(None, root_growth_prior=None, level_persistence=1.0)
    persistent = proj.build_projections(stats, AS_OF, params=persistent_params)[0].row(0, named=True)
    s2 = trend["residual_sd"] ** 2
    v = (math.pi / 2) * proj.ProjectionParams().default_log_sd**2 / 300
    trend_at_base = math.log(trend["projected"]) - math.log1p(trend["growth_rate"])
    expected_shift = s2 / (s2 + v) * (math.log(125.0) - trend_at_base)
    assert s2 > 0 and expected_shift > 0
    assert math.log(persistent["projected"] / trend["projected"]) == pytest.approx(expected_shift, rel=1e-9)
    assert persistent["growth_rate"] == trend["growth_rate"]


def test_the_partial_current_year_and_thin_years_are_ignored():
    years = [2021, 2022, 2023, 2024]
    base = pl.DataFrame(
        {"role_label": proj.ALL_ROLES, "region": proj.WORLD, "year": years, "n": 500, "median": [100.0, 103.0, 106.0, 109.0]}
    )
    noisy = pl.concat(
        [
            base,
            pl.DataFrame({"role_label": [proj.ALL_ROLES], "region": [proj.WORLD], "year": [2025], "n": [900], "median": [500.0]}),
        ],
        how="vertical_relaxed",
    ).with_columns(pl.when(pl.col("year") == 2021).then(pl.lit(3)).otherwise(pl.col("n")).alias("n"))
    reference, _ = proj.build_projections(base.filter(pl.col("year") > 2021), AS_OF)
    result, _ = proj.build_projections(noisy, AS_OF)
    assert result.row(0, named=True)["n_years"] == 3
    assert result.drop("residual_sd").equals(reference.drop("residual_sd"))


def test_a_cell_without_the_last_full_year_projects_from_its_last_year_and_says_so():
    stats = pl.DataFrame(
        {"role_label": proj.ALL_ROLES, "region": proj.WORLD, "year": [2020, 2021, 2022], "n": 500, "median": [100.0, 103.0, 106.0]}
    )
    projections, _ = proj.build_projections(stats, AS_OF)
    row = projections.row(0, named=True)
    assert (row["base_year"], row["target_year"], row["base_year_source"]) == (2022, 2023, "last_observed_year")
    assert row["baseline"] == 106.0


def test_intervals_are_nested_around_the_projection(market):
    _, _, projections, _ = market[0]
    assert (projections["pi_low"] < projections["pi80_low"]).all()
    assert (projections["pi80_low"] < projections["projected"]).all()
    assert (projections["projected"] < projections["pi80_high"]).all()
    assert (projections["pi80_high"] < projections["pi_high"]).all()
    assert (projections["model"] == proj.MODEL_NAME).all()


def test_output_is_deterministic_sorted_and_independent_of_input_order(market):
    stats, _, projections, backtests = market[0]
    before = stats.clone()
    shuffled = stats.sample(fraction=1.0, shuffle=True, seed=5)
    again, again_backtests = proj.build_projections(shuffled, AS_OF)
    assert stats.equals(before)
    assert again.equals(projections)
    assert again_backtests.equals(backtests)
    assert projections.equals(projections.sort(proj.CELL))


def test_repeated_runs_on_the_same_stats_are_identical_to_the_last_bit():
    """Same input, same bits (before the published 9-digit rounding): on Polars' default engine the
    per-cell window sums and the tau^2 group means added floats in a varying order, and ~450 of the
    1M market's backtests differed at 1e-9 in abs_pct_error between runs; here 3 of 4 reruns
    differed on the old code."""
    stats, _ = simulate_market(21)
    projections, backtests = proj.build_projections(stats, AS_OF)
    for _ in range(10):
        again, again_backtests = proj.build_projections(stats, AS_OF)
        assert again.equals(projections)
        assert again_backtests.equals(backtests)


def test_duplicate_cell_years_are_refused():
    stats = pl.DataFrame({"role_label": "All roles", "region": "World", "year": [2023, 2023], "n": 50, "median": [1.0, 2.0]})
    with pytest.raises(ValueError, match="more than one row"):
        proj.build_projections(stats, AS_OF)


def test_backtest_summary_is_the_median_errors_and_coverage():
    backtests = pl.DataFrame(
        {
            "abs_pct_error": [1.0, 2.0, 10.0, 4.0],
            "naive_abs_pct_error": [3.0, 5.0, 6.0, 9.0],
            "covered_90": [True, True, False, True],
        }
    )
    assert proj.backtest_summary(backtests) == {
        "median_abs_pct_error": 3.0,
        "naive_median_abs_pct_error": 5.5,
        "coverage_90": 0.75,
        "cells": 4,
    }
    assert proj.backtest_summary(backtests.head(0))["cells"] == 0


def test_settings_fields_named_projection_override_the_defaults():
    class FakeSettings:
        projection_min_n = 25

    assert proj.params_from_settings(FakeSettings()).min_n == 25
    assert proj.params_from_settings(None).min_n == proj.ProjectionParams().min_n
