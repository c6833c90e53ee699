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


def _stage(spec: Path, raw: Path, cache_dir: Path, full_refresh: bool = False) -> dict:
    from flows.nightly import stage_file_task
    from market_intel import storage

    return stage_file_task.fn(str(spec), str(raw), str(cache_dir), storage.file_checksum(spec), "digest", AS_OF,
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
