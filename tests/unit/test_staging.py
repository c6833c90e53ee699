"""Staging: raw CSV / JSON lines / Parquet -> canonical text columns + rejects, never a crash."""
from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from transforms.specs import CANONICAL_FIELDS, SpecError, load_spec, resolve_files
from transforms.staging import decode_bytes, stage_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "specs"


def stage_fixture(name: str):
    spec = load_spec(FIXTURES / f"{name}.yaml")
    return spec, [stage_file(spec, path) for path in resolve_files(spec)]


def tiny_spec(folder: Path, fmt: str, data_name: str, extra: str = "") -> Path:
    spec = folder / "tiny.yaml"
    spec.write_text(f"""name: tiny
kind: salary_report
format: {fmt}
path: {data_name}
fields: {{job_title: title, pay: pay, country: country, year: year}}
{extra}""")
    return spec


def test_bom_crlf_and_a_blank_line_before_the_header_are_read_as_utf8():
    _, [staged] = stage_fixture("survey")
    assert staged.encoding == "utf-8-sig"
    assert staged.frame.get_column("job_title").to_list() == ["Data Scientist", "ML Engineer", "Data Analyst"]


def test_quoted_newlines_and_escaped_quotes_stay_inside_their_field():
    _, [staged] = stage_fixture("survey")
    frame = staged.frame
    assert frame.get_column("description").to_list() == ["uses python\nand sql", "plain", 'quote "inside"']
    assert frame.get_column("pay").to_list() == ["120000", "95000", "70,000"]


def test_a_row_with_too_many_fields_is_rejected_with_its_raw_text_and_row_number():
    _, [staged] = stage_fixture("survey")
    rejects = staged.rejects
    assert rejects.select("source", "source_file", "row_number", "reason").rows() == [
        ("survey", "survey.csv", 3, "malformed_row")]
    assert rejects.item(0, "raw") == "Broken Row,1,USD,US,2023,SE,x,extra"
    assert "8 fields where the header has 7" in rejects.item(0, "detail")
    assert staged.frame.get_column("row_number").to_list() == [1, 2, 4]
    assert staged.rows_read == 4


def test_raw_keeps_the_original_csv_record():
    _, [staged] = stage_fixture("survey")
    assert staged.frame.item(0, "raw") == 'Data Scientist,120000,USD,US,2023,SE,"uses python\nand sql"'


def test_value_recodings_and_constants_are_applied():
    _, [staged] = stage_fixture("survey")
    assert staged.frame.get_column("seniority").to_list() == ["Senior", "Mid", "Junior"]
    assert staged.frame.get_column("pay_period").unique().to_list() == ["year"]


def test_every_canonical_field_is_a_text_column_and_provenance_follows():
    _, [staged] = stage_fixture("survey")
    schema = staged.frame.schema
    assert all(schema[f] == pl.String for f in CANONICAL_FIELDS)
    assert list(schema)[-4:] == ["source", "source_file", "row_number", "raw"]
    assert staged.frame.get_column("pay_min").null_count() == staged.frame.height


def test_cp1252_bytes_are_detected_and_the_delimiter_is_honoured():
    _, [staged] = stage_fixture("postings_cp1252")
    assert staged.encoding == "cp1252"
    row = staged.frame.row(0, named=True)
    assert row["job_title"] == "Développeur logiciel"
    assert row["location"] == "Montréal, QC"
    assert row["company"] == "Société Générale – Canada"


def test_decoding_falls_back_to_latin1_for_bytes_cp1252_does_not_define():
    assert decode_bytes("é".encode("cp1252") + b"\x81") == ("é\x81", "latin-1")
    assert decode_bytes("Zoë".encode("utf-8")) == ("Zoë", "utf-8")


def test_jsonl_rows_are_staged_lists_joined_and_broken_lines_rejected():
    _, [staged] = stage_fixture("postings")
    frame = staged.frame
    assert frame.get_column("record_id").to_list() == ["a1", "a2", "a4"]
    assert frame.get_column("skills").to_list() == ["python, spark", None, "sql"]
    assert frame.get_column("pay_min").to_list() == ["100000", "60000", "65000"]
    assert frame.get_column("pay_max").to_list() == ["120000", "70000", None]
    assert frame.get_column("row_number").to_list() == [1, 2, 4]
    assert json.loads(frame.item(0, "raw"))["employer"] == "Acme Inc."
    assert staged.rejects.select("row_number", "reason").rows() == [(3, "malformed_row")]
    assert staged.rejects.item(0, "raw") == '{"id": "a3", "title": "broken", "min": 1'


def test_parquet_rows_are_staged_as_text_with_a_json_raw(tmp_path):
    pl.DataFrame({"title": ["A", "B"], "pay": [10.5, 20.0], "country": ["US", "CA"], "year": [2023, 2024],
                  "tags": [["x", "y"], []]}).write_parquet(tmp_path / "d.parquet")
    spec = load_spec(tiny_spec(tmp_path, "parquet", "d.parquet", "constants: {currency: USD}\n"))
    staged = stage_file(spec, tmp_path / "d.parquet")
    assert staged.frame.select("job_title", "pay", "year", "currency").rows() == [
        ("A", "10.5", "2023", "USD"), ("B", "20.0", "2024", "USD")]
    assert json.loads(staged.frame.item(1, "raw")) == {"title": "B", "pay": 20.0, "country": "CA", "year": 2024,
                                                       "tags": []}
    assert staged.rejects.height == 0


def test_a_mapped_column_missing_from_the_file_is_a_spec_error_naming_the_field(tmp_path):
    (tmp_path / "d.csv").write_text("title,salary,country,year\nA,1,US,2023\n")
    spec = load_spec(tiny_spec(tmp_path, "csv", "d.csv"))
    with pytest.raises(SpecError) as caught:
        stage_file(spec, tmp_path / "d.csv")
    assert caught.value.field == "fields.pay"
    assert str(caught.value).startswith(str(tmp_path / "tiny.yaml"))
    assert "'pay' not found in d.csv" in str(caught.value)


@pytest.mark.parametrize("content", [b"", b"\n\n", b"title,pay,country,year\n", b"\xef\xbb\xbftitle,pay,country,year"])
def test_an_empty_or_header_only_file_stages_zero_rows(tmp_path, content):
    (tmp_path / "d.csv").write_bytes(content)
    spec = load_spec(tiny_spec(tmp_path, "csv", "d.csv"))
    staged = stage_file(spec, tmp_path / "d.csv")
    assert staged.frame.height == 0 and staged.rejects.height == 0 and staged.rows_read == 0
    # the same columns and types as a file with a row: normalise and the later concat rely on them
    (tmp_path / "one.csv").write_text("title,pay,country,year\nA,1,US,2023\n")
    one = stage_file(spec, tmp_path / "one.csv")
    assert one.frame.height == 1 and staged.frame.schema == one.frame.schema
    assert staged.rejects.schema == one.rejects.schema


def test_an_unterminated_quote_rejects_the_rest_instead_of_crashing(tmp_path):
    (tmp_path / "d.csv").write_text('title,pay,country,year\nA,1,US,2023\n"B,2,US,2023\nC,3,US,2023\n')
    spec = load_spec(tiny_spec(tmp_path, "csv", "d.csv"))
    staged = stage_file(spec, tmp_path / "d.csv")
    assert staged.frame.get_column("job_title").to_list() == ["A"]
    assert staged.rejects.select("row_number", "reason").rows() == [(2, "malformed_row")]
    assert staged.rejects.item(0, "raw") == '"B,2,US,2023\nC,3,US,2023'


def test_a_row_with_too_few_fields_is_rejected(tmp_path):
    (tmp_path / "d.csv").write_text("title,pay,country,year\nA,1,US\nB,2,US,2024\n")
    spec = load_spec(tiny_spec(tmp_path, "csv", "d.csv"))
    staged = stage_file(spec, tmp_path / "d.csv")
    assert staged.rejects.select("row_number", "raw").rows() == [(1, "A,1,US")]
    assert staged.frame.select("row_number", "job_title").rows() == [(2, "B")]


@pytest.mark.parametrize("folder, name", [("run[1]", "d.parquet"), ("market [2026]", "d.parquet"),
                                          ("raw", "export[1].parquet")])
def test_a_parquet_file_is_read_by_its_own_path_not_as_a_glob(tmp_path, folder, name):
    """A raw Parquet file's path is a file, not a pattern: in a folder 'run[1]' (or named 'export[1].parquet')
    Polars' glob read the sibling 'run1' ('export1.parquet') in its place, another file's rows staged
    under this file's name; in 'market [2026]' it found nothing (exit 2: 'd.parquet is not a readable parquet file')."""
    from transforms.staging import check_header

    mine = pl.DataFrame({"title": ["Data Scientist"], "pay": ["100000"], "country": ["CA"], "year": ["2025"]})
    other = pl.DataFrame({"title": ["Chef"], "pay": ["1"], "country": ["FR"], "year": ["2020"], "extra": ["x"]})
    (tmp_path / folder).mkdir()
    mine.write_parquet(tmp_path / folder / name)
    decoy_folder = tmp_path / folder.replace("[", "").replace("]", "")
    decoy_folder.mkdir(exist_ok=True)
    other.write_parquet(decoy_folder / name.replace("[", "").replace("]", ""))
    spec = load_spec(tiny_spec(tmp_path / folder, "parquet", "'*.parquet'"))
    path = tmp_path / folder / name
    assert path in resolve_files(spec)
    check_header(spec, path)
    staged = stage_file(spec, path)
    assert staged.frame.select("job_title", "pay", "country", "year").rows() == [("Data Scientist", "100000", "CA", "2025")]
    assert json.loads(staged.frame.get_column("raw").item()) == mine.row(0, named=True)
