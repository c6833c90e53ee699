"""demand_signals: posting counts per role_label x region x period, trend, seniority mix, reports.

Inputs are built here from seeded numpy draws; expected figures are recomputed with Polars.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from market_intel.settings import get_settings
from transforms.demand import build_demand_signals

AS_OF = date(2025, 6, 30)
PLACES = [
    ("CA", "Canada", "Ontario, Canada", "Toronto, Ontario, Canada"),
    ("CA", "Canada", "Quebec, Canada", None),
    ("US", "United States", "New York, United States", "New York, New York, United States"),
]
SENIORITIES = ["Junior", "Mid", "Senior", "Lead", None]


def simulated_observations(rows: int = 3000, seed: int = 3) -> pl.DataFrame:
    """Postings with a posted date (2024-01 .. 2025-12, so some fall after AS_OF) and reports by year."""
    rng = np.random.default_rng(seed)
    place = rng.integers(0, len(PLACES), rows)
    seniority = [SENIORITIES[i] for i in rng.integers(0, len(SENIORITIES), rows)]
    role = np.where(rng.random(rows) < 0.6, "Data Scientist", "Data Engineer")
    kind = np.where(rng.random(rows) < 0.7, "job_posting", "salary_report")
    year = 2024 + rng.integers(0, 2, rows)
    month = rng.integers(1, 13, rows)
    posted = [date(int(y), int(m), 10) if k == "job_posting" else None for y, m, k in zip(year, month, kind)]
    return pl.DataFrame({
        "kind": kind,
        "role_name": role,
        "seniority": seniority,
        "role_label": [f"{s} {r}" if s else r for s, r in zip(seniority, role)],
        "country_code": [PLACES[p][0] for p in place],
        "country": [PLACES[p][1] for p in place],
        "subdivision": [PLACES[p][2] for p in place],
        "city": [PLACES[p][3] for p in place],
        "year": year.astype(np.int32),
        "posted_date": posted,
        "is_outlier": rng.random(rows) < 0.05,
    }, schema_overrides={"seniority": pl.String, "city": pl.String, "posted_date": pl.Date})


@pytest.fixture(scope="module")
def observations() -> pl.DataFrame:
    return simulated_observations()


@pytest.fixture(scope="module")
def demand(observations) -> pl.DataFrame:
    return build_demand_signals(observations, AS_OF, get_settings())


def membership(observations: pl.DataFrame) -> pl.DataFrame:
    """One row per observation x role membership x region membership (written with Polars concat)."""
    roles = [
        observations.filter(pl.col("seniority").is_not_null()),
        observations.with_columns(pl.col("role_name").alias("role_label")),
        observations.with_columns(pl.lit("All roles").alias("role_label")),
    ]
    regions = []
    for frame in roles:
        for column in ("city", "subdivision", "country"):
            regions.append(frame.filter(pl.col(column).is_not_null()).with_columns(pl.col(column).alias("region")))
        regions.append(frame.with_columns(pl.lit("World").alias("region")))
    return pl.concat(regions)


def test_monthly_posting_counts_and_seniority_mix_match_an_independent_count(observations, demand):
    members = membership(observations).filter((pl.col("kind") == "job_posting") & (pl.col("posted_date") <= AS_OF))
    expected = (
        members.with_columns(pl.col("posted_date").dt.strftime("%Y-%m").alias("period"))
        .group_by("role_label", "region", "period")
        .agg(
            pl.len().cast(pl.Int64).alias("postings"),
            ((pl.col("seniority") == "Junior").sum() / pl.col("seniority").is_not_null().sum()).alias("entry_share"),
            (pl.col("seniority").is_in(["Senior", "Lead"]).sum() / pl.col("seniority").is_not_null().sum())
            .alias("senior_share"),
        )
        .sort("role_label", "region", "period")
    )
    actual = demand.filter(pl.col("period_type") == "month").select(expected.columns).sort("role_label", "region", "period")
    assert actual.select("role_label", "region", "period", "postings").equals(
        expected.select("role_label", "region", "period", "postings"))
    np.testing.assert_allclose(actual["entry_share"].to_numpy(), expected["entry_share"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(actual["senior_share"].to_numpy(), expected["senior_share"].to_numpy(), rtol=1e-12)


def test_nothing_posted_after_as_of_counts(demand):
    assert demand.filter(pl.col("period_type") == "month")["period"].max() == "2025-06"
    assert demand.filter(pl.col("period_type") == "quarter")["period"].max() == "2025-Q2"


def test_year_over_year_change_compares_the_same_quarter_a_year_earlier(demand):
    world = demand.filter((pl.col("role_label") == "All roles") & (pl.col("region") == "World")
                          & (pl.col("period_type") == "quarter"))
    counts = dict(zip(world["period"], world["postings"]))
    row = world.filter(pl.col("period") == "2025-Q2").row(0, named=True)
    assert row["yoy_change_pct"] == pytest.approx(100 * (counts["2025-Q2"] / counts["2024-Q2"] - 1), rel=1e-12)
    assert world.filter(pl.col("period") == "2024-Q2")["yoy_change_pct"].to_list() == [None]


def test_a_year_not_yet_ended_has_no_year_over_year_change(demand):
    years = demand.filter((pl.col("role_label") == "All roles") & (pl.col("region") == "World")
                          & (pl.col("period_type") == "year")).sort("period")
    assert years["is_complete"].to_list() == [True, False]
    assert years["yoy_change_pct"].to_list() == [None, None]


def test_salary_reports_and_postings_per_report_count_the_same_cell_and_year(observations, demand):
    reports = observations.filter((pl.col("kind") == "salary_report") & (pl.col("country") == "Canada")
                                  & (pl.col("year") == 2024)).height
    postings = observations.filter((pl.col("kind") == "job_posting") & (pl.col("country") == "Canada")
                                   & (pl.col("year") == 2024)).height
    canada = demand.filter((pl.col("role_label") == "All roles") & (pl.col("region") == "Canada")
                           & (pl.col("period") == "2024")).row(0, named=True)
    assert canada["salary_reports"] == reports
    assert canada["postings"] == postings
    assert canada["postings_per_report"] == pytest.approx(postings / reports)


def test_output_is_sorted_by_key_with_unique_keys(demand):
    key = ["role_label", "region", "period_type", "period"]
    assert demand.equals(demand.sort(key, nulls_last=True))
    assert demand.select(key).is_unique().all()
