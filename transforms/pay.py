"""Pay text parsing, pay periods and annualisation factors.

Pay arrives as free text in postings ("$53K-$91K (Glassdoor est.)", "$28.50 an hour",
"€60.000–€75.000", "₹25,00,000 - ₹35,00,000 per annum"). `parse_pay_text` returns one row per
distinct input (the caller joins back on `pay_text`). The rules are written once, for one text,
in `_parse_one` (regular expressions in Python); since posting pay texts are nearly all distinct,
`parse_pay_text` applies them per digit SHAPE and reads the numbers with Polars (see "parsing by
shape" below), with the same answer as `_parse_one` on every text.

Annualisation factors (`ANNUALISATION_FACTORS`) are the conventional full-time equivalents:
2080 paid hours a year (40 h x 52 weeks), 260 working days (5 x 52), 52 weeks, 12 months.
They are applied to the pay as given; no holiday or overtime adjustment is made.
"""
from __future__ import annotations

import math
import re

import polars as pl

ANNUALISATION_FACTORS: dict[str, int] = {"hour": 2080, "day": 260, "week": 52, "month": 12, "year": 1}
MAX_AMOUNT = 1e12  # any single amount above this is not a pay figure (e.g. "1e16" test values)

OUTPUT_SCHEMA = {
    "pay_text": pl.String,
    "pay_min": pl.Float64,
    "pay_max": pl.Float64,
    "currency_hint": pl.String,
    "period": pl.String,
    "parse_error": pl.String,
}

MISSING_MARKERS = frozenset({"", "-1", "na", "n/a", "nan", "none", "null", "-", "--", "not disclosed",
                             "not specified", "competitive", "doe", "negotiable"})

# Period words, matched on the lower-cased text; first match in this order wins. "per", "an", "a"
# must start a word (not after a letter: the "a" + "hr" of German "Jahr" is no hour); German and
# French words for the periods are read too ("€/Jahr", "pro Monat", "par an", "brut annuel").
_BY = r"(?:(?<![^\W\d_])(?:(?:per|an|a|every)\s*|(?:pro|par)\s+)|/\s*)"
_PERIOD_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (period, re.compile(pattern))
    for period, pattern in (
        ("hour", _BY + r"(?:hour|hr|stunde|heure)\b|\bhourly\b|\bstündlich\b|\bl['’]heure\b|/\s*h\b"
                 r"|\bp/?h\b"),
        ("day", _BY + r"(?:day|diem|tag|jour)\b|\bdaily\b|\bper\s+diem\b|/\s*d\b"),
        ("week", _BY + r"(?:week|wk|woche|semaine)\b|\bweekly\b|\bhebdomadaire\b|/\s*w\b"),
        ("month", _BY + r"(?:month|mo|mth|monat|mois)\b|\bmonthly\b|\bmonatlich\b|\bmensuel(?:le)?\b"
                  r"|\bp\.?\s?m\.?$"),
        ("year", _BY + r"(?:year|yr|annum|jahr|an|année)\b|\bannual(?:ly)?\b|\byearly\b|\bjährlich\b"
                 r"|\bannuel(?:le)?\b|\bannuellement\b"
                 r"|\bp\.?\s?a\.?\b|\bper\s+annum\b"),
    )
)

# Currency markers, most specific first. "$" alone is ambiguous and stays "$".
_CURRENCY_MARKERS: tuple[tuple[str, str], ...] = (
    ("CA$", "CAD"), ("C$", "CAD"), ("CAN$", "CAD"), ("US$", "USD"), ("U$S", "USD"), ("AU$", "AUD"),
    ("A$", "AUD"), ("NZ$", "NZD"), ("SG$", "SGD"), ("S$", "SGD"), ("HK$", "HKD"), ("MX$", "MXN"),
    ("R$", "BRL"), ("NT$", "TWD"), ("CN¥", "CNY"), ("RMB", "CNY"), ("£", "GBP"), ("€", "EUR"),
    ("₹", "INR"), ("¥", "JPY"), ("₩", "KRW"), ("₽", "RUB"), ("₺", "TRY"), ("₱", "PHP"), ("₪", "ILS"),
    ("zł", "PLN"), ("Kč", "CZK"), ("₦", "NGN"),
)
_RS = re.compile(r"\b(?:rs\.?|inr)\s*\d", re.IGNORECASE)
_ISO = re.compile(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])")
_NEGATIVE_BEFORE = re.compile(r"(?:^|[\s:$€£₹(]|[A-Z]{3}\s?)[-\u2212]\s?$")
_LAKH_AFTER = re.compile(r"\s*(lpa|lakhs?|lacs?|crores?|cr)\b", re.IGNORECASE)
_CODE_BY_NUMBER = re.compile(r"(?<![A-Za-z])([A-Z]{3}) ?(?=\d)|(?<=\d) ?([A-Z]{3})(?![A-Za-z])")
_SCI = re.compile(r"\d(?:\.\d+)?[eE][+-]?\d")
# A number: digits with separators ("25,00,000", "60.000", "1 200", "28.50"), optional k/m suffix.
_NUMBER = re.compile(r"(\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)|\d(?:[\d,.'\u2019\u00a0\u202f]*\d)?)\s*([kKmM](?![a-zA-Z]))?")
_RANGE_SEP = re.compile(r"^\s*(?:-|–|—|to|and|~|à|a|bis|et)\s*$", re.IGNORECASE)  # "75 000 $ à 90 000 $"


def _iso_codes() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.currencies)


_ISO_CODES = _iso_codes()
# Any currency marker that may stand between the two amounts of a range ("C$90,000 – C$110,000",
# "90,000 CAD - 110,000 CAD", "Rs. 5,00,000 to Rs. 7,00,000"): removed before the separator is read,
# so that every marker form accepted on the first amount is accepted on the second. ISO codes are
# matched upper-case only, so that separator words ("to", "and") are never taken for codes.
_BETWEEN_CURRENCY = re.compile(
    "|".join(sorted((re.escape(m) for m, _ in _CURRENCY_MARKERS), key=len, reverse=True))
    + r"|\$|(?i:\b(?:rs\.?|inr)(?![a-z]))|\b(?:" + "|".join(sorted(_ISO_CODES)) + r")\b"
)


def currency_hint(text: str) -> str | None:
    """ISO code named by the text, '$' for a bare dollar sign, None when no currency is shown."""
    for marker, code in _CURRENCY_MARKERS:
        if marker in text:
            return code
    if _RS.search(text):
        return "INR"
    for match in _ISO.finditer(text):
        if match.group(1) in _ISO_CODES:
            return match.group(1)
    unknown = _CODE_BY_NUMBER.search(text)
    if unknown:  # "XYZ 152,000": a currency code we do not know is named, not absent
        return unknown.group(1) or unknown.group(2)
    return "$" if "$" in text else None


def detect_period(text: str) -> str | None:
    """hour/day/week/month/year named by the text, else None."""
    lowered = text.lower()
    return next((period for period, pattern in _PERIOD_PATTERNS if pattern.search(lowered)), None)


def parse_number(token: str) -> float | None:
    """One number with thousands separators of any convention, or None when it is ambiguous.

    "25,00,000" (Indian grouping) -> 2500000; "60.000" / "1.234.567" (European) -> 60000;
    "120,000" -> 120000; "28.50" -> 28.5; "60.000,50" -> 60000.5; "1 200" -> 1200.
    """
    token = re.sub(r"[\u00a0\u202f '\u2019]", "", token)  # "CHF 100’000"
    if "," in token and "." in token:
        decimal = "," if token.rfind(",") > token.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        token = token.replace(thousands, "").replace(decimal, ".")
    elif "," in token:
        parts = token.split(",")
        if len(parts) == 2 and len(parts[1]) in (1, 2):  # "28,50" decimal comma
            token = token.replace(",", ".")
        else:
            token = token.replace(",", "")
    elif token.count(".") > 1 or (token.count(".") == 1 and len(token.split(".")[1]) == 3
                                  and token.split(".")[0] not in ("0", "")):
        token = token.replace(".", "")  # "60.000" thousands dot
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _amounts(text: str) -> tuple[list[float], str | None]:
    """Amounts of a single value or a range; error code when the numbers do not form one."""
    matches = list(_NUMBER.finditer(text))
    if not matches:
        return [], "no_amount"
    if len(matches) > 2:
        # keep the first two when they form a range; trailing numbers are notes ("(8hr)")
        matches = matches[:2]
    values, units = [], []
    for index, m in enumerate(matches):
        value = parse_number(m.group(1))
        if value is None:
            return [], "unparseable"
        suffix = (m.group(2) or "").lower()
        value *= 1e3 if suffix == "k" else 1e6 if suffix == "m" else 1
        if index == 0 and _NEGATIVE_BEFORE.search(text[:m.start()]):
            value = -value  # "$-50,000", "-50000": a sign, not a range separator
        lakh = _LAKH_AFTER.match(text[m.end():])
        unit = (1e7 if lakh.group(1).lower().startswith("c") else 1e5) if lakh else 1.0
        values.append(value * unit)  # Indian units: "12 LPA", "12 lakh", "1.2 crore"
        units.append(unit)
    if len(matches) == 2:
        between = _BETWEEN_CURRENCY.sub(" ", text[matches[0].end():matches[1].start()])
        between = re.sub(r"[^\w\s\-–—~]", "", between).strip()
        if not _RANGE_SEP.match(between or "?"):
            return values[:1], None  # "120,000 a year plus 10% bonus": the second is no bound
        if matches[1].group(2) and not matches[0].group(2) and values[0] < 1000 <= values[1]:
            values[0] *= 1e3 if matches[1].group(2).lower() == "k" else 1e6  # "$50-60K"
        if units[1] > 1 and units[0] == 1 and values[0] < 1000:
            values[0] *= units[1]  # "₹10-15 LPA"
    return values, None


def _parse_one(text: str | None) -> tuple[float | None, float | None, str | None, str | None, str | None]:
    if text is None or text.strip().lower() in MISSING_MARKERS:
        return None, None, None, None, "no_pay"
    hint = currency_hint(text)
    period = detect_period(text)
    if _SCI.search(text):
        return None, None, hint, period, "unparseable"
    values, error = _amounts(text)
    if error:
        return None, None, hint, period, error
    low, high = values[0], values[-1]
    if not all(math.isfinite(v) for v in (low, high)) or max(low, high) > MAX_AMOUNT:
        return None, None, hint, period, "amount_out_of_range"
    if min(low, high) <= 0:
        return None, None, hint, period, "zero_amount"
    if low > high:
        return None, None, hint, period, "inverted_range"
    return low, high, hint, period, None


def parse_pay_text_per_value(values: pl.Series) -> pl.DataFrame:
    """`parse_pay_text` computed by `_parse_one` on every distinct text (the reference; slower)."""
    distinct = values.cast(pl.String).unique().sort(nulls_last=True).to_list()
    rows = [(text, *_parse_one(text)) for text in distinct]
    return pl.DataFrame(rows, schema=OUTPUT_SCHEMA, orient="row")


# --- parsing by shape ------------------------------------------------------------------------
# Posting pay texts are nearly unique per row ("$118K-$154K", "$97K-$131K", ...) but have few
# SHAPES: the text with every ASCII digit replaced by "0" ("$000K-$000K"). Everything
# `_parse_one` decides except the numbers' values depends on the shape only: every pattern it
# uses (currency markers, ISO codes, period words, the number grammar `_NUMBER`, a minus before
# the first amount, lakh units, the range separator) sees a digit as "some digit", and which
# separator of a number is the decimal mark depends on positions and counts, not values. So
# `_shape_plan` runs once per distinct shape (in Python) and says where the one or two numbers
# are, how to clean each for float parsing, their multipliers, and whether they form a range;
# the values are then read with Polars string and float expressions for all texts of the shape.
# The few decisions that read digit values stay vectorised in the same order as `_amounts`
# ("$50-60K": the K of the high bound applies to a low bound under 1000; "10-15 LPA" likewise;
# "0.500" is 0.5 but "1.500" is 1500). Shapes the plan does not cover go through `_parse_one`
# text by text: a missing marker with a digit ("-1"), digits other than ASCII (float() reads
# "١٢٣", Polars does not), numbers of more than 300 digits (float overflow).
# `parse_pay_text_per_value` is the reference; tests compare the two on generated and real texts.
_DIGIT_MARKER_SHAPES = frozenset(re.sub(r"[0-9]", "0", m) for m in MISSING_MARKERS if re.search(r"[0-9]", m))
_SPACING = re.compile(r"[\u00a0\u202f '\u2019]")
MAX_PLANNED_DIGITS = 300

# number cleaning modes, as parse_number decides them: A drop ",", B drop "." and "," -> ".",
# C "," -> ".", D drop ".", E as is, Z drop "." unless the number is "0.ddd"


def _number_mode(token: str) -> str:
    """parse_number's cleaning decision for one shape token (after spaces and quotes are removed)."""
    if "," in token and "." in token:
        return "B" if token.rfind(",") > token.rfind(".") else "A"
    if "," in token:
        parts = token.split(",")
        return "C" if len(parts) == 2 and len(parts[1]) in (1, 2) else "A"
    if token.count(".") > 1:
        return "D"
    if token.count(".") == 1 and len(token.split(".")[1]) == 3:
        before = token.split(".")[0]
        return "Z" if len(before) == 1 else "E" if before in ("0", "") else "D"
    return "E"


def _clean(token: str, mode: str) -> str:
    if mode == "A":
        return token.replace(",", "")
    if mode == "B":
        return token.replace(".", "").replace(",", ".")
    if mode == "C":
        return token.replace(",", ".")
    if mode in "DZ":
        return token.replace(".", "")
    return token


PLAN_SCHEMA = {
    "shape": pl.String, "plan": pl.String,  # "done" (answer known), "amounts" (read numbers), "per_text"
    "currency_hint": pl.String, "period": pl.String, "parse_error": pl.String,
    "start_1": pl.Int64, "length_1": pl.Int64, "mode_1": pl.String, "suffix_1": pl.Float64, "negative_1": pl.Boolean,
    "unit_1": pl.Float64,
    "start_2": pl.Int64, "length_2": pl.Int64, "mode_2": pl.String, "suffix_2": pl.Float64, "unit_2": pl.Float64,
    "is_range": pl.Boolean, "k_factor": pl.Float64, "lakh_factor": pl.Float64,
}


def _shape_plan(shape: str) -> dict:
    """What `_parse_one` does with any text of this shape, short of reading the digits' values."""
    plan: dict = dict.fromkeys(PLAN_SCHEMA)
    plan["shape"] = shape
    stripped = shape.strip().lower()
    if stripped in _DIGIT_MARKER_SHAPES:
        return {**plan, "plan": "per_text"}
    if stripped in MISSING_MARKERS:
        return {**plan, "plan": "done", "parse_error": "no_pay"}
    plan.update(plan="done", currency_hint=currency_hint(shape), period=detect_period(shape))
    if _SCI.search(shape):
        return {**plan, "parse_error": "unparseable"}
    matches = list(_NUMBER.finditer(shape))[:2]
    if not matches:
        return {**plan, "parse_error": "no_amount"}
    units = []
    for index, m in enumerate(matches, start=1):
        token = _SPACING.sub("", m.group(1))
        if not token.isascii() or len(token) > MAX_PLANNED_DIGITS:
            return {**plan, "plan": "per_text"}
        mode = _number_mode(token)
        try:
            float(_clean(token, mode))
        except ValueError:
            return {**plan, "parse_error": "unparseable"}
        suffix = (m.group(2) or "").lower()
        lakh = _LAKH_AFTER.match(shape[m.end():])
        unit = (1e7 if lakh.group(1).lower().startswith("c") else 1e5) if lakh else 1.0
        units.append(unit)
        plan.update({f"start_{index}": m.start(1), f"length_{index}": m.end(1) - m.start(1), f"mode_{index}": mode,
                     f"suffix_{index}": 1e3 if suffix == "k" else 1e6 if suffix == "m" else 1.0,
                     f"unit_{index}": unit})
    plan.update(plan="amounts", negative_1=bool(_NEGATIVE_BEFORE.search(shape[:matches[0].start()])), is_range=False)
    if len(matches) == 2:
        between = _BETWEEN_CURRENCY.sub(" ", shape[matches[0].end():matches[1].start()])
        between = re.sub(r"[^\w\s\-–—~]", "", between).strip()
        if _RANGE_SEP.match(between or "?"):
            plan["is_range"] = True
            if matches[1].group(2) and not matches[0].group(2):
                plan["k_factor"] = 1e3 if matches[1].group(2).lower() == "k" else 1e6
            if units[1] > 1 and units[0] == 1:
                plan["lakh_factor"] = units[1]
    return plan


def _read_number(index: int) -> pl.Expr:
    """Number `index` of the plan as float: sliced from the text, cleaned by its mode."""
    token = (pl.col("pay_text").str.slice(pl.col(f"start_{index}"), pl.col(f"length_{index}"))
             .str.replace_all(_SPACING.pattern, ""))
    mode = pl.col(f"mode_{index}")
    no_dots = token.str.replace_all(".", "", literal=True)
    cleaned = (
        pl.when(mode == "A").then(token.str.replace_all(",", "", literal=True))
        .when(mode == "B").then(no_dots.str.replace_all(",", ".", literal=True))
        .when(mode == "C").then(token.str.replace_all(",", ".", literal=True))
        .when(mode == "D").then(no_dots)
        .when(mode == "Z").then(pl.when(token.str.starts_with("0.")).then(token).otherwise(no_dots))
        .otherwise(token)
    )
    return cleaned.cast(pl.Float64, strict=False)


def parse_pay_text(values: pl.Series) -> pl.DataFrame:
    """One row per distinct pay text: pay_min, pay_max, currency_hint, period, parse_error.

    parse_error codes: no_pay (missing marker such as "-1" or empty), no_amount (no number),
    unparseable, amount_out_of_range, zero_amount, inverted_range. Amounts are as written
    (not annualised); a single amount gives pay_min == pay_max. Same answer as `_parse_one` on
    each distinct text, computed by shape (see above).
    """
    distinct = pl.DataFrame({"pay_text": values.cast(pl.String).unique().sort(nulls_last=True)})
    texts = distinct.drop_nulls().with_columns(pl.col("pay_text").str.replace_all("[0-9]", "0").alias("shape"))
    shapes = texts.get_column("shape").unique().sort().to_list()
    plans = pl.DataFrame([_shape_plan(shape) for shape in shapes], schema=PLAN_SCHEMA, orient="row")
    planned = texts.join(plans, on="shape", how="left")
    low, high = _read_number(1), _read_number(2)
    low = (low * pl.col("suffix_1"))
    low = pl.when(pl.col("negative_1")).then(-low).otherwise(low) * pl.col("unit_1")
    high = high * pl.col("suffix_2") * pl.col("unit_2")
    amounts = (
        planned.filter(pl.col("plan") == "amounts")
        .with_columns(low.alias("_low"), high.alias("_high"))
        .with_columns(  # "$50-60K": the high bound's K/M applies to a low bound under 1000
            pl.when(pl.col("k_factor").is_not_null() & (pl.col("_low") < 1000) & (1000 <= pl.col("_high")))
            .then(pl.col("_low") * pl.col("k_factor")).otherwise(pl.col("_low")).alias("_low"))
        .with_columns(  # "₹10-15 LPA": the high bound's lakh/crore applies to a low bound under 1000
            pl.when(pl.col("lakh_factor").is_not_null() & (pl.col("_low") < 1000))
            .then(pl.col("_low") * pl.col("lakh_factor")).otherwise(pl.col("_low")).alias("_low"))
        .with_columns(pl.when(pl.col("is_range")).then(pl.col("_high")).otherwise(pl.col("_low")).alias("_high"))
    )
    unread = pl.col("_low").is_null() | pl.col("_high").is_null()  # never expected: read per text
    lo, hi = pl.col("_low"), pl.col("_high")
    error = (
        pl.when(lo.is_infinite() | hi.is_infinite() | (pl.max_horizontal(lo, hi) > MAX_AMOUNT))
        .then(pl.lit("amount_out_of_range"))
        .when(pl.min_horizontal(lo, hi) <= 0).then(pl.lit("zero_amount"))
        .when(lo > hi).then(pl.lit("inverted_range"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    read = amounts.filter(~unread).with_columns(error.alias("parse_error")).select(
        "pay_text",
        pl.when(pl.col("parse_error").is_null()).then(lo).alias("pay_min"),
        pl.when(pl.col("parse_error").is_null()).then(hi).alias("pay_max"),
        "currency_hint", "period", "parse_error",
    )
    done = planned.filter(pl.col("plan") == "done").select(
        "pay_text", pl.lit(None, dtype=pl.Float64).alias("pay_min"), pl.lit(None, dtype=pl.Float64).alias("pay_max"),
        "currency_hint", "period", "parse_error")
    # per text: shapes the plan does not cover, and (never expected) numbers Polars could not read
    slow = pl.concat([planned.filter(pl.col("plan") == "per_text").select("pay_text"),
                      amounts.filter(unread).select("pay_text")]).get_column("pay_text").to_list()
    if values.null_count():
        slow.append(None)
    per_text = pl.DataFrame([(text, *_parse_one(text)) for text in slow], schema=OUTPUT_SCHEMA, orient="row")
    return (
        pl.concat([read.cast(OUTPUT_SCHEMA), done.cast(OUTPUT_SCHEMA), per_text])
        .sort("pay_text", nulls_last=True)
    )


_PERIOD_SYNONYMS: dict[str, str] = {
    **{k: "hour" for k in ("hour", "hours", "hourly", "per hour", "an hour", "a hour", "h", "hr", "hrs", "ph",
                           "p h", "per hr", "hr rate", "hourly rate")},
    **{k: "day" for k in ("day", "days", "daily", "per day", "a day", "d", "per diem", "day rate", "daily rate")},
    **{k: "week" for k in ("week", "weeks", "weekly", "per week", "a week", "w", "wk", "wks", "pw")},
    **{k: "month" for k in ("month", "months", "monthly", "per month", "a month", "m", "mo", "mon", "mth",
                            "pm", "p m")},
    **{k: "year" for k in ("year", "years", "yearly", "annual", "annually", "per year", "a year", "y", "yr",
                           "yrs", "pa", "p a", "per annum", "annum", "salary", "annual salary")},
}


def normalise_period(values: pl.Series) -> pl.Series:
    """Period words ("hourly", "per hour", "H", "yr", "p.a.") -> hour/day/week/month/year, else null."""
    cleaned = (
        values.cast(pl.String)
        .str.to_lowercase()
        .str.replace_all(r"[^a-z]+", " ")
        .str.strip_chars()
    )
    return cleaned.replace_strict(_PERIOD_SYNONYMS, default=None, return_dtype=pl.String).alias(values.name)


def annualisation_factor(periods: pl.Expr) -> pl.Expr:
    """Expression: factor for a canonical period column (null for unknown periods)."""
    return periods.replace_strict(ANNUALISATION_FACTORS, default=None, return_dtype=pl.Float64)
