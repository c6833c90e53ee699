"""The observations table: every source's normalised rows together, minus duplicates, with
outlier flags and a row accounting per source.

Duplicates policy (each rule configurable through settings or the function's parameters):

1. Same record id, same source: a source that gives its rows ids (the spec maps `record_id`)
   sends each record once; later copies (by source_file, row_number) are duplicates of the
   first, rule `same_record_id`.
2. Cross-posted job postings: two postings (kind `job_posting`, any source) are the same job
   when their normalised company, role, seniority and location (country, subdivision, city) are
   equal, the later one was posted at most `posting_duplicate_window_days` (7) days after the
   earlier one, and its annual USD pay is within `posting_duplicate_pay_tolerance` (5 %) of the
   earlier one's. In the order (posted_date, source, source_file, row_number) the first posting
   is kept and each later one is a duplicate of the earliest posting it matches, rule
   `cross_posted`. Postings without a company or a posted date are never merged: without them
   two adverts cannot be told to be the same job.
3. Salary reports without ids are kept even when identical: a survey without respondent ids
   legitimately holds identical answers from different people (aijobs.net has 39,304 such rows).

Outliers: within each role (slug) x country, robust z = 0.6745 * (ln pay - median) / MAD of ln
annual USD pay; |z| > `outlier_mad_threshold` (3.5, Iglewicz & Hoaglin) sets `is_outlier`. When
the MAD is 0 the mean absolute deviation * 1.2533 stands in; a role x country with fewer than
`OUTLIER_MIN_GROUP` rows is not judged. Outliers stay in the table (flagged), and `outlier_rule_enabled=False` flags none.

Accounting: per source, rows_read = rows_kept + rows_rejected + rows_duplicate, checked exactly.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import polars as pl

from transforms.normalise import OBSERVATION_COLUMNS
from transforms.staging import REJECT_SCHEMA

OUTLIER_MIN_GROUP = 5
MAD_TO_SIGMA = 0.6745
MEAN_AD_TO_MAD = 1.253314
COMPANY_SUFFIXES = r"\b(inc|incorporated|llc|l\.l\.c|ltd|limited|corp|corporation|co|company|gmbh|plc|sa|ag|bv|lp|llp)\b"
ROW_KEY = ["source", "source_file", "row_number"]
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


def build_observations(parts: Sequence[pl.DataFrame], rejects: Sequence[pl.DataFrame],
                       read_counts: Mapping[str, int], settings: Any = None, *,
                       outlier_rule_enabled: bool | None = None, outlier_mad_threshold: float | None = None,
                       posting_duplicate_window_days: int | None = None,
                       posting_duplicate_pay_tolerance: float | None = None) -> Built:
    """Concatenate normalised parts, drop duplicates, flag outliers and account for every row."""
    enabled = _setting(settings, "outlier_rule_enabled", outlier_rule_enabled)
    threshold = _setting(settings, "outlier_mad_threshold", outlier_mad_threshold)
    window = _setting(settings, "posting_duplicate_window_days", posting_duplicate_window_days)
    tolerance = _setting(settings, "posting_duplicate_pay_tolerance", posting_duplicate_pay_tolerance)

    observations = (
        pl.concat([p.cast({c: t for c, t in OBSERVATION_COLUMNS.items() if c in p.columns}) for p in parts],
                  how="diagonal_relaxed")
        if parts else pl.DataFrame(schema=OBSERVATION_COLUMNS)
    ).sort(ROW_KEY)
    all_rejects = (
        pl.concat([r.select(list(REJECT_SCHEMA)).cast(REJECT_SCHEMA) for r in rejects])
        if rejects else pl.DataFrame(schema=REJECT_SCHEMA)
    ).sort(ROW_KEY)

    same_id = same_record_id_duplicates(observations)
    remaining = observations.join(same_id.select(ROW_KEY), on=ROW_KEY, how="anti")
    cross = cross_posted_duplicates(remaining, window_days=window, pay_tolerance=tolerance)
    duplicates = pl.concat([same_id, cross]).sort(ROW_KEY)
    kept = observations.join(duplicates.select(ROW_KEY), on=ROW_KEY, how="anti")
    kept = flag_outliers(kept, threshold=threshold, enabled=enabled).sort(ROW_KEY)
    accounting = account_rows(kept, all_rejects, duplicates, read_counts)
    return Built(observations=kept, rejects=all_rejects, duplicates=duplicates, accounting=accounting)


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
    """Postings repeating an earlier posting of the same job (see the module docstring, rule 2)."""
    blocking = ["_company", "role", "_seniority", "country_code", "_subdivision", "_city"]
    candidates = (
        observations.lazy()
        .filter((pl.col("kind") == "job_posting") & pl.col("posted_date").is_not_null()
                & pl.col("company").is_not_null() & pl.col("pay_annual_usd").is_not_null())
        .with_columns(
            company_key(pl.col("company")).alias("_company"),
            pl.col("seniority").fill_null("").alias("_seniority"),
            pl.col("subdivision_code").fill_null("").alias("_subdivision"),
            pl.col("city").fill_null("").alias("_city"),
            (pl.col("posted_date") - pl.duration(days=window_days)).alias("_window_start"),
        )
        .sort("posted_date", *ROW_KEY)
        .with_row_index("_order")
        .select(*blocking, *ROW_KEY, "record_id", "posted_date", "_window_start", "pay_annual_usd", "_order")
    )
    earlier = candidates.select(
        *[pl.col(c).alias(f"{c}_e") for c in blocking],
        pl.col("record_id").alias("record_id_e"), pl.col("posted_date").alias("posted_date_e"),
        pl.col("pay_annual_usd").alias("pay_e"), pl.col("_order").alias("_order_e"),
    )
    pairs = candidates.join_where(
        earlier,
        *[pl.col(c) == pl.col(f"{c}_e") for c in blocking],
        pl.col("_order_e") < pl.col("_order"),
        pl.col("posted_date_e") >= pl.col("_window_start"),
    ).filter((pl.col("pay_annual_usd") - pl.col("pay_e")).abs() <= pay_tolerance * pl.col("pay_e"))
    return (
        pairs.group_by(*ROW_KEY, "record_id")
        .agg(pl.col("record_id_e").sort_by("_order_e").first().alias("duplicate_of"))
        .select(*ROW_KEY, "record_id", "duplicate_of", pl.lit("cross_posted").alias("rule"))
        .collect()
        .cast(DUPLICATE_SCHEMA)
        .sort(ROW_KEY)
    )


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
    def per_source(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        return frame.group_by("source").agg(pl.len().cast(pl.Int64).alias(name))

    files = (
        pl.concat([f.select("source", "source_file") for f in (kept, rejects, duplicates)])
        .group_by("source").agg(pl.col("source_file").n_unique().cast(pl.Int64).alias("files"))
    )
    read = pl.DataFrame({"source": list(read_counts), "rows_read": [int(v) for v in read_counts.values()]},
                        schema={"source": pl.String, "rows_read": pl.Int64})
    sources = pl.concat([read.select("source"), files.select("source")]).unique()
    accounting = (
        sources.join(files, on="source", how="left")
        .join(read, on="source", how="left")
        .join(per_source(kept, "rows_kept"), on="source", how="left")
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
