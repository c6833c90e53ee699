"""Prefect start-up cost: `python -m benchmarks.trivial_flow` runs a flow that does nothing.

In a fresh process this pays exactly what every `market-intel run` pays before its first stage:
importing Prefect and starting the temporary API server (uvicorn + SQLite). Prints one JSON line
with the import and flow-call seconds.
"""
from __future__ import annotations

import json
import time

started = time.perf_counter()

from market_intel.prefect_env import configure_prefect_environment  # noqa: E402

configure_prefect_environment()

from prefect import flow  # noqa: E402

imported = time.perf_counter()


@flow(name="benchmark-trivial")
def trivial() -> int:
    """Nothing: the flow's cost is Prefect's own."""
    return 1


if __name__ == "__main__":
    trivial()
    finished = time.perf_counter()
    print(json.dumps({"import_seconds": round(imported - started, 3), "flow_seconds": round(finished - imported, 3)},
                     sort_keys=True))
