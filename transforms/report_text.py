"""Number formatting and Markdown rendering for the role x region reports.

Formatting is vectorised: a whole column of values becomes a column of texts in one pass, so that
the same text can go into the Markdown and into `report_claims` without per-report Python work.
Money follows babel's currency pattern of the region's locale (symbol placement, grouping,
separators; whole units, no cents); percentages always carry one decimal and an ASCII minus.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import babel.numbers
import jinja2
import numpy as np
import polars as pl
from babel import Locale

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
WORLD_LOCALE = "en_US"


@dataclass(frozen=True)
class MoneyStyle:
    """What babel's currency pattern of one (currency, locale) looks like, without decimals."""

    prefix: str
    suffix: str
    negative_prefix: str
    negative_suffix: str
    group: str
    primary: int
    secondary: int


@lru_cache(maxsize=256)
def money_pattern(locale: str) -> str:
    """The locale's standard currency pattern with the fraction digits dropped ('¤#,##0')."""
    pattern = Locale.parse(locale).currency_formats["standard"].pattern
    return pattern.split(";")[0].replace(".00", "")


@lru_cache(maxsize=256)
def money_style(currency: str, locale: str) -> MoneyStyle:
    """Read symbol placement and grouping from babel once per (currency, locale)."""
    parsed = Locale.parse(locale).currency_formats["standard"]
    symbol = babel.numbers.get_currency_symbol(currency, locale=locale)
    minus = babel.numbers.get_minus_sign_symbol(locale=locale)
    pos_prefix, neg_prefix = parsed.prefix
    pos_suffix, neg_suffix = parsed.suffix
    return MoneyStyle(
        prefix=pos_prefix.replace("¤", symbol),
        suffix=pos_suffix.replace("¤", symbol),
        negative_prefix=neg_prefix.replace("¤", symbol).replace("-", minus),
        negative_suffix=neg_suffix.replace("¤", symbol),
        group=babel.numbers.get_group_symbol(locale=locale),
        primary=parsed.grouping[0],
        secondary=parsed.grouping[1],
    )


def format_money_babel(value: float, currency: str, locale: str) -> str:
    """Reference formatter (slow, one value): babel's currency format in whole units."""
    return babel.numbers.format_currency(round(value), currency, locale=locale, format=money_pattern(locale),
                                         currency_digits=False)


def _fixed(values: pl.Series, decimals: int) -> pl.Series:
    """printf-style fixed-point text (exact decimal rounding, like Python's format), no '-0'."""
    array = values.cast(pl.Float64).fill_null(np.nan).to_numpy()
    texts = np.char.mod(f"%.{decimals}f", np.abs(array))
    negative = (array < 0) & (np.char.strip(texts, "0.") != "")
    signed = np.where(negative, np.char.add("-", texts), texts)
    return pl.Series(values.name, signed, dtype=pl.String).set(values.is_null() | values.is_nan().fill_null(True),
                                                                None)


def _grouped(digits: pl.Expr, group: str, primary: int, secondary: int) -> pl.Expr:
    """Insert group separators into a column of digit strings (babel's primary/secondary grouping)."""
    width = 24
    padded = digits.str.zfill(width)
    pieces = [padded.str.slice(width - primary, primary)]
    end = width - primary
    while end > 0:
        start = max(end - secondary, 0)
        pieces.insert(0, padded.str.slice(start, end - start))
        end = start
    joined = pl.concat_str(pieces, separator=group)
    stripped = joined.str.replace(rf"^[0{_regex_escape(group)}]+", "")
    return pl.when(stripped == "").then(pl.lit("0")).otherwise(stripped)


def _regex_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in r".^$*+?()[]{}|\-" else c for c in text)


def format_money(values: pl.Series, currency: pl.Series, locale: pl.Series) -> pl.Series:
    """Money texts in each row's currency and locale, whole units ('CA$174,289' style per babel)."""
    frame = pl.DataFrame({"value": values.cast(pl.Float64), "currency": currency, "locale": locale})
    frame = frame.with_row_index("row").with_columns(digits=_fixed(frame["value"].abs(), 0))
    parts = []
    for (cur, loc), part in frame.group_by(["currency", "locale"], maintain_order=True):
        if cur is None or loc is None:
            parts.append(part.select("row", pl.lit(None, dtype=pl.String).alias("text")))
            continue
        style = money_style(cur, loc)
        number = _grouped(pl.col("digits"), style.group, style.primary, style.secondary)
        negative = (pl.col("value") < 0) & (number != "0")
        parts.append(part.select(
            "row",
            pl.when(pl.col("value").is_null() | pl.col("value").is_nan()).then(pl.lit(None, dtype=pl.String))
            .when(negative).then(pl.concat_str([pl.lit(style.negative_prefix), number,
                                                pl.lit(style.negative_suffix)]))
            .otherwise(pl.concat_str([pl.lit(style.prefix), number, pl.lit(style.suffix)]))
            .alias("text")))
    if not parts:
        return pl.Series(values.name, [], dtype=pl.String)
    return pl.concat(parts).sort("row")["text"].alias(values.name)


def format_count(values: pl.Series) -> pl.Series:
    """Whole numbers with thousands commas: 1,234."""
    frame = pl.DataFrame({"digits": _fixed(values.abs(), 0), "value": values.cast(pl.Float64)})
    return frame.select(
        pl.when(pl.col("value").is_null()).then(pl.lit(None, dtype=pl.String))
        .when(pl.col("value") < 0).then(pl.concat_str([pl.lit("-"), _grouped(pl.col("digits"), ",", 3, 3)]))
        .otherwise(_grouped(pl.col("digits"), ",", 3, 3)).alias(values.name))[values.name]


def format_percent(values: pl.Series, signed: bool = False, scale: float = 1.0, unit: str = "%") -> pl.Series:
    """'12.3%' (values already in percent); scale=100 for fractions; signed adds '+' to positives."""
    texts = _fixed(values.cast(pl.Float64) * scale, 1)
    frame = pl.DataFrame({"t": texts})
    plus = pl.lit("+") if signed else pl.lit("")
    return frame.select(
        pl.when(pl.col("t").is_null()).then(pl.lit(None, dtype=pl.String))
        .when(pl.col("t").str.starts_with("-") | (pl.col("t") == "0.0"))
        .then(pl.concat_str([pl.col("t"), pl.lit(unit)]))
        .otherwise(pl.concat_str([plus, pl.col("t"), pl.lit(unit)])).alias(values.name))[values.name]


def format_decimal(values: pl.Series, decimals: int) -> pl.Series:
    """Plain fixed-point number ('1.197')."""
    return _fixed(values.cast(pl.Float64), decimals).alias(values.name)


FORMATTERS = {
    "count": format_count,
    "pct": lambda v: format_percent(v),
    "signed_pct": lambda v: format_percent(v, signed=True),
    "share": lambda v: format_percent(v, scale=100.0),
    "signed_pp": lambda v: format_percent(v, signed=True, scale=100.0, unit=" pp"),
    "ratio3": lambda v: format_decimal(v, 3),
}


def format_values(values: pl.Series, fmt: str, currency: pl.Series | None = None,
                  locale: pl.Series | None = None) -> pl.Series:
    """Dispatch on a format name: count / pct / signed_pct / share / signed_pp / ratio3 / money."""
    if fmt == "money":
        return format_money(values, currency, locale)
    return FORMATTERS[fmt](values)


@lru_cache(maxsize=4)
def environment(autoescape: bool) -> jinja2.Environment:
    """One Jinja2 environment per escaping mode; templates compile once and are cached."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def markdown_template() -> jinja2.Template:
    return environment(False).get_template("report.md.j2")


def md_cell(text: str | None) -> str:
    """Escape a label for a Markdown table cell (pipes) and links (brackets)."""
    return "" if text is None else text.replace("|", "\\|").replace("[", "\\[").replace("]", "\\]")
