"""Unit tests for transforms.currency: ISO codes and symbols, '$' by country, FX attachment."""
import datetime as dt

import polars as pl
import pytest

from transforms import fx
from transforms.currency import attach_fx, cross_rate, resolve_currency


def _resolve(raw, country):
    out = resolve_currency(pl.DataFrame({"currency_raw": [raw], "country_code": [country]},
                                        schema={"currency_raw": pl.String, "country_code": pl.String}))
    return out["currency"][0], out["currency_error"][0]


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [("USD", "FR", "USD"), ("cad", "US", "CAD"), ("C$", "US", "CAD"), ("CA$", None, "CAD"), ("US$", "CA", "USD"),
     ("£", None, "GBP"), ("€", "US", "EUR"), ("₹", None, "INR"), ("Rs", None, "INR"), ("A$", None, "AUD"),
     ("¥", "JP", "JPY"), ("$", "US", "USD"), ("$", "CA", "CAD"), ("$", "AU", "AUD"), ("$", "NZ", "NZD"),
     ("$", "SG", "SGD"), ("$", "MX", "MXN"), ("$", "HK", "HKD")],
)
def test_codes_and_symbols_resolve_to_iso_4217(raw, country, expected):
    assert _resolve(raw, country) == (expected, None)


def test_bare_dollar_without_a_dollar_country_is_an_error_not_usd():
    assert _resolve("$", "FR") == (None, "ambiguous_dollar")
    assert _resolve("$", None) == (None, "ambiguous_dollar")


def test_unknown_code_is_an_error():
    assert _resolve("XYZ", "US") == (None, "unknown_currency")


def test_resolution_keeps_input_rows_and_order():
    frame = pl.DataFrame({"currency_raw": ["$", "EUR", "$", "$"], "country_code": ["CA", "DE", "US", "CA"],
                          "n": [1, 2, 3, 4]})
    out = resolve_currency(frame)
    assert out["n"].to_list() == [1, 2, 3, 4]
    assert out["currency"].to_list() == ["CAD", "EUR", "USD", "CAD"]


def _independent_usd_per_unit(currency: str, day: dt.date) -> float:
    """USD per unit from the raw ECB table, computed without the attach_fx join."""
    rates = fx.load_fx().filter((pl.col("currency") == currency) & (pl.col("date") <= day)).sort("date")
    return rates["usd_per_unit"][-1]


def test_daily_rate_is_the_last_ecb_day_on_or_before_the_posting_date():
    rows = pl.DataFrame({"currency_original": ["EUR"], "currency_local": ["CAD"],
                         "posted_date": [dt.date(2024, 3, 10)], "year": [2024]})  # a Sunday
    out = attach_fx(rows).collect().row(0, named=True)
    assert out["fx_rate_date"] == dt.date(2024, 3, 8)
    assert out["fx_method"] == "daily"
    assert out["fx_rate_usd"] == pytest.approx(_independent_usd_per_unit("EUR", dt.date(2024, 3, 10)))
    expected_local = (_independent_usd_per_unit("EUR", dt.date(2024, 3, 10))
                      / _independent_usd_per_unit("CAD", dt.date(2024, 3, 10)))
    assert out["fx_rate_local"] == pytest.approx(expected_local)


def test_yearly_average_is_the_mean_of_that_years_daily_rates():
    out = attach_fx(pl.DataFrame({"currency_original": ["GBP"], "currency_local": ["GBP"], "posted_date": [None],
                                  "year": [2023]}, schema_overrides={"posted_date": pl.Date})).collect()
    daily = fx.load_fx().filter((pl.col("currency") == "GBP") & (pl.col("date").dt.year() == 2023))
    assert out["fx_rate_usd"][0] == pytest.approx(daily["usd_per_unit"].mean())
    assert out["fx_rate_date"][0] == daily["date"].max()
    assert out["fx_method"][0] == "yearly_average"
    assert out["fx_rate_local"][0] == 1.0


def test_usd_to_usd_is_identity_and_never_missing():
    out = attach_fx(pl.DataFrame({"currency_original": ["USD"], "currency_local": ["USD"], "posted_date": [None],
                                  "year": [1950]}, schema_overrides={"posted_date": pl.Date})).collect()
    assert (out["fx_rate_usd"][0], out["fx_rate_local"][0], out["fx_method"][0], out["fx_error"][0]) == \
        (1.0, 1.0, "identity", None)


def test_missing_rates_are_errors_with_no_one_to_one_fallback():
    rows = pl.DataFrame({"currency_original": ["EUR", "XXX", "CAD"], "currency_local": ["EUR", "USD", "CAD"],
                         "posted_date": [dt.date(1990, 1, 2), None, None], "year": [1990, 2024, 2090]})
    out = attach_fx(rows).collect()
    assert out["fx_error"].to_list() == ["fx_rate_missing"] * 3
    assert out["fx_rate_usd"].is_null().all()


def test_a_gap_longer_than_seven_days_is_missing():
    last = fx.load_fx().filter(pl.col("currency") == "EUR")["date"].max()
    rows = pl.DataFrame({"currency_original": ["EUR", "EUR"], "currency_local": ["USD", "USD"],
                         "posted_date": [last + dt.timedelta(days=7), last + dt.timedelta(days=8)],
                         "year": [last.year, last.year]})
    assert attach_fx(rows).collect()["fx_error"].to_list() == [None, "fx_rate_missing"]


def test_cross_rate_to_a_local_currency_goes_through_usd():
    eur_usd = _independent_usd_per_unit("EUR", dt.date(2024, 6, 3))
    inr_usd = _independent_usd_per_unit("INR", dt.date(2024, 6, 3))
    assert cross_rate("EUR", "INR", on_date=dt.date(2024, 6, 3)) == pytest.approx(eur_usd / inr_usd)


def test_attach_fx_keeps_the_input_row_order():
    days = [dt.date(2024, 1, d) for d in (20, 3, 15, 9)]
    rows = pl.DataFrame({"currency_original": ["EUR", "GBP", "USD", "EUR"], "currency_local": ["EUR"] * 4,
                         "posted_date": days, "year": [2024] * 4, "n": [0, 1, 2, 3]})
    assert attach_fx(rows).collect()["n"].to_list() == [0, 1, 2, 3]
