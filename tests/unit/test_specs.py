"""Source specs: valid specs load, bad ones fail with one line naming the file and the field."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import pytest

from transforms.specs import SpecError, load_spec, resolve_files

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "specs"

GOOD = """\
name: tiny
kind: salary_report
format: csv
path: data/*.csv
fields:
  job_title: title
  pay: salary
  country: country
  year: year
constants:
  pay_period: year
  currency: 978
values:
  seniority: {EN: Junior}
"""


def write_spec(folder: Path, text: str, with_data: bool = True) -> Path:
    if with_data:
        (folder / "data").mkdir(exist_ok=True)
        (folder / "data" / "b.csv").write_text("title,salary,country,year\n")
        (folder / "data" / "a.csv").write_text("title,salary,country,year\n")
    spec = folder / "tiny.yaml"
    spec.write_text(text)
    return spec


def test_a_valid_spec_loads_with_constants_as_text_and_globs_relative_to_the_spec(tmp_path):
    spec = load_spec(write_spec(tmp_path, GOOD))
    assert (spec.name, spec.kind, spec.format) == ("tiny", "salary_report", "csv")
    assert spec.constants == {"pay_period": "year", "currency": "978"}
    assert spec.values == {"seniority": {"EN": "Junior"}}
    assert resolve_files(spec) == [tmp_path / "data" / "a.csv", tmp_path / "data" / "b.csv"]


def test_an_absolute_path_is_used_as_given(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    target = tmp_path / "elsewhere" / "x.csv"
    target.write_text("title\n")
    spec = load_spec(write_spec(tmp_path, GOOD.replace("data/*.csv", str(target)), with_data=False))
    assert resolve_files(spec) == [target]


def test_the_fixture_specs_load():
    for name in ("survey", "postings", "postings_cp1252"):
        assert load_spec(FIXTURES / f"{name}.yaml").name == name


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda t: t.replace("  year: year\n", "  year: year\n  salary_band: band\n"), "fields.salary_band",
         "unknown canonical field"),
        (lambda t: t.replace("  job_title: title\n", ""), "fields.job_title", "required"),
        (lambda t: t.replace("  pay: salary\n", "  pay_min: lo\n"), "fields.pay", "pay_max"),
        (lambda t: t.replace("  country: country\n", ""), "fields.country", "location"),
        (lambda t: t.replace("  year: year\n", ""), "fields.year", "date"),
        (lambda t: t.replace("name: tiny", "name: Tiny-Source"), "name", "pattern"),
        (lambda t: t.replace("kind: salary_report", "kind: survey"), "kind", "salary_report"),
        (lambda t: t.replace("format: csv", "format: xlsx"), "format", "parquet"),
        (lambda t: t.replace("name: tiny\n", ""), "name", "required"),
        (lambda t: t + "colour: blue\n", "colour", "unknown key"),
        (lambda t: t.replace("encoding", "x") + "encoding: utf-16\n", "encoding", "latin-1"),
        (lambda t: t.replace("data/*.csv", "nothing/*.csv"), "path", "matches no file"),
        (lambda t: t.replace("fields:\n", "fields: [\n"), "spec", "YAML syntax error"),
        (lambda t: t.replace("constants:\n  pay_period: year", "constants:\n  pay_rate: year"),
         "constants.pay_rate", "unknown canonical field"),
        # a list, a mapping or a null where a column name or a value belongs is refused, not read as the
        # column "['lo', 'hi']", the constant "{'per': 'year'}" or the recoding to the text "None"
        (lambda t: t.replace("  pay: salary\n", "  pay: [lo, hi]\n"), "fields.pay", "valid string"),
        (lambda t: t.replace("  pay_period: year", "  pay_period: {per: year}"), "constants.pay_period",
         "valid string"),
        (lambda t: t.replace("{EN: Junior}", "{EN: ~}"), "values.seniority.EN", "valid string"),
        (lambda t: t.replace("  pay: salary\n", "  pay:\n"), "fields.pay", "valid string"),
    ],
)
def test_a_bad_spec_raises_one_line_naming_the_file_and_the_field(tmp_path, change, field, words):
    path = write_spec(tmp_path, change(GOOD))
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert caught.value.field == field
    assert message.startswith(f"{path}: field '{field}'")
    assert words in message
    assert "\n" not in message


def test_a_glob_matching_a_link_to_a_missing_file_is_refused_and_a_matching_folder_is_not_a_file(tmp_path):
    """A dangling link among the raw files holds rows nobody can read: refused with one line naming it
    (resolve_files skipped it unseen before); a folder whose name matches the glob is not a raw file."""
    path = write_spec(tmp_path, GOOD)
    (tmp_path / "data" / "folder.csv").mkdir()
    assert [p.name for p in resolve_files(load_spec(path))] == ["a.csv", "b.csv"]
    (tmp_path / "data" / "c.csv").symlink_to(tmp_path / "gone" / "c.csv")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert caught.value.field == "path"
    assert "c.csv, a link to a missing file" in str(caught.value) and "\n" not in str(caught.value)


def test_a_raw_file_that_cannot_be_opened_is_refused_with_one_line_naming_it():
    """A raw file without read permission used to pass load_spec and fail inside its staging task after two
    retries, with a traceback; now the spec is refused (CLI exit 2) with one line naming the file and why.
    Run as root (CI), the check runs with the effective uid of nobody: root reads any file."""
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        root = Path(folder)
        root.chmod(0o755)
        path = write_spec(root, GOOD)
        for item in [root / "data", *root.rglob("*")]:
            item.chmod(0o755 if item.is_dir() else 0o644)
        assert [p.name for p in resolve_files(load_spec(path))] == ["a.csv", "b.csv"]
        (root / "data" / "b.csv").chmod(0o000)
        with as_nobody(), pytest.raises(SpecError) as caught:
            load_spec(path)
    assert caught.value.field == "path"
    assert "b.csv, which cannot be read: Permission denied" in str(caught.value)
    assert "\n" not in str(caught.value)


@contextlib.contextmanager
def as_nobody():
    """Drop the effective uid to nobody's while root (CI runs as root), give it back after."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


def test_a_spec_file_that_is_not_utf8_is_a_spec_error_naming_it(tmp_path):
    """A spec saved as cp1252 raised UnicodeDecodeError (CLI exit 1, no file named); now one line, exit 2."""
    path = write_spec(tmp_path, GOOD)
    path.write_bytes(GOOD.replace("title\n", "titre_\xe9\n", 1).encode("cp1252"))
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert caught.value.field == "spec"
    assert str(caught.value).startswith(f"{path}: field 'spec': not UTF-8 text")
    assert "\n" not in str(caught.value)


def test_a_missing_spec_file_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "absent.yaml")


def test_a_range_or_pay_text_satisfies_the_pay_requirement(tmp_path):
    ranged = GOOD.replace("  pay: salary\n", "  pay_min: lo\n  pay_max: hi\n")
    assert set(load_spec(write_spec(tmp_path, ranged)).fields) >= {"pay_min", "pay_max"}
    texted = GOOD.replace("  pay: salary\n", "  pay_text: salary_estimate\n")
    assert "pay_text" in load_spec(write_spec(tmp_path, texted)).fields


def test_country_and_year_may_come_from_constants(tmp_path):
    text = GOOD.replace("  country: country\n  year: year\n", "  location: where\n").replace(
        "constants:\n", "constants:\n  year: 2020\n")
    spec = load_spec(write_spec(tmp_path, text))
    assert spec.constants["year"] == "2020" and spec.fields["location"] == "where"


def test_two_specs_of_one_name_are_a_spec_error_and_one_spec_given_twice_counts_once(tmp_path):
    """Two specs named alike summed their files under one source and failed the run on its row accounting
    (AccountingError, exit 1); so did one spec given twice (`--source a.yaml --source ./a.yaml`)."""
    from flows.nightly import discover_specs
    from market_intel.settings import get_settings
    from transforms.specs import check_unique_names

    first = load_spec(write_spec(tmp_path, GOOD))
    other = tmp_path / "other.yaml"
    other.write_text(GOOD)
    with pytest.raises(SpecError) as caught:
        check_unique_names([first, load_spec(other)])
    assert caught.value.field == "name"
    assert str(caught.value) == (f"{other}: field 'name': 'tiny' is also the name of {first.spec_file}: "
                                 "each source of a run needs its own name")
    given = [str(first.spec_file), str(tmp_path / "." / "tiny.yaml"), str(other)]
    assert discover_specs(given, get_settings()) == [first.spec_file.resolve(), other.resolve()]


@pytest.mark.parametrize("folder", ["market [2026]", "run[1]", "mkt*", "what?"])
def test_a_relative_glob_reads_the_spec_folder_literally_whatever_its_name(tmp_path, folder):
    """The spec's folder is a place, not a pattern: a market copied into 'market [2026]' matched no file
    ('[2026]' read as a character class: exit 2 'matches no file' beside the files), and a folder
    'run[1]' read the raw files of a sibling folder 'run1' in its place. Only the spec's own `path`
    is a glob."""
    root = tmp_path / folder
    root.mkdir()
    path = write_spec(root, GOOD)
    decoy = tmp_path / folder.replace("[", "").replace("]", "").replace("*", "").replace("?", "")
    if decoy != root:  # a sibling the unescaped pattern would match instead of (or besides) the folder
        decoy.mkdir()
        write_spec(decoy, GOOD)
        (decoy / "data" / "decoy.csv").write_text("title,salary,country,year\n")
    assert resolve_files(load_spec(path)) == [root / "data" / "a.csv", root / "data" / "b.csv"]
