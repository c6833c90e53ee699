"""All file I/O of tables goes through here: deterministic Parquet writes, reads, checksums."""
from __future__ import annotations

import hashlib
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

import polars as pl

PARQUET_COMPRESSION = "zstd"
ROW_GROUP_SIZE = 256_000


def write_table(frame: pl.DataFrame, path: str | Path, sort_by: Sequence[str] | None = None) -> Path:
    """Write one table as Parquet, sorted by its key so that reruns are byte-identical.

    The file is written beside its final name and renamed into place, so a reader never sees a
    half-written file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if sort_by:
        frame = frame.sort(list(sort_by), nulls_last=True, maintain_order=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    frame.write_parquet(tmp, compression=PARQUET_COMPRESSION, row_group_size=ROW_GROUP_SIZE, statistics=True)
    os.replace(tmp, path)
    return path


@contextmanager
def appending_table(path: str | Path, schema: dict[str, pl.DataType], *,
                    whole_row_groups: bool = False) -> Iterator[Callable[[pl.DataFrame], None]]:
    """`with appending_table(path, schema) as append:` frames appended one after another (each already
    in the table's order) into one Parquet file, written beside its name and renamed into place when
    the block ends without an error; `schema` types the file when nothing was appended.

    By default each append is written as it comes (its own row groups). With `whole_row_groups`,
    rows are buffered and written in row groups of exactly ROW_GROUP_SIZE rows (the last one
    shorter), each from contiguous arrays: the file's bytes then depend only on its rows, not on how
    they were cut into appends (a published partition is the same file whether written from one
    frame or from many pieces), at the cost of holding up to one row group.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    writer = None
    pending: list[pa.Table] = []

    def write(table: pa.Table) -> None:
        nonlocal writer
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema, compression=PARQUET_COMPRESSION, write_statistics=True)
        writer.write_table(table, row_group_size=ROW_GROUP_SIZE)

    def flush(final: bool) -> None:
        table = pa.concat_tables(pending)
        pending.clear()
        full = table.num_rows if final else table.num_rows - table.num_rows % ROW_GROUP_SIZE
        for offset in range(0, full, ROW_GROUP_SIZE):  # one contiguous copy of one row group at a time
            write(table.slice(offset, min(ROW_GROUP_SIZE, full - offset)).combine_chunks())
        if full < table.num_rows:
            pending.append(table.slice(full))

    def append(frame: pl.DataFrame) -> None:
        if frame.height == 0:
            return
        table = frame.select(list(schema)).cast(schema).to_arrow(compat_level=pl.CompatLevel.oldest())
        if not whole_row_groups:
            write(table)
            return
        pending.append(table)
        if sum(piece.num_rows for piece in pending) >= ROW_GROUP_SIZE:
            flush(final=False)

    try:
        yield append
        if pending:
            flush(final=True)
    except BaseException:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
        raise
    if writer is None:
        pl.DataFrame(schema=schema).write_parquet(tmp, compression=PARQUET_COMPRESSION, statistics=True)
    else:
        writer.close()
    os.replace(tmp, path)


def write_json_atomic(path: str | Path, payload: dict) -> Path:
    """Write a small JSON document beside its final name and rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_table(path: str | Path) -> pl.DataFrame:
    return pl.read_parquet(path)


def scan_table(path: str | Path) -> pl.LazyFrame:
    return pl.scan_parquet(path)


def parquet_batches(source: str | Path, batch_rows: int) -> list[pl.LazyFrame]:
    """Scans of a Parquet file or glob, each of at most `batch_rows` rows: consecutive files (in name
    order) grouped while they fit, a larger file cut into slices. Row counts come from the footers,
    read once. `transforms.reports.build_skill_shares` given these counts each batch without
    locating a row slice in every file of a glob: over the 10,500 pieces of a 100M run, `slice` on the
    whole glob opened every piece for each of 300 collects (the reports step 112 -> 225 s; issue 9)."""
    import glob

    import pyarrow.parquet as pq

    text = str(source)
    files = sorted(glob.glob(text, recursive=True)) if glob.has_magic(text) else [text]
    batches: list[pl.LazyFrame] = []
    group: list[str] = []
    rows_in_group = 0

    def flush() -> None:
        nonlocal group, rows_in_group
        if group:
            batches.append(pl.scan_parquet(group, hive_partitioning=False))
        group, rows_in_group = [], 0

    for path in files:
        rows = pq.ParquetFile(path).metadata.num_rows
        if rows > batch_rows:
            flush()
            scan = pl.scan_parquet(path, hive_partitioning=False)
            batches.extend(scan.slice(offset, batch_rows) for offset in range(0, rows, batch_rows))
            continue
        if rows_in_group + rows > batch_rows:
            flush()
        group.append(path)
        rows_in_group += rows
    flush()
    return batches or [pl.scan_parquet(files, hive_partitioning=False)]


def file_checksum(path: str | Path, chunk: int = 1 << 20) -> str:
    """sha256 of a file's bytes (inputs of a run are recorded with it)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
