"""build_skill_shares (fine-cell counts collected stage by stage, Categorical keys) against the
definition: every job posting expanded to each of its role x region memberships and counted there.
"""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from market_intel import storage
from transforms import reports

AI_SKILLS = ["LLM", "LangChain"]
SKILLS = ["Python", "SQL", "LLM", "LangChain", "PyTorch", "Excel", "Spark"]
CERTIFICATIONS = ["PMP", "AWS Certified", "CFA"]
PLACES = [  # country, subdivision, city
    ("Canada", "Ontario, Canada", "Toronto, Ontario, Canada"),
    ("Canada", "Ontario, Canada", None),
    ("Canada", "Quebec, Canada", "Montréal, Quebec, Canada"),
    ("Canada", None, None),
    ("United States", "California, United States", "San Francisco, California, United States"),
    ("Germany", None, None),
]
ROLES = ["Data Scientist", "Data Engineer", "Machine Learning Manager"]
SENIORITIES = ["Junior", "Senior", None]


def _lists(rng: np.random.Generator, rows: int, vocabulary: list[str], mean: float) -> list[list[str | None] | None]:
    """Random lists with repeats, null elements, empty lists and null lists."""
    out: list[list[str | None] | None] = []
    for size in rng.poisson(mean, rows):
        if rng.random() < 0.05:
            out.append(None)
            continue
        values: list[str | None] = [vocabulary[i] for i in rng.integers(0, len(vocabulary), size)]
        if values and rng.random() < 0.1:
            values.append(values[0])
        if rng.random() < 0.03:
            values.append(None)
        out.append(values)
    return out


def simulated_postings(rows: int = 3000, seed: int = 7) -> pl.LazyFrame:
    rng = np.random.default_rng(seed)
    place = rng.integers(0, len(PLACES), rows)
    role = [ROLES[i] for i in rng.integers(0, len(ROLES), rows)]
    seniority = [SENIORITIES[i] for i in rng.integers(0, len(SENIORITIES), rows)]
    return pl.DataFrame({
        "kind": np.where(rng.random(rows) < 0.8, "job_posting", "salary_report"),
        "role_name": role,
        "seniority": seniority,
        "role_label": [f"{s} {r}" if s else r for s, r in zip(seniority, role)],
        "country": [PLACES[p][0] for p in place],
        "subdivision": [PLACES[p][1] for p in place],
        "city": [PLACES[p][2] for p in place],
        "year": 2023 + rng.integers(0, 3, rows),
        "skills": _lists(rng, rows, SKILLS, 2.5),
        "certifications": _lists(rng, rows, CERTIFICATIONS, 0.4),
    }, schema_overrides={"seniority": pl.String, "subdivision": pl.String, "city": pl.String,
                         "skills": pl.List(pl.String), "certifications": pl.List(pl.String)}).lazy()


def shares_by_definition(observations: pl.LazyFrame, ai_skills: list[str]) -> pl.DataFrame:
    """Each posting expanded to its memberships, then counted: the definition, at full memory. A posting
    whose skills list is null (its source carries no skill information) is not counted at all."""
    postings = (
        observations.filter((pl.col("kind") == "job_posting") & pl.col("skills").is_not_null()).collect()
        .with_row_index("posting")
        .with_columns(
            pl.col("year").cast(pl.Int32),
            pl.concat_list([pl.when(pl.col("seniority").is_not_null()).then(pl.col("role_label")),
                            pl.col("role_name"), pl.lit("All roles")]).alias("member_role"),
            pl.concat_list([pl.col("city"), pl.col("subdivision"), pl.col("country"), pl.lit("World")])
            .alias("member_region"),
        )
    )
    members = (
        postings.select("posting", "year", pl.col("member_role").alias("role_label"),
                        pl.col("member_region").alias("region"))
        .explode("role_label").explode("region").drop_nulls(["role_label", "region"]).unique()
    )
    totals = members.join(
        postings.select("posting", pl.col("skills").fill_null([]).list.set_intersection(
            pl.lit(ai_skills, dtype=pl.List(pl.String))).list.len().gt(0).alias("has_ai")), on="posting"
    ).group_by("role_label", "region", "year").agg(pl.len().cast(pl.Int64).alias("postings"),
                                                   pl.col("has_ai").sum().cast(pl.Int64).alias("ai"))
    named = pl.concat([
        postings.select("posting", pl.col(column).list.unique().alias("skill"), pl.lit(kind).alias("kind"))
        .explode("skill").drop_nulls("skill")
        for column, kind in (("skills", "skill"), ("certifications", "certification"))
    ])
    counts = (members.join(named, on="posting").group_by("role_label", "region", "year", "skill", "kind")
              .agg(pl.len().cast(pl.Int64).alias("postings_with")))
    ai_rows = totals.select("role_label", "region", "year", pl.lit(reports.AI_SKILL_LABEL).alias("skill"),
                            pl.lit("ai_any").alias("kind"), pl.col("ai").alias("postings_with"))
    return (
        pl.concat([counts, ai_rows]).join(totals.select("role_label", "region", "year", "postings"),
                                          on=["role_label", "region", "year"])
        .with_columns((pl.col("postings_with") / pl.col("postings")).alias("share_of_postings"))
        .select("role_label", "region", "year", "skill", "kind", "postings_with", "postings", "share_of_postings")
        .sort(["role_label", "region", "year", "kind", "skill"])
    )


@pytest.mark.parametrize("seed", [7, 8])
def test_skill_shares_equal_every_posting_expanded_to_its_memberships(seed):
    observations = simulated_postings(seed=seed)
    expected = shares_by_definition(observations, AI_SKILLS)
    actual = reports.build_skill_shares(observations, AI_SKILLS)
    assert expected.height > 1000
    assert actual.schema == expected.schema
    assert actual.equals(expected)


def test_skill_shares_without_postings_are_empty_and_typed():
    observations = simulated_postings().filter(pl.col("kind") == "none")
    actual = reports.build_skill_shares(observations, AI_SKILLS)
    assert actual.height == 0
    assert actual.schema == shares_by_definition(simulated_postings(), AI_SKILLS).schema


@pytest.mark.parametrize("batch_rows", [89, 1000, 2999])
def test_skill_shares_counted_batch_by_batch_equal_the_definition(batch_rows, tmp_path, monkeypatch):
    """The fine-cell counts are taken over a batch of observation rows at a time and added up (memory
    follows the batch): any batch size gives the definition's shares, also from a Parquet scan (the
    flow's input), and the batches really are separate collects."""
    path = tmp_path / "observations.parquet"
    simulated_postings(seed=9).collect().write_parquet(path, row_group_size=500)
    expected = shares_by_definition(simulated_postings(seed=9), AI_SKILLS)
    batches = []
    original = reports._fine_postings_with
    monkeypatch.setattr(reports, "_fine_postings_with",
                        lambda postings, column: batches.append(column) or original(postings, column))
    actual = reports.build_skill_shares(pl.scan_parquet(path), AI_SKILLS, batch_rows=batch_rows)
    assert actual.schema == expected.schema
    assert actual.equals(expected)
    assert len(batches) == 2 * -(-3000 // batch_rows)  # skills and certifications, per batch


@pytest.mark.parametrize("batch_rows", [250, 700, 5000])
def test_skill_shares_from_batches_of_files_equal_the_definition(batch_rows, tmp_path):
    """The flow passes the observation pieces grouped into batches of whole files (storage.parquet_batches:
    at most batch_rows rows each, a larger file cut into slices), not one scan sliced by rows, which
    over thousands of pieces opened every piece for every batch. Same shares; every row in exactly one
    batch, in file-name order."""
    frame = simulated_postings(seed=9).collect().with_row_index("_row")
    sizes = [100, 400, 30, 900, 170, 200, 1200]  # rows per file: some above a batch, some below
    assert sum(sizes) == frame.height
    start = 0
    for number, size in enumerate(sizes):
        folder = tmp_path / "pieces" / f"part={number % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        frame.slice(start, size).write_parquet(folder / f"piece-{number:03d}.parquet")
        start += size
    batches = storage.parquet_batches(tmp_path / "pieces" / "**" / "*.parquet", batch_rows)
    heights = [batch.select(pl.len()).collect().item() for batch in batches]
    assert max(heights) <= batch_rows and sum(heights) == frame.height
    assert len(batches) >= -(-frame.height // batch_rows)
    files_in_name_order = sorted((tmp_path / "pieces").rglob("*.parquet"))
    expected_rows = pl.concat([pl.read_parquet(p) for p in files_in_name_order]).get_column("_row")
    assert pl.concat([batch.select("_row").collect() for batch in batches]).get_column("_row").equals(expected_rows)
    expected = shares_by_definition(simulated_postings(seed=9), AI_SKILLS)
    actual = reports.build_skill_shares(batches, AI_SKILLS)
    assert actual.schema == expected.schema
    assert actual.equals(expected)


def test_parquet_batches_of_one_file_and_of_an_empty_table(tmp_path):
    path = tmp_path / "observations.parquet"
    simulated_postings(seed=9).collect().write_parquet(path)
    [whole] = storage.parquet_batches(path, 10_000)
    assert whole.collect().equals(pl.read_parquet(path))
    empty = tmp_path / "empty.parquet"
    simulated_postings(seed=9).collect().head(0).write_parquet(empty)
    shares = reports.build_skill_shares(storage.parquet_batches(empty, reports.SHARE_BATCH_ROWS), AI_SKILLS)
    assert shares.height == 0 and shares.schema == reports.build_skill_shares(
        pl.scan_parquet(empty), AI_SKILLS).schema
