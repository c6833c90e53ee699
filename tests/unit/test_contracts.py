"""Table contracts (market_intel.contracts): coverage of the agreed schemas, checks, the dictionary."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market_intel import contracts
from market_intel.contracts import CONTRACTS, check_all, check_contract, conform, render_dictionary

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_publish import build_tables  # noqa: E402  (valid frames of every table, same folder)

ROOT = Path(__file__).resolve().parents[2]
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text()
DOC_TYPES = {"str": pl.String, "i64": pl.Int64, "i32": pl.Int32, "f64": pl.Float64, "bool": pl.Boolean,
             "date": pl.Date, "list[str]": pl.List(pl.String)}
# where the contract knowingly differs from docs/architecture.md (reported to the lead)
DEVIATIONS = {("observations", "fx_rate_date"): "nullable: a USD amount in a country whose currency has no ECB rate "
                                                 "has no rate date"}


def architecture_columns(table: str) -> list[str]:
    """Column names listed for `table` in docs/architecture.md ('`table`: a, b (note), c.')."""
    match = re.search(rf"^(?:- )?`{table}`: (.*?)(?=\n\s*\n|\n- `|\n`)", ARCHITECTURE, flags=re.S | re.M)
    assert match, table
    text = match.group(1)
    while re.search(r"\([^()]*\)", text):
        text = re.sub(r"\([^()]*\)", "", text)
    return [name.strip(" .\n") for name in text.replace("\n", " ").split(",") if name.strip(" .\n")]


def architecture_observations() -> dict[str, tuple[pl.DataType, bool]]:
    """name -> (dtype, nullable) from the observations table in docs/architecture.md."""
    section = ARCHITECTURE.split("## observations", 1)[1].split("\n\n", 2)[1]
    columns = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) < 2 or cells[0] in ("column", "---"):
            continue
        kind, _, null = cells[1].partition(" ")
        for name in cells[0].split(","):
            columns[name.strip()] = (DOC_TYPES[kind], null == "null")
    return columns


def violations_of(name: str, frame: pl.DataFrame) -> dict[str, int]:
    return {violation.rule: violation.rows for violation in check_contract(name, frame)}


# --- coverage of the agreed schemas ----------------------------------------------------------


def test_every_published_table_of_the_public_contract_has_a_contract():
    assert set(CONTRACTS) == {"observations", "rejects", "duplicates", "source_accounting", "role_region_stats",
                              "skill_premiums", "demand_signals", "projections", "backtests", "reports",
                              "report_claims", "runs", "skill_shares", "ppp", "backtest_summary"}


@pytest.mark.parametrize("table", sorted(set(CONTRACTS) - {"observations"}))
def test_contract_columns_are_exactly_those_agreed_in_the_architecture(table):
    assert list(CONTRACTS[table].column_names) == architecture_columns(table)


def test_observations_types_and_nullability_follow_the_architecture_table():
    agreed = architecture_observations()
    contract = {column.name: (column.dtype, column.nullable) for column in CONTRACTS["observations"].columns}
    assert list(contract) == list(agreed)
    differing = {name for name in agreed if agreed[name] != contract[name]}
    assert differing == {name for table, name in DEVIATIONS if table == "observations"}


def test_grain_columns_are_contract_columns_and_never_nullable():
    for contract in CONTRACTS.values():
        columns = {column.name: column for column in contract.columns}
        assert all(key in columns and not columns[key].nullable for key in contract.grain), contract.name
        assert all(key in columns for key in contract.partition_by)


def test_valid_tables_pass_every_contract():
    assert check_all(build_tables("r1", 5)) == []


# --- the checks ------------------------------------------------------------------------------


def test_quantiles_out_of_order_are_counted_and_the_smallest_offending_key_is_shown():
    stats = build_tables("r1", 6)["role_region_stats"].with_columns(
        pl.when(pl.col("region").is_in(["Region 04", "Region 02"])).then(160.0).otherwise(pl.col("p75")).alias("p75"))
    [violation] = check_contract("role_region_stats", stats)
    assert (violation.rule, violation.rows) == ("p10 <= p25 <= median <= p75 <= p90", 2)
    assert violation.example_key == {"role_label": "All roles", "region": "Region 02", "year": 2025}
    assert "role_region_stats.p10, p25, median, p75, p90: rule 'p10 <= p25 <= median <= p75 <= p90' failed in 2 row(s)" \
        in violation.message()


def test_float_round_off_is_not_an_ordering_violation():
    stats = build_tables("r1", 2)["role_region_stats"].with_columns((pl.col("median") * (1 + 1e-13)).alias("p25"))
    assert check_contract("role_region_stats", stats) == []


def test_a_rule_with_a_null_operand_does_not_apply_but_a_non_nullable_null_is_reported():
    stats = build_tables("r1", 3)["role_region_stats"].with_columns(
        pl.lit(None, pl.Float64).alias("median_ci_low"), pl.lit(500.0).alias("median_ci_high"))
    assert check_contract("role_region_stats", stats) == []
    stats = stats.with_columns(pl.when(pl.col("region") == "Region 01").then(None).otherwise(pl.col("n")).alias("n"))
    assert violations_of("role_region_stats", stats) == {"not null": 1}


def test_median_outside_its_interval_is_reported():
    stats = build_tables("r1", 3)["role_region_stats"].with_columns(pl.lit(101.0).alias("median_ci_low"))
    assert violations_of("role_region_stats", stats) == {"median_ci_low <= median <= median_ci_high": 3}


def test_n_must_be_positive_and_reliability_and_region_level_come_from_their_sets():
    stats = build_tables("r1", 4)["role_region_stats"].with_columns(
        pl.Series("n", [0, 5, 5, 5]), pl.Series("reliability", ["publish", "maybe", "warn", "suppress"]),
        pl.Series("region_level", ["country", "country", "state", "city"]))
    assert violations_of("role_region_stats", stats) == {"n > 0": 1, "reliability in set": 1, "region_level in set": 1}


def test_duplicate_grain_keys_are_reported():
    stats = build_tables("r1", 3)["role_region_stats"]
    assert violations_of("role_region_stats", pl.concat([stats, stats.head(1)])) == {"unique grain": 2}


def test_a_repeated_record_id_passes_the_duplicates_contract_but_a_cross_posting_of_itself_does_not():
    # rule 1 (same source, same record id): duplicate_of is the record's own id, that of its first copy,
    # which is kept; the nightly run of a source with a repeated id used to fail its publish on this rule
    from transforms.observations import build_observations
    from test_observations import obs  # same folder (on sys.path above)

    built = build_observations([obs([{"source": "s", "kind": "salary_report", "record_id": "r1"},
                                     {"source": "s", "kind": "salary_report", "record_id": "r1"}])], [], {"s": 2},
                               None, outlier_rule_enabled=True, outlier_mad_threshold=3.5,
                               posting_duplicate_window_days=7, posting_duplicate_pay_tolerance=0.05)
    assert built.duplicates.select("record_id", "duplicate_of", "rule").rows() == [("r1", "r1", "same_record_id")]
    assert check_contract("duplicates", built.duplicates) == []
    crossed = built.duplicates.with_columns(pl.lit("cross_posted").alias("rule"))
    assert violations_of("duplicates", crossed) == {"not its own duplicate": 1}


@pytest.mark.parametrize("batch_rows", [1, 3, 1000])
def test_a_lazy_table_is_checked_batch_by_batch_like_a_frame(batch_rows, monkeypatch, tmp_path):
    """Lazy tables (observations at scale) hash the grain batch by batch into one sorted array: a key
    repeated in another batch, a null in a non-nullable column and a broken row rule are all found,
    with the same counts and example key as the in-memory check."""
    monkeypatch.setattr(contracts, "LAZY_CHECK_ROWS", batch_rows)
    stats = build_tables("r1", 7)["role_region_stats"]
    broken = pl.concat([stats, stats.head(1)]).with_columns(
        pl.when(pl.col("region") == "Region 03").then(None).otherwise(pl.col("n")).alias("n"),
        pl.when(pl.col("region") == "Region 05").then(101.0).otherwise(pl.col("median_ci_low")).alias("median_ci_low"))
    broken.write_parquet(tmp_path / "stats.parquet")
    eager = check_contract("role_region_stats", broken)
    lazy = check_contract("role_region_stats", pl.scan_parquet(tmp_path / "stats.parquet"))
    assert {v.rule: v.rows for v in lazy} == {"unique grain": 2, "not null": 1,
                                              "median_ci_low <= median <= median_ci_high": 1}
    assert lazy == eager
    stats.write_parquet(tmp_path / "valid.parquet")
    assert check_contract("role_region_stats", pl.scan_parquet(tmp_path / "valid.parquet")) == []


def test_rows_read_must_equal_kept_plus_rejected_plus_duplicate():
    accounting = build_tables("r1", 2)["source_accounting"].with_columns(pl.Series("rows_read", [12, 13]))
    assert violations_of("source_accounting", accounting) == {"rows_read = kept + rejected + duplicate": 1}


def test_projection_intervals_must_nest_around_the_projection():
    projections = build_tables("r1", 1)["projections"]
    assert check_contract("projections", projections) == []
    swapped = projections.with_columns(pl.col("pi80_low").alias("pi_low"), pl.col("pi_low").alias("pi80_low"))
    assert violations_of("projections", swapped) == {"pi_low <= pi80_low <= projected <= pi80_high <= pi_high": 1}


def test_premium_must_lie_in_its_interval_and_method_is_adjusted_or_raw():
    premiums = build_tables("r1", 1)["skill_premiums"].with_columns(
        pl.Series("premium_pct", [9.0, 7.0]), pl.Series("method", ["adjusted", "ols"]))
    assert violations_of("skill_premiums", premiums) == {"ci_low <= premium_pct <= ci_high": 1, "method in set": 1}


def test_observation_arithmetic_is_checked_against_the_period_and_the_rates():
    observations = build_tables("r1", 2)["observations"]
    broken = observations.with_columns(
        pl.when(pl.col("row_number") == 2).then(pl.lit("hour")).otherwise(pl.col("pay_period")).alias("pay_period"),
        pl.when(pl.col("row_number") == 3).then(pl.col("pay_annual_usd") * 2).otherwise(pl.col("pay_annual_usd"))
        .alias("pay_annual_usd"))
    assert violations_of("observations", broken) == {"annualisation factor": 1, "usd = annual x fx_rate_usd": 1}


def test_role_label_must_read_seniority_words_then_role_name():
    observations = build_tables("r1", 2)["observations"]
    worded = observations.with_columns(
        pl.when(pl.col("seniority") == "Junior").then(pl.lit("Entry-level Machine Learning Manager"))
        .otherwise(pl.col("role_label")).alias("role_label"))
    assert check_contract("observations", worded) == []
    broken = observations.with_columns(
        pl.when(pl.col("row_number") == 2).then(pl.lit("Machine Learning Manager (Senior)"))
        .when(pl.col("row_number") == 1).then(pl.lit("Junior Machine Learning Manager"))  # seniority is null
        .otherwise(pl.col("role_label")).alias("role_label"))
    assert violations_of("observations", broken) == {"role_label from seniority": 2}


def test_missing_columns_and_wrong_dtypes_are_reported_before_rules():
    runs = build_tables("r1", 1)["runs"].drop("code_version").with_columns(pl.col("as_of").cast(pl.String))
    found = {(violation.column, violation.rule) for violation in check_contract("runs", runs)}
    assert found == {("code_version", "present"), ("as_of", "dtype")}


def test_conform_widens_integers_but_leaves_lossy_casts_for_the_check_to_report():
    accounting = build_tables("r1", 2)["source_accounting"]
    narrow = accounting.with_columns(pl.col("files").cast(pl.Int16), pl.col("rows_read").cast(pl.UInt8))
    assert conform("source_accounting", narrow).schema == accounting.schema
    stats = build_tables("r1", 1)["role_region_stats"].with_columns(pl.lit(2**40, pl.Int64).alias("year"))
    assert violations_of("role_region_stats", conform("role_region_stats", stats)) == {"dtype": 0}


def test_conform_puts_contract_columns_first_and_keeps_extras():
    reports = build_tables("r1", 1)["reports"]
    shuffled = reports.with_columns(pl.lit(1).alias("word_count")).select(["word_count", *reversed(reports.columns)])
    assert conform("reports", shuffled).columns == [*reports.columns, "word_count"]
    assert check_contract("reports", shuffled) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.floats(0, 1000, allow_nan=False), min_size=5, max_size=5), min_size=1, max_size=30))
def test_quantile_order_violations_match_a_row_by_row_count(quantiles):
    base = build_tables("r1", len(quantiles))["role_region_stats"]
    names = ["p10", "p25", "median", "p75", "p90"]
    frame = base.with_columns([pl.Series(name, [row[index] for row in quantiles]) for index, name in enumerate(names)])
    frame = frame.with_columns(pl.col("median").alias("median_ci_low"), pl.col("median").alias("median_ci_high"),
                               pl.col("median").alias("shrunk_median"))
    expected = sum(any(row[i] > row[i + 1] + 1e-9 * (abs(row[i + 1]) + 1) for i in range(4)) for row in quantiles)
    assert violations_of("role_region_stats", frame).get("p10 <= p25 <= median <= p75 <= p90", 0) == expected


# --- the data dictionary ---------------------------------------------------------------------


def test_docs_tables_md_is_generated_from_the_contracts():
    written = (ROOT / "docs" / "tables.md").read_text()
    assert written == render_dictionary(), (
        "docs/tables.md is out of date; regenerate it with: python -m market_intel.contracts > docs/tables.md")


def test_dictionary_lists_every_column_with_its_type_and_meaning():
    text = render_dictionary()
    for name, contract in CONTRACTS.items():
        section = text.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        assert f"**Grain:** one row per {', '.join(contract.grain)}." in section
        for column in contract.columns:
            null = "yes" if column.nullable else "no"
            row = f"| `{column.name}` | {contracts.dtype_label(column.dtype)} | {null} | "
            assert row + column.description.replace("|", "\\|") + " |" in section, (name, column.name)


def test_dictionary_marks_extra_columns_of_a_snapshot():
    text = render_dictionary(extras={"runs": {"host_region": pl.String, "run_id": pl.String}})
    assert "| `host_region` | str | yes | extra (not in the contract) |" in text
    assert "`run_id` | str | yes | extra" not in text


def test_fx_rate_date_must_be_the_date_its_method_uses():
    # the dictionary said 'Dec 31 for yearly averages; null for identity': a yearly average is dated the
    # year's last ECB day (2023-12-29), an identity conversion its posted date; now a rule says which
    observations = build_tables("r1", 2)["observations"]
    assert check_contract("observations", observations) == []
    dated = observations.with_columns(
        pl.when(pl.col("fx_method") == "identity").then(pl.col("posted_date"))
        .otherwise(pl.date(pl.col("year"), 12, 29)).alias("fx_rate_date"))
    assert check_contract("observations", dated) == []
    identity = dated.filter(pl.col("fx_method") == "identity").head(1)
    yearly = dated.filter(pl.col("fx_method") == "yearly_average").head(1)
    wrong = pl.concat([
        identity.with_columns(pl.date(pl.col("year"), 12, 31).alias("fx_rate_date")),  # dated, not Dec 31
        yearly.with_columns(pl.date(pl.col("year") + 1, 1, 2).alias("fx_rate_date")),
        yearly.with_columns(pl.lit("daily").alias("fx_method"), (pl.col("posted_date") - pl.duration(days=8))
                            .alias("fx_rate_date"), (pl.col("row_number") + 100).alias("row_number")),
    ])
    assert wrong.height == 3
    assert violations_of("observations", wrong) == {"fx_rate_date follows fx_method": 3}


def test_the_dictionary_says_what_cv_ci_method_and_the_demand_columns_are():
    import numpy as np

    from transforms import stats

    # cv is the half-width over 1.96 x median (an SE over the median), not the relative half-width
    cell = pl.DataFrame({"n": [100], "median": [100.0], "median_ci_low": [90.0], "median_ci_high": [110.0]})
    cv = stats.attach_reliability(cell, min_n=10, cv_publish=0.165, cv_warn=0.333)["cv"][0]
    assert cv == pytest.approx(10.0 / (stats.Z_95 * 100.0))
    meaning = {(t, col.name): col.description for t, contract in CONTRACTS.items() for col in contract.columns}
    assert "1.96" in meaning[("role_region_stats", "cv")] and "not the relative half-width" in meaning[
        ("role_region_stats", "cv")]
    # ci_method names the two methods stats.py writes, and the contract allows those only
    for method in (stats.CI_METHOD_EXACT, stats.CI_METHOD_INTERPOLATED):
        assert method in meaning[("role_region_stats", "ci_method")]
    interpolated = stats.median_ci_ranks(np.array([stats.CI_EXACT_MAX_N + 1]))
    assert interpolated[0][0] >= 1
    stats_table = build_tables("r1", 1)["role_region_stats"]
    assert violations_of("role_region_stats", stats_table.with_columns(pl.lit("bootstrap").alias("ci_method"))) == {
        "ci_method in set": 1}
    # demand_signals: salary reports count by year (a month row repeats its year's count), shares are of
    # the postings that state a level, Executive counts as senior
    assert "year" in meaning[("demand_signals", "salary_reports")]
    assert "state a level" in meaning[("demand_signals", "entry_share")]
    assert "Executive" in meaning[("demand_signals", "senior_share")]


def test_a_month_may_carry_the_13_to_16_pays_a_year_its_text_states_and_nothing_else():
    observations = build_tables("r1", 2)["observations"]

    def monthly(factor: float) -> pl.DataFrame:
        first = pl.col("row_number") == pl.col("row_number").min()
        return observations.with_columns(
            pl.when(first).then(pl.lit("month")).otherwise(pl.col("pay_period")).alias("pay_period"),
            pl.when(first).then(pl.lit(factor)).otherwise(pl.col("annualisation_factor")).alias("annualisation_factor"),
            *[pl.when(first).then(pl.col("pay_annual_original") / factor).otherwise(pl.col(c)).alias(c)
              for c in ("pay_original", "pay_min_original", "pay_max_original")])
    for factor in (12.0, 13.0, 14.0, 16.0):
        assert check_contract("observations", monthly(factor)) == [], factor
    for factor in (11.0, 17.0, 52.0):
        assert violations_of("observations", monthly(factor)) == {"annualisation factor": 1}, factor
