"""The benchmark harness (issue 9): what it measures must be right, or BENCHMARKS.md is fiction.

Each test checks the harness against something computed independently: the kernel and a known
allocation for the measurement, numpy for the baseline's percentiles, hand-made records for the
target verdicts and the generated block.
"""
from __future__ import annotations

import json
import sys
import textwrap

import numpy as np
import pytest

from benchmarks import harness, markdown
from benchmarks.baseline import PROBABILITIES, run_baseline
from benchmarks.measure import run_measured

MB = 2**20

# a child that starts a grandchild which holds ~300 MB for a moment and burns ~0.6 s of CPU, then
# burns ~0.3 s itself, both in user mode: only a tree-wide measurement sees both the memory and all the CPU
TREE_SCRIPT = textwrap.dedent("""
    import subprocess, sys, time
    grandchild = '''
    import time
    block = bytearray(300 * 2**20)
    for i in range(0, len(block), 4096):
        block[i] = 1
    time.sleep(1.0)
    end = time.process_time() + 0.6
    while time.process_time() < end:
        sum(range(100000))
    '''
    subprocess.run([sys.executable, "-c", grandchild], check=True)
    end = time.process_time() + 0.3
    while time.process_time() < end:
        sum(range(100000))
""")


def test_measurement_counts_memory_and_cpu_of_the_whole_process_tree(tmp_path):
    measured = run_measured([sys.executable, "-c", TREE_SCRIPT], tmp_path / "tree.log")
    assert measured.returncode == 0
    # the grandchild's 300 MB were resident while the poller looked (it holds them for a second)
    assert 300 * MB <= measured.peak_rss_bytes < 1024 * MB
    cpu = measured.cpu_user_seconds + measured.cpu_system_seconds
    # 0.6 s in the grandchild + 0.3 s in the child, spent in user mode (sums, not clock syscalls)
    assert measured.cpu_user_seconds >= 0.85
    assert measured.cpu_system_seconds > 0  # at least the 300 MB of page faults
    assert cpu <= measured.wall_seconds * 2.5  # two cores: cannot be far above wall time
    recorded = measured.as_dict()
    assert recorded["cpu_seconds"] == pytest.approx(cpu, abs=0.001)
    assert recorded["cores_busy"] == pytest.approx(cpu / measured.wall_seconds, abs=0.001)
    assert recorded["peak_rss_mb"] >= 300
    # who held it: the child and its grandchild at the peak poll, the grandchild ~300 MB
    held = recorded["peak_rss_by_process"]
    assert len(held) == 2
    assert max(v["rss_mb"] for v in held.values()) >= 300
    assert sum(v["rss_mb"] for v in held.values()) == pytest.approx(recorded["peak_rss_mb"], abs=0.2)
    timeline = (tmp_path / "tree.rss.tsv").read_text().splitlines()
    assert len(timeline) >= 2 and timeline[0].startswith("seconds\ttree_rss_mb")
    assert max(int(line.split("\t")[1]) for line in timeline[1:]) <= recorded["peak_rss_mb"] + 1


def test_measurement_of_a_failing_command_keeps_its_exit_code_and_log(tmp_path):
    measured = run_measured([sys.executable, "-c", "print('boom'); raise SystemExit(3)"], tmp_path / "x.log")
    assert measured.returncode == 3
    assert "boom" in (tmp_path / "x.log").read_text()


def _write_raw(raw):
    (raw / "salary_reports").mkdir(parents=True)
    (raw / "board_a").mkdir()
    (raw / "salary_reports" / "part-0000.csv").write_text(
        "job_title,location,work_year,salary,extra\n"
        "Data Engineer,Berlin,2025,50000,x\n"
        "Data Engineer,Berlin,2025,70000,x\n"
        "Data Engineer,Berlin,2025,90000,x\n"
        "Data Engineer,Berlin,2025,not a number,x\n"   # no amount: not counted
        "Data Engineer,Berlin,2024,61000,x\n"
        "\"Engineer, ML\",Toronto,2025,120000,x\n", encoding="utf-8")
    postings = [
        {"title": "Data Engineer", "location": "Berlin", "salary": "$80K-$95K", "posted_at": "2025-03-01"},
        {"title": "Data Engineer", "location": "Berlin", "salary": "1,100,000 a year", "posted_at": "2025-05-01"},
        {"title": "Data Engineer", "location": "Berlin", "salary": "competitive", "posted_at": "2025-05-02"},
        {"title": "Engineer, ML", "location": "Toronto", "salary": "130000.50", "posted_at": "2025-01-31"},
        {"title": "Engineer, ML", "location": "Toronto", "salary": "99000", "posted_at": "not a date"},
    ]
    (raw / "board_a" / "part-0000.jsonl").write_text(
        "".join(json.dumps(p) + "\n" for p in postings), encoding="utf-8")


def test_baseline_cells_equal_numpy_on_the_same_raw_rows(tmp_path):
    import duckdb

    raw = tmp_path / "raw"
    _write_raw(raw)
    out = tmp_path / "baseline.parquet"
    counts = run_baseline(raw, out)

    # independent: the amounts each cell should hold, read off the files above by hand
    expected = {
        ("Data Engineer", "Berlin", 2025): [50000, 70000, 90000, 80, 1_100_000],
        ("Data Engineer", "Berlin", 2024): [61000],
        ("Engineer, ML", "Toronto", 2025): [120000, 130000.5],
        ("Engineer, ML", "Toronto", None): [99000],  # an unreadable date: no year, still an amount
    }
    got = duckdb.sql("SELECT title, location, year, n, pay_quantiles FROM read_parquet($p)",
                     params={"p": str(out)}).fetchall()
    cells = {(t, loc, y): (n, q) for t, loc, y, n, q in got}
    assert set(cells) == set(expected)
    for key, amounts in expected.items():
        n, quantiles = cells[key]
        assert n == len(amounts)
        # quantile_cont is numpy's default (linear) interpolation
        assert quantiles == pytest.approx(np.percentile(amounts, [100 * p for p in PROBABILITIES]).tolist())
    assert counts == {"cells": 4, "rows_aggregated": 9, "seconds": counts["seconds"]}


def _full_record(rows, wall, cpu=None):
    full = {"wall_seconds": wall, "stage_total_seconds": wall - 10, "prefect_overhead_seconds": 10.0,
            "peak_rss_mb": 1500.0, "rows_per_second": rows / wall, "stage_timings": {"stage": 1.0, "marts": 2.0}}
    if cpu is not None:
        full.update(cpu_seconds=cpu, cores_busy=cpu / wall, disk_read_mb=12.5)
    return {"rows": rows, "full_run": full, "prefect_startup": {"wall_seconds": 9.0},
            "baseline": {"wall_seconds": 5.0, "peak_rss_mb": 300.0},
            "ratio_to_baseline": wall / 5.0, "ratio_to_baseline_excluding_prefect": (wall - 10) / 5.0,
            "targets": {"peak_rss_gb_10m": {"value": 1.465, "limit": 2.0, "pass": True}} if rows == 10_000_000 else {},
            "measured_at": "2026-12-02T08:00:00+00:00", "code": {"git_revision": "abc1234", "code_digest": "d" * 16},
            "machine": {"cpu": "cpu", "cores_logical": 2, "memory_gb": 23.5, "python": "3.11.7",
                        "load_average_at_start": [0.1, 0.2, 0.3]},
            "command": f"python -m benchmarks --rows {rows}"}


def _record(rows, wall_seconds=100.0, peak_rss_mb=1000.0):
    """A result record for the target verdicts: ratio to the baseline 1.2, the given wall time and peak."""
    record = _full_record(rows, wall_seconds)
    record["full_run"]["peak_rss_mb"] = peak_rss_mb
    return {**record, "ratio_to_baseline_excluding_prefect": 1.2}


def test_target_verdicts_at_and_beyond_each_limit():
    at_limit = harness.evaluate_targets(_record(10_000_000, peak_rss_mb=2.0 * 1024), None)
    assert at_limit["peak_rss_gb_10m"] == {"value": 2.0, "limit": 2.0, "pass": True}
    assert at_limit["full_vs_baseline_ratio_10m"]["pass"] is True
    over = harness.evaluate_targets({**_record(10_000_000, peak_rss_mb=2.0 * 1024 + 1),
                                     "ratio_to_baseline_excluding_prefect": 1.51}, None)
    assert over["peak_rss_gb_10m"]["pass"] is False
    assert over["full_vs_baseline_ratio_10m"]["pass"] is False
    assert "peak_rss_gb_100m" not in over and "time_vs_10m_ratio_100m" not in over

    ten = _record(10_000_000, wall_seconds=400.0)
    hundred = harness.evaluate_targets(_record(100_000_000, wall_seconds=4_900.0, peak_rss_mb=5_000.0), ten)
    assert hundred["time_vs_10m_ratio_100m"] == {"value": 12.25, "limit": 12.0, "pass": False}
    assert hundred["peak_rss_gb_100m"] == {"value": round(5_000 / 1024, 3), "limit": 6.0, "pass": True}
    # without a 10M run there is no time ratio, rather than a made-up one
    assert "time_vs_10m_ratio_100m" not in harness.evaluate_targets(_record(100_000_000), None)


def test_latest_result_per_size_is_the_newest_plain_file(tmp_path, monkeypatch):
    monkeypatch.setattr(harness, "RESULTS_DIR", tmp_path)
    for name, rows, tag in [("2026-12-01-10000000.json", 10_000_000, "old"),
                            ("2026-12-02-10000000-abc1234.json", 10_000_000, "earlier the same day"),
                            ("2026-12-02-10000000.json", 10_000_000, "newest"),
                            ("2026-12-01-100000000.json", 100_000_000, "only")]:
        (tmp_path / name).write_text(json.dumps({"rows": rows, "tag": tag}))
    latest = harness.latest_results()
    assert {rows: rec["tag"] for rows, rec in latest.items()} == {10_000_000: "newest", 100_000_000: "only"}


def test_a_second_result_of_the_same_day_keeps_the_first_under_its_revision(tmp_path, monkeypatch):
    monkeypatch.setattr(harness, "RESULTS_DIR", tmp_path)
    first = {"date": "2026-12-07", "rows": 1_000_000, "code": {"git_revision": "aaa1111"}, "tag": "first"}
    second = {"date": "2026-12-07", "rows": 1_000_000, "code": {"git_revision": "bbb2222"}, "tag": "second"}
    harness.write_result(first)
    harness.write_result(second)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-12-07-1000000-aaa1111.json", "2026-12-07-1000000.json"]
    assert json.loads((tmp_path / "2026-12-07-1000000-aaa1111.json").read_text())["tag"] == "first"
    assert harness.latest_results()[1_000_000]["tag"] == "second"


def test_results_block_is_regenerated_between_its_markers_only(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text(f"# Benchmarks\n\nhand-written intro\n\n{markdown.START}\nstale numbers\n{markdown.END}\n\n"
                    "## Profile\n\nhand-written analysis\n", encoding="utf-8")
    latest = {1_000_000: _full_record(1_000_000, 60.0), 10_000_000: _full_record(10_000_000, 400.0, cpu=640.0)}
    markdown.update_benchmarks_md(latest, harness.TARGETS, path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nhand-written intro\n\n")
    assert text.endswith("## Profile\n\nhand-written analysis\n")
    assert "stale numbers" not in text
    lines = text.splitlines()
    assert "| full run wall (s) | 60.0 | 400.0 |" in lines
    # the older record has no CPU accounting: a dash, not a zero
    assert "| full run CPU, process tree (s) | – | 640.0 |" in lines
    assert "| full run cores busy (CPU / wall) | – | 1.60 |" in lines
    assert "| 10M peak RSS, whole process tree | <= 2 GB | 1.465 | 10,000,000 | pass |" in lines
    assert "| 100M peak RSS, whole process tree | <= 6 GB | not measured yet | – | – |" in lines
    # regenerating is idempotent
    markdown.update_benchmarks_md(latest, harness.TARGETS, path)
    assert path.read_text(encoding="utf-8") == text


def test_the_recorded_command_repeats_the_run_with_its_skipped_measurements():
    """Results used to record only the sizes, so a run without the incremental and 10k-report measurements
    named a command that would also take them."""
    assert harness.reproducing_command([10_000_000, 100_000_000], False, True, True) == (
        ".venv/bin/python -m benchmarks --rows 10000000 --rows 100000000 --skip-incremental --skip-reports")
    assert harness.reproducing_command([1_000_000], True, False, False) == (
        ".venv/bin/python -m benchmarks --rows 1000000 --with-100m")


def test_page_cache_warmup_reads_every_byte_of_every_raw_file(tmp_path):
    """The warm-up must read all of each file (several 8 MiB blocks, an empty file, nested folders), or
    the baseline after it still pays cold reads; too large a tree is skipped and says so."""
    sizes = {"board_a/part-0000.jsonl": 2 * harness.WARM_BLOCK + 12_345, "board_a/part-0001.jsonl": 0,
             "salary_reports/deep/part-0000.csv": 777}
    for name, size in sizes.items():
        path = tmp_path / "raw" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(np.random.default_rng(len(name)).integers(0, 256, size, dtype=np.uint8).tobytes())
    warm = harness.warm_page_cache(tmp_path / "raw")
    assert (warm["files"], warm["bytes"], warm["bytes_read"], warm["skipped"]) == (3, sum(sizes.values()),
                                                                                    sum(sizes.values()), None)
    skipped = harness.warm_page_cache(tmp_path / "raw", memory_share=0.0)
    assert skipped["bytes_read"] == 0 and "exceed" in skipped["skipped"]


def test_the_baseline_is_measured_after_the_warm_up_and_before_the_full_run(tmp_path, monkeypatch):
    """Order matters: the raw files must be cached before the baseline, as they are for the full run
    after it (2026-12-07: the baseline read 2.5 GB from disk, the full run 0.4 GB)."""
    work = tmp_path / "work"
    (work / "raw" / "board_a").mkdir(parents=True)
    (work / "raw" / "board_a" / "part-0000.jsonl").write_bytes(b"{}\n" * 1000)
    order: list[str] = []
    warm = harness.warm_page_cache

    def fake_run_command(name, command, logs, code=None, log=print):
        order.append(name)
        return {"wall_seconds": 10.0}

    monkeypatch.setattr(harness, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(harness, "ensure_market", lambda rows, log: None)
    monkeypatch.setattr(harness, "working_copy", lambda rows: work)
    monkeypatch.setattr(harness, "snapshot_code", lambda: tmp_path / "code")
    monkeypatch.setattr(harness, "snapshot_digest", lambda code: "digest")
    monkeypatch.setattr(harness, "warm_page_cache", lambda folder: order.append("warm") or warm(folder))
    monkeypatch.setattr(harness, "run_command", fake_run_command)
    monkeypatch.setattr(harness, "last_json_line", lambda path: {})
    monkeypatch.setattr(harness, "latest_run", lambda out: {"stage_total_seconds": 8.0, "stage_timings": {}})
    result = harness.benchmark_size(1_000, with_incremental=False, with_reports=False, log=lambda *a: None)
    assert order == ["prefect_startup", "warm", "baseline", "full_run"]
    assert result["page_cache_warmup"]["bytes_read"] == 3000
    assert result["ratio_to_baseline_excluding_prefect"] == 0.8
