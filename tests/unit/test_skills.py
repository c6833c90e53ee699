"""Unit tests for transforms.skills: aliases, word boundaries, lists and free text."""
import polars as pl
import pytest

from transforms.reference import load_reference
from transforms.skills import extract_skills, implied_skills


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


def _named_only(text):
    out = extract_skills(pl.Series([text], dtype=pl.String), load_reference(), certifications_imply_skills=False)
    row = out.row(0, named=True)
    return row["skills"], row["certifications"]


@pytest.mark.parametrize(
    ("text", "certification", "skill"),
    [
        ("AWS Machine Learning Specialty", "AWS Machine Learning Specialty", "AWS"),
        ("Azure Data Scientist Associate", "Azure Data Scientist Associate", "Azure"),
        ("Certified Kubernetes Administrator", "Certified Kubernetes Administrator", "Kubernetes"),
        ("Databricks Certified Data Engineer", "Databricks Certified Data Engineer", "Databricks"),
        ("Google Cloud Professional Machine Learning Engineer", "Google Professional ML Engineer", "GCP"),
        # aliases that do not spell the skill still give it: the certification is the same
        ("CKA", "Certified Kubernetes Administrator", "Kubernetes"),
        ("DP-100", "Azure Data Scientist Associate", "Azure"),
        ("Google Professional ML Engineer", "Google Professional ML Engineer", "GCP"),
        ("AWS SA Associate", "AWS Solutions Architect", "AWS"),
        ("databricks data engineer professional", "Databricks Certified Data Engineer", "Databricks"),
    ],
)
def test_a_certification_counts_as_its_skill_only_when_asked(text, certification, skill):
    out = extract_skills(pl.Series([f"Nice to have: {text}."], dtype=pl.String), load_reference(),
                         certifications_imply_skills=True).row(0, named=True)
    assert (out["skills"], out["certifications"]) == ([skill], [certification])
    assert _one(f"Nice to have: {text}.") == ([], [certification])


def test_the_implied_skills_are_read_from_the_dictionary_names():
    assert implied_skills(load_reference()) == {
        "AWS Machine Learning Specialty": ("AWS",), "AWS Solutions Architect": ("AWS",),
        "Google Professional ML Engineer": ("GCP",), "Azure Data Scientist Associate": ("Azure",),
        "Certified Kubernetes Administrator": ("Kubernetes",), "PMP": (),
        "Databricks Certified Data Engineer": ("Databricks",),
    }


@pytest.mark.parametrize(
    "text",
    ["AWS ML Specialty", "AWS Certified Machine Learning - Specialty", "Microsoft Certified Azure Data Scientist "
     "Associate", "Google Cloud Professional Machine Learning Engineer", "GCP ML Engineer certification",
     "Databricks Data Engineer Associate", "Certified Kubernetes Administrator, AWS Solutions Architect, PMP",
     "CKA CKA, DP-100"],
)
def test_certification_spans_are_consumed_before_skills_are_matched(text):
    assert _named_only(text)[0] == []
    assert _named_only(text)[1] != []


@pytest.mark.parametrize(
    ("text", "skills"),
    [
        ("AWS and AWS ML Specialty", ["AWS"]),
        ("AWS ML Specialty and AWS", ["AWS"]),
        ("Kubernetes, CKA", ["Kubernetes"]),
        ("Google Cloud, Google Cloud Professional Machine Learning Engineer", ["GCP"]),
        ("Go, CKA and Python", ["Go", "Python"]),
        ("PMP and Go to market", []),
    ],
)
def test_a_skill_named_separately_from_a_certification_is_still_found(text, skills):
    assert _named_only(text)[0] == skills


def test_certifications_and_skills_in_prose_are_both_found():
    text = "Tech stack: Python, Databricks and SQL. Nice to have: CKA, PMP and AWS ML Specialty."
    assert _one(text) == (["Databricks", "Python", "SQL"],
                          ["AWS Machine Learning Specialty", "Certified Kubernetes Administrator", "PMP"])
    assert _named_only(text) == (["Databricks", "Python", "SQL"],
                                 ["AWS Machine Learning Specialty", "Certified Kubernetes Administrator", "PMP"])


@pytest.mark.parametrize(
    ("text", "skills"),
    [
        # Excel the verb (Glassdoor 2020 postings: "If you excel in a dynamic environment")
        ("If you excel in a dynamic environment", []),
        ("You will excel in this role; Excel required", ["Excel"]),
        ("Do you excel at building models", []),
        ("Excel in a fast-paced team", []),
        ("Proficient in Excel, Word", ["Excel"]),
        ("including but not limited to Excel and SQL", ["Excel", "SQL"]),
        ("strong excel skills", ["Excel"]),
        # only in lower case: "to excel" / "excel at" are the verb (Glassdoor 2020: "the freedom
        # to excel."), "to Excel" / "Excel at" the product
        ("unrivalled opportunities for growth and the freedom to excel. Combining strategies", []),
        ("You love using data and excel at turning data into pictures", []),
        ("export the reports to Excel", ["Excel"]),
        ("export the reports to Excel at month end", ["Excel"]),
        ("the freedom to excel, and Excel at an advanced level", ["Excel"]),
        ("to ms excel", ["Excel"]),
        # A/R is accounts receivable, not the R language
        ("Experience with A/R and A/P", []),
        ("Python/R", ["Python", "R"]),
        ("R, and A/R reconciliations", ["R"]),
        # a one-letter name followed by a full stop and a capital letter is a person's initial
        ("the parent company of R. J. Reynolds Tobacco", []),
        ("with R.J. Reynolds", []),
        ("Python, R. Java is a plus", ["Java", "Python", "R"]),
        ("analysis in R. The team", ["R"]),
        ("analysis in Python or R. A team of five", ["Python", "R"]),  # "A" has no full stop: a word
        ("SAS and R. I lead the team", ["R", "SAS"]),
        ("as R. A. Fisher showed", []),
        # a next word counts only when spaces or hyphens alone separate it ("Go to", "Go-live")
        ("Services written in Go. The team owns them", ["Go"]),
        ("Go to market", []),
        ("Go-live support", []),
    ],
)
def test_not_after_and_not_before_keep_ordinary_words_out(text, skills):
    assert _one(text)[0] == skills
