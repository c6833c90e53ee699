"""Unit tests for the ingest bugs the hostile corpus found (one test per fix, tiny inputs)."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from transforms.normalise import normalise
from transforms.reference import load_reference
from transforms.specs import CANONICAL_FIELDS, SourceSpec, SpecError, load_spec
from transforms.staging import MIXED_ENCODING, decode_bytes, repair_mojibake, stage_file

AS_OF = date(2026, 1, 1)


def write_spec(folder: Path, data_name: str, fmt: str = "csv", extra: str = "") -> SourceSpec:
    (folder / "spec.yaml").write_text(f"""name: fixes
kind: salary_report
format: {fmt}
path: {data_name}
fields: {{job_title: title, pay: salary, country: country, year: year}}
constants: {{currency: USD}}
{extra}""", encoding="utf-8")
    return load_spec(folder / "spec.yaml")


def test_a_utf16_file_with_its_byte_order_mark_is_decoded_as_utf16():
    text = "title,salary\nIngénieur,1\n"
    assert decode_bytes(text.encode("utf-16")) == (text, "utf-16")
    assert decode_bytes(text.encode("utf-16-be").join([b"\xfe\xff", b""])) == (text, "utf-16")
    assert decode_bytes(text.encode("utf-32")) == (text, "utf-32")


def test_utf8_lines_mixed_with_cp1252_lines_each_decode_in_their_own_encoding():
    data = "Développeur\n".encode("utf-8") + "Ingénieur – data\n".encode("cp1252")
    assert decode_bytes(data) == ("Développeur\nIngénieur – data\n", MIXED_ENCODING)


def test_a_file_that_is_entirely_cp1252_is_still_reported_as_cp1252():
    data = "Société Générale – Canada\n".encode("cp1252")
    assert decode_bytes(data) == ("Société Générale – Canada\n", "cp1252")


def test_mojibake_is_repaired_only_when_the_round_trip_is_exact():
    frame = pl.DataFrame({"t": ["DÃ©veloppeur", "SÃ£o Paulo", "São Paulo", "Ãa", "MÃ¼nchen â€“ Ã¼ber",
                                "MÃ¼nchen – Ã¼ber", None]})
    repaired = repair_mojibake(frame, ["t"])
    assert repaired.get_column("t").to_list() == [
        "Développeur", "São Paulo", "São Paulo", "Ãa", "München – über",
        "MÃ¼nchen – Ã¼ber",  # genuine '–' next to mojibake: no exact round trip, left as given
        None]
    assert frame.get_column("t").to_list()[0] == "DÃ©veloppeur"  # input untouched


def test_nul_characters_are_removed_from_staged_values_but_kept_in_raw(tmp_path):
    (tmp_path / "d.csv").write_bytes(b"title,salary,country,year\nData\x00 Scientist,100\x00000,US,2024\n")
    staged = stage_file(write_spec(tmp_path, "d.csv"), tmp_path / "d.csv")
    assert staged.frame.select("job_title", "pay").row(0) == ("Data Scientist", "100000")
    assert "\x00" in staged.frame.item(0, "raw")


def test_a_mapped_column_named_twice_in_the_header_is_a_spec_error_naming_the_field(tmp_path):
    (tmp_path / "d.csv").write_text("title,salary,salary,country,year\nA,1,2,US,2024\n")
    with pytest.raises(SpecError) as caught:
        stage_file(write_spec(tmp_path, "d.csv"), tmp_path / "d.csv")
    assert caught.value.field == "fields.pay"
    assert "'salary' appears 2 times in the header of d.csv" in str(caught.value)


def test_an_unmapped_column_named_twice_is_harmless(tmp_path):
    (tmp_path / "d.csv").write_text("title,salary,note,note,country,year\nA,1,x,y,US,2024\n")
    staged = stage_file(write_spec(tmp_path, "d.csv"), tmp_path / "d.csv")
    assert staged.frame.select("job_title", "pay").rows() == [("A", "1")]


def test_a_file_that_is_not_parquet_is_a_spec_error_naming_the_path(tmp_path):
    (tmp_path / "d.parquet").write_text("title,salary\nA,1\n")
    with pytest.raises(SpecError) as caught:
        stage_file(write_spec(tmp_path, "d.parquet", "parquet"), tmp_path / "d.parquet")
    assert caught.value.field == "path"
    assert "d.parquet is not a readable parquet file" in str(caught.value)


def test_a_json_line_nested_deeper_than_the_stack_is_a_malformed_row(tmp_path):
    good = json.dumps({"title": "A", "salary": "1", "country": "US", "year": "2024"})
    (tmp_path / "d.jsonl").write_text(f"{good}\n{'[' * 50_000}{']' * 50_000}\n{good}\n")
    staged = stage_file(write_spec(tmp_path, "d.jsonl", "jsonl"), tmp_path / "d.jsonl")
    assert staged.frame.get_column("row_number").to_list() == [1, 3]
    assert staged.rejects.select("row_number", "reason").rows() == [(2, "malformed_row")]


def test_a_null_struct_value_in_parquet_stages_as_null_not_the_text_null(tmp_path):
    pl.DataFrame({"title": [{"en": "A"}, None], "salary": [1, 2], "country": ["US", "US"], "year": [2024, 2024]}
                 ).write_parquet(tmp_path / "d.parquet")
    staged = stage_file(write_spec(tmp_path, "d.parquet", "parquet"), tmp_path / "d.parquet")
    assert staged.frame.get_column("job_title").to_list() == ['{"en":"A"}', None]


def test_yaml_11_booleans_stay_text_in_a_spec_so_norway_is_not_false(tmp_path):
    (tmp_path / "d.csv").write_text("title,salary,on\nA,1,2024\n")
    (tmp_path / "spec.yaml").write_text("name: fixes\nkind: salary_report\nformat: csv\npath: d.csv\n"
                                        "fields: {job_title: title, pay: salary, year: on}\n"
                                        "constants: {country: NO, currency: NOK, pay_period: yes}\n")
    spec = load_spec(tmp_path / "spec.yaml")
    assert spec.constants == {"country": "NO", "currency": "NOK", "pay_period": "yes"}
    assert spec.fields["year"] == "on"


def test_yaml_python_tags_are_refused_by_the_spec_loader(tmp_path):
    (tmp_path / "spec.yaml").write_text("!!python/object/apply:os.getcwd []\n")
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path / "spec.yaml")
    assert caught.value.field == "spec"


def staged_pay(values: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        [{**{f: None for f in CANONICAL_FIELDS}, "job_title": "Data Scientist", "pay": v, "currency": "EUR",
          "country": "DE", "year": "2024", "source": "fixes", "source_file": "x.csv", "row_number": i, "raw": v}
         for i, v in enumerate(values, start=1)],
        schema={**{f: pl.String for f in CANONICAL_FIELDS}, "source": pl.String, "source_file": pl.String,
                "row_number": pl.Int64, "raw": pl.String})


SPEC = SourceSpec(name="fixes", kind="salary_report", format="csv", path="x.csv",
                  fields={"job_title": "t", "pay": "p", "country": "c", "year": "y", "currency": "k"})


def test_european_thousands_dots_and_decimal_commas_are_read_as_such():
    values = ["120.000,50", "1.234.567", "120,000", "120.000", "85000.75"]
    result = normalise(staged_pay(values), SPEC, load_reference(), as_of=AS_OF, min_annual_pay_usd=0.0)
    assert result.observations.get_column("pay_original").to_list() == [120_000.5, 1_234_567.0, 120_000.0, 120.0,
                                                                        85_000.75]


def test_infinite_pay_is_not_a_number_rather_than_out_of_range_or_negative():
    result = normalise(staged_pay(["inf", "-Infinity", "1e400"]), SPEC, load_reference(), as_of=AS_OF)
    assert result.rejects.select("row_number", "reason").rows() == [
        (1, "non_numeric_pay"), (2, "non_numeric_pay"), (3, "non_numeric_pay")]
