"""Pay text parsing, pay periods and annualisation factors.

Pay arrives as free text in postings ("$53K-$91K (Glassdoor est.)", "$28.50 an hour",
"€60.000–€75.000", "₹25,00,000 - ₹35,00,000 per annum"). `parse_pay_text` parses each DISTINCT
text once (regular expressions in Python, cheap on distinct values) and returns one row per
distinct input; the caller joins back on `pay_text`.

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

# Period words, matched on the lower-cased text; first match in this order wins.
_PERIOD_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (period, re.compile(pattern))
    for period, pattern in (
        ("hour", r"(?:per|an|a|/|every)\s*(?:hour|hr)\b|\bhourly\b|/\s*h\b|\bp/?h\b"),
        ("day", r"(?:per|a|/)\s*(?:day|diem)\b|\bdaily\b|\bper\s+diem\b|/\s*d\b"),
        ("week", r"(?:per|a|/)\s*(?:week|wk)\b|\bweekly\b|/\s*w\b"),
        ("month", r"(?:per|a|/)\s*(?:month|mo|mth)\b|\bmonthly\b|\bp\.?\s?m\.?$"),
        ("year", r"(?:per|a|/)\s*(?:year|yr|annum)\b|\bannual(?:ly)?\b|\byearly\b|\bp\.?\s?a\.?\b|\bper\s+annum\b"),
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
_NUMBER = re.compile(r"(\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)|\d(?:[\d,.'\u00a0\u202f]*\d)?)\s*([kKmM](?![a-zA-Z]))?")
_RANGE_SEP = re.compile(r"^\s*(?:-|–|—|to|and|~)\s*$", re.IGNORECASE)


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
    token = re.sub(r"[\u00a0\u202f ']", "", token)
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


def parse_pay_text(values: pl.Series) -> pl.DataFrame:
    """One row per distinct pay text: pay_min, pay_max, currency_hint, period, parse_error.

    parse_error codes: no_pay (missing marker such as "-1" or empty), no_amount (no number),
    unparseable, amount_out_of_range, zero_amount, inverted_range. Amounts are as written
    (not annualised); a single amount gives pay_min == pay_max.
    """
    distinct = values.cast(pl.String).unique().sort(nulls_last=True).to_list()
    rows = [(text, *_parse_one(text)) for text in distinct]
    return pl.DataFrame(rows, schema=OUTPUT_SCHEMA, orient="row")


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
