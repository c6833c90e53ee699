"""Timing, peak memory, CPU time and disk traffic of a command's whole process tree.

Peak RSS is the largest sum of resident memory over the process and all its descendants seen at one
poll (psutil, every 0.1 s), so it counts a Prefect server, Dask workers or DuckDB threads started by
the run. Polling can miss a spike shorter than the interval; at the sizes benchmarked here the peaks
last seconds. What each process held at the peak poll (RSS and its file-backed / shared part) is
recorded with the result, and `<log>.rss.tsv` next to the command's log has the tree's RSS by
process once a second.

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
from dataclasses import dataclass, field
from pathlib import Path

import psutil

POLL_SECONDS = 0.1
TIMELINE_SECONDS = 1.0  # <log>.rss.tsv: the tree's RSS by process, a line a second
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
    peak_by_process: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        cpu = self.cpu_user_seconds + self.cpu_system_seconds
        return {"wall_seconds": round(self.wall_seconds, 3), "peak_rss_mb": round(self.peak_rss_bytes / 2**20, 1),
                "returncode": self.returncode,
                "cpu_seconds": round(cpu, 3), "cpu_user_seconds": round(self.cpu_user_seconds, 3),
                "cpu_system_seconds": round(self.cpu_system_seconds, 3),
                "cores_busy": round(cpu / self.wall_seconds, 3) if self.wall_seconds > 0 else None,
                "disk_read_mb": round(self.disk_read_bytes / 2**20, 1),
                "disk_write_mb": round(self.disk_write_bytes / 2**20, 1),
                "peak_rss_by_process": self.peak_by_process}


def _label(member: psutil.Process) -> str:
    """pid and a short command: `1234 python market-intel run`, `1240 python -m uvicorn`."""
    try:
        words = [Path(word).name if "/" in word else word for word in member.cmdline()[:3]]
        words = [word if len(word) <= 40 and "\n" not in word else "..." for word in words]
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        words = []
    return f"{member.pid} {' '.join(words)}".strip()


def _tree_members(process: psutil.Process) -> list[tuple[psutil.Process, int, int]]:
    """(process, resident bytes, of which file-backed or shared) for a process and its living
    descendants (vanished ones are left out)."""
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []
    found = []
    for member in members:
        try:
            info = member.memory_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        found.append((member, info.rss, getattr(info, "shared", 0)))
    return found


def run_measured(command: list[str], log_path: Path, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> Measured:
    """Run `command` to completion, stdout and stderr into log_path; poll the tree's RSS meanwhile."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # the timeline is written as it goes: a benchmark killed midway still says who held what
    with open(log_path, "wb") as log, open(log_path.with_suffix(".rss.tsv"), "w", encoding="utf-8") as timeline:
        timeline.write("seconds\ttree_rss_mb\tprocess=rss_mb ...\n")
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env or dict(os.environ),
                                 cwd=cwd)
        process = psutil.Process(child.pid)
        peak, at_peak, next_line = 0, {}, 0.0
        while child.poll() is None:
            members = _tree_members(process)
            total = sum(rss for _, rss, _ in members)
            if total > peak:
                peak = total
                at_peak = {_label(m): {"rss_mb": round(rss / 2**20, 1), "shared_mb": round(shared / 2**20, 1)}
                           for m, rss, shared in members}
            elapsed = time.perf_counter() - started
            if elapsed >= next_line:  # one line a second: what each process held, to find who set the peak
                timeline.write(f"{elapsed:.1f}\t{total / 2**20:.0f}\t" + "\t".join(
                    f"{_label(m)}={rss / 2**20:.0f}" for m, rss, _ in members) + "\n")
                timeline.flush()
                next_line += TIMELINE_SECONDS
            time.sleep(POLL_SECONDS)
        wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Measured(wall_seconds=wall, peak_rss_bytes=peak, returncode=child.returncode, log_path=str(log_path),
                    peak_by_process=at_peak,
                    cpu_user_seconds=after.ru_utime - before.ru_utime,
                    cpu_system_seconds=after.ru_stime - before.ru_stime,
                    disk_read_bytes=(after.ru_inblock - before.ru_inblock) * BLOCK_BYTES,
                    disk_write_bytes=(after.ru_oublock - before.ru_oublock) * BLOCK_BYTES)
