"""The benchmark baseline as its own process: `python -m benchmarks.baseline RAW_DIR OUT.parquet`.

Runs benchmarks/baseline.sql (a bare DuckDB query over the same raw files, no cleaning) and writes
its cell table to Parquet, so that the baseline pays for reading, aggregating and writing just like
the pipeline does. Prints one JSON line: cells, rows aggregated, seconds.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

PROBABILITIES = [0.1, 0.25, 0.5, 0.75, 0.9]
SQL_PATH = Path(__file__).with_name("baseline.sql")


def raw_files(raw_dir: Path) -> dict[str, list[str]]:
    """The salary-report CSVs and posting JSONL files of a generated market's raw/ folder."""
    return {
        "salary_files": sorted(str(p) for p in raw_dir.glob("salary_reports/*.csv")),
        "posting_files": sorted(str(p) for p in raw_dir.glob("board_*/*.jsonl")),
    }


def run_baseline(raw_dir: Path, out_path: Path) -> dict:
    """Run the baseline query on raw_dir and write its result to out_path; returns counts and seconds."""
    started = time.perf_counter()
    con = duckdb.connect()
    try:
        con.sql("SET enable_progress_bar = false")
        relation = con.sql(SQL_PATH.read_text(encoding="utf-8"),
                           params={**raw_files(raw_dir), "probabilities": PROBABILITIES})
        relation.write_parquet(str(out_path))
        cells, rows = con.sql("SELECT count(*), sum(n) FROM read_parquet($p)", params={"p": str(out_path)}).fetchall()[0]
    finally:
        con.close()
    return {"cells": int(cells), "rows_aggregated": int(rows or 0), "seconds": round(time.perf_counter() - started, 3)}


if __name__ == "__main__":
    print(json.dumps(run_baseline(Path(sys.argv[1]), Path(sys.argv[2])), sort_keys=True))
