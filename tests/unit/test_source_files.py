"""How rows name their raw file (`source_file`, part of the grain of observations, rejects, duplicates)
when a spec's glob reaches into sub-folders (`path: raw/**/*.csv`, recursive globs are allowed)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from transforms.specs import load_spec, resolve_files

HEADER = "title,salary,currency,country,year\n"
SPEC = """name: rec
kind: salary_report
format: csv
path: {path}
fields: {{job_title: title, pay: salary, currency: currency, country: country, year: year}}
constants: {{pay_period: year}}
"""


def market(root: Path, path: str = "raw/**/*.csv", same_rows: bool = False) -> Path:
    first = HEADER + "Data Scientist,100000,USD,US,2024\nData Engineer,110000,USD,US,2024\n"
    second = first if same_rows else (HEADER + "Data Analyst,70000,USD,US,2025\nML Engineer,150000,USD,CA,2025\n"
                                      "Data Scientist,120000,USD,US,2025\n")
    for folder, text in (("2024", first), ("2025", second)):
        (root / "raw" / folder).mkdir(parents=True)
        (root / "raw" / folder / "part.csv").write_text(text)
    spec = root / "rec.yaml"
    spec.write_text(SPEC.format(path=path))
    return spec


def test_the_name_is_the_path_below_the_globs_fixed_folder(tmp_path):
    """raw/board_a/*.jsonl names 'part-0000.jsonl' as before; raw/**/*.csv names '2024/part.csv'."""
    from transforms.specs import source_file_name

    spec = load_spec(market(tmp_path))
    assert [source_file_name(spec, p) for p in resolve_files(spec)] == ["2024/part.csv", "2025/part.csv"]
    flat = load_spec(market(tmp_path / "flat", path="raw/2024/*.csv"))
    assert [source_file_name(flat, p) for p in resolve_files(flat)] == ["part.csv"]
    single = load_spec(market(tmp_path / "single", path="raw/2025/part.csv"))
    assert [source_file_name(single, p) for p in resolve_files(single)] == ["part.csv"]


def run_staging_and_observations(tmp_path: Path, spec_path: Path):
    """What the flow does with a spec's files: one stage task per file, then the observations step."""
    from flows.nightly import stage_file_task
    from market_intel.settings import get_settings
    from market_intel.storage import file_checksum
    from transforms.observations import write_observations

    spec = load_spec(spec_path)
    results = [stage_file_task.fn(str(spec_path), str(f), str(tmp_path / "cache"), file_checksum(spec_path), "code",
                                  date(2026, 12, 7).isoformat(), False) for f in resolve_files(spec)]
    return write_observations([Path(m["observations"]) for m in results], [Path(m["rejects"]) for m in results],
                              {"rec": sum(m["rows_read"] for m in results)}, tmp_path / "work", get_settings())


def test_two_files_of_one_name_in_two_folders_keep_every_row(tmp_path):
    """Both files named their rows 'part.csv': rows 1-2 of one collided with rows 1-2 of the other in the
    grain, and the run failed its row accounting (AccountingError, exit 1: 5 read, 1 kept, 2 duplicate)."""
    written = run_staging_and_observations(tmp_path, market(tmp_path))
    observations = pl.read_parquet(written.observations)
    assert sorted(observations.select("source_file", "row_number", "job_title").rows()) == [
        ("2024/part.csv", 1, "Data Scientist"), ("2024/part.csv", 2, "Data Engineer"),
        ("2025/part.csv", 1, "Data Analyst"), ("2025/part.csv", 2, "ML Engineer"),
        ("2025/part.csv", 3, "Data Scientist")]
    assert written.accounting.select("rows_read", "rows_kept", "rows_rejected", "rows_duplicate").row(0) == (5, 5, 0, 0)


def test_two_identical_files_of_one_name_are_staged_apart(tmp_path):
    """Same name and same bytes gave the same staging cache folder: the second file's task found the first
    one's staged rows (its name inside) as its own cache."""
    written = run_staging_and_observations(tmp_path, market(tmp_path, same_rows=True))
    observations = pl.read_parquet(written.observations)
    assert sorted(observations.select("source_file", "row_number").rows()) == [
        ("2024/part.csv", 1), ("2024/part.csv", 2), ("2025/part.csv", 1), ("2025/part.csv", 2)]
    assert written.accounting.select("rows_read", "rows_kept").row(0) == (4, 4)
