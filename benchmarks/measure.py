"""Timing and peak memory of a command's whole process tree (psutil, polled every 0.1 s).

Peak RSS is the largest sum of resident memory over the process and all its descendants seen at one
poll, so it counts a Prefect server, Dask workers or DuckDB threads started by the run. Polling can
miss a spike shorter than the interval; at the sizes benchmarked here the peaks last seconds.
"""
from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Measured:
    """Wall time, peak process-tree RSS and exit code of one command."""

    wall_seconds: float
    peak_rss_bytes: int
    returncode: int
    log_path: str

    def as_dict(self) -> dict:
        return {"wall_seconds": round(self.wall_seconds, 3), "peak_rss_mb": round(self.peak_rss_bytes / 2**20, 1),
                "returncode": self.returncode}


def _tree_rss(process: psutil.Process) -> int:
    """Resident bytes of a process and all its living descendants (vanished ones count zero)."""
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def run_measured(command: list[str], log_path: Path, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> Measured:
    """Run `command` to completion, stdout and stderr into log_path; poll the tree's RSS meanwhile."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env or dict(os.environ),
                                 cwd=cwd)
        process = psutil.Process(child.pid)
        peak = 0
        while child.poll() is None:
            peak = max(peak, _tree_rss(process))
            time.sleep(POLL_SECONDS)
        wall = time.perf_counter() - started
    return Measured(wall_seconds=wall, peak_rss_bytes=peak, returncode=child.returncode, log_path=str(log_path))
