"""kill -9 at every stage boundary: the published snapshot stays whole; a rerun matches a clean run."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.e2e.test_orchestration import published_digests

ROOT = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).parent / "market-intel")
STAGES = ("stage", "observations", "marts", "projections", "reports")
pytestmark = pytest.mark.slow


def run_cli(market: Path, out: Path, as_of: str, env: dict, fault: str | None = None) -> subprocess.CompletedProcess:
    """Run the CLI in its own process group; output goes to a file, not a pipe.

    A SIGKILLed run leaves its temporary Prefect server (a child) orphaned, holding any pipe it
    inherited open; the whole group is killed once the run has ended.
    """
    specs = sorted((market / "sources").glob("*.yaml"))
    args = [CLI, "run", "--out", str(out), "--as-of", as_of]
    for spec in specs:
        args += ["--source", str(spec)]
    run_env = dict(env, MARKET_INTEL_FAULT_AFTER_STAGE=fault) if fault else env
    log = out.parent / f"run-{as_of}-{fault or 'full'}-{out.name}.log"
    with open(log, "w") as handle:
        proc = subprocess.Popen(args, env=run_env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            returncode = proc.wait(timeout=600)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    text = log.read_text(errors="replace")
    return subprocess.CompletedProcess(args, returncode, text, text)


def catalog_state(out: Path) -> tuple:
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    try:
        return (con.sql("select max(as_of)::varchar, count(*) from runs").fetchall()[0],
                con.sql("select count(*) from observations").fetchall()[0][0],
                con.sql("select count(*), sum(n) from role_region_stats").fetchall()[0],
                con.sql("select count(*) from reports").fetchall()[0][0])
    finally:
        con.close()


def test_a_run_killed_at_each_stage_keeps_the_last_publish_and_the_rerun_matches_a_clean_run(tmp_path):
    from transforms.synthetic import generate_market

    market = tmp_path / "market"
    generate_market(rows=12_000, seed=21, out=market)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "MARKET_INTEL_"))}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               DO_NOT_TRACK="1", PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="90")
    out = tmp_path / "out"
    first = run_cli(market, out, "2026-01-15", env)
    assert first.returncode == 0, first.stderr[-3000:]
    before = catalog_state(out)
    snapshot_before = published_digests(out)

    for stage in STAGES:
        killed = run_cli(market, out, "2026-03-01", env, fault=stage)
        assert killed.returncode == -signal.SIGKILL, (stage, killed.returncode, killed.stderr[-2000:])
        assert catalog_state(out) == before, f"the catalog changed after a kill at {stage}"
        assert published_digests(out) == snapshot_before, f"the published snapshot changed after a kill at {stage}"

    rerun = run_cli(market, out, "2026-03-01", env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    clean = tmp_path / "clean"
    uninterrupted = run_cli(market, clean, "2026-03-01", env)
    assert uninterrupted.returncode == 0, uninterrupted.stderr[-3000:]
    assert catalog_state(out)[0][0] == "2026-03-01"
    assert published_digests(out) == published_digests(clean)


def test_two_runs_on_the_same_inputs_and_as_of_are_byte_identical(tmp_path, prefect_harness):
    from flows.nightly import nightly
    from transforms.synthetic import generate_market

    market = tmp_path / "market"
    generate_market(rows=12_000, seed=22, out=market)
    specs = sorted(str(p) for p in (market / "sources").glob("*.yaml"))
    nightly(as_of="2026-03-01", sources=specs, out_dir=str(tmp_path / "a"))
    nightly(as_of="2026-03-01", sources=specs, out_dir=str(tmp_path / "b"), full_refresh=True)
    a, b = published_digests(tmp_path / "a"), published_digests(tmp_path / "b")
    assert len(a) > 20 and any(name.endswith(".md") for name in a)
    assert a == b
