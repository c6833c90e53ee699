"""Staging a large file in pieces (`stage_chunks`) against staging it whole (`stage_file`).

The stage step stages and normalises each raw file piece by piece so that memory holds ~32 MB of
the file rather than all of it. The pieces, concatenated, must be exactly what the whole file
gives: the same canonical rows with the same row numbers and raw text, the same rejects with the
same reasons; and normalising piece by piece must give the same observations.
"""
from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from transforms.normalise import normalise
from transforms.reference import load_reference
from transforms.specs import SpecError, load_spec, resolve_files
from transforms.staging import _piece_bounds, stage_chunks, stage_file
from tests.unit.test_staging_lines import _reference_ends

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                         HealthCheck.function_scoped_fixture])
AS_OF = "2026-03-01"


def _joined(pieces) -> tuple[pl.DataFrame, pl.DataFrame]:
    pieces = list(pieces)
    return (pl.concat([p.frame for p in pieces]), pl.concat([p.rejects for p in pieces]))


def _assert_same(spec, path: Path, chunk_bytes: int) -> int:
    whole = stage_file(spec, path)
    pieces = list(stage_chunks(spec, path, chunk_bytes=chunk_bytes))
    frame, rejects = _joined(pieces)
    assert frame.equals(whole.frame)
    assert rejects.equals(whole.rejects)
    assert pieces[0].encoding == whole.encoding
    return len(pieces)


@pytest.fixture(scope="module")
def market(tmp_path_factory) -> Path:
    """A synthetic market like the embedded one (its three sources, all their pay and title shapes)."""
    from transforms.synthetic import generate_market

    out = tmp_path_factory.mktemp("pieces-market")
    generate_market(rows=30_000, seed=7, out=out)
    return out


@pytest.mark.parametrize("source", ["salary_reports", "board_a", "board_b"])
def test_synthetic_sources_staged_and_normalised_in_pieces_equal_the_whole_file(market, source):
    from datetime import date

    spec = load_spec(market / "sources" / f"{source}.yaml")
    path = resolve_files(spec)[0]
    chunk_bytes = path.stat().st_size // 7  # 7-8 pieces
    assert _assert_same(spec, path, chunk_bytes) >= 7
    ref, as_of = load_reference(), date.fromisoformat(AS_OF)
    whole = normalise(stage_file(spec, path).frame, spec, ref, as_of=as_of)
    parts = [normalise(p.frame, spec, ref, as_of=as_of) for p in stage_chunks(spec, path, chunk_bytes=chunk_bytes)]
    assert pl.concat([p.observations for p in parts]).equals(whole.observations)
    assert pl.concat([p.rejects for p in parts]).equals(whole.rejects)


def _spec(folder: Path, fmt: str, name: str) -> object:
    (folder / "s.yaml").write_text(f"""name: s
kind: salary_report
format: {fmt}
path: {name}
fields: {{job_title: title, pay: pay, country: country}}
constants: {{year: "2024"}}
""")
    return load_spec(folder / "s.yaml")


def _assert_pieces_equal_whole_or_both_fail(spec, path: Path, chunk_bytes: int) -> None:
    try:
        whole = stage_file(spec, path)
    except SpecError:
        with pytest.raises(SpecError):
            _joined(stage_chunks(spec, path, chunk_bytes=chunk_bytes))
        return
    frame, rejects = _joined(stage_chunks(spec, path, chunk_bytes=chunk_bytes))
    assert frame.equals(whole.frame)
    assert rejects.equals(whole.rejects)


csv_lines = st.sampled_from([
    "Engineer,100,US", "Analyst,\"1,000\",CA", "\"Data\nScientist\",5,GB", "bad,row", "x,y,z,extra", "",
    "   ", "\"unclosed,3,US", "q\"\"x,1,\"DE\"", "Manager,\"multi\n\nline\",FR", "Développeur,9,FR", "a,b,\"c\"\"\"",
    "Data 5\" Scientist,7,US", "TV 55\",8,US", "a\",b,\"c",  # quotes inside unquoted fields are literal
])


@SETTINGS
@given(rows=st.lists(csv_lines, max_size=30), newline=st.sampled_from(["\n", "\r\n"]),
       chunk=st.integers(1, 60), lead=st.sampled_from(["", "\n", "\ufeff"]))
@example(rows=["Engineer,100,US", "\"unclosed,3,US", "Analyst,2,CA"], newline="\n", chunk=5, lead="")
@example(rows=["\"Data\nScientist\",5,GB"] * 3, newline="\r\n", chunk=3, lead="\ufeff")
@example(rows=["Data 5\" Scientist,7,US", "Engineer,100,US", "\"Data\nScientist\",5,GB", "Engineer,100,US"],
         newline="\n", chunk=20, lead="")
def test_csv_in_pieces_equals_the_whole_file(tmp_path, rows, newline, chunk, lead):
    path = tmp_path / "d.csv"
    path.write_bytes((lead + newline.join(["title,pay,country", *rows]) + newline).encode("utf-8"))
    spec = _spec(tmp_path, "csv", "d.csv")
    _assert_pieces_equal_whole_or_both_fail(spec, path, chunk)


json_lines = st.sampled_from([
    '{"title": "Engineer", "pay": "100", "country": "US"}', '{"title": "Analyst", "pay": "90"}',
    '{"country": "CA", "extra": {"k": 1}}', "not json", "[1, 2]", "", "  ", '{"title": "Dév\\nx", "pay": null}',
])


@SETTINGS
@given(rows=st.lists(json_lines, max_size=30), chunk=st.integers(1, 120))
def test_json_lines_in_pieces_equal_the_whole_file(tmp_path, rows, chunk):
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    spec = _spec(tmp_path, "jsonl", "d.jsonl")
    _assert_pieces_equal_whole_or_both_fail(spec, path, chunk)


def test_a_key_found_only_in_a_later_piece_is_null_in_earlier_ones_and_missing_everywhere_is_a_spec_error(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"title": "A", "pay": "1"}\n' * 5 + '{"title": "B", "pay": "2", "country": "US"}\n')
    spec = _spec(tmp_path, "jsonl", "d.jsonl")
    pieces = list(stage_chunks(spec, path, chunk_bytes=30))
    assert len(pieces) > 2
    frame, _ = _joined(pieces)
    assert frame.get_column("country").to_list() == [None] * 5 + ["US"]
    assert frame.equals(stage_file(spec, path).frame)
    path.write_text('{"title": "A", "pay": "1"}\n' * 6)
    with pytest.raises(SpecError, match="'country' not found"):
        _joined(stage_chunks(spec, path, chunk_bytes=30))


def test_files_that_cannot_be_cut_exactly_are_staged_whole(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("title,pay,country\n")
    spec = _spec(tmp_path, "csv", "d.csv")
    cases = {
        "cp1252": "title,pay,country\nDéveloppeur,1,FR\nEngineer,2,US\n".encode("cp1252"),
        "lone carriage returns": b"title,pay,country\rEngineer,1,US\rAnalyst,2,CA\r",
        "utf-16": "title,pay,country\nEngineer,1,US\nAnalyst,2,CA\n".encode("utf-16"),
    }
    for name, data in cases.items():
        path.write_bytes(data)
        pieces = list(stage_chunks(spec, path, chunk_bytes=8))
        assert len(pieces) == 1, name
        whole = stage_file(spec, path)
        assert pieces[0].frame.equals(whole.frame) and pieces[0].encoding == whole.encoding, name


@SETTINGS
@given(data=st.lists(st.sampled_from([b"a", b",", b'"', b"\n", b"\r\n", b"xyz"]), max_size=40).map(b"".join),
       chunk=st.integers(1, 20), quoted=st.booleans())
def test_pieces_cover_the_file_and_end_between_lines_and_records(data, chunk, quoted):
    bounds, exact = _piece_bounds(io.BytesIO(data), chunk, quoted=quoted)
    assert b"".join(data[s:e] for s, e in bounds) == data
    assert all(s < e for s, e in bounds)
    for _, end in bounds[:-1]:
        assert data[end - 1:end] == b"\n"
        if quoted:  # between records: no quoted field open (a quote inside an unquoted field is literal)
            assert _reference_ends(data[:end - 1].decode().replace("\r\n", "\n").split("\n"))[-1]
    lone_cr = data.count(b"\r") != data.count(b"\r\n")
    assert exact == (not (quoted and lone_cr))  # every blob here is ASCII


def test_a_record_the_csv_parser_refuses_is_rejected_not_a_crash(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('title,pay,country\nEngineer,1,US\n"unclosed,3,US\n"unclosed,3,US\nAnalyst,2,CA\n')
    spec = _spec(tmp_path, "csv", "d.csv")
    staged = stage_file(spec, path)
    assert staged.frame.get_column("job_title").to_list() == ["Engineer", "Analyst"]
    assert staged.frame.get_column("row_number").to_list() == [1, 3]
    assert staged.rejects.select("row_number", "reason").rows() == [(2, "malformed_row")]
    assert staged.rejects.item(0, "raw") == '"unclosed,3,US\n"unclosed,3,US'
    assert "closing quote" in staged.rejects.item(0, "detail")
