"""The synthetic market generator: determinism, coverage, truth consistency, injected mess.

The truth is checked two independent ways: against a brute-force mixture computed here from the
parameters published in truth.json, and against sample medians of the generated clean rows.
Injected junk, outliers and cross-posts are recounted from the raw files themselves."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml
from scipy.optimize import brentq
from scipy.special import ndtr

from transforms.fx import yearly_fx
from transforms.synthetic import generate_market

ROWS = 20_000
SEED = 3
PERIOD_FACTORS = {"year": 1, "yearly": 1, "annual": 1, "month": 12, "monthly": 12, "hour": 2080, "hourly": 2080}


@pytest.fixture(scope="module")
def market(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("market")
    generate_market(rows=ROWS, seed=SEED, out=out, chunk_rows=8_000)
    return out


def truth(out: Path) -> dict:
    return json.loads((out / "truth" / "truth.json").read_text(encoding="utf-8"))


def records(out: Path) -> pl.DataFrame:
    return pl.read_parquet(sorted((out / "truth" / "records").glob("part-*.parquet")))


def salary_rows(out: Path) -> pl.DataFrame:
    return pl.concat([
        pl.read_csv(p, infer_schema=False).with_row_index("row_number", offset=1)
        .with_columns(pl.col("row_number").cast(pl.Int64), pl.lit(p.name).alias("source_file"),
                      pl.lit("salary_reports").alias("source"))
        for p in sorted((out / "raw" / "salary_reports").glob("part-*.csv"))])


def posting_rows(out: Path, board: str) -> pl.DataFrame:
    return pl.concat([
        pl.read_ndjson(p, schema={c: pl.String for c in ("posting_id", "title", "company", "location", "salary",
                                                          "posted_at", "description")})
        .with_row_index("row_number", offset=1)
        .with_columns(pl.col("row_number").cast(pl.Int64), pl.lit(p.name).alias("source_file"), pl.lit(board).alias("source"))
        for p in sorted((out / "raw" / board).glob("part-*.jsonl"))])


def all_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_rows_and_seed_give_byte_identical_files_and_chunks_do_not_depend_on_later_chunks(tmp_path):
    first = all_files(generate_market(rows=6_000, seed=11, out=tmp_path / "a", chunk_rows=2_500).out)
    second = all_files(generate_market(rows=6_000, seed=11, out=tmp_path / "b", chunk_rows=2_500).out)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
    assert "raw/board_b/part-0002.jsonl" in first
    alone = all_files(generate_market(rows=2_500, seed=11, out=tmp_path / "c", chunk_rows=2_500).out)
    for name in ("raw/salary_reports/part-0000.csv", "raw/board_a/part-0000.jsonl", "raw/board_b/part-0000.jsonl"):
        assert alone[name] == first[name]
    other = all_files(generate_market(rows=2_500, seed=12, out=tmp_path / "d", chunk_rows=2_500).out)
    assert other["raw/salary_reports/part-0000.csv"] != alone["raw/salary_reports/part-0000.csv"]


def test_market_has_40_role_seniority_combinations_and_25_regions_in_6_countries(market):
    clean = records(market).filter(pl.col("status") == "clean")
    assert clean["role_label"].n_unique() >= 40
    assert clean["city"].n_unique() >= 25
    assert clean["country_code"].n_unique() >= 6
    cells = pl.read_parquet(market / "truth" / "cell_medians.parquet")
    assert cells.filter(pl.col("role_level") == "role_label")["role_label"].n_unique() >= 40
    assert set(cells["region_level"].unique()) == {"city", "subdivision", "country"}
    assert sorted(cells["year"].unique().to_list()) == [2021, 2022, 2023, 2024, 2025, 2026]
    assert cells.filter((pl.col("role_label") == "Senior Machine Learning Manager") & (pl.col("region") == "Canada")
                        ).height == 6


def test_canada_has_provinces_and_cities_and_enough_senior_ml_managers_at_the_default_size(market):
    canada = records(market).filter(pl.col("country_code") == "CA")
    assert canada["subdivision"].n_unique() >= 5
    assert canada["city"].n_unique() >= 8
    t = truth(market)
    p = t["parameters"]
    role = next(r for r in p["roles"] if r["role"] == "machine_learning_manager")
    share = (role["weight"] * role["seniority_weights"]["Senior"]
             * next(c["weight"] for c in p["countries"] if c["country_code"] == "CA"))
    genuine_rows_at_default = 200_000 * (1 - 0.25 * 0.05)  # every row except board_b cross-posts
    per_year = {y: genuine_rows_at_default * w * share for y, w in p["year_weights"].items()}
    assert min(per_year.values()) >= 150 and max(per_year.values()) >= 250
    counts = canada.group_by("year").len().sort("year")["len"].to_list()
    assert counts[-1] > counts[0], "year weights grow: more data in recent years"


def test_salary_reports_use_several_currencies_and_pay_periods(market):
    sr = salary_rows(market)
    assert {"USD", "CAD", "GBP", "EUR", "INR", "AUD"} <= set(sr["salary_currency"].drop_nulls())
    periods = sr["pay_period"].replace_strict(PERIOD_FACTORS, return_dtype=pl.Int64)
    assert set(periods.unique()) == {1, 12, 2080}
    rec = records(market).filter((pl.col("source") == "salary_reports") & (pl.col("country_code") == "CA"))
    usd_share = (rec["currency_original"] == "USD").mean()
    assert 0.03 <= usd_share <= 0.07
    postings = posting_rows(market, "board_a")["salary"]
    assert postings.str.contains("an hour").any() and postings.str.contains("₹").any()
    assert postings.str.contains("€").any() and postings.str.contains("£").any()


def test_written_specs_load_as_yaml_with_the_contract_keys_and_match_the_raw_files(market):
    specs = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in (market / "sources").glob("*.yaml")}
    assert set(specs) == {"salary_reports", "board_a", "board_b"}
    for name, spec in specs.items():
        assert {"name", "kind", "format", "path", "fields"} <= set(spec)
        assert spec["name"] == name
        files = sorted((market / "sources").glob(spec["path"]))
        assert files, f"{name}: glob {spec['path']} matches nothing relative to the spec file"
        raw = (pl.read_csv(files[0], infer_schema=False, n_rows=5) if spec["format"] == "csv"
               else pl.read_ndjson(files[0], n_rows=5))
        assert set(spec["fields"].values()) <= set(raw.columns)
    sr = specs["salary_reports"]
    assert sr["kind"] == "salary_report" and sr["format"] == "csv"
    assert sr["values"] == {"seniority": {"EN": "Junior", "MI": "Mid", "SE": "Senior", "LD": "Lead"}}
    assert {"job_title", "pay", "currency", "pay_period", "location", "year", "seniority", "skills",
            "certifications"} == set(sr["fields"])
    assert specs["board_a"]["kind"] == "job_posting" and specs["board_a"]["fields"]["pay_text"] == "salary"
    text = (market / "sources" / "board_b.yaml").read_text(encoding="utf-8")
    assert text == yaml.safe_dump(specs["board_b"], sort_keys=True, allow_unicode=True, default_flow_style=False)


def _brute_force_median(t: dict, role_label: str, region: str, year: int) -> float:
    """The population median recomputed from truth.json alone: exact skill-effect distributions
    by dictionary convolution, the lognormal mixture CDF, and root finding."""
    p = t["parameters"]
    first = t["years"][0]
    sigma = p["sigma"]
    growth = {(g["role"], g["country_code"]): g["growth_log"] for g in t["growth"]}
    shock = {(s["role"], s["country_code"], s["year"]): s["shock"] for s in p["shocks"]}
    prevalence: dict[tuple[str, int], dict[str, float]] = {}
    for e in p["prevalence"]:
        prevalence.setdefault((e["role"], e["year"]), {})[e["skill"]] = e["prevalence"]
    beta = {k: v["beta"] for k, v in t["premiums"].items()}
    level = {c["country_code"]: c["level"] for c in p["countries"]}
    cities = [c for c in p["cities"] if region in (c["city"], c["subdivision"])
              or region == next(x["country"] for x in p["countries"] if x["country_code"] == c["country_code"])]
    components = []  # (weight, mean log pay before skills, role slug)
    for r in p["roles"]:
        for seniority, s_weight in r["seniority_weights"].items():
            label = r["role_name"] if seniority == "Mid" else f"{seniority} {r['role_name']}"
            if role_label not in ("All roles", r["role_name"], label if seniority != "Mid"
                                  else f"Mid-level {r['role_name']}"):
                continue
            for c in cities:
                mu = (level[c["country_code"]] + r["effect"] + p["seniority_effects"][seniority] + c["effect"]
                      + growth[(r["role"], c["country_code"])] * (year - first)
                      + shock[(r["role"], c["country_code"], year)])
                components.append((r["weight"] * s_weight * c["weight"], mu, r["role"]))
    skill_dists = {}
    for role in {c[2] for c in components}:
        dist = {0: 1.0}
        for skill, prev in prevalence[(role, year)].items():
            units = round(beta[skill] * 100)
            new: dict[int, float] = {}
            for value, prob in dist.items():
                new[value] = new.get(value, 0.0) + prob * (1 - prev)
                new[value + units] = new.get(value + units, 0.0) + prob * prev
            dist = new
        skill_dists[role] = (np.array([k / 100 for k in dist]), np.array(list(dist.values())))
    locs, weights = [], []
    for w, mu, role in components:
        values, probs = skill_dists[role]
        locs.append(mu + values)
        weights.append(w * probs)
    locs, weights = np.concatenate(locs), np.concatenate(weights)
    weights = weights / weights.sum()
    cdf = lambda x: float((weights * ndtr((x - locs) / sigma)).sum()) - 0.5  # noqa: E731
    return math.exp(brentq(cdf, locs.min() - 6 * sigma, locs.max() + 6 * sigma, xtol=1e-10))


@pytest.mark.parametrize("role_label, region, year", [
    ("Senior Machine Learning Manager", "Canada", 2025),
    ("Data Analyst", "Ontario, Canada", 2023),
    ("Mid-level Data Scientist", "Toronto, Ontario, Canada", 2026),
    ("All roles", "India", 2022),
])
def test_truth_median_matches_a_brute_force_mixture_from_the_published_parameters(market, role_label, region, year):
    cells = pl.read_parquet(market / "truth" / "cell_medians.parquet")
    published = cells.filter((pl.col("role_label") == role_label) & (pl.col("region") == region)
                             & (pl.col("year") == year))["true_median"].item()
    expected = _brute_force_median(truth(market), role_label, region, year)
    assert published == pytest.approx(expected, rel=1e-3)


def test_truth_medians_agree_with_sample_medians_of_the_clean_generated_rows(market):
    clean = records(market).filter(pl.col("status") == "clean").with_columns(
        pl.col("pay_annual_local").log().alias("log_pay"))
    roles = [(pl.col("role_label"), "role_label"), (pl.col("role_name"), "role"), (pl.lit("All roles"), "all")]
    regions = [(pl.col("city"), "city"), (pl.col("subdivision"), "subdivision"), (pl.col("country"), "country")]
    memberships = pl.concat([
        clean.select(role.alias("role_label"), pl.lit(rl).alias("role_level"), region.alias("region"),
                     pl.lit(gl).alias("region_level"), "year", "log_pay")
        for role, rl in roles for region, gl in regions])
    sample = (memberships.group_by("role_label", "region", "year")
              .agg(pl.len().alias("n"), pl.col("log_pay").median().alias("median_log"),
                   pl.col("log_pay").std().alias("sd_log"))
              .filter(pl.col("n") >= 300))
    cells = pl.read_parquet(market / "truth" / "cell_medians.parquet")
    joined = sample.join(cells, on=["role_label", "region", "year"], how="inner").with_columns(
        (pl.col("median_log") - pl.col("true_median").log()).alias("log_error"),
        (1.2533 * pl.col("sd_log") / pl.col("n").sqrt()).alias("standard_error"))
    assert joined.height == sample.height >= 30
    worst = joined.with_columns((pl.col("log_error") / pl.col("standard_error")).abs().alias("z")).sort("z").tail(3)
    assert (joined["log_error"].abs() <= 4 * joined["standard_error"]).all(), worst
    big = joined.filter(pl.col("n") >= 2_000)  # at 20k rows: All roles x United States in the busiest year
    assert big.height >= 1
    assert (big["log_error"].abs() <= math.log(1.02)).all(), big


def test_raw_pytorch_premium_is_confounded_by_role_while_a_controlled_regression_recovers_the_truth(market):
    t = truth(market)
    true_beta = t["premiums"]["PyTorch"]["beta"]
    clean = records(market).filter(pl.col("status") == "clean")
    us = clean.filter(pl.col("country_code") == "US").with_columns(
        pl.col("skills").list.contains("PyTorch").alias("has"))
    raw = (us.filter(pl.col("has"))["pay_annual_local"].median()
           / us.filter(~pl.col("has"))["pay_annual_local"].median() - 1) * 100
    design = pl.concat([
        clean.select("role_label").to_dummies(),
        clean.select("city", pl.col("year").cast(pl.String)).to_dummies(drop_first=True),
        clean.select(*[pl.col("skills").list.contains(s).cast(pl.Float64).alias(f"skill={s}")
          for s, v in t["premiums"].items() if v["kind"] == "skill"],
        *[pl.col("certifications").list.contains(s).cast(pl.Float64).alias(f"skill={s}")
          for s, v in t["premiums"].items() if v["kind"] == "certification"]),
    ], how="horizontal")
    coef, *_ = np.linalg.lstsq(design.to_numpy().astype(float), np.log(clean["pay_annual_local"].to_numpy()),
                               rcond=None)
    adjusted = coef[design.columns.index("skill=PyTorch")]
    true_pct = t["premiums"]["PyTorch"]["premium_pct"]
    assert true_pct == pytest.approx(100 * math.expm1(true_beta))
    assert abs(adjusted - true_beta) < 0.02
    assert abs(raw - true_pct) > 15, f"raw {raw:.1f} % should be far from the true {true_pct:.1f} %"
    assert abs(raw - true_pct) > 5 * abs(100 * math.expm1(adjusted) - true_pct)


def test_junk_counts_in_truth_equal_what_is_in_the_raw_files(market):
    t = truth(market)
    last = t["years"][1]
    sr = salary_rows(market)
    amount = sr["salary"].cast(pl.Float64, strict=False)
    found_sr = {
        "missing_title": int(sr["job_title"].is_null().sum()),
        "non_numeric_pay": int(amount.is_null().sum()),
        "non_positive_pay": int((amount <= 0).sum()),
        "unknown_currency": int((sr["salary_currency"] == "XYZ").sum()),
        "future_year": int((sr["work_year"].cast(pl.Int64) > last).sum()),
    }
    assert found_sr == t["junk_by_source"]["salary_reports"]
    for board in ("board_a", "board_b"):
        rows = posting_rows(market, board)
        date = rows["posted_at"].str.to_date("%Y-%m-%d", strict=False)
        found = {
            "missing_title": int(rows["title"].is_null().sum()),
            "non_numeric_pay": int((~rows["salary"].str.contains(r"\d")).sum()),
            "non_positive_pay": int(rows["salary"].str.contains(r"^\D*0\D*$").sum()),
            "unknown_currency": int(rows["salary"].str.starts_with("XYZ").sum()),
            "remote_no_country": int((rows["location"] == "Remote").sum()),
            "future_date": int((date.dt.year() > last).sum()),
            "malformed_date": int(date.is_null().sum()),
        }
        assert found == t["junk_by_source"][board]
    share = t["junk_total"] / t["rows_total"]
    assert 0.008 <= share <= 0.02
    assert sum(t["rows_per_source"].values()) == t["rows_total"] == ROWS


def test_cross_posts_copy_board_a_postings_a_few_days_later_and_are_counted(market):
    t = truth(market)
    a, b = posting_rows(market, "board_a"), posting_rows(market, "board_b")
    key = ["company", "title", "location", "salary", "description"]
    pairs = b.join(a, on=key, how="inner", suffix="_a")
    assert pairs.height == t["cross_post_duplicates"]
    assert 0.04 <= pairs.height / b.height <= 0.06
    assert (pairs["posting_id"] != pairs["posting_id_a"]).all()
    delay = (pairs["posted_at"].str.to_date("%Y-%m-%d") - pairs["posted_at_a"].str.to_date("%Y-%m-%d")).dt.total_days()
    assert delay.min() >= 0 and delay.max() <= 5
    assert a["posting_id"].n_unique() == a.height and b["posting_id"].n_unique() == b.height
    assert not set(a["posting_id"]) & set(b["posting_id"])


def test_salary_report_amounts_convert_back_to_the_latent_pay_and_outliers_are_ten_times_off(market):
    t = truth(market)
    rec = records(market).filter(pl.col("source") == "salary_reports")
    fx = yearly_fx().select("year", "currency", "usd_per_unit")
    rows = (salary_rows(market).join(rec, on=["source", "source_file", "row_number"], how="inner")
            .filter(pl.col("status") != "junk")
            .with_columns(pl.col("work_year").cast(pl.Int32).alias("fx_year"))
            .join(fx.rename({"currency": "salary_currency", "usd_per_unit": "usd_orig", "year": "fx_year"}),
                  on=["fx_year", "salary_currency"], how="left")
            .join(fx.rename({"currency": "currency_local", "usd_per_unit": "usd_local", "year": "fx_year"}),
                  on=["fx_year", "currency_local"], how="left")
            .with_columns((pl.col("salary").cast(pl.Float64)
                           * pl.col("pay_period").replace_strict(PERIOD_FACTORS, return_dtype=pl.Float64)
                           * pl.col("usd_orig") / pl.col("usd_local") / pl.col("pay_annual_local")).alias("ratio")))
    assert rows.height == t["rows_per_source"]["salary_reports"] - sum(t["junk_by_source"]["salary_reports"].values())
    clean = rows.filter(pl.col("status") == "clean")
    assert (clean["ratio"] - 1).abs().max() < 0.002
    off = rows.filter(((pl.col("ratio") - 10).abs() < 0.05) | ((pl.col("ratio") - 0.1).abs() < 0.005)
                      | ((pl.col("ratio") * 2080 - 1).abs() < 0.01))
    assert off.height == sum(t["outliers_by_source"]["salary_reports"].values()) == \
        rows.filter(pl.col("status") == "outlier").height
    assert t["outliers"] == records(market).filter(pl.col("status") == "outlier").height
    assert 0.002 <= t["outliers"] / t["rows_total"] <= 0.004


def test_posting_dollar_ranges_are_centred_on_the_latent_pay(market):
    rec = records(market).filter(pl.col("source") == "board_a")
    rows = posting_rows(market, "board_a").join(rec, on=["source", "source_file", "row_number"]).filter(
        (pl.col("status") == "clean") & pl.col("salary").str.contains(r"^\$\d+K-\$\d+K$"))
    low = rows["salary"].str.extract(r"^\$(\d+)K", 1).cast(pl.Float64) * 1000
    high = rows["salary"].str.extract(r"-\$(\d+)K$", 1).cast(pl.Float64) * 1000
    midpoint = (low + high) / 2
    assert rows.height >= 500
    assert ((midpoint / rows["pay_annual_local"] - 1).abs() <= 1000 / rows["pay_annual_local"] + 1e-9).all()
    assert (midpoint == rows["pay_annual_written_local"]).all()
    spread = (high - low) / (high + low)
    assert spread.min() > 0.03 and spread.max() < 0.17


def test_skill_prevalence_differs_by_role_family_and_descriptions_name_exactly_the_row_skills(market):
    clean = records(market).filter(pl.col("status") == "clean")
    families = {r["role"]: r["family"] for r in truth(market)["parameters"]["roles"]}
    share = (clean.with_columns(pl.col("role").replace_strict(families).alias("family"))
             .group_by("family").agg(pl.col("skills").list.contains("PyTorch").mean().alias("pytorch"),
                                     pl.col("skills").list.contains("Excel").mean().alias("excel")))
    by = {r["family"]: r for r in share.iter_rows(named=True)}
    assert by["machine_learning"]["pytorch"] >= 0.5 and by["analytics"]["pytorch"] <= 0.1
    assert by["analytics"]["excel"] >= 0.5 and by["machine_learning"]["excel"] <= 0.1
    rows = posting_rows(market, "board_a").join(records(market), on=["source", "source_file", "row_number"])
    text = rows["description"].str.to_lowercase()
    for skill, pattern in (("PyTorch", r"\b(pytorch|torch)\b"), ("Spark", r"\b(spark|pyspark|sparksql)\b"),
                           ("Excel", r"\bexcel\b")):  # names that no certification contains
        has = rows["skills"].list.contains(skill)
        mentioned = text.str.contains(pattern)
        assert (has == mentioned).all(), skill
