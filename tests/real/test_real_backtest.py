"""Backtest of the last full year (2024) on the aijobs.net salary survey, US and Canadian cells.

The stats frame is built here directly from the raw CSV (salary_in_usd, company_location and an
exact-title role with a few aliases), so the test does not depend on the ingest layer. Every row
counts, including the survey's identical submissions (it has no respondent id). Cells need >= 100
rows in a year for that year to be used. The test checks that the table holds exactly the right
cells and that its numbers agree with an independent computation from the raw rows; it does not
demand a particular accuracy (the survey's composition changes a lot from year to year).
"""
from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from tests.conftest import shared_data
from transforms import projections as proj

AS_OF = date(2025, 1, 19)  # the snapshot date: 2025 is partial, 2024 is the last full year
MIN_ROWS = 100
COUNTRIES = {"US": "United States", "CA": "Canada"}
TITLE_ALIASES = {
    "ML Engineer": "Machine Learning Engineer",
    "Data Science": "Data Scientist",
    "BI Analyst": "Business Intelligence Analyst",
}


@pytest.fixture(scope="module")
def rows() -> pl.DataFrame:
    """One row per survey answer: year, role_label, country code, annual pay in USD."""
    path = shared_data("aijobs-salaries", "salaries_2025-01-19.csv")
    return pl.read_csv(path).select(
        pl.col("work_year").cast(pl.Int32).alias("year"),
        pl.col("job_title").replace(TITLE_ALIASES).alias("role_label"),
        pl.col("company_location").alias("country_code"),
        pl.col("salary_in_usd").cast(pl.Float64).alias("pay_usd"),
    )


def stats_from_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """role_region_stats-shaped cells: roles and 'All roles' x US, Canada and World, per year."""
    def cells(frame: pl.DataFrame, role: pl.Expr, role_level: str, region: pl.Expr, region_level: str) -> pl.DataFrame:
        return (
            frame.with_columns(role.alias("cell_role"), region.alias("cell_region"))
            .group_by("cell_role", "cell_region", "year")
            .agg(
                pl.len().alias("n"),
                pl.col("pay_usd").median().alias("median"),
                pl.col("pay_usd").quantile(0.25, interpolation="linear").alias("p25"),
                pl.col("pay_usd").quantile(0.75, interpolation="linear").alias("p75"),
            )
            .select(
                pl.col("cell_role").alias("role_label"),
                pl.lit(role_level).alias("role_level"),
                pl.col("cell_role").alias("role_name"),
                pl.col("cell_region").alias("region"),
                pl.lit(region_level).alias("region_level"),
                (pl.lit(None, dtype=pl.String) if region_level == "world" else pl.lit(proj.WORLD)).alias("parent_region"),
                "year", "n", "median", "p25", "p75",
                pl.lit("USD").alias("currency"),
            )
        )

    local = rows.filter(pl.col("country_code").is_in(list(COUNTRIES)))
    country = pl.col("country_code").replace_strict(COUNTRIES)
    parts = [
        cells(local, pl.col("role_label"), "role", country, "country"),
        cells(local, pl.lit(proj.ALL_ROLES), "all", country, "country"),
        cells(rows, pl.col("role_label"), "role", pl.lit(proj.WORLD), "world"),
        cells(rows, pl.lit(proj.ALL_ROLES), "all", pl.lit(proj.WORLD), "world"),
    ]
    return pl.concat(parts, how="vertical").sort("role_label", "region", "year")


@pytest.fixture(scope="module")
def backtests(rows) -> pl.DataFrame:
    params = proj.params_from_settings(None, min_n=MIN_ROWS)
    _, result = proj.build_projections(stats_from_rows(rows), AS_OF, params=params)
    local = result.filter(pl.col("region").is_in(list(COUNTRIES.values())))
    with pl.Config(tbl_rows=50, tbl_cols=12, tbl_width_chars=200):
        print(local.select("role_label", "region", "holdout_year", "base_year", "actual_n", "actual",
                           "predicted", "naive_predicted", "abs_pct_error", "naive_abs_pct_error", "covered_90"))
    print("summary (US + Canada):", proj.backtest_summary(local))
    return local


def test_backtest_holds_out_2024_for_exactly_the_us_and_canadian_cells_with_enough_rows(rows, backtests):
    counts = (
        rows.filter(pl.col("country_code").is_in(list(COUNTRIES)) & (pl.col("year") <= 2024))
        .with_columns(pl.col("country_code").replace_strict(COUNTRIES).alias("region"))
    )
    by_role = counts.group_by("role_label", "region", "year").len()
    by_all = counts.group_by("region", "year").len().with_columns(pl.lit(proj.ALL_ROLES).alias("role_label"))
    usable = pl.concat([by_role, by_all.select(by_role.columns)]).filter(pl.col("len") >= MIN_ROWS)
    expected = (
        usable.group_by("role_label", "region")
        .agg(pl.col("year").max().alias("last"), pl.len().alias("years"))
        .filter((pl.col("last") == 2024) & (pl.col("years") >= 2))
        .select("role_label", "region")
        .sort("role_label", "region")
    )
    assert expected.height >= 10  # Data Scientist, Data Engineer, ... in the US; 'All roles' in both
    assert backtests.select("role_label", "region").sort("role_label", "region").equals(expected)
    assert (backtests["holdout_year"] == 2024).all()
    assert (backtests["base_year"] < 2024).all()


def test_actuals_and_naive_forecasts_are_the_raw_medians(rows, backtests):
    for cell in backtests.iter_rows(named=True):
        code = next(code for code, name in COUNTRIES.items() if name == cell["region"])
        cell_rows = rows.filter(pl.col("country_code") == code)
        if cell["role_label"] != proj.ALL_ROLES:
            cell_rows = cell_rows.filter(pl.col("role_label") == cell["role_label"])
        actual = cell_rows.filter(pl.col("year") == 2024)["pay_usd"].to_numpy()
        previous = cell_rows.filter(pl.col("year") == cell["base_year"])["pay_usd"].to_numpy()
        assert cell["actual_n"] == actual.size >= MIN_ROWS
        assert previous.size >= MIN_ROWS
        assert cell["actual"] == pytest.approx(float(np.median(actual)), rel=1e-12)
        assert cell["naive_predicted"] == pytest.approx(float(np.median(previous)), rel=1e-12)


def test_errors_are_finite_and_computed_as_absolute_percent_of_the_actual(backtests):
    actual = backtests["actual"].to_numpy()
    predicted = backtests["predicted"].to_numpy()
    naive = backtests["naive_predicted"].to_numpy()
    assert np.isfinite(predicted).all() and (predicted > 0).all()
    np.testing.assert_allclose(backtests["abs_pct_error"], np.abs(predicted - actual) / actual * 100, rtol=1e-9)
    np.testing.assert_allclose(backtests["naive_abs_pct_error"], np.abs(naive - actual) / actual * 100, rtol=1e-9)
    # sane: a one-year-ahead median within a factor of two of the observed one, inside its interval bounds
    assert ((predicted / actual > 0.5) & (predicted / actual < 2.0)).all()
    assert ((backtests["pi_low"] < backtests["predicted"]) & (backtests["predicted"] < backtests["pi_high"])).all()
    inside = (actual >= backtests["pi_low"].to_numpy()) & (actual <= backtests["pi_high"].to_numpy())
    assert (backtests["covered_90"].to_numpy() == inside).all()
    summary = proj.backtest_summary(backtests)
    assert summary["cells"] == backtests.height
    assert summary["median_abs_pct_error"] == pytest.approx(float(np.median(np.abs(predicted - actual) / actual * 100)))
