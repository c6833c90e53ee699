"""Runs every SQL test case: tests/sql/<table>/<case>/ holds one small input file per upstream
table (observations.jsonl), case.yaml (description, optional params and a row filter) and
expected.csv (the expected rows for the columns it lists, after the filter). The table is built
by the same function the pipeline calls, so the SQL and its Python finishing are tested together.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
import yaml

from market_intel.settings import get_settings
from transforms.demand import build_demand_signals
from transforms.stats import build_role_region_stats

CASES_DIR = Path(__file__).parent
OBSERVATION_TYPES = {
    "year": pl.Int32,
    "pay_annual_local": pl.Float64,
    "pay_annual_usd": pl.Float64,
    "seniority": pl.String,
    "subdivision": pl.String,
    "city": pl.String,
    "posted_date": pl.String,
    "skills": pl.List(pl.String),
    "certifications": pl.List(pl.String),
}
BUILDERS = {
    "role_region_stats": lambda observations, params: build_role_region_stats(observations, get_settings()),
    "demand_signals": lambda observations, params: build_demand_signals(
        observations, date.fromisoformat(str(params["as_of"])), get_settings()),
}


def case_dirs() -> list[Path]:
    return sorted(path.parent for path in CASES_DIR.glob("*/*/expected.csv"))


def read_observations(path: Path) -> pl.DataFrame:
    return (
        pl.read_ndjson(path, schema_overrides=OBSERVATION_TYPES)
        .with_columns(pl.col("posted_date").str.to_date().alias("posted_date"))
    )


@pytest.mark.parametrize("case_dir", case_dirs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sql_case_output_equals_the_expected_file(case_dir: Path):
    config = yaml.safe_load((case_dir / "case.yaml").read_text(encoding="utf-8")) or {}
    table = case_dir.parent.name
    actual = BUILDERS[table](read_observations(case_dir / "observations.jsonl"), config.get("params", {}))
    for column, value in (config.get("filter") or {}).items():
        actual = actual.filter(pl.col(column) == value)
    expected = pl.read_csv(case_dir / "expected.csv", infer_schema_length=None)
    actual = actual.select(expected.columns)
    key = [c for c in expected.columns if expected[c].dtype == pl.String]
    expected = expected.with_columns(
        [pl.col(c).cast(actual[c].dtype) for c in expected.columns]).sort(key, nulls_last=True)
    actual = actual.sort(key, nulls_last=True)
    assert actual.height == expected.height, f"{table}: {actual.height} rows, expected {expected.height}"
    for column in expected.columns:
        if actual[column].dtype == pl.Float64:
            left, right = actual[column], expected[column]
            assert left.is_null().to_list() == right.is_null().to_list(), column
            close = ((left - right).abs() <= 1e-9 * right.abs().clip(lower_bound=1.0)).fill_null(True)
            assert close.all(), f"{column}: {left.to_list()} != {right.to_list()}"
        else:
            assert actual[column].to_list() == expected[column].to_list(), column


def test_every_case_folder_has_a_builder():
    assert case_dirs(), "no SQL cases found"
    assert {path.parent.name for path in case_dirs()} <= set(BUILDERS)
