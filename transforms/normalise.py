"""Normalisation: a staged frame -> observation rows (see docs/architecture.md) + rejects.

Every staged row ends as exactly one observation or one reject with a specific reason code, so
that source accounting adds up. The parsers (titles, locations, pay, currency, skills) run on the
DISTINCT values of a column and are joined back; nothing loops over rows in Python.

Conventions decided here:
- record_id is the source's id when the spec maps one, else "{source_file}:{row_number}".
- pay: a single amount (`pay`) wins over a range (`pay_min`/`pay_max`, midpoint; one side alone
  is used as both), which wins over free text (`pay_text`).
- period: the spec's `pay_period` (column or constant) wins over a period found in the pay text;
  with neither, the amount is taken as yearly. An unrecognised period is a reject.
- currency: the spec's `currency` wins over a hint in the pay text ("$" resolves only through the
  country). With no currency information at all the country's own currency is assumed.
- seniority: the `seniority` column (after the spec's value recodings; Junior/Mid/Senior/Lead/
  Executive and the codes EN/MI/SE/EX are understood) wins over a seniority read from the title.
- FX: a row with a full date uses the ECB daily rate of that day or the last business day before
  it (at most 7 days back); a row with only a year uses that year's average. USD is 1 by
  definition; a missing USD rate rejects the row (no 1:1 fallback). When only the local currency
  has no ECB rate (e.g. NGN, UAH) the row is kept with fx_rate_local and pay_annual_local null:
  it still counts in USD (World) statistics, and the published USD figure of surveys that report
  such countries (aijobs, Kaggle 2023) is reproduced instead of silently losing their rows.
- employment_type: the source's value (after the spec's `values:` recoding) mapped to full_time /
  part_time / contract / freelance / internship / temporary through EMPLOYMENT_TYPES (case, "-",
  "_" and spaces ignored: "FT", "Full-time", "full_time", "Part time", "PT", "Contract", "Intern");
  a value not in the table (or none given) is null. `is_non_fte_pay` marks pay that is not a
  full-time-equivalent rate of the role and is left out of every pay statistic (kept, like
  is_outlier): a part_time row paid a year, month, half month, fortnight or week (its amount is
  a part-time salary: 179 aijobs.net rows, median ~$60k against ~$148k full time), and every
  internship (trainee pay, which benchmarks report apart from the role). A part-time hourly or
  daily rate stays in: annualised at 2080 h / 260 d it IS the full-time equivalent.
- Reason codes, checked in this order (the first that applies is recorded): missing_title,
  no_country, unknown_country, missing_pay, non_numeric_pay, min_greater_than_max,
  non_positive_pay, unknown_pay_period, bad_date, bad_year, future_date, future_year,
  ambiguous_dollar, unknown_currency, fx_rate_missing, pay_out_of_range.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import polars as pl
import pycountry

from transforms.reference import Reference
from transforms.specs import SourceSpec
from transforms.staging import REJECT_SCHEMA

MIN_ANNUAL_PAY_USD = 1_000.0  # settings.min_annual_pay_usd
MAX_ANNUAL_PAY_USD = 5_000_000.0  # settings.max_annual_pay_usd
MIN_YEAR = 1990
MISSING_MARKERS = ("-1", "na", "n/a", "none", "null", "nan", "-", "?")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y",
                "%d.%m.%Y", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%Y%m%d")
SENIORITY_CODES = {
    "junior": "Junior", "jr": "Junior", "en": "Junior", "entry": "Junior", "entry level": "Junior",
    "entry-level": "Junior", "entry_level": "Junior",
    "mid": "Mid", "mi": "Mid", "mid-level": "Mid", "mid level": "Mid", "intermediate": "Mid",
    "senior": "Senior", "se": "Senior", "sr": "Senior",
    "lead": "Lead", "staff": "Lead", "principal": "Lead",
    "executive": "Executive", "ex": "Executive", "director": "Executive", "exec": "Executive",
}

OBSERVATION_COLUMNS: dict[str, pl.DataType] = {
    "source": pl.String, "source_file": pl.String, "row_number": pl.Int64, "record_id": pl.String,
    "kind": pl.String, "job_title": pl.String, "role": pl.String, "role_name": pl.String,
    "seniority": pl.String, "role_label": pl.String, "title_match_method": pl.String,
    "title_match_score": pl.Float64, "company": pl.String,
    "country_code": pl.String, "country": pl.String, "subdivision_code": pl.String,
    "subdivision": pl.String, "city": pl.String, "region": pl.String, "region_level": pl.String,
    "is_remote": pl.Boolean, "remote_ratio": pl.String, "posted_date": pl.Date, "year": pl.Int32,
    "pay_original": pl.Float64, "pay_min_original": pl.Float64, "pay_max_original": pl.Float64,
    "currency_original": pl.String, "pay_period": pl.String, "annualisation_factor": pl.Float64,
    "pay_annual_original": pl.Float64, "currency_local": pl.String, "pay_annual_local": pl.Float64,
    "pay_annual_usd": pl.Float64, "fx_rate_usd": pl.Float64, "fx_rate_local": pl.Float64,
    "fx_rate_date": pl.Date, "fx_method": pl.String, "skills": pl.List(pl.String),
    "certifications": pl.List(pl.String), "employment_type": pl.String, "is_non_fte_pay": pl.Boolean,
}
# employment_type synonyms (lower case, "-", "_" and runs of spaces read as one space) -> canonical value
EMPLOYMENT_TYPES = {
    "ft": "full_time", "full time": "full_time", "fulltime": "full_time", "f/t": "full_time",
    "pt": "part_time", "part time": "part_time", "parttime": "part_time", "p/t": "part_time",
    "ct": "contract", "contract": "contract", "contractor": "contract",
    "fl": "freelance", "freelance": "freelance", "freelancer": "freelance", "self employed": "freelance",
    "intern": "internship", "internship": "internship",
    "temporary": "temporary", "temp": "temporary",
}
# pay periods whose part-time amount is a part-time salary, not a full-time-equivalent rate
# (an hour's or a day's rate is annualised at full-time hours, 2080 / 260)
PART_TIME_SALARY_PERIODS = ("week", "fortnight", "half_month", "month", "year")


@dataclass(frozen=True)
class Normalised:
    """Observation rows (without is_outlier, which needs every source) and rejected rows.

    `as_of_window`: the days [first, last) of as_of that give this same result (see `as_of_window`); None:
    the as_of it was made for alone."""

    observations: pl.DataFrame
    rejects: pl.DataFrame
    as_of_window: tuple[date, date] | None = None


@dataclass(frozen=True)
class FxTables:
    """ECB rates as USD per unit: daily (date, currency, usd_per_unit) and yearly averages."""

    daily: pl.DataFrame
    yearly: pl.DataFrame  # year, currency, usd_per_unit, rate_date


def default_fx(as_of: date | None = None) -> FxTables:
    """The ECB rates; with `as_of`, only those published by that day (transforms.fx.known_on): no
    look-ahead in a backfill run."""
    from transforms import fx

    if as_of is not None:
        daily, yearly = fx.known_on(as_of)
        return FxTables(daily=daily, yearly=yearly)
    return FxTables(daily=fx.load_fx(), yearly=fx.yearly_fx())


def normalise(staged: pl.DataFrame, spec: SourceSpec, ref: Reference, fx: FxTables | None = None, *,
              as_of: date | None = None, min_annual_pay_usd: float = MIN_ANNUAL_PAY_USD,
              max_annual_pay_usd: float = MAX_ANNUAL_PAY_USD) -> Normalised:
    """Turn one staged frame into observations and rejects (conventions in the module docstring)."""
    as_of = as_of or date.today()
    fx = fx or default_fx(as_of)
    frame = staged.with_columns(
        pl.coalesce(pl.col("record_id"), pl.format("{}:{}", pl.col("source_file"), pl.col("row_number")))
        .alias("record_id"),
        pl.lit(spec.kind, dtype=pl.String).alias("kind"),
    )
    frame = _with_titles(frame, ref)
    frame = _with_locations(frame, ref)
    frame = _with_pay(frame, spec)
    frame = _with_dates(frame)
    frame = _with_currency(frame)
    frame = _with_fx(frame, fx)
    frame = _with_skills(frame, ref, carries_skills(spec))
    frame = _with_employment(frame)
    companies = _distinct(frame, "company").to_frame()
    frame = _attach(frame, companies.with_columns(_company(pl.col("company")).alias("_company")), "company")
    frame = frame.with_columns(
        pl.col("_company").alias("company"),
        (pl.col("pay_original") * pl.col("annualisation_factor")).alias("pay_annual_original"),
    ).drop("_company").with_columns(
        (pl.col("pay_annual_original") * pl.col("fx_rate_usd")).alias("pay_annual_usd"),
        (pl.col("pay_annual_original") * pl.col("fx_rate_local")).alias("pay_annual_local"),
    )
    frame = frame.with_columns(
        _reason(as_of, min_annual_pay_usd, max_annual_pay_usd).alias("reason"),
    )
    rejects = (
        frame.filter(pl.col("reason").is_not_null())
        .select("source", "source_file", "row_number", "reason", _detail().alias("detail"), "raw")
        .cast(REJECT_SCHEMA)
        .sort("source_file", "row_number")
    )
    observations = (
        frame.select(*[pl.col(c).cast(t).alias(c) for c, t in OBSERVATION_COLUMNS.items()], pl.col("reason"))
        .filter(pl.col("reason").is_null())
        .drop("reason")
    )
    return Normalised(observations=_in_row_order(observations), rejects=rejects,
                      as_of_window=as_of_window(frame, as_of))


def as_of_window(frame: pl.DataFrame, as_of: date) -> tuple[date, date] | None:
    """The days [first, last) around `as_of` for which normalising these rows gives this very result; None when
    it holds for `as_of` alone (date.min / date.max: no bound on that side).

    as_of enters a row's result in two ways only: the future checks (posted_date > as_of, year > as_of's
    year) and the ECB rates known by as_of (transforms.fx.known_on). A dated row converts at a rate of a day
    on or before its date (never a yearly average) and is a future_date reject before it, so its result
    changes on its date only (and its year's 1 January, where a year column beside the date is checked). A
    row with only a year is a future_year reject before 1 January of that year and converts at the year's
    average after its end; during its year the average moves with every ECB day, so a file holding such a
    row of as_of's year holds for as_of alone. The staging cache (flows.nightly.stage_file_task) keeps a
    file's result for every as_of of the window: a nightly run with a new as_of restages only files with
    rows that recent (the synthetic market's junk rows dated years ahead bound the window, not void it)."""
    year = pl.min_horizontal(pl.max_horizontal(pl.col("year"), pl.lit(1)), pl.lit(_LAST_YEAR))
    dated, has_year = pl.col("posted_date").is_not_null(), pl.col("year").is_not_null()
    changes = [
        pl.when(dated).then(pl.col("posted_date")),  # future_date until then
        pl.when(has_year).then(pl.date(year, 1, 1)),  # future_year until then
        pl.when(~dated & has_year).then(pl.date(year + 1, 1, 1)),  # the year's FX average complete from then
    ]
    day = pl.lit(as_of)
    bounds = frame.select(
        pl.max_horizontal([c.filter(c <= day).max() for c in changes]).alias("first"),
        pl.min_horizontal([c.filter(c > day).min() for c in changes]).alias("last"),
        (~dated & has_year & (pl.col("year") == as_of.year)).any().alias("moving"),
    ).row(0, named=True)
    if bounds["moving"]:
        return None
    return bounds["first"] or date.min, bounds["last"] or date.max


# the last year whose 1 January after it a Python date holds
_LAST_YEAR = 9998


def _in_row_order(frame: pl.DataFrame) -> pl.DataFrame:
    """frame sorted by source_file, row_number. Every step above keeps the staged row order, so this
    is nearly always a check, not a sort that would copy the file's kept rows once more."""
    ordered = frame.select(
        (pl.col("source_file").n_unique() <= 1) & pl.col("row_number").diff().fill_null(1).gt(0).all()).item()
    return frame if ordered else frame.sort("source_file", "row_number")


# --- helpers on distinct values ---------------------------------------------------------------

def _distinct(frame: pl.DataFrame, column: str) -> pl.Series:
    """Distinct non-null values (in no particular order: the parsers sort what they return)."""
    return frame.get_column(column).drop_nulls().unique()


def _attach(frame: pl.DataFrame, table: pl.DataFrame, on: str | list[str], *,
            nulls_equal: bool = False) -> pl.DataFrame:
    """frame left-joined with a small table that has one row per key, keeping frame's rows as they are.

    Only the keys are joined (to a row number of the table) and only the table's columns are
    gathered: DataFrame.join gathers every column of the frame into a new one, and with ~40
    columns (the raw line among them) each of the dozen joins held two copies of the file's rows
    (1.23 GB peak for a 350k-row file; two files are staged at once, benchmarks/, issue 9).
    """
    keys = [on] if isinstance(on, str) else list(on)
    if table.select(keys).is_duplicated().any():
        raise ValueError(f"normalise: lookup table repeats a key of {keys}")
    row = (frame.select(keys)
           .join(table.select(keys).with_row_index("_row"), on=keys, how="left", nulls_equal=nulls_equal,
                 maintain_order="left")
           .get_column("_row"))
    return frame.hstack(table.drop(keys).select(pl.all().gather(row)).get_columns())


def _join_parsed(frame: pl.DataFrame, parsed: pl.DataFrame, on: str) -> pl.DataFrame:
    """Join a parser's answer (one row per distinct input value) back onto every row."""
    return _attach(frame, parsed.unique(subset=[on], keep="first", maintain_order=True), on)


# dots grouping thousands: "1.234.567" or "120.000,50" (a comma then decimals)
EUROPEAN_NUMBER = r"^[-+]?\d{1,3}(?:\.\d{3})+,\d+$|^[-+]?\d{1,3}(?:\.\d{3}){2,}$"
# one comma then one or two digits: a decimal comma ("45000,50", "45 000,00"), as pay.parse_number reads it
DECIMAL_COMMA_NUMBER = r"^[-+]?\d+,\d{1,2}$"
# commas grouping thousands: "120,000", "1,234,567.89", or the Indian lakh grouping "12,00,000"
COMMA_GROUPED_NUMBER = r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$|^[-+]?\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d*)?$"


def _with_number(frame: pl.DataFrame, column: str, alias: str) -> pl.DataFrame:
    """frame with `alias` = _number(column), read once per distinct value (its half-dozen patterns cost
    ~0.7 s per million rows read row by row; pay amounts repeat, years nearly always)."""
    values = _distinct(frame, column)
    table = pl.DataFrame({column: values}, schema={column: pl.String}).with_columns(
        _number(pl.col(column)).alias(alias))
    return _attach(frame, table, column)


def _number(expr: pl.Expr) -> pl.Expr:
    """'120,000' / '$ 85847' / '1.2e5' / '120.000,50' -> float; anything else (inf, NaN) -> null.

    Commas are thousands separators unless the dots are ("1.234.567", "120.000,50") or a single comma
    is followed by one or two digits ("45000,50", "45 000,00"): then the comma is the decimal mark. "120.000" alone stays 120.0 (the out-of-range check catches it).
    A comma that is none of these is no single number and gives null (a non_numeric_pay reject): loose
    grouping ("1,2,3" was read as 123, "120000," as 120000) or a list of numbers (a JSON / Parquet list
    [1, 20000] is staged as "1, 20000", which was read as 120,000; a comma then a blank is a list).
    """
    text = expr.str.replace_all(r"[\s_$€£¥]", "")
    number = (
        pl.when(expr.str.contains(r",\s"))
        .then(pl.lit(None, dtype=pl.String))
        .when(text.str.contains(EUROPEAN_NUMBER))
        .then(text.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True))
        .when(text.str.contains(DECIMAL_COMMA_NUMBER)).then(text.str.replace(",", ".", literal=True))
        .when(text.str.contains(",", literal=True) & ~text.str.contains(COMMA_GROUPED_NUMBER))
        .then(pl.lit(None, dtype=pl.String))
        .otherwise(text.str.replace_all(",", "", literal=True))
        .cast(pl.Float64, strict=False)
    )
    return pl.when(number.is_finite()).then(number).otherwise(None)


def _is_missing_text(expr: pl.Expr) -> pl.Expr:
    return expr.is_null() | expr.str.to_lowercase().is_in(list(MISSING_MARKERS))


# --- titles and seniority --------------------------------------------------------------------

def _with_titles(frame: pl.DataFrame, ref: Reference) -> pl.DataFrame:
    from transforms.titles import map_titles

    titles = _distinct(frame, "job_title")
    mapped = (
        map_titles(titles, ref)
        .select(
            pl.col("job_title"), pl.col("role"), pl.col("role_name"),
            pl.col("seniority").alias("title_seniority"),
            pl.col("match_method").alias("title_match_method"),
            pl.col("match_score").cast(pl.Float64).alias("title_match_score"),
        )
        if titles.len() else pl.DataFrame(schema={
            "job_title": pl.String, "role": pl.String, "role_name": pl.String, "title_seniority": pl.String,
            "title_match_method": pl.String, "title_match_score": pl.Float64})
    )
    codes = {**SENIORITY_CODES, **{s.name.lower(): s.name for s in ref.seniority_levels}}
    prefixes = {s.name: s.prefix for s in ref.seniority_levels}
    return (
        _join_parsed(frame, mapped, "job_title")
        .with_columns(
            pl.coalesce(
                pl.col("seniority").str.to_lowercase().str.strip_chars()
                .replace_strict(codes, default=None, return_dtype=pl.String),
                pl.col("title_seniority"),
            ).alias("seniority")
        )
        .with_columns(
            pl.when(pl.col("seniority").is_null()).then(pl.col("role_name"))
            .otherwise(pl.format("{} {}", pl.col("seniority").replace_strict(prefixes, default=pl.col("seniority"),
                                                                               return_dtype=pl.String),
                                 pl.col("role_name")))
            .alias("role_label")
        )
    )


# --- locations -------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _country_lookup(ref: Reference) -> dict[str, str]:
    """Lower-cased ISO codes, names and aliases -> ISO alpha-2 (project reference wins)."""
    lookup: dict[str, str] = {}
    for c in pycountry.countries:
        for name in (c.alpha_2, c.alpha_3, c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)):
            if name:
                lookup.setdefault(name.lower(), c.alpha_2)
    for c in ref.countries:
        for name in (c.code, c.name, *c.aliases):
            lookup[name.lower()] = c.code
    return lookup


def _country_name(code: str, ref: Reference) -> str | None:
    if (country := ref.country(code)) is not None:
        return country.name
    found = pycountry.countries.get(alpha_2=code)
    return None if found is None else getattr(found, "common_name", None) or found.name


def _local_currency(code: str, ref: Reference) -> str | None:
    from transforms.currency import country_currency

    return country_currency(code, ref)


def _subdivision_label(code: str, ref: Reference) -> str | None:
    for country in ref.countries:
        for sub in country.subdivisions:
            if sub.code == code:
                return sub.label
    found = pycountry.subdivisions.get(code=code)
    country = _country_name(code.split("-")[0], ref)
    # "Virgin Islands, U.S." is "Virgin Islands, United States" (had been "Virgin Islands, U.S., United States")
    return None if found is None or country is None else f"{found.name.removesuffix(', U.S.')}, {country}"


def _empty_locations() -> pl.DataFrame:
    return pl.DataFrame(schema={"location": pl.String, "country_code": pl.String, "subdivision_code": pl.String,
                                "city_name": pl.String, "is_remote": pl.Boolean, "location_error": pl.String})


def _with_locations(frame: pl.DataFrame, ref: Reference) -> pl.DataFrame:
    """country_code from the country column, else the location; the location is read with the country column's
    code as context (transforms.locations.parse_locations_in: "Georgia" with country US is the state US-GA, had
    been the country Georgia, contradicting US, so no subdivision), on distinct (location, country code) pairs."""
    from transforms.locations import parse_locations, parse_locations_in

    lookup = _country_lookup(ref)
    countries = _distinct(frame, "country").sort()
    by_country = (parse_locations(countries, ref) if countries.len() else _empty_locations()).select(
        pl.col("location").alias("country"), pl.col("country_code").alias("cty_parsed_code"))
    frame = (
        frame.pipe(_attach, by_country.unique(subset=["country"], keep="first", maintain_order=True), "country")
        .with_columns(
            pl.coalesce(
                pl.col("country").str.to_lowercase().replace_strict(lookup, default=None, return_dtype=pl.String),
                pl.col("cty_parsed_code"),
            ).alias("cty_code")
        )
    )
    pairs = frame.select("location", pl.col("cty_code").alias("context")).filter(pl.col("location").is_not_null())
    parsed = (parse_locations_in(pairs, ref) if pairs.height else
              _empty_locations().with_columns(pl.lit(None, pl.String).alias("context"))).select(
        "location", pl.col("context").alias("cty_code"), "country_code", "subdivision_code", "city_name", "is_remote")
    by_location = parsed.rename({c: f"loc_{c}" for c in parsed.columns if c not in ("location", "cty_code")})
    frame = (
        _attach(frame, by_location, ["location", "cty_code"], nulls_equal=True)
        .with_columns(pl.coalesce(pl.col("cty_code"), pl.col("loc_country_code")).alias("country_code"))
        .with_columns(
            # a free-text location contradicting the country column only keeps the country
            (pl.col("loc_country_code") == pl.col("country_code")).fill_null(False).alias("_loc_agrees"),
        )
        .with_columns(
            pl.when(pl.col("_loc_agrees")).then(pl.col("loc_subdivision_code")).alias("subdivision_code"),
            pl.when(pl.col("_loc_agrees")).then(pl.col("loc_city_name")).alias("city_name"),
            (pl.col("loc_is_remote").fill_null(False) | (pl.col("remote_ratio").str.strip_chars() == "100").fill_null(False))
            .alias("is_remote"),
        )
    )
    countries = frame.get_column("country_code").drop_nulls().unique().sort().to_list()
    subdivisions = frame.get_column("subdivision_code").drop_nulls().unique().sort().to_list()
    country_labels = pl.DataFrame(
        {"country_code": countries,
         "country": [_country_name(c, ref) for c in countries],
         "currency_local": [_local_currency(c, ref) for c in countries]},
        schema={"country_code": pl.String, "country": pl.String, "currency_local": pl.String})
    sub_labels = pl.DataFrame(
        {"subdivision_code": subdivisions, "subdivision": [_subdivision_label(s, ref) for s in subdivisions]},
        schema={"subdivision_code": pl.String, "subdivision": pl.String})
    city_labels = pl.DataFrame(
        [{"subdivision_code": sub.code, "city_name": city.name, "city": city.label}
         for country in ref.countries for sub in country.subdivisions for city in sub.cities],
        schema={"subdivision_code": pl.String, "city_name": pl.String, "city": pl.String})
    return (
        frame.with_columns(
            (pl.col("country").is_null() & pl.col("location").is_null()).alias("_no_country"),
        )
        .drop("country")
        .pipe(_attach, country_labels, "country_code")
        .pipe(_attach, sub_labels, "subdivision_code")
        .pipe(_attach, city_labels, ["subdivision_code", "city_name"])
        .with_columns(
            pl.when(pl.col("city_name").is_not_null())
            .then(pl.coalesce(pl.col("city"), pl.format("{}, {}", pl.col("city_name"),
                                                         pl.coalesce(pl.col("subdivision"), pl.col("country")))))
            .alias("city"),
        )
        .with_columns(
            pl.coalesce(pl.col("city"), pl.col("subdivision"), pl.col("country")).alias("region"),
            pl.when(pl.col("city").is_not_null()).then(pl.lit("city"))
            .when(pl.col("subdivision").is_not_null()).then(pl.lit("subdivision"))
            .when(pl.col("country").is_not_null()).then(pl.lit("country"))
            .alias("region_level"),
        )
    )


# --- pay -------------------------------------------------------------------------------------

PAY_TEXT_REASONS = {"no_pay": "missing_pay", "inverted_range": "min_greater_than_max",
                    "zero_amount": "non_positive_pay", "amount_out_of_range": "pay_out_of_range"}


def _with_pay(frame: pl.DataFrame, spec: SourceSpec) -> pl.DataFrame:
    from transforms.pay import ANNUALISATION_FACTORS, normalise_period, parse_pay_text, stated_monthly_payments

    texts = _distinct(frame, "pay_text")
    parsed = (
        parse_pay_text(texts).select(
            "pay_text",
            pl.col("pay_min").cast(pl.Float64).alias("text_min"),
            pl.col("pay_max").cast(pl.Float64).alias("text_max"),
            pl.col("currency_hint").alias("text_currency"),
            pl.col("period").alias("text_period"),
            pl.col("parse_error").alias("text_error"),
            stated_monthly_payments(pl.col("pay_text")).alias("text_payments"),
        ) if texts.len() else pl.DataFrame(schema={
            "pay_text": pl.String, "text_min": pl.Float64, "text_max": pl.Float64,
            "text_currency": pl.String, "text_period": pl.String, "text_error": pl.String,
            "text_payments": pl.Int32})
    )
    periods = _distinct(frame, "pay_period")
    period_map = (pl.DataFrame({"pay_period": periods, "period_norm": normalise_period(periods)})
                  if periods.len() else pl.DataFrame(schema={"pay_period": pl.String, "period_norm": pl.String}))
    factors = {k: float(v) for k, v in ANNUALISATION_FACTORS.items()}
    # each number and test once, as columns (an eager with_columns does not share the
    # sub-expressions that the reason chain below repeats)
    temporary = {"_given_single": ~_is_missing_text(pl.col("pay")),
                 "_given_min": ~_is_missing_text(pl.col("pay_min")), "_given_max": ~_is_missing_text(pl.col("pay_max"))}
    single, low, high = pl.col("_single"), pl.col("_low"), pl.col("_high")
    has_single = pl.col("_given_single")
    has_range = pl.col("_given_min") | pl.col("_given_max")
    range_unreadable = (pl.col("_given_min") & low.is_null()) | (pl.col("_given_max") & high.is_null())
    return (
        _join_parsed(frame, parsed, "pay_text")
        .pipe(_attach, period_map, "pay_period")
        .pipe(_with_number, "pay", "_single").pipe(_with_number, "pay_min", "_low").pipe(_with_number, "pay_max", "_high")
        .with_columns([expr.alias(name) for name, expr in temporary.items()])
        .with_columns(
            pl.when(has_single).then(single)
            .when(has_range).then(pl.coalesce(low, high))
            .otherwise(pl.col("text_min")).alias("pay_min_original"),
            pl.when(has_single).then(single)
            .when(has_range).then(pl.coalesce(high, low))
            .otherwise(pl.col("text_max")).alias("pay_max_original"),
            pl.when(has_single & single.is_null()).then(pl.lit("non_numeric_pay"))
            .when(has_single & (single <= 0)).then(pl.lit("non_positive_pay"))
            .when(has_single).then(pl.lit(None, dtype=pl.String))
            .when(has_range & range_unreadable).then(pl.lit("non_numeric_pay"))
            .when(has_range & (low > high)).then(pl.lit("min_greater_than_max"))
            .when(has_range & ((low <= 0) | (high <= 0))).then(pl.lit("non_positive_pay"))
            .when(has_range).then(pl.lit(None, dtype=pl.String))
            .when(pl.col("pay_text").is_null()).then(pl.lit("missing_pay"))
            .when(pl.col("text_error").is_not_null())
            .then(pl.col("text_error").replace_strict(PAY_TEXT_REASONS, default="non_numeric_pay",
                                                      return_dtype=pl.String))
            .alias("_pay_reason"),
            pl.when(pl.col("pay_period").is_not_null()).then(pl.col("period_norm"))
            .otherwise(pl.coalesce(pl.col("text_period"), pl.lit("year"))).alias("pay_period_norm"),
        )
        .with_columns(
            ((pl.col("pay_min_original") + pl.col("pay_max_original")) / 2).alias("pay_original"),
            # a monthly amount read from a text that states its monthly pays a year ("x 13 months", "13薪"):
            # that many, not 12 (transforms.pay.stated_monthly_payments)
            pl.when(~has_single & ~has_range & (pl.col("pay_period_norm") == "month")
                    & pl.col("text_payments").is_not_null())
            .then(pl.col("text_payments").cast(pl.Float64))
            .otherwise(pl.col("pay_period_norm").replace_strict(factors, default=None, return_dtype=pl.Float64))
            .alias("annualisation_factor"),
            pl.col("pay_period").alias("pay_period_given"),
        )
        .drop("pay_period", *temporary)
        .rename({"pay_period_norm": "pay_period"})
    )


# --- dates -----------------------------------------------------------------------------------

def _parse_dates(values: pl.Series) -> pl.DataFrame:
    text = pl.col("date").str.strip_chars()
    return pl.DataFrame({"date": values}).with_columns(
        pl.coalesce([text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)]
                    + [text.str.to_date(fmt, strict=False) for fmt in DATE_FORMATS]).alias("posted_date")
    )


def _with_dates(frame: pl.DataFrame) -> pl.DataFrame:
    dates = _distinct(frame, "date")
    parsed = _parse_dates(dates) if dates.len() else pl.DataFrame(schema={"date": pl.String, "posted_date": pl.Date})
    year_number = pl.col("_year_number")
    return (
        _attach(frame, parsed, "date")
        .pipe(_with_number, "year", "_year_number")
        .with_columns(
            # a date before MIN_YEAR is no posting date (year 0 parses), as a year column before it is no year
            (pl.col("date").is_not_null()
             & (pl.col("posted_date").is_null() | (pl.col("posted_date") < date(MIN_YEAR, 1, 1)))).alias("_bad_date"),
            (pl.col("year").is_not_null() & (year_number.is_null() | (year_number != year_number.floor())
                                             | (year_number < MIN_YEAR))).alias("_bad_year"),
            pl.coalesce(
                pl.when(year_number == year_number.floor()).then(year_number).cast(pl.Int32, strict=False),
                pl.col("posted_date").dt.year().cast(pl.Int32),
            ).alias("year_parsed"),
        )
        .drop("_year_number")
        .rename({"year": "year_given", "year_parsed": "year"})
    )


# --- currency and FX -------------------------------------------------------------------------

def _with_currency(frame: pl.DataFrame) -> pl.DataFrame:
    from transforms.currency import resolve_currency

    frame = frame.with_columns(pl.coalesce(pl.col("currency"), pl.col("text_currency")).alias("currency_raw"))
    keys = (frame.select("currency_raw", "country_code").filter(pl.col("currency_raw").is_not_null())
            .unique().sort("currency_raw", "country_code", nulls_last=True))
    resolved = (
        resolve_currency(keys).select("currency_raw", "country_code", pl.col("currency").alias("currency_resolved"),
                                      "currency_error")
        if keys.height else pl.DataFrame(schema={"currency_raw": pl.String, "country_code": pl.String,
                                                 "currency_resolved": pl.String, "currency_error": pl.String})
    )
    return (
        _attach(frame, resolved, ["currency_raw", "country_code"], nulls_equal=True)
        .with_columns(
            pl.when(pl.col("currency_raw").is_null()).then(pl.col("currency_local"))
            .otherwise(pl.col("currency_resolved")).alias("currency_original"),
        )
    )


def _with_fx(frame: pl.DataFrame, fx: FxTables) -> pl.DataFrame:
    from transforms.currency import attach_fx

    keys = ["currency_original", "currency_local", "posted_date", "year"]
    distinct = frame.select(keys).unique().filter(
        pl.col("currency_original").is_not_null() & pl.col("currency_local").is_not_null()
        & (pl.col("posted_date").is_not_null() | pl.col("year").is_not_null()))
    rates = (
        attach_fx(distinct, daily=fx.daily, yearly=fx.yearly).collect()
        .select(*keys, "fx_rate_usd", "fx_rate_local", "fx_rate_date", "fx_method")
    )
    return _attach(frame, rates, keys, nulls_equal=True)


# --- skills ----------------------------------------------------------------------------------

SKILL_FIELDS = ("skills", "certifications", "description")


def carries_skills(spec: SourceSpec) -> bool:
    """Whether a source says anything about skills: it maps a skills, certifications or description
    field. Its rows get skill lists (empty: none named); the rows of a source that maps none of them
    (aijobs.net's salaries) get null lists: unknown, not "no skills". Premiums and skill shares are
    estimated on the rows that carry the information only: counted as "without the skill", such rows
    compared postings that name it with salaries that could not have named it."""
    return bool(set(SKILL_FIELDS) & (set(spec.fields) | set(spec.constants)))


def _with_skills(frame: pl.DataFrame, ref: Reference, carries: bool = True) -> pl.DataFrame:
    from transforms.skills import skills_per_row

    if not carries:
        unknown = pl.lit(None, dtype=pl.List(pl.String))
        return frame.with_columns(unknown.alias("skills"), unknown.alias("certifications"))
    sources = [c for c in SKILL_FIELDS if frame.get_column(c).null_count() < frame.height]
    empty = pl.lit([], dtype=pl.List(pl.String))
    if not sources:
        return frame.with_columns(empty.alias("skills"), empty.alias("certifications"))
    # row by row (texts such as descriptions are nearly all distinct; repeated pieces are matched
    # once inside): the same lists as extracting on distinct texts and joining back
    for column in sources:
        found = skills_per_row(frame.get_column(column), ref)
        frame = frame.with_columns(found.get_column("skills").alias(f"_skills_{column}"),
                                   found.get_column("certifications").alias(f"_certs_{column}"))
    lists = {kind: [pl.col(f"_{kind}_{c}").fill_null(empty) for c in sources] for kind in ("skills", "certs")}
    # each list is sorted and unique already: the union needs sorting only on rows where two or
    # more columns gave names (rare: skills and certifications columns both naming skills)
    several = pl.lit(False)
    if len(sources) > 1:
        several = pl.any_horizontal([pl.sum_horizontal([l.list.len() > 0 for l in kind_lists]) > 1
                                     for kind_lists in lists.values()])

    def first_non_empty(kind_lists: list[pl.Expr]) -> pl.Expr:
        expr = kind_lists[-1]
        for l in reversed(kind_lists[:-1]):
            expr = pl.when(l.list.len() > 0).then(l).otherwise(expr)
        return expr

    def union(kind_lists: list[pl.Expr]) -> pl.Expr:
        return pl.concat_list(kind_lists).list.unique().list.sort()

    frame = frame.with_row_index("_skills_order").with_columns(several.alias("_skills_several"))
    simple = frame.filter(~pl.col("_skills_several")).with_columns(
        first_non_empty(lists["skills"]).alias("skills"), first_non_empty(lists["certs"]).alias("certifications"))
    merged = frame.filter(pl.col("_skills_several")).with_columns(
        union(lists["skills"]).alias("skills"), union(lists["certs"]).alias("certifications"))
    # the texts and per-column lists are not needed after this: dropped (a description is ~300 bytes a row)
    return (pl.concat([simple, merged]).sort("_skills_order")
            .drop("_skills_order", "_skills_several", "description",
                  *[f"_{kind}_{c}" for kind in ("skills", "certs") for c in sources]))


# --- employment type -------------------------------------------------------------------------

def employment_type(values: pl.Series) -> pl.Series:
    """Source employment types -> canonical values (EMPLOYMENT_TYPES); unknown or missing -> null."""
    key = values.str.to_lowercase().str.replace_all(r"[\s_\-]+", " ").str.strip_chars()
    return key.replace_strict(EMPLOYMENT_TYPES, default=None, return_dtype=pl.String).alias(values.name)


def _with_employment(frame: pl.DataFrame) -> pl.DataFrame:
    """employment_type canonical (mapped on the distinct values) and is_non_fte_pay (module docstring)."""
    values = _distinct(frame, "employment_type")
    table = pl.DataFrame({"employment_type": values, "_employment": employment_type(values)},
                         schema={"employment_type": pl.String, "_employment": pl.String})
    kind = pl.col("employment_type")
    return (
        _attach(frame, table, "employment_type")
        .with_columns(pl.col("_employment").alias("employment_type"))
        .drop("_employment")
        .with_columns(
            (((kind == "part_time") & pl.col("pay_period").is_in(PART_TIME_SALARY_PERIODS)) | (kind == "internship"))
            .fill_null(False).alias("is_non_fte_pay"))
    )


# --- company, reasons ------------------------------------------------------------------------

def _company(expr: pl.Expr) -> pl.Expr:
    """'Tecolote Research\\n3.8' -> 'Tecolote Research' (Glassdoor appends the rating)."""
    cleaned = expr.str.replace(r"\s*\n\s*\d(?:\.\d)?\s*$", "").str.replace_all(r"\s+", " ").str.strip_chars()
    return pl.when(_is_missing_text(cleaned) | (cleaned == "")).then(None).otherwise(cleaned)


def _reason(as_of: date, low: float, high: float) -> pl.Expr:
    usd = pl.col("pay_annual_usd")
    error = pl.col("currency_error").fill_null("")
    return (
        pl.when(pl.col("job_title").is_null()).then(pl.lit("missing_title"))
        .when(pl.col("_no_country")).then(pl.lit("no_country"))
        .when(pl.col("country_code").is_null() | pl.col("currency_local").is_null()).then(pl.lit("unknown_country"))
        .when(pl.col("_pay_reason").is_not_null()).then(pl.col("_pay_reason"))
        .when(pl.col("pay_original").is_null()).then(pl.lit("missing_pay"))
        .when(pl.col("annualisation_factor").is_null()).then(pl.lit("unknown_pay_period"))
        .when(pl.col("_bad_date")).then(pl.lit("bad_date"))
        .when(pl.col("_bad_year") | pl.col("year").is_null()).then(pl.lit("bad_year"))
        .when(pl.col("posted_date") > as_of).then(pl.lit("future_date"))
        .when(pl.col("year") > as_of.year).then(pl.lit("future_year"))
        .when(error == "ambiguous_dollar").then(pl.lit("ambiguous_dollar"))
        .when(pl.col("currency_original").is_null() | (error != "")).then(pl.lit("unknown_currency"))
        .when(pl.col("fx_rate_usd").is_null()).then(pl.lit("fx_rate_missing"))
        .when((usd < low) | (usd > high)).then(pl.lit("pay_out_of_range"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def _detail() -> pl.Expr:
    """A short human-readable reason detail naming the offending value."""
    reason = pl.col("reason")
    return (
        pl.when(reason.is_in(["no_country", "unknown_country"]))
        .then(pl.format("country={} location={}", pl.col("country_code").fill_null("?"), pl.col("location").fill_null("")))
        .when(reason.is_in(["missing_pay", "non_numeric_pay", "min_greater_than_max", "non_positive_pay"]))
        .then(pl.format("pay={} min={} max={} text={} {}", pl.col("pay").fill_null(""), pl.col("pay_min").fill_null(""),
                        pl.col("pay_max").fill_null(""), pl.col("pay_text").fill_null(""),
                        pl.col("text_error").fill_null("")))
        .when(reason == "unknown_pay_period")  # given by the spec, or read from the pay text ("bi-monthly")
        .then(pl.format("pay_period={}", pl.coalesce(pl.col("pay_period_given"),
                                                     pl.format("{} (pay text: {})", pl.col("pay_period"), pl.col("pay_text")))))
        .when(reason.is_in(["bad_date", "future_date"])).then(pl.format("date={}", pl.col("date")))
        .when(reason.is_in(["bad_year", "future_year"]))  # the year as given: the parsed one is null when bad
        .then(pl.coalesce(pl.format("year={}", pl.coalesce(pl.col("year_given"), pl.col("year").cast(pl.String))),
                          pl.lit("no year and no date")))
        .when(reason.is_in(["unknown_currency", "ambiguous_dollar"]))
        .then(pl.format("currency={} country={} {}", pl.col("currency_raw").fill_null(""),
                        pl.col("country_code").fill_null(""), pl.col("currency_error").fill_null("")))
        .when(reason == "fx_rate_missing")
        .then(pl.format("no {}->USD rate for {}", pl.col("currency_original"),
                        pl.coalesce(pl.col("posted_date").cast(pl.String), pl.col("year").cast(pl.String))))
        .when(reason == "pay_out_of_range")
        .then(pl.format("annual USD {}", pl.col("pay_annual_usd").round(2).cast(pl.String)))
        .otherwise(pl.lit(""))
    )
