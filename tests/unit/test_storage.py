"""storage.appending_table: appended pieces make the same file as the whole frame, row groups whole."""
from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest

from market_intel import storage

SCHEMA = {"key": pl.Int64, "name": pl.String, "tags": pl.List(pl.String), "pay": pl.Float64}


def frame(rows: int, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame({
        "key": np.arange(rows),
        "name": [f"name-{value}" for value in rng.integers(0, 50, rows)],
        "tags": [["a", "b"][: value % 3] for value in range(rows)],
        "pay": rng.lognormal(11, 0.4, rows),
    }, schema=SCHEMA)


def append_in_pieces(path, whole: pl.DataFrame, cuts: list[int], **options) -> None:
    with storage.appending_table(path, SCHEMA, **options) as append:
        for begin, end in zip([0, *cuts], [*cuts, whole.height]):
            append(whole.slice(begin, end - begin))


@pytest.fixture
def small_row_groups(monkeypatch):
    monkeypatch.setattr(storage, "ROW_GROUP_SIZE", 1_000)


def test_whole_row_groups_make_the_same_bytes_however_the_rows_are_cut(tmp_path, small_row_groups):
    whole = frame(2_750)
    append_in_pieces(tmp_path / "one.parquet", whole, [], whole_row_groups=True)
    append_in_pieces(tmp_path / "many.parquet", whole, [1, 7, 999, 1_000, 1_001, 2_400, 2_749],
                     whole_row_groups=True)
    assert (tmp_path / "one.parquet").read_bytes() == (tmp_path / "many.parquet").read_bytes()
    metadata = pq.ParquetFile(tmp_path / "many.parquet").metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [1_000, 1_000, 750]
    assert pl.read_parquet(tmp_path / "many.parquet").equals(whole)


def test_without_whole_row_groups_each_append_is_written_as_it_comes(tmp_path, small_row_groups):
    whole = frame(2_500)
    append_in_pieces(tmp_path / "t.parquet", whole, [300, 1_700])
    metadata = pq.ParquetFile(tmp_path / "t.parquet").metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [300, 1_000, 400, 800]
    assert pl.read_parquet(tmp_path / "t.parquet").equals(whole)


def test_an_error_leaves_no_file_and_no_temporary(tmp_path, small_row_groups):
    with pytest.raises(RuntimeError):
        with storage.appending_table(tmp_path / "t.parquet", SCHEMA, whole_row_groups=True) as append:
            append(frame(1_500))
            raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []


def test_nothing_appended_gives_an_empty_typed_file(tmp_path):
    with storage.appending_table(tmp_path / "t.parquet", SCHEMA, whole_row_groups=True) as append:
        append(frame(0))
    back = pl.read_parquet(tmp_path / "t.parquet")
    assert back.height == 0 and back.schema == pl.Schema(SCHEMA)
