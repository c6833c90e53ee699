"""Every number in every published report points at a table cell that holds it."""
from __future__ import annotations

import json
import math
import re

import polars as pl
import pytest

pytestmark = pytest.mark.slow


def test_every_claim_is_rederived_from_its_source_table_cell(default_market_run):
    claims = default_market_run.sql("select * from report_claims")
    assert claims.height > 1000
    checked = 0
    for (table, key_json_cols), group in _groups(claims):
        source = default_market_run.sql(f"select * from {table}")  # table names come from a fixed set below
        keys = group.select("claim_id", "role_label", "region", "value", "source_column",
                            pl.col("source_key").str.json_decode().alias("k")).unnest("k")
        key_cols = list(key_json_cols)
        casted = keys.with_columns([pl.col(c).cast(source.schema[c]) for c in key_cols])
        for column, by_col in casted.group_by("source_column"):
            column = column[0]
            joined = by_col.join(source.select(*key_cols, pl.col(column).alias("_cell")), on=key_cols, how="left")
            missing = joined.filter(pl.col("_cell").is_null() & pl.col("value").is_not_null())
            assert missing.height == 0, f"claims point at no cell in {table}.{column}:\n{missing.head()}"
            values = joined.select(pl.col("value").cast(pl.Float64), pl.col("_cell").cast(pl.Float64))
            for value, cell in values.iter_rows():
                assert value is None or math.isclose(value, cell, rel_tol=1e-9, abs_tol=1e-9), (table, column)
            checked += joined.height
    assert checked == claims.height


def test_every_claim_text_appears_in_its_report(default_market_run):
    reports = default_market_run.sql("select role_label, region, markdown from reports")
    claims = default_market_run.sql("select role_label, region, text from report_claims")
    joined = claims.join(reports, on=["role_label", "region"], how="left")
    assert joined["markdown"].null_count() == 0
    found = joined.select(pl.col("markdown").str.contains(pl.col("text"), literal=True).alias("found"))
    assert found["found"].all()


def test_senior_ml_manager_in_canada_has_every_section(default_market_run):
    md = default_market_run.sql(
        "select markdown from reports where role_label = 'Senior Machine Learning Manager' and region = 'Canada'").item()
    assert md.startswith("# Market Intelligence: Senior Machine Learning Manager in Canada")
    for section in ("Market Overview", "Regional Demand Signals", "Growth Catalyst", "Career Moat",
                    "Skill Premium Analysis", "Required Skills", "AI Impact", "Negotiation Strategy",
                    "Cost of Living Context", "Strategic Checklist", "Methodology"):
        assert re.search(rf"^#+ .*{section}", md, flags=re.MULTILINE), section


ALLOWED_TABLES = {"role_region_stats", "skill_premiums", "demand_signals", "projections", "backtests",
                  "observations", "runs", "ppp", "skill_shares"}


def _groups(claims: pl.DataFrame):
    with_keys = claims.with_columns(
        pl.col("source_key").map_elements(lambda s: tuple(sorted(json.loads(s))), return_dtype=pl.Object)
        .alias("_key_cols"))
    for table in sorted(with_keys["source_table"].unique().to_list()):
        assert table in ALLOWED_TABLES, f"claim source table {table!r} is not a published table"
        sub = with_keys.filter(pl.col("source_table") == table)
        key_sets = {k for k in sub["_key_cols"].to_list()}
        for key_cols in sorted(key_sets):
            part = sub.filter(pl.col("_key_cols").map_elements(lambda k, kc=key_cols: k == kc,
                                                               return_dtype=pl.Boolean))
            yield (table, key_cols), part.drop("_key_cols")
