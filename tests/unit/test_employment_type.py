"""employment_type normalised to canonical values; part-time salaries and internships (is_non_fte_pay)
kept in observations but left out of every pay statistic: role_region_stats, skill_premiums and the
outlier rule's reference."""
from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from market_intel.settings import get_settings
from transforms import premiums, stats
from transforms.normalise import normalise
from transforms.observations import build_observations, flag_outliers
from transforms.reference import load_reference
from transforms.specs import SourceSpec
from transforms.staging import stage_file
from tests.unit.test_normalise import BASE, run
from tests.unit.test_observations import SETTINGS, obs
from tests.unit.test_premiums import simulated_market
from tests.unit.test_stats import simulated_observations


@pytest.mark.parametrize(("given", "canonical"), [
    ("FT", "full_time"), ("Full-time", "full_time"), ("full_time", "full_time"), ("FULL TIME", "full_time"),
    ("PT", "part_time"), ("Part time", "part_time"), ("part-time", "part_time"), (" Part_Time ", "part_time"),
    ("CT", "contract"), ("Contract", "contract"), ("Contractor", "contract"),
    ("FL", "freelance"), ("Freelance", "freelance"),
    ("Internship", "internship"), ("Intern", "internship"),
    ("Temporary", "temporary"), ("temp", "temporary"),
    ("Full-time, Contract", None), ("Volunteer", None), (None, None),
])
def test_employment_types_map_to_canonical_values(given, canonical):
    from transforms.normalise import employment_type

    assert employment_type(pl.Series("e", [given], dtype=pl.String)).to_list() == [canonical]


@pytest.mark.parametrize(("row", "kind", "excluded"), [
    ({"employment_type": "PT"}, "part_time", True),  # a yearly part-time salary
    ({"employment_type": "Part-time", "pay": "3000", "pay_period": "month"}, "part_time", True),
    ({"employment_type": "Part-time", "pay": "900", "pay_period": "weekly"}, "part_time", True),
    ({"employment_type": "Part-time", "pay": "4000", "pay_period": "bi-weekly"}, "part_time", True),
    # an hourly / daily part-time rate annualised at 2080 h / 260 d is a full-time equivalent
    ({"employment_type": "PT", "pay": "50", "pay_period": "hourly"}, "part_time", False),
    ({"employment_type": "PT", "pay": "400", "pay_period": "daily"}, "part_time", False),
    ({"employment_type": "Internship", "pay": "25", "pay_period": "hourly"}, "internship", True),
    ({"employment_type": "Internship"}, "internship", True),
    ({"employment_type": "FT"}, "full_time", False),
    ({"employment_type": "Contract"}, "contract", False),
    ({"employment_type": "whatever"}, None, False),
    ({}, None, False),
])
def test_part_time_salaries_and_internships_are_kept_and_flagged(row, kind, excluded):
    result = run([{**BASE, **row}])
    assert result.rejects.height == 0
    got = result.observations.select("employment_type", "is_non_fte_pay").row(0)
    assert got == (kind, excluded)


def test_the_specs_values_recoding_comes_first(tmp_path):
    (tmp_path / "x.csv").write_text("t,p,c,y,e\nData Scientist,100000,US,2024,P\nData Scientist,100000,US,2024,F\n"
                                    "Data Scientist,100000,US,2024,X\n")
    spec = SourceSpec(name="unit", kind="salary_report", format="csv", path="x.csv", base_dir=tmp_path,
                      fields={"job_title": "t", "pay": "p", "country": "c", "year": "y", "employment_type": "e"},
                      constants={"currency": "USD"},
                      values={"employment_type": {"P": "Part time", "F": "full_time"}})
    staged = stage_file(spec, tmp_path / "x.csv").frame
    result = normalise(staged, spec, load_reference(), as_of=date(2026, 1, 1))
    assert result.observations.select("employment_type", "is_non_fte_pay").rows() == [
        ("part_time", True), ("full_time", False), (None, False)]


def _with_part_time(frame: pl.DataFrame, share: float, seed: int) -> pl.DataFrame:
    """A share of rows flagged is_non_fte_pay, their pay at 40 % (part-time salaries)."""
    flagged = np.random.default_rng(seed).random(frame.height) < share
    pay = [c for c in ("pay_annual_usd", "pay_annual_local") if c in frame.columns]
    return frame.with_columns(pl.Series("is_non_fte_pay", flagged),
                              *[pl.when(pl.Series(flagged)).then(pl.col(c) * 0.4).otherwise(pl.col(c)).alias(c)
                                for c in pay])


def test_role_region_stats_leave_part_time_salaries_out():
    observations = _with_part_time(simulated_observations(), 0.15, 3)
    published = stats.build_role_region_stats(observations, get_settings())
    # the same cells computed on the full-time rows only, by the same function
    expected = stats.build_role_region_stats(
        observations.filter(~pl.col("is_non_fte_pay")).drop("is_non_fte_pay"), get_settings())
    assert published.equals(expected)
    everyone = stats.build_role_region_stats(observations.drop("is_non_fte_pay"), get_settings())
    assert not everyone.equals(expected)  # the rows would have mattered
    world = published.filter((pl.col("role_label") == "All roles") & (pl.col("region") == "World")
                             & (pl.col("year") == 2024))
    kept = observations.filter(~pl.col("is_outlier") & ~pl.col("is_non_fte_pay") & (pl.col("year") == 2024))
    assert world["n"].item() == kept.height
    assert world["median"].item() == pytest.approx(kept["pay_annual_usd"].median(), rel=1e-12)


def test_skill_premiums_leave_part_time_salaries_out():
    market = _with_part_time(simulated_market(rows=8_000), 0.15, 4)
    published = premiums.skill_premiums(market, min_n_with=30)
    expected = premiums.skill_premiums(market.filter(~pl.col("is_non_fte_pay")).drop("is_non_fte_pay"), min_n_with=30)
    assert published.equals(expected)
    assert not premiums.skill_premiums(market.drop("is_non_fte_pay"), min_n_with=30).equals(expected)
    n = published.filter((pl.col("role_label") == "All roles") & (pl.col("region") == "World")
                         & (pl.col("skill") == "Python") & (pl.col("method") == "raw"))
    assert n["n_with"].item() + n["n_without"].item() == market.filter(~pl.col("is_non_fte_pay")).height


def test_the_outlier_rule_judges_full_time_rates_against_full_time_rates_only():
    rng = np.random.default_rng(5)
    full_time = [{"pay_annual_usd": float(p), "is_non_fte_pay": False}
                 for p in np.exp(rng.normal(np.log(120_000), 0.08, 40))]
    full_time.append({"pay_annual_usd": 60_000.0, "is_non_fte_pay": False})  # half the usual full-time pay
    part_time = [{"pay_annual_usd": float(p), "is_non_fte_pay": True}
                 for p in np.exp(rng.normal(np.log(50_000), 0.3, 25))]
    rows = [{**r, "kind": "salary_report", "company": None, "source": "s"} for r in full_time + part_time]
    frame = obs(rows).with_columns(pl.Series("is_non_fte_pay", [r["is_non_fte_pay"] for r in rows]))
    built = build_observations([frame], [], {"s": len(rows)}, None, **SETTINGS)
    # independent: the rule applied to the full-time rows alone; part-time rows are not judged
    alone = flag_outliers(frame.filter(~pl.col("is_non_fte_pay")), threshold=3.5)["is_outlier"].to_list()
    assert built.observations.filter(~pl.col("is_non_fte_pay"))["is_outlier"].to_list() == alone
    assert alone[-1] is True  # the 60k full-time row stands out among full-time rates ...
    mixed = flag_outliers(frame, threshold=3.5)["is_outlier"].to_list()
    assert mixed[len(full_time) - 1] is False  # ... but not in a reference diluted by part-time salaries
    assert not built.observations.filter(pl.col("is_non_fte_pay"))["is_outlier"].any()
    assert built.observations.height == len(rows)  # every row kept
