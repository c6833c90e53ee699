"""The hostile input corpus: every folder under cases/ is one kind of bad input (a tiny raw file,
its spec and an expected.yaml), run through specs -> staging -> normalise -> observations.

expected.yaml holds either
    spec_error: {field: fields.pay}          # load_spec or stage_file raises SpecError naming it
or the per-row outcome
    rows_read: 3                             # data rows met in all files of the case
    kept: 1
    rejected: [non_positive_pay, ...]        # reason codes, compared as a multiset
    duplicates: 0
    outliers: 0                              # optional: kept rows flagged is_outlier
    kept_values: [{row_number: 1, pay_annual_usd: 100000.0, ...}]   # optional, by row_number
    reject_details: [{row_number: 2, reason: bad_year, detail: year=1e400}]   # optional, by row_number
plus `about` (what the input is and what we decided) and optionally `xfail` (a reason: a known
parser bug outside the ingest modules; the case states the correct behaviour and runs strict).

Whatever the case, the pipeline must never raise anything but SpecError, every file's rows must
be accounted for exactly once (kept, rejected or duplicate, by row number), and hostile text
(paths, SQL, HTML) must stay data: nothing is created in the working directory.
"""
from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import polars as pl
import pytest
import yaml

from transforms.normalise import default_fx, normalise
from transforms.observations import build_observations
from transforms.reference import load_reference
from transforms.specs import SpecError, load_spec, resolve_files
from transforms.staging import stage_file

CASES = Path(__file__).resolve().parent / "cases"
AS_OF = date(2026, 1, 1)
ROW_KEY = ["source_file", "row_number"]


def case_params() -> list:
    params = []
    for folder in sorted(p for p in CASES.iterdir() if (p / "expected.yaml").is_file()):
        expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
        marks = [pytest.mark.xfail(strict=True, reason=expected["xfail"])] if expected.get("xfail") else []
        params.append(pytest.param(folder, expected, id=folder.name, marks=marks))
    return params


@pytest.fixture(scope="module")
def ref():
    return load_reference()


@pytest.fixture(scope="module")
def fx():
    return default_fx()


def run_case(folder: Path, ref, fx):
    """Load the case's spec, stage and normalise every file, build observations."""
    spec = load_spec(folder / "spec.yaml")
    parts, rejects, per_file = [], [], {}
    for path in resolve_files(spec):
        staged = stage_file(spec, path)
        result = normalise(staged.frame, spec, ref, fx, as_of=AS_OF)
        parts.append(result.observations)
        rejects += [staged.rejects, result.rejects]
        per_file[path.name] = staged.rows_read
    built = build_observations(
        parts, rejects, {spec.name: sum(per_file.values())}, outlier_rule_enabled=True,
        outlier_mad_threshold=3.5, posting_duplicate_window_days=7, posting_duplicate_pay_tolerance=0.05)
    return built, per_file


def assert_every_row_accounted_once_per_file(built, per_file: dict[str, int]) -> None:
    seen = pl.concat([
        built.observations.select(ROW_KEY), built.rejects.select(ROW_KEY), built.duplicates.select(ROW_KEY)])
    for name, read in per_file.items():
        numbers = seen.filter(pl.col("source_file") == name).get_column("row_number").sort().to_list()
        assert numbers == list(range(1, read + 1)), f"{name}: rows {numbers} for {read} read"
    [row] = built.accounting.to_dicts() if built.accounting.height else [None]
    if row is not None:
        assert row["rows_read"] == row["rows_kept"] + row["rows_rejected"] + row["rows_duplicate"]


def assert_values(observations: pl.DataFrame, wanted: list[dict]) -> None:
    for want in wanted:
        rows = observations.filter(
            (pl.col("row_number") == want["row_number"])
            & (pl.col("source_file") == want["source_file"] if "source_file" in want else pl.lit(True))
        ).to_dicts()
        assert len(rows) == 1, f"no kept row {want}"
        got = rows[0]
        for column, value in want.items():
            if isinstance(value, float) and got[column] is not None:
                assert got[column] == pytest.approx(value, rel=1e-9), column
            else:
                assert got[column] == value, column


@pytest.mark.parametrize(("folder", "expected"), case_params())
def test_corpus(folder: Path, expected: dict, ref, fx, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # hostile text used as a path would land here
    if "spec_error" in expected:
        with pytest.raises(SpecError) as caught:
            run_case(folder, ref, fx)
        assert caught.value.field == expected["spec_error"]["field"], str(caught.value)
        assert "\n" not in str(caught.value) and str(folder.name) in str(caught.value)
        return
    built, per_file = run_case(folder, ref, fx)
    assert_every_row_accounted_once_per_file(built, per_file)
    assert sum(per_file.values()) == expected["rows_read"]
    assert built.observations.height == expected["kept"]
    assert Counter(built.rejects.get_column("reason").to_list()) == Counter(expected.get("rejected", []))
    assert built.duplicates.height == expected.get("duplicates", 0)
    if "outliers" in expected:
        assert built.observations.get_column("is_outlier").sum() == expected["outliers"]
    assert_values(built.observations, expected.get("kept_values", []))
    for want in expected.get("reject_details", []):
        got = built.rejects.filter(pl.col("row_number") == want["row_number"]).select(list(want)).to_dicts()
        assert got == [want], f"reject {want['row_number']}: {got}"
    assert built.rejects.get_column("raw").null_count() == 0  # every reject can be traced to its text
    assert list(tmp_path.iterdir()) == []
