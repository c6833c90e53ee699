"""A real Prefect server on 127.0.0.1, the served nightly deployment, a manual run with parameters."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_served_deployment_runs_a_manual_trigger_with_parameters(tmp_path):
    from transforms.synthetic import generate_market

    market = tmp_path / "market"
    generate_market(rows=12_000, seed=5, out=market)
    specs = sorted(str(p) for p in (market / "sources").glob("*.yaml"))
    out_dir = tmp_path / "out"
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               DO_NOT_TRACK="1", PREFECT_UI_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING",
               MARKET_INTEL_OUT_DIR=str(tmp_path / "default-out"))
    server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                              start_new_session=True)
    client_env = dict(env, PREFECT_API_URL=api)
    serving = None
    try:
        wait_for(f"{api}/health", 120)
        serving = subprocess.Popen([str(BIN / "market-intel"), "serve"], env=client_env, cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        params = json.dumps({"as_of": "2026-02-01", "sources": specs, "out_dir": str(out_dir)})
        deadline = time.monotonic() + 90
        while True:  # the deployment appears once `serve` has registered it
            triggered = subprocess.run(
                [str(BIN / "prefect"), "deployment", "run", "nightly/nightly", "--params", params,
                 "--watch", "--watch-timeout", "600"],
                env=client_env, cwd=ROOT, capture_output=True, text=True)
            if triggered.returncode == 0 or time.monotonic() > deadline or "not found" not in (
                    triggered.stdout + triggered.stderr).lower():
                break
            time.sleep(2)
        assert triggered.returncode == 0, triggered.stdout[-2000:] + triggered.stderr[-2000:]
        assert "COMPLETED" in triggered.stdout.upper()
        con = duckdb.connect(str(out_dir / "warehouse.duckdb"), read_only=True)
        try:
            as_of = con.sql("select max(as_of) from runs").fetchall()[0][0]
            reports = con.sql("select count(*) from reports").fetchall()[0][0]
        finally:
            con.close()
        assert str(as_of) == "2026-02-01"
        assert reports > 0
        assert not (tmp_path / "default-out").exists(), "the parameter out_dir was ignored"
    finally:
        if serving is not None:
            stop(serving)
        stop(server)
