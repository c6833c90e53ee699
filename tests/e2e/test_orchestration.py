"""Orchestration: incremental staging, the Dask task runner, the run lock."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import E2E_AS_OF

pytestmark = pytest.mark.slow

SMALL_ROWS = 24_000
SMALL_CHUNK = 8_000  # three part files per source


def published_digests(out_dir: Path) -> dict[str, str]:
    """sha256 of every published Parquet file and report, by path relative to the snapshot.

    `runs` is left out: it records wall-clock timings by design; so are the snapshot's own
    bookkeeping files (_manifest.json, _PUBLISHED), which name the run and the publish time.
    """
    current = (out_dir / "current").resolve()
    digests = {}
    for path in sorted(current.rglob("*")):
        rel = path.relative_to(current)
        if path.is_file() and rel.parts[0] not in ("runs", "_manifest.json", "_PUBLISHED"):
            digests[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


@pytest.fixture(scope="module")
def small_market(tmp_path_factory) -> Path:
    from transforms.synthetic import generate_market

    market = tmp_path_factory.mktemp("small-market")
    generate_market(rows=SMALL_ROWS, seed=11, out=market, chunk_rows=SMALL_CHUNK)
    return market


def specs_of(market: Path) -> list[str]:
    return sorted(str(p) for p in (market / "sources").glob("*.yaml"))


def test_a_new_raw_file_is_the_only_one_staged_and_outputs_equal_a_full_refresh(
        small_market, tmp_path, prefect_harness):
    from flows.nightly import nightly

    market = tmp_path / "market"
    shutil.copytree(small_market, market)
    parts = sorted((market / "raw" / "salary_reports").glob("*.csv"))
    assert len(parts) >= 2
    held_back = parts[-1]
    parked = tmp_path / held_back.name
    shutil.move(held_back, parked)

    incremental_out = tmp_path / "incremental"
    first = nightly(as_of=E2E_AS_OF, sources=specs_of(market), out_dir=str(incremental_out))
    assert first["staged_files_from_cache"] == 0
    shutil.move(parked, held_back)
    second = nightly(as_of=E2E_AS_OF, sources=specs_of(market), out_dir=str(incremental_out))
    assert second["staged_files"] == first["staged_files"] + 1
    assert second["staged_files_from_cache"] == first["staged_files"]

    full_out = tmp_path / "full"
    nightly(as_of=E2E_AS_OF, sources=specs_of(market), out_dir=str(full_out), full_refresh=True)
    assert published_digests(incremental_out) == published_digests(full_out)


def test_each_raw_file_is_hashed_by_its_own_stage_task_right_before_it_is_parsed(
        small_market, tmp_path, prefect_harness, monkeypatch):
    """A raw file is read from disk once: its checksum (run id, staging cache key) is taken in the task
    that parses it, just before, on the same thread, so the parse finds the bytes in the page cache.
    Hashing every file before staging any (as before) read 28 GB twice at 100M rows (issue 9)."""
    import os
    import threading

    from flows.nightly import nightly
    from market_intel import storage
    from transforms import staging

    raw = {str(p) for p in (small_market / "raw").rglob("*") if p.is_file()}
    events: list[tuple[int, str, str]] = []
    hash_file, stage_chunks = storage.file_checksum, staging.stage_chunks

    def recording_hash(path, *args, **kwargs):
        if os.path.normpath(path) in raw:  # the specs name files as sources/../raw/...
            events.append((threading.get_ident(), "hash", os.path.normpath(path)))
        return hash_file(path, *args, **kwargs)

    def recording_stage(spec, path, *args, **kwargs):
        events.append((threading.get_ident(), "parse", os.path.normpath(path)))
        return stage_chunks(spec, path, *args, **kwargs)

    monkeypatch.setattr(storage, "file_checksum", recording_hash)

    monkeypatch.setattr(staging, "stage_chunks", recording_stage)
    summary = nightly(as_of=E2E_AS_OF, sources=specs_of(small_market), out_dir=str(tmp_path / "out"))

    assert summary["staged_files"] == len(raw) >= 6
    assert sorted(path for _, kind, path in events if kind == "hash") == sorted(raw)  # each once
    assert sorted(path for _, kind, path in events if kind == "parse") == sorted(raw)
    for thread in {t for t, _, _ in events}:
        mine = [(kind, path) for t, kind, path in events if t == thread]
        for position, (kind, path) in enumerate(mine):
            if kind == "parse":
                assert position > 0 and mine[position - 1] == ("hash", path), mine


def test_the_dask_runner_publishes_byte_identical_tables_and_reports(small_market, tmp_path, prefect_harness):
    from prefect_dask import DaskTaskRunner

    from flows.nightly import nightly

    thread_out, dask_out = tmp_path / "thread", tmp_path / "dask"
    nightly(as_of=E2E_AS_OF, sources=specs_of(small_market), out_dir=str(thread_out))
    runner = DaskTaskRunner(cluster_kwargs={"n_workers": 2, "threads_per_worker": 1, "processes": True,
                                            "dashboard_address": None, "host": "127.0.0.1"})
    nightly.with_options(task_runner=runner)(as_of=E2E_AS_OF, sources=specs_of(small_market),
                                             out_dir=str(dask_out))
    thread_digests, dask_digests = published_digests(thread_out), published_digests(dask_out)
    assert len(thread_digests) > 20
    assert thread_digests == dask_digests


def test_a_second_writer_on_the_same_output_directory_is_refused_with_a_clear_message(tmp_path):
    from market_intel.runinfo import RunLocked, run_lock

    with run_lock(tmp_path):
        with pytest.raises(RunLocked, match="another run is writing"):
            with run_lock(tmp_path, wait_seconds=0.2):
                pass
    with run_lock(tmp_path):  # released: the next run takes it
        pass


def test_runs_table_records_inputs_with_checksums_and_stage_timings(default_market_run):
    runs = default_market_run.sql("select * from runs")
    assert runs.height >= 1
    last = runs.sort("started_at").tail(1).to_dicts()[0]
    import json

    inputs = json.loads(last["inputs_json"])
    assert inputs and all(len(i["sha256"]) == 64 for i in inputs)
    for item in inputs:
        assert hashlib.sha256(Path(item["file"]).read_bytes()).hexdigest() == item["sha256"]
    timings = json.loads(last["stage_timings_json"])
    assert set(timings) >= {"stage", "observations", "marts", "projections", "reports"}  # publish follows the runs row
    counts = json.loads(last["row_counts_json"])
    assert counts["observations"] == default_market_run.sql("select count(*) from observations").item()
    assert pl.Series([last["as_of"]]).cast(pl.Utf8)[0] == E2E_AS_OF
    # publish's own seconds are kept beside the catalog, for the same run
    recorded = json.loads((default_market_run.out_dir / ".work" / "last_run_timings.json").read_text())
    assert recorded["run_id"] == last["run_id"]
    assert set(recorded["stage_timings"]) == set(timings) | {"publish"}
    assert all(recorded["stage_timings"][k] == v for k, v in timings.items())
