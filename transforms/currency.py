"""Currency codes and symbols -> ISO 4217, and FX rates attached to rows.

`resolve_currency` turns what a source wrote ("USD", "C$", "£", "Rs", "$") into an ISO 4217 code.
A bare "$" is never assumed to be US dollars: it resolves only through the row's country
(US -> USD, CA -> CAD, AU -> AUD ...); without a dollar country it is the error
"ambiguous_dollar". Unknown codes are "unknown_currency".

`attach_fx` joins ECB rates (transforms.fx: USD per unit, daily, and yearly averages) to rows:
a full date uses the last ECB day on or before it, at most 7 days back; a row with only a year
uses that year's average (rate date = the last ECB day of that year). Rates to any target
currency (e.g. the country's local currency) are cross rates via USD. There is no 1:1 fallback:
USD->USD is 1 by definition (method "identity"); any other missing rate is "fx_rate_missing".
"""
from __future__ import annotations

from functools import lru_cache

import polars as pl
import pycountry

from transforms import fx as fx_module
from transforms.pay import currency_hint
from transforms.reference import Reference

DOLLAR_BY_COUNTRY: dict[str, str] = {
    "US": "USD", "CA": "CAD", "AU": "AUD", "NZ": "NZD", "SG": "SGD", "MX": "MXN", "HK": "HKD",
    "TW": "TWD", "BR": "BRL", "AR": "ARS", "CL": "CLP", "CO": "COP", "JM": "JMD", "BS": "BSD",
    "BB": "BBD", "BZ": "BZD", "BM": "BMD", "KY": "KYD", "TT": "TTD", "GY": "GYD", "SR": "SRD",
    "LR": "LRD", "NA": "NAD", "FJ": "FJD", "SB": "SBD", "BN": "BND", "ZW": "USD", "EC": "USD",
    "SV": "USD", "PA": "USD", "PR": "USD", "TL": "USD", "FM": "USD", "MH": "USD", "PW": "USD",
    "UY": "UYU", "DO": "DOP", "CU": "CUP", "KI": "AUD", "TV": "AUD", "NR": "AUD",
}
FX_WINDOW = "7d"


@lru_cache(maxsize=1)
def iso_currencies() -> frozenset[str]:
    """Every ISO 4217 alphabetic code pycountry knows."""
    return frozenset(c.alpha_3 for c in pycountry.currencies)


def _resolve_one(raw: str | None, country: str | None) -> tuple[str | None, str | None]:
    if raw is None or not raw.strip():
        return None, "no_currency"
    text = raw.strip()
    upper = text.upper()
    if upper in iso_currencies():
        return upper, None
    hint = currency_hint(text) if len(text) <= 12 else None
    if hint is None and upper in {"RS", "RS.", "RUPEES", "RUPEE"}:
        hint = "INR"
    if hint == "$" or upper in {"DOLLAR", "DOLLARS"}:
        code = DOLLAR_BY_COUNTRY.get((country or "").upper())
        return (code, None) if code else (None, "ambiguous_dollar")
    if hint == "¥":  # the yen sign is also the yuan's: Chinese postings write "¥20,000" / "￥20k" for CNY
        return ("CNY" if (country or "").upper() == "CN" else "JPY"), None
    if hint is not None and hint in iso_currencies():
        return hint, None
    return None, "unknown_currency"


def resolve_currency(frame: pl.DataFrame) -> pl.DataFrame:
    """frame[currency_raw, country_code] -> same rows + currency (ISO 4217 or null), currency_error.

    Works on the distinct (currency_raw, country_code) pairs and joins back in the input order.
    """
    pairs = frame.select(pl.col("currency_raw").cast(pl.String), pl.col("country_code").cast(pl.String)).unique()
    rows = [(raw, country, *_resolve_one(raw, country)) for raw, country in pairs.iter_rows()]
    lookup = pl.DataFrame(rows, orient="row", schema={"currency_raw": pl.String, "country_code": pl.String,
                                                       "currency": pl.String, "currency_error": pl.String})
    keyed = frame.with_columns(pl.col("currency_raw").cast(pl.String), pl.col("country_code").cast(pl.String))
    return keyed.join(lookup, on=["currency_raw", "country_code"], how="left", nulls_equal=True,
                      maintain_order="left")


def country_currency(country_code: str | None, ref: Reference | None = None) -> str | None:
    """Local currency of a country: regions.yaml first, else the territory's current currency (babel)."""
    if not country_code:
        return None
    if ref is not None and (country := ref.country(country_code)) is not None:
        return country.currency
    from babel.numbers import get_territory_currencies

    try:
        codes = get_territory_currencies(country_code.upper())
    except Exception:  # babel raises on unknown territories
        return None
    return codes[0] if codes else None


def _rates(lf: pl.LazyFrame, currency: str, date_col: str, year_col: str, prefix: str,
           daily: pl.LazyFrame, yearly: pl.LazyFrame) -> pl.LazyFrame:
    """Adds {prefix}_usd_per_unit, {prefix}_rate_date, {prefix}_method for one currency column."""
    dated = (
        lf.filter(pl.col(date_col).is_not_null())
        .sort(date_col)
        .join_asof(daily.rename({"currency": currency, "date": "__rate_date", "usd_per_unit": "__daily"}),
                   left_on=date_col, right_on="__rate_date", by=currency, strategy="backward",
                   tolerance=FX_WINDOW, check_sortedness=False)
    )
    undated = lf.filter(pl.col(date_col).is_null()).with_columns(
        pl.lit(None, dtype=pl.Date).alias("__rate_date"), pl.lit(None, dtype=pl.Float64).alias("__daily"))
    both = pl.concat([dated, undated], how="vertical_relaxed").join(
        yearly.rename({"currency": currency, "year": year_col, "usd_per_unit": "__yearly",
                       "rate_date": "__year_date"}),
        on=[currency, year_col], how="left")
    is_usd = pl.col(currency) == "USD"
    has_date = pl.col(date_col).is_not_null()
    return both.with_columns(
        pl.when(is_usd).then(pl.lit(1.0)).when(has_date).then(pl.col("__daily"))
        .otherwise(pl.col("__yearly")).alias(f"{prefix}_usd_per_unit"),
        pl.when(is_usd).then(pl.coalesce(pl.col(date_col), pl.date(pl.col(year_col), 12, 31)))
        .when(has_date).then(pl.col("__rate_date"))
        .otherwise(pl.col("__year_date")).alias(f"{prefix}_rate_date"),
        pl.when(is_usd).then(pl.lit("identity")).when(has_date).then(pl.lit("daily"))
        .otherwise(pl.lit("yearly_average")).alias(f"{prefix}_method"),
    ).drop("__rate_date", "__daily", "__yearly", "__year_date")


def attach_fx(lf: pl.LazyFrame | pl.DataFrame, *, currency_col: str = "currency_original",
              target_col: str = "currency_local", date_col: str = "posted_date", year_col: str = "year",
              daily: pl.DataFrame | None = None, yearly: pl.DataFrame | None = None) -> pl.LazyFrame:
    """Adds fx_rate_usd, fx_rate_local, fx_rate_date, fx_method and fx_error (null or "fx_rate_missing").

    fx_rate_usd: USD per 1 unit of `currency_col`; fx_rate_local: `target_col` units per 1 unit of
    `currency_col` (cross rate via USD, 1 by definition when both are the same currency).
    fx_rate_date / fx_method describe the rate of `currency_col` (or of the target when the
    original is USD). Input order is kept. `daily`/`yearly` default to transforms.fx.
    """
    lf = lf.lazy()
    daily_lf = (daily if daily is not None else fx_module.load_fx()).lazy().select(
        "date", "currency", "usd_per_unit").sort("date")
    yearly_lf = (yearly if yearly is not None else fx_module.yearly_fx()).lazy().select(
        pl.col("year").cast(pl.Int32), "currency", "usd_per_unit", "rate_date")
    base = lf.with_row_index("__row").with_columns(
        pl.col(date_col).cast(pl.Date), pl.col(year_col).cast(pl.Int32),
        pl.coalesce(pl.col(year_col).cast(pl.Int32), pl.col(date_col).cast(pl.Date).dt.year().cast(pl.Int32))
        .alias("__year"))
    keys = base.select("__row", date_col, "__year", pl.col(currency_col).alias("__cur"),
                       pl.col(target_col).alias("__tgt"))
    orig = _rates(keys.select("__row", date_col, "__year", "__cur"), "__cur", date_col, "__year", "__o",
                  daily_lf, yearly_lf)
    tgt = _rates(keys.select("__row", date_col, "__year", "__tgt"), "__tgt", date_col, "__year", "__t",
                 daily_lf, yearly_lf)
    joined = (
        base.join(orig.select("__row", "__o_usd_per_unit", "__o_rate_date", "__o_method"), on="__row", how="left")
        .join(tgt.select("__row", "__t_usd_per_unit", "__t_rate_date", "__t_method"), on="__row", how="left")
        .sort("__row")
    )
    same = pl.col(currency_col) == pl.col(target_col)
    orig_is_usd = pl.col(currency_col) == "USD"
    rate_local = (pl.when(same).then(pl.lit(1.0))
                  .otherwise(pl.col("__o_usd_per_unit") / pl.col("__t_usd_per_unit")))
    missing = (pl.col("__o_usd_per_unit").is_null() | rate_local.is_null()
               | pl.col(currency_col).is_null() | pl.col(target_col).is_null())
    return joined.with_columns(
        pl.col("__o_usd_per_unit").alias("fx_rate_usd"),
        rate_local.alias("fx_rate_local"),
        pl.when(orig_is_usd).then(pl.col("__t_rate_date")).otherwise(pl.col("__o_rate_date")).alias("fx_rate_date"),
        pl.when(orig_is_usd).then(pl.col("__t_method")).otherwise(pl.col("__o_method")).alias("fx_method"),
        pl.when(missing).then(pl.lit("fx_rate_missing")).otherwise(pl.lit(None, dtype=pl.String)).alias("fx_error"),
    ).drop("__row", "__year", "__o_usd_per_unit", "__o_rate_date", "__o_method",
           "__t_usd_per_unit", "__t_rate_date", "__t_method")


def cross_rate(from_currency: str, to_currency: str, *, on_date=None, year: int | None = None) -> float | None:
    """Units of `to_currency` per 1 `from_currency` on a date (7-day look-back) or a year's average.

    A thin convenience over `attach_fx` for single look-ups (reports, tests); None when missing.
    """
    frame = pl.DataFrame({"cur": [from_currency], "tgt": [to_currency], "d": [on_date], "y": [year]},
                         schema={"cur": pl.String, "tgt": pl.String, "d": pl.Date, "y": pl.Int32})
    out = attach_fx(frame, currency_col="cur", target_col="tgt", date_col="d", year_col="y").collect()
    return None if out["fx_error"][0] else out["fx_rate_local"][0]
