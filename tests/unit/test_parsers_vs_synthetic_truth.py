"""The ingest parsers against the synthetic market's row-level truth (truth/records).

A 20k-row market (seed 3) is generated, every raw file is staged and normalised exactly as the
nightly flow's stage_file_task does, and each clean posting row is compared with the values the
generator wrote down for it: the written pay midpoint (annualised, local currency), the pay
period, the skills and the certifications. The generator draws skills and certifications
independently, so its `skills` truth holds named skills only; the parsers also credit each
certification with the skill it contains (transforms.skills), and the expected skills here are
the truth's skills plus those implied skills, written out by hand below (not read from the code).
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from transforms import normalise, staging
from transforms.reference import load_reference
from transforms.skills import extract_skills
from transforms.specs import load_spec
from transforms.synthetic import generate_market

ROWS = 20_000
SEED = 3
POSTING_SOURCES = ("board_a", "board_b")
KEY = ["source", "source_file", "row_number"]
# certification -> the skill its name contains (the rule stated for transforms.skills)
IMPLIED = {"AWS Machine Learning Specialty": ["AWS"], "AWS Solutions Architect": ["AWS"],
           "Google Professional ML Engineer": ["GCP"], "Azure Data Scientist Associate": ["Azure"],
           "Certified Kubernetes Administrator": ["Kubernetes"], "PMP": [],
           "Databricks Certified Data Engineer": ["Databricks"]}


@pytest.fixture(scope="module")
def parsed(tmp_path_factory) -> dict[str, pl.DataFrame]:
    """Truth records of clean posting rows joined to the observations (and staged descriptions)."""
    out = tmp_path_factory.mktemp("market")
    generate_market(rows=ROWS, seed=SEED, out=out)
    truth = pl.read_parquet(sorted((out / "truth" / "records").glob("part-*.parquet")))
    as_of = date(int(truth["year"].max()) + 1, 1, 1)  # after every genuine posting date
    ref, fx = load_reference(), normalise.default_fx()
    observations, rejects, descriptions = [], [], []
    for source in POSTING_SOURCES:
        spec = load_spec(out / "sources" / f"{source}.yaml")
        for path in sorted((out / "raw" / source).glob("part-*.jsonl")):
            staged = staging.stage_file(spec, Path(path))
            result = normalise.normalise(staged.frame, spec, ref, fx, as_of=as_of)
            observations.append(result.observations)
            rejects.append(pl.concat([staged.rejects.select(KEY), result.rejects.select(KEY)]))
            descriptions.append(staged.frame.select(*KEY, "description"))
    clean = truth.filter(pl.col("source").is_in(POSTING_SOURCES) & (pl.col("status") == "clean"))
    return {
        "clean": clean.join(pl.concat(observations, how="diagonal_relaxed"), on=KEY, how="left", suffix="_parsed")
        .sort(KEY),
        "rejected_clean": clean.join(pl.concat(rejects), on=KEY, how="semi"),
        "descriptions": clean.select(*KEY, "skills").join(pl.concat(descriptions), on=KEY, how="left").sort(KEY),
    }


def test_every_clean_posting_row_becomes_an_observation(parsed):
    clean = parsed["clean"]
    assert clean.height > 10_000
    assert parsed["rejected_clean"].height == 0
    assert clean["pay_annual_original"].null_count() == 0


def test_parsed_pay_midpoints_equal_the_written_midpoints_for_every_clean_posting(parsed):
    clean = parsed["clean"]
    check = clean.select(
        ((pl.col("pay_annual_original") / pl.col("pay_annual_written_local") - 1).abs() < 1e-9).fill_null(False).alias("pay_ok"),
        pl.col("pay_period_parsed").eq_missing(pl.col("pay_period")).alias("period_ok"),
        pl.col("currency_original_parsed").eq_missing(pl.col("currency_original")).alias("currency_ok"),
    )
    bad = clean.filter(~check["pay_ok"]).select(*KEY, "pay_annual_original", "pay_annual_written_local")
    assert check["pay_ok"].all(), f"{bad.height} clean postings with a wrong midpoint, e.g. {bad.head(5)}"
    assert check["period_ok"].all()
    assert check["currency_ok"].all()


def test_parsed_skills_and_certifications_are_exactly_the_true_ones(parsed):
    clean = parsed["clean"].with_columns(pl.col("skills").list.unique().list.sort().alias("expected_skills"))
    skills_ok = clean["skills_parsed"].eq_missing(clean["expected_skills"])
    bad = clean.filter(~skills_ok).select(*KEY, "skills_parsed", "expected_skills")
    assert skills_ok.all(), f"{bad.height} clean postings with wrong skills, e.g. {bad.head(5)}"
    assert clean["certifications_parsed"].eq_missing(clean["certifications"]).all()


def test_skills_named_in_descriptions_are_exactly_the_true_skills(parsed):
    # without the certification rule, what is named in the text is the generator's skills truth:
    # no skill is read off a certification's words ("AWS ML Specialty", "Databricks Data Engineer")
    rows = parsed["descriptions"]
    named = extract_skills(rows["description"], load_reference(), certifications_imply_skills=False)
    rows = rows.join(named.rename({"text": "description", "skills": "named"}), on="description", how="left")
    assert rows["named"].eq_missing(rows["skills"]).all()
