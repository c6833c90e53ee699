"""demand_signals: posting counts per role_label x region x period, their year-over-year trend,
the seniority mix of postings and the ratio of postings to salary reports.

One DuckDB query (sql/demand_signals.sql) over the observations Parquet does all of it; this
module binds the parameters and fixes the row order.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from transforms.stats import ObservationsFile, run_sql

DEMAND_KEY = ("role_label", "region", "period_type", "period")


def build_demand_signals(observations_path: str | Path | pl.DataFrame, as_of: date, settings: Any) -> pl.DataFrame:
    """The demand_signals mart as of a date (nothing after as_of counts), sorted by its key."""
    with ObservationsFile(observations_path) as path:
        frame = run_sql("demand_signals", {"observations_path": path, "as_of": as_of}, settings)
    return frame.sort(list(DEMAND_KEY), nulls_last=True)
