"""normalise after the speed work: skills of several text columns, distinct-value joins, and
the same output for the same staged frame.

Skills and certifications come from the skills, certifications and description columns; the
lists of one row are the sorted union of what each column names. `_with_skills` only sorts rows
where two or more columns name something; these tests check the union against a direct
computation (extract_skills on each column, Python set union) on rows of every combination.
"""
from __future__ import annotations

import itertools
from datetime import date

import polars as pl

from transforms.normalise import normalise
from transforms.reference import load_reference
from transforms.skills import extract_skills
from tests.unit.test_normalise import BASE, SPEC, staged

AS_OF = date(2026, 1, 1)
TEXTS = {
    "skills": [None, "python; sql", "AWS ML Specialty", "Go;Docker", "R, C++", "nothing here"],
    "certifications": [None, "CKA", "PMP, python", "AWS ML Specialty, SQL", "none"],
    "description": [None, "Experience with Spark. CKA preferred.", "You know SQL and Python.", "Go to the site.",
                    "Tech stack: Go, Docker; PMP"],
}


def _rows() -> list[dict]:
    return [{**BASE, "skills": s, "certifications": c, "description": d, "company": f"Acme {i % 3}\n4.1"}
            for i, (s, c, d) in enumerate(itertools.product(*TEXTS.values()))]


def test_each_rows_lists_are_the_sorted_union_over_its_text_columns():
    rows = _rows()
    ref = load_reference()
    observations = normalise(staged(rows), SPEC, ref, as_of=AS_OF).observations.sort("row_number")
    assert observations.height == len(rows)
    values = pl.Series([v for column in TEXTS.values() for v in column if v is not None], dtype=pl.String)
    found = {r["text"]: r for r in extract_skills(values, ref).iter_rows(named=True)}
    several = 0
    for row, observed in zip(rows, observations.iter_rows(named=True)):
        named = [found[row[c]] for c in TEXTS if row[c] is not None]
        expected_skills = sorted({s for f in named for s in f["skills"]})
        expected_certs = sorted({c for f in named for c in f["certifications"]})
        assert (observed["skills"], observed["certifications"]) == (expected_skills, expected_certs), row
        several += sum(bool(f["skills"]) for f in named) > 1
    assert several > 20  # the merged branch was exercised
    assert observations.get_column("company").unique().sort().to_list() == ["Acme 0", "Acme 1", "Acme 2"]


def test_the_same_staged_frame_normalises_to_equal_frames():
    frame, ref = staged(_rows()), load_reference()
    first, second = normalise(frame, SPEC, ref, as_of=AS_OF), normalise(frame, SPEC, ref, as_of=AS_OF)
    assert first.observations.equals(second.observations) and first.rejects.equals(second.rejects)
    shuffled = normalise(frame.sample(fraction=1.0, shuffle=True, seed=7), SPEC, ref, as_of=AS_OF)
    assert shuffled.observations.equals(first.observations) and shuffled.rejects.equals(first.rejects)
