"""The benchmark run: data per size, full nightly vs. a bare DuckDB baseline, incremental, reports.

For each size: generate (once, cached under benchmarks/cache/) the synthetic market, hard-link it
into a working copy, then in one benchmark run

1. Prefect start-up: a trivial flow in a fresh process (benchmarks/trivial_flow.py);
2. the baseline: benchmarks/baseline.sql over the same raw files, in its own process, after the raw
   files were read once into the page cache (warm_page_cache), as they are for the full run after it;
3. the full nightly: `.venv/bin/market-intel run` on a fresh output folder, in its own process;
   stage timings and started_at / finished_at come from its `runs` table;
4. incremental: an extra part file of 1 % of the rows (another seed) added to each source, then the
   next night's run (as_of one day later, as the scheduled job has it) on the same output folder
   (unchanged files come from the staging cache, whose entries serve every as_of their rows allow);
5. 10,000 reports rendered in-process from the published marts (benchmarks/reports_bench.py).

Every command runs under benchmarks/measure.py (wall time, peak RSS, CPU time and disk reads of the
whole process tree).
Results go to benchmarks/results/<date>-<rows>.json; BENCHMARKS.md's table is regenerated from them.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import time
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import psutil

from benchmarks.measure import run_measured

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"
CACHE_DIR = BENCH_DIR / "cache"
RESULTS_DIR = BENCH_DIR / "results"
SEED = 20260301
INCREMENTAL_SEED = 20260302
INCREMENTAL_SHARE = 0.01
INCREMENTAL_CHUNK = 999  # part-0999.*: ids far above those of the base chunks
AS_OF = "2026-03-01"
NEXT_AS_OF = "2026-03-02"  # the incremental run is the next night's
SOURCES = ("salary_reports", "board_a", "board_b")
REPORT_PAIRS = 10_000
GiB = 2**30

TARGETS = {
    "full_vs_baseline_ratio_10m": 1.5,
    "peak_rss_gb_10m": 2.0,
    "peak_rss_gb_100m": 6.0,
    "time_vs_10m_ratio_100m": 12.0,
    "incremental_share_of_full": 0.15,
    "reports_10k_seconds": 10.0,
}


# --------------------------------------------------------------------------- environment


CODE_PARTS = ("market_intel", "flows", "transforms", "sql", "data/reference")


def snapshot_code() -> Path:
    """A frozen copy of the pipeline's code, SQL and reference data for this benchmark run.

    Other engineers edit the working tree while benchmarks run; an edit between the full and the
    incremental run would change the code digest and so every staging cache key. Running the
    pipeline from a snapshot (first on PYTHONPATH, ahead of the editable install) keeps one code
    version per benchmark run.
    """
    target = CACHE_DIR / "code"
    shutil.rmtree(target, ignore_errors=True)
    for part in CODE_PARTS:
        shutil.copytree(ROOT / part, target / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def bench_env(code: Path | None = None) -> dict[str, str]:
    """The environment of every measured command: offline Prefect with the project's PREFECT_HOME,
    warnings only, and the code snapshot (else the working tree) first on PYTHONPATH."""
    from market_intel.prefect_env import OFFLINE_DEFAULTS

    env = dict(os.environ)
    for key, value in OFFLINE_DEFAULTS.items():
        env.setdefault(key, value)
    path = [str(code)] if code else []
    path.append(str(ROOT))
    env["PYTHONPATH"] = os.pathsep.join(path + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env


def machine_info() -> dict:
    """What the numbers were measured on."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores_logical": psutil.cpu_count(logical=True),
        "memory_gb": round(psutil.virtual_memory().total / GiB, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def code_version() -> dict:
    """The pipeline's content digest and, when available, the git revision (with a dirty flag)."""
    from market_intel.runinfo import code_digest
    from market_intel.settings import get_settings

    info = {"code_digest": code_digest(get_settings())}
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "transforms", "sql", "flows", "market_intel"],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        info["git_revision"] = rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        info["git_revision"] = None
    return info


# --------------------------------------------------------------------------- data


def snapshot_digest(code: Path) -> str:
    """The pipeline's code digest as the snapshot computes it (the run's `runs.code_version`)."""
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c",
                          "from market_intel.runinfo import code_digest; from market_intel.settings import "
                          "get_settings; print(code_digest(get_settings()))"],
                         env=bench_env(code), cwd=code, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def market_dir(rows: int) -> Path:
    return CACHE_DIR / f"market-{rows}-s{SEED}"


def ensure_market(rows: int, log=print) -> Path:
    """The cached synthetic market of `rows` rows (generated on first use; `.complete` marks success)."""
    from transforms.synthetic import generate_market

    target = market_dir(rows)
    if (target / ".complete").exists():
        return target
    log(f"generating {rows:,} rows into {target} ...")
    shutil.rmtree(target, ignore_errors=True)
    result = generate_market(rows=rows, seed=SEED, out=target)
    (target / ".complete").write_text(json.dumps({"seconds": round(result.seconds, 1)}))
    return target


def working_copy(rows: int) -> Path:
    """A fresh hard-linked copy of the cached market's raw files and specs (no copy of the bytes)."""
    source = market_dir(rows)
    target = CACHE_DIR / f"work-{rows}"
    shutil.rmtree(target, ignore_errors=True)
    for sub in ("raw", "sources"):
        shutil.copytree(source / sub, target / sub, copy_function=os.link)
    return target


def add_incremental_files(work: Path, rows: int) -> int:
    """Write part-0999.* with 1 % of `rows` (another seed) into each source of the working copy.

    The market (roles, regions, pay model) is the cached one's; only the row draws differ.
    Returns the number of rows added.
    """
    from transforms import synthetic
    from transforms.reference import load_reference

    n = max(1, int(round(rows * INCREMENTAL_SHARE)))
    ref = load_reference()
    market = synthetic.build_market(ref, SEED)
    tables = synthetic.build_tables(market, ref)
    fx = synthetic._fx_usd_per_unit(market)
    parts = synthetic.generate_chunk(market, ref, tables, fx, INCREMENTAL_SEED, INCREMENTAL_CHUNK, n, 1_000_000)
    added = 0
    for source, part in parts.items():
        ext = "csv" if source == "salary_reports" else "jsonl"
        synthetic._write_raw(source, part, work / "raw" / source / f"part-{INCREMENTAL_CHUNK:04d}.{ext}")
        added += part.raw.height
    return added


# --------------------------------------------------------------------------- measured steps


def run_command(name: str, command: list[str], logs: Path, code: Path | None = None, log=print) -> dict:
    log(f"  {name}: {' '.join(command)}")
    measured = run_measured(command, logs / f"{name}.log", env=bench_env(code), cwd=code or ROOT)
    if measured.returncode != 0:
        tail = Path(measured.log_path).read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{name} failed with exit code {measured.returncode}; log {measured.log_path}:\n{tail}")
    log(f"  {name}: {measured.wall_seconds:.1f} s, peak RSS {measured.peak_rss_bytes / 2**20:.0f} MB, "
        f"CPU {measured.cpu_user_seconds + measured.cpu_system_seconds:.1f} s, "
        f"read from disk {measured.disk_read_bytes / 2**20:,.0f} MB")
    return measured.as_dict()


def last_json_line(log_path: Path) -> dict:
    lines = [line for line in log_path.read_text(errors="replace").splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def latest_run(out: Path) -> dict:
    """The newest row of the published `runs` table (timings, row counts), with publish's seconds from
    DIR/.work/last_run_timings.json (the runs table is written before publish, so it cannot hold them)."""
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    try:
        row = con.sql("SELECT run_id, started_at, finished_at, stage_timings_json, row_counts_json FROM runs "
                      "ORDER BY started_at DESC, attempt DESC LIMIT 1").fetchall()[0]
    finally:
        con.close()
    run_id, started, finished, timings, counts = row
    stage = json.loads(timings)
    last = out / ".work" / "last_run_timings.json"
    if last.exists():
        recorded = json.loads(last.read_text(encoding="utf-8"))
        if recorded.get("run_id") == run_id:
            stage = recorded["stage_timings"]
    return {"flow_started_to_finished_seconds": round((finished - started).total_seconds(), 3),
            "stage_timings": stage, "stage_total_seconds": round(sum(stage.values()), 3),
            "row_counts": json.loads(counts)}


def pipeline_command(work: Path, out: Path, as_of: str = AS_OF) -> list[str]:
    command = [str(ROOT / ".venv" / "bin" / "market-intel"), "run"]
    for source in SOURCES:
        command += ["--source", str(work / "sources" / f"{source}.yaml")]
    return command + ["--out", str(out), "--as-of", as_of]


WARM_BLOCK = 8 * 2**20


def warm_page_cache(folder: Path, memory_share: float = 0.5) -> dict:
    """Read every file under `folder` once (8 MiB blocks, discarded), so that the baseline after it reads
    the raw files from the page cache, as the full run after the baseline does.

    Without it the order was unfair to the baseline: it paid the cold reads (2.5 GB from disk at 10M on
    2026-12-07, 47 s instead of ~9 s after the 100M run had evicted the files on 2026-12-02) and the full
    run found the files cached, which flattered the ratio. Skipped (and said so) when the files exceed
    `memory_share` of the available memory: at 100M (28 GB) they cannot all stay cached, and the
    baseline ratio is a 10M target."""
    files = sorted(p for p in Path(folder).rglob("*") if p.is_file())
    total = sum(p.stat().st_size for p in files)
    record = {"files": len(files), "bytes": total}
    available = psutil.virtual_memory().available
    if total > available * memory_share:
        return {**record, "seconds": 0.0, "bytes_read": 0,
                "skipped": f"{total / 2**30:.1f} GiB of raw files exceed {memory_share:.0%} of the "
                           f"{available / 2**30:.1f} GiB available"}
    started = time.perf_counter()
    read = 0
    for path in files:
        with path.open("rb", buffering=0) as handle:
            while block := handle.read(WARM_BLOCK):
                read += len(block)
    return {**record, "seconds": round(time.perf_counter() - started, 3), "bytes_read": read, "skipped": None}


def benchmark_size(rows: int, with_incremental: bool = True, with_reports: bool = True, log=print) -> dict:
    """Every measurement for one size; returns the result record."""
    log(f"== {rows:,} rows")
    ensure_market(rows, log)
    work = working_copy(rows)
    out = CACHE_DIR / f"out-{rows}"
    logs = CACHE_DIR / f"logs-{rows}"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(logs, ignore_errors=True)
    py = str(ROOT / ".venv" / "bin" / "python")
    code = snapshot_code()
    result: dict = {"rows": rows, "seed": SEED, "as_of": AS_OF, "code_snapshot_digest": snapshot_digest(code)}

    startup = run_command("prefect_startup", [py, "-m", "benchmarks.trivial_flow"], logs, code, log)
    result["prefect_startup"] = {**startup, **last_json_line(logs / "prefect_startup.log")}

    warm = warm_page_cache(work / "raw")
    log(f"  page cache: {warm['bytes_read'] / 2**20:,.0f} of {warm['bytes'] / 2**20:,.0f} MB of raw files read in "
        f"{warm['seconds']:.1f} s" + (f" (skipped: {warm['skipped']})" if warm["skipped"] else ""))
    result["page_cache_warmup"] = warm

    baseline = run_command("baseline", [py, "-m", "benchmarks.baseline", str(work / "raw"),
                                        str(CACHE_DIR / f"baseline-{rows}.parquet")], logs, code, log)
    result["baseline"] = {**baseline, **last_json_line(logs / "baseline.log")}

    full = run_command("full_run", pipeline_command(work, out), logs, code, log)
    full.update(latest_run(out))
    full["prefect_overhead_seconds"] = round(full["wall_seconds"] - full["stage_total_seconds"], 3)
    full["rows_per_second"] = round(rows / full["wall_seconds"], 1)
    full["rows_per_second_excluding_prefect"] = round(rows / full["stage_total_seconds"], 1)
    result["full_run"] = full
    result["ratio_to_baseline"] = round(full["wall_seconds"] / result["baseline"]["wall_seconds"], 3)
    result["ratio_to_baseline_excluding_prefect"] = round(
        full["stage_total_seconds"] / result["baseline"]["wall_seconds"], 3)

    if with_incremental:
        added = add_incremental_files(work, rows)
        inc = run_command("incremental_run", pipeline_command(work, out, NEXT_AS_OF), logs, code, log)
        inc.update(latest_run(out))
        inc["rows_added"] = added
        inc["as_of"] = NEXT_AS_OF
        inc["staged_files_from_cache"] = inc["row_counts"].get("staged_files_from_cache")
        inc["staged_files"] = inc["row_counts"].get("staged_files")
        inc["prefect_overhead_seconds"] = round(inc["wall_seconds"] - inc["stage_total_seconds"], 3)
        inc["share_of_full"] = round(inc["wall_seconds"] / full["wall_seconds"], 3)
        inc["share_of_full_excluding_prefect"] = round(inc["stage_total_seconds"] / full["stage_total_seconds"], 3)
        result["incremental_run"] = inc

    if with_reports:
        from benchmarks.reports_bench import time_reports

        log(f"  reports: {REPORT_PAIRS:,} pairs in-process")
        result["reports"] = time_reports(out, REPORT_PAIRS)
        log(f"  reports: {result['reports']['seconds']:.1f} s")
    return result


# --------------------------------------------------------------------------- targets and files


def evaluate_targets(result: dict, ten_million: dict | None) -> dict:
    """pass / miss per target that this size can speak to (None = not measured at this size)."""
    rows = result["rows"]
    checks: dict[str, dict] = {}

    def check(name: str, value: float | None, limit: float) -> None:
        if value is not None:
            checks[name] = {"value": round(value, 3), "limit": limit, "pass": bool(value <= limit)}

    full = result["full_run"]
    if rows == 10_000_000:
        check("full_vs_baseline_ratio_10m", result["ratio_to_baseline_excluding_prefect"],
              TARGETS["full_vs_baseline_ratio_10m"])
        check("peak_rss_gb_10m", full["peak_rss_mb"] / 1024, TARGETS["peak_rss_gb_10m"])
    if rows == 100_000_000:
        check("peak_rss_gb_100m", full["peak_rss_mb"] / 1024, TARGETS["peak_rss_gb_100m"])
        if ten_million:
            check("time_vs_10m_ratio_100m", full["wall_seconds"] / ten_million["full_run"]["wall_seconds"],
                  TARGETS["time_vs_10m_ratio_100m"])
    if "incremental_run" in result:
        check("incremental_share_of_full", result["incremental_run"]["share_of_full"],
              TARGETS["incremental_share_of_full"])
    if "reports" in result:
        check("reports_10k_seconds", result["reports"]["seconds"], TARGETS["reports_10k_seconds"])
    return checks


def latest_results() -> dict[int, dict]:
    """The newest result file per size."""
    latest: dict[int, dict] = {}
    for path in sorted(RESULTS_DIR.glob("*.json")):
        record = json.loads(path.read_text())
        latest[int(record["rows"])] = record
    return latest


def write_result(result: dict, results_dir: Path | None = None) -> Path:
    """Write <date>-<rows>.json; an earlier result of the same day and size is kept, renamed
    <date>-<rows>-<its git revision>.json (which sorts before the unsuffixed, newest, file)."""
    results_dir = RESULTS_DIR if results_dir is None else results_dir  # read at call time, as latest_results does
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{result['date']}-{result['rows']}.json"
    if path.exists():
        earlier = json.loads(path.read_text(encoding="utf-8"))
        revision = (earlier.get("code") or {}).get("git_revision") or earlier.get("measured_at", "earlier")
        path.rename(path.with_name(f"{path.stem}-{revision}.json"))
    path.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def reproducing_command(rows_list: list[int], with_100m: bool, skip_incremental: bool, skip_reports: bool) -> str:
    """The command line that repeats this benchmark run, skipped measurements included."""
    return " ".join([".venv/bin/python -m benchmarks", *[f"--rows {r}" for r in rows_list],
                     *(["--with-100m"] if with_100m else []), *(["--skip-incremental"] if skip_incremental else []),
                     *(["--skip-reports"] if skip_reports else [])])


def run(rows_list: list[int], with_100m: bool, skip_incremental: bool = False, skip_reports: bool = False,
        log=print) -> list[Path]:
    """Benchmark each size in turn (100M last, only when asked), write results and BENCHMARKS.md."""
    from benchmarks.markdown import update_benchmarks_md

    sizes = sorted(set(rows_list) | ({100_000_000} if with_100m else set()))
    written = []
    for rows in sizes:
        # the code as the run starts (benchmark_size freezes it next): read after the run, it named the
        # commit of a colleague's later edit (2026-12-07: 5b83821 for a run of 9f351f8's code)
        code = code_version()
        result = benchmark_size(rows, with_incremental=not skip_incremental, with_reports=not skip_reports, log=log)
        result["date"] = date.today().isoformat()
        result["measured_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        result["machine"] = machine_info()
        result["code"] = code
        result["command"] = reproducing_command(rows_list, with_100m, skip_incremental, skip_reports)
        result["targets"] = evaluate_targets(result, latest_results().get(10_000_000))
        written.append(write_result(result))
        log(f"  wrote {written[-1]}")
    update_benchmarks_md(latest_results(), TARGETS)
    return written
