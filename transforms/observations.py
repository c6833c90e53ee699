"""The observations table: every source's normalised rows together, minus duplicates, with
outlier flags and a row accounting per source.

Duplicates policy (each rule configurable through settings or the function's parameters):

1. Same record id, same source: a source that gives its rows ids (the spec maps `record_id`)
   sends each record once; later copies (by source_file, row_number) are duplicates of the
   first, rule `same_record_id` (duplicate_of: the same id; where the first copy is itself dropped
   by rule 2, the posting kept in its place).
2. Cross-posted job postings: two postings (kind `job_posting`, any source) are the same job
   when their normalised company, role, seniority and location (country, subdivision, city) are
   equal, the later one was posted at most `posting_duplicate_window_days` (7) days after the
   earlier one, and its annual USD pay is within `posting_duplicate_pay_tolerance` (5 %) of the
   earlier one's. In the order (posted_date, source, source_file, row_number) the first posting
   is kept and each later one is a duplicate of the earliest posting it matches, rule
   `cross_posted`; its duplicate_of names the posting that is kept (a chain of reposts, each within
   the window of the one before, points every repost at the first). Postings without a company or a posted date are never merged: without them
   two adverts cannot be told to be the same job.
3. Salary reports without ids are kept even when identical: a survey without respondent ids
   legitimately holds identical answers from different people (aijobs.net has 39,304 such rows).

Outliers: within each role (slug) x country, robust z = 0.6745 * (ln pay - median) / MAD of ln
annual USD pay; |z| > `outlier_mad_threshold` (3.5, Iglewicz & Hoaglin) sets `is_outlier`. When
the MAD is 0 the mean absolute deviation * 1.2533 stands in; a role x country with fewer than
`OUTLIER_MIN_GROUP` rows is not judged. Outliers stay in the table (flagged), and `outlier_rule_enabled=False` flags none.
Rows flagged `is_non_fte_pay` (a part-time salary, an internship: transforms/normalise.py) are
left out of every pay statistic, so they are neither part of the outlier rule's reference (their
lower pay would widen the MAD and lower the median every full-time row is judged against) nor
judged themselves (is_outlier false: they are excluded already).

Accounting: per source, rows_read = rows_kept + rows_rejected + rows_duplicate, checked exactly.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import polars as pl

from market_intel.hashes import repeated_hashes
from transforms.normalise import OBSERVATION_COLUMNS
from transforms.staging import REJECT_SCHEMA

OUTLIER_MIN_GROUP = 5
MAD_TO_SIGMA = 0.6745
MEAN_AD_TO_MAD = 1.253314
COMPANY_SUFFIXES = r"\b(inc|incorporated|llc|l\.l\.c|ltd|limited|corp|corporation|co|company|gmbh|plc|sa|ag|bv|lp|llp)\b"
ROW_KEY = ["source", "source_file", "row_number"]
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"  # a null partition value, as hive readers spell it
DUPLICATE_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String, "source_file": pl.String, "row_number": pl.Int64, "record_id": pl.String,
    "duplicate_of": pl.String, "rule": pl.String,
}
ACCOUNTING_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String, "files": pl.Int64, "rows_read": pl.Int64, "rows_kept": pl.Int64,
    "rows_rejected": pl.Int64, "rows_duplicate": pl.Int64,
}


@dataclass(frozen=True)
class Built:
    observations: pl.DataFrame
    rejects: pl.DataFrame
    duplicates: pl.DataFrame
    accounting: pl.DataFrame


class AccountingError(AssertionError):
    """rows_read != rows_kept + rows_rejected + rows_duplicate for some source."""


def _setting(settings: Any, name: str, override: Any) -> Any:
    if override is not None:
        return override
    if settings is None:
        from market_intel.settings import get_settings

        settings = get_settings()
    return getattr(settings, name)


def build_observations(parts: Sequence[pl.DataFrame | pl.LazyFrame], rejects: Sequence[pl.DataFrame],
                       read_counts: Mapping[str, int], settings: Any = None, *,
                       outlier_rule_enabled: bool | None = None, outlier_mad_threshold: float | None = None,
                       posting_duplicate_window_days: int | None = None,
                       posting_duplicate_pay_tolerance: float | None = None) -> Built:
    """Concatenate normalised parts, drop duplicates, flag outliers and account for every row (in memory).

    `write_observations` is the same computation for parts on disk, written part by part.
    """
    rules = _rules(settings, outlier_rule_enabled, outlier_mad_threshold, posting_duplicate_window_days,
                   posting_duplicate_pay_tolerance)
    keyed = _keyed_parts(parts)
    decided = decide(keyed, **rules)
    if keyed:
        observations = _apply(pl.concat(keyed, how="diagonal_relaxed"), decided).collect().sort(ROW_KEY)
    else:
        observations = pl.DataFrame(schema=OBSERVATION_COLUMNS).with_columns(pl.lit(False).alias("is_outlier"))
    all_rejects = _all_rejects(rejects)
    accounting = account_rows(observations, all_rejects, decided.duplicates, read_counts)
    return Built(observations=observations, rejects=all_rejects, duplicates=decided.duplicates, accounting=accounting)


@dataclass(frozen=True)
class Decisions:
    """What `decide` found: the duplicate rows (DUPLICATE_SCHEMA) and the kept rows flagged as outliers
    (their `_part`, `_idx` position keys)."""

    duplicates: pl.DataFrame
    outliers: pl.DataFrame


@dataclass(frozen=True)
class WrittenObservations:
    observations: Path  # one Parquet file, or the glob over `partitioned`'s pieces
    rejects: Path
    duplicates: Path
    accounting: pl.DataFrame
    rows: int
    # with partition_by: the hive folder of pieces (key=value folders, one file per part), which
    # `observations` globs; None when the rows went to one file
    partitioned: Path | None = None


def _rules(settings: Any, enabled: bool | None, threshold: float | None, window: int | None,
           tolerance: float | None) -> dict:
    return {
        "outlier_rule_enabled": _setting(settings, "outlier_rule_enabled", enabled),
        "outlier_mad_threshold": _setting(settings, "outlier_mad_threshold", threshold),
        "window_days": _setting(settings, "posting_duplicate_window_days", window),
        "pay_tolerance": _setting(settings, "posting_duplicate_pay_tolerance", tolerance),
    }


def _all_rejects(rejects: Sequence[pl.DataFrame]) -> pl.DataFrame:
    return (
        pl.concat([r.select(list(REJECT_SCHEMA)).cast(REJECT_SCHEMA) for r in rejects])
        if rejects else pl.DataFrame(schema=REJECT_SCHEMA)
    ).sort(ROW_KEY)


def _keyed_parts(parts: Sequence[pl.DataFrame | pl.LazyFrame]) -> list[pl.LazyFrame]:
    """Each part as a lazy frame cast to the observation dtypes, with position keys `_part`, `_idx`
    (part number, row index within the part: unique even where the grain is not)."""
    keyed = []
    for number, part in enumerate(parts):
        lazy = part.lazy()
        schema = lazy.collect_schema()
        lazy = lazy.cast({c: t for c, t in OBSERVATION_COLUMNS.items() if c in schema and schema[c] != t})
        keyed.append(lazy.with_row_index("_idx").with_columns(pl.lit(number, pl.UInt32).alias("_part")))
    return keyed


def _column(schema: Mapping[str, pl.DataType], name: str) -> pl.Expr:
    return pl.col(name) if name in schema else pl.lit(None, OBSERVATION_COLUMNS[name]).alias(name)


DECISION_COLUMNS = (*ROW_KEY, "record_id", "kind", "company", "role", "seniority", "country_code",
                    "subdivision_code", "city", "posted_date", "pay_annual_usd", "is_non_fte_pay")


def _narrow(part: pl.LazyFrame, columns: Sequence[str]) -> pl.LazyFrame:
    schema = part.collect_schema()
    return part.select("_part", "_idx", *[_column(schema, c) for c in columns])


def decide(keyed: Sequence[pl.LazyFrame], *, outlier_rule_enabled: bool, outlier_mad_threshold: float,
           window_days: int, pay_tolerance: float, spill_dir: Path | None = None) -> Decisions:
    """Duplicates (rules 1 and 2) and outlier flags over all parts, holding little in memory.

    Rule 1 (same record id) is decided on a hash of (source, record_id) for every row and exactly on
    the rows whose hash repeats. Rule 2 compares rows of one (country, role, seniority, subdivision)
    only (all four are among its blocking keys), so it runs on batches of such sub-blocks (`BLOCK_ROWS`
    rows at most, a single larger sub-block is a batch of its own) on the few columns it reads. The
    outlier rule needs every kept row of a (country, role) block: batches are cut in sorted order, so
    a block's sub-blocks are consecutive; a block is judged after the batch holding its last
    sub-block, the kept rows' pay of a block still open held (narrow) until then. The result equals deciding on all rows at once. With
    `spill_dir`, the narrow columns are first split by batch into files there in one pass over the
    parts (each batch then reads its own files), instead of one filtered pass over every part per batch.
    """
    empty = Decisions(pl.DataFrame(schema=DUPLICATE_SCHEMA), pl.DataFrame(schema={"_part": pl.UInt32, "_idx": pl.UInt32}))
    if not keyed:
        return empty
    same_id = same_record_id_duplicates(_repeated_ids(keyed))

    cross_parts, outlier_parts = [], []
    carry: list[pl.DataFrame] = []  # kept rows of the block still open, one piece per batch (not re-concatenated)
    batches = _blocks(keyed)
    spilled = _spill_batches(keyed, batches, spill_dir) if spill_dir is not None and len(batches) > 1 else None
    carried_block = None  # the (country, role) block `carry` belongs to
    for number, batch in enumerate(batches):
        piece = None
        if spilled is not None:
            frame = pl.concat([pl.read_parquet(path) for path in spilled[number]]) if spilled[number] else None
        else:
            # one part at a time (a filter the Parquet reader applies while decoding): collecting the
            # concatenation of every part at once held ~4x the batch in reader buffers (2.5 GB at 10M)
            in_batch = _block_key(*[pl.col(c) for c in SUB_BLOCK]).is_in(
                _block_key(*[batch.get_column(c) for c in SUB_BLOCK]).implode())
            frame = pl.concat([_narrow(part, DECISION_COLUMNS).pipe(_sub_block_columns).filter(in_batch)
                               .drop("_seniority_key", "_subdivision_key").collect() for part in keyed])
        if frame is not None:
            frame = frame.join(same_id.select(ROW_KEY), on=ROW_KEY, how="anti")
            cross = cross_posted_duplicates(frame, window_days=window_days, pay_tolerance=pay_tolerance)
            cross_parts.append(cross)
            if outlier_rule_enabled:
                # the rows that enter pay statistics only (is_non_fte_pay: see the module docstring)
                piece = (frame.join(cross.select(ROW_KEY), on=ROW_KEY, how="anti")
                         .filter(~pl.col("is_non_fte_pay").fill_null(False))
                         .select("_part", "_idx", "role", "country_code", "pay_annual_usd"))
            del frame
        if not outlier_rule_enabled:
            continue
        open_block = _open_block(batches, number)
        if open_block is not None and open_block == carried_block:
            # the batch starts and ends inside the carried block (batches are sorted): all of it goes on
            if piece is not None:
                carry.append(piece)
            continue
        # the carried block (if any) ends in this batch: judge it and every block that ends here;
        # hold the rows of the one that goes on into the next batch
        judged = carry
        carry = []
        if piece is not None:
            if open_block is not None:
                goes_on = pl.col("country_code").eq_missing(open_block[0]) & pl.col("role").eq_missing(open_block[1])
                carry = [piece.filter(goes_on)]
                piece = piece.filter(~goes_on)
            judged = [*judged, piece]
        carried_block = open_block
        judged = [frame for frame in judged if frame.height]
        if judged:
            flagged = flag_outliers(pl.concat(judged), threshold=outlier_mad_threshold)
            outlier_parts.append(flagged.filter(pl.col("is_outlier")).select("_part", "_idx"))
            del flagged
        del judged, piece
    duplicates = point_to_kept(same_id, pl.concat([same_id.head(0), *cross_parts]))
    outliers = pl.concat([empty.outliers, *outlier_parts]).sort("_part", "_idx")
    return Decisions(duplicates=duplicates, outliers=outliers)


def _id_hash(part: pl.LazyFrame) -> pl.LazyFrame:
    return _narrow(part, (*ROW_KEY, "record_id")).with_columns(
        pl.struct("source", "record_id").hash(20260101).alias("_h"))


def _repeated_ids(keyed: Sequence[pl.LazyFrame]) -> pl.DataFrame:
    """The rows (ROW_KEY, record_id) whose (source, record_id) hash occurs more than once: every row
    repeating a record id, plus the rare hash collision (`same_record_id_duplicates` compares the ids
    themselves). Holds 8 bytes a row: the hashes, part by part into one array sorted in place (not a
    hash table of all rows); a second pass over the parts picks the rows with a repeated hash."""
    sizes = [part.select(pl.len()).collect().item() for part in keyed]
    hashes = np.empty(sum(sizes), dtype=np.uint64)
    at = 0
    for part, size in zip(keyed, sizes):
        hashes[at:at + size] = _id_hash(part).select("_h").collect().get_column("_h").to_numpy()
        at += size
    repeated = pl.DataFrame({"_h": pl.Series(repeated_hashes(hashes), dtype=pl.UInt64)})
    del hashes
    # part by part: a collect of the concatenation reads every part at once (0.8 GB at 10M rows)
    return pl.concat([
        _id_hash(part).join(repeated.lazy(), on="_h", how="semi").select("_part", "_idx", *ROW_KEY, "record_id")
        .collect()
        for part in keyed
    ])


BLOCK_ROWS = 500_000  # rows of one batch of sub-blocks decided together
# a (country, role) block cut by two more of rule 2's blocking keys (null as "", as rule 2 compares
# them): one (country, role) held 5.2M of 100M rows, 10x the batch, 5 GB in the observations step
SUB_BLOCK = ["country_code", "role", "_seniority_key", "_subdivision_key"]


def _sub_block_columns(frame: pl.LazyFrame) -> pl.LazyFrame:
    return frame.with_columns(pl.col("seniority").fill_null("").alias("_seniority_key"),
                              pl.col("subdivision_code").fill_null("").alias("_subdivision_key"))


def _blocks(keyed: Sequence[pl.LazyFrame], max_rows: int | None = None) -> list[pl.DataFrame]:
    """SUB_BLOCK values grouped into batches of at most `max_rows` rows (a single larger sub-block is
    a batch of its own), in sorted order, so a (country, role) block's sub-blocks are consecutive.
    Rule 2 never compares rows of different sub-blocks (all four keys are among its blocking keys)."""
    max_rows = max_rows or BLOCK_ROWS
    sizes = (
        pl.concat([_narrow(part, ("country_code", "role", "seniority", "subdivision_code"))
                   .pipe(_sub_block_columns).select(SUB_BLOCK) for part in keyed])
        .group_by(SUB_BLOCK).len().collect()
        .sort(SUB_BLOCK, nulls_last=True)
    )
    batches, current, total = [], [], 0
    for *key, rows in sizes.iter_rows():
        if current and total + rows > max_rows:
            batches.append(current)
            current, total = [], 0
        current.append(tuple(key))
        total += rows
    if current:
        batches.append(current)
    schema = {"country_code": pl.String, "role": pl.String, "_seniority_key": pl.String, "_subdivision_key": pl.String}
    return [pl.DataFrame(batch, schema=schema, orient="row") for batch in batches]


def _open_block(batches: list[pl.DataFrame], number: int) -> tuple | None:
    """The (country, role) block that batch `number` ends in the middle of (it goes on in the next
    batch), or None: the outlier rule can judge every other block held so far."""
    if number + 1 >= len(batches):
        return None
    last, following = batches[number].row(-1), batches[number + 1].row(0)
    return last[:2] if last[:2] == following[:2] else None


def _spill_batches(keyed: Sequence[pl.LazyFrame], batches: list[pl.DataFrame], spill_dir: Path) -> list[list[Path]]:
    """The decision columns of every part split by batch into spill_dir/b<batch>.parquet, in one pass
    (one part in memory at a time): each part's rows of a batch are one row group of the batch's file,
    in part order. (A file per batch and part was 60,000 small files at 100M rows.)"""
    import pyarrow.parquet as pq

    spill_dir.mkdir(parents=True, exist_ok=True)
    mapping = pl.concat([batch.with_columns(pl.lit(number, pl.UInt32).alias("_batch"))
                         for number, batch in enumerate(batches)])
    writers: dict[int, pq.ParquetWriter] = {}
    try:
        for part in keyed:
            frame = (_narrow(part, DECISION_COLUMNS).pipe(_sub_block_columns)
                     .join(mapping.lazy(), on=SUB_BLOCK, how="inner", nulls_equal=True, maintain_order="left")
                     .drop("_seniority_key", "_subdivision_key")
                     .collect())
            for (batch,), piece in sorted(frame.partition_by("_batch", as_dict=True, include_key=False,
                                                             maintain_order=True).items()):
                table = piece.to_arrow()
                if batch not in writers:
                    writers[batch] = pq.ParquetWriter(spill_dir / f"b{batch:05d}.parquet", table.schema,
                                                      compression="lz4")
                writers[batch].write_table(table)
            del frame
    finally:
        for writer in writers.values():
            writer.close()
    return [[spill_dir / f"b{number:05d}.parquet"] if number in writers else [] for number in range(len(batches))]


def _block_key(*columns: pl.Expr | pl.Series) -> pl.Expr | pl.Series:
    """One string per combination of values; a missing value gets a marker no code contains."""
    key = columns[0].fill_null("\x00")
    for column in columns[1:]:
        key = key + "\x1f" + column.fill_null("\x00")
    return key


def _apply(keyed: pl.LazyFrame, decided: Decisions) -> pl.LazyFrame:
    """Rows minus the duplicates (by grain, as decided), with is_outlier; position keys dropped.
    Rows stay in their order: without `maintain_order` on the anti join too, Polars 2.1 returned a
    staged part (in grain order) shuffled, and write_observations sorted every part again."""
    flagged = decided.outliers.lazy().with_columns(pl.lit(True).alias("is_outlier"))
    return (
        keyed.join(decided.duplicates.lazy().select(ROW_KEY), on=ROW_KEY, how="anti", maintain_order="left")
        .join(flagged, on=["_part", "_idx"], how="left", maintain_order="left")
        .with_columns(pl.col("is_outlier").fill_null(False))
        .drop("_part", "_idx")
    )


def write_observations(part_paths: Sequence[Path], reject_paths: Sequence[Path], read_counts: Mapping[str, int],
                       out_dir: Path, settings: Any = None, *, partition_by: Sequence[str] = (),
                       **overrides: Any) -> WrittenObservations:
    """`build_observations` for parts on disk: decides on narrow columns, then streams the kept rows part
    by part to disk, so memory holds one part at a time, not the table.

    Parts must not interleave in grain order (each is one raw file of one source, as staged). Without
    `partition_by` the kept rows go to one Parquet file sorted by the grain (`observations`). With it,
    each part's rows go to hive pieces instead, one file per part and partition
    (`observations_parts/<key>=<value>/.../part-00000.parquet`, in grain order within each piece and
    across a partition's pieces in name order), and `observations` is the glob over them
    (`observations_parts/**/*.parquet`). The pieces keep the key columns in the files as well as in the
    folder names, so that they read the same as the single file without hive partitioning (Polars);
    the marts' SQL reads them with it on, keys as text, so that DuckDB skips other slices' pieces by
    folder name (26 s instead of 34 s for role_region_stats at 10M rows); publishing copies one
    partition's pieces without its keys; and the kept rows are written once instead of twice (the
    single file took 15.8 s at 10M rows; BENCHMARKS.md, issue 9). No kept rows: an empty single file
    either way.
    """
    import pyarrow.parquet as pq

    from market_intel import storage

    rules = _rules(settings, overrides.get("outlier_rule_enabled"), overrides.get("outlier_mad_threshold"),
                   overrides.get("posting_duplicate_window_days"), overrides.get("posting_duplicate_pay_tolerance"))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    scans = [pl.scan_parquet(p) for p in part_paths]
    firsts = [scan.select(pl.col(ROW_KEY).min()).collect().row(0) for scan in scans]
    order = sorted(range(len(scans)), key=lambda i: tuple("" if v is None else str(v) for v in firsts[i][:2]))
    keyed = _keyed_parts([scans[i] for i in order])
    spill = out_dir / ".decide-spill"
    try:
        decided = decide(keyed, **rules, spill_dir=spill)
    finally:
        shutil.rmtree(spill, ignore_errors=True)

    schema = (pl.concat([part.head(0) for part in keyed], how="diagonal_relaxed").pipe(
        lambda lf: _apply(lf, decided)).collect_schema()) if keyed else None
    target = out_dir / "observations.parquet"
    tmp = target.with_name(f".{target.name}.tmp")
    kept_counts: list[pl.DataFrame] = []
    rows = 0
    writer = None
    pieces = out_dir / "observations_parts" if partition_by else None
    if pieces is not None:
        shutil.rmtree(pieces, ignore_errors=True)  # a piece left by an earlier write would be read as a row
    try:
        files = _file_slices(decided.duplicates)
        for number, part in enumerate(keyed):
            frame = _apply(part, _part_decisions(decided, number, part, files)).collect()
            frame = frame.select([pl.col(c) if c in frame.columns else pl.lit(None, t).alias(c)
                                  for c, t in schema.items()]).cast(dict(schema))
            if not _in_grain_order(frame):  # staged parts are: no copy to sort them
                frame = frame.sort(ROW_KEY, nulls_last=True, maintain_order=True)
            kept_counts.append(frame.group_by("source", "source_file").len())
            if frame.height == 0:
                continue
            rows += frame.height
            if pieces is not None:
                _write_pieces(frame, list(partition_by), pieces, f"part-{number:05d}.parquet")
                del frame  # before the next part is collected: one part in memory, not two (+190 MB at 10M)
                continue
            table = frame.to_arrow(compat_level=pl.CompatLevel.oldest())
            del frame  # the Arrow copy is what is written: hold one copy of the part, not two
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression=storage.PARQUET_COMPRESSION,
                                          write_statistics=True)
            writer.write_table(table, row_group_size=storage.ROW_GROUP_SIZE)
            del table
        if writer is None and rows == 0:  # no kept rows at all
            empty = pl.DataFrame(schema=schema or OBSERVATION_COLUMNS)
            if "is_outlier" not in empty.columns:
                empty = empty.with_columns(pl.lit(False).alias("is_outlier"))
            empty.write_parquet(tmp, compression=storage.PARQUET_COMPRESSION)
    finally:
        if writer is not None:
            writer.close()
    if tmp.exists():
        tmp.replace(target)
    partitioned = pieces if pieces is not None and pieces.exists() else None

    all_rejects = _all_rejects([pl.read_parquet(p) for p in reject_paths])
    kept = (pl.concat(kept_counts) if kept_counts
            else pl.DataFrame(schema={"source": pl.String, "source_file": pl.String, "len": pl.UInt32}))
    accounting = account_counts(kept, all_rejects, decided.duplicates, read_counts)
    return WrittenObservations(
        observations=partitioned / "**" / "*.parquet" if partitioned is not None else target,
        rejects=storage.write_table(all_rejects, out_dir / "rejects.parquet", sort_by=ROW_KEY),
        duplicates=storage.write_table(decided.duplicates, out_dir / "duplicates.parquet", sort_by=ROW_KEY),
        accounting=accounting,
        rows=rows,
        partitioned=partitioned,
    )


def _file_slices(duplicates: pl.DataFrame) -> dict[tuple, tuple[int, int]]:
    """(source, source_file) -> (offset, length) of its rows in `duplicates` (sorted by ROW_KEY)."""
    spans = (duplicates.select("source", "source_file").with_row_index("_at")
             .group_by("source", "source_file").agg(pl.col("_at").min(), pl.len()))
    return {(source, name): (at, length) for source, name, at, length in spans.iter_rows()}


def _part_decisions(decided: Decisions, number: int, part: pl.LazyFrame,
                    files: dict[tuple, tuple[int, int]]) -> Decisions:
    """The decisions about one part's rows: the duplicates of its source files (slices of the sorted
    table) and its outliers. Joining each part with all duplicates built a hash table of every
    duplicate once per part (8.9M rows x 300 parts at 100M rows)."""
    own = part.select("source", "source_file").unique().collect().iter_rows()
    slices = [decided.duplicates.slice(*files[key]) for key in sorted(own, key=str) if key in files]
    at = np.searchsorted(decided.outliers.get_column("_part").to_numpy(), [number, number + 1])
    return Decisions(duplicates=pl.concat([decided.duplicates.head(0), *slices]),
                     outliers=decided.outliers.slice(int(at[0]), int(at[1] - at[0])))


def _in_grain_order(frame: pl.DataFrame) -> bool:
    """Whether rows are sorted by ROW_KEY already (one source file, row numbers rising, none null)."""
    if frame.height < 2:
        return True
    return frame.select(
        (pl.col("source").n_unique() == 1) & (pl.col("source_file").n_unique() == 1)
        & pl.col("source").is_not_null().all() & pl.col("source_file").is_not_null().all()
        & pl.col("row_number").is_not_null().all() & (pl.col("row_number").diff().slice(1) > 0).all()
    ).item()


def _write_pieces(frame: pl.DataFrame, keys: list[str], root: Path, name: str) -> None:
    """One file per key combination of `frame` under root/key=value/..., keys in the folder names and
    in the file (so that a piece reads like the rest of the table without hive partitioning). A null key
    is named as hive readers (DuckDB, Polars) read back a null, not 'None', which the marts' SQL would
    take for a country code (normalising rejects such rows; role_region_stats refuses them)."""
    from market_intel import storage

    for values, piece in frame.partition_by(keys, as_dict=True, include_key=True, maintain_order=True).items():
        folder = root.joinpath(*[f"{key}={HIVE_NULL if value is None else value}" for key, value in zip(keys, values)])
        storage.write_table(piece, folder / name)


def same_record_id_duplicates(observations: pl.DataFrame) -> pl.DataFrame:
    """Rows repeating a record id already seen in the same source (first by file, row kept)."""
    return (
        observations.lazy()
        .sort(ROW_KEY)
        .with_columns(pl.int_range(pl.len()).over("source", "record_id").alias("_nth"))
        .filter(pl.col("_nth") > 0)
        .select(*ROW_KEY, "record_id", pl.col("record_id").alias("duplicate_of"),
                pl.lit("same_record_id").alias("rule"))
        .collect()
        .cast(DUPLICATE_SCHEMA)
    )


def company_key(expr: pl.Expr) -> pl.Expr:
    """Company name reduced for matching: lower case, no punctuation or legal suffix."""
    return (
        expr.str.to_lowercase()
        .str.replace_all(r"[&]", " and ")
        .str.replace_all(r"[^\p{L}\p{N} ]+", " ")
        .str.replace_all(COMPANY_SUFFIXES, " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def cross_posted_duplicates(observations: pl.DataFrame, *, window_days: int, pay_tolerance: float) -> pl.DataFrame:
    """Postings repeating an earlier posting of the same job (see the module docstring, rule 2).

    Candidate pairs are joined on the blocking keys and a period of `window_days + 1` days: an earlier
    posting within the window lies in the same period or the one before, so each row is paired only
    with the rows of its bucket posted in those two periods (each earlier row is offered under its own
    period and the next). Joining on the blocking keys alone paired every two postings of a bucket
    over all dates: quadratic in a bucket's size, 65M pairs at 10M rows and 100x that at 100M
    (5 GB in one batch of the observations step; BENCHMARKS.md, issue 9). The pairs kept are the same.
    """
    blocking = ["_company", "role", "_seniority", "country_code", "_subdivision", "_city"]
    period_days = max(int(window_days), 0) + 1
    # the company key's four regex passes run on the distinct names (576 at 1M rows), not on every posting
    companies = observations.get_column("company").drop_nulls().unique().sort()
    keys = companies.to_frame().select(company_key(pl.col("company"))).to_series()
    candidates = (
        observations.lazy()
        .filter((pl.col("kind") == "job_posting") & pl.col("posted_date").is_not_null()
                & pl.col("company").is_not_null() & pl.col("pay_annual_usd").is_not_null())
        .with_columns(
            pl.col("company").replace_strict(companies, keys, default=None, return_dtype=pl.String).alias("_company"),
            pl.col("seniority").fill_null("").alias("_seniority"),
            pl.col("subdivision_code").fill_null("").alias("_subdivision"),
            pl.col("city").fill_null("").alias("_city"),
            (pl.col("posted_date") - pl.duration(days=window_days)).alias("_window_start"),
            pl.col("posted_date").cast(pl.Int32).floordiv(period_days).alias("_period"),
        )
        .sort("posted_date", *ROW_KEY)
        .with_row_index("_order")
        .select(*blocking, "_period", *ROW_KEY, "record_id", "posted_date", "_window_start", "pay_annual_usd",
                "_order")
        .collect()  # once: the pairs' join and the chains' record ids both read it
        .lazy()
    )
    earlier = candidates.select(
        *blocking, "_period",
        pl.col("record_id").alias("record_id_e"), pl.col("posted_date").alias("posted_date_e"),
        pl.col("pay_annual_usd").alias("pay_e"), pl.col("_order").alias("_order_e"),
    )
    offered = pl.concat([earlier, earlier.with_columns(pl.col("_period") + 1)])
    pairs = (
        candidates.join(offered, on=[*blocking, "_period"], how="inner")
        .filter(pl.col("_order_e") < pl.col("_order"), pl.col("posted_date_e") >= pl.col("_window_start"),
                (pl.col("pay_annual_usd") - pl.col("pay_e")).abs() <= pay_tolerance * pl.col("pay_e"))
    )
    first = (
        pairs.group_by("_order", *ROW_KEY, "record_id")
        .agg(pl.col("_order_e").min())
        .collect()
    )
    # the earliest match may itself be a duplicate (a job reposted every few days: B repeats A, C repeats
    # B but lies past A's window): follow the matches back to the posting that is kept
    kept_order = _follow_to_kept(first.get_column("_order").to_numpy(), first.get_column("_order_e").to_numpy())
    ids = candidates.select("record_id").collect().get_column("record_id")  # in _order (the row index)
    return (
        first.with_columns(ids.gather(kept_order).alias("duplicate_of"))
        .select(*ROW_KEY, "record_id", "duplicate_of", pl.lit("cross_posted").alias("rule"))
        .cast(DUPLICATE_SCHEMA)
        .sort(ROW_KEY)
    )


def _follow_to_kept(rows: np.ndarray, matches: np.ndarray) -> np.ndarray:
    """For each dropped row (its position), the position of the kept row its chain of earliest matches
    ends at (each match lies earlier in the order, so the chains end)."""
    if len(rows) == 0:
        return np.asarray(matches, dtype=np.int64)
    parent = np.arange(int(max(rows.max(), matches.max())) + 1, dtype=np.int64)
    parent[rows] = matches
    target = parent[rows]
    while True:
        step = parent[target]
        if np.array_equal(step, target):
            return target
        target = step


def point_to_kept(same_id: pl.DataFrame, cross: pl.DataFrame) -> pl.DataFrame:
    """Rules 1 and 2 together, each duplicate naming the record kept: a repeat of a record id whose first
    copy was itself dropped as a cross-posting points where that first copy points."""
    firsts = cross.select("source", pl.col("record_id").alias("duplicate_of"), pl.col("duplicate_of").alias("_kept"))
    same_id = (same_id.join(firsts, on=["source", "duplicate_of"], how="left", maintain_order="left")
               .with_columns(pl.coalesce("_kept", "duplicate_of").alias("duplicate_of")).drop("_kept"))
    return pl.concat([same_id, cross]).sort(ROW_KEY)


def flag_outliers(observations: pl.DataFrame, *, threshold: float, enabled: bool = True,
                  group: str | Sequence[str] = ("role", "country_code")) -> pl.DataFrame:
    """Add is_outlier: |robust z| of ln annual USD pay within `group` above `threshold`.

    The comparison is within role AND country: pay levels differ several-fold between countries,
    so a within-role rule over all countries would flag ordinary pay in lower-paid countries and
    bias their medians up. Groups with fewer than OUTLIER_MIN_GROUP rows are not judged.
    """
    if not enabled:
        return observations.with_columns(pl.lit(False).alias("is_outlier"))
    group = _as_list(group)
    return observations.with_columns(
        pl.when(pl.len().over(group) >= OUTLIER_MIN_GROUP).then(_outlier_expr(group, threshold))
        .otherwise(pl.lit(False))
        .fill_null(False)
        .alias("is_outlier")
    )


def _as_list(columns: str | Sequence[str]) -> list[str]:
    return [columns] if isinstance(columns, str) else list(columns)


def _outlier_expr(group: list[str], threshold: float) -> pl.Expr:
    log_pay = pl.col("pay_annual_usd").log()
    deviation = (log_pay - log_pay.median().over(group)).abs()
    spread = (
        pl.when(deviation.median().over(group) > 0).then(deviation.median().over(group))
        .otherwise(deviation.mean().over(group) * MEAN_AD_TO_MAD)
    )
    robust_z = MAD_TO_SIGMA * deviation / spread
    return pl.when(spread > 0).then(robust_z > threshold).otherwise(pl.lit(False))


def account_rows(kept: pl.DataFrame, rejects: pl.DataFrame, duplicates: pl.DataFrame,
                 read_counts: Mapping[str, int]) -> pl.DataFrame:
    """source_accounting rows; raises AccountingError if any row is unaccounted for."""
    return account_counts(kept.group_by("source", "source_file").len(), rejects, duplicates, read_counts)


def account_counts(kept_counts: pl.DataFrame, rejects: pl.DataFrame, duplicates: pl.DataFrame,
                   read_counts: Mapping[str, int]) -> pl.DataFrame:
    """`account_rows` from the kept rows counted per (source, source_file) (column `len`)."""
    def per_source(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        return frame.group_by("source").agg(pl.len().cast(pl.Int64).alias(name))

    kept_counts = kept_counts.filter(pl.col("len") > 0)
    files = (
        pl.concat([f.select("source", "source_file") for f in (kept_counts, rejects, duplicates)])
        .group_by("source").agg(pl.col("source_file").n_unique().cast(pl.Int64).alias("files"))
    )
    kept = kept_counts.group_by("source").agg(pl.col("len").sum().cast(pl.Int64).alias("rows_kept"))
    read = pl.DataFrame({"source": list(read_counts), "rows_read": [int(v) for v in read_counts.values()]},
                        schema={"source": pl.String, "rows_read": pl.Int64})
    sources = pl.concat([read.select("source"), files.select("source")]).unique()
    accounting = (
        sources.join(files, on="source", how="left")
        .join(read, on="source", how="left")
        .join(kept, on="source", how="left")
        .join(per_source(rejects, "rows_rejected"), on="source", how="left")
        .join(per_source(duplicates, "rows_duplicate"), on="source", how="left")
        .with_columns(pl.exclude("source").fill_null(0))
        .select(list(ACCOUNTING_SCHEMA))
        .cast(ACCOUNTING_SCHEMA)
        .sort("source")
    )
    broken = accounting.filter(
        pl.col("rows_read") != pl.col("rows_kept") + pl.col("rows_rejected") + pl.col("rows_duplicate"))
    if broken.height:
        raise AccountingError(f"row accounting does not add up: {broken.to_dicts()}")
    return accounting
