"""extract_skills (regexes on distinct pieces) against the reference (every regex on every text).

`extract_skills` cuts texts at punctuation, matches each distinct piece once and ORs the answers
per text, blanks certification spans on whole texts and checks `not_before` on whole texts. It
must give exactly what `extract_skills_every_entry` gives: compared on generated texts built
from the dictionary's names with hostile neighbours (hypothesis), on a generated synthetic
market's descriptions and skill lists, on the real Glassdoor descriptions, and with a
dictionary whose names contain break characters and whose certification has `not_before`.
"""
from __future__ import annotations

from dataclasses import replace

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import SHARED_DATA
from transforms.reference import SkillEntry, load_reference
from transforms.skills import extract_skills, extract_skills_every_entry, piece_breaks, skills_per_row

REF = load_reference()
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _same(values: list[str | None], ref=REF) -> None:
    series = pl.Series(values, dtype=pl.String)
    for imply in (False, True):
        fast = extract_skills(series, ref, certifications_imply_skills=imply)
        reference = extract_skills_every_entry(series, ref, certifications_imply_skills=imply)
        assert fast.schema == reference.schema
        if not fast.equals(reference):
            diff = fast.join(reference, on="text", how="full", suffix="_ref", nulls_equal=True).filter(
                (pl.col("skills") != pl.col("skills_ref")) | (pl.col("certifications") != pl.col("certifications_ref")))
            raise AssertionError(f"imply={imply}: pieces != reference on {diff.head(5).to_dicts()}")


def _names(ref) -> list[str]:
    return sorted({n for e in ref.skills for n in (e.skill, *e.aliases)})


def _words(ref) -> st.SearchStrategy[str]:
    name = st.sampled_from(_names(ref))
    cased = st.tuples(name, st.sampled_from(["same", "lower", "upper", "title"])).map(
        lambda t: {"same": t[0], "lower": t[0].lower(), "upper": t[0].upper(), "title": t[0].title()}[t[1]])
    spaced = st.tuples(cased, st.sampled_from(["-", "  ", "\n", " - ", "\t"])).map(lambda t: t[0].replace(" ", t[1]))
    other = st.sampled_from(["to", "the", "ahead", "R&D", "Rust", "excellent", "go", "Go", "C#", "pyspark", "gopher",
                             "\u212aubernetes", "\u017fql", "Certified", "Data", "Engineer", "Nice to have", "and", "x",
                             "A/R", "A/", "excel", "you", "will", "in", "A"])
    return st.one_of(cased, spaced, other)


def _texts(ref) -> st.SearchStrategy[str]:
    gap = st.sampled_from([" ", ", ", ",", ". ", ";", ":", " - ", "-", "/", "(", ")", "|", "!", "?", "\n", " & ", "+",
                           "#", "_", "", "  ", "\t", "[", "]", "{", "}", ".", "é"])
    return st.lists(st.tuples(_words(ref), gap), max_size=12).map(lambda parts: "".join(w + g for w, g in parts))


@SETTINGS
@given(st.lists(st.one_of(_texts(REF), st.text(max_size=40), st.none()), min_size=1, max_size=80))
@example(["Go, to the moon", "Go; to", "Go to", "Go. Go to", "CKA,PMP", "CKA PMP CKA", "CKA;PMP;CKA;PMP",
          "AWS ML Specialty, AWS", "Power-BI, Excel", "R&D, R", "\u212aubernetes, k8s", "Tech stack: Go, to be seen",
          "Go", "golang, Go ahead", "you excel in", "A/R, R", "you Excel", "excel, in", "Go. The", "A/Python/R",
          None, ""])
def test_pieces_equal_every_entry_on_generated_texts(values):
    _same(values)


def test_names_with_break_characters_and_a_guarded_certification():
    """A dictionary whose names hold '.', ',' and ':' keeps those characters out of the breaks,
    and a certification with `not_before` is checked on whole texts."""
    ref = replace(REF, skills=REF.skills + (
        SkillEntry("Node.js", "skill", aliases=("node,js",)),
        SkillEntry("Scrum: Master", "certification", aliases=("SM",), not_before=("to", "of")),
    ))
    assert set(piece_breaks(ref)).isdisjoint(".,:") and ";" in piece_breaks(ref)
    texts = ["Node.js and node,js", "SM to lead", "SM, to lead", "Scrum: Master of the universe", "SM; Node.js",
             "Scrum:  Master", "SM. Python", "Use Node.js, SM"]
    _same(texts, ref)

    @SETTINGS
    @given(st.lists(_texts(ref), min_size=1, max_size=80))
    def generated(values):
        _same(values, ref)

    generated()


def test_skills_per_row_is_extract_skills_joined_back():
    values = pl.Series(["Python, SQL", None, "Python, SQL", "CKA; Go to", "", "AWS ML Specialty, AWS"], dtype=pl.String)
    rows = skills_per_row(values, REF)
    joined = values.to_frame("text").join(extract_skills(values, REF), on="text", how="left", nulls_equal=True,
                                          maintain_order="left")
    assert rows.height == values.len()
    assert rows["skills"].to_list() == joined["skills"].to_list()
    assert rows["certifications"].to_list() == joined["certifications"].to_list()
    assert rows.row(1) == ([], [])  # null -> empty lists


@pytest.fixture(scope="module")
def synthetic_texts(tmp_path_factory) -> list[str]:
    from transforms.synthetic import generate_market

    out = tmp_path_factory.mktemp("skills-market")
    generate_market(rows=6_000, seed=5, out=out)
    descriptions = pl.concat([pl.read_ndjson(p).select("description")
                              for p in sorted((out / "raw").glob("board_*/part-*.jsonl"))])["description"]
    reports = pl.concat([pl.read_csv(p, infer_schema=False) for p in sorted((out / "raw").glob("salary_reports/*.csv"))])
    lists = [reports[c] for c in reports.columns if c in ("skills", "certifications")]
    return pl.concat([descriptions, *lists]).unique().to_list()


def test_pieces_equal_every_entry_on_a_synthetic_market(synthetic_texts):
    assert len(synthetic_texts) > 5_000
    _same(synthetic_texts)


def test_pieces_equal_every_entry_on_real_glassdoor_descriptions():
    path = SHARED_DATA / "glassdoor-ds-jobs-2020" / "glassdoor_jobs.csv"
    if not path.exists():
        pytest.skip("shared real data not present")
    values = pl.read_csv(path, columns=["Job Description"], infer_schema=False)["Job Description"].unique().to_list()
    assert len(values) > 300
    _same(values)


def test_break_characters_are_never_word_space_or_name_characters():
    """What makes cutting at a break exact: a break is a boundary for every entry (not a word
    character, "+", "#", "&") and no name or name gap can hold one (not whitespace, not "-")."""
    breaks = pl.Series(list(piece_breaks(REF)))
    assert breaks.len() >= 5
    assert not breaks.str.contains(r"^[\w+#&\s\-]$").any()
    assert not any(ch in name for ch in piece_breaks(REF) for name in _names(REF))
