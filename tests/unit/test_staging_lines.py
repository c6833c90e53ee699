"""Staging's Polars line splitting against the Python reference it replaced.

`_decoded_lines` checks and splits valid UTF-8 in Polars (line endings replaced on the bytes) and
hands anything else to `decode_bytes`; the answer must be `decode_bytes` followed by the Python
line-ending replacements and `str.split("\\n")`. `_records` answers files without quoted
newlines line by line; that must equal the general grouping, and records must end where Python's
csv state machine ends them (a quote inside an unquoted field is literal).
"""
from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from transforms.staging import _decoded_lines, _grouped_records, _records, decode_bytes

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
pieces = st.sampled_from([b"a", b"\n", b"\r", b"\r\n", b"\xef\xbb\xbf", b"\xc3\xa9", b"\xe9", b"\x81", b"\x00", b'"',
                          b",", b" ", b"\xff\xfe", b"\xfe\xff", b"\xe2\x82\xac", b"\xed\xa0\x80", b"{}", b"x,y"])
blobs = st.lists(pieces, max_size=25).map(b"".join) | st.binary(max_size=40)


def _reference(data: bytes, encoding: str, lone_cr: bool) -> tuple[list[str], str]:
    text, used = decode_bytes(data, encoding)
    text = text.replace("\r\n", "\n")
    if lone_cr:
        text = text.replace("\r", "\n")
    return text.split("\n"), used


@SETTINGS
@given(blobs, st.sampled_from(["auto", "utf-8", "latin-1", "cp1252"]), st.booleans())
@example(b"\xef\xbb\xbfa,b\r\n1,2\r\n", "auto", True)
@example(b"\xef\xbb\xbfa\r\n", "utf-8", False)
@example("é".encode("cp1252") + b"\x81\r\n", "auto", False)
@example(b"a\rb\r\n", "auto", False)
@example(b"a\rb\r\n", "auto", True)
def test_decoded_lines_equal_decode_bytes_then_python_split(data, encoding, lone_cr):
    try:
        expected = _reference(data, encoding, lone_cr)
    except UnicodeDecodeError:
        try:
            _decoded_lines(data, encoding, lone_cr=lone_cr)
        except UnicodeDecodeError:
            return
        raise AssertionError("decode_bytes raised, _decoded_lines did not")
    lines, used = _decoded_lines(data, encoding, lone_cr=lone_cr)
    assert (lines.to_list(), used) == expected


lines_strategy = st.lists(st.text(alphabet='ab,"; ', max_size=8), max_size=30)


@SETTINGS
@given(lines_strategy)
@example(['a,"b', 'c",d', "", "  "])
def test_records_line_by_line_equal_the_general_grouping(lines):
    series = pl.Series("line", lines, dtype=pl.String)
    assert _records(series).equals(_grouped_records(series))


def _reference_ends(lines: list[str], delimiter: str = ",") -> list[bool]:
    """Whether each line ends a CSV record: the character-by-character state machine of Python's csv
    reader (a quote opens a field only at its start; "" inside is a quote; other quotes are literal)."""
    ends, state = [], "start"
    for line in lines:
        if state != "quoted":
            state = "start"
        for char in line:
            if state == "start":
                state = "quoted" if char == '"' else "start" if char == delimiter else "field"
            elif state == "field":
                state = "start" if char == delimiter else "field"
            elif state == "quoted":
                state = "quote_in_quoted" if char == '"' else "quoted"
            else:  # a quote in a quoted field: "" goes on, a delimiter ends the field, text follows it
                state = "quoted" if char == '"' else "start" if char == delimiter else "field"
        ends.append(state != "quoted")
    return ends


@SETTINGS
@given(lines_strategy)
@example(['Data 5" Scientist,1', "b,2", '"x', 'y",3'])
@example(['a",b,"c', "d", 'e"'])
@example(['"a""', '",b'])
def test_records_end_where_pythons_csv_state_machine_ends_them(lines):
    """Lines group into records exactly where the reference state machine ends one; each record parses
    with Python's csv into the same fields as its lines would."""
    series = pl.Series("line", lines, dtype=pl.String)
    ends = _reference_ends(lines)
    groups, current = [], []
    for line, end in zip(lines, ends):
        current.append(line)
        if end:
            groups.append(("\n".join(current), True))
            current = []
    if current:
        groups.append(("\n".join(current), False))
    expected = [(raw.rstrip("\n"), closed) for raw, closed in groups if raw.rstrip("\n").strip()]
    assert _records(series).rows() == expected
