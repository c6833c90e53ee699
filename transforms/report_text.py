"""Number formatting and Markdown rendering for the role x region reports.

Formatting is vectorised: a whole column of values becomes a column of texts in one pass, so that
the same text can go into the Markdown and into `report_claims` without per-report Python work.
Money follows babel's currency pattern of the region's locale (symbol placement, grouping,
separators; whole units, no cents); percentages carry one decimal (up to four where one would read a
value that is not zero as 0.0% or a share short of the whole as 100.0%: format_percent) and an ASCII minus.
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
from markupsafe import Markup

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


EXACT_LIMIT = 2.0 ** 51  # scaled magnitudes below this are rounded arithmetically (halves representable)


def fixed_abs_texts(array: np.ndarray, decimals: int) -> tuple[pl.Series, np.ndarray]:
    """Texts of |array| with `decimals` decimals, rounded exactly like printf / Python's format (half
    to even on the exact binary value), and whether each rounded value is non-zero. NaN gives null.

    Vectorised: |x| * 10**decimals is rounded to an integer with the product's exact rounding error
    (Dekker's two-product; 10**decimals has few bits, so the split is exact) deciding the ties that
    the floating-point product hides (1.05 is 1.0500000000000000444, so '%.1f' gives '1.1'). Values
    too large for that (|x| * 10**decimals >= 2**51, infinities) fall back to numpy's printf.
    """
    a = np.abs(np.asarray(array, dtype=np.float64))
    scale = 10 ** decimals
    fscale = float(scale)
    with np.errstate(invalid="ignore", over="ignore"):
        exact = np.isfinite(a) & (a * fscale < EXACT_LIMIT)
        x = np.where(exact, a, 0.0)
        p = x * fscale
        c = 134217729.0 * x  # Veltkamp split: x = hi + lo, 26 bits each
        hi = c - (c - x)
        lo = x - hi
        err = -((p - hi * fscale) - lo * fscale)  # x * fscale = p + err exactly
        floor = np.floor(p)
        frac = p - floor
        up = (frac > 0.5) | ((frac == 0.5) & ((err > 0) | ((err == 0) & (np.fmod(floor, 2.0) == 1.0))))
        rounded = (floor + up).astype(np.int64)
    whole = pl.Series(rounded)
    if decimals == 0:
        texts = whole.cast(pl.String)
    else:
        texts = pl.select(pl.concat_str([(pl.lit(whole) // scale).cast(pl.String), pl.lit("."),
                                         (pl.lit(whole) % scale).cast(pl.String).str.zfill(decimals)])).to_series()
    nonzero = rounded != 0
    inexact = ~exact & ~np.isnan(a)
    if inexact.any():
        idx = np.flatnonzero(inexact)
        other = np.char.mod(f"%.{decimals}f", a[idx])
        texts = texts.scatter(idx, pl.Series(other, dtype=pl.String))
        nonzero[idx] = np.char.strip(other, "0.") != ""
    return texts.set(pl.Series(np.isnan(a)), None), nonzero


def _fixed(values: pl.Series, decimals: int) -> pl.Series:
    """printf-style fixed-point text (exact decimal rounding, like Python's format), no '-0'."""
    array = values.cast(pl.Float64).fill_null(np.nan).to_numpy()
    texts, nonzero = fixed_abs_texts(array, decimals)
    negative = pl.Series((array < 0) & nonzero)
    signed = pl.select(pl.when(pl.lit(negative)).then(pl.concat_str([pl.lit("-"), pl.lit(texts)]))
                       .otherwise(pl.lit(texts))).to_series()
    return signed.alias(values.name).set(values.is_null() | values.is_nan().fill_null(True), None)


def _grouped(digits: pl.Expr, group: str, primary: int, secondary: int, width: int = 24) -> pl.Expr:
    """Insert group separators into a column of digit strings (babel's primary/secondary grouping).

    `width` must be at least the longest digit string (see _digit_width): the digits are zero-padded
    to it, cut into groups from the right, joined, and the padding stripped again.
    """
    width = max(width, primary)
    padded = digits.str.zfill(width)
    pieces = [padded.str.slice(width - primary, primary)]
    end = width - primary
    while end > 0:
        start = max(end - secondary, 0)
        pieces.insert(0, padded.str.slice(start, end - start))
        end = start
    joined = pl.concat_str(pieces, separator=group)
    stripped = joined.str.strip_chars_start("0" + group)
    return pl.when(stripped == "").then(pl.lit("0")).otherwise(stripped)


def _digit_width(digits: pl.Series) -> int:
    """The longest text in a column of digit strings (the padding width _grouped needs)."""
    return int(digits.str.len_chars().max() or 1)


def _money_styles(pairs: pl.DataFrame) -> pl.DataFrame:
    """One row per distinct (currency, locale): affixes and grouping read from babel (cached)."""
    rows = [(cur, loc, money_style(cur, loc)) for cur, loc in pairs.iter_rows()]
    return pl.DataFrame(
        {"currency": [r[0] for r in rows], "locale": [r[1] for r in rows],
         "prefix": [r[2].prefix for r in rows], "suffix": [r[2].suffix for r in rows],
         "negative_prefix": [r[2].negative_prefix for r in rows],
         "negative_suffix": [r[2].negative_suffix for r in rows],
         "group": [r[2].group for r in rows],
         "primary": [r[2].primary for r in rows], "secondary": [r[2].secondary for r in rows]},
        schema={"currency": pl.String, "locale": pl.String, "prefix": pl.String, "suffix": pl.String,
                "negative_prefix": pl.String, "negative_suffix": pl.String, "group": pl.String,
                "primary": pl.Int64, "secondary": pl.Int64})


def format_money(values: pl.Series, currency: pl.Series, locale: pl.Series) -> pl.Series:
    """Money texts in each row's currency and locale, whole units ('CA$174,289' style per babel).

    One pass for all rows whatever their currencies: each row gets its (currency, locale) style by a
    join, digits are grouped with a placeholder ',' per grouping scheme (few: 3/3, 3/2) and the
    placeholder is then replaced by the row's group symbol.
    """
    frame = pl.DataFrame({"value": values.cast(pl.Float64), "currency": currency.cast(pl.String),
                          "locale": locale.cast(pl.String)})
    if frame.height == 0:
        return pl.Series(values.name, [], dtype=pl.String)
    styles = _money_styles(frame.select("currency", "locale").drop_nulls().unique().sort(["currency", "locale"]))
    frame = (frame.with_columns(digits=_fixed(frame["value"].abs(), 0))
             .join(styles, on=["currency", "locale"], how="left", maintain_order="left"))
    schemes = styles.select("primary", "secondary").unique().sort(["primary", "secondary"]).rows()
    width = _digit_width(frame["digits"])
    grouped: pl.Expr = pl.lit(None, dtype=pl.String)
    for primary, secondary in schemes:
        grouped = (pl.when((pl.col("primary") == primary) & (pl.col("secondary") == secondary))
                   .then(_grouped(pl.col("digits"), ",", primary, secondary, width)).otherwise(grouped))
    # the placeholder is replaced in a step of its own: inside a when/then branch Polars may evaluate
    # replace_all on a null broadcast value and fail
    frame = frame.with_columns(grouped.str.replace_all(",", pl.col("group").fill_null(","), literal=True)
                               .alias("number"))
    negative = (pl.col("value") < 0) & (pl.col("digits") != "0")
    text = (pl.when(pl.col("digits").is_null()).then(pl.lit(None, dtype=pl.String))
            .when(negative).then(pl.concat_str([pl.col("negative_prefix"), pl.col("number"),
                                                pl.col("negative_suffix")]))
            .otherwise(pl.concat_str([pl.col("prefix"), pl.col("number"), pl.col("suffix")])))
    return frame.select(text.alias("text"))["text"].alias(values.name)


def format_count(values: pl.Series) -> pl.Series:
    """Whole numbers with thousands commas: 1,234."""
    frame = pl.DataFrame({"digits": _fixed(values.abs(), 0), "value": values.cast(pl.Float64)})
    grouped = _grouped(pl.col("digits"), ",", 3, 3, _digit_width(frame["digits"]))
    return frame.select(
        pl.when(pl.col("value").is_null()).then(pl.lit(None, dtype=pl.String))
        .when(pl.col("value") < 0).then(pl.concat_str([pl.lit("-"), grouped]))
        .otherwise(grouped).alias(values.name))[values.name]


# A percentage is printed with one decimal, or with up to MAX_PERCENT_DECIMALS when one decimal would
# read as a boundary it is not: a value that is not zero as "0.0" (a 95% CI from +0.004% read "0.0% to
# +8.6%"; a trend's interval "0.0% to +2.6%" under "a rising market median") and, for a share, a part as
# the whole ("carries weight 100.0% and the median of World the rest" for 99.975%). A value closer still keeps one
# decimal.
MAX_PERCENT_DECIMALS = 4


def format_percent(values: pl.Series, signed: bool = False, scale: float = 1.0, unit: str = "%",
                   whole: float | None = None) -> pl.Series:
    """'12.3%' (values already in percent); scale=100 for fractions; signed adds '+' to positives.

    `whole` (100 for shares) is the other boundary a value short of it must not be rounded to; see
    MAX_PERCENT_DECIMALS."""
    scaled = values.cast(pl.Float64) * scale

    def misread(texts: pl.Series, numbers: pl.Series, decimals: int) -> pl.Series:
        reads_zero = (texts.str.strip_chars("-0.") == "") & (numbers != 0)
        if whole is not None:
            reads_zero = reads_zero | ((texts == f"{whole:.{decimals}f}") & (numbers != whole))
        return reads_zero.fill_null(False)

    texts = _fixed(scaled, 1)
    wrong = misread(texts, scaled, 1)
    if wrong.any():  # rare: finer texts for those values only
        index = wrong.arg_true()
        numbers, finer = scaled.gather(index), texts.gather(index)
        settled = pl.Series([False] * len(index))
        for decimals in range(2, MAX_PERCENT_DECIMALS + 1):
            candidate = _fixed(numbers, decimals)
            take = ~settled & ~misread(candidate, numbers, decimals)
            finer = pl.select(pl.when(take).then(candidate).otherwise(finer)).to_series()
            settled = settled | take
        texts = texts.scatter(index, finer)
    frame = pl.DataFrame({"t": texts})
    plus = pl.lit("+") if signed else pl.lit("")
    return frame.select(
        pl.when(pl.col("t").is_null()).then(pl.lit(None, dtype=pl.String))
        .when(pl.col("t").str.starts_with("-") | (pl.col("t").str.strip_chars("0.") == ""))
        .then(pl.concat_str([pl.col("t"), pl.lit(unit)]))
        .otherwise(pl.concat_str([plus, pl.col("t"), pl.lit(unit)])).alias(values.name))[values.name]


def format_decimal(values: pl.Series, decimals: int) -> pl.Series:
    """Plain fixed-point number ('1.197')."""
    return _fixed(values.cast(pl.Float64), decimals).alias(values.name)


FORMATTERS = {
    "count": format_count,
    "pct": lambda v: format_percent(v),
    "signed_pct": lambda v: format_percent(v, signed=True),
    "share": lambda v: format_percent(v, scale=100.0, whole=100.0),
    "signed_pp": lambda v: format_percent(v, signed=True, scale=100.0, unit=" pp"),
    "signed_share": lambda v: format_percent(v, signed=True, scale=100.0),
    "ratio3": lambda v: format_decimal(v, 3),
}


def format_values(values: pl.Series, fmt: str, currency: pl.Series | None = None,
                  locale: pl.Series | None = None) -> pl.Series:
    """Dispatch on a format name: count / pct / signed_pct / share / signed_pp / signed_share / ratio3 / money."""
    if fmt == "money":
        return format_money(values, currency, locale)
    return FORMATTERS[fmt](values)


def format_many(columns: list[tuple[pl.Series, str, pl.Series | None, pl.Series | None]]) -> list[pl.Series]:
    """format_values for many columns at once: one formatter call per format name, not per column.

    Every formatter works value by value, so formatting the columns of one format stacked end to end
    and cutting the result back gives the same texts as formatting each column alone.
    """
    out: list[pl.Series | None] = [None] * len(columns)
    by_format: dict[str, list[int]] = {}
    for i, (_, fmt, _, _) in enumerate(columns):
        by_format.setdefault(fmt, []).append(i)
    for fmt, indices in by_format.items():
        values = pl.concat([columns[i][0].cast(pl.Float64) for i in indices])
        currency = pl.concat([columns[i][2].cast(pl.String) for i in indices]) if fmt == "money" else None
        locale = pl.concat([columns[i][3].cast(pl.String) for i in indices]) if fmt == "money" else None
        texts = format_values(values, fmt, currency, locale)
        offset = 0
        for i in indices:
            length = columns[i][0].len()
            out[i] = texts.slice(offset, length).alias(columns[i][0].name)
            offset += length
    return out


@lru_cache(maxsize=4)
def environment(autoescape: bool) -> jinja2.Environment:
    """One Jinja2 environment per escaping mode; templates compile once and are cached (no reload
    check: it would stat the template file on every render).

    `page_style` is the pages' shared stylesheet (_style.css.j2), rendered once: an `{% include %}`
    in each page built a copy of the whole template context per render.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        auto_reload=False,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals["page_style"] = Markup(env.get_template("_style.css.j2").render())
    return env


def markdown_template() -> jinja2.Template:
    return environment(False).get_template("report.md.j2")


def md_cell(text: str | None) -> str:
    """Escape a label for a Markdown table cell (pipes) and links (brackets)."""
    return "" if text is None else text.replace("|", "\\|").replace("[", "\\[").replace("]", "\\]")


# ----------------------------------------------------------------------------------------------
# rows of the report's tables and lists, rendered column-wise
#
# A report's tables and lists have up to ten rows each; rendering them row by row in Jinja was most
# of the render time at 10,000 reports. Each row is one string expression over the long frame of
# that list (one row per pair and rank, see reports.build_facts); the rows of a pair are joined with
# "\n" and the page template prints the block where its `{% for %}` loop used to be. The texts are
# printed the way `{{ value }}` prints them (null as "None"), `{{ value or 'n/a' }}` as or_na.


def jinja_text(column: str | pl.Expr) -> pl.Expr:
    """What `{{ value }}` prints for a text column: the text; null prints as 'None'."""
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.cast(pl.String).fill_null("None")


def or_na(column: str) -> pl.Expr:
    """What `{{ value or 'n/a' }}` prints: null and the empty text give 'n/a'."""
    expr = pl.col(column).cast(pl.String)
    return pl.when(expr.is_null() | (expr == "")).then(pl.lit("n/a")).otherwise(expr)


def postings_cell(*parts: pl.Expr) -> pl.Expr:
    """A sibling row's postings cell, or nothing where the run's data hold no postings in the report's
    year (reports.posting_years: the table then has no postings column)."""
    return pl.when(pl.col("postings_measured")).then(pl.concat_str(list(parts))).otherwise(pl.lit(""))


def md_cell_expr(column: str) -> pl.Expr:
    """md_cell column-wise: pipes and brackets escaped, null as ''."""
    return pl.col(column).cast(pl.String).fill_null("").str.replace_many(["|", "[", "]"], ["\\|", "\\[", "\\]"])


def not_significant(column: str = "is_significant") -> pl.Expr:
    """`{% if not p['is_significant'] %}, not significant{% endif %}` (null counts as not significant)."""
    return pl.when(pl.col(column).fill_null(False)).then(pl.lit("")).otherwise(pl.lit(", not significant"))


def markdown_rows(name: str) -> pl.Expr:
    """One Markdown line (no newline) per row of list `name`; the template prints the joined lines."""
    if name == "premium_table":
        return pl.concat_str([
            pl.lit("| "), md_cell_expr("skill"), pl.lit(" | "), jinja_text("kind"), pl.lit(" | "),
            jinja_text("table.n_with_text"), pl.lit(" | "), jinja_text("table.premium_pct_text"), pl.lit(" ("),
            jinja_text("table.ci_low_text"), pl.lit(" to "), jinja_text("table.ci_high_text"), pl.lit(")"),
            not_significant(), pl.lit(" | "), or_na("table.raw_premium_text"), pl.lit(" |")])
    if name == "siblings":
        return pl.concat_str([pl.lit("| "), md_cell_expr("sibling_region"), pl.lit(" | "),
                              jinja_text("sibling.n_text"), pl.lit(" | "),
                              jinja_text("sibling.median_text"), pl.lit(" | "), jinja_text("sibling_currency"),
                              postings_cell(pl.lit(" | "), or_na("sibling.postings_text")),
                              pl.lit(" |")])
    if name == "ppp_rows":
        return pl.concat_str([pl.lit("| "), md_cell_expr("other_region"), pl.lit(" | "),
                              jinja_text("ppp_row.median_text"), pl.lit(" | "), jinja_text("other_currency"),
                              pl.lit(" | "), jinja_text("ppp_row.factor_text"),
                              pl.lit(" | "), jinja_text("ppp_row.adjusted_text"), pl.lit(" |")])
    if name == "skills":
        return pl.concat_str([pl.lit("- "), jinja_text("skill"), pl.lit(": "), jinja_text("skill_share_text")])
    if name == "targets":
        return pl.concat_str([pl.lit("- "), jinja_text("skill"), pl.lit(": "), jinja_text("target_text")])
    raise KeyError(name)
