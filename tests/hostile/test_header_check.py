"""`check_header`, run by `market-intel run` on every raw file before the flow: it raises exactly the
SpecError that staging the file would raise (or none, where only staging can tell: JSON lines keys,
bytes past the header's first MiB), so that a wrong column name exits 2 before any row is staged."""
from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from transforms import staging
from transforms.specs import SpecError, load_spec, resolve_files
from transforms.staging import check_header, stage_file

CASES = Path(__file__).resolve().parent / "cases"


def outcome(call) -> tuple[str, str] | None:
    try:
        call()
    except SpecError as exc:
        return exc.field, str(exc)
    return None


def loadable_cases() -> list:
    params = []
    for folder in sorted(p for p in CASES.iterdir() if (p / "spec.yaml").is_file()):
        try:
            spec = load_spec(folder / "spec.yaml")
        except SpecError:
            continue
        params += [pytest.param(spec, path, id=f"{folder.name}/{path.name}") for path in resolve_files(spec)]
    return params


@pytest.mark.parametrize(("spec", "path"), loadable_cases())
def test_the_header_check_raises_what_staging_raises_on_every_corpus_file(spec, path):
    staged = outcome(lambda: stage_file(spec, path))
    checked = outcome(lambda: check_header(spec, path))
    if spec.format == "jsonl":
        assert checked is None  # left to staging
    else:
        assert checked == staged


SPEC = """name: tiny
kind: salary_report
format: {format}
path: {file}
fields: {{job_title: title, pay: {pay}, country: country, year: year}}
constants: {{pay_period: year, currency: USD}}
"""


def write(folder: Path, file: str, body: bytes, pay: str = "salary", fmt: str = "csv") -> Path:
    (folder / file).write_bytes(body)
    spec = folder / "spec.yaml"
    spec.write_text(SPEC.format(format=fmt, file=file, pay=pay))
    return spec


@pytest.mark.parametrize("body", [
    b"title,salary,country,year\nDS,1,US,2024\n",
    b"\n\n\xef\xbb\xbftitle,salary,country,year\r\nDS,1,US,2024\r\n",  # blank lines, a BOM, CR LF
    b'title,"sal\nary",country,year\nDS,1,US,2024\n',  # a quoted newline in the header
    b"title,salary,country,year",  # no line end at all
])
def test_a_wrong_column_name_in_a_csv_header_is_found_before_staging(tmp_path, body):
    spec = load_spec(write(tmp_path, "a.csv", body, pay="pay"))
    with pytest.raises(SpecError) as caught:
        check_header(spec, tmp_path / "a.csv")
    assert caught.value.field == "fields.pay" and "column 'pay' not found in a.csv" in str(caught.value)
    assert outcome(lambda: stage_file(spec, tmp_path / "a.csv")) == (caught.value.field, str(caught.value))


def test_a_prefix_is_read_and_a_header_longer_than_it_is_left_to_staging(tmp_path, monkeypatch):
    monkeypatch.setattr(staging, "HEADER_PREFIX_BYTES", 64)
    rows = b"".join(b"DS,%d,US,2024\n" % i for i in range(100))
    spec = load_spec(write(tmp_path, "a.csv", b"title,salary,country,year\n" + rows, pay="pay"))
    with pytest.raises(SpecError, match="column 'pay' not found"):
        check_header(spec, tmp_path / "a.csv")
    long_header = b"title," + b",".join(b"c%d" % i for i in range(40)) + b",salary,country,year\n"
    spec = load_spec(write(tmp_path, "a.csv", long_header + rows, pay="pay"))
    assert check_header(spec, tmp_path / "a.csv") is None  # the header goes past 64 bytes: staging checks


def test_a_parquet_schema_without_the_column_is_found_before_staging(tmp_path):
    pl.DataFrame({"title": ["DS"], "salary": [1.0], "country": ["US"], "year": [2024]}).write_parquet(
        tmp_path / "a.parquet")
    spec = load_spec(write(tmp_path, "a.parquet", (tmp_path / "a.parquet").read_bytes(), pay="pay", fmt="parquet"))
    with pytest.raises(SpecError, match="column 'pay' not found in a.parquet"):
        check_header(spec, tmp_path / "a.parquet")


@pytest.mark.parametrize(("separator", "advice"), [(";", 'delimiter: ";"'), ("\t", 'delimiter: "\\t"')])
def test_a_header_read_as_one_column_says_which_delimiter_to_set(tmp_path, separator, advice):
    """The error named the field and showed 'title;salary;...' as the one column, not what to change; the
    advice is written as YAML reads it (a tab escape only inside double quotes)."""
    body = separator.join(["title", "salary", "country", "year"]).encode() + b"\nDS;1;US;2024\n"
    spec = load_spec(write(tmp_path, "a.csv", body))
    with pytest.raises(SpecError) as caught:
        check_header(spec, tmp_path / "a.csv")
    assert caught.value.field == "fields.job_title"
    assert str(caught.value).endswith(f"the header is one column: for a {separator!r}-separated file set {advice}")
    if separator == "\t":
        import yaml
        assert yaml.safe_load(advice) == {"delimiter": "\t"}


def test_a_compressed_file_is_named_as_such_by_the_check_and_by_staging(tmp_path):
    import gzip

    body = gzip.compress(b"title,salary,country,year\nDS,1,US,2024\n", mtime=0)
    for fmt in ("csv", "jsonl"):
        spec = load_spec(write(tmp_path, f"a.{fmt}.gz", body, fmt=fmt))
        for call in (check_header, stage_file, lambda s, p: list(staging.stage_chunks(s, p, chunk_bytes=16))):
            with pytest.raises(SpecError) as caught:
                call(spec, tmp_path / f"a.{fmt}.gz")
            assert caught.value.field == "path"
            assert str(caught.value).endswith(f"a.{fmt}.gz is gzip-compressed: the run reads plain {fmt} files, "
                                              "decompress it first")
