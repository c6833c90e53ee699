"""Every number in every published report points at a table cell that holds it."""
from __future__ import annotations

import json
import math
import re

import polars as pl
import pytest

from tests.claims_check import FORMULAS, format_claim

pytestmark = pytest.mark.slow


def test_every_claim_is_rederived_from_its_source_table_cells(default_market_run):
    """Each claim's operands are looked up in the published tables, its formula applied, its text re-formatted."""
    claims = default_market_run.sql("select * from report_claims order by role_label, region, claim_id")
    assert claims.height > 1000
    indexes: dict[tuple[str, tuple[str, ...]], dict] = {}
    checked = 0
    for claim in claims.iter_rows(named=True):
        operands = json.loads(claim["operands"])
        assert operands[0] == {"table": claim["source_table"], "key": json.loads(claim["source_key"]),
                               "column": claim["source_column"]}
        inputs = []
        for operand in operands:
            table, key = operand["table"], operand["key"]
            assert table in ALLOWED_TABLES, f"claim source table {table!r} is not a published table"
            index_key = (table, tuple(sorted(key)))
            if index_key not in indexes:
                indexes[index_key] = _index(default_market_run, table, index_key[1])
            row = indexes[index_key].get(tuple(str(key[k]) for k in index_key[1]))
            assert row is not None, f"claim {claim['claim_id']} points at no row of {table}: {key}"
            inputs.append(row[operand["column"]])
        value = FORMULAS[claim["formula"]](*inputs)
        assert math.isclose(value, claim["value"], rel_tol=1e-9, abs_tol=1e-12), claim
        assert format_claim(value, claim["format"]) == claim["text"], claim
        checked += 1
    assert checked == claims.height


def _index(run, table: str, key_columns: tuple[str, ...]) -> dict:
    """Rows of a published table by their key values as text (one DuckDB read per table and key set)."""
    frame = run.sql(f"select * from {table}")  # noqa: S608 - table is checked against ALLOWED_TABLES
    index = {}
    for row in frame.iter_rows(named=True):
        index[tuple(str(row[k]) for k in key_columns)] = row
    return index


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
    # premiums are fitted per role and country: this seniority cell borrows them and says from where
    catalyst = md.split("## Growth Catalyst", 1)[1].split("## Career Moat", 1)[0]
    assert "nearest cell that has them: Machine Learning Manager in Canada" in catalyst
    assert "carries a premium of" in catalyst


ALLOWED_TABLES = {"role_region_stats", "skill_premiums", "demand_signals", "projections", "backtests",
                  "skill_shares", "ppp", "backtest_summary"}


