"""skill_premiums: adjusted (fixed-effect regression, HC1) and raw (median ratio) premiums.

Every market here is simulated in the test from seeded draws with known true effects.
"""
from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy.stats import linregress

from transforms import premiums

ROLES = {  # role_name: log pay shift, probability of holding PyTorch
    "Machine Learning Manager": (0.60, 0.80),
    "Data Analyst": (0.00, 0.10),
    "Data Engineer": (0.20, 0.30),
}
COUNTRIES = {"United States": 0.0, "Canada": -0.2}
TRUE_LOG_EFFECTS = {"Python": math.log(1.10), "PyTorch": math.log(1.03), "SQL": 0.0, "AWS Certified": math.log(1.05)}
TRUE_PAIR_LOG_EXTRA = math.log(1.04)  # Python + PyTorch together earn 4 % beyond the two effects


def simulated_market(rows: int = 30_000, seed: int = 21) -> pl.DataFrame:
    """Log pay = role + country + year + skill effects + heteroskedastic noise; PyTorch follows role."""
    rng = np.random.default_rng(seed)
    role_names = list(ROLES)
    role = rng.integers(0, len(role_names), rows)
    country_names = list(COUNTRIES)
    country = rng.integers(0, len(country_names), rows)
    year = 2024 + rng.integers(0, 2, rows)
    seniority = rng.choice(["Junior", "Senior"], rows)
    pytorch = rng.random(rows) < np.array([ROLES[role_names[r]][1] for r in role])
    python = rng.random(rows) < 0.5
    sql = rng.random(rows) < 0.6
    aws = rng.random(rows) < 0.2
    rare = rng.random(rows) < 20 / rows  # about 20 holders: below the minimum, never published
    noise_sd = 0.25 + 0.15 * python  # heteroskedastic on purpose
    log_pay = (11.0 + np.array([ROLES[role_names[r]][0] for r in role])
               + np.array([COUNTRIES[country_names[c]] for c in country]) + 0.03 * (year - 2024)
               + 0.15 * (seniority == "Senior")
               + TRUE_LOG_EFFECTS["Python"] * python + TRUE_LOG_EFFECTS["PyTorch"] * pytorch
               + TRUE_LOG_EFFECTS["AWS Certified"] * aws + TRUE_PAIR_LOG_EXTRA * (python & pytorch)
               + rng.normal(0.0, noise_sd))
    skills = [[name for name, has in (("Python", p), ("PyTorch", t), ("SQL", q), ("Fortran", f)) if has]
              for p, t, q, f in zip(python, pytorch, sql, rare)]
    certifications = [["AWS Certified"] if a else [] for a in aws]
    return pl.DataFrame({
        "record_id": [f"r{i}" for i in range(rows)],
        "role_name": [role_names[r] for r in role],
        "role_label": [f"{s} {role_names[r]}" for s, r in zip(seniority, role)],
        "country": [country_names[c] for c in country],
        "year": year.astype(np.int32),
        "pay_annual_usd": np.exp(log_pay),
        "skills": skills,
        "certifications": certifications,
        "is_outlier": False,
    }, schema_overrides={"skills": pl.List(pl.String), "certifications": pl.List(pl.String)})


@pytest.fixture(scope="module")
def market() -> pl.DataFrame:
    return simulated_market()


@pytest.fixture(scope="module")
def result(market) -> pl.DataFrame:
    return premiums.skill_premiums(market, min_n_with=30)


def estimate(result: pl.DataFrame, skill: str, method: str, role_label="All roles", region="World") -> dict:
    return result.filter((pl.col("role_label") == role_label) & (pl.col("region") == region)
                         & (pl.col("skill") == skill) & (pl.col("method") == method)).row(0, named=True)


def test_adjusted_premiums_recover_the_simulated_effects(market, result):
    # without the pair term, Python's main effect also carries the Python + PyTorch extra times the
    # PyTorch share (PyTorch is independent of Python within each role)
    pytorch_share = market["skills"].list.contains("PyTorch").mean()
    python_effect = TRUE_LOG_EFFECTS["Python"] + pytorch_share * TRUE_PAIR_LOG_EXTRA
    for skill, log_effect in [("Python", python_effect), ("SQL", 0.0),
                              ("AWS Certified", TRUE_LOG_EFFECTS["AWS Certified"])]:
        row = estimate(result, skill, "adjusted")
        truth = 100 * math.expm1(log_effect)
        assert row["premium_pct"] == pytest.approx(truth, abs=1.5), skill
        assert row["ci_low"] <= truth <= row["ci_high"], skill
    assert estimate(result, "AWS Certified", "adjusted")["kind"] == "certification"


def test_confounded_skill_shows_a_large_raw_premium_but_a_near_true_adjusted_one(result):
    # PyTorch is common among (well paid) ML managers: raw comparison mixes in the role gap
    raw = estimate(result, "PyTorch", "raw")
    adjusted_pair_free_truth = 100 * math.expm1(TRUE_LOG_EFFECTS["PyTorch"])
    assert raw["premium_pct"] > 25
    adjusted = estimate(result, "PyTorch", "adjusted")
    # main effect regression: PyTorch effect plus about half the Python interaction (half hold Python)
    expected = 100 * math.expm1(TRUE_LOG_EFFECTS["PyTorch"] + 0.5 * TRUE_PAIR_LOG_EXTRA)
    assert adjusted["premium_pct"] == pytest.approx(expected, abs=2.0)
    assert adjusted["premium_pct"] < raw["premium_pct"] - 20
    assert adjusted_pair_free_truth < raw["premium_pct"]


def test_skill_pair_premium_is_the_total_for_holding_both(result):
    pair = estimate(result, "Python + PyTorch", "adjusted")
    assert pair["kind"] == premiums.PAIR_KIND == "pair"
    truth = 100 * math.expm1(TRUE_LOG_EFFECTS["Python"] + TRUE_LOG_EFFECTS["PyTorch"] + TRUE_PAIR_LOG_EXTRA)
    assert pair["premium_pct"] == pytest.approx(truth, abs=2.5)
    assert pair["ci_low"] <= truth <= pair["ci_high"]


def test_hc1_standard_error_matches_the_textbook_sandwich_on_a_tiny_dataset():
    x = np.array([1.0, 2.0, 4.0, 5.0, 7.0, 8.0])
    y = np.array([1.2, 1.9, 4.4, 4.6, 7.9, 7.7])
    xd, yd = x - x.mean(), y - y.mean()  # the intercept is the one absorbed fixed effect
    beta, cov = premiums.fit_hc1(xd[:, None], yd, absorbed_dof=1)
    slope = float(np.sum(xd * yd) / np.sum(xd ** 2))
    residual = yd - slope * xd
    n, k = len(x), 2
    hc1_variance = n / (n - k) * float(np.sum(xd ** 2 * residual ** 2)) / float(np.sum(xd ** 2)) ** 2
    assert beta[0] == pytest.approx(slope, rel=1e-12)
    assert cov[0, 0] == pytest.approx(hc1_variance, rel=1e-12)


def test_hc1_standard_error_agrees_with_linregress_under_homoskedastic_noise():
    rng = np.random.default_rng(2)
    x = rng.normal(size=20_000)
    y = 0.3 * x + rng.normal(0.0, 1.0, x.size)
    beta, cov = premiums.fit_hc1((x - x.mean())[:, None], y - y.mean(), absorbed_dof=1)
    reference = linregress(x, y)
    assert beta[0] == pytest.approx(reference.slope, rel=1e-9)
    assert math.sqrt(cov[0, 0]) == pytest.approx(reference.stderr, rel=0.03)


def test_a_skill_below_the_minimum_holders_gets_no_row(market, result):
    holders = market.filter(pl.col("skills").list.contains("Fortran")).height
    assert 0 < holders < 30
    assert result.filter(pl.col("skill") == "Fortran").height == 0
    assert (result["n_with"] >= 30).all() and (result["n_without"] >= 30).all()


def test_raw_premium_is_the_ratio_of_medians_with_and_without(market, result):
    canada = market.filter(pl.col("country") == "Canada")
    has_python = canada["skills"].list.contains("Python")
    ratio = canada.filter(has_python)["pay_annual_usd"].median() / canada.filter(~has_python)["pay_annual_usd"].median()
    row = estimate(result, "Python", "raw", region="Canada")
    assert row["premium_pct"] == pytest.approx(100 * (ratio - 1), rel=1e-12)
    assert row["ci_low"] < row["premium_pct"] < row["ci_high"]


def test_share_in_top_decile_counts_holders_among_the_cells_best_paid(market, result):
    cell = market.filter((pl.col("role_name") == "Data Engineer") & (pl.col("country") == "United States"))
    threshold = np.quantile(cell["pay_annual_usd"].to_numpy(), 0.9)
    top = cell.filter(pl.col("pay_annual_usd") >= threshold)
    expected = top["skills"].list.contains("Python").mean()
    row = estimate(result, "Python", "adjusted", role_label="Data Engineer", region="United States")
    assert row["share_in_top_decile"] == pytest.approx(expected, rel=1e-12)


def test_cells_cover_overall_country_and_role_levels_sorted_and_reproducible(market, result):
    cells = set(result.select("role_label", "region").unique().iter_rows())
    assert ("All roles", "World") in cells and ("All roles", "Canada") in cells
    assert ("Data Analyst", "United States") in cells and ("Data Analyst", "World") in cells
    key = list(premiums.PREMIUM_KEY)
    assert result.equals(result.sort(key))
    assert result.select(key).is_unique().all()
    assert premiums.skill_premiums(market.sample(fraction=1.0, shuffle=True, seed=1), min_n_with=30).equals(result)


def test_rows_of_sources_without_skill_information_are_left_out(market, result):
    """Null skills lists (a source that maps no skills, certifications or description field, e.g.
    aijobs.net's salaries) are unknown, not "no skill": rows of them, here paid 3x the market in the
    same cells, change nothing, where counted as "without" they would pull every premium down."""
    unknown = market.head(5_000).with_columns(
        pl.concat_str([pl.lit("u"), pl.col("record_id")]).alias("record_id"),
        (pl.col("pay_annual_usd") * 3.0).alias("pay_annual_usd"),
        pl.lit(None, dtype=pl.List(pl.String)).alias("skills"),
        pl.lit(None, dtype=pl.List(pl.String)).alias("certifications"))
    mixed = pl.concat([unknown, market]).sort("record_id")
    assert premiums.skill_premiums(mixed, min_n_with=30).equals(result)
    as_none = mixed.with_columns(pl.col("skills").fill_null([]), pl.col("certifications").fill_null([]))
    biased = premiums.skill_premiums(as_none, min_n_with=30)
    assert estimate(biased, "Python", "adjusted")["premium_pct"] < estimate(result, "Python", "adjusted")["premium_pct"] - 1


def test_a_column_whose_variance_rounds_below_zero_gets_no_premium_and_no_warning():
    """Round-off can leave the HC1 variance of a barely identified column slightly negative (-7e-19 for
    a certification held by 2 of 70 rows in the 12k-row test market): no interval can be given, so no
    row is published, without numpy's 'invalid value in sqrt' warning; a pair whose variance is
    negative is skipped the same way (math.sqrt raised before)."""
    import warnings

    names = [("Python", "skill"), ("SQL", "skill")]
    fit = {"single": (np.array([0.1, 0.2]), np.array([0, 1]), np.eye(2)),
           "meat": np.diag([1e-4, -7e-19]), "paired": None}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rows = premiums._adjusted_records(fit, np.array([40, 40]), np.array([0.1, 0.1]), names, [], 200, 10, 2, 30)
    assert [row["skill"] for row in rows] == ["Python"]
    assert rows[0]["std_error"] == pytest.approx(math.sqrt(200 / (200 - 2 - 10) * 1e-4))

    pair_fit = {**fit, "meat": np.diag([1e-4, 1e-4]), "chosen": [0], "pair_columns": np.array([0, 1, 2]),
                "paired": (np.array([0.1, 0.2, 0.05]), np.array([0, 1, 2]), np.eye(3)),
                "pair_meat": np.diag([1e-4, 1e-4, -1.0])}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rows = premiums._adjusted_records(pair_fit, np.array([40, 40, 35]), np.array([0.1, 0.1, 0.1]), names,
                                          [(0, 1, 35)], 200, 10, 2, 30)
    assert [row["skill"] for row in rows] == ["Python", "SQL"]
