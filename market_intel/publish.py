"""Versioned snapshots, atomic publish and the analysts' DuckDB catalog.

Layout of an output directory DIR::

    DIR/snapshots/<snapshot>/<table>/<table>.parquet       one file per table (zstd, sorted by grain)
    DIR/snapshots/<snapshot>/observations/year=2025/country_code=CA/observations.parquet   (hive)
    DIR/snapshots/<snapshot>/report_files/...              report .md / .html files (optional)
    DIR/snapshots/<snapshot>/_manifest.json                tables, rows, files with sha256
    DIR/snapshots/<snapshot>/_PUBLISHED                    written once the catalog serves it
    DIR/current -> snapshots/<snapshot>                    relative symlink (<snapshot> = run_id[.N])
    DIR/reports -> current/report_files
    DIR/warehouse.duckdb                                   one VIEW per table + catalog_info, data_dictionary

Why it is built this way:

- **Contracts first.** `publish_snapshot` conforms and checks every table against its contract
  (market_intel.contracts) before it touches DIR; a violation raises `ContractError` naming
  table, column, rule and an example key, and the previous publish stays as it was. A partitioned
  table handed over as a hive folder of pieces (observations from the flow) has its schema checked
  first and its rows while its pieces are copied into the snapshot's staging folder (each piece is
  read once, not once more by a separate scan); a violation there removes the staging folder and
  raises before anything is published, the same violations a separate check would list.
- **Snapshots are immutable and self-contained.** A snapshot is written into
  `snapshots/.staging-<run_id>-<pid>` and renamed into place, so `snapshots/<run_id>` is always
  complete. Parquet content depends only on the frames (sorted by the contract's grain, fixed
  compression and row-group size): the run_id shows only in the tables' own run_id columns.
  observations are split by year and country_code (hive style, keys kept out of the files and
  typed back by the view with `hive_types`), which DuckDB and Polars prune on.
- **Atomic publish in two renames.** The new catalog is built as `DIR/.warehouse-<run_id>.duckdb`
  with views on the *absolute* snapshot path (not on `current`, so an open reader keeps a
  consistent snapshot) and `os.replace`d onto `DIR/warehouse.duckdb`: a reader opening the
  catalog gets the old file or the new one, never a mix. POSIX keeps the replaced inode alive, so
  a connection opened before the swap keeps answering from its snapshot (until retention removes
  that snapshot, K-1 publishes later). `current` is then swapped the same way (a temporary
  symlink renamed over it). The catalog is the source of truth; `current` is for file readers.
  Killed at any point, DIR still serves the previous snapshot or the new one, and leftovers
  (staging folders, temporary catalogs and links) are removed by the next publish.
- **run_id** is chosen by the caller (the flow derives it from as_of, input checksums and code, so
  a rerun on the same inputs keeps its run_id; `next_run_id(DIR, as_of)` offers `YYYYMMDD-NNN`,
  as_of plus a counter). The snapshot folder is the run_id, or `run_id.N` for its N-th publish,
  so a rerun never overwrites the snapshot being served.
- **Report files** (`report_files=`) are copied into the snapshot as `report_files/`;
  `DIR/reports` is a symlink to `current/report_files`, so they swap with `current`.
- **Retention** keeps the `keep` (settings.snapshots_to_keep) most recently published snapshots
  and never deletes the one `current` or the catalog points at.
- **One publisher at a time**: an exclusive `flock` on `DIR/.publish.lock` (released by the
  kernel if the publisher dies).
- **Read-only queries.** `open_catalog` attaches the catalog READ_ONLY (DuckDB refuses any
  write to it; the same as `duckdb.connect(path, read_only=True)` but never served from DuckDB's
  per-process cache of an already open, replaced file); `query` additionally accepts one SELECT/EXPLAIN statement only, which
  keeps out COPY ... TO, ATTACH, INSTALL/LOAD and SET that a read-only catalog would not stop.
  Note for analysts using `duckdb.connect(path, read_only=True)` directly: within one process
  DuckDB caches an open database per path, so close all connections to see a newer publish.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator, Mapping

import duckdb
import polars as pl

from market_intel import storage
from market_intel.contracts import (
    CONTRACTS,
    ContractError,
    StreamedCheck,
    TableContract,
    Violation,
    check_contract,
    conform,
)
from market_intel.settings import get_settings

SNAPSHOTS_DIR = "snapshots"
CURRENT_LINK = "current"
CATALOG_FILE = "warehouse.duckdb"
CATALOG_ALIAS = "warehouse"
LOCK_FILE = ".publish.lock"
MANIFEST_FILE = "_manifest.json"
PUBLISHED_MARKER = "_PUBLISHED"
REPORT_FILES_DIR = "report_files"
REPORTS_LINK = "reports"
RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
PARTITION_VALUE_PATTERN = re.compile(r"^[A-Za-z0-9._-]+$")
QUERY_STATEMENTS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}

__all__ = [
    "ContractError", "PublishResult", "publish_snapshot", "open_catalog", "query", "next_run_id",
    "apply_retention", "catalog_info", "catalog_run_id", "current_snapshot_id", "duckdb_type",
]


@dataclass(frozen=True)
class PublishResult:
    """What a publish produced: the run, where its snapshot lives, rows per table, what retention removed."""

    run_id: str
    snapshot_id: str
    snapshot_dir: Path
    catalog_path: Path
    row_counts: dict[str, int]
    removed_snapshots: tuple[str, ...] = ()


def _checkpoint(stage: str) -> None:
    """Called after each publish step; a no-op that crash tests replace to pause a publish there.

    Stages: parquet_written, snapshot_in_place, catalog_built, catalog_swapped, current_swapped.
    """


# ---------------------------------------------------------------------------------------------
# names and paths


def next_run_id(out_dir: Path, as_of: date) -> str:
    """`YYYYMMDD-NNN`: as_of plus one more than the highest counter already in DIR/snapshots."""
    prefix = f"{as_of:%Y%m%d}-"
    root = Path(out_dir) / SNAPSHOTS_DIR
    counters = [
        int(entry.name[len(prefix):].split(".")[0])
        for entry in (root.iterdir() if root.is_dir() else [])
        if entry.name.startswith(prefix) and entry.name[len(prefix):].split(".")[0].isdigit()
    ]
    return f"{prefix}{max(counters, default=0) + 1:03d}"


OUT_DIR_FORBIDDEN = "*?[]{}'\""  # glob or quote characters: the catalog's view paths and the flow's globs


def out_dir_is_usable(out_dir: Path) -> bool:
    """Whether an output directory's absolute path can carry the catalog's views (and the flow's globs
    over its work files): no glob or quote characters. The CLI checks it before a run starts."""
    return not any(char in str(Path(out_dir).resolve()) for char in OUT_DIR_FORBIDDEN)


def _check_run_id(run_id: str) -> None:
    if not RUN_ID_PATTERN.match(run_id):
        raise ValueError(f"run_id {run_id!r} must match {RUN_ID_PATTERN.pattern} (it names a folder)")


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_identifier(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def duckdb_type(dtype: pl.DataType) -> str:
    """The DuckDB type that DuckDB reads back from Parquet written by Polars with this dtype."""
    simple = {pl.String: "VARCHAR", pl.Int8: "TINYINT", pl.Int16: "SMALLINT", pl.Int32: "INTEGER",
              pl.Int64: "BIGINT", pl.UInt32: "UINTEGER", pl.UInt64: "UBIGINT", pl.Float32: "FLOAT",
              pl.Float64: "DOUBLE", pl.Boolean: "BOOLEAN", pl.Date: "DATE"}
    for key, name in simple.items():
        if dtype == key:
            return name
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMP WITH TIME ZONE" if dtype.time_zone else "TIMESTAMP"
    if isinstance(dtype, pl.List):
        return duckdb_type(dtype.inner) + "[]"
    raise TypeError(f"no DuckDB type for {dtype}")


# ---------------------------------------------------------------------------------------------
# inputs and validation


def _load(value: pl.DataFrame | pl.LazyFrame | Path | str, lazy: bool = False) -> pl.DataFrame | pl.LazyFrame:
    """A frame from a frame, a lazy frame, a Parquet file or a (hive-partitioned) Parquet folder.

    With `lazy`, files stay a LazyFrame: partitioned tables (observations: 10M rows and more) are
    checked and written one partition at a time without holding the table.
    """
    if isinstance(value, pl.DataFrame):
        return value
    if isinstance(value, pl.LazyFrame):
        return value if lazy else value.collect()
    path = Path(value)
    if path.is_dir():
        scan = pl.scan_parquet(path / "**" / "*.parquet", hive_partitioning=True)
    else:
        scan = storage.scan_table(path)
    return scan if lazy else scan.collect()


def _height(frame: pl.DataFrame | pl.LazyFrame) -> int:
    return frame.height if isinstance(frame, pl.DataFrame) else int(frame.select(pl.len()).collect().item())


def validate_tables(tables: Mapping[str, pl.DataFrame | pl.LazyFrame | Path | str],
                    contracts: Mapping[str, TableContract] = CONTRACTS,
                    streamed: frozenset[str] | set[str] = frozenset(),
                    ) -> tuple[dict[str, pl.DataFrame | pl.LazyFrame], dict[str, StreamedCheck]]:
    """Load, conform and check every table; raise ContractError listing all violations.

    Partitioned tables given as files stay lazy (see `_load`). The rows of the lazy tables named in
    `streamed` (partitioned tables given as hive folders of pieces, which publishing copies piece by
    piece) are not checked here: their schema is, and a `StreamedCheck` is returned for each, to be
    fed the pieces as they are copied (`_write_partitioned`) and asked before anything is published.
    When another table fails, those are checked here too, so that the error lists every violation.
    """
    frames: dict[str, pl.DataFrame | pl.LazyFrame] = {}
    streams: dict[str, StreamedCheck] = {}
    violations: list[Violation] = []
    for name in sorted(tables):
        if name not in contracts:
            violations.extend(check_contract(name, pl.DataFrame(), contracts))
            continue
        partitioned = bool(contracts[name].partition_by)
        frames[name] = conform(name, _load(tables[name], lazy=partitioned), contracts)
        if name in streamed and isinstance(frames[name], pl.LazyFrame):
            streams[name] = StreamedCheck(name, frames[name], contracts)
            violations.extend(streams[name].schema_violations)
        else:
            violations.extend(check_contract(name, frames[name], contracts))
        if not partitioned and isinstance(tables[name], (str, Path)):
            # checked whole; kept as a scan and read again when written, so publishing holds one such
            # table at a time, not all of them (~0.4 GB at 10M rows: report_claims, skill_shares,
            # demand_signals, rejects, ...; BENCHMARKS.md, issue 9)
            frames[name] = conform(name, _load(tables[name], lazy=True), contracts)
    if violations:
        for name, stream in streams.items():
            if not stream.schema_violations:
                violations.extend(check_contract(name, frames[name], contracts))
        raise ContractError(sorted(violations, key=lambda violation: violation.table))
    return frames, streams


# ---------------------------------------------------------------------------------------------
# writing a snapshot


def _write_partitioned(frame: pl.DataFrame | pl.LazyFrame, table_dir: Path, contract: TableContract,
                       height: int, pieces: Path | None = None, check: StreamedCheck | None = None) -> list[Path]:
    """One Parquet file per partition key combination, keys in the folder names only.

    Every partition file is written by `storage.appending_table` in whole row groups, so its bytes
    depend only on its rows, however they arrive:
    - a DataFrame is split in memory and each partition sorted by the grain;
    - `pieces`, the hive folder a LazyFrame was scanned from (observations at 10M rows and more:
      `key=value/.../part-NNNNN.parquet`, written in grain order part by part by
      transforms.observations.write_observations, with or without the key columns in the files),
      is copied partition by partition, one piece at a
      time in file-name order, which is grain order: memory holds one piece and one row group, not the
      partition. Streaming the partition from the scan (`sink_parquet(maintain_order=True)`) held
      about the whole partition: 7.1 GB for the largest one at 100M rows (BENCHMARKS.md, issue 9).
      Each piece read is also fed, with its partition's key values and conformed like the scan, to
      `check` (the table's contract check, so that the pieces are read once: see StreamedCheck);
    - any other LazyFrame is streamed one partition at a time in its own row order.
    """
    keys = list(contract.partition_by)
    if height == 0:
        empty = frame if isinstance(frame, pl.DataFrame) else frame.head(0).collect()
        return [storage.write_table(empty, table_dir / f"{contract.name}.parquet", sort_by=contract.grain)]
    schema = dict(frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema)
    for key in keys:
        schema.pop(key)
    folders = _piece_folders(pieces, keys) if pieces is not None and isinstance(frame, pl.LazyFrame) else None
    if isinstance(frame, pl.DataFrame):
        parts = frame.partition_by(keys, as_dict=True, include_key=False, maintain_order=True)
        values = sorted(parts, key=lambda row: tuple(str(value) for value in row))
    elif folders is not None:
        values = sorted(folders)
    else:
        values = sorted(frame.select(keys).unique().collect().rows(), key=lambda row: tuple(str(v) for v in row))
    written = []
    for key_values in values:
        folder = table_dir
        for key, value in zip(keys, key_values):
            text = str(value)
            if not PARTITION_VALUE_PATTERN.match(text):
                raise ValueError(f"{contract.name}: partition value {key}={text!r} is not safe in a folder name")
            folder = folder / f"{key}={text}"
        target = folder / f"{contract.name}.parquet"
        with storage.appending_table(target, schema, whole_row_groups=True) as append:
            if isinstance(frame, pl.DataFrame):
                append(parts[key_values].sort(list(contract.grain), nulls_last=True, maintain_order=True))
            elif folders is not None:
                for piece in folders[key_values]:
                    rows = pl.read_parquet(piece, hive_partitioning=False)
                    append(rows.drop(keys, strict=False))  # a piece may hold its keys (the flow's do)
                    if check is not None:
                        check.add(_with_keys(rows, keys, key_values, frame, contract))
            else:
                match = [pl.col(k).is_null() if v is None else pl.col(k) == v for k, v in zip(keys, key_values)]
                for batch in frame.filter(*match).drop(keys).collect_batches(maintain_order=True):
                    append(batch)
        written.append(target)
    return written


def _with_keys(rows: pl.DataFrame, keys: list[str], values: tuple, frame: pl.LazyFrame,
               contract: TableContract) -> pl.DataFrame:
    """A piece's rows as the hive scan `frame` gives them: the partition's keys (typed as the scan types
    them) added, then conformed and ordered like `frame`."""
    schema = frame.collect_schema()
    keyed = rows.with_columns(pl.lit(value, dtype=pl.String).cast(schema[key]).alias(key)
                              for key, value in zip(keys, values))
    return conform(contract.name, keyed, {contract.name: contract}).select(list(schema))


def _piece_folders(root: Path, keys: list[str]) -> dict[tuple[str, ...], list[Path]] | None:
    """The Parquet files of a hive folder per partition (values as the folder names spell them, files in
    name order), or None when the folder is not laid out as `key=value/...` over exactly `keys`."""
    files = sorted(root.rglob("*.parquet"))
    folders: dict[tuple[str, ...], list[Path]] = {}
    for path in files:
        parts = path.relative_to(root).parts[:-1]
        if len(parts) != len(keys) or any(not part.startswith(f"{key}=") for part, key in zip(parts, keys)):
            return None
        folders.setdefault(tuple(part.split("=", 1)[1] for part in parts), []).append(path)
    return folders or None


def _write_snapshot(frames: Mapping[str, pl.DataFrame | pl.LazyFrame], target: Path,
                    contracts: Mapping[str, TableContract], run_id: str,
                    sources: Mapping[str, Path] | None = None,
                    checks: Mapping[str, StreamedCheck] | None = None) -> dict:
    """Write every table under `target` and a manifest; return the manifest. `sources` names the hive
    folder a lazy partitioned table was scanned from, `checks` the contract checks fed while its pieces
    are copied (see _write_partitioned)."""
    manifest: dict = {"run_id": run_id, "tables": {}}
    for name in sorted(frames):
        frame, contract = frames[name], contracts[name]
        table_dir = target / name
        height = _height(frame)
        if contract.partition_by:
            files = _write_partitioned(frame, table_dir, contract, height, (sources or {}).get(name),
                                       (checks or {}).get(name))
        else:
            files = [storage.write_table(_load(frame), table_dir / f"{name}.parquet", sort_by=contract.grain)]
        schema = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
        manifest["tables"][name] = {
            "rows": height,
            "columns": {column: str(dtype) for column, dtype in schema.items()},
            "partition_by": list(contract.partition_by) if height else [],
            "files": [{"path": str(path.relative_to(target)), "sha256": storage.file_checksum(path)} for path in files],
        }
    (target / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


# ---------------------------------------------------------------------------------------------
# the catalog


def _view_sql(name: str, snapshot_dir: Path, table: dict, contract: TableContract) -> str:
    """CREATE VIEW over one table's files; columns listed in contract order, extras after."""
    columns = ", ".join(_sql_identifier(column) for column in table["columns"])
    table_dir = snapshot_dir / name
    if table["partition_by"]:
        depth = "/".join(["*"] * len(table["partition_by"]))
        types = ", ".join(f"{_sql_string(key)}: {duckdb_type(contract.schema[key])}" for key in table["partition_by"])
        pattern = _sql_string(str(table_dir / depth / (name + ".parquet")))
        source = (f"read_parquet({pattern}, "
                  f"hive_partitioning = true, hive_types = {{{types}}})")
    else:
        only = table["files"][0]["path"]
        source = f"read_parquet({_sql_string(str(snapshot_dir / only))}, hive_partitioning = false)"
    return f"CREATE VIEW {_sql_identifier(name)} AS SELECT {columns} FROM {source}"


def _dictionary_frame(manifest: dict, contracts: Mapping[str, TableContract]) -> pl.DataFrame:
    """One row per published column: type, nullability, meaning, and whether it is an extra."""
    rows = []
    for name, table in sorted(manifest["tables"].items()):
        contract = contracts[name]
        described = {column.name: column for column in contract.columns}
        for position, column_name in enumerate(table["columns"], start=1):
            column = described.get(column_name)
            rows.append({
                "table_name": name, "position": position, "column_name": column_name,
                "polars_type": table["columns"][column_name],
                "nullable": column.nullable if column else True,
                "is_extra": column is None, "is_grain": column_name in contract.grain,
                "description": column.description if column else "extra (not in the contract)",
                "table_description": contract.description,
            })
    schema = {"table_name": pl.String, "position": pl.Int64, "column_name": pl.String, "polars_type": pl.String,
              "nullable": pl.Boolean, "is_extra": pl.Boolean, "is_grain": pl.Boolean, "description": pl.String,
              "table_description": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _build_catalog(path: Path, snapshot_dir: Path, manifest: dict, contracts: Mapping[str, TableContract]) -> None:
    """A fresh DuckDB file with one view per table plus catalog_info and data_dictionary tables."""
    con = duckdb.connect(str(path))
    try:
        con.sql("SET enable_progress_bar = false")
        for name, table in sorted(manifest["tables"].items()):
            con.sql(_view_sql(name, snapshot_dir, table, contracts[name]))
        info = pl.DataFrame({
            "run_id": [manifest["run_id"]],
            "snapshot_id": [snapshot_dir.name],
            "snapshot_dir": [str(snapshot_dir)],
            "published_at": [datetime.now(timezone.utc)],
            "tables": [sorted(manifest["tables"])],
        })
        dictionary = _dictionary_frame(manifest, contracts)
        con.register("catalog_info_frame", info)
        con.register("data_dictionary_frame", dictionary)
        con.sql("CREATE TABLE catalog_info AS SELECT * FROM catalog_info_frame")
        con.sql("CREATE TABLE data_dictionary AS SELECT * FROM data_dictionary_frame ORDER BY table_name, position")
        con.unregister("catalog_info_frame")
        con.unregister("data_dictionary_frame")
        con.sql("CHECKPOINT")
    finally:
        con.close()
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def open_catalog(out_dir: Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A connection to DIR/warehouse.duckdb (read-only unless asked); FileNotFoundError before the first publish.

    Read-only connections ATTACH the file to a fresh in-memory database (and USE it) instead of
    `duckdb.connect(path)`, because DuckDB caches one database per path within a process: a
    second connect() while an older connection is open would return the replaced, older catalog.
    """
    path = Path(out_dir) / CATALOG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no published catalog at {path}: run the pipeline first")
    if not read_only:
        con = duckdb.connect(str(path))
    else:
        con = duckdb.connect()
        con.sql(f"ATTACH {_sql_string(str(path))} AS {CATALOG_ALIAS} (READ_ONLY)")
        con.sql(f"USE {CATALOG_ALIAS}")
    con.sql("SET enable_progress_bar = false")
    return con


def query(out_dir: Path, sql: str, params: Mapping[str, object] | None = None) -> pl.DataFrame:
    """Run one read-only SELECT (or WITH ... SELECT, EXPLAIN) on the catalog and return it as a frame.

    `params` binds $name parameters (never format values into `sql`).
    """
    statements = duckdb.extract_statements(sql)
    if len(statements) != 1 or statements[0].type not in QUERY_STATEMENTS:
        kinds = ", ".join(statement.type.name for statement in statements) or "nothing"
        raise ValueError(f"query accepts exactly one SELECT statement, got: {kinds}")
    con = open_catalog(out_dir, read_only=True)
    try:
        return con.sql(sql, params=dict(params) if params else None).pl()
    finally:
        con.close()


def catalog_info(out_dir: Path) -> dict | None:
    """run_id, snapshot_id, snapshot_dir, published_at of what the catalog serves (None before any publish)."""
    try:
        con = open_catalog(out_dir)
    except FileNotFoundError:
        return None
    try:
        rows = con.sql("SELECT * FROM catalog_info").pl().to_dicts()
    finally:
        con.close()
    return rows[0] if rows else None


def catalog_run_id(out_dir: Path) -> str | None:
    """The run_id the catalog serves (None before the first publish)."""
    info = catalog_info(out_dir)
    return info["run_id"] if info else None


def current_snapshot_id(out_dir: Path) -> str | None:
    """The snapshot folder name DIR/current points at (None when there is no link)."""
    link = Path(out_dir) / CURRENT_LINK
    return Path(os.readlink(link)).name if link.is_symlink() else None


def _snapshot_id(snapshots: Path, run_id: str) -> str:
    """`run_id`, or `run_id.N` (N = 2, 3, ...) when that run_id was published before (a rerun)."""
    if not (snapshots / run_id).exists():
        return run_id
    taken = [int(entry.name.rsplit(".", 1)[1]) for entry in snapshots.glob(f"{run_id}.*")
             if entry.name.rsplit(".", 1)[1].isdigit()]
    return f"{run_id}.{max(taken, default=1) + 1}"


# ---------------------------------------------------------------------------------------------
# publish


@contextmanager
def _publish_lock(out_dir: Path) -> Iterator[None]:
    with open(out_dir / LOCK_FILE, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove_leftovers(out_dir: Path) -> None:
    """Delete what killed publishes left behind (called under the lock, so nothing is in flight)."""
    for pattern in (".warehouse-*.duckdb", ".warehouse-*.duckdb.wal", ".current-*"):
        for leftover in out_dir.glob(pattern):
            leftover.unlink(missing_ok=True)
    for staging in (out_dir / SNAPSHOTS_DIR).glob(".staging-*"):
        shutil.rmtree(staging, ignore_errors=True)


def _swap_current(out_dir: Path, snapshot_id: str) -> None:
    temporary = out_dir / f".current-{snapshot_id}"
    temporary.unlink(missing_ok=True)
    os.symlink(f"{SNAPSHOTS_DIR}/{snapshot_id}", temporary)
    os.replace(temporary, out_dir / CURRENT_LINK)
    _fsync_dir(out_dir)


def _link_reports(out_dir: Path) -> None:
    """DIR/reports -> current/report_files, so report files swap together with `current`."""
    link = out_dir / REPORTS_LINK
    if link.is_symlink() and os.readlink(link) == f"{CURRENT_LINK}/{REPORT_FILES_DIR}":
        return
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link) if link.is_dir() else link.unlink()
    temporary = out_dir / ".current-reports-link"
    temporary.unlink(missing_ok=True)
    os.symlink(f"{CURRENT_LINK}/{REPORT_FILES_DIR}", temporary)
    os.replace(temporary, link)


def publish_snapshot(
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame | Path | str],
    out_dir: Path,
    run_id: str,
    contracts: Mapping[str, TableContract] = CONTRACTS,
    keep: int | None = None,
    report_files: Path | None = None,
) -> PublishResult:
    """Check, write and atomically publish `tables` as a snapshot of run `run_id` under `out_dir`.

    The snapshot folder is `run_id`, or `run_id.N` when that run_id was published before (a rerun
    on the same inputs keeps its run_id). `report_files` (a folder of report .md/.html files) is
    copied into the snapshot and served as DIR/reports -> current/report_files.
    Raises ContractError, before anything in out_dir is published, when a table breaks its contract
    (rows of hive pieces are checked while copied into a staging folder, which is then removed).
    """
    _check_run_id(run_id)
    folders = {name: Path(value) for name, value in tables.items()
               if isinstance(value, (str, Path)) and Path(value).is_dir()}
    pieces = {name for name, folder in folders.items()
              if name in contracts and contracts[name].partition_by
              and _piece_folders(folder, list(contracts[name].partition_by)) is not None}
    frames, streamed = validate_tables(tables, contracts, streamed=pieces)
    keep = get_settings().snapshots_to_keep if keep is None else keep
    if keep < 1:
        raise ValueError("keep must be at least 1")
    out_dir = Path(out_dir).resolve()
    if not out_dir_is_usable(out_dir):
        raise ValueError(f"out_dir {out_dir} contains glob or quote characters that DuckDB paths cannot carry")
    snapshots = out_dir / SNAPSHOTS_DIR
    snapshots.mkdir(parents=True, exist_ok=True)

    with _publish_lock(out_dir):
        _remove_leftovers(out_dir)
        snapshot_id = _snapshot_id(snapshots, run_id)
        snapshot_dir = snapshots / snapshot_id
        staging = snapshots / f".staging-{snapshot_id}-{os.getpid()}"
        manifest = _write_snapshot(frames, staging, contracts, run_id, folders, streamed)
        late = [violation for name in sorted(streamed) for violation in streamed[name].violations()]
        if late:  # rows of a table checked while its pieces were copied: nothing was published
            shutil.rmtree(staging, ignore_errors=True)
            raise ContractError(late)
        if report_files is not None:
            shutil.copytree(report_files, staging / REPORT_FILES_DIR)
        _checkpoint("parquet_written")
        os.rename(staging, snapshot_dir)
        _fsync_dir(snapshots)
        _checkpoint("snapshot_in_place")

        temporary_catalog = out_dir / f".warehouse-{snapshot_id}.duckdb"
        temporary_catalog.unlink(missing_ok=True)
        _build_catalog(temporary_catalog, snapshot_dir, manifest, contracts)
        _checkpoint("catalog_built")
        os.replace(temporary_catalog, out_dir / CATALOG_FILE)
        _fsync_dir(out_dir)
        (snapshot_dir / PUBLISHED_MARKER).write_text(f"{time.time_ns()}\n")
        _checkpoint("catalog_swapped")
        _swap_current(out_dir, snapshot_id)
        if report_files is not None:
            _link_reports(out_dir)
        _checkpoint("current_swapped")
        removed = apply_retention(out_dir, keep)

    return PublishResult(
        run_id=run_id,
        snapshot_id=snapshot_id,
        snapshot_dir=snapshot_dir,
        catalog_path=out_dir / CATALOG_FILE,
        row_counts={name: _height(frame) for name, frame in frames.items()},
        removed_snapshots=removed,
    )


def _published_ns(snapshot_dir: Path) -> int | None:
    marker = snapshot_dir / PUBLISHED_MARKER
    try:
        return int(marker.read_text().strip())
    except (OSError, ValueError):
        return None


def apply_retention(out_dir: Path, keep: int) -> tuple[str, ...]:
    """Delete all but the `keep` most recently published snapshots; return the removed snapshot ids.

    Never removes the snapshot `current` or the catalog points at. Snapshots that were written
    but never published (a publish killed before its catalog swap) are removed as well.
    """
    out_dir = Path(out_dir)
    root = out_dir / SNAPSHOTS_DIR
    info = catalog_info(out_dir)
    protected = {current_snapshot_id(out_dir), info["snapshot_id"] if info else None} - {None}
    entries = [entry for entry in root.iterdir() if entry.is_dir() and not entry.name.startswith(".")]
    published = sorted(
        ((stamp, entry) for entry in entries if (stamp := _published_ns(entry)) is not None),
        key=lambda item: (item[0], item[1].name),
        reverse=True,
    )
    kept = {entry.name for _, entry in published[:keep]} | protected
    removed = tuple(sorted(entry.name for entry in entries if entry.name not in kept))
    for name in removed:
        shutil.rmtree(root / name)
    return removed
