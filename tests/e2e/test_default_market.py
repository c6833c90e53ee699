"""End to end on the embedded default market: published tables against the generator's truth."""
from __future__ import annotations

import json

import polars as pl
import pytest

pytestmark = pytest.mark.slow


def test_reports_cover_at_least_200_pairs_including_senior_ml_manager_in_canada(default_market_run):
    reports = default_market_run.sql("select role_label, region from reports")
    assert reports.height >= 200
    assert reports.filter((pl.col("role_label") == "Senior Machine Learning Manager")
                          & (pl.col("region") == "Canada")).height == 1
    md = default_market_run.out_dir / "reports"
    assert (md / "index.html").exists()
    assert any(md.rglob("*.md"))


def test_every_raw_row_is_kept_rejected_or_counted_as_duplicate(default_market_run):
    acc = default_market_run.sql("select * from source_accounting")
    assert acc.height == 3
    assert (acc["rows_read"] == acc["rows_kept"] + acc["rows_rejected"] + acc["rows_duplicate"]).all()
    truth = json.loads((default_market_run.market_dir / "truth" / "truth.json").read_text())
    assert int(acc["rows_read"].sum()) == int(truth["rows_total"])
    duplicates = int(acc["rows_duplicate"].sum())
    assert abs(duplicates - int(truth["cross_post_duplicates"])) <= 0.01 * int(truth["cross_post_duplicates"])
    kept = default_market_run.sql("select source, count(*) as n from observations group by source order by source")
    assert kept["n"].to_list() == acc.sort("source")["rows_kept"].to_list()
    rejected = default_market_run.sql("select count(*) as n from rejects").item()
    assert rejected == int(acc["rows_rejected"].sum())
