"""Unit tests for transforms.pay: pay text forms seen in real postings, periods, factors."""
import math

import polars as pl
import pytest

from transforms.pay import ANNUALISATION_FACTORS, annualisation_factor, normalise_period, parse_number, parse_pay_text


def _one(text):
    row = parse_pay_text(pl.Series([text])).row(0, named=True)
    return row["pay_min"], row["pay_max"], row["currency_hint"], row["period"], row["parse_error"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$53K-$91K (Glassdoor est.)", (53_000, 91_000, "$", None, None)),
        ("Employer Provided Salary:$120K-$140K", (120_000, 140_000, "$", None, None)),
        ("$28.50 an hour", (28.5, 28.5, "$", "hour", None)),
        ("$17-$24 Per Hour(Glassdoor est.)", (17, 24, "$", "hour", None)),
        ("£70k-£85k", (70_000, 85_000, "GBP", None, None)),
        ("€60.000–€75.000", (60_000, 75_000, "EUR", None, None)),
        ("₹25,00,000 - ₹35,00,000 per annum", (2_500_000, 3_500_000, "INR", "year", None)),
        ("CA$90,000 - CA$110,000 a year", (90_000, 110_000, "CAD", "year", None)),
        ("$5,000/month", (5_000, 5_000, "$", "month", None)),
        ("US$ 400 per day", (400, 400, "USD", "day", None)),
        ("A$1,500 weekly", (1_500, 1_500, "AUD", "week", None)),
        ("Rs 5,00,000 p.a.", (500_000, 500_000, "INR", "year", None)),
        ("$50-60K", (50_000, 60_000, "$", None, None)),
    ],
)
def test_pay_text_forms_found_in_real_data_are_parsed(text, expected):
    assert _one(text) == expected


@pytest.mark.parametrize(
    ("text", "error"),
    [("-1", "no_pay"), ("", "no_pay"), (None, "no_pay"), ("garbage", "no_amount"), ("1e16", "unparseable"),
     ("$0", "zero_amount"), ("$91K-$53K", "inverted_range"), ("$99999999999999", "amount_out_of_range")],
)
def test_missing_and_garbage_pay_text_gets_a_parse_error_and_no_amounts(text, error):
    low, high, _, _, got = _one(text)
    assert (low, high, got) == (None, None, error)


def test_parse_returns_one_row_per_distinct_value():
    out = parse_pay_text(pl.Series(["$1", "$1", None, None, "-1"]))
    assert out.height == 3
    assert out["pay_text"].n_unique() == 3


@pytest.mark.parametrize(("token", "value"), [("25,00,000", 2_500_000), ("60.000", 60_000), ("1.234.567", 1_234_567),
                                              ("120,000", 120_000), ("28.50", 28.5), ("60.000,50", 60_000.5),
                                              ("1,234.5", 1_234.5), ("0.750", 0.75)])
def test_thousands_separators_of_each_convention_are_read(token, value):
    assert math.isclose(parse_number(token), value)


def test_hourly_pay_is_annualised_with_2080_hours():
    frame = pl.DataFrame({"period": ["hour", "day", "week", "month", "year", None]})
    factors = frame.select(annualisation_factor(pl.col("period")).alias("f"))["f"].to_list()
    assert factors == [2080, 260, 52, 12, 1, None]
    assert ANNUALISATION_FACTORS["hour"] == 40 * 52 and ANNUALISATION_FACTORS["day"] == 5 * 52


def test_period_spellings_are_normalised():
    raw = pl.Series("p", ["hourly", "per hour", "H", "yr", "p.a.", "Monthly", "WEEK", "daily", "fortnight", None])
    assert normalise_period(raw).to_list() == ["hour", "hour", "hour", "year", "year", "month", "week", "day",
                                               None, None]


# Every currency marker form, written before BOTH amounts of a range, with each range separator.
CURRENCY_PREFIXES = [("C$", "CAD"), ("CA$", "CAD"), ("A$", "AUD"), ("AU$", "AUD"), ("US$", "USD"), ("NZ$", "NZD"),
                     ("S$", "SGD"), ("HK$", "HKD"), ("£", "GBP"), ("€", "EUR"), ("₹", "INR"), ("Rs ", "INR"),
                     ("Rs. ", "INR"), ("CAD ", "CAD"), ("$", "$")]
RANGE_SEPARATORS = ["–", " – ", "—", " — ", "-", " - ", " to "]


@pytest.mark.parametrize("separator", RANGE_SEPARATORS)
@pytest.mark.parametrize(("prefix", "code"), CURRENCY_PREFIXES)
def test_a_currency_prefix_on_both_amounts_of_a_range_keeps_both_bounds(prefix, code, separator):
    text = f"{prefix}142,000{separator}{prefix}177,000"
    assert _one(text) == (142_000, 177_000, code, None, None)


@pytest.mark.parametrize("separator", RANGE_SEPARATORS)
@pytest.mark.parametrize(("prefix", "code"), CURRENCY_PREFIXES)
def test_a_currency_prefix_on_the_first_amount_only_keeps_both_bounds(prefix, code, separator):
    assert _one(f"{prefix}90,000{separator}110,000 a year") == (90_000, 110_000, code, "year", None)


@pytest.mark.parametrize("separator", RANGE_SEPARATORS)
@pytest.mark.parametrize("text", ["CAD 90,000{sep}110,000", "90,000{sep}110,000 CAD", "90,000 CAD{sep}110,000 CAD",
                                  "CAD 90,000{sep}CAD 110,000", "CAD90,000{sep}CAD110,000"])
def test_an_iso_code_before_or_after_the_numbers_is_the_currency_of_both_bounds(text, separator):
    assert _one(text.format(sep=separator)) == (90_000, 110_000, "CAD", None, None)


@pytest.mark.parametrize(("text", "expected"), [
    ("C$142,000–C$177,000", (142_000, 177_000, "CAD", None, None)),
    ("A$218,000 - A$257,000", (218_000, 257_000, "AUD", None, None)),
    ("C$90k–C$110k per year", (90_000, 110_000, "CAD", "year", None)),
    ("AU$45.50 - AU$52.00 an hour", (45.5, 52.0, "AUD", "hour", None)),
    ("₹25,00,000 to ₹35,00,000 per annum", (2_500_000, 3_500_000, "INR", "year", None)),
    ("€60.000 — €75.000", (60_000, 75_000, "EUR", None, None)),
    ("60.000 € - 75.000 €", (60_000, 75_000, "EUR", None, None)),
])
def test_ranges_reported_with_prefixed_second_amounts_are_parsed(text, expected):
    assert _one(text) == expected


def test_separator_words_are_not_taken_for_currency_codes():
    # "to" and "and" are read as separators in any case; only upper-case ISO 4217 codes are codes
    assert _one("50,000 TO 60,000")[:2] == (50_000, 60_000)
    assert _one("between $50,000 and $60,000")[:2] == (50_000, 60_000)
    assert _one("120,000 a year plus 10% bonus")[:2] == (120_000, 120_000)


@pytest.mark.parametrize("text, low, high", [
    ("₹12 LPA", 1_200_000.0, 1_200_000.0),
    ("₹10-15 LPA", 1_000_000.0, 1_500_000.0),
    ("12 lakhs per annum", 1_200_000.0, 1_200_000.0),
    ("1.2 crore per annum", 12_000_000.0, 12_000_000.0),
])
def test_indian_lakh_and_crore_units_multiply_the_amount(text, low, high):
    row = parse_pay_text(pl.Series([text])).row(0, named=True)
    assert (row["pay_min"], row["pay_max"], row["parse_error"]) == (low, high, None)


@pytest.mark.parametrize("text", ["$-50,000", "-50000", "USD -5,000", "\u221250,000"])
def test_a_minus_sign_before_the_amount_is_a_negative_amount_not_a_range(text):
    assert parse_pay_text(pl.Series([text])).row(0, named=True)["parse_error"] == "zero_amount"


def test_a_hyphen_between_two_amounts_is_still_a_range():
    row = parse_pay_text(pl.Series(["$50,000-$60,000"])).row(0, named=True)
    assert (row["pay_min"], row["pay_max"]) == (50_000.0, 60_000.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # German and French period words (Germany and France are markets of ours)
        ("120.000 € brutto/Jahr", (120_000, 120_000, "EUR", "year", None)),  # the "a"+"hr" of "Jahr" had read hourly
        ("65.000 € pro Jahr", (65_000, 65_000, "EUR", "year", None)),
        ("4.500 €/Monat brutto", (4_500, 4_500, "EUR", "month", None)),
        ("70k-80k EUR jährlich", (70_000, 80_000, "EUR", "year", None)),
        ("30 € pro Stunde", (30, 30, "EUR", "hour", None)),
        ("45 000 € par an", (45_000, 45_000, "EUR", "year", None)),
        ("60 000 € brut annuel", (60_000, 60_000, "EUR", "year", None)),
        ("3 500 € par mois", (3_500, 3_500, "EUR", "month", None)),
        ("25 € de l'heure", (25, 25, "EUR", "hour", None)),
        ("$45per hour", (45, 45, "$", "hour", None)),  # "per" after a digit still counts
    ],
)
def test_period_words_start_a_word_and_german_and_french_ones_are_read(text, expected):
    assert _one(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Quebec French postings (Canada is a market of ours): "à" between the bounds, "par année"
        ("75 000 $ à 90 000 $ par année", (75_000, 90_000, "$", "year", None)),  # had read 75,000 alone
        ("De 60 000 $ à 70 000 $ par an", (60_000, 70_000, "$", "year", None)),
        ("entre 60 000 et 70 000 $", (60_000, 70_000, "$", None, None)),
        ("80 000 $ annuellement", (80_000, 80_000, "$", "year", None)),
        ("35,50 $ l'heure", (35.5, 35.5, "$", "hour", None)),
        ("1 200 $ par semaine", (1_200, 1_200, "$", "week", None)),
        ("60.000 bis 70.000 € pro Jahr", (60_000, 70_000, "EUR", "year", None)),
        # a typographic apostrophe groups thousands as the straight one does (Swiss style)
        ("CHF 100’000 - 120’000", (100_000, 120_000, "CHF", None, None)),  # had read 100
    ],
)
def test_french_and_german_ranges_and_swiss_apostrophes(text, expected):
    assert _one(text) == expected
