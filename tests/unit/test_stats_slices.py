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
    """Three countries, two years, plus a third year with one country only (uneven slices); every
    37th row a part-time salary (is_non_fte_pay, excluded like an outlier), as the flow's files hold."""
    frame = simulated_observations(rows=6000, seed=23)
    extra = simulated_observations(rows=400, seed=24).filter(pl.col("country_code") == "DE")
    both = pl.concat([frame, extra.with_columns(pl.lit(2026, dtype=pl.Int32).alias("year"))])
    return both.with_columns((pl.int_range(pl.len()) % 37 == 0).alias("is_non_fte_pay"))


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
    # typed: the dtypes of a mart with cells (the contract check and the publish read them)
    assert mart.schema == stats.build_role_region_stats(observations.head(200), get_settings()).schema


def test_observations_without_country_code_are_refused(observations, tmp_path):
    frame = observations.with_columns(pl.lit(None, dtype=pl.String).alias("country_code"))
    with pytest.raises(ValueError, match="without year or country_code"):
        stats.build_role_region_stats(frame, get_settings())
    # also as the flow's hive pieces: the null key reads back as null, not as a country named 'None'
    pieces = write_layout(frame.head(50), tmp_path, "pieces")
    assert {path.parent.name for path in tmp_path.rglob("*.parquet")} == {"country_code=__HIVE_DEFAULT_PARTITION__"}
    with pytest.raises(ValueError, match="without year or country_code"):
        stats.build_role_region_stats(pieces, get_settings())


def write_layout(observations: pl.DataFrame, root, layout: str) -> str:
    """The observations as the SQL may be given them: one file; the flow's hive pieces (keys in the
    folder names and in the files, two pieces a partition); the published folders (keys in the folder
    names only). Returns the path or glob to pass as $observations_path."""
    from transforms.observations import _write_pieces

    if layout == "file":
        observations.write_parquet(root / "observations.parquet")
        return str(root / "observations.parquet")
    half = observations.height // 2
    for number, part in enumerate([observations.head(half), observations.tail(observations.height - half)]):
        _write_pieces(part, ["year", "country_code"], root, f"part-{number:05d}.parquet")
    if layout == "published":
        for piece in root.rglob("*.parquet"):
            pl.read_parquet(piece, hive_partitioning=False).drop("year", "country_code").write_parquet(piece)
    return str(root / "**" / "*.parquet")


@pytest.mark.parametrize("layout", ["pieces", "published"])
def test_every_layout_of_the_observations_gives_the_same_mart(observations, layout, tmp_path):
    """The marts' SQL reads hive keys as text and casts year back to INTEGER: the flow's pieces and the
    published folders give the single file's mart, typed the same (with hive partitioning off the
    published folders have no year; with DuckDB's own hive types year would be BIGINT)."""
    from transforms.demand import build_demand_signals

    (tmp_path / "file").mkdir()
    (tmp_path / layout).mkdir()
    single = write_layout(observations, tmp_path / "file", "file")
    other = write_layout(observations, tmp_path / layout, layout)
    assert len(list((tmp_path / layout).rglob("*.parquet"))) > 10
    expected = stats.build_role_region_stats(single, get_settings())
    actual = stats.build_role_region_stats(other, get_settings())
    assert expected.height > 300 and actual.schema == expected.schema and actual.equals(expected)
    assert expected.schema["year"] == pl.Int32

    from tests.unit.test_demand import AS_OF, simulated_observations as demand_observations

    postings = demand_observations()
    (tmp_path / "demand-file").mkdir()
    (tmp_path / f"demand-{layout}").mkdir()
    demand = build_demand_signals(write_layout(postings, tmp_path / "demand-file", "file"), AS_OF, get_settings())
    other = write_layout(postings, tmp_path / f"demand-{layout}", layout)
    assert demand.height > 100
    assert build_demand_signals(other, AS_OF, get_settings()).equals(demand)
