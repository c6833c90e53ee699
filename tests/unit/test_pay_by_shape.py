"""parse_pay_text (vectorised, one Python plan per digit shape) against the per-text reference.

`parse_pay_text` must give exactly what `_parse_one` gives on every distinct text
(`parse_pay_text_per_value`): same amounts (bit for bit), currency hint, period and error.
Compared on generated texts of the shapes the plans cover and near misses (hypothesis), on the
distinct pay texts of a generated synthetic market, and on the real Glassdoor strings.
"""
from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import SHARED_DATA
from transforms import pay
from transforms.pay import _parse_one, _shape_plan, parse_pay_text, parse_pay_text_per_value

COLUMNS = ["pay_min", "pay_max", "currency_hint", "period", "parse_error"]
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _same(values: list[str | None]) -> None:
    """Field-by-field equality of the two implementations, naming the first text that differs."""
    series = pl.Series(values, dtype=pl.String)
    fast, reference = parse_pay_text(series), parse_pay_text_per_value(series)
    assert fast.schema == reference.schema
    assert fast["pay_text"].to_list() == reference["pay_text"].to_list()
    for row_fast, row_ref in zip(fast.iter_rows(named=True), reference.iter_rows(named=True)):
        for column in COLUMNS:
            a, b = row_fast[column], row_ref[column]
            same = (a == b and (not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b))) or (
                a is None and b is None)
            assert same, f"{row_ref['pay_text']!r}: {column} {a!r} (by shape) != {b!r} (_parse_one)"
    assert fast.equals(reference)


# --- generated texts ------------------------------------------------------------------------
digits = st.text(alphabet="0123456789", min_size=1, max_size=7)
numbers = st.one_of(
    digits,
    st.builds(lambda a, b: f"{a},{b}", st.integers(1, 999), st.integers(0, 999).map(lambda x: f"{x:03d}")),
    st.builds(lambda a, b: f"{a}.{b}", st.integers(0, 999), st.integers(0, 999).map(lambda x: f"{x:03d}")),
    st.builds(lambda a, b: f"{a}.{b}", st.integers(0, 9999), st.text(alphabet="0123456789", min_size=1, max_size=4)),
    st.builds(lambda a, b: f"{a},{b}", st.integers(0, 9999), st.text(alphabet="0123456789", min_size=1, max_size=4)),
    st.builds(lambda a, b, c: f"{a},{b:02d},{c:03d}", st.integers(1, 99), st.integers(0, 99), st.integers(0, 999)),
    st.builds(lambda a, b, c: f"{a}.{b:03d},{c}", st.integers(1, 999), st.integers(0, 999), st.integers(0, 99)),
    st.builds(lambda a, b: f"{a}\u00a0{b:03d}", st.integers(1, 999), st.integers(0, 999)),
    st.builds(lambda a, b: f"{a} {b:03d}", st.integers(1, 999), st.integers(0, 999)),
    st.builds(lambda a, b: f"{a}'{b:03d}", st.integers(1, 999), st.integers(0, 999)),
    st.text(alphabet="0123456789,.' \u00a0\u202f", min_size=1, max_size=12),  # near misses
    st.sampled_from(["0", "00", "0.500", "1.500", "0,5", "1e5", "1E-3", "9" * 310, "١٢٣", "𝟗", "٫", "-1"]),
)
markers = st.sampled_from(["", "$", "US$", "CA$", "C$", "A$", "AU$", "NZ$", "£", "€", "₹", "¥", "₩", "zł", "Kč",
                           "USD ", "CAD ", "EUR", " GBP", "INR ", "Rs. ", "rs", "XYZ ", "R$", "-", "$-", "(", "−"])
suffixes = st.sampled_from(["", "K", "k", "M", "m", " lakh", " LPA", " lacs", " crore", " Cr", "Km", " €", " EUR"])
separators = st.sampled_from(["-", " - ", "–", "—", " to ", " and ", "~", "/", " ", " or ", " plus ", ", ", "--"])
periods = st.sampled_from(["", " a year", " per year", " per annum", " p.a.", " an hour", " per hour", "/hr", "/h",
                           " hourly", " per day", " daily", "/month", " pm", " p.m.", " monthly", " weekly", " /wk",
                           " (Glassdoor est.)", " (Employer est.)", " plus 10% bonus", " yearly", " Per Hour"])
prefixes = st.sampled_from(["", "Employer Provided Salary:", "Salary: ", "up to ", "From ", " ", "Approx. "])


@st.composite
def pay_texts(draw) -> str:
    text = draw(prefixes) + draw(markers) + draw(numbers) + draw(suffixes)
    if draw(st.booleans()):
        text += draw(separators) + draw(markers) + draw(numbers) + draw(suffixes)
    return text + draw(periods)


@SETTINGS
@given(st.lists(st.one_of(pay_texts(), st.text(max_size=30), st.none()), min_size=1, max_size=40))
@example(["$53K-$91K (Glassdoor est.)", "$28.50 an hour", "€60.000–€75.000", "₹25,00,000 - ₹35,00,000 per annum",
          "$50-60K", "₹10-15 LPA", "₹1-2 crore", "10 - 15 Cr", "0.500", "1.500", "-1", " -1 ", "$-5", "1" * 400,
          "١٢٣", "$1e308", None, ""])
def test_by_shape_equals_parse_one_on_generated_texts(values):
    _same(values)


def test_by_shape_equals_parse_one_on_a_grid_of_forms():
    """Every pairing of bound forms (numbers x multipliers) around each separator, with markers."""
    bounds = [f"{n}{s}" for n in ("1", "5", "50", "999", "1000", "60,000", "0.500", "1.500", "12.50", "25,00,000", "1.234,5")
              for s in ("", "K", "m", " LPA", " crore")]
    texts = [f"{m}{a}{sep}{m}{b}{p}" for m, p in (("$", ""), ("₹", " per annum"), ("", " an hour"))
             for a in bounds for b in bounds for sep in ("-", " to ", " x ")]
    assert len(texts) > 20_000
    _same(texts)


@SETTINGS
@given(st.lists(pay_texts(), min_size=1, max_size=20))
def test_digit_values_never_change_the_plan_decisions(values):
    """currency_hint and detect_period read no digit value: a text and its shape agree."""
    for text in values:
        shape = "".join("0" if "0" <= ch <= "9" else ch for ch in text)
        assert pay.currency_hint(text) == pay.currency_hint(shape)
        assert pay.detect_period(text) == pay.detect_period(shape)


def test_the_plans_cover_the_common_shapes_without_per_text_parsing(monkeypatch):
    calls = []
    monkeypatch.setattr(pay, "_parse_one", lambda text: calls.append(text) or _parse_one(text))
    out = parse_pay_text(pl.Series(["$53K-$91K", "$118K-$154K", "€60.000–€75.000", "£70k-£87k", "-1", "abc"]))
    assert calls == ["-1"]  # a missing marker with a digit is the only shape read text by text
    assert out.filter(pl.col("pay_text") == "$118K-$154K").row(0, named=True)["pay_max"] == 154_000.0


def test_shape_plans_name_their_exceptions():
    assert _shape_plan("-0")["plan"] == "per_text"  # "-1" is a missing marker, "-5" an amount
    assert _shape_plan("١٢٣")["plan"] == "per_text"  # float() reads Arabic-Indic digits
    assert _shape_plan("0" * 301)["plan"] == "per_text"  # float() overflows past 308 digits
    assert _shape_plan("$00K-$00K")["plan"] == "amounts"
    assert _shape_plan("n/a") == {**_shape_plan("n/a"), "plan": "done", "parse_error": "no_pay"}
    assert _shape_plan("0.0.0,0,0")["parse_error"] == "unparseable"


# --- synthetic market and real strings ------------------------------------------------------
@pytest.fixture(scope="module")
def synthetic_pay_texts(tmp_path_factory) -> list[str]:
    from transforms.synthetic import generate_market

    out = tmp_path_factory.mktemp("pay-market")
    generate_market(rows=20_000, seed=11, out=out)
    frames = [pl.read_ndjson(path) for path in sorted((out / "raw").glob("board_*/part-*.jsonl"))]
    return pl.concat([f.select("salary") for f in frames]).get_column("salary").unique().to_list()


def test_by_shape_equals_parse_one_on_a_synthetic_market(synthetic_pay_texts):
    assert len(synthetic_pay_texts) > 5_000
    _same(synthetic_pay_texts)


def test_by_shape_equals_parse_one_on_real_glassdoor_strings():
    path = SHARED_DATA / "glassdoor-ds-jobs-2020" / "glassdoor_jobs.csv"
    if not path.exists():
        pytest.skip("shared real data not present")
    values = pl.read_csv(path, columns=["Salary Estimate"], infer_schema=False)["Salary Estimate"].unique().to_list()
    assert len(values) > 300
    _same(values)
