"""Table contracts: what every published table promises to analysts, checked before publishing.

One `TableContract` per published table (the public list in ../shared/docs/contract.md, the
columns in docs/architecture.md): its grain (the columns that identify a row), every required
column's Polars dtype, nullability and meaning, and row rules such as
`p10 <= p25 <= median <= p75 <= p90`.

Policy (decided for issue 7):

- **Strict for contract columns.** Every listed column must be present with exactly the listed
  dtype after `conform()`, which only applies lossless or unambiguous casts (integer widths,
  Float32 -> Float64, integers -> Float64, an all-null column to the listed type, a Datetime's
  time unit, a naive Datetime taken as UTC, Categorical -> String). Anything else is a violation.
- **Permissive for extras.** Producers may add columns; they are published after the contract
  columns and listed as "extra" in the catalog's `data_dictionary`.
- Nulls are violations only in columns not marked nullable; a rule treats a null operand as
  "not applicable" (the nullability check owns nulls), so `median_ci_low <= median` holds
  vacuously when a small cell has no interval.
- Ordering rules allow a relative slack of 1e-9 so that float round-off is not a violation.

`check_contract(name, frame)` evaluates every check of a table in one Polars plan and returns
`Violation`s with an example offending key (the smallest by grain), so an error message points
at a row someone can look up. `render_dictionary()` produces docs/tables.md:

    python -m market_intel.contracts > docs/tables.md
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Mapping, Sequence

import polars as pl

SLACK = 1e-9
REGION_LEVELS = ("world", "country", "subdivision", "city")
RELIABILITY = ("publish", "warn", "suppress")
SENIORITIES = ("Junior", "Mid", "Senior", "Lead", "Executive")
EMPLOYMENT_TYPES = ("full_time", "part_time", "contract", "freelance", "internship", "temporary")
PAY_PERIODS = ("hour", "day", "week", "fortnight", "half_month", "month", "year")
ANNUALISATION = {"hour": 2080.0, "day": 260.0, "week": 52.0, "fortnight": 26.0, "half_month": 24.0, "month": 12.0,
                 "year": 1.0}
UTC_TIME = pl.Datetime("us", "UTC")
STRINGS = pl.List(pl.String)


@dataclass(frozen=True)
class Column:
    """One required column: name, exact Polars dtype, whether nulls are allowed, and meaning."""

    name: str
    dtype: pl.DataType
    description: str
    nullable: bool = False


@dataclass(frozen=True)
class Rule:
    """A row rule: `check` is true for a valid row (null means not applicable)."""

    name: str
    description: str
    columns: tuple[str, ...]
    check: pl.Expr


@dataclass(frozen=True)
class TableContract:
    """Everything a table promises: grain, columns, rules, and how it is laid out on disk."""

    name: str
    description: str
    grain: tuple[str, ...]
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...] = ()
    partition_by: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def schema(self) -> dict[str, pl.DataType]:
        return {column.name: column.dtype for column in self.columns}


@dataclass(frozen=True)
class Violation:
    """One failed check: which table, column(s) and rule, how many rows, one example key."""

    table: str
    column: str
    rule: str
    detail: str
    rows: int = 0
    example_key: Mapping[str, object] | None = None

    def message(self) -> str:
        where = f"{self.table}.{self.column}"
        count = f" in {self.rows} row(s)" if self.rows else ""
        example = f"; e.g. key {dict(self.example_key)}" if self.example_key else ""
        return f"{where}: rule '{self.rule}' failed{count} ({self.detail}){example}"


class ContractError(ValueError):
    """Raised when tables break their contracts; carries every `Violation` found."""

    def __init__(self, violations: Sequence[Violation]):
        self.violations = list(violations)
        lines = [violation.message() for violation in self.violations[:25]]
        more = len(self.violations) - len(lines)
        if more > 0:
            lines.append(f"... and {more} more violation(s)")
        super().__init__(f"{len(self.violations)} contract violation(s):\n  " + "\n  ".join(lines))


# ---------------------------------------------------------------------------------------------
# rule builders


def _le(left: str, right: str, slack: bool) -> pl.Expr:
    bound = pl.col(right) + SLACK * (pl.col(right).abs() + 1.0) if slack else pl.col(right)
    return (pl.col(left) <= bound).alias(f"{left}<={right}")


def ordered(*names: str, label: str | None = None, slack: bool = True) -> Rule:
    """Rule: the columns are non-decreasing from left to right (nulls skipped pairwise).

    Numeric columns get a relative slack of SLACK; pass slack=False for dates and times.
    """
    pairs = [_le(left, right, slack).fill_null(True) for left, right in zip(names, names[1:])]
    check = pl.all_horizontal(pairs).alias("ordered")
    return Rule(label or " <= ".join(names), "values must be ordered: " + " <= ".join(names), names, check)


def one_of(name: str, values: Iterable[str]) -> Rule:
    allowed = tuple(values)
    return Rule(f"{name} in set", f"{name} must be one of {', '.join(allowed)}", (name,),
                pl.col(name).is_in(list(allowed)).alias("one_of"))


def matches(name: str, pattern: str, meaning: str) -> Rule:
    return Rule(f"{name} format", f"{name} must be {meaning} (regex {pattern})", (name,),
                pl.col(name).str.contains(pattern).alias("matches"))


def at_least(name: str, low: float, strict: bool = False) -> Rule:
    check = pl.col(name) > low if strict else pl.col(name) >= low
    sign = ">" if strict else ">="
    return Rule(f"{name} {sign} {low:g}", f"{name} must be {sign} {low:g}", (name,), check.alias("at_least"))


def between(name: str, low: float, high: float) -> Rule:
    return Rule(f"{name} in [{low:g}, {high:g}]", f"{name} must lie in [{low:g}, {high:g}]", (name,),
                pl.col(name).is_between(low, high).alias("between"))


def rule(name: str, description: str, columns: Sequence[str], check: pl.Expr) -> Rule:
    return Rule(name, description, tuple(columns), check.alias("rule"))


def c(name: str, dtype: pl.DataType, description: str, nullable: bool = False) -> Column:
    return Column(name, dtype, description, nullable)


S, I32, I64, F64, B, D = pl.String, pl.Int32, pl.Int64, pl.Float64, pl.Boolean, pl.Date

# ---------------------------------------------------------------------------------------------
# the contracts

_OBSERVATIONS = TableContract(
    name="observations",
    description=(
        "One cleaned data point (a salary report or a job posting) after parsing, annualisation, "
        "currency conversion and deduplication; the analyst's base table. Outliers are kept and "
        "flagged, as are part-time salaries and internships (is_non_fte_pay); statistics use neither. "
        "Stored partitioned by year and country_code."
    ),
    grain=("source", "source_file", "row_number"),
    partition_by=("year", "country_code"),
    columns=(
        c("source", S, "source spec name"),
        c("source_file", S, "raw file the row came from: its name, or its path below the glob's fixed folder "
                             "when the spec's glob reaches into sub-folders ('2024/part.csv' for raw/**/*.csv)"),
        c("row_number", I64, "1-based data row within the raw file"),
        c("record_id", S, "the source's own id, else '{source_file}:{row_number}'"),
        c("kind", S, "salary_report or job_posting"),
        c("job_title", S, "job title as given by the source"),
        c("role", S, "role slug (taxonomy key)"),
        c("role_name", S, "role label without seniority, e.g. 'Machine Learning Manager'"),
        c("seniority", S, "Junior / Mid / Senior / Lead / Executive; null when unknown", True),
        c("role_label", S, "seniority + role name, e.g. 'Senior Machine Learning Manager'"),
        c("company", S, "normalised company name", True),
        c("country_code", S, "ISO 3166-1 alpha-2 country code"),
        c("country", S, "country name, e.g. 'Canada'"),
        c("subdivision_code", S, "ISO 3166-2 code, e.g. 'CA-ON'", True),
        c("subdivision", S, "subdivision label, e.g. 'Ontario, Canada'", True),
        c("city", S, "city label, e.g. 'Toronto, Ontario, Canada'", True),
        c("region", S, "the most specific region label known for the row"),
        c("region_level", S, "level of region: country / subdivision / city"),
        c("is_remote", B, "the job is remote"),
        c("posted_date", D, "full posting or report date when known", True),
        c("year", I32, "calendar year of the pay"),
        c("pay_original", F64, "amount as given (midpoint of a range)"),
        c("pay_min_original", F64, "lower end of a range as given (the amount itself when single)"),
        c("pay_max_original", F64, "upper end of a range as given (the amount itself when single)"),
        c("currency_original", S, "ISO 4217 currency of the amount as given"),
        c("pay_period", S, "period of the amount: hour / day / week / fortnight / half_month / month / year"),
        c("annualisation_factor", F64, "periods per year: 2080 / 260 / 52 / 26 / 24 / 12 / 1; a monthly pay text "
          "that states its monthly pays a year ('x 13 months', '13薪') uses that count (12-16)"),
        c("pay_annual_original", F64, "annual pay in currency_original"),
        c("currency_local", S, "ISO 4217 currency of the row's country"),
        c("pay_annual_local", F64, "annual pay in currency_local (null when that currency has no ECB rate)", True),
        c("pay_annual_usd", F64, "annual pay in US dollars"),
        c("fx_rate_usd", F64, "US dollars per 1 unit of currency_original"),
        c("fx_rate_local", F64, "units of currency_local per 1 unit of currency_original (null: no ECB rate)",
          True),
        c("fx_rate_date", D, "date of the rate used: daily, the ECB day on or up to 7 days before posted_date; "
                             "yearly_average, the year's last ECB day with a rate (Dec 29-31 for a currency quoted "
                             "all year); identity (USD to USD), posted_date, else Dec 31 of year; null: no ECB rate "
                             "for currency_local", True),
        c("fx_method", S, "identity / daily / yearly_average"),
        c("skills", STRINGS, "canonical skill names, sorted, unique (null: the source carries no skill information)",
          True),
        c("certifications", STRINGS,
          "canonical certification names, sorted, unique (null: the source carries no skill information)", True),
        c("employment_type", S, "full_time / part_time / contract / freelance / internship / temporary, from the "
          "source's value (after the spec's `values:` recoding) by a synonym table ('FT', 'Full-time', 'Part time', "
          "'CT', 'Intern' ...); null when not given or not recognised", True),
        c("is_outlier", B, "flagged as an outlier: kept but excluded from statistics"),
        c("is_non_fte_pay", B, "pay that is not a full-time-equivalent rate of the role: a part_time row paid per "
          "year, month, half month, fortnight or week (a part-time salary), or an internship (trainee pay); kept "
          "but excluded from statistics like is_outlier. A part-time hourly or daily rate, annualised at 2080 h / "
          "260 d, is a full-time equivalent and stays in"),
    ),
    rules=(
        one_of("kind", ("salary_report", "job_posting")),
        one_of("seniority", SENIORITIES),
        one_of("region_level", REGION_LEVELS[1:]),
        one_of("pay_period", PAY_PERIODS),
        one_of("employment_type", EMPLOYMENT_TYPES),
        rule("is_non_fte_pay from employment_type",
             "is_non_fte_pay is true exactly for internships and for part_time rows whose pay_period is not hour or day",
             ("is_non_fte_pay", "employment_type", "pay_period"),
             pl.col("is_non_fte_pay") == (
                 (pl.col("employment_type") == "internship")
                 | ((pl.col("employment_type") == "part_time") & ~pl.col("pay_period").is_in(["hour", "day"])))
             .fill_null(False)),
        one_of("fx_method", ("identity", "daily", "yearly_average")),
        matches("country_code", r"^[A-Z]{2}$", "an ISO alpha-2 code"),
        matches("currency_original", r"^[A-Z]{3}$", "an ISO 4217 code"),
        matches("currency_local", r"^[A-Z]{3}$", "an ISO 4217 code"),
        rule("role_label from seniority",
             "role_label reads '<seniority words> <role_name>' (e.g. 'Mid-level Data Analyst'), or is role_name "
             "when seniority is null",
             ("role_label", "seniority", "role_name"),
             pl.when(pl.col("seniority").is_null())
             .then(pl.col("role_label") == pl.col("role_name"))
             .otherwise(pl.col("role_label").str.ends_with(pl.concat_str(pl.lit(" "), pl.col("role_name"))))),
        rule("annualisation factor", "annualisation_factor must match pay_period (hour 2080, day 260, week 52, fortnight 26, "
             "half_month 24, month 12, year 1; a month stated as 13 to 16 pays a year in its pay text: that count)",
             ("annualisation_factor", "pay_period"),
             (pl.col("annualisation_factor")
              == pl.col("pay_period").replace_strict(ANNUALISATION, default=None, return_dtype=F64))
             | ((pl.col("pay_period") == "month") & pl.col("annualisation_factor").is_in([13.0, 14.0, 15.0, 16.0]))),
        rule("annual = original x factor", "pay_annual_original = pay_original * annualisation_factor",
             ("pay_annual_original", "pay_original", "annualisation_factor"),
             ((pl.col("pay_annual_original") - pl.col("pay_original") * pl.col("annualisation_factor")).abs()
              <= 1e-6 * pl.col("pay_annual_original").abs() + 1e-6)),
        rule("usd = annual x fx_rate_usd", "pay_annual_usd = pay_annual_original * fx_rate_usd",
             ("pay_annual_usd", "pay_annual_original", "fx_rate_usd"),
             ((pl.col("pay_annual_usd") - pl.col("pay_annual_original") * pl.col("fx_rate_usd")).abs()
              <= 1e-6 * pl.col("pay_annual_usd").abs() + 1e-6)),
        rule("local = annual x fx_rate_local", "pay_annual_local = pay_annual_original * fx_rate_local",
             ("pay_annual_local", "pay_annual_original", "fx_rate_local"),
             ((pl.col("pay_annual_local") - pl.col("pay_annual_original") * pl.col("fx_rate_local")).abs()
              <= 1e-6 * pl.col("pay_annual_local").abs() + 1e-6)),
        rule("fx_rate_date known", "fx_rate_date is required unless fx_method is identity or no local rate exists",
             ("fx_rate_date", "fx_method", "fx_rate_local"),
             pl.col("fx_rate_date").is_not_null() | (pl.col("fx_method") == "identity")
             | pl.col("fx_rate_local").is_null()),
        rule("fx_rate_date follows fx_method",
             "fx_rate_date lies in [posted_date - 7 days, posted_date] when daily, in year when yearly_average, "
             "and is posted_date, else Dec 31 of year, when identity",
             ("fx_rate_date", "fx_method", "posted_date", "year"),
             pl.when(pl.col("fx_method") == "daily")
             .then(pl.col("fx_rate_date").is_between(pl.col("posted_date") - pl.duration(days=7), pl.col("posted_date")))
             .when(pl.col("fx_method") == "yearly_average").then(pl.col("fx_rate_date").dt.year() == pl.col("year"))
             .when(pl.col("fx_method") == "identity")
             .then(pl.col("fx_rate_date") == pl.coalesce(pl.col("posted_date"), pl.date(pl.col("year"), 12, 31)))),
        at_least("pay_annual_usd", 0.0, strict=True),
        at_least("fx_rate_usd", 0.0, strict=True),
        at_least("fx_rate_local", 0.0, strict=True),
        ordered("pay_min_original", "pay_original", "pay_max_original", label="pay_min <= pay <= pay_max"),
    ),
)

_REJECTS = TableContract(
    name="rejects",
    description="One raw row that was not kept, with the reason; rows read = kept + rejected + duplicate.",
    grain=("source", "source_file", "row_number"),
    columns=(
        c("source", S, "source spec name"),
        c("source_file", S, "raw file, named as in observations.source_file"),
        c("row_number", I64, "1-based data row within the raw file"),
        c("reason", S, "snake_case reject code, e.g. fx_rate_missing"),
        c("detail", S, "human-readable detail (the offending value)", True),
        c("raw", S, "the raw row as text"),
    ),
    rules=(matches("reason", r"^[a-z0-9_]+$", "a snake_case code"),),
)

_DUPLICATES = TableContract(
    name="duplicates",
    description="One raw row dropped as a duplicate of a kept observation, and the rule that matched.",
    grain=("source", "source_file", "row_number"),
    columns=(
        c("source", S, "source spec name"),
        c("source_file", S, "raw file, named as in observations.source_file"),
        c("row_number", I64, "1-based data row within the raw file"),
        c("record_id", S, "record id of the dropped row"),
        c("duplicate_of", S, "record_id of the observation that was kept (a repeat of a record id: the "
                             "same id, its first copy's; a chain of reposts: the first posting, which is kept)"),
        c("rule", S, "the duplicate rule that matched: same_record_id / cross_posted"),
    ),
    rules=(
        one_of("rule", ("same_record_id", "cross_posted")),
        rule("not its own duplicate", "duplicate_of must differ from record_id unless rule is same_record_id",
             ("record_id", "duplicate_of", "rule"),
             (pl.col("record_id") != pl.col("duplicate_of")) | (pl.col("rule") == "same_record_id")),
    ),
)

_SOURCE_ACCOUNTING = TableContract(
    name="source_accounting",
    description="Row accounting per source and run: every row read is kept, rejected or a duplicate.",
    grain=("source", "run_id"),
    columns=(
        c("source", S, "source spec name"),
        c("files", I64, "raw files read"),
        c("rows_read", I64, "data rows read"),
        c("rows_kept", I64, "rows in observations"),
        c("rows_rejected", I64, "rows in rejects"),
        c("rows_duplicate", I64, "rows in duplicates"),
        c("run_id", S, "the run that read them"),
    ),
    rules=(
        rule("rows_read = kept + rejected + duplicate", "rows_read = rows_kept + rows_rejected + rows_duplicate",
             ("rows_read", "rows_kept", "rows_rejected", "rows_duplicate"),
             pl.col("rows_read") == pl.col("rows_kept") + pl.col("rows_rejected") + pl.col("rows_duplicate")),
        at_least("files", 0), at_least("rows_kept", 0), at_least("rows_rejected", 0), at_least("rows_duplicate", 0),
    ),
)

_ROLE_REGION_STATS = TableContract(
    name="role_region_stats",
    description=(
        "Pay statistics per role_label x region x year over the observations that are neither outliers nor "
        "part-time salaries or internships (is_outlier, is_non_fte_pay), in the region's "
        "currency (USD for World), with a 95 % interval for the median and a reliability grade. "
        "Roll-ups 'All roles' and 'World' sit beside the detailed cells."
    ),
    grain=("role_label", "region", "year"),
    columns=(
        c("role_label", S, "'Senior Machine Learning Manager', a role name, or 'All roles'"),
        c("role_level", S, "role_label (with seniority) / role (all seniorities) / all"),
        c("role_name", S, "role label without seniority; null for 'All roles'", True),
        c("seniority", S, "seniority of the cell; null above role_label level", True),
        c("region", S, "'Canada', 'Ontario, Canada', 'Toronto, Ontario, Canada' or 'World'"),
        c("region_level", S, "world / country / subdivision / city"),
        c("country_code", S, "ISO alpha-2; null for World", True),
        c("parent_region", S, "the next region up; null for World", True),
        c("year", I32, "calendar year"),
        c("n", I64, "observations in the cell that enter its statistics (not is_outlier, not is_non_fte_pay)"),
        c("mean", F64, "mean annual pay"),
        c("p10", F64, "10th percentile of annual pay"),
        c("p25", F64, "25th percentile"),
        c("median", F64, "median annual pay"),
        c("p75", F64, "75th percentile"),
        c("p90", F64, "90th percentile"),
        c("currency", S, "ISO 4217 currency of the pay columns"),
        c("median_usd", F64, "median in US dollars"),
        c("mean_usd", F64, "mean in US dollars"),
        c("median_ci_low", F64, "lower end of the 95 % interval for the median (null: n < 6)", True),
        c("median_ci_high", F64, "upper end of the 95 % interval for the median (null: n < 6)", True),
        c("ci_method", S, "binomial_order_statistics (n <= 60): the exact order statistics x(l), x(n-l+1); "
                          "binomial_order_statistics_interpolated (n > 60): those ranks read by linear interpolation "
                          "on a grid of quantiles around the median, close to but not exactly the order statistics "
                          "(the interval can be a little narrower)", True),
        c("cv", F64, "coefficient of variation of the median: the interval's half-width over 1.96 x median "
                     "(its standard error over the median), not the relative half-width", True),
        c("reliability", S, "publish / warn / suppress"),
        c("shrunk_median", F64, "median shrunk towards the parent cell", True),
        c("shrink_weight", F64, "weight of the cell's own median in shrunk_median", True),
        c("shrink_parent", S, "the cell shrunk towards", True),
    ),
    rules=(
        at_least("n", 0, strict=True),
        ordered("p10", "p25", "median", "p75", "p90"),
        ordered("median_ci_low", "median", "median_ci_high"),
        one_of("ci_method", ("binomial_order_statistics", "binomial_order_statistics_interpolated")),
        one_of("reliability", RELIABILITY),
        one_of("region_level", REGION_LEVELS),
        one_of("role_level", ("role_label", "role", "all")),
        matches("currency", r"^[A-Z]{3}$", "an ISO 4217 code"),
        at_least("cv", 0.0),
        between("shrink_weight", 0.0, 1.0),
        rule("World is the world level", "region_level = 'world' exactly when region = 'World'",
             ("region", "region_level"), (pl.col("region") == "World") == (pl.col("region_level") == "world")),
        rule("All roles is the all level", "role_level = 'all' exactly when role_label = 'All roles'",
             ("role_label", "role_level"), (pl.col("role_label") == "All roles") == (pl.col("role_level") == "all")),
        rule("World is in USD", "currency = 'USD' when region = 'World'", ("currency", "region"),
             (pl.col("region") != "World") | (pl.col("currency") == "USD")),
    ),
)

_SKILL_PREMIUMS = TableContract(
    name="skill_premiums",
    description=(
        "Pay premium of having a skill or certification per role_label x region, in percent, with a "
        "95 % interval: 'adjusted' from a controlled regression, 'raw' from with/without medians. "
        "One overall estimate per skill at 'All roles' x 'World'; skill pairs read 'Python + PyTorch'. "
        "Estimates pool all years of the cell (the regression's fixed effects include the year)."
    ),
    grain=("role_label", "region", "skill", "method"),
    columns=(
        c("role_label", S, "role label or 'All roles'"),
        c("region", S, "region label or 'World'"),
        c("skill", S, "canonical skill / certification name, or a pair 'A + B'"),
        c("kind", S, "skill / certification / pair"),
        c("method", S, "adjusted (controlled regression) / raw (with vs without medians)"),
        c("n_with", I64, "observations with the skill, all years"),
        c("n_without", I64, "observations without it, all years"),
        c("premium_pct", F64, "pay premium in percent", True),
        c("ci_low", F64, "lower end of the 95 % interval (percent)", True),
        c("ci_high", F64, "upper end of the 95 % interval (percent)", True),
        c("share_in_top_decile", F64, "share of the top pay decile that has the skill", True),
    ),
    rules=(
        one_of("method", ("adjusted", "raw")),
        one_of("kind", ("skill", "certification", "pair")),
        ordered("ci_low", "premium_pct", "ci_high"),
        at_least("n_with", 0, strict=True),
        at_least("n_without", 0),
        between("share_in_top_decile", 0.0, 1.0),
    ),
)

_DEMAND_SIGNALS = TableContract(
    name="demand_signals",
    description="Posting demand per role_label x region x period: counts, year-over-year change, seniority mix.",
    grain=("role_label", "region", "period_type", "period"),
    columns=(
        c("role_label", S, "role label or 'All roles'"),
        c("region", S, "region label or 'World'"),
        c("period_type", S, "month / quarter / year"),
        c("period", S, "the period, e.g. '2025-03', '2025-Q1', '2025'"),
        c("postings", I64, "job postings in the period"),
        c("yoy_change_pct", F64, "change in postings against the same period a year before, percent", True),
        c("entry_share", F64, "share of the postings that state a level at Junior level (null: none states one)",
          True),
        c("senior_share", F64, "share of the postings that state a level at Senior level or above (Senior, Lead, "
                               "Executive)", True),
        c("salary_reports", I64, "salary reports in the period's year (reports count by year: a month or quarter "
                                 "row repeats its year's count)"),
        c("postings_per_report", F64, "postings per salary report; year rows only (null for months and quarters)",
          True),
    ),
    rules=(
        one_of("period_type", ("month", "quarter", "year")),
        at_least("postings", 0), at_least("salary_reports", 0), at_least("postings_per_report", 0.0),
        between("entry_share", 0.0, 1.0), between("senior_share", 0.0, 1.0),
    ),
)

_PROJECTIONS = TableContract(
    name="projections",
    description=("Next year's median per role_label x region with 80 % and 90 % intervals for the market "
                 "(population) median of the target year; a median of that year's data points carries its own "
                 "sampling error on top (backtests widen their intervals by it)."),
    grain=("role_label", "region"),
    columns=(
        c("role_label", S, "role label or 'All roles'"),
        c("region", S, "region label or 'World'"),
        c("base_year", I32, "last observed year"),
        c("target_year", I32, "projected year"),
        c("baseline", F64, "the base year's median"),
        c("projected", F64, "projected median for target_year"),
        c("pi_low", F64, "lower end of the 90 % prediction interval"),
        c("pi_high", F64, "upper end of the 90 % prediction interval"),
        c("pi80_low", F64, "lower end of the 80 % prediction interval"),
        c("pi80_high", F64, "upper end of the 80 % prediction interval"),
        c("currency", S, "ISO 4217 currency of the amounts"),
        c("model", S, "the projection model used"),
        c("growth_rate", F64, "yearly growth rate applied", True),
        c("growth_source", S, "where the growth rate came from (own history / parent / ...)", True),
        c("n_years", I64, "years of history used"),
    ),
    rules=(
        ordered("pi_low", "pi80_low", "projected", "pi80_high", "pi_high"),
        rule("target after base", "target_year > base_year", ("target_year", "base_year"),
             pl.col("target_year") > pl.col("base_year")),
        at_least("baseline", 0.0, strict=True),
        matches("currency", r"^[A-Z]{3}$", "an ISO 4217 code"),
        at_least("n_years", 1),
    ),
)

_BACKTESTS = TableContract(
    name="backtests",
    description="Projection accuracy per role_label x region x held-out year, against a naive no-change forecast.",
    grain=("role_label", "region", "holdout_year"),
    columns=(
        c("role_label", S, "role label or 'All roles'"),
        c("region", S, "region label or 'World'"),
        c("holdout_year", I32, "the year held out and predicted"),
        c("predicted", F64, "projected median for holdout_year"),
        c("actual", F64, "observed median in holdout_year"),
        c("abs_pct_error", F64, "absolute percentage error of predicted"),
        c("naive_abs_pct_error", F64, "absolute percentage error of the last observed median", True),
        c("covered_90", B, "actual fell inside the 90 % interval widened by its own sampling variance", True),
    ),
    rules=(at_least("abs_pct_error", 0.0), at_least("naive_abs_pct_error", 0.0), at_least("actual", 0.0, strict=True)),
)

_REPORTS = TableContract(
    name="reports",
    description="One written report (Markdown) per role_label x region; files under reports/<slug_role>/<slug_region>.md.",
    grain=("role_label", "region"),
    columns=(
        c("role_label", S, "role label"),
        c("region", S, "region label"),
        c("slug_role", S, "URL/file slug of role_label"),
        c("slug_region", S, "URL/file slug of region"),
        c("markdown", S, "the report text"),
        c("reliability", S, "publish / warn / suppress of the headline cell"),
        c("run_id", S, "the run that wrote it"),
    ),
    rules=(
        one_of("reliability", RELIABILITY),
        matches("slug_role", r"^[a-z0-9]+(-[a-z0-9]+)*$", "a lower-case slug"),
        matches("slug_region", r"^[a-z0-9]+(-[a-z0-9]+)*$", "a lower-case slug"),
        rule("slugs are unique", "(slug_role, slug_region) must identify one report", ("slug_role", "slug_region"),
             ~pl.struct("slug_role", "slug_region").is_duplicated()),
    ),
)

_REPORT_CLAIMS = TableContract(
    name="report_claims",
    description="One number shown in one report, traced to the published table, key and column it came from.",
    grain=("role_label", "region", "claim_id"),
    columns=(
        c("role_label", S, "report's role label"),
        c("region", S, "report's region"),
        c("claim_id", S, "identifier of the claim within the report"),
        c("text", S, "the number as shown"),
        c("value", F64, "the number's value", True),
        c("source_table", S, "published table it comes from"),
        c("source_key", S, "JSON object of the source row's key columns"),
        c("source_column", S, "column of the source row"),
    ),
    rules=(
        rule("source_key is a JSON object", "source_key must be a JSON object", ("source_key",),
             pl.col("source_key").str.starts_with("{") & pl.col("source_key").str.ends_with("}")),
    ),
)

_RUNS = TableContract(
    name="runs",
    description=(
        "One pipeline run (the history of runs; a rerun on the same inputs keeps its run_id and gets a "
        "new started_at): when, on what inputs (with checksums), with which code and settings, row counts."
    ),
    grain=("run_id", "started_at"),
    columns=(
        c("run_id", S, "run identifier (also the snapshot directory name)"),
        c("as_of", D, "the run's reference date"),
        c("started_at", UTC_TIME, "wall-clock start (UTC)"),
        c("finished_at", UTC_TIME, "wall-clock end (UTC); null while publishing", True),
        c("code_version", S, "code version (git describe or package version)"),
        c("settings_json", S, "JSON of the settings used"),
        c("inputs_json", S, "JSON list of input files with sha256 checksums"),
        c("row_counts_json", S, "JSON of row counts per table"),
        c("stage_timings_json", S, "JSON of seconds per stage"),
        c("backtest_median_ape", F64, "median absolute percentage error of the backtests", True),
        c("backtest_coverage_90", F64, "share of backtests inside their 90 % interval", True),
    ),
    rules=(
        ordered("started_at", "finished_at", label="started_at <= finished_at", slack=False),
        between("backtest_coverage_90", 0.0, 1.0),
        at_least("backtest_median_ape", 0.0),
    ),
)

_SKILL_SHARES = TableContract(
    name="skill_shares",
    description=(
        "Share of job postings naming each skill or certification, per role_label x region x year "
        "(the Required Skills and AI Impact sections of the reports; kind 'ai_any' = any AI/LLM tool)."
    ),
    grain=("role_label", "region", "year", "skill", "kind"),
    columns=(
        c("role_label", S, "role label or roll-up ('All roles')"),
        c("region", S, "region label or 'World'"),
        c("year", I32, "posting year"),
        c("skill", S, "canonical skill or certification name"),
        c("kind", S, "skill / certification / ai_any"),
        c("postings_with", I64, "postings naming it"),
        c("postings", I64, "postings in the cell"),
        c("share_of_postings", F64, "postings_with / postings"),
    ),
    rules=(between("share_of_postings", 0.0, 1.0), at_least("postings", 1)),
)

_PPP = TableContract(
    name="ppp",
    description=(
        "World Bank PPP conversion factors, private consumption (LCU per international $), as carried "
        "over into data/reference/ppp.csv with its source and vintage (Cost of Living Context)."
    ),
    grain=("country_code", "year"),
    columns=(
        c("country_code", S, "ISO 3166-1 alpha-2"),
        c("iso3", S, "ISO 3166-1 alpha-3"),
        c("country", S, "country name"),
        c("currency", S, "local currency (ISO 4217)"),
        c("year", I64, "reference year"),
        c("ppp_lcu_per_intl_dollar", F64, "local currency units per international dollar"),
        c("indicator", S, "World Bank indicator code (PA.NUS.PRVT.PP)"),
    ),
    rules=(at_least("ppp_lcu_per_intl_dollar", 0.0, strict=True),),
)

_BACKTEST_SUMMARY = TableContract(
    name="backtest_summary",
    description="One row: this run's backtest summary over all cells (quoted in every report's methodology).",
    grain=(),
    columns=(
        c("median_abs_pct_error", F64, "median absolute % error of the model's held-out-year medians", True),
        c("naive_median_abs_pct_error", F64, "the same for carrying the previous year forward", True),
        c("coverage_90", F64, "share of held-out medians inside the 90 % interval", True),
        c("cells", I64, "cells backtested", True),
    ),
    rules=(between("coverage_90", 0.0, 1.0),),
)

CONTRACTS: dict[str, TableContract] = {
    contract.name: contract
    for contract in (
        _OBSERVATIONS, _REJECTS, _DUPLICATES, _SOURCE_ACCOUNTING, _ROLE_REGION_STATS, _SKILL_PREMIUMS,
        _DEMAND_SIGNALS, _PROJECTIONS, _BACKTESTS, _REPORTS, _REPORT_CLAIMS, _RUNS, _SKILL_SHARES, _PPP,
        _BACKTEST_SUMMARY,
    )
}

_claims_rule = one_of("source_table", CONTRACTS)
CONTRACTS["report_claims"] = replace(_REPORT_CLAIMS, rules=_REPORT_CLAIMS.rules + (_claims_rule,))


# ---------------------------------------------------------------------------------------------
# conforming and checking


def _conform_expr(name: str, have: pl.DataType, want: pl.DataType) -> pl.Expr | None:
    """A cast that keeps every value, or None when the dtypes are not safely convertible."""
    column = pl.col(name)
    if have == pl.Null:
        return column.cast(want).alias(name)
    if have in (pl.Categorical, pl.Enum) or isinstance(have, (pl.Categorical, pl.Enum)):
        return column.cast(pl.String).alias(name) if want == pl.String else None
    if want.is_integer() and have.is_integer():
        return column.cast(want, strict=True).alias(name)
    if want == pl.Float64 and (have.is_integer() or have == pl.Float32):
        return column.cast(pl.Float64).alias(name)
    if isinstance(want, pl.Datetime) and isinstance(have, pl.Datetime):
        if have.time_zone is None and want.time_zone is not None:
            column = column.dt.replace_time_zone(want.time_zone)
        return column.cast(want).alias(name)
    if isinstance(want, pl.List) and isinstance(have, pl.List) and have.inner == pl.Null:
        return column.cast(want).alias(name)
    return None


def conform(name: str, frame: pl.DataFrame | pl.LazyFrame,
            contracts: Mapping[str, TableContract] | None = None) -> pl.DataFrame | pl.LazyFrame:
    """Apply lossless casts towards the contract dtypes and order contract columns first.

    Extras keep their place after the contract columns. A cast that would lose values (an
    integer overflow, say) is skipped so that `check_contract` reports the dtype instead.
    """
    contract = (contracts or CONTRACTS)[name]
    lazy = isinstance(frame, pl.LazyFrame)
    schema = frame.collect_schema() if lazy else frame.schema
    casts = []
    for column in contract.columns:
        have = schema.get(column.name)
        if have is None or have == column.dtype:
            continue
        expr = _conform_expr(column.name, have, column.dtype)
        if expr is None:
            continue
        try:
            frame.head(0).lazy().select(expr).collect()
            frame.lazy().select(expr).collect()
        except (pl.exceptions.PolarsError, TypeError, ValueError):
            continue
        casts.append(expr)
    conformed = frame.with_columns(casts) if casts else frame
    columns = list(conformed.collect_schema()) if lazy else conformed.columns
    leading = [name for name in contract.column_names if name in columns]
    trailing = [name for name in columns if name not in contract.column_names]
    return conformed.select(leading + trailing)


def _example_key(frame: pl.DataFrame | pl.LazyFrame, failing: pl.Expr, key: Sequence[str]) -> dict[str, object] | None:
    """The smallest (by key) row where `failing` holds, as {key column: value}."""
    key = [name for name in key if name in frame.lazy().collect_schema()]
    if not key:
        return None
    rows = (
        frame.lazy()
        .filter(failing)
        .select(key)
        .sort(key, nulls_last=True)
        .head(1)
        .collect()
    )
    return rows.row(0, named=True) if rows.height else None


GRAIN_HASH_SEED = 20260301
LAZY_CHECK_ROWS = 250_000  # a LazyFrame's row-wise checks run on batches of this many rows
# ... and on a few columns per pass: Polars' streaming engine buffers batches of every column read
# (all 39 of observations at 100M rows: 3.7 GB for `collect_batches`, 23 GB for one streaming select of
# the sums; 3 columns: 0.65 GB). The check of observations at 100M: 5.6 GB before, 2.2 GB with 4 columns a
# pass (2.8 GB with 8), 48 s either way
LAZY_CHECK_COLUMNS = 4


def check_contract(name: str, frame: pl.DataFrame | pl.LazyFrame,
                   contracts: Mapping[str, TableContract] | None = None) -> list[Violation]:
    """Every violation of table `name`'s contract in `frame` (empty list when it holds).

    Presence and dtypes are checked first; nullability, grain uniqueness and the row rules are
    then counted together in one Polars plan over the columns that are usable. A LazyFrame (a
    table too large to hold, such as observations at 10M rows) is checked by that one plan without
    materialising the table.
    """
    violations, checks = _plan(name, frame, contracts)
    if not checks:
        return violations
    grain = list((contracts or CONTRACTS)[name].grain)
    if isinstance(frame, pl.LazyFrame):  # row-wise sums and the grain's hashes, batch by batch (see _lazy_counts)
        counts, checks = _lazy_counts(frame, checks, grain)
    else:
        counts = (
            frame.lazy()
            .select([failing.sum().alias(f"check_{index}") for index, (_, _, _, failing) in enumerate(checks)])
            .collect()
            .row(0)
        )
    return violations + _row_violations(name, frame, checks, counts, grain)


class StreamedCheck:
    """`check_contract` of a LazyFrame whose rows the caller reads anyway, fed with those rows.

    Publishing observations reads every row once to copy it into the snapshot; the lazy check scanned
    them again, a few columns a pass (LAZY_CHECK_COLUMNS), which at 100M rows meant ten scattered reads of
    pieces that no longer sit in the page cache (BENCHMARKS.md, issue 9). Here the caller passes each
    batch it holds to `add` (all columns, any batch sizes, any order, every row exactly once), then asks
    for `violations()`: the same list `check_contract(name, frame)` returns, counts and example keys (a
    repeated grain is confirmed on its keys by one filtered scan of `frame`, only when some hash repeats).

    `schema_violations` (missing columns, wrong dtypes) are known before any row is read.
    """

    def __init__(self, name: str, frame: pl.LazyFrame, contracts: Mapping[str, TableContract] | None = None):
        self.name, self.frame = name, frame
        self.grain = list((contracts or CONTRACTS)[name].grain)
        self.schema_violations, self._checks = _plan(name, frame, contracts)
        self._counts = _Counts(self._checks, self.grain, frame.select(pl.len()).collect().item())

    def add(self, batch: pl.DataFrame) -> None:
        """Count one batch of rows (with the frame's columns and dtypes)."""
        self._counts.add(batch, range(len(self._checks)))

    def violations(self) -> list[Violation]:
        if not self._checks:
            return list(self.schema_violations)
        counts, checks = self._counts.result()
        return self.schema_violations + _row_violations(self.name, self.frame, checks, counts, self.grain)


def _plan(name: str, frame: pl.DataFrame | pl.LazyFrame, contracts: Mapping[str, TableContract] | None
          ) -> tuple[list[Violation], list[tuple[str, str, str, pl.Expr]]]:
    """The schema's violations and the row checks (column, rule, detail, failing-row expr) that can run."""
    contracts = contracts or CONTRACTS
    if name not in contracts:
        return [Violation(name, "*", "known table", f"no contract for table '{name}' (known: {', '.join(sorted(contracts))})")], []
    contract = contracts[name]
    violations: list[Violation] = []
    usable: set[str] = set()
    schema = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
    for column in contract.columns:
        have = schema.get(column.name)
        if have is None:
            violations.append(Violation(name, column.name, "present", f"required column missing (want {column.dtype})"))
        elif have != column.dtype:
            violations.append(Violation(name, column.name, "dtype", f"dtype is {have}, contract says {column.dtype}"))
        else:
            usable.add(column.name)

    checks: list[tuple[str, str, str, pl.Expr]] = []  # (column, rule, detail, failing-row expr)
    for column in contract.columns:
        if column.name in usable and not column.nullable:
            checks.append((column.name, "not null", "null in a non-nullable column", pl.col(column.name).is_null()))
    if contract.grain and set(contract.grain) <= usable:
        # a LazyFrame's grain is checked on a 64-bit hash of the key (8 bytes a row, not the key's
        # strings) and, only when some hash repeats, exactly on the rows that share one (_lazy_counts)
        grain_check = pl.struct(list(contract.grain)).is_duplicated()
        checks.append((", ".join(contract.grain), "unique grain", "rows share the same key", grain_check))
    for row_rule in contract.rules:
        if set(row_rule.columns) <= usable:
            checks.append((", ".join(row_rule.columns), row_rule.name, row_rule.description,
                           (~row_rule.check).fill_null(False)))
    return violations, checks


def _row_violations(name: str, frame: pl.DataFrame | pl.LazyFrame, checks: list[tuple[str, str, str, pl.Expr]],
                    counts: Sequence[int], grain: list[str]) -> list[Violation]:
    """Violations from the checks' failing-row counts, each with its smallest example key."""
    lazy = isinstance(frame, pl.LazyFrame)
    violations: list[Violation] = []
    for (column, rule_name, detail, failing), count in zip(checks, counts):
        if count and lazy and rule_name == "unique grain":
            shared = frame.filter(failing).select(grain).collect()
            failing = pl.struct(grain).is_duplicated()
            count = int(shared.select(failing.sum()).item())
            frame_for_example = shared
        else:
            frame_for_example = frame
        if count:
            example = _example_key(frame_for_example, failing, grain)
            violations.append(Violation(name, column, rule_name, detail, int(count), example))
    return violations


def _lazy_counts(frame: pl.LazyFrame, checks: list[tuple[str, str, str, pl.Expr]],
                 grain: list[str]) -> tuple[list[int], list[tuple[str, str, str, pl.Expr]]]:
    """Failing-row counts of `checks` over a LazyFrame, one batch of rows and a few columns at a time.

    The grain is checked on a 64-bit hash of the key (see _Counts). `is_duplicated` over the whole scan
    held the key struct, the hashes and a hash table of every row at once: 7.0 GB for observations at
    100M rows (BENCHMARKS.md).
    """
    passes: list[tuple[set[str], list[int]]] = []  # (columns, checks) read together
    for index, (_, rule_name, _, failing) in enumerate(checks):
        columns = set(grain) if rule_name == "unique grain" else set(failing.meta.root_names())
        fits = next((p for p in passes if len(p[0] | columns) <= LAZY_CHECK_COLUMNS), None)
        if fits is None:
            passes.append((set(columns), [index]))
        else:
            fits[0].update(columns)
            fits[1].append(index)
    has_grain = any(rule_name == "unique grain" for _, rule_name, _, _ in checks)
    counts = _Counts(checks, grain, frame.select(pl.len()).collect().item() if has_grain else 0)
    for columns, in_pass in passes:
        for batch in frame.select(sorted(columns)).collect_batches(chunk_size=LAZY_CHECK_ROWS, maintain_order=False):
            counts.add(batch, in_pass)
    return counts.result()


class _Counts:
    """Failing-row counts of row checks summed over batches, and the grain's 64-bit key hashes.

    Every batch's hashes go into one array (8 bytes a row), sorted in place at the end; the grain's count
    is the rows whose hash repeats, and the grain check of the returned checks becomes "the hash is one
    of the repeated ones", so that the caller re-checks exactly those rows on their keys.
    """

    def __init__(self, checks: list[tuple[str, str, str, pl.Expr]], grain: list[str], rows: int):
        import numpy as np

        self.checks = checks
        self.grain_at = next((i for i, check in enumerate(checks) if check[1] == "unique grain"), None)
        self.key_hash = pl.struct(grain).hash(GRAIN_HASH_SEED)
        self.hashes = np.empty(rows if self.grain_at is not None else 0, dtype=np.uint64)
        self.filled = 0
        self.sums: dict[int, int] = {}

    def add(self, batch: pl.DataFrame, indices: Iterable[int]) -> None:
        """Count the checks `indices` on `batch` (the grain's check adds the batch's key hashes)."""
        indices = list(indices)
        row_wise = [index for index in indices if index != self.grain_at]
        if row_wise:
            row = batch.select([self.checks[index][3].sum().alias(f"check_{index}") for index in row_wise]).row(0)
            for index, value in zip(row_wise, row):
                self.sums[index] = self.sums.get(index, 0) + (value or 0)
        if self.grain_at in indices:
            batch_hashes = batch.select(self.key_hash).to_series().to_numpy()
            if self.filled + batch_hashes.size > self.hashes.size:
                raise ValueError(f"more rows fed to the check than the table has ({self.hashes.size})")
            self.hashes[self.filled:self.filled + batch_hashes.size] = batch_hashes
            self.filled += batch_hashes.size

    def result(self) -> tuple[list[int], list[tuple[str, str, str, pl.Expr]]]:
        from market_intel.hashes import repeated_hashes

        checks = self.checks
        counts = [self.sums.get(index, 0) for index in range(len(checks))]
        if self.grain_at is not None:
            if self.filled != self.hashes.size:
                raise ValueError(f"the check was fed {self.filled} rows of {self.hashes.size}")
            repeated = repeated_hashes(self.hashes[:self.filled])
            self.hashes = self.hashes[:0]
            column, rule_name, detail, _ = checks[self.grain_at]
            in_repeated = self.key_hash.is_in(pl.Series(repeated, dtype=pl.UInt64).implode())
            checks = [*checks[:self.grain_at], (column, rule_name, detail, in_repeated), *checks[self.grain_at + 1:]]
            counts[self.grain_at] = repeated.size  # > 0 exactly when some key may repeat: re-checked on the keys
        return counts, checks


def check_all(tables: Mapping[str, pl.DataFrame], contracts: Mapping[str, TableContract] | None = None) -> list[Violation]:
    """Violations of every table given (tables without a contract are violations too)."""
    violations: list[Violation] = []
    for name in sorted(tables):
        violations.extend(check_contract(name, tables[name], contracts))
    return violations


def empty_frame(name: str, contracts: Mapping[str, TableContract] | None = None) -> pl.DataFrame:
    """A zero-row frame with exactly the contract's schema (for producers and tests)."""
    return pl.DataFrame(schema=(contracts or CONTRACTS)[name].schema)


# ---------------------------------------------------------------------------------------------
# the data dictionary


def dtype_label(dtype: pl.DataType) -> str:
    """Short, stable label of a Polars dtype for the dictionary (e.g. 'list[str]', 'i64')."""
    labels = {pl.String: "str", pl.Int32: "i32", pl.Int64: "i64", pl.Float64: "f64", pl.Boolean: "bool", pl.Date: "date"}
    for key, label in labels.items():
        if dtype == key:
            return label
    if isinstance(dtype, pl.List):
        return f"list[{dtype_label(dtype.inner)}]"
    if isinstance(dtype, pl.Datetime):
        return f"datetime[{dtype.time_unit}, {dtype.time_zone}]" if dtype.time_zone else f"datetime[{dtype.time_unit}]"
    return str(dtype)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_dictionary(contracts: Mapping[str, TableContract] | None = None,
                      extras: Mapping[str, Mapping[str, pl.DataType]] | None = None) -> str:
    """The data dictionary as Markdown: per table its meaning, grain, columns and rules.

    `extras` (table -> {column: dtype}) adds the producers' extra columns of a published
    snapshot, marked "extra"; docs/tables.md is rendered without them.
    """
    contracts = contracts or CONTRACTS
    extras = extras or {}
    lines = [
        "# Published tables — data dictionary",
        "",
        "<!-- generated by `python -m market_intel.contracts > docs/tables.md`; do not edit by hand -->",
        "",
        "Every table below is a view in `DIR/warehouse.duckdb` over the current snapshot's Parquet",
        "files (`duckdb -readonly DIR/warehouse.duckdb`). The listed columns are guaranteed with",
        "these types; producers may add extra columns (listed in the catalog's `data_dictionary`",
        "table as `extra`). Rules are checked before every publish; a failing rule keeps the",
        "previous publish. A rule with a null operand does not apply to that row.",
        "",
        "| table | grain |",
        "|---|---|",
    ]
    lines += [f"| [`{name}`](#{name}) | {', '.join(contract.grain)} |" for name, contract in contracts.items()]
    for name, contract in contracts.items():
        lines += ["", f"## {name}", "", contract.description, "", f"**Grain:** one row per {', '.join(contract.grain)}."]
        if contract.partition_by:
            lines.append(f"**Stored** partitioned by {', '.join(contract.partition_by)} (hive style).")
        lines += ["", "| column | type | null | meaning |", "|---|---|---|---|"]
        for column in contract.columns:
            null = "yes" if column.nullable else "no"
            lines.append(f"| `{column.name}` | {dtype_label(column.dtype)} | {null} | {_cell(column.description)} |")
        for column_name, dtype in extras.get(name, {}).items():
            if column_name not in contract.column_names:
                lines.append(f"| `{column_name}` | {dtype_label(dtype)} | yes | extra (not in the contract) |")
        if contract.rules:
            lines += ["", "Rules:", ""]
            lines += [f"- {_cell(row_rule.description)}" for row_rule in contract.rules]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_dictionary(), end="")
