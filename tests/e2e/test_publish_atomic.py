"""Publishing is atomic across processes: a killed publish and concurrent readers never see a mix.

This file is also the child process of its tests (`python test_publish_atomic.py publish|read ...`),
so the publisher and the reader run in real separate processes, as in production.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_publish import build_tables  # noqa: E402  (valid frames of every contract table)

from market_intel import publish  # noqa: E402

HERE = Path(__file__).resolve()
# one query, one connection: run_id and row counts of two tables plus the observations count
SNAPSHOT_SQL = (
    "SELECT 'source_accounting' AS t, run_id, count(*) AS n FROM source_accounting GROUP BY run_id "
    "UNION ALL SELECT 'reports', run_id, count(*) FROM reports GROUP BY run_id "
    "UNION ALL SELECT 'observations', NULL, count(*) FROM observations ORDER BY t"
)


def expected_rows(run_id: str, size: int) -> list[tuple]:
    return sorted([("observations", None, 3 * size), ("reports", run_id, size), ("source_accounting", run_id, size)])


def size_of(run_id: str) -> int:
    """Snapshots in these tests are named s<size>, so their content identifies them."""
    return int(run_id[1:])


def child(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(HERE), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def wait_for_line(process: subprocess.Popen, prefix: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith(prefix):
            return line
        if not line and process.poll() is not None:
            raise AssertionError(f"child exited {process.returncode}: {process.stderr.read()}")
    raise AssertionError(f"no {prefix!r} from child within {timeout} s")


@pytest.mark.parametrize(
    ("stage", "served_after_kill"),
    [("parquet_written", "s2"), ("snapshot_in_place", "s2"), ("catalog_built", "s2"), ("catalog_swapped", "s5")],
)
def test_killed_publish_leaves_a_complete_snapshot_served_and_republish_works(tmp_path, stage, served_after_kill):
    publish.publish_snapshot(build_tables("s2", 2), tmp_path, "s2")
    publisher = child("publish", str(tmp_path), "s5", stage)
    wait_for_line(publisher, f"PAUSED {stage}")
    os.kill(publisher.pid, signal.SIGKILL)
    publisher.wait(timeout=30)
    publisher.stdout.close()
    publisher.stderr.close()

    served = publish.query(tmp_path, SNAPSHOT_SQL).rows()
    assert sorted(served) == expected_rows(served_after_kill, size_of(served_after_kill))
    assert publish.catalog_run_id(tmp_path) == served_after_kill
    assert publish.current_snapshot_id(tmp_path) == "s2"  # the link is swapped last

    result = publish.publish_snapshot(build_tables("s7", 7), tmp_path, "s7")
    assert sorted(publish.query(tmp_path, SNAPSHOT_SQL).rows()) == expected_rows("s7", 7)
    assert publish.current_snapshot_id(tmp_path) == "s7"
    assert not list(tmp_path.glob(".warehouse-*")) and not list((tmp_path / "snapshots").glob(".staging-*"))
    kept = sorted(path.name for path in (tmp_path / "snapshots").iterdir())
    assert kept == (["s2", "s5", "s7"] if stage == "catalog_swapped" else ["s2", "s7"])
    assert result.removed_snapshots == (("s5",) if stage in ("snapshot_in_place", "catalog_built") else ())


def test_reader_in_another_process_never_sees_an_error_or_a_mix_across_publishes(tmp_path):
    publish.publish_snapshot(build_tables("s1", 1), tmp_path, "s1", keep=3)
    stop = tmp_path / "stop-reading"
    reader = child("read", str(tmp_path), str(stop))
    wait_for_line(reader, "READING")
    published = ["s1"]
    for size in (4, 2, 6, 3, 5):
        publish.publish_snapshot(build_tables(f"s{size}", size), tmp_path, f"s{size}", keep=3)
        published.append(f"s{size}")
        time.sleep(0.2)
    stop.touch()
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    results = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    errors = [result for result in results if "error" in result]
    assert errors == []
    seen = []
    for result in results:
        rows = sorted(tuple(row) for row in result["rows"])
        run_id = rows[1][1]
        assert rows == expected_rows(run_id, size_of(run_id)), result
        if not seen or seen[-1] != run_id:
            seen.append(run_id)
    assert len(results) >= 20
    assert len(seen) >= 3 and seen == [run_id for run_id in published if run_id in seen]  # in publish order


def _publish_and_pause(out_dir: str, run_id: str, stage: str) -> None:
    def pause(reached: str) -> None:
        if reached == stage:
            print(f"PAUSED {stage}", flush=True)
            time.sleep(600)

    publish._checkpoint = pause
    publish.publish_snapshot(build_tables(run_id, size_of(run_id)), Path(out_dir), run_id)


def _read_until(out_dir: str, stop: str) -> None:
    """Open the catalog afresh, query, close, print one JSON line per read, until `stop` exists.

    Alternates between the analysts' plain `duckdb.connect(path, read_only=True)` and open_catalog.
    """
    import duckdb

    print("READING", flush=True)
    reads = 0
    while not os.path.exists(stop):
        reads += 1
        try:
            if reads % 2:
                con = duckdb.connect(str(Path(out_dir) / "warehouse.duckdb"), read_only=True)
            else:
                con = publish.open_catalog(Path(out_dir))
            try:
                rows = con.sql(SNAPSHOT_SQL).fetchall()
            finally:
                con.close()
            print(json.dumps({"rows": rows}), flush=True)
        except Exception as error:  # reported to the test, which fails on any
            print(json.dumps({"error": f"{type(error).__name__}: {error}"}), flush=True)


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    {"publish": _publish_and_pause, "read": _read_until}[command](*arguments)
