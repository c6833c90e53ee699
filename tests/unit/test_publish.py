"""Snapshots, atomic publish, the DuckDB catalog and retention (market_intel.publish)."""
from __future__ import annotations

import os
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import polars as pl
import pytest

from market_intel import publish
from market_intel.contracts import CONTRACTS, ContractError

COUNTRIES = [("CA", "Canada", "CAD", 0.73), ("US", "United States", "USD", 1.0), ("NA", "Namibia", "NAD", 0.055)]


def build_observations(size: int) -> pl.DataFrame:
    """`size` valid observations over 2024-2025 and CA / US / NA (Namibia's code reads like a null)."""
    rows = []
    for index in range(size):
        code, country, currency, usd = COUNTRIES[index % 3]
        year = 2024 + (index // 3) % 2
        pay = 50_000.0 + 1_000.0 * index
        seniority = [None, "Senior", "Junior"][index % 3]
        rows.append({
            "source": "fixture", "source_file": f"part-{index % 2}.csv", "row_number": index + 1,
            "record_id": f"r{index}", "kind": "salary_report", "job_title": "ML Manager",
            "role": "machine-learning-manager", "role_name": "Machine Learning Manager", "seniority": seniority,
            "role_label": f"{seniority} Machine Learning Manager" if seniority else "Machine Learning Manager",
            "company": None, "country_code": code, "country": country, "subdivision_code": None,
            "subdivision": None, "city": None, "region": country, "region_level": "country", "is_remote": False,
            "posted_date": date(year, 3, 1), "year": year, "pay_original": pay, "pay_min_original": pay * 0.9,
            "pay_max_original": pay * 1.1, "currency_original": currency, "pay_period": "year",
            "annualisation_factor": 1.0, "pay_annual_original": pay, "currency_local": currency,
            "pay_annual_local": pay, "pay_annual_usd": pay * usd, "fx_rate_usd": usd, "fx_rate_local": 1.0,
            "fx_rate_date": None if currency == "USD" else date(year, 12, 31),
            "fx_method": "identity" if currency == "USD" else "yearly_average",
            "skills": ["python", "sql"][: index % 3], "certifications": [], "employment_type": "full_time",
            "is_outlier": index % 7 == 6, "is_non_fte_pay": False,
        })
    return pl.DataFrame(rows, schema=CONTRACTS["observations"].schema, orient="row")


def build_tables(run_id: str, size: int) -> dict[str, pl.DataFrame]:
    """One valid frame per contract table; row counts grow with `size`, run_id only in run_id columns."""
    schema = {name: contract.schema for name, contract in CONTRACTS.items()}
    regions = [f"Region {index:02d}" for index in range(size)]
    stats = pl.DataFrame({
        "role_label": ["All roles"] * size, "role_level": ["all"] * size, "role_name": [None] * size,
        "seniority": [None] * size, "region": regions, "region_level": ["country"] * size,
        "country_code": ["CA"] * size, "parent_region": ["World"] * size, "year": [2025] * size,
        "n": [10 + index for index in range(size)], "mean": [100.0] * size, "p10": [50.0] * size,
        "p25": [75.0] * size, "median": [100.0] * size, "p75": [125.0] * size, "p90": [150.0] * size,
        "currency": ["CAD"] * size, "median_usd": [73.0] * size, "mean_usd": [73.0] * size,
        "median_ci_low": [90.0] * size, "median_ci_high": [110.0] * size, "ci_method": ["binomial_order_statistics_interpolated"] * size,
        "cv": [0.1] * size, "reliability": ["publish"] * size, "shrunk_median": [100.0] * size,
        "shrink_weight": [0.9] * size, "shrink_parent": ["World"] * size,
    }, schema=schema["role_region_stats"])
    reports = pl.DataFrame({
        "role_label": ["All roles"] * size, "region": regions, "slug_role": ["all-roles"] * size,
        "slug_region": [f"region-{index:02d}" for index in range(size)], "markdown": ["# Report"] * size,
        "reliability": ["publish"] * size, "run_id": [run_id] * size,
    }, schema=schema["reports"])
    accounting = pl.DataFrame({
        "source": [f"source_{index}" for index in range(size)], "files": [1] * size, "rows_read": [12] * size,
        "rows_kept": [10] * size, "rows_rejected": [1] * size, "rows_duplicate": [1] * size,
        "run_id": [run_id] * size,
    }, schema=schema["source_accounting"])
    runs = pl.DataFrame({
        "run_id": [run_id], "as_of": [date(2026, 1, 31)],
        "started_at": [datetime(2026, 1, 31, 2, 0, tzinfo=timezone.utc)],
        "finished_at": [datetime(2026, 1, 31, 2, 5, tzinfo=timezone.utc)], "code_version": ["test"],
        "settings_json": ["{}"], "inputs_json": ["[]"], "row_counts_json": ["{}"], "stage_timings_json": ["{}"],
        "backtest_median_ape": [4.2], "backtest_coverage_90": [0.9],
    }, schema=schema["runs"])
    projections = pl.DataFrame({
        "role_label": ["All roles"], "region": ["World"], "base_year": [2025], "target_year": [2026],
        "baseline": [100.0], "projected": [104.0], "pi_low": [90.0], "pi_high": [118.0], "pi80_low": [94.0],
        "pi80_high": [114.0], "currency": ["USD"], "model": ["damped_trend"], "growth_rate": [0.04],
        "growth_source": ["own"], "n_years": [3],
    }, schema=schema["projections"])
    premiums = pl.DataFrame({
        "role_label": ["All roles"] * 2, "region": ["World"] * 2, "skill": ["python"] * 2, "kind": ["skill"] * 2,
        "method": ["adjusted", "raw"], "n_with": [40, 40], "n_without": [60, 60], "premium_pct": [5.0, 7.0],
        "ci_low": [2.0, 3.0], "ci_high": [8.0, 11.0], "share_in_top_decile": [0.5, 0.5],
    }, schema=schema["skill_premiums"])
    return {
        "observations": build_observations(3 * size),
        "rejects": pl.DataFrame({"source": ["fixture"], "source_file": ["part-0.csv"], "row_number": [999],
                                 "reason": ["fx_rate_missing"], "detail": ["XYZ"], "raw": ["a,b,c"]},
                                schema=schema["rejects"]),
        "duplicates": pl.DataFrame(schema=schema["duplicates"]),
        "source_accounting": accounting,
        "role_region_stats": stats,
        "skill_premiums": premiums,
        "demand_signals": pl.DataFrame({"role_label": ["All roles"], "region": ["World"], "period_type": ["year"],
                                        "period": ["2025"], "postings": [12], "yoy_change_pct": [None],
                                        "entry_share": [0.2], "senior_share": [0.5], "salary_reports": [30],
                                        "postings_per_report": [0.4]}, schema=schema["demand_signals"]),
        "projections": projections,
        "backtests": pl.DataFrame({"role_label": ["All roles"], "region": ["World"], "holdout_year": [2025],
                                   "predicted": [101.0], "actual": [100.0], "abs_pct_error": [1.0],
                                   "naive_abs_pct_error": [3.0], "covered_90": [True]}, schema=schema["backtests"]),
        "reports": reports,
        "report_claims": pl.DataFrame({"role_label": ["All roles"], "region": ["Region 00"], "claim_id": ["median"],
                                       "text": ["$100"], "value": [100.0], "source_table": ["role_region_stats"],
                                       "source_key": ['{"region": "Region 00"}'], "source_column": ["median"]},
                                      schema=schema["report_claims"]),
        "runs": runs,
        "skill_shares": pl.DataFrame({"role_label": ["All roles"], "region": ["World"], "year": [2025],
                                      "skill": ["Python"], "kind": ["skill"], "postings_with": [3], "postings": [12],
                                      "share_of_postings": [0.25]}, schema=schema["skill_shares"]),
        "ppp": pl.DataFrame({"country_code": ["CA"], "iso3": ["CAN"], "country": ["Canada"], "currency": ["CAD"],
                             "year": [2024], "ppp_lcu_per_intl_dollar": [1.25], "indicator": ["PA.NUS.PRVT.PP"]},
                            schema=schema["ppp"]),
        "backtest_summary": pl.DataFrame({"median_abs_pct_error": [2.0], "naive_median_abs_pct_error": [3.0],
                                          "coverage_90": [0.9], "cells": [10]}, schema=schema["backtest_summary"]),
    }


def count(out_dir: Path, table: str) -> int:
    return publish.query(out_dir, f"SELECT count(*) AS rows FROM {table}")["rows"][0]


# --- layout, schema and content --------------------------------------------------------------


def test_published_view_schemas_equal_the_contracts(tmp_path):
    publish.publish_snapshot(build_tables("r1", 4), tmp_path, "r1")
    # independent spelling of what DuckDB reads back from Polars-written Parquet
    expected_sql_type = {"String": "VARCHAR", "Int32": "INTEGER", "Int64": "BIGINT", "Float64": "DOUBLE",
                         "Boolean": "BOOLEAN", "Date": "DATE", "List(String)": "VARCHAR[]",
                         "Datetime(time_unit='us', time_zone='UTC')": "TIMESTAMP WITH TIME ZONE"}
    with publish.open_catalog(tmp_path) as con:
        for name, contract in CONTRACTS.items():
            described = con.sql(f"DESCRIBE {name}").pl().select("column_name", "column_type").rows()
            expected = [(column.name, expected_sql_type[str(column.dtype)]) for column in contract.columns]
            assert described == expected, name


def test_catalog_answers_with_the_published_rows(tmp_path):
    tables = build_tables("r1", 4)
    result = publish.publish_snapshot(tables, tmp_path, "r1")
    assert result.row_counts["observations"] == 12
    for name, frame in tables.items():
        assert count(tmp_path, name) == frame.height, name
    back = publish.query(tmp_path, "SELECT * FROM observations").sort("source", "source_file", "row_number")
    expected = tables["observations"].sort("source", "source_file", "row_number")
    assert back.select(expected.columns).drop("posted_date", "fx_rate_date").equals(
        expected.drop("posted_date", "fx_rate_date"))
    assert back["posted_date"].to_list() == expected["posted_date"].to_list()


def test_observations_are_partitioned_by_year_and_country_with_typed_hive_keys(tmp_path):
    publish.publish_snapshot(build_tables("r1", 4), tmp_path, "r1")
    table_dir = tmp_path / "snapshots" / "r1" / "observations"
    folders = sorted(str(path.parent.relative_to(table_dir)) for path in table_dir.rglob("*.parquet"))
    assert folders == [f"year={year}/country_code={code}" for year in (2024, 2025) for code in ("CA", "NA", "US")]
    inside = pl.read_parquet(table_dir / "year=2024" / "country_code=NA" / "observations.parquet")
    assert "year" not in inside.columns and "country_code" not in inside.columns
    assert inside["row_number"].to_list() == sorted(inside["row_number"].to_list())
    con = duckdb.connect()
    hive = con.sql(f"SELECT DISTINCT year, country_code FROM read_parquet('{table_dir}/*/*/*.parquet', "
                   "hive_partitioning = true) ORDER BY ALL").pl()
    assert hive.rows() == [(year, code) for year in (2024, 2025) for code in ("CA", "NA", "US")]
    namibia = publish.query(tmp_path, "SELECT count(*) AS rows FROM observations WHERE country_code = 'NA'")
    assert namibia["rows"][0] == 4


def test_parquet_bytes_do_not_depend_on_the_run_id(tmp_path):
    publish.publish_snapshot(build_tables("same", 3), tmp_path / "a", "20260131-001")
    publish.publish_snapshot(build_tables("same", 3), tmp_path / "b", "20260131-777")
    files_a = sorted((tmp_path / "a" / "snapshots" / "20260131-001").rglob("*.parquet"))
    files_b = sorted((tmp_path / "b" / "snapshots" / "20260131-777").rglob("*.parquet"))
    assert [path.relative_to(files_a[0].parents[1]) for path in files_a] == \
        [path.relative_to(files_b[0].parents[1]) for path in files_b]
    assert len(files_a) == 20  # 14 tables, observations in 7 partitions
    assert all(one.read_bytes() == two.read_bytes() for one, two in zip(files_a, files_b))


def test_path_inputs_are_published_like_frames(tmp_path):
    tables = build_tables("r1", 2)
    tables["reports"].write_parquet(tmp_path / "reports.parquet")
    inputs = {"reports": tmp_path / "reports.parquet", "runs": tables["runs"]}
    publish.publish_snapshot(inputs, tmp_path / "out", "r1")
    assert count(tmp_path / "out", "reports") == 2
    assert publish.query(tmp_path / "out", "SELECT run_id FROM runs")["run_id"].to_list() == ["r1"]


def test_tables_given_as_files_are_held_one_at_a_time_and_publish_the_same_bytes(tmp_path, monkeypatch):
    """A table given as a file is checked whole, then dropped and read again when written: publishing
    does not hold every table at once (at 10M rows ~0.4 GB of them beside the observations). The
    files written are the same bytes as from frames, and a violation is still found."""
    import weakref

    tables = build_tables("r1", 3)
    paths = {}
    for name, frame in tables.items():
        if not CONTRACTS[name].partition_by:
            paths[name] = tmp_path / f"{name}.parquet"
            frame.write_parquet(paths[name])
    checked = []
    original = publish.check_contract
    monkeypatch.setattr(publish, "check_contract",
                        lambda name, frame, *a: checked.append((name, weakref.ref(frame))) or original(name, frame, *a))
    frames, _ = publish.validate_tables({**tables, **paths})
    held = [name for name, ref in checked if name in paths and ref() is not None and ref() is frames[name]]
    assert sorted(name for name, _ in checked if name in paths) == sorted(paths)
    assert held == [] and all(isinstance(frames[name], pl.LazyFrame) for name in paths)

    publish.publish_snapshot(tables, tmp_path / "a", "r1")
    publish.publish_snapshot({**tables, **paths}, tmp_path / "b", "r1")
    for name in paths:
        [a] = (tmp_path / "a" / "snapshots" / "r1" / name).glob("*.parquet")
        [b] = (tmp_path / "b" / "snapshots" / "r1" / name).glob("*.parquet")
        assert a.read_bytes() == b.read_bytes(), name

    broken = tables["reports"].with_columns(pl.lit(None, pl.String).alias("role_label"))
    broken.write_parquet(paths["reports"])
    with pytest.raises(ContractError, match="reports"):
        publish.publish_snapshot({**tables, **paths}, tmp_path / "c", "r1")


def test_a_published_partitioned_folder_republishes_to_identical_files(tmp_path):
    tables = build_tables("r1", 3)
    publish.publish_snapshot(tables, tmp_path / "a", "r1")
    folder = tmp_path / "a" / "snapshots" / "r1" / "observations"
    publish.publish_snapshot({"observations": folder}, tmp_path / "b", "r2")
    again = sorted((tmp_path / "b" / "snapshots" / "r2" / "observations").rglob("*.parquet"))
    first = sorted(folder.rglob("*.parquet"))
    assert len(first) == 6 and [path.read_bytes() for path in again] == [path.read_bytes() for path in first]


def test_an_empty_partitioned_table_publishes_an_empty_view_with_the_contract_schema(tmp_path):
    tables = build_tables("r1", 1)
    tables["observations"] = tables["observations"].head(0)
    publish.publish_snapshot(tables, tmp_path, "r1")
    assert count(tmp_path, "observations") == 0
    assert publish.query(tmp_path, "SELECT * FROM observations").schema == CONTRACTS["observations"].schema


def test_extra_columns_are_published_after_the_contract_and_listed_as_extra(tmp_path):
    tables = build_tables("r1", 2)
    tables["runs"] = tables["runs"].with_columns(pl.lit("eu-west").alias("host_region"))
    publish.publish_snapshot(tables, tmp_path, "r1")
    columns = publish.query(tmp_path, "SELECT * FROM runs").columns
    assert columns == [*CONTRACTS["runs"].column_names, "host_region"]
    extra = publish.query(tmp_path, "SELECT column_name FROM data_dictionary WHERE is_extra")
    assert extra["column_name"].to_list() == ["host_region"]


def test_narrower_integer_and_naive_datetime_are_conformed_to_the_contract(tmp_path):
    tables = build_tables("r1", 2)
    tables["runs"] = tables["runs"].with_columns(pl.col("started_at").dt.replace_time_zone(None),
                                                 pl.col("backtest_median_ape").cast(pl.Float32))
    tables["source_accounting"] = tables["source_accounting"].with_columns(pl.col("files").cast(pl.Int32))
    publish.publish_snapshot(tables, tmp_path, "r1")
    with publish.open_catalog(tmp_path) as con:
        types = dict(con.sql("SELECT column_name, column_type FROM (DESCRIBE runs)").fetchall())
        files_type = dict(con.sql("SELECT column_name, column_type FROM (DESCRIBE source_accounting)").fetchall())
    assert types["started_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["backtest_median_ape"] == "DOUBLE"
    assert files_type["files"] == "BIGINT"


def test_current_link_and_catalog_point_at_the_new_absolute_snapshot(tmp_path):
    publish.publish_snapshot(build_tables("r1", 2), tmp_path, "r1")
    publish.publish_snapshot(build_tables("r2", 3), tmp_path, "r2")
    assert os.readlink(tmp_path / "current") == "snapshots/r2"
    info = publish.query(tmp_path, "SELECT run_id, snapshot_dir FROM catalog_info")
    assert info.rows() == [("r2", str((tmp_path / "snapshots" / "r2").resolve()))]
    with publish.open_catalog(tmp_path) as con:
        sql = con.sql("SELECT sql FROM duckdb_views() WHERE view_name = 'reports'").fetchall()[0][0]
    assert str((tmp_path / "snapshots" / "r2").resolve()) in sql and "/current/" not in sql
    assert not list(tmp_path.glob(".warehouse-*")) and not list(tmp_path.glob(".current-*"))


def test_next_run_id_counts_up_within_a_day(tmp_path):
    assert publish.next_run_id(tmp_path, date(2026, 1, 31)) == "20260131-001"
    publish.publish_snapshot(build_tables("x", 1), tmp_path, "20260131-001")
    assert publish.next_run_id(tmp_path, date(2026, 1, 31)) == "20260131-002"
    publish.publish_snapshot(build_tables("x", 1), tmp_path, "20260131-002")
    publish.publish_snapshot(build_tables("x", 1), tmp_path, "20260131-002")  # rerun: folder 20260131-002.2
    assert publish.next_run_id(tmp_path, date(2026, 1, 31)) == "20260131-003"
    assert publish.next_run_id(tmp_path, date(2026, 2, 1)) == "20260201-001"


# --- contracts keep the previous publish -----------------------------------------------------


def test_contract_violation_raises_naming_table_column_rule_and_key_and_keeps_previous_publish(tmp_path):
    publish.publish_snapshot(build_tables("good", 3), tmp_path, "good")
    bad = build_tables("bad", 5)
    bad["role_region_stats"] = bad["role_region_stats"].with_columns(
        pl.when(pl.col("region") == "Region 03").then(200.0).otherwise(pl.col("p25")).alias("p25"))
    with pytest.raises(ContractError) as caught:
        publish.publish_snapshot(bad, tmp_path, "bad")
    message = str(caught.value)
    assert "role_region_stats.p10, p25, median, p75, p90" in message
    assert "p10 <= p25 <= median <= p75 <= p90" in message
    assert "'region': 'Region 03'" in message and "1 row(s)" in message
    assert not (tmp_path / "snapshots" / "bad").exists()
    assert publish.catalog_run_id(tmp_path) == "good" and publish.current_snapshot_id(tmp_path) == "good"
    assert count(tmp_path, "role_region_stats") == 3


def test_unknown_table_and_wrong_dtype_are_refused(tmp_path):
    tables = build_tables("r1", 2)
    tables["salaries"] = tables["runs"]
    tables["reports"] = tables["reports"].with_columns(pl.col("markdown").cast(pl.Binary))
    with pytest.raises(ContractError) as caught:
        publish.publish_snapshot(tables, tmp_path, "r1")
    message = str(caught.value)
    assert "no contract for table 'salaries'" in message
    assert "reports.markdown: rule 'dtype' failed (dtype is Binary, contract says String)" in message
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_republishing_a_run_id_gets_a_new_snapshot_folder_and_never_touches_the_served_one(tmp_path):
    first = publish.publish_snapshot(build_tables("r1", 2), tmp_path, "r1")
    reader = publish.open_catalog(tmp_path)
    try:
        again = publish.publish_snapshot(build_tables("r1", 3), tmp_path, "r1")
        third = publish.publish_snapshot(build_tables("r1", 4), tmp_path, "r1")
        assert reader.sql("SELECT count(*) FROM reports").fetchall() == [(2,)]
    finally:
        reader.close()
    assert (first.snapshot_id, again.snapshot_id, third.snapshot_id) == ("r1", "r1.2", "r1.3")
    assert publish.current_snapshot_id(tmp_path) == "r1.3"
    assert publish.catalog_info(tmp_path)["snapshot_id"] == "r1.3" and count(tmp_path, "reports") == 4


def test_report_files_are_served_from_the_current_snapshot(tmp_path):
    for index, text in ((1, "# first"), (2, "# second")):
        files = tmp_path / f"files{index}" / "all-roles"
        files.mkdir(parents=True)
        (files / "world.md").write_text(text)
        publish.publish_snapshot(build_tables(f"r{index}", 1), tmp_path / "out", f"r{index}",
                                 report_files=files.parent)
        assert (tmp_path / "out" / "reports" / "all-roles" / "world.md").read_text() == text
    assert os.readlink(tmp_path / "out" / "reports") == "current/report_files"


# --- read-only access ------------------------------------------------------------------------


def test_catalog_connections_cannot_write(tmp_path):
    publish.publish_snapshot(build_tables("r1", 2), tmp_path, "r1")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        with pytest.raises(duckdb.Error, match="read-only"):
            con.sql("CREATE TABLE scratch AS SELECT 1 AS x")
    with publish.open_catalog(tmp_path) as con:
        with pytest.raises(duckdb.Error, match="read-only"):
            con.sql("CREATE TABLE scratch AS SELECT 1 AS x")
        with pytest.raises(duckdb.Error, match="read-only"):
            con.sql("DROP VIEW reports")


def test_query_accepts_one_select_and_refuses_writes_copies_and_attach(tmp_path):
    publish.publish_snapshot(build_tables("r1", 2), tmp_path, "r1")
    assert publish.query(tmp_path, "WITH r AS (SELECT * FROM reports) SELECT count(*) AS n FROM r")["n"][0] == 2
    for statement in ("CREATE TABLE scratch AS SELECT 1", f"COPY reports TO '{tmp_path}/leak.csv'",
                      "ATTACH ':memory:' AS scratch", "SELECT 1; DROP VIEW reports", "SET threads = 1"):
        with pytest.raises(ValueError, match="exactly one SELECT"):
            publish.query(tmp_path, statement)
    assert not (tmp_path / "leak.csv").exists()


def test_query_binds_named_parameters(tmp_path):
    publish.publish_snapshot(build_tables("r1", 3), tmp_path, "r1")
    frame = publish.query(tmp_path, "SELECT slug_region FROM reports WHERE region = $region",
                          params={"region": "Region 01"})
    assert frame["slug_region"].to_list() == ["region-01"]


def test_query_before_any_publish_says_there_is_no_catalog(tmp_path):
    with pytest.raises(FileNotFoundError, match="no published catalog"):
        publish.query(tmp_path, "SELECT 1")


def test_open_reader_keeps_its_snapshot_while_the_catalog_file_is_replaced(tmp_path):
    publish.publish_snapshot(build_tables("r1", 2), tmp_path, "r1")
    reader = publish.open_catalog(tmp_path)
    try:
        publish.publish_snapshot(build_tables("r2", 5), tmp_path, "r2")
        assert reader.sql("SELECT run_id, count(*) FROM reports GROUP BY run_id").fetchall() == [("r1", 2)]
        fresh = publish.query(tmp_path, "SELECT run_id, count(*) AS n FROM reports GROUP BY run_id")
        assert fresh.rows() == [("r2", 5)]
        assert publish.catalog_run_id(tmp_path) == "r2"
    finally:
        reader.close()
    assert publish.query(tmp_path, "SELECT run_id, count(*) AS n FROM reports GROUP BY run_id").rows() == [("r2", 5)]


# --- retention -------------------------------------------------------------------------------


def test_retention_keeps_the_last_k_published_snapshots(tmp_path):
    removed = []
    for index in range(1, 6):
        removed.append(publish.publish_snapshot(build_tables(f"r{index}", 1), tmp_path, f"r{index}", keep=3)
                       .removed_snapshots)
    assert removed == [(), (), (), ("r1",), ("r2",)]
    assert sorted(path.name for path in (tmp_path / "snapshots").iterdir()) == ["r3", "r4", "r5"]


def test_retention_uses_the_setting_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("MARKET_INTEL_SNAPSHOTS_TO_KEEP", "2")
    for index in range(1, 4):
        publish.publish_snapshot(build_tables(f"r{index}", 1), tmp_path, f"r{index}")
    assert sorted(path.name for path in (tmp_path / "snapshots").iterdir()) == ["r2", "r3"]


def test_retention_never_deletes_what_current_or_the_catalog_point_at(tmp_path):
    for index in range(1, 4):
        publish.publish_snapshot(build_tables(f"r{index}", 1), tmp_path, f"r{index}", keep=3)
    # current lagging behind the catalog (a publish killed between the two swaps), pointing at r1
    os.symlink("snapshots/r1", tmp_path / ".link")
    os.replace(tmp_path / ".link", tmp_path / "current")
    (tmp_path / "snapshots" / "r4").mkdir()  # written but never published
    assert publish.apply_retention(tmp_path, keep=1) == ("r2", "r4")
    assert sorted(path.name for path in (tmp_path / "snapshots").iterdir()) == ["r1", "r3"]
    assert publish.catalog_run_id(tmp_path) == "r3"


def write_pieces(frame: pl.DataFrame, root: Path, parts: int) -> Path:
    """Observations as the flow hands them to publish: hive pieces by (year, country_code), one file
    per staged part, parts in grain order (transforms.observations.write_observations)."""
    from transforms.observations import _write_pieces

    ordered = frame.sort("source", "source_file", "row_number")
    size = -(-ordered.height // parts)
    for number in range(parts):
        _write_pieces(ordered.slice(number * size, size), ["year", "country_code"], root, f"part-{number:05d}.parquet")
    return root


def test_observations_given_as_hive_pieces_publish_the_same_partition_files_as_the_frame(tmp_path):
    tables = build_tables("r1", 20)
    publish.publish_snapshot(tables, tmp_path / "frame", "r1")
    pieces = write_pieces(tables["observations"], tmp_path / "pieces", parts=4)
    publish.publish_snapshot({**tables, "observations": pieces}, tmp_path / "lazy", "r1")
    frame_dir = tmp_path / "frame" / "snapshots" / "r1" / "observations"
    lazy_dir = tmp_path / "lazy" / "snapshots" / "r1" / "observations"
    files = sorted(p.relative_to(frame_dir) for p in frame_dir.rglob("*.parquet"))
    assert files == sorted(p.relative_to(lazy_dir) for p in lazy_dir.rglob("*.parquet")) and len(files) == 6
    for name in files:  # same rows, same order (the grain), same columns and dtypes
        assert pl.read_parquet(lazy_dir / name).equals(pl.read_parquet(frame_dir / name)), name
    assert count(tmp_path / "lazy", "observations") == tables["observations"].height


def test_a_repeated_grain_in_hive_pieces_is_refused_with_its_key(tmp_path):
    tables = build_tables("r1", 6)
    observations = tables["observations"]
    repeated = pl.concat([observations, observations.filter(pl.col("row_number") == 5)])
    pieces = write_pieces(repeated, tmp_path / "pieces", parts=2)
    with pytest.raises(ContractError) as error:
        publish.publish_snapshot({**tables, "observations": pieces}, tmp_path / "out", "r1")
    violation = next(v for v in error.value.violations if v.rule == "unique grain")
    assert violation.rows == 2 and violation.example_key == {"source": "fixture", "source_file": "part-0.csv",
                                                               "row_number": 5}
    assert not (tmp_path / "out" / "current").exists()


def broken_observations(size: int) -> pl.DataFrame:
    """Valid observations, then: a null role (not null), a negative pay (a row rule), a grain repeated in
    another part, and a lowercase country code (a row rule on a partition key)."""
    frame = build_observations(size)
    frame = frame.with_columns(
        pl.when(pl.col("row_number") == 4).then(None).otherwise(pl.col("role")).alias("role"),
        pl.when(pl.col("row_number") == 8).then(-5.0).otherwise(pl.col("pay_annual_local")).alias("pay_annual_local"),
        pl.when(pl.col("row_number") == 9).then(pl.lit("ca")).otherwise(pl.col("country_code")).alias("country_code"),
    )
    return pl.concat([frame, frame.filter(pl.col("row_number") == 11)])


def test_hive_pieces_are_checked_while_copied_with_the_same_violations_as_the_lazy_check(tmp_path):
    from market_intel.contracts import check_contract, conform

    tables = build_tables("good", 12)
    publish.publish_snapshot(tables, tmp_path / "out", "good")
    pieces = write_pieces(broken_observations(30), tmp_path / "pieces", parts=3)
    scan = conform("observations", pl.scan_parquet(pieces / "**" / "*.parquet", hive_partitioning=True))
    expected = check_contract("observations", scan)
    assert {v.rule for v in expected} >= {"not null", "unique grain"} and len(expected) >= 4
    with pytest.raises(ContractError) as error:
        publish.publish_snapshot({**tables, "observations": pieces}, tmp_path / "out", "bad")
    assert error.value.violations == expected  # counts and example keys
    snapshots = tmp_path / "out" / "snapshots"
    assert sorted(entry.name for entry in snapshots.iterdir()) == ["good"]  # staging removed, nothing published
    assert publish.catalog_run_id(tmp_path / "out") == "good" and publish.current_snapshot_id(tmp_path / "out") == "good"


def test_hive_pieces_are_read_once_by_publish_not_scanned_again_by_the_lazy_check(tmp_path, monkeypatch):
    from market_intel import contracts

    tables = build_tables("r1", 20)
    pieces = write_pieces(tables["observations"], tmp_path / "pieces", parts=4)
    read = []
    real_read = pl.read_parquet
    monkeypatch.setattr(contracts, "_lazy_counts", lambda *args: pytest.fail("observations scanned by the lazy check"))
    monkeypatch.setattr(pl, "read_parquet", lambda source, *a, **k: read.append(Path(source)) or real_read(source, *a, **k))
    publish.publish_snapshot({**tables, "observations": pieces}, tmp_path / "out", "r1")
    assert sorted(read) == sorted(pieces.rglob("*.parquet"))  # each piece once
    assert count(tmp_path / "out", "observations") == tables["observations"].height


def test_a_violation_elsewhere_still_lists_the_hive_pieces_violations(tmp_path):
    tables = build_tables("r1", 6)
    tables["role_region_stats"] = tables["role_region_stats"].with_columns(pl.lit(500.0).alias("p25"))
    pieces = write_pieces(broken_observations(12), tmp_path / "pieces", parts=2)
    with pytest.raises(ContractError) as error:
        publish.publish_snapshot({**tables, "observations": pieces}, tmp_path / "out", "r1")
    found = {(v.table, v.rule) for v in error.value.violations}
    assert ("observations", "unique grain") in found and ("observations", "not null") in found
    assert any(table == "role_region_stats" for table, _ in found)
    assert not (tmp_path / "out" / "snapshots").exists() or not any((tmp_path / "out" / "snapshots").iterdir())
