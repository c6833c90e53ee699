"""Title mapping on real titles from ../shared/data (aijobs.net survey, Glassdoor, hand labels)."""
from pathlib import Path

import polars as pl
import pytest

from transforms.reference import load_reference
from transforms.titles import map_titles

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
AIJOBS = SHARED_DATA / "aijobs-salaries" / "salaries_2025-01-19.csv"
LABELS = Path(__file__).resolve().parents[1] / "fixtures" / "labelled_titles.csv"


def test_hand_labelled_real_titles_map_with_95_percent_accuracy_on_role_and_seniority():
    labels = pl.read_csv(LABELS, schema_overrides={"expected_seniority": pl.String})
    assert labels.height >= 150 and labels["title"].n_unique() == labels.height
    mapped = map_titles(labels["title"], load_reference())
    joined = labels.join(mapped, left_on="title", right_on="job_title", how="left")
    correct = (joined["role"] == joined["expected_role"]) & joined["seniority"].eq_missing(joined["expected_seniority"])
    misses = joined.filter(~correct).select("title", "expected_role", "role", "expected_seniority", "seniority")
    assert correct.mean() >= 0.95, misses


def test_labelled_roles_exist_in_the_taxonomy():
    ref = load_reference()
    slugs = {r.role for r in ref.roles} | {ref.catch_all.role}
    levels = {s.name for s in ref.seniority_levels}
    labels = pl.read_csv(LABELS, schema_overrides={"expected_seniority": pl.String})
    assert set(labels["expected_role"]) <= slugs
    assert set(labels["expected_seniority"].drop_nulls()) <= levels


@pytest.mark.skipif(not AIJOBS.exists(), reason="shared real data not present")
def test_95_percent_of_aijobs_rows_get_a_real_role():
    titles = pl.read_csv(AIJOBS, columns=["job_title"])["job_title"]
    ref = load_reference()
    mapped = map_titles(titles, ref)
    rows = titles.to_frame().join(mapped, on="job_title", how="left")
    assert rows.height == 74_301
    assert (rows["role"] != ref.catch_all.role).mean() >= 0.95
