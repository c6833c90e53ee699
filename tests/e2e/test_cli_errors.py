"""Operator mistakes at the command line: exit 2 with one line naming the file and field (or the
option), as README "Commands" promises, never a traceback or exit 1."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SPEC = """name: {name}
kind: salary_report
format: {format}
path: {file}
fields: {{job_title: title, pay: {pay}, currency: currency, country: country, year: year}}
constants: {{pay_period: year}}
"""
CSV = "title,salary,currency,country,year\nData Scientist,100000,USD,US,2024\n"
JSONL = '{"title": "Data Scientist", "salary": 100000, "currency": "USD", "country": "US", "year": 2024}\n'


def cli(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET_INTEL_")}
    run_env.update(PYTHONPATH=str(ROOT), **(env or {}))
    return subprocess.run([sys.executable, "-m", "market_intel.cli", *args], cwd=ROOT, env=run_env,
                          capture_output=True, text=True, timeout=timeout)


def spec_file(folder: Path, fmt: str = "csv", pay: str = "salary", name: str = "tiny") -> Path:
    data = folder / f"data.{fmt}"
    data.write_text(CSV if fmt == "csv" else JSONL)
    spec = folder / f"{name}.yaml"
    spec.write_text(SPEC.format(name=name, format=fmt, file=data.name, pay=pay))
    return spec


def assert_one_line_exit_2(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode == 2, proc.stderr[-3000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr[-3000:]
    assert lines[0].startswith("market-intel: ")
    for word in words:
        assert word in lines[0], lines[0]


def test_a_column_missing_from_a_csv_header_exits_2_before_the_flow_starts(tmp_path):
    """It exited 1 after the staging task's two retries, with three tracebacks (96 lines of stderr)."""
    spec = spec_file(tmp_path, pay="pay")
    proc = cli("run", "--source", str(spec), "--out", str(tmp_path / "out"), "--as-of", "2026-12-07")
    assert_one_line_exit_2(proc, f"{spec}: field 'fields.pay': column 'pay' not found in data.csv")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_key_missing_from_json_lines_found_while_staging_exits_2_with_one_line(tmp_path):
    """JSON lines keys are known only once the file is read: the staging task's SpecError fails the run
    without retries, and the CLI exits 2 with its one line (Prefect's tracebacks of it are not shown)."""
    spec = spec_file(tmp_path, fmt="jsonl", pay="pay")
    proc = cli("run", "--source", str(spec), "--out", str(tmp_path / "out"), "--as-of", "2026-12-07")
    assert_one_line_exit_2(proc, f"{spec}: field 'fields.pay': column 'pay' not found in data.jsonl")


def test_two_specs_of_one_name_exit_2_naming_both(tmp_path):
    """They failed the run on the row accounting (exit 1, a traceback): rows are keyed by source name."""
    first = spec_file(tmp_path, name="tiny")
    second = tmp_path / "copy.yaml"
    second.write_text(first.read_text())
    proc = cli("run", "--source", str(first), "--source", str(second), "--out", str(tmp_path / "out"))
    assert_one_line_exit_2(proc, f"{second}: field 'name': 'tiny' is also the name of {first}")


@pytest.mark.parametrize(("options", "words"), [
    (["--dask-address", "tcp://127.0.0.1:8786"], "--dask-address: only with --task-runner dask"),
    (["--task-runner", "thread", "--dask-address", "tcp://127.0.0.1:8786"], "--dask-address: only with"),
    (["--task-runner", "dask", "--dask-address", "scheduler"], "--dask-address: expected tcp://HOST:PORT"),
])
def test_a_dask_address_without_the_dask_runner_or_without_a_port_exits_2(tmp_path, options, words):
    """The first two ran on threads, ignoring the address, exit 0; the third failed inside the flow (exit 1,
    a traceback)."""
    proc = cli("run", "--source", str(spec_file(tmp_path)), "--out", str(tmp_path / "out"), *options)
    assert_one_line_exit_2(proc, words)


@pytest.mark.parametrize(("out", "words"), [
    ("a_file", "is a file, not a directory"),
    ("a_file/out", "cannot create"),
])
def test_an_output_directory_that_cannot_be_one_exits_2(tmp_path, out, words):
    """Both failed inside the flow's run lock (FileExistsError / NotADirectoryError, exit 1, a traceback)."""
    (tmp_path / "a_file").write_text("")
    proc = cli("run", "--source", str(spec_file(tmp_path)), "--out", str(tmp_path / out))
    assert_one_line_exit_2(proc, "--out: ", words)


@pytest.mark.parametrize("out", ["out[1]", "it's out", "out*"])
def test_an_output_directory_whose_name_the_catalog_cannot_carry_exits_2_before_the_flow(tmp_path, out):
    """Publish refuses an --out holding glob or quote characters (DuckDB's view paths), but only after the
    whole run: the run staged every file, then failed (exit 1) when the flow read its staged parts back
    through a glob, or at publish; now the CLI refuses it first, as it does an --out that is a file."""
    proc = cli("run", "--source", str(spec_file(tmp_path)), "--out", str(tmp_path / out), "--as-of", "2026-12-07")
    assert_one_line_exit_2(proc, "--out: ", "glob or quote characters")
    assert not (tmp_path / out).exists()


def test_a_report_asked_of_an_output_directory_without_a_catalog_exits_2_like_query(tmp_path):
    """It printed a traceback and exited 1; `query` on the same directory exits 2 with one line."""
    for args in (["report", "Data Scientist", "Canada"], ["query", "select 1"]):
        proc = cli(*args, "--out", str(tmp_path))
        assert_one_line_exit_2(proc, f"no published catalog at {tmp_path}/warehouse.duckdb")


@pytest.mark.parametrize(("command", "env", "words"), [
    (["query", "select 1"], {"MARKET_INTEL_MIN_N_PUBLISH": "ten"}, "MARKET_INTEL_MIN_N_PUBLISH='ten': "),
    (["run", "--as-of", "2026-12-07"], {"MARKET_INTEL_STAGE_WORKERS": "two"}, "MARKET_INTEL_STAGE_WORKERS='two': "),
    (["serve"], {"MARKET_INTEL_SCHEDULE_CRON": "61 2 * * *"}, "MARKET_INTEL_SCHEDULE_CRON='61 2 * * *': Invalid cron"),
    (["serve"], {"MARKET_INTEL_SCHEDULE_TIMEZONE": "Mars/Base"}, "MARKET_INTEL_SCHEDULE_TIMEZONE='Mars/Base': Invalid"),
])
def test_a_setting_that_does_not_parse_exits_2_naming_the_variable(tmp_path, command, env, words):
    """README "Settings": MARKET_INTEL_* variables. A bad one was a multi-line pydantic error inside "run
    failed" (exit 1), a ValueError from importing the flow (exit 1) or, for `serve`, a traceback."""
    proc = cli(*command, env=env, timeout=120)
    assert_one_line_exit_2(proc, words)


def test_a_query_csv_that_cannot_be_written_exits_2_naming_it(tmp_path):
    """It printed a traceback (FileNotFoundError from the CSV writer) and exited 1."""
    import duckdb

    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))  # the smallest catalog query can open
    con.close()
    target = tmp_path / "no_such_folder" / "x.csv"
    proc = cli("query", "select 1 as x", "--out", str(tmp_path), "--csv", str(target))
    assert_one_line_exit_2(proc, f"--csv: cannot write {target}")
    assert cli("query", "select 1 as x", "--out", str(tmp_path), "--csv", str(tmp_path / "x.csv")).returncode == 0
    assert (tmp_path / "x.csv").read_text() == "x\n1\n"
