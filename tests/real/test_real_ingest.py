"""Real public data through specs -> staging -> normalise -> observations, checked against the
row counts and figures published for it (see ../shared/data/*/PROVENANCE.md)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from market_intel.settings import get_settings
from tests.conftest import shared_data
from transforms.locations import parse_locations
from transforms.normalise import normalise
from transforms.observations import build_observations
from transforms.reference import load_reference
from transforms.specs import load_spec, resolve_files
from transforms.staging import stage_file

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
AS_OF = date(2026, 1, 1)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data is not available"),
]

AIJOBS = """name: aijobs
kind: salary_report
format: csv
path: {data}/aijobs-salaries/salaries_*.csv
fields: {{job_title: job_title, pay: salary, currency: salary_currency, country: company_location,
          year: work_year, seniority: experience_level, employment_type: employment_type,
          remote_ratio: remote_ratio}}
constants: {{pay_period: year}}
values:
  seniority: {{EN: Junior, MI: Mid, SE: Senior, EX: Executive}}
"""
KAGGLE = """name: kaggle_2023
kind: salary_report
format: csv
path: {data}/kaggle-ds-salaries-2023/ds_salaries.csv
fields: {{job_title: job_title, pay: salary_in_usd, country: company_location, year: work_year,
          seniority: experience_level}}
constants: {{pay_period: year, currency: USD}}
"""
GLASSDOOR = """name: glassdoor
kind: job_posting
format: csv
path: {data}/glassdoor-ds-jobs-2020/glassdoor_jobs.csv
fields: {{job_title: Job Title, pay_text: Salary Estimate, description: Job Description,
          location: Location, company: Company Name, record_id: "Unnamed: 0"}}
constants: {{year: 2020}}
"""


@pytest.fixture(scope="module")
def kaggle(tmp_path_factory):
    return run_source(tmp_path_factory.mktemp("kaggle"), KAGGLE)


@pytest.fixture(scope="module")
def glassdoor(tmp_path_factory):
    return run_source(tmp_path_factory.mktemp("glassdoor"), GLASSDOOR)


def run_source(folder: Path, template: str):
    spec_path = folder / "spec.yaml"
    spec_path.write_text(template.format(data=SHARED_DATA))
    spec = load_spec(spec_path)
    parts, rejects, read = [], [], 0
    for path in resolve_files(spec):
        staged = stage_file(spec, path)
        result = normalise(staged.frame, spec, load_reference(), as_of=AS_OF)
        parts.append(result.observations)
        rejects += [staged.rejects, result.rejects]
        read += staged.rows_read
    return build_observations(parts, rejects, {spec.name: read}, get_settings())


def accounting_row(built) -> dict:
    [row] = built.accounting.to_dicts()
    assert row["rows_read"] == row["rows_kept"] + row["rows_rejected"] + row["rows_duplicate"]
    return row


def test_aijobs_accounts_for_all_74301_published_rows_and_keeps_identical_reports(tmp_path):
    built = run_source(tmp_path, AIJOBS)
    row = accounting_row(built)
    assert row["rows_read"] == 74_301
    assert row["rows_duplicate"] == 0  # 39,304 identical rows are distinct respondents
    assert row["rows_rejected"] <= 10
    assert built.rejects.get_column("reason").unique().to_list() == ["fx_rate_missing"]  # CLP 2021: no ECB rate
    canada = built.observations.filter(pl.col("country_code") == "CA")
    assert canada.height == 2_563
    assert canada.get_column("currency_local").unique().to_list() == ["CAD"]
    assert set(built.observations.get_column("seniority").unique().to_list()) == {"Junior", "Mid", "Senior", "Executive"}


def test_kaggle_2023_reproduces_the_published_describe_of_salary_in_usd(kaggle):
    built = kaggle
    row = accounting_row(built)
    assert (row["rows_read"], row["rows_kept"]) == (3_755, 3_755)
    pay = built.observations.select("pay_annual_usd")
    [(mean, (p25, median, p75))] = duckdb.sql(
        "SELECT avg(pay_annual_usd), quantile_cont(pay_annual_usd, [0.25, 0.5, 0.75]) FROM pay").fetchall()
    assert mean == pytest.approx(137_570.38988, abs=0.01)
    assert (p25, median, p75) == (95_000.0, 135_000.0, 175_000.0)
    assert built.observations.get_column("is_outlier").sum() > 0  # flagged, still kept


def test_kaggle_2023_leading_blank_line_is_not_a_row(kaggle):
    built = kaggle
    first = built.observations.sort("row_number").row(0, named=True)
    assert (first["row_number"], first["job_title"], first["pay_annual_usd"]) == (1, "Principal Data Scientist", 85_847.0)


def author_rows() -> pl.DataFrame:
    """The author's cleaned rows with their raw-file id.

    eda_data.csv's index was reset after the author dropped the "-1" salaries, so its
    "Unnamed: 0" is the position among the raw rows with a salary, not the raw file's id: the i-th
    raw row with a salary is eda row i (checked on title and salary text below).
    """
    folder = SHARED_DATA / "glassdoor-ds-jobs-2020"
    raw = pl.read_csv(folder / "glassdoor_jobs.csv", infer_schema=False)
    eda = pl.read_csv(folder / "eda_data.csv", infer_schema_length=None)
    raw_with_salary = raw.filter(pl.col("Salary Estimate") != "-1").select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("eda_index"), pl.col("").alias("record_id"),
        pl.col("Job Title").alias("raw_title"), pl.col("Salary Estimate").alias("raw_salary"))
    joined = eda.select(pl.col("").cast(pl.Int64).alias("eda_index"), "Job Title", "Salary Estimate", "avg_salary",
                        "python_yn", "hourly").join(raw_with_salary, on="eda_index", how="inner")
    assert joined.height == eda.height == 742
    assert (joined["Job Title"] == joined["raw_title"]).all() and (joined["Salary Estimate"] == joined["raw_salary"]).all()
    return joined.select("record_id", "avg_salary", "python_yn", "hourly")


def test_glassdoor_keeps_exactly_the_authors_742_rows_with_his_midpoints(glassdoor):
    built = glassdoor
    row = accounting_row(built)
    assert (row["rows_read"], row["rows_kept"], row["rows_rejected"]) == (956, 742, 214)
    assert built.rejects.get_column("reason").unique().to_list() == ["missing_pay"]  # the "-1" salaries
    authors = author_rows()
    ours = built.observations.join(authors, on="record_id", how="inner")
    assert ours.height == 742
    # the author's avg_salary is the range midpoint in $K; hourly rows keep the hourly midpoint
    # (his hourly x2 conversion was applied to min/max after avg_salary was computed)
    authors_k = pl.when(pl.col("pay_period") == "hour").then(pl.col("pay_original")).otherwise(pl.col("pay_original") / 1000)
    assert ours.select(((authors_k - pl.col("avg_salary")).abs() < 1e-9).all()).item()
    assert ours.select(((pl.col("pay_period") == "hour") == (pl.col("hourly") == 1)).all()).item()


def test_glassdoor_python_premium_from_extracted_skills_matches_the_authors_means(glassdoor):
    built = glassdoor
    ours = built.observations.join(author_rows(), on="record_id", how="inner").with_columns(
        pl.col("skills").list.contains("Python").alias("has_python"),
        pl.when(pl.col("pay_period") == "hour").then(pl.col("pay_original"))
        .otherwise(pl.col("pay_original") / 1000).alias("authors_k"),
        (pl.col("pay_annual_usd") / 1000).alias("annual_k"),
    )
    means = {r["has_python"]: r for r in ours.group_by("has_python").agg(
        pl.col("authors_k").mean(), pl.col("annual_k").mean()).to_dicts()}
    assert means[True]["authors_k"] == pytest.approx(112.653061, abs=3.0)
    assert means[False]["authors_k"] == pytest.approx(87.155714, abs=3.0)
    # annualising hourly pay with 2080 hours (our convention) moves the figures little
    assert means[True]["annual_k"] == pytest.approx(112.653061, abs=3.0)
    assert means[False]["annual_k"] == pytest.approx(87.155714, abs=3.0)
    agreement = ours.select((pl.col("has_python") == (pl.col("python_yn") == 1)).mean()).item()
    assert agreement > 0.98


SO2023 = """name: so2023
kind: salary_report
format: csv
path: {data}/stackoverflow-2023-us-cleaned-subset/so2023_us_cleaned.csv
fields: {{job_title: DevType, pay: Salary, skills: LanguageHaveWorkedWith}}
constants: {{country: US, currency: USD, year: "2023", pay_period: year}}
"""
# PROVENANCE.md: Salary filtered to $5k-$1M, n and median by language used
SO2023_BY_LANGUAGE = {"Python": (5760, 150_000.0), "SQL": (6407, 147_500.0), "Java": (2829, 160_000.0),
                      "Go": (1912, 176_000.0)}


def test_stackoverflow_2023_language_medians_come_out_of_the_skills_list(tmp_path):
    """Skills parsed from a survey's semicolon list (LanguageHaveWorkedWith: 'Go' case-sensitive, 'Java'
    not inside 'JavaScript') give the medians PROVENANCE.md publishes per language. Our rows: the 16
    respondents without a DevType are rejected (missing_title), so each n is the published n less
    those among them, which DuckDB counts on the raw file independently."""
    built = run_source(tmp_path, SO2023)
    row = accounting_row(built)
    assert row["rows_read"] == 11_341 and row["rows_duplicate"] == 0
    assert built.rejects.filter(pl.col("reason") == "missing_title").height == 16
    raw = SHARED_DATA / "stackoverflow-2023-us-cleaned-subset" / "so2023_us_cleaned.csv"
    kept = built.observations.filter(pl.col("pay_annual_usd").is_between(5_000, 1_000_000))
    for language, (published_n, published_median) in SO2023_BY_LANGUAGE.items():
        users = kept.filter(pl.col("skills").list.contains(language))
        expected_n = duckdb.sql(f"""
            select count(*) from read_csv('{raw}') where Salary between 5000 and 1000000 and DevType is not null
              and list_contains(string_split(LanguageHaveWorkedWith, ';'), '{language}')""").fetchall()[0][0]
        assert users.height == expected_n and 0 <= published_n - users.height <= 16, language
        assert users.get_column("pay_annual_usd").median() == published_median, language


def test_job_bank_geographies_resolve_to_their_province():
    """Canada Job Bank's 2025 wage geographies (85 distinct: Canada, 9 provinces and territories as
    Job Bank names them, 76 economic regions), written "{region}, {province}" as Canadian postings
    do. Each resolves to Canada and its province (Job Bank's own codes NWT, PEI and YK included; they
    had been rejected as no_country); a province row names no city (it had given a city "Ontario")."""
    jobbank = pl.read_csv(shared_data("jobbank-wages-2025-software-nocs", "jobbank_wages_2025_software_nocs.csv"),
                          infer_schema_length=0)
    geos = jobbank.filter(pl.col("province") != "NAT").select("province", "economic_region_code",
                                                                "economic_region_name").unique()
    assert geos.height == 85
    geos = geos.with_columns(location=pl.concat_str("economic_region_name", pl.lit(", "), "province"))
    parsed = geos.join(parse_locations(geos["location"], load_reference()), on="location", how="left")
    iso = {"NWT": "NT", "PEI": "PE", "YK": "YT"}
    expected = parsed.select(pl.concat_str(pl.lit("CA-"), pl.col("province").replace(iso)))[:, 0]
    assert parsed["location_error"].null_count() == parsed.height
    assert (parsed["country_code"] == "CA").all()
    assert (parsed["subdivision_code"] == expected).all(), parsed.filter(parsed["subdivision_code"] != expected)
    # ER10..ER59 are the 9 provinces; PEI, the territories and Nunavut appear as one region each, named so
    whole = (pl.col("economic_region_code").str.len_chars() == 4) | pl.col("economic_region_name").is_in(
        ["Prince Edward Island", "Northwest Territories", "Yukon Territory", "Nunavut"])
    provinces, regions = parsed.filter(whole), parsed.filter(~whole)
    assert provinces.height == 13 and provinces["city_name"].null_count() == 13
    assert regions.height == 72 and regions["city_name"].null_count() == 0
