"""Unit tests for transforms.locations: codes, names and free-text locations."""
import polars as pl
import pytest

from transforms.locations import parse_locations
from transforms.reference import load_reference


def _one(value):
    row = parse_locations(pl.Series([value], dtype=pl.String), load_reference()).row(0, named=True)
    return row["country_code"], row["subdivision_code"], row["city_name"], row["is_remote"], row["location_error"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("CA", ("CA", None, None, False, None)),
        ("CAN", ("CA", None, None, False, None)),
        ("PL", ("PL", None, None, False, None)),
        ("United States", ("US", None, None, False, None)),
        ("Toronto, ON", ("CA", "CA-ON", "Toronto", False, None)),
        ("Vancouver, British Columbia, Canada", ("CA", "CA-BC", "Vancouver", False, None)),
        ("Remote - Canada", ("CA", None, None, True, None)),
        ("Bengaluru", ("IN", "IN-KA", "Bengaluru", False, None)),
        ("Bangalore, India", ("IN", "IN-KA", "Bengaluru", False, None)),
        ("San Francisco, CA", ("US", "US-CA", "San Francisco", False, None)),
        ("Albuquerque, NM", ("US", "US-NM", "Albuquerque", False, None)),
        ("London, UK", ("GB", "GB-ENG", "London", False, None)),
        ("Montreal, QC", ("CA", "CA-QC", "Montréal", False, None)),
        ("Maryland", ("US", "US-MD", None, False, None)),
        ("Lisbon, Portugal", ("PT", None, "Lisbon", False, None)),
        ("Remote", (None, None, None, True, "no_country")),
        ("", (None, None, None, False, "no_country")),
        (None, (None, None, None, False, "no_country")),
    ],
)
def test_locations_resolve_to_iso_codes(value, expected):
    assert _one(value) == expected


def test_ca_is_california_after_a_city_but_canada_alone():
    assert _one("San Diego, CA")[:2] == ("US", "US-CA")
    assert _one("CA")[:2] == ("CA", None)


def test_one_row_per_distinct_location():
    out = parse_locations(pl.Series(["CA", "CA", "Toronto, ON", None]), load_reference())
    assert out.height == 3
