"""`python -m benchmarks.normalise_bench [--market DIR]`: staging + normalisation alone (issue 3's target).

Times `transforms.staging.stage_file` and `transforms.normalise.normalise` on every raw file of a
generated market, in one process, one file after another (what one `stage-file` task does), and
prints rows, seconds and rows/s per file and in total as JSON. `seconds` is wall-clock time (the
target); `cpu_s` (user + system time of this process, all threads) and the 1-minute load
average at the start are printed beside it, so that a run on a busy shared machine can be read.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from datetime import date
from pathlib import Path

from transforms import normalise, specs, staging
from transforms.reference import load_reference

DEFAULT_MARKET = Path(__file__).resolve().parent / "cache" / "market-1000000-s20260301"


def bench(market: Path, as_of: date) -> dict:
    load_average = os.getloadavg()[0]
    ref = load_reference()
    files = []
    for spec_path in sorted((market / "sources").glob("*.yaml")):
        spec = specs.load_spec(spec_path)
        for path in specs.resolve_files(spec):
            started, cpu_started = time.perf_counter(), time.process_time()
            staged = staging.stage_file(spec, path)
            staged_at = time.perf_counter()
            normalise.normalise(staged.frame, spec, ref, as_of=as_of)
            done = time.perf_counter()
            files.append({"file": f"{spec.name}/{path.name}", "rows": staged.rows_read,
                          "stage_s": round(staged_at - started, 2), "normalise_s": round(done - staged_at, 2),
                          "cpu_s": round(time.process_time() - cpu_started, 2)})
    rows = sum(f["rows"] for f in files)
    seconds = sum(f["stage_s"] + f["normalise_s"] for f in files)
    return {"market": str(market), "rows": rows, "seconds": round(seconds, 1),
            "rows_per_s": round(rows / seconds) if seconds else None,
            "cpu_s": round(sum(f["cpu_s"] for f in files), 1), "load_average_1m": round(load_average, 2),
            "files": files}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.normalise_bench")
    parser.add_argument("--market", type=Path, default=DEFAULT_MARKET)
    parser.add_argument("--as-of", default="2026-03-01")
    args = parser.parse_args()
    print(json.dumps(bench(args.market, date.fromisoformat(args.as_of)), indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
