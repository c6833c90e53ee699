"""The `nightly` Prefect flow: raw files + specs -> published snapshot, catalog and reports.

A handful of coarse tasks that pass Parquet paths, never frames (see ../shared/docs/stack.md):

    stage (one task per raw file, cached by checksum) -> observations -> stats | premiums | demand
    -> projections -> reports -> publish

Staged files are cached under DIR/.work/staging keyed by the file's checksum, the spec's checksum and
the code digest, for every as_of of the window of days that give the same rows (from the file's
newest date before as_of to its oldest after it; a row with only a year counts from 1 January after
its year, as its yearly FX average moves until then: transforms.normalise.as_of_window), else for
that as_of alone. So a nightly run (a new as_of each day) and an incremental run stage only
new or changed raw files, or files with rows as recent as as_of, and recompute every aggregate from
the staged Parquet; `full_refresh` ignores the cache.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from datetime import date, datetime, timezone
from pathlib import Path

import polars as pl
from prefect import flow, get_run_logger, task
from prefect.task_runners import ThreadPoolTaskRunner
from rich.console import Console

from market_intel import storage
from market_intel.runinfo import (PeakMeter, code_digest, current_rss_mb, peak_rss_mb, release_freed_memory,
                                  run_identity, run_lock)
from market_intel.settings import Settings, get_settings, parse_as_of
from transforms import specs as spec_mod


PROGRESS = Console(stderr=True, log_path=False)  # stage-by-stage progress in the terminal

# Raw files staged at once by the default (thread) runner. Prefect's default is unbounded
# (sys.maxsize threads): at 10M rows (30 part files) every file would be parsed at once and the
# memory of the run would grow with the number of files. Two is the core count of the machine
# this is measured on; MARKET_INTEL_STAGE_WORKERS overrides.
STAGE_WORKERS = max(1, int(os.environ.get("MARKET_INTEL_STAGE_WORKERS", "2")))


@dataclass
class StageTimer:
    """Wall time per stage, recorded in `runs`; in the progress log also the peak RSS within each stage
    (a PeakMeter from `start` to `record`, which starts the next one; `close` stops the last)."""

    timings: dict[str, float] = field(default_factory=dict)

    fault_after: str | None = None
    meter: PeakMeter | None = None

    def start(self) -> None:
        """Measure the peak RSS of the step that begins now (logged by `record`)."""
        self.meter = PeakMeter().__enter__()

    def record(self, stage: str, started: float) -> None:
        self.timings[stage] = round(time.perf_counter() - started, 3)
        during = ""
        if self.meter is not None:
            self.meter.__exit__(None, None, None)
            during = f"peak RSS in the step {self.meter.peak_mb:,.0f} MB, "
        peak_mb = peak_rss_mb()
        release_freed_memory()  # the next step starts from what is held, not from what was freed
        now_mb = current_rss_mb()
        now = f"RSS after it {now_mb:,.0f} MB, " if now_mb is not None else ""
        PROGRESS.log(f"[bold]{stage}[/bold] done in {self.timings[stage]:.1f} s "
                     f"({during}{now}peak RSS so far {peak_mb:,.0f} MB)")
        if stage == self.fault_after:  # reliability tests: die like a killed machine, mid-run
            os.kill(os.getpid(), signal.SIGKILL)
        self.start()

    def close(self) -> None:
        if self.meter is not None:
            self.meter.__exit__(None, None, None)
            self.meter = None


def metered(name: str, call: Callable[[], Any]) -> Any:
    """`call()`, logging its seconds and the peak RSS while it ran (one step inside a stage)."""
    started = time.perf_counter()
    with PeakMeter() as meter:
        result = call()
    PROGRESS.log(f"  {name} done in {time.perf_counter() - started:.1f} s (peak RSS in it {meter.peak_mb:,.0f} MB)")
    return result


# --------------------------------------------------------------------------- staging


def staging_cache_key(file_checksum: str, spec_checksum: str, digest: str, as_of: date | None,
                      source_file: str = "") -> str:
    """The key of a staged file's cache entry; as_of None: the entry that holds for every as_of of its meta's
    window [as_of_from, as_of_until) (transforms.normalise.as_of_window). `source_file` (the name rows carry,
    specs.source_file_name) is in it: two files of one name and the same bytes in two sub-folders shared one
    folder (the second read the first one's staged rows, its name inside, as its own)."""
    when = as_of.isoformat() if as_of is not None else "any-as_of-in-meta-window"
    return storage.text_digest(f"{file_checksum}|{spec_checksum}|{digest}|{when}|{source_file}")[:24]


def _retry_unless_spec_error(task, task_run, state) -> bool:
    """A SpecError (a mapped column missing from the file, bytes not in the spec's encoding) fails the
    same way on every attempt: the task fails at once instead of after two retries."""
    error = state.data if isinstance(getattr(state, "data", None), BaseException) else None
    if error is None:
        try:
            error = state.result(raise_on_failure=False)
        except Exception:  # noqa: BLE001 - no result to look at: retry as before
            return True
    return not isinstance(error, spec_mod.SpecError)


@task(name="stage-file", retries=2, retry_delay_seconds=[1, 5], retry_condition_fn=_retry_unless_spec_error)
def stage_file_task(spec_path: str, file_path: str, cache_dir: str, spec_sha256: str, digest: str,
                    as_of_iso: str, full_refresh: bool) -> dict:
    """Checksum one raw file, then (unless cached under that checksum) read it, normalise it and write its
    observations part and rejects. Returns the stage's meta with the file's sha256 and size.

    The checksum is taken here, right before the file is parsed, not for all files before staging:
    at 100M rows the 28 GB of raw files do not fit the page cache, so hashing them all first read
    every byte from disk twice (the parse found the first files evicted: 52.9 GB read by the flow,
    ~58 MB/s on this machine's disk, benchmarks/, issue 9); now the parse reads what the hash just
    brought into the cache. spec_sha256 and digest (the code digest) are the other parts of the
    staging cache key (staging_cache_key)."""
    from transforms import normalise, staging
    from transforms.reference import load_reference

    spec, as_of = spec_mod.load_spec(Path(spec_path)), parse_as_of(as_of_iso)
    checksum = storage.file_checksum(file_path)
    entry, name = f"{Path(file_path).name}-{{}}", spec_mod.source_file_name(spec, file_path)
    # two entries can hold a file's staged rows: one for every as_of of a window of days that give the same
    # rows (transforms.normalise.as_of_window: a file whose rows are older than as_of, what a nightly run
    # with a new as_of finds), else one for this as_of alone (a file with rows of only a year, as_of's)
    free = Path(cache_dir) / spec.name / entry.format(staging_cache_key(checksum, spec_sha256, digest, None, name))
    target = Path(cache_dir) / spec.name / entry.format(staging_cache_key(checksum, spec_sha256, digest, as_of, name))
    identity = {"sha256": checksum, "bytes": Path(file_path).stat().st_size}
    for found in (free, target):
        meta_path = found / "meta.json"
        if full_refresh or not meta_path.exists():
            continue
        meta = json.loads(meta_path.read_text())
        if found == free and not (date.fromisoformat(meta["as_of_from"]) <= as_of
                                  < date.fromisoformat(meta["as_of_until"])):
            continue
        # the paths are this run's, not the ones recorded when the entry was written: the output
        # directory may have been moved or copied since (its old path gone, or another directory's
        # cache), and the same bytes may now be read from another folder
        meta.update(file=str(file_path), observations=str(found / "observations.parquet"),
                    rejects=str(found / "rejects.parquet"), cached=True)
        return {**meta, **identity}
    settings = get_settings()
    ref, fx = load_reference(), normalise.default_fx(as_of)
    rows_read, rejects, windows = 0, [], []
    # piece by piece (transforms.staging.stage_chunks): memory holds one ~16 MB piece of the file, not
    # all of it; each piece's kept rows are in row order and appended after the previous piece's
    with storage.appending_table(target / "observations.parquet", normalise.OBSERVATION_COLUMNS) as append:
        for staged in staging.stage_chunks(spec, Path(file_path)):
            result = normalise.normalise(staged.frame, spec, ref, fx, as_of=as_of,
                                         min_annual_pay_usd=settings.min_annual_pay_usd,
                                         max_annual_pay_usd=settings.max_annual_pay_usd)
            rows_read += staged.rows_read
            rejects += [staged.rejects, result.rejects]
            windows.append(result.as_of_window)
            del staged
            append(result.observations)
            del result
    storage.write_table(pl.concat(rejects, how="diagonal_relaxed"), target / "rejects.parquet",
                        sort_by=["source", "source_file", "row_number"])
    meta = {"source": spec.name, "kind": spec.kind, "rows_read": int(rows_read), "cached": False}
    if windows and None not in windows:  # the same rows for every as_of of the window: kept for them all
        meta["as_of_from"] = max(w[0] for w in windows).isoformat()
        meta["as_of_until"] = min(w[1] for w in windows).isoformat()
        storage.write_json_atomic(target / "meta.json", meta)
        shutil.rmtree(free, ignore_errors=True)  # a --full-refresh restages over an older entry
        target.rename(free)
        target = free
    else:
        storage.write_json_atomic(target / "meta.json", meta)
    meta.update(file=str(file_path), observations=str(target / "observations.parquet"),
                rejects=str(target / "rejects.parquet"))
    return {**meta, **identity}


# --------------------------------------------------------------------------- marts


@task(name="build-observations")
def observations_task(stage_results: list[dict], work_dir: str, run_id: str) -> dict:
    """Duplicates and outliers decided on narrow columns, kept rows streamed part by part to hive pieces
    by the published partitioning (memory holds one staged part, not the table:
    transforms.observations.write_observations). The marts read the glob over the pieces, publish
    copies them partition by partition."""
    from transforms.observations import write_observations

    results = sorted(stage_results, key=lambda m: (m["source"], m["file"]))
    read_counts: dict[str, int] = {}
    for m in results:
        read_counts[m["source"]] = read_counts.get(m["source"], 0) + m["rows_read"]
    work = Path(work_dir)
    written = write_observations([Path(m["observations"]) for m in results], [Path(m["rejects"]) for m in results],
                                 read_counts, work, get_settings(), partition_by=("year", "country_code"))
    accounting = written.accounting.with_columns(pl.lit(run_id).alias("run_id"))
    return {
        "observations": str(written.observations),  # the glob over the pieces (a file when no row is kept)
        # their folder (year=Y/country_code=C/part-NNNNN.parquet): what publish reads
        "observations_partitioned": str(written.partitioned or written.observations),
        "rejects": str(written.rejects),
        "duplicates": str(written.duplicates),
        "source_accounting": str(storage.write_table(accounting, work / "source_accounting.parquet",
                                                     sort_by=["source"])),
    }


@task(name="build-role-region-stats")
def stats_task(observations_path: str, work_dir: str) -> str:
    from transforms.stats import build_role_region_stats

    frame = build_role_region_stats(Path(observations_path), get_settings())
    return str(storage.write_table(frame, Path(work_dir) / "role_region_stats.parquet",
                                   sort_by=["role_label", "region", "year"]))


SIGNIFICANT_DIGITS = 9


def stable_floats(frame: pl.DataFrame) -> pl.DataFrame:
    """Round Float64 columns to 9 significant digits, far below any precision a report shows.

    Least squares through BLAS and multi-threaded group sums can differ in the last bits between
    processes and thread counts (the Dask runner, a rerun); this makes the published bytes stable.
    """
    return frame.with_columns(pl.col(pl.Float64).round_sig_figs(SIGNIFICANT_DIGITS))


@task(name="build-skill-premiums")
def premiums_task(observations_path: str, work_dir: str) -> str:
    from transforms.premiums import build_skill_premiums

    frame = build_skill_premiums(Path(observations_path), get_settings())
    release_freed_memory()  # its numpy buffers, freed into this worker thread's heap
    frame = stable_floats(frame)
    return str(storage.write_table(frame, Path(work_dir) / "skill_premiums.parquet",
                                   sort_by=["role_label", "region", "skill", "method"]))


@task(name="build-demand-signals")
def demand_task(observations_path: str, work_dir: str, as_of_iso: str) -> str:
    from transforms.demand import build_demand_signals

    frame = build_demand_signals(Path(observations_path), parse_as_of(as_of_iso), get_settings())
    return str(storage.write_table(frame, Path(work_dir) / "demand_signals.parquet",
                                   sort_by=["role_label", "region", "period_type", "period"]))


@task(name="fit-projections")
def projections_task(stats_path: str, work_dir: str, as_of_iso: str) -> dict:
    from transforms.projections import backtest_summary, build_projections

    projections, backtests = build_projections(pl.read_parquet(stats_path), parse_as_of(as_of_iso), get_settings())
    projections, backtests = stable_floats(projections), stable_floats(backtests)
    work = Path(work_dir)
    return {
        "projections": str(storage.write_table(projections, work / "projections.parquet",
                                               sort_by=["role_label", "region"])),
        "backtests": str(storage.write_table(backtests, work / "backtests.parquet",
                                             sort_by=["role_label", "region", "holdout_year"])),
        "summary": backtest_summary(backtests),
    }


BACKTEST_SUMMARY_COLUMNS = ("median_abs_pct_error", "naive_median_abs_pct_error", "coverage_90", "cells")


@task(name="render-reports")
def reports_task(paths: dict[str, str], work_dir: str, as_of_iso: str, run_id: str, summary: dict) -> dict:
    from transforms import reports
    from transforms.reference import load_reference

    tables = {name: pl.read_parquet(paths[name]) for name in
              ("role_region_stats", "skill_premiums", "demand_signals", "projections", "backtests",
               "source_accounting")}  # source_accounting: the sources a report names
    ref = load_reference()
    tables["skill_shares"] = reports.build_skill_shares(
        storage.parquet_batches(paths["observations"], reports.SHARE_BATCH_ROWS))
    tables["ppp"] = reports.load_ppp(ref.directory)
    report_frame, claims = reports.build_reports(tables, ref, parse_as_of(as_of_iso), run_id, summary)
    work = Path(work_dir)
    reports.write_report_files(report_frame, claims, tables, work / "report_files")
    summary_frame = pl.DataFrame({k: [summary.get(k)] for k in BACKTEST_SUMMARY_COLUMNS},
                                 schema={**{k: pl.Float64 for k in BACKTEST_SUMMARY_COLUMNS}, "cells": pl.Int64})
    return {
        "skill_shares": str(storage.write_table(tables["skill_shares"], work / "skill_shares.parquet",
                                                sort_by=["role_label", "region", "year", "kind", "skill"])),
        "ppp": str(storage.write_table(tables["ppp"], work / "ppp.parquet", sort_by=["country_code", "year"])),
        "backtest_summary": str(storage.write_table(summary_frame, work / "backtest_summary.parquet")),
        "reports": str(storage.write_table(report_frame, work / "reports.parquet", sort_by=["role_label", "region"])),
        "report_claims": str(storage.write_table(claims, work / "report_claims.parquet",
                                                 sort_by=["role_label", "region", "claim_id"])),
        "report_files": str(work / "report_files" / "reports"),  # write_report_files adds reports/
    }


@task(name="publish", retries=1, retry_delay_seconds=2)
def publish_task(paths: dict[str, str], out_dir: str, run_id: str, report_files: str) -> dict:
    from market_intel import publish

    tables = {name: Path(p) for name, p in paths.items()}
    result = publish.publish_snapshot(tables, Path(out_dir), run_id, report_files=Path(report_files))
    return {"snapshot": str(result.snapshot_dir), "catalog": str(result.catalog_path)}


# --------------------------------------------------------------------------- the flow


def discover_specs(sources: list[str] | None, settings: Settings) -> list[Path]:
    """The spec files of this run: the given ones (a file given twice counts once), or every spec in
    data/sources/."""
    if sources:
        return list(dict.fromkeys(Path(s).resolve() for s in sources))
    return sorted(p.resolve() for p in settings.sources_dir.glob("*.yaml"))


@flow(name="nightly", log_prints=True, task_runner=ThreadPoolTaskRunner(max_workers=STAGE_WORKERS))
def nightly(as_of: str | None = None, sources: list[str] | None = None, out_dir: str | None = None,
            full_refresh: bool = False, lock_wait_seconds: float = 0.0) -> dict:
    """One nightly run: stage every raw file of every spec, build all tables, publish atomically.

    One writer per output directory: the run holds DIR/.run.lock from start to publish.
    """
    settings = get_settings()
    out = Path(out_dir or settings.out_dir).resolve()
    with run_lock(out, wait_seconds=lock_wait_seconds):
        timer = StageTimer(fault_after=settings.fault_after_stage)
        timer.start()
        try:
            return _run(parse_as_of(as_of), sources, out, full_refresh, settings, timer)
        finally:
            timer.close()


# every stage's wall seconds of the newest run, publish included: DIR/.work/last_run_timings.json
LAST_RUN_TIMINGS = "last_run_timings.json"


def _run(as_of_date: date, sources: list[str] | None, out: Path, full_refresh: bool, settings: Settings,
         timer: StageTimer) -> dict:
    logger = get_run_logger()
    started_at = datetime.now(timezone.utc)

    t0 = time.perf_counter()
    spec_paths = discover_specs(sources, settings)
    loaded = [(p, spec_mod.load_spec(p)) for p in spec_paths]
    spec_mod.check_unique_names([spec for _, spec in loaded])
    files = [{"source": spec.name, "spec": str(p), "spec_sha256": storage.file_checksum(p), "file": str(f),
              "source_file": spec_mod.source_file_name(spec, f)}
             for p, spec in loaded for f in spec_mod.resolve_files(spec)]
    digest = code_digest(settings)
    cache_dir = out / ".work" / "staging"
    logger.info("%d specs, %d raw files", len(loaded), len(files))

    # each task checksums its file right before parsing it (see stage_file_task); the run id, which
    # names the inputs by checksum, follows the staging
    futures = [
        stage_file_task.submit(item["spec"], item["file"], str(cache_dir), item["spec_sha256"], digest,
                               as_of_date.isoformat(), full_refresh)
        for item in files
    ]
    stage_results = [f.result() for f in futures]
    inputs = [{**item, "sha256": staged["sha256"], "bytes": staged["bytes"]}
              for item, staged in zip(files, stage_results)]
    run_id = run_identity(as_of_date, inputs, digest)
    work_dir = out / ".work" / "runs" / run_id
    if work_dir.exists():
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True)
    logger.info("run %s: %d specs, %d raw files", run_id, len(loaded), len(inputs))
    timer.record("stage", t0)

    t0 = time.perf_counter()
    obs_paths = observations_task(stage_results, str(work_dir), run_id)
    timer.record("observations", t0)

    t0 = time.perf_counter()
    # one after another: each is multi-threaded already, and in parallel they oversubscribe two
    # cores (78-107 s against 35 s at 1M rows, BENCHMARKS.md); on Dask each still runs on a worker
    paths = dict(obs_paths)
    observations_partitioned = paths.pop("observations_partitioned")
    paths["role_region_stats"] = metered("role_region_stats", lambda: stats_task.submit(
        obs_paths["observations"], str(work_dir)).result())
    paths["skill_premiums"] = metered("skill_premiums", lambda: premiums_task.submit(
        obs_paths["observations"], str(work_dir)).result())
    paths["demand_signals"] = metered("demand_signals", lambda: demand_task.submit(
        obs_paths["observations"], str(work_dir), as_of_date.isoformat()).result())
    timer.record("marts", t0)

    t0 = time.perf_counter()
    proj = projections_task(paths["role_region_stats"], str(work_dir), as_of_date.isoformat())
    paths.update(projections=proj["projections"], backtests=proj["backtests"])
    timer.record("projections", t0)

    t0 = time.perf_counter()
    rep = reports_task(paths, str(work_dir), as_of_date.isoformat(), run_id, proj["summary"])
    paths.update({name: rep[name] for name in ("reports", "report_claims", "skill_shares", "ppp",
                                                "backtest_summary")})
    timer.record("reports", t0)

    t0 = time.perf_counter()
    runs_path = write_runs_table(out, work_dir, run_id, as_of_date, started_at, inputs, digest, settings,
                                 stage_results, paths, timer, proj["summary"])
    paths["runs"] = str(runs_path)
    published = publish_task({**paths, "observations": observations_partitioned}, str(out), run_id,
                             rep["report_files"])
    timer.record("publish", t0)
    # the runs table is published, so it cannot hold publish's own seconds: they go next to it
    storage.write_json_atomic(out / ".work" / LAST_RUN_TIMINGS,
                              {"run_id": run_id, "stage_timings": dict(timer.timings)})

    summary = summarise_run(run_id, paths, stage_results, proj["summary"], published, out)
    publish_artifacts(summary)
    # published: the work folders (this run's, and any a failed or killed run left for inspection) and
    # the cache entries this run did not use go (prune_work)
    summary["work_removed"] = prune_work(out / ".work", stage_results)
    return summary


# what a staging cache entry holds once written (stage_file_task); anything else in it is a killed stage's
# temporary file
STAGED_FILES = frozenset({"observations.parquet", "rejects.parquet", "meta.json"})


def prune_work(work_root: Path, stage_results: list[dict]) -> dict[str, int]:
    """After a publish: delete every run's work folder (DIR/.work/runs/*) and every staging cache entry
    (DIR/.work/staging/<source>/<file>-<key>) that this run did not stage or read from the cache.

    The cache key holds as_of, the code digest and the spec's and file's checksums, so each nightly run
    (a new as_of), each code or spec change and each edited, renamed or deleted raw file writes entries
    that no later run of other inputs reads again; kept, they grew DIR/.work by a copy of the staged
    data per run. What stays is exactly what a rerun on the same inputs reads. Runs hold the run lock,
    so no other run is using these folders."""
    removed = {"run_folders": 0, "staging_entries": 0}
    runs = work_root / "runs"
    for folder in sorted(runs.iterdir()) if runs.is_dir() else []:
        _remove(folder)
        removed["run_folders"] += 1
    used = {Path(result["observations"]).parent.resolve() for result in stage_results}
    cache = work_root / "staging"
    for source in sorted(cache.iterdir()) if cache.is_dir() else []:
        for entry in sorted(source.iterdir()) if source.is_dir() and not source.is_symlink() else [source]:
            if entry.resolve() in used:
                for leftover in entry.iterdir():
                    if leftover.name not in STAGED_FILES:
                        _remove(leftover)
                continue
            _remove(entry)
            removed["staging_entries"] += 1
        if source.is_dir() and not source.is_symlink() and not any(source.iterdir()):
            source.rmdir()
    return removed


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def write_runs_table(out: Path, work_dir: Path, run_id: str, as_of: date, started_at: datetime, inputs: list[dict],
                     digest: str, settings: Settings, stage_results: list[dict], paths: dict[str, str],
                     timer: StageTimer, backtest: dict) -> Path:
    """`runs`: the previous published history plus this run (attempt-numbered)."""
    row_counts = {name: pl.scan_parquet(p).select(pl.len()).collect().item() for name, p in sorted(paths.items())}
    row_counts["staged_files"] = len(stage_results)
    row_counts["staged_files_from_cache"] = sum(1 for r in stage_results if r.get("cached"))
    # the history the catalog serves (the source of truth): a publish killed between its catalog swap and
    # its `current` swap leaves `current` on the snapshot before, whose runs lack the served run
    from market_intel.publish import SNAPSHOTS_DIR, catalog_info

    info = catalog_info(out)
    served = out / SNAPSHOTS_DIR / info["snapshot_id"] if info else out / "current"
    history_path = served / "runs" / "runs.parquet"
    history = pl.read_parquet(history_path) if history_path.exists() else None
    attempt = 1
    if history is not None and history.height:
        attempt = int(history.filter(pl.col("run_id") == run_id).height) + 1
    row = pl.DataFrame({
        "run_id": [run_id],
        "attempt": [attempt],
        "as_of": [as_of],
        "started_at": [started_at],
        "finished_at": [datetime.now(timezone.utc)],
        "code_version": [digest],
        "settings_json": [settings.model_dump_json()],
        "inputs_json": [json.dumps(inputs, sort_keys=True)],
        "row_counts_json": [json.dumps(row_counts, sort_keys=True)],
        "stage_timings_json": [json.dumps(timer.timings, sort_keys=True)],
        "backtest_median_ape": [backtest.get("median_abs_pct_error")],
        "backtest_naive_median_ape": [backtest.get("naive_median_abs_pct_error")],
        "backtest_coverage_90": [backtest.get("coverage_90")],
        "backtest_cells": [backtest.get("cells")],
    }, schema_overrides={"attempt": pl.Int32})
    if history is not None:
        row = pl.concat([history, row], how="diagonal_relaxed")
    return storage.write_table(row, work_dir / "runs.parquet", sort_by=["started_at", "run_id", "attempt"])


def summarise_run(run_id: str, paths: dict[str, str], stage_results: list[dict], backtest: dict,
                  published: dict, out: Path) -> dict:
    accounting = pl.read_parquet(paths["source_accounting"]).sort("source")
    stats = pl.read_parquet(paths["role_region_stats"])
    grades = dict(stats.group_by("reliability").len().sort("reliability").iter_rows())
    return {
        "run_id": run_id,
        "catalog": published["catalog"],
        "snapshot": published["snapshot"],
        "reports_dir": str(out / "reports"),
        "accounting": accounting.to_dicts(),
        "cells_by_reliability": grades,
        "reports": pl.scan_parquet(paths["reports"]).select(pl.len()).collect().item(),
        "backtest": backtest,
        "staged_files": len(stage_results),
        "staged_files_from_cache": sum(1 for r in stage_results if r.get("cached")),
    }


def publish_artifacts(summary: dict) -> None:
    """A Markdown summary and a table artifact per run, visible in the Prefect UI."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    lines = [f"# Nightly run {summary['run_id']}", "", "| source | read | kept | rejected | duplicate |",
             "|---|---:|---:|---:|---:|"]
    for row in summary["accounting"]:
        lines.append(f"| {row['source']} | {row['rows_read']} | {row['rows_kept']} | {row['rows_rejected']} "
                     f"| {row['rows_duplicate']} |")
    lines += ["", f"Cells by reliability: {summary['cells_by_reliability']}",
              f"Reports: {summary['reports']}", f"Backtest: {summary['backtest']}"]
    try:
        create_markdown_artifact(markdown="\n".join(lines), key="nightly-summary", description="Nightly run summary")
        create_table_artifact(table=summary["accounting"], key="source-accounting", description="Row accounting")
    except Exception as exc:  # artifacts are informative; never fail a run on them
        get_run_logger().warning("could not create artifacts: %s", exc)
