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


def sink_table(frame: pl.LazyFrame, path: str | Path) -> Path:
    """Stream a lazy table into one Parquet file in its own row order (same settings as write_table,
    same write-beside-then-rename); for tables too large to hold in memory."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    frame.sink_parquet(tmp, compression=PARQUET_COMPRESSION, row_group_size=ROW_GROUP_SIZE, statistics=True,
                       maintain_order=True)
    os.replace(tmp, path)
    return path


@contextmanager
def appending_table(path: str | Path, schema: dict[str, pl.DataType]) -> Iterator[Callable[[pl.DataFrame], None]]:
    """`with appending_table(path, schema) as append:` frames appended one after another (each already
    in the table's order) into one Parquet file, written beside its name and renamed into place when
    the block ends without an error; `schema` types the file when nothing was appended."""
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    writer = None

    def append(frame: pl.DataFrame) -> None:
        nonlocal writer
        if frame.height == 0:
            return
        table = frame.select(list(schema)).cast(schema).to_arrow(compat_level=pl.CompatLevel.oldest())
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema, compression=PARQUET_COMPRESSION, write_statistics=True)
        writer.write_table(table, row_group_size=ROW_GROUP_SIZE)

    try:
        yield append
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


def file_checksum(path: str | Path, chunk: int = 1 << 20) -> str:
    """sha256 of a file's bytes (inputs of a run are recorded with it)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
