"""The staging cache under DIR/.work/staging (flows.nightly.stage_file_task): what a cache hit returns."""
from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "specs"
AS_OF = "2026-12-07"


def _survey(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True)
    for name in ("survey.yaml", "survey.csv"):
        shutil.copy(FIXTURES / name, folder / name)
    return folder / "survey.yaml", folder / "survey.csv"


def _stage(spec: Path, raw: Path, cache_dir: Path, full_refresh: bool = False, as_of: str = AS_OF) -> dict:
    from flows.nightly import stage_file_task
    from market_intel import storage

    return stage_file_task.fn(str(spec), str(raw), str(cache_dir), storage.file_checksum(spec), "digest", as_of,
                              full_refresh)


def test_a_cache_hit_in_a_moved_output_directory_names_its_own_staged_files(tmp_path):
    """An output directory moved (or copied) elsewhere keeps its staging cache: a cache hit there must name
    the staged files where they are now. meta.json recorded absolute paths, so a hit returned the old
    directory's files: a moved directory's next run failed reading files that were no longer there, and a
    copied one read (and kept depending on) the other directory's cache."""
    spec, raw = _survey(tmp_path / "market")
    first = _stage(spec, raw, tmp_path / "out" / ".work" / "staging")
    assert first["cached"] is False
    expected_obs = pl.read_parquet(first["observations"])
    expected_rejects = pl.read_parquet(first["rejects"])

    shutil.move(tmp_path / "out", tmp_path / "moved")
    moved_cache = tmp_path / "moved" / ".work" / "staging"
    second = _stage(spec, raw, moved_cache)

    assert second["cached"] is True
    for key in ("observations", "rejects"):
        assert Path(second[key]).is_file(), second[key]
        assert Path(second[key]).resolve().is_relative_to(moved_cache.resolve()), second[key]
    assert pl.read_parquet(second["observations"]).equals(expected_obs)
    assert pl.read_parquet(second["rejects"]).equals(expected_rejects)


def test_a_cache_hit_for_the_same_bytes_at_another_path_names_the_file_read_now(tmp_path):
    """The cache key is the file's content, name, spec and code: the same file under another folder (the raw
    folder moved beside its spec) is a hit, and the stage names the file this run read, not the old one."""
    spec, raw = _survey(tmp_path / "market")
    cache = tmp_path / "out" / ".work" / "staging"
    _stage(spec, raw, cache)
    shutil.move(tmp_path / "market", tmp_path / "market2")
    spec2, raw2 = tmp_path / "market2" / "survey.yaml", tmp_path / "market2" / "survey.csv"

    again = _stage(spec2, raw2, cache)

    assert again["cached"] is True
    assert again["file"] == str(raw2)


def _bytes(result: dict) -> tuple[bytes, bytes]:
    return Path(result["observations"]).read_bytes(), Path(result["rejects"]).read_bytes()


def test_a_file_whose_rows_are_older_than_as_of_is_staged_once_for_every_later_as_of(tmp_path):
    """as_of was part of the cache key, so every nightly run (a new as_of each day) staged every raw file again:
    the cache served only reruns on the same day. A file's rows stop depending on as_of once as_of is past
    them (the survey's newest year is 2024: its yearly FX average is complete from 2025-01-01 on), so its
    entry serves every later as_of, and what it serves is byte for byte what staging afresh on that day gives."""
    spec, raw = _survey(tmp_path / "market")
    cache = tmp_path / "out" / ".work" / "staging"
    first = _stage(spec, raw, cache, as_of="2025-06-30")
    assert first["cached"] is False
    assert (first["as_of_from"], first["as_of_until"]) == ("2025-01-01", "9999-12-31")
    for later in ("2025-07-01", "2026-12-07"):
        again = _stage(spec, raw, cache, as_of=later)
        fresh = _stage(spec, raw, tmp_path / later / "staging", as_of=later)
        assert again["cached"] is True and fresh["cached"] is False
        assert _bytes(again) == _bytes(fresh)
        assert again["rows_read"] == fresh["rows_read"] == first["rows_read"]
    assert len(list(cache.glob("*/*"))) == 1  # one entry, not one per as_of


def test_a_file_with_rows_of_as_ofs_year_is_staged_again_for_each_as_of(tmp_path):
    """A row with only a year converts at that year's average FX rate as published by as_of (no look-ahead),
    which moves every ECB day until the year is over; a row dated after as_of is a future_date reject until
    as_of reaches it. Such a file is staged again for a new as_of (its entry serves that as_of alone), and the
    result moves with it; once as_of is past every row, one entry serves all later days."""
    spec, raw = _survey(tmp_path / "market")
    raw.write_text(raw.read_text(encoding="utf-8-sig") + "Data Engineer,80000,EUR,DE,2025,MI,plain\n", encoding="utf-8")
    cache = tmp_path / "out" / ".work" / "staging"
    early = _stage(spec, raw, cache, as_of="2025-03-03")
    assert "as_of_from" not in early
    later = _stage(spec, raw, cache, as_of="2025-03-04")
    assert later["cached"] is False
    rate = {r["job_title"]: r["fx_rate_usd"] for r in pl.read_parquet(later["observations"]).iter_rows(named=True)}
    assert rate["Data Engineer"] != {r["job_title"]: r["fx_rate_usd"]
                                     for r in pl.read_parquet(early["observations"]).iter_rows(named=True)}["Data Engineer"]
    assert _stage(spec, raw, cache, as_of="2025-03-04")["cached"] is True  # the same day again: a hit
    settled = _stage(spec, raw, cache, as_of="2026-01-01")
    assert settled["cached"] is False and settled["as_of_from"] == "2026-01-01"
    assert _stage(spec, raw, cache, as_of="2026-02-01")["cached"] is True


def test_a_row_dated_years_ahead_bounds_the_window_instead_of_voiding_it(tmp_path):
    """Junk dated years ahead (the synthetic market's 2030 postings) is a future_date reject for every as_of
    before its date: the entry serves each as_of up to it, and from that day the row is kept, so the file is
    staged again."""
    spec, raw = _survey(tmp_path / "market")
    spec.write_text(spec.read_text().replace("year: work_year", "date: work_year"))
    text = raw.read_text(encoding="utf-8-sig")
    for year in ("2022", "2023", "2024"):
        text = text.replace(f",{year},", f",{year}-06-30,")
    raw.write_text(text + "Data Engineer,90000,USD,US,2030-04-04,MI,plain\n", encoding="utf-8")
    cache = tmp_path / "out" / ".work" / "staging"
    first = _stage(spec, raw, cache, as_of="2026-12-07")
    assert (first["as_of_from"], first["as_of_until"]) == ("2024-06-30", "2030-01-01")  # the row's year check
    reasons = pl.read_parquet(first["rejects"])["reason"].to_list()
    assert "future_date" in reasons
    assert _stage(spec, raw, cache, as_of="2029-12-31")["cached"] is True
    ahead = _stage(spec, raw, cache, as_of="2030-04-04")
    assert ahead["cached"] is False and "future_date" not in pl.read_parquet(ahead["rejects"])["reason"].to_list()
    fresh = _stage(spec, raw, tmp_path / "fresh", as_of="2029-12-31")
    assert _bytes(_stage(spec, raw, tmp_path / "out2", as_of="2026-12-07")) == _bytes(fresh)
