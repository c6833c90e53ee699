"""`python -m benchmarks [--rows N ...] [--with-100m]`: see benchmarks/harness.py and BENCHMARKS.md."""
from __future__ import annotations

import argparse

from benchmarks.harness import run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description="Full nightly vs. a bare DuckDB baseline, incremental, reports.")
    parser.add_argument("--rows", type=int, action="append",
                        help="rows of synthetic raw data (repeatable); default 1000000")
    parser.add_argument("--with-100m", action="store_true", help="also 100,000,000 rows (~1 hour with the market cached; ~26 GB of raw data)")
    parser.add_argument("--skip-incremental", action="store_true", help="no incremental run")
    parser.add_argument("--skip-reports", action="store_true", help="no 10,000-report rendering")
    args = parser.parse_args(argv)
    rows = args.rows or [1_000_000]
    for path in run(rows, args.with_100m, skip_incremental=args.skip_incremental, skip_reports=args.skip_reports):
        print(path)


if __name__ == "__main__":
    main()
