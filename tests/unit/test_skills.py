"""Unit tests for transforms.skills: aliases, word boundaries, lists and free text."""
import polars as pl
import pytest

from transforms.reference import load_reference
from transforms.skills import extract_skills


def _one(text):
    row = extract_skills(pl.Series([text], dtype=pl.String), load_reference()).row(0, named=True)
    return row["skills"], row["certifications"]


@pytest.mark.parametrize(
    ("text", "skills"),
    [
        ("python, sql; aws", ["AWS", "Python", "SQL"]),
        ("We model in R and Python.", ["Python", "R"]),
        ("Experience with torch or PyTorch", ["PyTorch"]),
        ("Apache Spark / pyspark", ["Spark"]),
        ("Services in Go and C++", ["C++", "Go"]),
        ("golang microservices", ["Go"]),
        ("Power-BI dashboards, Excel", ["Excel", "Power BI"]),
    ],
)
def test_skills_and_aliases_are_found_as_canonical_names(text, skills):
    assert _one(text)[0] == skills


@pytest.mark.parametrize(
    "text",
    ["R&D for our rare products", "Rust and rock", "excellent communication", "sparkling water",
     "Go to our careers page", "Our go-to-market team", "Let's go ahead", "Sparkle and Excellence", "gopher"],
)
def test_ordinary_words_do_not_match_short_skill_names(text):
    assert _one(text)[0] == []


def test_certification_aliases_are_recognised():
    assert _one("AWS ML Specialty, CKA")[1] == ["AWS Machine Learning Specialty", "Certified Kubernetes Administrator"]
    assert _one("AWS Certified Machine Learning - Specialty")[1] == ["AWS Machine Learning Specialty"]


def test_results_are_sorted_and_unique_per_distinct_text():
    out = extract_skills(pl.Series(["SQL, python, Python, sql", "SQL, python, Python, sql", None]), load_reference())
    assert out.height == 2
    assert out.filter(pl.col("text").is_not_null())["skills"].to_list() == [["Python", "SQL"]]
