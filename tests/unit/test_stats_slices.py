"""role_region_stats computed in slices (transforms/stats.py role_region_cells) equals the one query.

sql/role_region_stats.sql run once over all years, all countries and World is the documented
recomputation; the pipeline runs it per batch of (year, country_code) slices to bound memory. The
cells must be identical, not close: a cell's rows all lie in one run, so its exact decimal sums and
its quantiles see the same values.
"""
from __future__ import annotations

import polars as pl
import pytest

from market_intel.settings import get_settings
from tests.unit.test_stats import simulated_observations
from transforms import stats

CELL_KEY = ["role_label", "region", "year"]


@pytest.fixture(scope="module")
def observations() -> pl.DataFrame:
    """Three countries, two years, plus a third year with one country only (uneven slices)."""
    frame = simulated_observations(rows=6000, seed=23)
    extra = simulated_observations(rows=400, seed=24).filter(pl.col("country_code") == "DE")
    return pl.concat([frame, extra.with_columns(pl.lit(2026, dtype=pl.Int32).alias("year"))])


def probabilities() -> list[float]:
    return [*stats.PUBLISHED_PROBABILITIES, *stats.ci_probability_grid()]


def one_query_cells(path: str, observations: pl.DataFrame) -> pl.DataFrame:
    everything = {"years": sorted(observations["year"].unique().to_list()),
                  "country_codes": sorted(observations["country_code"].unique().to_list()),
                  "include_world": True}
    return stats.run_sql("role_region_stats",
                         {"observations_path": path, "probabilities": probabilities(), **everything}, get_settings())


@pytest.mark.parametrize("rows_per_query", [1, 1500, 10**9], ids=["every-slice-alone", "batches", "one-per-kind"])
def test_sliced_cells_equal_the_one_query_cells(observations, rows_per_query):
    with stats.ObservationsFile(observations) as path:
        expected = one_query_cells(path, observations).sort(CELL_KEY, nulls_last=True)
        actual = stats.role_region_cells(path, probabilities(), get_settings(), rows_per_query).sort(
            CELL_KEY, nulls_last=True)
    assert expected.height > 300
    assert expected.select(CELL_KEY).is_unique().all()
    assert actual.schema == expected.schema
    assert actual.equals(expected)


def test_the_mart_equals_the_one_query_mart(observations):
    with stats.ObservationsFile(observations) as path:
        cells = one_query_cells(path, observations)
    expected = stats.finish_role_region_stats(cells, stats.ci_probability_grid(), get_settings())
    assert stats.build_role_region_stats(observations, get_settings()).equals(expected)


@pytest.mark.parametrize("rows_per_query", [1, 5, 7, 12, 100])
def test_runs_make_every_cell_once_within_the_row_limit(rows_per_query):
    slices = [(2021, "AU", 4), (2021, "CA", 3), (2022, "CA", 9), (2022, "US", 2), (2023, "DE", 1),
              (2024, "US", 5)]
    rows = {(year, code): n for year, code, n in slices}
    runs = stats.role_region_runs(slices, rows_per_query)
    world = [year for run in runs if run["include_world"] for year in run["years"]]
    assert sorted(world) == [2021, 2022, 2023, 2024]
    assert all(not run["country_codes"] for run in runs if run["include_world"])
    # the local cells of a run are those of its years x countries: each slice in exactly one run
    local = [(year, code) for run in runs if not run["include_world"]
             for year in run["years"] for code in run["country_codes"] if (year, code) in rows]
    assert sorted(local) == sorted(rows)
    for run in runs:
        if run["include_world"]:
            held = sum(n for (year, _), n in rows.items() if year in run["years"])
        else:
            held = sum(rows.get((year, code), 0) for year in run["years"] for code in run["country_codes"])
        alone = len(run["years"]) == 1 and (run["include_world"] or len(run["country_codes"]) == 1)
        assert held <= rows_per_query or alone, run


def test_no_observations_give_an_empty_typed_mart(observations):
    mart = stats.build_role_region_stats(observations.head(0), get_settings())
    assert mart.height == 0
    assert mart.columns == list(stats.STATS_COLUMNS)


def test_observations_without_country_code_are_refused(observations):
    frame = observations.with_columns(pl.lit(None, dtype=pl.String).alias("country_code"))
    with pytest.raises(ValueError, match="without year or country_code"):
        stats.build_role_region_stats(frame, get_settings())
