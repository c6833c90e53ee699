"""Unit tests for transforms.skills: aliases, word boundaries, lists and free text."""
import re

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
     "CKA CKA, DP-100",
     # a name right after another one, whose shorter alias it holds: "SAA-C02" had been blanked and "AWS" read
     "PMP;AWS SAA-C02", "CKA;AWS SAA-C03;MLS-C01", "PMP, AWS SAA-C02", "DP-100;AWS SAA-C02;PMP"],
)
def test_certification_spans_are_consumed_before_skills_are_matched(text):
    assert _named_only(text)[0] == []
    assert _named_only(text)[1] != []


def test_no_certification_name_holds_a_shorter_one_after_a_space():
    """Blanking consumes the character after a name, so a longer name right after another one is only
    found on the second pass; a shorter name inside it after a space would be blanked first, leaving the
    rest to be read as skills ("PMP;AWS SAA-C03" had given AWS). Pairs like that must not be listed."""
    names = {n.lower() for e in load_reference().skills if e.kind == "certification" for n in (e.skill, *e.aliases)}
    inside = sorted((short, long) for short in names for long in names
                    if short != long and re.search(r"[\s\-\u2013\u2014]" + re.escape(short) + r"(?:$|[\s\-\u2013\u2014])", long))
    # the one such pair leaves "Microsoft Certified", which names no skill
    assert inside == [("azure data scientist associate", "microsoft certified azure data scientist associate")]


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


@pytest.mark.parametrize(
    ("text", "skills"),
    [
        # GCP is also Good Clinical Practice (Glassdoor 2020 clinical postings); each had been ["GCP"]
        ("Ensure compliance with ICH-GCP guidelines.", []),
        ("Knowledge of ICH, GCP, HIPAA regulations.", []),
        ("FDA & ICH, GCP, GCDMP", []),
        ("FDA, EMA, ICH, CIOMS, GCP and other regulatory guidelines", []),
        ("compliance with FDA regulations, GCP, ICH guidelines", []),
        ("Good Clinical Practice (GCP) and 21 CFR Part 11", []),
        ("ICH/GCP training required", []),
        ("ensure compliance with GCP guidelines and CAP accreditation", []),
        # neighbours: Google Cloud keeps GCP
        ("Cloud: AWS, GCP, Azure", ["AWS", "Azure", "GCP"]),
        ("GCP (Google Cloud Platform) BigQuery experience", ["GCP"]),
        ("Knowledge of ICH and GCP-based pipelines", ["GCP"]),
        ("Experience on GCP. Guidelines for the role:", ["GCP"]),
        ("GCP data engineering", ["GCP"]),
        # Spark the verb / Spark Capital (Glassdoor 2020: "Google Ventures and Spark Capital"); had been ["Spark"]
        ("Backed by Google Ventures and Spark Capital.", []),
        ("Our mission is to spark innovation across the enterprise.", []),
        ("Spark innovation and curiosity in your team.", []),
        ("Ignite a spark of curiosity.", []),
        ("The spark that started it all.", []),
        ("Help spark a culture of experimentation using Python.", ["Python"]),  # had been ["Python", "Spark"]
        # neighbours: the engine keeps Spark
        ("Use the Spark UI to tune jobs.", ["Spark"]),
        ("Run it on a Spark cluster.", ["Spark"]),
        ("migrate hive jobs to spark", ["Spark"]),
        ("spark, hadoop, hive", ["Hadoop", "Spark"]),
        ("spark innovation; Spark SQL", ["SQL", "Spark"]),
        # Torch Technologies (an employer in Glassdoor 2020) and the torch one carries; had been ["PyTorch"]
        ("Torch Technologies is seeking a Junior- to Mid-Level Engineer", []),
        ("Carry the torch for data quality.", []),
        ("the PyTorch ecosystem", ["PyTorch"]),
        ("torch.nn and numpy", ["PyTorch"]),
        # "Go/No Go", "Go-getter"; had been ["Go"]
        ("developing milestone criteria (e.g. Go/No Go criteria)", []),
        ("Lead Go/No-Go decisions", []),
        ("Lead No-Go decisions", []),
        ("A self-starter and go-getter; Go-getter attitude", []),
        # "on" had been read by YAML as true, so "Go on" kept Go
        ("Go on to lead the team.", []),
        ("No Go experience needed", ["Go"]),
        ("Python and Go/Rust services", ["Go", "Python"]),
        # snowflake schemas are a data model, not the warehouse; had been ["Snowflake"]
        ("Snowflake schema design and star schemas", []),
        ("Knowledge of star and snowflake schemas", []),
        ("Star/snowflake data models", []),
        ("star schema design on Snowflake", ["Snowflake"]),
        ("Snowflake, dbt, Fivetran", ["Snowflake", "dbt"]),
        # airflow in HVAC / data centres; had been ["Airflow"]
        ("Data centre technician: airflow management, hot aisle containment", []),
        ("HVAC airflow engineering and CFD analysis", []),
        ("Airflow pipelines and operators", ["Airflow"]),
        # DBT the therapy; had been ["dbt"]
        ("Dialectical Behavior Therapy (DBT) certified therapist", []),
        ("Therapist: DBT-informed practice", []),
        ("Strong SQL and dbt skills", ["SQL", "dbt"]),
        ("dbt models, dbt tests", ["dbt"]),
        # LLM the law degree; had been ["LLM"]
        ("Tax associate, JD/LLM preferred", []),
        ("JD or LLM in Taxation required.", []),
        ("Candidates with an LLM degree", []),
        ("LLM and RAG; JD required", ["LLM"]),
        ("Experience fine-tuning LLMs", ["LLM"]),
        # French "tableau" (table / dashboard); had been ["Tableau"] (+ the rest)
        ("Lyon : Vous réaliserez un tableau de bord mensuel sous Excel.", ["Excel"]),
        ("Reporting: Tableau de bord mensuel, Excel", ["Excel"]),
        ("présenter les résultats sous forme de tableau de synthèse", []),
        ("Maîtrise de Tableau et SQL", ["SQL", "Tableau"]),
        ("Outils: tableau, power bi", ["Power BI", "Tableau"]),
        # SAS the airline and the French company form; had been ["SAS"]
        ("Fly with SAS Scandinavian Airlines.", []),
        ("Capgemini Technology Services SAS au capital de 10 000 €", []),
        ("SAS Institute tools; SAS Viya", ["SAS"]),
        # excel the verb after a modal, lower case; had been ["Excel"]
        ("The candidate should excel.", []),
        ("Must Excel skills", ["Excel"]),
        # spellings that had been missed (had been [] / ["Azure"])
        ("Postgres, MongoDB", ["SQL"]),
        ("MSSQL, Oracle", ["SQL"]),
        ("Experience in Data Bricks and Azure ADLS", ["Azure", "Databricks"]),
        ("Proficiency with Tensor flow", ["TensorFlow"]),
    ],
)
def test_third_audit_ordinary_words_and_spellings(text, skills):
    assert _one(text)[0] == skills


@pytest.mark.parametrize(
    ("text", "result"),
    [
        # had been (["AWS"], [])
        ("AWS SA Pro certification preferred", ([], ["AWS Solutions Architect"])),
        ("AWS Certified Machine Learning – Specialty", ([], ["AWS Machine Learning Specialty"])),
        # neighbours
        ("AWS Certified Solutions Architect and AWS Lambda", (["AWS"], ["AWS Solutions Architect"])),
        ("AWS Certified Machine Learning - Specialty", ([], ["AWS Machine Learning Specialty"])),
    ],
)
def test_third_audit_certification_spellings(text, result):
    assert _one(text) == result


def test_unquoted_yaml_booleans_in_skill_words_are_refused(tmp_path):
    """YAML 1.1 reads `on` / `No` as booleans: Go's `not_before: [..., on, ...]` had been "True"."""
    import shutil
    from pathlib import Path

    source = Path(load_reference().directory)
    for path in source.iterdir():
        if path.is_file():
            shutil.copy(path, tmp_path / path.name)
    (tmp_path / "skills.yaml").write_text("skills:\n  - {skill: Go, case_sensitive: true, not_before: [to, on]}\n")
    with pytest.raises(ValueError, match="quote the word"):
        load_reference(tmp_path)


@pytest.mark.parametrize(
    ("text", "skills"),
    [
        # R: statistics and model names, SAP R/3, the registered-trademark sign glued to a word
        ("Compute R-squared and p-values in Python", ["Python"]),  # ["Python", "R"]
        ("Faster R-CNN and YOLO detectors", []),  # ["R"]
        ("SAP R/3 and S/4HANA", []),  # ["R"]
        ("Microsoft Office(R) skills", []),  # ["R"]
        ("PMP(R) certified", []),  # ["R"]
        ("Spotfire, R-shiny or similar", ["R"]),
        ("scripting languages (R) and SQL", ["R", "SQL"]),
        ("Python (R a plus)", ["Python", "R"]),
        # Spark: the company and the verb in lower case
        ("Spark Therapeutics is hiring", []),  # ["Spark"]
        ("We want to spark new ideas", []),  # ["Spark"]
        ("Bring your spark of curiosity", []),  # ["Spark"]
        ("Spark SQL on a new cluster", ["SQL", "Spark"]),
        ("python; spark a plus", ["Python", "Spark"]),  # so "spark a conversation" keeps Spark
        # the welder's, the Olympic torch
        ("Use a cutting torch and grinder", []),  # ["PyTorch"]
        ("Torch brazing of copper lines", []),  # ["PyTorch"]
        ("Olympic torch relay sponsor", []),  # ["PyTorch"]
        ("A torch-bearer for quality", []),  # ["PyTorch"]
        ("torch, numpy and jax", ["PyTorch"]),
        # Azure SAS (shared access signature) tokens
        ("Azure SAS tokens and managed identities", ["Azure"]),  # ["Azure", "SAS"]
        ("SAS programming and SAS macros", ["SAS"]),
        # HVAC airflow
        ("Maintain laminar airflow hoods", []),  # ["Airflow"]
        ("Ensure proper airflow in the rack", []),  # ["Airflow"]
        ("Python, airflow, dbt", ["Airflow", "Python", "dbt"]),
        # French pivot tables, "tableau vivant" (accented next words are read whole)
        ("Excel (RECHERCHEV, tableau croisé dynamique)", ["Excel"]),  # ["Excel", "Tableau"]
        ("Tableau vivant at the company party", []),  # ["Tableau"]
        ("Tableau Desktop, Excel", ["Excel", "Tableau"]),
        # Go
        ("Go-forward strategy for the team", []),  # ["Go"]
        ("Go big or go home.", []),  # ["Go"]
        ("Go-kart track on campus", []),  # ["Go"]
        ("Go-based microservices", ["Go"]),
        # Java the island, the coffee, "Java Script"
        ("Offices in Jakarta and East Java", []),  # ["Java"]
        ("Free Java coffee and snacks", []),  # ["Java"]
        ("Java Script and HTML", []),  # ["Java"]
        ("Java, Scala and Spark", ["Java", "Scala", "Spark"]),
    ],
)
def test_fourth_audit_other_meanings(text, skills):
    assert _one(text)[0] == skills


@pytest.mark.parametrize(
    ("text", "skills"),
    [
        ("TSQL queries", ["SQL"]),  # []
        ("SparkSQL and Hive", ["Spark"]),  # [] (an alias of Spark only: the generator writes each alias for one skill)
        ("Dockerfiles and compose", ["Docker"]),  # []
        ("Dockerized services", ["Docker"]),  # []
        ("LookML modeling and Explores", ["Looker"]),  # []
        ("HF Transformers and PEFT", ["Hugging Face"]),  # []
        ("C++17 and CMake", ["C++"]),  # []
        ("C++11/14 experience", ["C++"]),  # []
        ("expérience en IA générative", ["Generative AI"]),  # []
        ("experiencia en IA generativa y LLMs", ["Generative AI", "LLM"]),  # ["LLM"]
        ("Erfahrung mit generativer KI und LLMs", ["Generative AI", "LLM"]),  # ["LLM"]
        ("traitement automatique du langage naturel (TAL)", ["NLP"]),  # []
        ("procesamiento de lenguaje natural", ["NLP"]),  # []
    ],
)
def test_fourth_audit_spellings(text, skills):
    assert _one(text)[0] == skills


@pytest.mark.parametrize(
    ("text", "result"),
    [
        # a space in a name matches an en dash too
        ("AWS Machine Learning – Specialty", ([], ["AWS Machine Learning Specialty"])),  # (["AWS"], [])
        ("AWS Certified ML – Specialty", ([], ["AWS Machine Learning Specialty"])),  # (["AWS"], [])
        ("MLS-C01 exam passed", ([], ["AWS Machine Learning Specialty"])),  # ([], [])
        ("AWS SAA-C03 preferred", ([], ["AWS Solutions Architect"])),  # (["AWS"], [])
        ("Google Professional Machine Learning Engineer", ([], ["Google Professional ML Engineer"])),  # ([], [])
        ("Google Cloud Certified - Professional Machine Learning Engineer",
         ([], ["Google Professional ML Engineer"])),  # (["GCP"], [])
        ("GCP Professional ML Engineer", ([], ["Google Professional ML Engineer"])),  # (["GCP"], [])
        ("DP100 certified", ([], ["Azure Data Scientist Associate"])),  # ([], [])
        ("PMP(R), SQL", (["SQL"], ["PMP"])),  # (["R", "SQL"], ["PMP"])
        # neighbours
        ("AWS and AWS SAA-C03", (["AWS"], ["AWS Solutions Architect"])),
        ("Google Cloud Professional Data Engineer", (["GCP"], [])),
    ],
)
def test_fourth_audit_certification_spellings(text, result):
    assert _one(text) == result
