"""Timing, peak memory, CPU time and disk traffic of a command's whole process tree.

Peak RSS is the largest sum of resident memory over the process and all its descendants seen at one
poll (psutil, every 0.1 s), so it counts a Prefect server, Dask workers or DuckDB threads started by
the run. Polling can miss a spike shorter than the interval; at the sizes benchmarked here the peaks
last seconds.

CPU seconds and disk bytes come from the kernel's accounting of terminated children
(`getrusage(RUSAGE_CHILDREN)` before and after: the command plus every descendant it waited for,
exact, no polling). CPU seconds / wall seconds says how busy the run kept the cores (2 here); the
bytes read are what the block device delivered (page-cache hits excluded), which is how a run that
waits on the disk shows itself.
"""
from __future__ import annotations

import os
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

POLL_SECONDS = 0.1
BLOCK_BYTES = 512  # Linux counts ru_inblock / ru_oublock in 512-byte units


@dataclass(frozen=True)
class Measured:
    """Wall time, peak process-tree RSS and exit code of one command."""

    wall_seconds: float
    peak_rss_bytes: int
    returncode: int
    log_path: str
    cpu_user_seconds: float = 0.0
    cpu_system_seconds: float = 0.0
    disk_read_bytes: int = 0
    disk_write_bytes: int = 0

    def as_dict(self) -> dict:
        cpu = self.cpu_user_seconds + self.cpu_system_seconds
        return {"wall_seconds": round(self.wall_seconds, 3), "peak_rss_mb": round(self.peak_rss_bytes / 2**20, 1),
                "returncode": self.returncode,
                "cpu_seconds": round(cpu, 3), "cpu_user_seconds": round(self.cpu_user_seconds, 3),
                "cpu_system_seconds": round(self.cpu_system_seconds, 3),
                "cores_busy": round(cpu / self.wall_seconds, 3) if self.wall_seconds > 0 else None,
                "disk_read_mb": round(self.disk_read_bytes / 2**20, 1),
                "disk_write_mb": round(self.disk_write_bytes / 2**20, 1)}


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
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
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
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Measured(wall_seconds=wall, peak_rss_bytes=peak, returncode=child.returncode, log_path=str(log_path),
                    cpu_user_seconds=after.ru_utime - before.ru_utime,
                    cpu_system_seconds=after.ru_stime - before.ru_stime,
                    disk_read_bytes=(after.ru_inblock - before.ru_inblock) * BLOCK_BYTES,
                    disk_write_bytes=(after.ru_oublock - before.ru_oublock) * BLOCK_BYTES)
