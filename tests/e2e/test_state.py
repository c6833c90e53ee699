"""State an output directory keeps between runs (DIR/.work): what stays, what goes."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "specs"


def _entries(out: Path) -> set[str]:
    staging = out / ".work" / "staging"
    return {str(p.relative_to(staging)) for p in staging.glob("*/*")}


def test_staging_cache_and_work_folders_do_not_grow_with_every_run(tmp_path, prefect_harness):
    """Nothing ever removed a staging cache entry (each as_of, as it was part of the key, and each edited raw
    file wrote new ones), nor the work folder a failed or killed run left in DIR/.work/runs: n nightly runs
    kept n copies of the staged data. After a publish only what this run used stays; a nightly run with a
    new as_of reads files whose rows are older than as_of from the cache (their results no longer depend on
    as_of), and a rerun on the same inputs reads it all from the cache."""
    from flows.nightly import nightly

    market = tmp_path / "market"
    market.mkdir()
    for name in ("survey.yaml", "survey.csv", "postings.yaml"):
        shutil.copy(FIXTURES / name, market / name)
    shutil.copytree(FIXTURES / "postings", market / "postings")
    specs = [str(market / "survey.yaml"), str(market / "postings.yaml")]
    out = tmp_path / "out"

    first = nightly(as_of="2026-03-01", sources=specs, out_dir=str(out))
    after_first = _entries(out)
    assert len(after_first) == first["staged_files"] >= 2

    killed = out / ".work" / "runs" / "2026-03-02-0123456789"  # what a killed run leaves behind
    (killed / "observations_parts").mkdir(parents=True)
    (killed / "observations.parquet").write_bytes(b"partial")

    second = nightly(as_of="2026-03-02", sources=specs, out_dir=str(out))
    assert second["staged_files_from_cache"] == second["staged_files"] == first["staged_files"]
    assert _entries(out) == after_first  # the next day's run: the same entries, no new copy
    assert not killed.exists()
    assert list((out / ".work" / "runs").iterdir()) == []

    survey = market / "survey.csv"  # an edited raw file: its old entry goes, the new one stays
    survey.write_bytes(survey.read_bytes() + b"Data Engineer,90000,USD,US,2024,MI,plain\n")
    edited = nightly(as_of="2026-03-02", sources=specs, out_dir=str(out))
    after_second = _entries(out)
    assert edited["staged_files_from_cache"] == edited["staged_files"] - 1
    assert len(after_second) == edited["staged_files"] == len(after_first)
    assert len(after_first - after_second) == 1 and all(e.startswith("survey/") for e in after_first - after_second)
    second = edited

    leftover = out / ".work" / "staging" / sorted(after_second)[0] / ".observations.parquet.tmp-999999"
    leftover.write_bytes(b"partial")  # a stage killed while writing, in an entry the next run reads
    third = nightly(as_of="2026-03-02", sources=specs, out_dir=str(out))
    assert third["staged_files_from_cache"] == third["staged_files"] == second["staged_files"]
    assert _entries(out) == after_second
    assert not leftover.exists()
