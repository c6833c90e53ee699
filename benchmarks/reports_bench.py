"""Rendering 10,000 reports in-process: build_reports + write_report_files on replicated marts.

A published run has a few hundred role x region pairs; to time the renderer at 10,000 the marts
are replicated with role labels suffixed " #k" (k = 1, 2, ...), so every copy is a distinct pair
with the same shape of numbers, and the stats are then cut to the first `pairs` pairs (sorted).
"""
from __future__ import annotations

import math
import tempfile
import time
from datetime import date
from pathlib import Path

import polars as pl

REPORT_TABLES = ("role_region_stats", "skill_premiums", "demand_signals", "projections", "backtests",
                 "skill_shares", "ppp", "source_accounting")


def load_published(out_dir: Path) -> dict[str, pl.DataFrame]:
    """The report inputs from a published output directory (its current snapshot's Parquet)."""
    current = Path(out_dir) / "current"
    return {name: pl.read_parquet(current / name / "*.parquet") for name in REPORT_TABLES
            if (current / name).exists()}


def replicate(tables: dict[str, pl.DataFrame], pairs: int) -> dict[str, pl.DataFrame]:
    """Copies of every role-keyed table with suffixed role labels, cut to `pairs` report pairs."""
    stats = tables["role_region_stats"]
    have = stats.select("role_label", "region").unique().height
    copies = max(1, math.ceil(pairs / max(have, 1)))

    def copy(frame: pl.DataFrame, k: int) -> pl.DataFrame:
        if k == 0:
            return frame
        return frame.with_columns((pl.col("role_label") + pl.lit(f" #{k}")).alias("role_label"))

    out = {}
    for name, frame in tables.items():
        if "role_label" in frame.columns:
            out[name] = pl.concat([copy(frame, k) for k in range(copies)])
        else:
            out[name] = frame
    keep = (out["role_region_stats"].select("role_label", "region").unique().sort(["role_label", "region"])
            .head(pairs))
    out["role_region_stats"] = out["role_region_stats"].join(keep, on=["role_label", "region"], how="semi")
    return out


def time_reports(out_dir: Path, pairs: int = 10_000, as_of: date = date(2026, 3, 1)) -> dict:
    """Seconds to build and write `pairs` reports from the marts published in out_dir."""
    from transforms import reports
    from transforms.reference import load_reference

    ref = load_reference()
    tables = replicate(load_published(out_dir), pairs)
    summary = {"median_abs_pct_error": 0.05, "naive_median_abs_pct_error": 0.06, "coverage_90": 0.9, "cells": 1}
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        started = time.perf_counter()
        report_frame, claims = reports.build_reports(tables, ref, as_of, "benchmark", summary)
        built = time.perf_counter()
        reports.write_report_files(report_frame, claims, tables, Path(tmp))
        written = time.perf_counter()
    return {"pairs": int(report_frame.height), "claims": int(claims.height),
            "build_seconds": round(built - started, 3), "write_seconds": round(written - built, 3),
            "seconds": round(written - started, 3)}


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks.reports_bench [--out outputs] [--runs 3] [--pause 0]`: each run, the best, the load.

    --pause SECONDS waits before every run but the first. On an ext4 without a journal (this VM's
    disk) creating files right after many were deleted is slow: new inodes skip the recently deleted
    ones (ext4 recently_deleted(), up to 6 minutes), so a run that follows the previous run's cleanup
    of its 20,000 files writes in 6-8 s instead of ~1 s (BENCHMARKS.md); --pause 360 avoids that.
    """
    import argparse
    import json
    import os

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="outputs", help="a published output directory (default: outputs)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--pause", type=float, default=0.0, help="seconds to wait before each later run")
    args = parser.parse_args(argv)
    results = []
    for run in range(args.runs):
        if run and args.pause > 0:
            time.sleep(args.pause)
        load = [round(x, 2) for x in os.getloadavg()]
        result = time_reports(Path(args.out), args.pairs)
        results.append(result)
        print(json.dumps(result | {"load_average_before": load}, sort_keys=True), flush=True)
    best = min(results, key=lambda r: r["seconds"])
    print(json.dumps({"best": best, "load_average_after": [round(x, 2) for x in os.getloadavg()]}, sort_keys=True))


if __name__ == "__main__":
    main()
