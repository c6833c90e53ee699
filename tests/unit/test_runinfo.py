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
