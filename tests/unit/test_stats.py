"""role_region_stats: membership roll-ups, quantiles, median interval, reliability, shrinkage.

Every input frame is built here, explicitly, from seeded numpy draws.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from market_intel.settings import get_settings
from transforms import stats

KEY = ["role_label", "region", "year"]
PLACES = [
    # country_code, country, currency, fx (local per USD), subdivision, city
    ("CA", "Canada", "CAD", 1.35, "Ontario, Canada", "Toronto, Ontario, Canada"),
    ("CA", "Canada", "CAD", 1.35, "Ontario, Canada", "Ottawa, Ontario, Canada"),
    ("CA", "Canada", "CAD", 1.35, "Quebec, Canada", "Montréal, Quebec, Canada"),
    ("CA", "Canada", "CAD", 1.35, "Quebec, Canada", None),
    ("US", "United States", "USD", 1.0, "California, United States", "San Francisco, California, United States"),
    ("US", "United States", "USD", 1.0, "New York, United States", "New York, New York, United States"),
    ("DE", "Germany", "EUR", 0.92, None, None),
]
ROLES = ["Data Scientist", "Machine Learning Manager", "Data Engineer"]
SENIORITIES = ["Junior", "Mid", "Senior", None]
SENIORITY_PREFIX = {"Junior": "Junior", "Mid": "Mid-level", "Senior": "Senior"}


def simulated_observations(rows: int = 6000, seed: int = 11) -> pl.DataFrame:
    """Observations with the columns the stats SQL reads: 7 places, 3 roles, 4 seniorities, 2 years."""
    rng = np.random.default_rng(seed)
    place = rng.integers(0, len(PLACES), rows)
    role = rng.integers(0, len(ROLES), rows)
    seniority = rng.integers(0, len(SENIORITIES), rows)
    pay_usd = np.exp(rng.normal(11.4 + 0.15 * role + 0.1 * seniority, 0.35))
    # ties on purpose: a quarter of the amounts are rounded to 1000 (quantiles must agree with ties)
    pay_usd = np.where(rng.random(rows) < 0.25, np.round(pay_usd, -3), pay_usd)
    seniority_names = [SENIORITIES[s] for s in seniority]
    role_names = [ROLES[r] for r in role]
    return pl.DataFrame({
        "kind": np.where(rng.random(rows) < 0.5, "job_posting", "salary_report"),
        "role": [r.lower().replace(" ", "_") for r in role_names],
        "role_name": role_names,
        "seniority": seniority_names,
        "role_label": [f"{SENIORITY_PREFIX[s]} {r}" if s else r for s, r in zip(seniority_names, role_names)],
        "country_code": [PLACES[p][0] for p in place],
        "country": [PLACES[p][1] for p in place],
        "subdivision": [PLACES[p][4] for p in place],
        "city": [PLACES[p][5] for p in place],
        "year": (2024 + rng.integers(0, 2, rows)).astype(np.int32),
        "currency_local": [PLACES[p][2] for p in place],
        "pay_annual_usd": pay_usd,
        # a few rows without a local amount (no ECB rate for the local currency): World only
        "pay_annual_local": np.where(rng.random(rows) < 0.03, np.nan, pay_usd * np.array([PLACES[p][3] for p in place])),
        "is_outlier": rng.random(rows) < 0.02,
    }, schema_overrides={"seniority": pl.String, "subdivision": pl.String, "city": pl.String}).with_columns(
        pl.col("pay_annual_local").fill_nan(None).alias("pay_annual_local"))


@pytest.fixture(scope="module")
def observations() -> pl.DataFrame:
    return simulated_observations()


@pytest.fixture(scope="module")
def role_region_stats(observations) -> pl.DataFrame:
    return stats.build_role_region_stats(observations, get_settings())


def independent_cells(observations: pl.DataFrame) -> pl.DataFrame:
    """The same cells recomputed with Polars, one group_by per role level x region level."""
    kept = observations.filter(~pl.col("is_outlier"))
    role_levels = {
        "role_label": (pl.col("seniority").is_not_null(), pl.col("role_label")),
        "role": (pl.lit(True), pl.col("role_name")),
        "all": (pl.lit(True), pl.lit("All roles")),
    }
    region_levels = {
        "city": (pl.col("city"), pl.col("pay_annual_local")),
        "subdivision": (pl.col("subdivision"), pl.col("pay_annual_local")),
        "country": (pl.col("country"), pl.col("pay_annual_local")),
        "world": (pl.lit("World"), pl.col("pay_annual_usd")),
    }
    parts = []
    for role_filter, role_expr in role_levels.values():
        for region_expr, pay_expr in region_levels.values():
            part = (
                kept.filter(role_filter)
                .with_columns(role_expr.alias("role_label"), region_expr.alias("region"), pay_expr.alias("pay"))
                .filter(pl.col("region").is_not_null() & pl.col("pay").is_not_null())
                .group_by(KEY)
                .agg(
                    pl.len().cast(pl.Int64).alias("n"),
                    pl.col("pay").mean().alias("mean"),
                    *[pl.col("pay").quantile(q, interpolation="linear").alias(name)
                      for q, name in [(0.1, "p10"), (0.25, "p25"), (0.5, "median"), (0.75, "p75"), (0.9, "p90")]],
                    pl.col("pay_annual_usd").median().alias("median_usd"),
                    pl.col("pay_annual_usd").mean().alias("mean_usd"),
                )
            )
            parts.append(part)
    return pl.concat(parts).sort(KEY)


def test_every_cell_matches_an_independent_polars_recomputation(observations, role_region_stats):
    expected = independent_cells(observations)
    actual = role_region_stats.select(expected.columns).sort(KEY)
    assert actual.select(KEY).equals(expected.select(KEY))
    assert actual["n"].to_list() == expected["n"].to_list()
    for column in ["mean", "p10", "p25", "median", "p75", "p90", "median_usd", "mean_usd"]:
        np.testing.assert_allclose(actual[column].to_numpy(), expected[column].to_numpy(), rtol=1e-9,
                                   err_msg=column)


def test_roll_ups_cover_every_role_and_region_level_with_world_in_usd(role_region_stats):
    levels = set(role_region_stats.select("role_level", "region_level").unique().iter_rows())
    assert levels == {(r, g) for r in ("role_label", "role", "all") for g in ("city", "subdivision", "country", "world")}
    world = role_region_stats.filter(pl.col("region") == "World")
    assert world["currency"].unique().to_list() == ["USD"]
    assert world["parent_region"].is_null().all()
    assert (world["median"] == world["median_usd"]).all()
    canada = role_region_stats.filter(pl.col("region") == "Canada")
    assert canada["currency"].unique().to_list() == ["CAD"]
    assert canada["parent_region"].unique().to_list() == ["World"]
    montreal = role_region_stats.filter(pl.col("region") == "Montréal, Quebec, Canada")
    assert montreal["parent_region"].unique().to_list() == ["Quebec, Canada"]
    # an observation without seniority never creates a seniority-labelled cell
    assert role_region_stats.filter(pl.col("role_level") == "role_label")["seniority"].is_not_null().all()


def test_rows_without_local_pay_count_in_world_cells_only(observations, role_region_stats):
    kept = observations.filter(~pl.col("is_outlier"))
    assert kept["pay_annual_local"].null_count() > 0
    world = role_region_stats.filter((pl.col("role_label") == "All roles") & (pl.col("region") == "World"))
    assert world["n"].sum() == kept.height
    countries = role_region_stats.filter((pl.col("role_label") == "All roles") & (pl.col("region_level") == "country"))
    assert countries["n"].sum() == kept["pay_annual_local"].count()


def test_outlier_rows_do_not_count(observations):
    base = stats.build_role_region_stats(observations, get_settings())
    extreme = observations.head(1).with_columns(pl.lit(1e9).alias("pay_annual_usd"),
                                                pl.lit(1e9).alias("pay_annual_local"),
                                                pl.lit(True).alias("is_outlier"))
    with_outlier = stats.build_role_region_stats(pl.concat([observations, extreme]), get_settings())
    assert with_outlier.equals(base)


def test_median_interval_ranks_match_the_published_binomial_table():
    # Conover, Practical Nonparametric Statistics, table of binomial ranks for the median (95 %)
    low, high = stats.median_ci_ranks(np.array([5, 6, 10, 20, 100]))
    assert low.tolist() == [0, 1, 2, 6, 40]
    assert high.tolist() == [0, 6, 9, 15, 61]


def test_median_interval_of_small_cells_is_exactly_the_binomial_order_statistics(observations, role_region_stats):
    small = role_region_stats.filter((pl.col("n") <= stats.CI_EXACT_MAX_N) & (pl.col("n") >= 6)
                                     & (pl.col("region_level") == "city") & (pl.col("role_level") == "role_label"))
    assert small.height > 20
    kept = observations.filter(~pl.col("is_outlier") & pl.col("pay_annual_local").is_not_null())
    for cell in small.head(25).iter_rows(named=True):
        values = np.sort(kept.filter((pl.col("role_label") == cell["role_label"]) & (pl.col("city") == cell["region"])
                                     & (pl.col("year") == cell["year"]))["pay_annual_local"].to_numpy())
        low, high = stats.median_ci_ranks(np.array([len(values)]))
        assert cell["median_ci_low"] == pytest.approx(values[low[0] - 1], rel=1e-12)
        assert cell["median_ci_high"] == pytest.approx(values[high[0] - 1], rel=1e-12)
        assert cell["ci_method"] == stats.CI_METHOD_EXACT


def test_median_interval_covers_the_true_median_about_95_percent_of_the_time():
    """400 cells of lognormal pay with a known median (e^11.5), 200 small and 200 interpolated."""
    rng = np.random.default_rng(5)
    sizes = np.concatenate([rng.integers(12, 60, 200), rng.integers(150, 900, 200)])
    cell = np.repeat(np.arange(len(sizes)), sizes)
    pay = np.exp(rng.normal(11.5, 0.4, len(cell)))
    frame = pl.DataFrame({
        "role_name": "Data Scientist", "seniority": "Senior", "role_label": "Senior Data Scientist",
        "country_code": "US", "country": "United States", "subdivision": None, "city": None,
        "year": (1000 + cell).astype(np.int32), "currency_local": "USD",
        "pay_annual_local": pay, "pay_annual_usd": pay, "is_outlier": False,
    }, schema_overrides={"subdivision": pl.String, "city": pl.String})
    result = stats.build_role_region_stats(frame, get_settings()).filter(
        (pl.col("role_level") == "role_label") & (pl.col("region") == "United States"))
    truth = math.exp(11.5)
    covered = result.select(((pl.col("median_ci_low") <= truth) & (pl.col("median_ci_high") >= truth)).alias("hit"))
    small = covered.filter(result["n"] < 60)["hit"].mean()
    large = covered.filter(result["n"] >= 150)["hit"].mean()
    assert 0.92 <= small <= 0.995
    assert 0.92 <= large <= 0.99


def test_reliability_follows_statistics_canada_cv_thresholds():
    cells = pl.DataFrame({
        "n": [100, 100, 100, 100, 9, 100],
        "median": [100.0] * 6,
        # cv = (high - low) / (2 * 1.96 * median)
        "median_ci_low": [100 - 0.16 * stats.Z_95 * 100, 100 - 0.17 * stats.Z_95 * 100,
                          100 - 0.33 * stats.Z_95 * 100, 100 - 0.34 * stats.Z_95 * 100, 99.0, None],
        "median_ci_high": [100 + 0.16 * stats.Z_95 * 100, 100 + 0.17 * stats.Z_95 * 100,
                           100 + 0.33 * stats.Z_95 * 100, 100 + 0.34 * stats.Z_95 * 100, 101.0, None],
    })
    graded = stats.attach_reliability(cells, min_n=10, cv_publish=0.165, cv_warn=0.333)
    np.testing.assert_allclose(graded["cv"].to_numpy()[:4], [0.16, 0.17, 0.33, 0.34])
    assert graded["reliability"].to_list() == ["publish", "warn", "warn", "suppress", "suppress", "suppress"]


def shrinkage_cells() -> pl.DataFrame:
    """A country parent, four city children (one without an interval), all in the same currency."""
    def half(ci_sd_log, median):
        return median * math.exp(-stats.Z_95 * ci_sd_log), median * math.exp(stats.Z_95 * ci_sd_log)
    rows = [("Canada", "country", "World", 100.0, 0.01)]
    rows += [(f"City {i}, Ontario, Canada", "city", "Canada", m, s)
             for i, (m, s) in enumerate([(120.0, 0.05), (90.0, 0.10), (105.0, 0.30), (150.0, None)])]
    return pl.DataFrame({
        "role_label": "Senior Data Scientist", "role_level": "role_label", "role_name": "Data Scientist",
        "region": [r[0] for r in rows], "region_level": [r[1] for r in rows], "parent_region": [r[2] for r in rows],
        "year": 2025, "median": [r[3] for r in rows], "median_usd": [r[3] / 1.35 for r in rows], "currency": "CAD",
        "median_ci_low": [half(r[4], r[3])[0] if r[4] else None for r in rows],
        "median_ci_high": [half(r[4], r[3])[1] if r[4] else None for r in rows],
    })


def test_shrinkage_weights_follow_the_fay_herriot_method_of_moments_formula():
    shrunk = stats.attach_shrinkage(shrinkage_cells()).sort("region")
    # by hand: y - parent on the log scale, v = sd^2, tau^2 = max(0, mean(gap^2 - v))
    gaps = np.log([120.0, 90.0, 105.0]) - math.log(100.0)
    v = np.array([0.05, 0.10, 0.30]) ** 2
    tau2 = max(0.0, float(np.mean(gaps ** 2 - v)))
    weights = tau2 / (tau2 + v)
    cities = shrunk.filter(pl.col("region_level") == "city")
    np.testing.assert_allclose(cities["shrink_weight"].to_numpy()[:3], weights, rtol=1e-9)
    np.testing.assert_allclose(cities["shrunk_median"].to_numpy()[:3],
                               np.exp(weights * np.log([120.0, 90.0, 105.0]) + (1 - weights) * math.log(100.0)),
                               rtol=1e-9)
    # the city without an interval is pulled all the way to its parent
    no_interval = cities.filter(pl.col("region") == "City 3, Ontario, Canada").row(0, named=True)
    assert no_interval["shrink_weight"] == 0.0
    assert no_interval["shrunk_median"] == pytest.approx(100.0)
    assert cities["shrink_parent"].unique().to_list() == ["Canada"]


def test_a_cell_without_parent_keeps_its_median():
    cells = shrinkage_cells().with_columns(pl.lit("all").alias("role_level"), pl.lit("All roles").alias("role_label"),
                                           pl.lit("World").alias("region"), pl.lit("world").alias("region_level"),
                                           pl.lit(None, dtype=pl.String).alias("parent_region")).head(1)
    shrunk = stats.attach_shrinkage(cells).row(0, named=True)
    assert shrunk["shrink_weight"] == 1.0
    assert shrunk["shrunk_median"] == 100.0
    assert shrunk["shrink_parent"] is None


def test_output_is_sorted_by_key_and_deterministic(observations, role_region_stats):
    assert role_region_stats.equals(role_region_stats.sort(KEY, nulls_last=True))
    assert stats.build_role_region_stats(observations, get_settings()).equals(role_region_stats)
    ordered = role_region_stats.filter(pl.col("n") >= 2)
    assert ((ordered["p10"] <= ordered["p25"]) & (ordered["p25"] <= ordered["median"])
            & (ordered["median"] <= ordered["p75"]) & (ordered["p75"] <= ordered["p90"])).all()


SHRINK_PROBE = '''
import sys
import numpy as np
import polars as pl
from transforms.stats import attach_shrinkage

rng = np.random.default_rng(5)
rows = []
for k in range(100):
    med = float(np.exp(rng.normal(11.5, 0.4)))
    rows.append(dict(role_label=f"R{k}", role_level="role_label", role_name=f"N{k}", region="World",
                     region_level="world", parent_region=None, year=2024, median=med, median_usd=med,
                     currency="USD", median_ci_low=med * 0.97, median_ci_high=med * 1.03))
    for c in range(60):
        m = float(np.exp(rng.normal(11.5, 0.5)))
        half = float(rng.uniform(0.01, 0.4))
        rows.append(dict(role_label=f"R{k}", role_level="role_label", role_name=f"N{k}", region=f"C{c}",
                         region_level="country", parent_region="World", year=2024, median=m, median_usd=m,
                         currency="USD", median_ci_low=m * (1 - half), median_ci_high=m * (1 + half)))
out = attach_shrinkage(pl.DataFrame(rows)).sort("role_label", "region").select("shrink_weight", "shrunk_median")
out.write_parquet(sys.argv[1])
'''
NO_FMA = "glibc.cpu.hwcaps=-AVX2,-FMA,-FMA4,-AVX512F,-AVX"  # glibc's exp/log as on a CPU without FMA or AVX


def test_shrunk_medians_are_the_same_bytes_on_a_cpu_without_fma(tmp_path):
    """exp and log (glibc's, through Polars) differ in the last bit between CPUs with and without FMA
    (e.g. an x86 container under Rosetta or QEMU's default CPU model): 23 shrunk_median cells of the default
    market (and their report claims) had other bytes on such a machine, 3 of these 6,100 cells. Computed as
    there through glibc's hwcaps tunable (where the tunable changes nothing, both runs agree anyway); the
    shrunk median and its weight are published to 12 significant digits (stats.SHRINK_DIGITS)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    (tmp_path / "probe.py").write_text(SHRINK_PROBE)
    outputs = []
    for number, extra in enumerate(({}, {"GLIBC_TUNABLES": NO_FMA})):
        target = tmp_path / f"out{number}.parquet"
        subprocess.run([sys.executable, str(tmp_path / "probe.py"), str(target)], check=True, cwd=root,
                       env={**os.environ, "PYTHONPATH": str(root), **extra})
        outputs.append(pl.read_parquet(target))
    differing = (~outputs[0]["shrunk_median"].eq_missing(outputs[1]["shrunk_median"])).sum()
    assert outputs[0].equals(outputs[1]), f"{differing} shrunk medians differ"


def test_rounded_shrunk_medians_show_the_whole_currency_units_of_the_exact_ones():
    """Kept to 9 significant digits, a 7-digit amount had 2 decimals: 3511390.50376 became 3511390.5 and
    was shown as 35,11,390 (half to even), 7 shown shrunk medians of the default market one unit off.
    Every shrunk median stays within 1e-11 of exp(w ln m + (1 - w) ln parent) and rounds to the same unit."""
    rng = np.random.default_rng(3)
    size = 50_000
    median = np.exp(rng.uniform(np.log(2e4), np.log(5e7), size))
    parent = median * np.exp(rng.normal(0, 0.3, size))
    half = rng.uniform(0.05, 0.4, size)
    cells = pl.DataFrame({
        "role_label": [f"R{i}" for i in range(size)], "role_level": "role_label", "role_name": "N",
        "region": "C", "region_level": "country", "parent_region": "World", "year": 2024,
        "median": median, "median_usd": median, "currency": "USD",
        "median_ci_low": median * (1 - half), "median_ci_high": median * (1 + half)})
    parents = pl.DataFrame({"role_label": [f"R{i}" for i in range(size)], "role_level": "role_label", "role_name": "N",
                            "region": "World", "region_level": "world", "parent_region": None, "year": 2024,
                            "median": parent, "median_usd": parent, "currency": "USD",
                            "median_ci_low": parent * 0.99, "median_ci_high": parent * 1.01})
    out = stats.attach_shrinkage(pl.concat([cells, parents], how="diagonal_relaxed")).filter(
        pl.col("region") == "C", pl.col("shrink_weight") < 1).sort("role_label")
    assert out.height > 1000
    w = out["shrink_weight"].to_numpy()
    exact = np.exp(w * np.log(out["median"].to_numpy()) + (1 - w) * np.log(parent[
        out["role_label"].str.slice(1).cast(pl.Int64).to_numpy()]))
    shown = out["shrunk_median"].to_numpy()
    assert np.max(np.abs(shown / exact - 1)) < 1e-11
    assert [round(v) for v in shown] == [round(v) for v in exact]
