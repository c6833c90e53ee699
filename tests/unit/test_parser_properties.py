"""Property-based tests: the parsers never raise on arbitrary text and keep their invariants."""
import math

import polars as pl
import pycountry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transforms.currency import iso_currencies, resolve_currency
from transforms.locations import parse_locations
from transforms.pay import ANNUALISATION_FACTORS, parse_pay_text
from transforms.reference import load_reference
from transforms.titles import map_titles

ALPHA2 = frozenset(c.alpha_2 for c in pycountry.countries)
TRICKY = ["", " ", "-1", "1e16", "NaN", "nan", "inf", "-inf", "$1e308", "1" * 400, "$0", "€", "$", "CA", "Remote",
          "₹25,00,000", "$-5", "—", "\x00", "ＣＡ＄９０，０００", "١٢٣", "$1,2,3,4", "10K-5K", "𝟗𝟗𝟗",
          "Sr. Sr. Senior", "(", ")", "((((", "Head of", "of", "I II III", "Lead, Lead", ",", ", ,"]
texts = st.one_of(st.text(max_size=60), st.sampled_from(TRICKY),
                  st.builds(lambda a, b, c: f"{a}{b}{c}", st.sampled_from(["$", "£", "CA$", "₹", "", "USD "]),
                            st.floats(allow_nan=True, allow_infinity=True).map(str) | st.integers().map(str),
                            st.sampled_from(["", "K", " an hour", "/month", " - $9", "k-£1k", " per annum"])))
batches = st.lists(st.one_of(st.none(), texts), min_size=1, max_size=12)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(batches)
def test_pay_parsing_never_raises_and_amounts_are_ordered_positive_and_finite(values):
    out = parse_pay_text(pl.Series(values, dtype=pl.String))
    assert out.height == len(set(values))
    for row in out.iter_rows(named=True):
        if row["parse_error"] is None:
            assert math.isfinite(row["pay_min"]) and math.isfinite(row["pay_max"])
            assert 0 < row["pay_min"] <= row["pay_max"]
        else:
            assert row["pay_min"] is None and row["pay_max"] is None
        # an ISO code, "$" or "¥" (resolved through the country later: CAD/USD..., CNY/JPY), none, or an
        # unknown three-letter code written next to a number ("XYZ 152,000", "0AAA": named, so rejected
        # later as unknown_currency, never assumed)
        hint = row["currency_hint"]
        assert hint in iso_currencies() | {"$", "¥", None} or (
            len(hint) == 3 and hint.isascii() and hint.isupper() and hint in row["pay_text"])
        assert row["period"] in set(ANNUALISATION_FACTORS) | {None}


@FAST
@given(batches)
def test_location_parsing_never_raises_and_codes_are_valid_iso(values):
    out = parse_locations(pl.Series(values, dtype=pl.String), load_reference())
    assert out.height == len(set(values))
    for row in out.iter_rows(named=True):
        assert (row["country_code"] is None) == (row["location_error"] is not None)
        assert row["country_code"] is None or row["country_code"] in ALPHA2
        if row["subdivision_code"] is not None:
            assert row["subdivision_code"].startswith(row["country_code"] + "-")
        assert isinstance(row["is_remote"], bool)


@FAST
@given(batches)
def test_title_mapping_never_raises_and_returns_known_roles(values):
    ref = load_reference()
    out = map_titles(pl.Series(values, dtype=pl.String), ref)
    assert out.height == len(set(values))
    assert set(out["role"]) <= {r.role for r in ref.roles} | {ref.catch_all.role}
    assert set(out["seniority"].drop_nulls()) <= {s.name for s in ref.seniority_levels}
    assert set(out["match_method"]) <= {"alias", "keyword", "fuzzy", "catch_all"}
    assert out["match_score"].is_between(0, 100).all()


@FAST
@given(st.lists(st.tuples(st.one_of(st.none(), texts), st.one_of(st.none(), st.sampled_from(sorted(ALPHA2)), texts)),
                min_size=1, max_size=12))
def test_currency_resolution_never_raises_and_gives_iso_4217_or_an_error(pairs):
    frame = pl.DataFrame({"currency_raw": [p[0] for p in pairs], "country_code": [p[1] for p in pairs]},
                         schema={"currency_raw": pl.String, "country_code": pl.String})
    out = resolve_currency(frame)
    assert out.height == frame.height
    for row in out.iter_rows(named=True):
        assert (row["currency"] is None) == (row["currency_error"] is not None)
        assert row["currency"] is None or row["currency"] in iso_currencies()
