"""Reports per role x region: facts, claims, Markdown and HTML (GitHub issue 6).

The work is split so that 10,000 reports stay fast: every number a report shows is computed for all
pairs at once with joins (one frame of facts per pair plus a few long frames for lists), formatted
column-wise, and written to `report_claims` from the very same text columns. The rows of the lists
and tables, the charts and the index are rendered column-wise too (report_text.markdown_rows,
report_html.html_rows / chart_columns / index_rows); only the page templates render once per
report, from one context shared by the Markdown and the HTML page. Every number carries its
provenance: the source table, the JSON key of the source row (sorted keys), the column, and for
derived numbers a named formula over operands, so a checker can re-derive each value and re-format it.
"""
from __future__ import annotations

import json
import math
import os
import re
import unicodedata
import zlib
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import jinja2.meta
import polars as pl
from markupsafe import Markup

from transforms import report_html
from transforms.reference import load_reference
from transforms.report_text import (WORLD_LOCALE, environment, format_many, markdown_rows, markdown_template,
                                    md_cell)
from transforms.projections import Z90 as Z_90  # the projections' two-sided 90 % level
from transforms.projections import last_full_year
from transforms.stats import Z_95

PAIR = ["role_label", "region"]
RISING, FALLING = "a rising market median", "a falling market median"  # projection_word (templates test them)
SIBLINGS_SHOWN = 6
PREMIUMS_SHOWN = 10
SKILLS_SHOWN = 10
TARGETS_SHOWN = 3
PPP_COUNTRIES_SHOWN = 8
AI_SKILL_LABEL = "Any AI/LLM tool"
GROWTH_DIGITS = 10  # significant digits of the derived growth interval (see _cell_numbers)
CLAIM_COLUMNS = ["role_label", "region", "claim_id", "text", "value", "format", "source_table", "source_key",
                 "source_column", "formula", "operands"]
REPORT_COLUMNS = ["role_label", "region", "slug_role", "slug_region", "reliability", "base_year", "markdown",
                  "html", "run_id"]

# Derived numbers: value = FORMULAS[formula](*operand values), operands in the order of `operands` (growth_low
# and growth_high kept to GROWTH_DIGITS significant digits: equal to the formula within 5e-10).
FORMULAS = {
    "identity": lambda a: a,
    "pct_change": lambda a, b: (a / b - 1.0) * 100.0,  # a vs b, in percent
    "difference": lambda a, b: a - b,
    "ratio": lambda a, b: a / b,
    "uplift": lambda a, b: a * (1.0 + b / 100.0),  # pay a raised by b percent
    # ends of the 90 % interval of a yearly growth rate g whose log, ln(1 + g), has standard error se
    "growth_low": lambda g, se: math.exp(math.log1p(g) - Z_90 * se) - 1.0,
    "growth_high": lambda g, se: math.exp(math.log1p(g) + Z_90 * se) - 1.0,
}


@dataclass(frozen=True)
class Operand:
    """One input of a shown number: a row (key columns -> expressions on the facts frame) and a column."""

    table: str
    key: dict[str, pl.Expr]
    column: str


@dataclass(frozen=True)
class Number:
    """A number shown in the reports: how to compute it, format it, when to show it, where it comes from."""

    name: str
    value: pl.Expr
    fmt: str
    operands: tuple[Operand, ...]
    formula: str = "identity"
    show: pl.Expr = field(default_factory=lambda: pl.lit(True))
    currency: str = "currency"
    locale: str = "locale"


# ----------------------------------------------------------------------------------------------
# slugs


def slugify(values: pl.Series) -> pl.Series:
    """File-safe slugs: ASCII-transliterated, lowercase, [a-z0-9-] ('Montréal, Quebec' -> 'montreal-quebec').

    Works on distinct labels; two labels that would share a slug both get a short checksum suffix so
    that no report overwrites another.
    """
    distinct = values.drop_nulls().unique().sort().to_list()
    slugs = {v: _slug(v) for v in distinct}
    taken: dict[str, int] = {}
    for slug in slugs.values():
        taken[slug] = taken.get(slug, 0) + 1
    mapping = {v: s if taken[s] == 1 else f"{s}-{zlib.crc32(v.encode('utf-8')) % 100_000:05d}"
               for v, s in slugs.items()}
    return values.replace_strict(mapping, default=None, return_dtype=pl.String)


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug or "x"


# ----------------------------------------------------------------------------------------------
# skill shares from observations


SHARE_FINE_CELL = ["known_role_label", "role_name", "city", "subdivision", "country", "year"]
SHARE_KEYS = ["role_label", "region", "year"]
_SHARE_FINE_STRINGS = [column for column in SHARE_FINE_CELL if column != "year"]


def _fine_postings_with(postings: pl.LazyFrame, column: str) -> pl.DataFrame:
    """Postings naming each distinct value of the list `column`, per fine cell and value, the fine
    cell's five strings and the value as Categorical codes (`_as_strings` casts them back).

    The exploded rows (~6 per posting) carry Categorical codes, not strings: with the strings
    themselves the streaming group_by's morsels of exploded rows took 1.3 GB at 10M rows (0.75 GB
    with codes; the same counts, as a code stands for exactly one string). The counts stay coded
    while build_skill_shares adds them up batch by batch: with strings, the per-batch counts it
    held took more memory than the batches themselves.
    """
    return (
        postings.select(*[pl.col(c).cast(pl.Categorical) for c in _SHARE_FINE_STRINGS], "year",
                        pl.col(column).list.unique().cast(pl.List(pl.Categorical)).alias("skill"))
        .explode("skill")
        .filter(pl.col("skill").is_not_null())
        .group_by([*SHARE_FINE_CELL, "skill"]).agg(pl.len().cast(pl.Int64).alias("postings_with"))
        .collect()
    )


def _added(counts: pl.DataFrame | None, more: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """`counts` + `more`: the sums of every numeric column per key (null keys are a key)."""
    if counts is None:
        return more
    values = [c for c in more.columns if c not in keys]
    return pl.concat([counts, more]).group_by(keys).agg(pl.col(values).sum())


def _as_strings(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    return frame.with_columns(*[pl.col(c).cast(pl.String) for c in [*_SHARE_FINE_STRINGS, "skill"]],
                              pl.lit(kind).alias("kind"))


SHARE_BATCH_ROWS = 1_000_000  # observation rows counted at once by build_skill_shares


def build_skill_shares(observations: pl.LazyFrame | Sequence[pl.LazyFrame],
                       ai_skills: tuple[str, ...] | list[str] | None = None,
                       batch_rows: int | None = None) -> pl.DataFrame:
    """Share of job postings naming each skill/certification per role_label x region x year.

    Membership follows the marts: a posting counts in its role_label (when seniority is known), its
    role_name and 'All roles', and in its city, subdivision, country and 'World'. Rows with kind
    'ai_any' (skill "Any AI/LLM tool") count postings naming at least one of `ai_skills`.
    Postings are counted per fine cell (role_label, role_name, city, subdivision, country, year)
    first and only those few thousand cells are expanded to their memberships: a posting's
    memberships depend only on its fine cell, so this equals expanding every posting, at a
    fraction of the memory (7.6 GB -> 1 GB at 1M rows, benchmarks/). The three fine-cell counts
    (totals, skills, certifications) are collected one after the other, each a small frame: in one
    streaming plan their scans of the observations ran at once and their memory added up
    (2.0 GB -> 0.8 GB at 10M rows, with _fine_postings_with). The counts are sums, so they are taken
    over `batch_rows` (SHARE_BATCH_ROWS) observation rows at a time and added up: memory follows the
    batch, not the table (the whole table at once held ~1.1 GB at 10M rows and 4.6 GB at 100M, the
    peak of the reports step and, at 100M, of the whole run; issue 9). `observations` is one scan,
    cut into row slices here, or the batches already cut (`storage.parquet_batches`, what the flow passes).
    """
    if ai_skills is None:
        ai_skills = [entry.skill for entry in load_reference().skills if entry.ai]
    ai = pl.lit(list(ai_skills), dtype=pl.List(pl.String))
    if isinstance(observations, pl.LazyFrame):
        batch_rows = batch_rows or SHARE_BATCH_ROWS
        rows = observations.select(pl.len()).collect().item()
        # once at least: an empty table still gives the columns
        batches = [observations.slice(offset, batch_rows) for offset in range(0, max(rows, 1), batch_rows)]
    else:  # batches made by the caller (storage.parquet_batches)
        batches = list(observations)
    fine_totals = None
    named: dict[str, pl.DataFrame | None] = {"skills": None, "certifications": None}
    for batch in batches:
        postings = (
            batch  # postings of sources that carry no skill information (null lists) are not counted
            .filter((pl.col("kind") == "job_posting") & pl.col("skills").is_not_null())
            .select(
                pl.when(pl.col("seniority").is_not_null()).then(pl.col("role_label")).alias("known_role_label"),
                "role_name", "city", "subdivision", "country",
                pl.col("year").cast(pl.Int32).alias("year"),
                pl.col("skills").fill_null([]).alias("skills"),
                pl.col("certifications").fill_null([]).alias("certifications"),
                pl.col("skills").fill_null([]).list.set_intersection(ai).list.len().gt(0).alias("has_ai"),
            )
        )
        fine_totals = _added(fine_totals, postings.group_by(SHARE_FINE_CELL)
                             .agg(pl.len().cast(pl.Int64).alias("postings"),
                                  pl.col("has_ai").sum().cast(pl.Int64).alias("ai_postings"))
                             .collect(), SHARE_FINE_CELL)
        for column in named:
            named[column] = _added(named[column], _fine_postings_with(postings, column), [*SHARE_FINE_CELL, "skill"])
    fine_named = pl.concat([_as_strings(named["skills"], "skill"),
                            _as_strings(named["certifications"], "certification")])
    membership = (
        fine_totals.select(SHARE_FINE_CELL)
        .with_columns(
            pl.concat_list([pl.col("known_role_label"), pl.col("role_name"), pl.lit("All roles")]).alias("role_label"),
            pl.concat_list([pl.col("city"), pl.col("subdivision"), pl.col("country"), pl.lit("World")]).alias("region"),
        )
        .explode("role_label").explode("region")
        .filter(pl.col("role_label").is_not_null() & pl.col("region").is_not_null())
        .unique([*SHARE_FINE_CELL, "role_label", "region"])
        .lazy()
    )
    totals = (fine_totals.lazy().join(membership, on=SHARE_FINE_CELL, how="inner", nulls_equal=True)
              .group_by(SHARE_KEYS).agg(pl.col("postings").sum(), pl.col("ai_postings").sum()))
    counts = (fine_named.lazy().join(membership, on=SHARE_FINE_CELL, how="inner", nulls_equal=True)
              .group_by([*SHARE_KEYS, "skill", "kind"]).agg(pl.col("postings_with").sum()))
    ai_rows = totals.select(*SHARE_KEYS, pl.lit(AI_SKILL_LABEL).alias("skill"), pl.lit("ai_any").alias("kind"),
                            pl.col("ai_postings").alias("postings_with"))
    return (
        pl.concat([counts, ai_rows], how="vertical_relaxed")
        .join(totals.select(*SHARE_KEYS, "postings"), on=SHARE_KEYS, how="inner")
        .with_columns((pl.col("postings_with") / pl.col("postings")).alias("share_of_postings"))
        .select("role_label", "region", "year", "skill", "kind", "postings_with", "postings", "share_of_postings")
        .collect()
        .sort(["role_label", "region", "year", "kind", "skill"])
    )


def _key_json(key: dict[str, pl.Expr]) -> pl.Expr:
    if not key:
        return pl.lit("{}")
    return pl.struct(**{name: key[name] for name in sorted(key)}).struct.json_encode()


def _operand_json(op: Operand) -> pl.Expr:
    return pl.concat_str([pl.lit(f'{{"column":{json.dumps(op.column)},"key":'), _key_json(op.key),
                          pl.lit(f',"table":{json.dumps(op.table)}}}')])


def apply_numbers(frame: pl.DataFrame, numbers: list[Number], item: pl.Expr | None = None
                  ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Add `<name>` (value) and `<name>_text` (shown text, null when hidden) columns; return claims too."""
    if frame.height == 0:
        empty = frame.with_columns([pl.lit(None, dtype=pl.Float64).alias(n.name) for n in numbers]
                                   + [pl.lit(None, dtype=pl.String).alias(f"{n.name}_text") for n in numbers])
        return empty, _empty_claims()
    values = frame.select([n.value.cast(pl.Float64).alias(n.name) for n in numbers])
    # with_columns broadcasts a literal `show` (pl.lit(True)) to the frame's height; select would not
    shows = frame.with_columns([n.show.fill_null(False).alias(f"__show_{n.name}") for n in numbers]).select(
        [pl.col(f"__show_{n.name}").alias(n.name) for n in numbers])
    formatted = format_many([(values[n.name], n.fmt, frame[n.currency] if n.fmt == "money" else None,
                              frame[n.locale] if n.fmt == "money" else None) for n in numbers])
    texts = [text.alias(f"{n.name}_text").set(~shows[n.name], None) for n, text in zip(numbers, formatted)]
    out = frame.with_columns(values.get_columns() + texts)
    claims = []
    lazy = out.lazy()
    for n in numbers:
        claim_id = pl.lit(n.name) if item is None else pl.concat_str([pl.lit(n.name + ":"), item])
        first = n.operands[0]
        claims.append(lazy.filter(pl.col(f"{n.name}_text").is_not_null()).select(
            "role_label", "region",
            claim_id.alias("claim_id"),
            pl.col(f"{n.name}_text").alias("text"),
            pl.col(n.name).alias("value"),
            _format_label(n),
            pl.lit(first.table).alias("source_table"),
            _key_json(first.key).alias("source_key"),
            pl.lit(first.column).alias("source_column"),
            pl.lit(n.formula).alias("formula"),
            pl.concat_str([pl.lit("["), pl.concat_str([_operand_json(op) for op in n.operands], separator=","),
                           pl.lit("]")]).alias("operands"),
        ))
    return out, pl.concat(claims).collect() if claims else _empty_claims()


def _format_label(n: Number) -> pl.Expr:
    """'money:CAD:en_CA' for money (currency and locale of the row), else the format name."""
    if n.fmt != "money":
        return pl.lit(n.fmt).alias("format")
    return pl.concat_str([pl.lit("money:"), pl.col(n.currency), pl.lit(":"), pl.col(n.locale)]).alias("format")


def _empty_claims() -> pl.DataFrame:
    schema = {c: pl.String for c in CLAIM_COLUMNS} | {"value": pl.Float64}
    return pl.DataFrame(schema=schema).select(CLAIM_COLUMNS)


def _stats_key(year: str = "base_year", role: str = "role_label", region: str = "region") -> dict[str, pl.Expr]:
    return {"role_label": pl.col(role), "region": pl.col(region), "year": pl.col(year)}


def _pair_key() -> dict[str, pl.Expr]:
    return {"role_label": pl.col("role_label"), "region": pl.col("region")}


# ----------------------------------------------------------------------------------------------
# facts


def _locales(ref) -> pl.DataFrame:
    return pl.DataFrame({"country_code": [c.code for c in ref.countries], "locale": [c.locale for c in ref.countries]},
                        schema={"country_code": pl.String, "locale": pl.String})


def _with_locale(frame: pl.DataFrame, locales: pl.DataFrame, code: str = "country_code",
                 level: str = "region_level", out: str = "locale") -> pl.DataFrame:
    """The babel locale of each row's region (World and unknown countries: en_US)."""
    return (frame.join(locales.rename({"country_code": code, "locale": out}), on=code, how="left")
            .with_columns(pl.when(pl.col(level) == "world").then(pl.lit(WORLD_LOCALE))
                          .otherwise(pl.col(out).fill_null(WORLD_LOCALE)).alias(out)))


def select_pairs(stats: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Every role_label x region with a stats row; base year = the last full year by as_of (the
    projections', last_full_year), else the latest year before, else the cell's latest year."""
    target = last_full_year(as_of)
    return (stats.group_by(PAIR).agg(
        pl.coalesce(pl.col("year").filter(pl.col("year") <= target).max(), pl.col("year").max()).alias("base_year"))
        .sort(PAIR))


def _cells(tables: dict[str, pl.DataFrame], ref, as_of: date) -> pl.DataFrame:
    """One row per pair: base-year stats, previous year, projection, demand, AI share, PPP, wording flags."""
    stats = tables["role_region_stats"]
    pairs = select_pairs(stats, as_of)
    base = pairs.join(stats, left_on=[*PAIR, "base_year"], right_on=[*PAIR, "year"], how="inner")
    prev = stats.select(*PAIR, (pl.col("year") + 1).alias("base_year"), pl.col("year").alias("prev_year"),
                        pl.col("median").alias("median_prev"), pl.col("median_ci_low").alias("median_ci_low_prev"),
                        pl.col("median_ci_high").alias("median_ci_high_prev"),
                        pl.col("reliability").alias("reliability_prev"))
    cells = base.join(prev, on=[*PAIR, "base_year"], how="left")
    cells = _with_locale(cells, _locales(ref))

    projections = tables.get("projections")
    proj_cols = {c: pl.Float64 for c in ("target_year", "projected", "pi_low", "pi_high", "pi80_low", "pi80_high",
                                         "growth_rate", "growth_log_se")} | {"model": pl.String, "growth_source": pl.String}
    # growth columns are optional in the contract; a missing column (or table) is a typed null
    have = [c for c in proj_cols if projections is not None and projections.height and c in projections.columns]
    if have:
        cells = cells.join(projections.select(*PAIR, *have), on=PAIR, how="left")
    cells = cells.with_columns([pl.lit(None, dtype=t).alias(c) for c, t in proj_cols.items() if c not in have])

    # the cell's own backtest (its last usable year predicted from the years before it), if it has one
    backtests = tables.get("backtests")
    bt_cols = {"bt_holdout_year": pl.Int64, "bt_predicted": pl.Float64, "bt_actual": pl.Float64,
               "bt_covered": pl.Boolean}
    if backtests is not None and backtests.height:
        cells = cells.join(backtests.select(*PAIR, pl.col("holdout_year").cast(pl.Int64).alias("bt_holdout_year"),
                                            pl.col("predicted").alias("bt_predicted"),
                                            pl.col("actual").alias("bt_actual"),
                                            pl.col("covered_90").alias("bt_covered"))
                           .sort(*PAIR, "bt_holdout_year").unique(PAIR, keep="last", maintain_order=True),
                           on=PAIR, how="left")
    else:
        cells = cells.with_columns([pl.lit(None, dtype=t).alias(c) for c, t in bt_cols.items()])

    demand = _yearly_demand(tables.get("demand_signals"))
    # _yearly_demand keeps the years that hold postings (posting_years) only: those are its years
    cells = cells.join(demand.rename({"year": "base_year"}), on=[*PAIR, "base_year"], how="left").with_columns(
        pl.col("base_year").is_in(demand["year"].unique().to_list()).alias("postings_measured"))

    shares = tables.get("skill_shares")
    if shares is not None and shares.height:
        ai = shares.filter(pl.col("kind") == "ai_any").select(*PAIR, "year", "share_of_postings", "skill",
                                                               "postings_with", "postings")
        cells = (cells.join(ai.rename({"year": "base_year", "share_of_postings": "ai_share", "skill": "ai_skill",
                                       "postings_with": "ai_with", "postings": "ai_postings"}),
                            on=[*PAIR, "base_year"], how="left")
                 .join(ai.select(*PAIR, (pl.col("year") + 1).alias("base_year"), pl.col("year").alias("ai_prev_year"),
                                 pl.col("share_of_postings").alias("ai_share_prev"),
                                 pl.col("postings_with").alias("ai_with_prev"),
                                 pl.col("postings").alias("ai_postings_prev")),
                       on=[*PAIR, "base_year"], how="left"))
    else:
        cells = cells.with_columns(pl.lit(None, dtype=pl.Float64).alias("ai_share"),
                                   pl.lit(None, dtype=pl.String).alias("ai_skill"),
                                   pl.lit(None, dtype=pl.Int64).alias("ai_prev_year"),
                                   pl.lit(None, dtype=pl.Float64).alias("ai_share_prev"),
                                   *[pl.lit(None, dtype=pl.Int64).alias(c) for c in
                                     ("ai_with", "ai_postings", "ai_with_prev", "ai_postings_prev")])

    ppp = _ppp_asof(cells.select("role_label", "region", "country_code", "base_year"), tables["ppp"])
    cells = cells.join(ppp, on=[*PAIR, "base_year"], how="left").with_columns(
        pl.when(pl.col("region_level") == "world").then(None).otherwise(pl.col("ppp_factor")).alias("ppp_factor"))
    return cells.sort(PAIR)


def _demand_year() -> pl.Expr:
    return pl.col("period").cast(pl.String).str.slice(0, 4).cast(pl.Int64, strict=False)


def posting_years(demand: pl.DataFrame | None) -> list[int]:
    """The years in which the run's data hold any job posting (demand_signals counts one somewhere).

    In a year without any (a run of salary surveys alone, or postings from other years only) every
    count is 0: the reports of that year say that demand cannot be measured from these data, not that
    it is thin, and show no postings column of zeros."""
    if demand is None or demand.height == 0:
        return []
    return (demand.filter(pl.col("period_type") == "year")
            .group_by(_demand_year().alias("year")).agg(pl.col("postings").fill_null(0).sum())
            .filter(pl.col("postings") > 0)["year"].sort().to_list())


def _yearly_demand(demand: pl.DataFrame | None) -> pl.DataFrame:
    """The year rows of demand_signals, keyed by year, for the years that hold postings (posting_years)."""
    cols = {"postings": pl.Float64, "postings_year_before": pl.Float64, "yoy_change_pct": pl.Float64,
            "postings_with_seniority": pl.Float64,
            "entry_share": pl.Float64, "senior_share": pl.Float64, "demand_period": pl.String}
    years = posting_years(demand)
    if not years:
        return pl.DataFrame(schema={"role_label": pl.String, "region": pl.String, "year": pl.Int64} | cols)
    return (demand.filter((pl.col("period_type") == "year") & _demand_year().is_in(years))
            .select(*PAIR, _demand_year().alias("year"),
                    pl.col("period").alias("demand_period"), "postings", "postings_year_before", "yoy_change_pct",
                    "postings_with_seniority", "entry_share", "senior_share"))


def _ppp_asof(frame: pl.DataFrame, ppp: pl.DataFrame) -> pl.DataFrame:
    """The latest PPP factor at or before each row's base year (earliest one when none is older)."""
    factors = ppp.select("country_code", pl.col("year").cast(pl.Int64).alias("ppp_year"),
                         pl.col("ppp_lcu_per_intl_dollar").cast(pl.Float64).alias("ppp_factor")).sort("ppp_year")
    left = frame.with_columns(pl.col("base_year").cast(pl.Int64).alias("ppp_lookup")).sort("ppp_lookup")
    backward = left.join_asof(factors, left_on="ppp_lookup", right_on="ppp_year", by="country_code",
                              strategy="backward", check_sortedness=False)
    forward = left.join_asof(factors, left_on="ppp_lookup", right_on="ppp_year", by="country_code",
                             strategy="forward", check_sortedness=False)
    keys = [*PAIR, "base_year"]  # one factor per cell and base year (cells differ in base year)
    return (backward.join(forward.select(*keys, pl.col("ppp_year").alias("f_year"), pl.col("ppp_factor").alias("f_f")),
                          on=keys, how="left")
            .select(*keys, pl.coalesce("ppp_year", "f_year").alias("ppp_year"),
                    pl.coalesce("ppp_factor", "f_f").alias("ppp_factor")))


def _cell_numbers() -> list[Number]:
    """Every number in the single-valued parts of a report."""
    full = pl.col("reliability") != "suppress"
    rrs = "role_region_stats"
    demand_key = {"role_label": pl.col("role_label"), "region": pl.col("region"), "period_type": pl.lit("year"),
                  "period": pl.col("demand_period")}
    shares_key = {"role_label": pl.col("role_label"), "region": pl.col("region"), "year": pl.col("base_year"),
                  "skill": pl.col("ai_skill"), "kind": pl.lit("ai_any")}
    shares_prev = shares_key | {"year": pl.col("ai_prev_year")}
    ppp_key = {"country_code": pl.col("country_code"), "year": pl.col("ppp_year")}
    backtest_key = {"role_label": pl.col("role_label"), "region": pl.col("region"),
                    "holdout_year": pl.col("bt_holdout_year")}
    # the template shows the shrinkage only then (World, the root, has no parent to shrink toward)
    shrunk = full & (pl.col("shrink_weight").fill_null(0) > 0) & pl.col("shrink_parent").is_not_null()
    money = [Number(c, pl.col(c), "money", (Operand(rrs, _stats_key(), c),),
                    show=shrunk if c == "shrunk_median" else full)
             for c in ("p10", "p25", "median", "p75", "p90", "median_ci_low", "median_ci_high", "shrunk_median")]
    proj = [Number(c, pl.col(c), "money", (Operand("projections", _pair_key(), c),), show=full)
            for c in ("projected", "pi_low", "pi_high", "pi80_low", "pi80_high")]
    # the projection's trend: its yearly growth and that growth's 90 % interval (from its log standard error)
    with_growth = (full & pl.col("projected").is_not_null() & pl.col("growth_rate").is_not_null()
                   & pl.col("growth_log_se").is_not_null())
    growth_ops = (Operand("projections", _pair_key(), "growth_rate"), Operand("projections", _pair_key(), "growth_log_se"))
    growth = [
        Number("growth", pl.col("growth_rate"), "signed_share", growth_ops[:1], show=with_growth),
        # exp differs in the last bit between CPUs with and without FMA: 10 significant digits keep the bytes
        # (and stay within 1e-9 of the formula)
        Number("growth_low", ((pl.col("growth_rate").log1p() - Z_90 * pl.col("growth_log_se")).exp() - 1.0)
               .round_sig_figs(GROWTH_DIGITS), "signed_share", growth_ops, formula="growth_low", show=with_growth),
        Number("growth_high", ((pl.col("growth_rate").log1p() + Z_90 * pl.col("growth_log_se")).exp() - 1.0)
               .round_sig_figs(GROWTH_DIGITS), "signed_share", growth_ops, formula="growth_high", show=with_growth),
    ]
    return [
        Number("n", pl.col("n"), "count", (Operand(rrs, _stats_key(), "n"),)),
        *money, *proj, *growth,
        Number("median_usd", pl.col("median_usd"), "money", (Operand(rrs, _stats_key(), "median_usd"),),
               show=full & (pl.col("currency") != "USD"), currency="usd"),
        Number("cv", pl.col("cv"), "share", (Operand(rrs, _stats_key(), "cv"),), show=full),
        Number("shrink_weight", pl.col("shrink_weight"), "share", (Operand(rrs, _stats_key(), "shrink_weight"),),
               show=shrunk),
        Number("median_yoy", (pl.col("median") / pl.col("median_prev") - 1) * 100, "signed_pct",
               (Operand(rrs, _stats_key(), "median"), Operand(rrs, _stats_key("prev_year"), "median")),
               # not against a withheld year: its report publishes no median, so this one compares with none
               formula="pct_change", show=full & pl.col("reliability_prev").ne_missing("suppress")),
        Number("postings", pl.col("postings"), "count", (Operand("demand_signals", demand_key, "postings"),),
               show=full),
        Number("postings_yoy", pl.col("yoy_change_pct"), "signed_pct",
               (Operand("demand_signals", demand_key, "yoy_change_pct"),), show=full),
        # the seniority mix is shown only where the role label does not fix the level (role_level 'role_label'
        # is e.g. "Senior Data Engineer": its postings are all senior by construction)
        Number("postings_with_seniority", pl.col("postings_with_seniority"), "count",
               (Operand("demand_signals", demand_key, "postings_with_seniority"),),
               show=full & pl.col("role_level").ne_missing("role_label")),
        Number("entry_share", pl.col("entry_share"), "share", (Operand("demand_signals", demand_key, "entry_share"),),
               show=full & pl.col("role_level").ne_missing("role_label")),
        Number("senior_share", pl.col("senior_share"), "share",
               (Operand("demand_signals", demand_key, "senior_share"),),
               show=full & pl.col("role_level").ne_missing("role_label")),
        Number("skill_postings", pl.col("ai_postings"), "count", (Operand("skill_shares", shares_key, "postings"),),
               show=full),
        Number("ai_share", pl.col("ai_share"), "share", (Operand("skill_shares", shares_key, "share_of_postings"),),
               show=full),
        Number("ai_change", pl.col("ai_share") - pl.col("ai_share_prev"), "signed_pp",
               (Operand("skill_shares", shares_key, "share_of_postings"),
                Operand("skill_shares", shares_prev, "share_of_postings")), formula="difference", show=full),
        Number("ppp_factor", pl.col("ppp_factor"), "ratio3", (Operand("ppp", ppp_key, "ppp_lcu_per_intl_dollar"),),
               show=full),
        Number("median_ppp", pl.col("median") / pl.col("ppp_factor"), "money",
               (Operand(rrs, _stats_key(), "median"), Operand("ppp", ppp_key, "ppp_lcu_per_intl_dollar")),
               formula="ratio", show=full, currency="usd", locale="usd_locale"),
        Number("bt_error", pl.col("bt_median_abs_pct_error"), "pct",
               (Operand("backtest_summary", {}, "median_abs_pct_error"),), show=full),
        Number("bt_naive", pl.col("bt_naive_median_abs_pct_error"), "pct",
               (Operand("backtest_summary", {}, "naive_median_abs_pct_error"),), show=full),
        Number("bt_coverage", pl.col("bt_coverage_90"), "share", (Operand("backtest_summary", {}, "coverage_90"),),
               show=full),
        Number("bt_cells", pl.col("bt_cells"), "count", (Operand("backtest_summary", {}, "cells"),), show=full),
        *[Number(f"bt_{c}", pl.col(f"bt_{c}"), "money", (Operand("backtests", backtest_key, c),),
                 show=full & pl.col("bt_predicted").is_not_null() & pl.col("bt_actual").is_not_null())
          for c in ("predicted", "actual")],
    ]


def change_z_scores() -> list[pl.Expr]:
    """z statistics of the three year-over-year changes a report puts into words (null: not testable).

    - median_change_z: difference of the log medians over the root of the summed sampling variances,
      each read off the year's 95 % median interval as ((ln high - ln low) / (2 x 1.96))^2 (both
      intervals of zero width: +-inf for a change, 0 for none);
    - postings_change_z: two Poisson counts, (c1 - c0) / sqrt(c1 + c0);
    - ai_change_z: two proportions with the pooled share, (p1 - p0) / sqrt(p (1 - p) (1/n1 + 1/n0)).
    """
    def log_variance(low: str, high: str) -> pl.Expr:
        return ((pl.col(high).log() - pl.col(low).log()) / (2.0 * Z_95)) ** 2

    median_se = (log_variance("median_ci_low", "median_ci_high")
                 + log_variance("median_ci_low_prev", "median_ci_high_prev")).sqrt()
    pooled = ((pl.col("ai_with") + pl.col("ai_with_prev"))
              / (pl.col("ai_postings") + pl.col("ai_postings_prev")).cast(pl.Float64))
    ai_se = (pooled * (1.0 - pooled) * (1.0 / pl.col("ai_postings") + 1.0 / pl.col("ai_postings_prev"))).sqrt()
    counts = pl.col("postings") + pl.col("postings_year_before")
    log_change = pl.col("median").log() - pl.col("median_prev").log()
    return [
        # both intervals of zero width (their middle order statistics tied): no sampling variance at all, so
        # any change is beyond chance (z infinite) and none is z = 0; null only where an interval is missing
        pl.when(median_se > 0).then(log_change / median_se)
        .when(median_se == 0).then(pl.when(log_change > 0).then(float("inf"))
                                   .when(log_change < 0).then(float("-inf")).otherwise(0.0))
        .alias("median_change_z"),
        pl.when(counts > 0).then((pl.col("postings") - pl.col("postings_year_before")) / counts.sqrt())
        .alias("postings_change_z"),
        pl.when(ai_se > 0).then((pl.col("ai_share") - pl.col("ai_share_prev")) / ai_se)
        .when(pl.col("ai_share") == pl.col("ai_share_prev")).then(0.0).alias("ai_change_z"),
    ]


def _wording(cells: pl.DataFrame) -> pl.DataFrame:
    """Words that follow the numbers (rising/falling/flat, strong/weak demand), one column each.

    A change is put into a direction word only when it is larger than chance allows (|z| > 1.96,
    change_z_scores); otherwise the report says the data do not show a change, whatever its size.
    A median change whose previous year has no interval is called a change, without a direction."""
    def unclear(z: str) -> pl.Expr:
        return pl.col(z).abs() <= Z_95

    def trend(col: pl.Expr, z: str, up: str, down: str, flat: str, band: float, noise: str,
              untested: str | None = None) -> pl.Expr:
        return (pl.when(col.is_null()).then(pl.lit(None, dtype=pl.String))
                .when(pl.col(z).is_null()).then(pl.lit(untested))
                .when(unclear(z)).then(pl.lit(noise))
                .when(col > band).then(pl.lit(up)).when(col < -band).then(pl.lit(down)).otherwise(pl.lit(flat)))

    cells = cells.with_columns(change_z_scores())
    # a printed year-over-year direction against the projection's
    against_change = pl.col("median_yoy_text").is_not_null() & (
        ((pl.col("median_trend_word") == "fell") & (pl.col("projection_word") == RISING))
        | ((pl.col("median_trend_word") == "rose") & (pl.col("projection_word") == FALLING))).fill_null(False)
    return cells.with_columns(
        trend(pl.col("median_yoy"), "median_change_z", "rose", "fell", "was essentially flat", 2.0,
              "moved within its sampling uncertainty", "changed").alias("median_trend_word"),
        (pl.when(pl.col("postings_yoy").is_null()).then(pl.lit(None, dtype=pl.String))
         .when(pl.col("postings_change_z").is_null() | unclear("postings_change_z"))
         .then(pl.lit("a change within chance variation"))
         .when(pl.col("postings_yoy") >= 15).then(pl.lit("strong growth"))
         .when(pl.col("postings_yoy") > 3).then(pl.lit("rising demand"))
         .when(pl.col("postings_yoy") <= -15).then(pl.lit("a sharp contraction"))
         .when(pl.col("postings_yoy") < -3).then(pl.lit("softening demand"))
         .otherwise(pl.lit("stable demand"))).alias("demand_word"),
        (pl.when(pl.col("postings") < 30).then(pl.lit("thin")).when(pl.col("postings") < 300).then(pl.lit("moderate"))
         .otherwise(pl.lit("substantial"))).alias("volume_word"),
        trend(pl.col("ai_change"), "ai_change_z", "rising against", "falling against", "roughly unchanged against",
              0.01, "not clearly different from", "not clearly different from").alias("ai_trend_word"),
        # the direction of the projection is its trend's: growth whose 90 % interval (growth_low .. growth_high,
        # the numbers the report prints) excludes zero. Not where the interval lies against today's median: that
        # median carries its year's sampling noise, which the projection (from the trend line through all years)
        # damps, so a noisy-high median of 12 data points read as "a decline" under a clearly rising trend
        (pl.when(pl.col("projected").is_null() | pl.col("growth_low").is_null() | pl.col("growth_high").is_null())
         .then(pl.lit(None, dtype=pl.String))
         .when(pl.col("growth_low") > 0).then(pl.lit(RISING))
         .when(pl.col("growth_high") < 0).then(pl.lit(FALLING))
         .otherwise(pl.lit("no clear direction"))).alias("projection_word"),
    ).with_columns(
        # today's median on the side of the projection the trend does not explain (above it under a rising
        # trend, below it under a falling one, outside the whole interval under neither; and outside the whole
        # interval on the trend's own side even after a year of the fastest trend its printed 90 % interval
        # allows: Lead Data Analyst in Australia, $115,434 under a +1.8 % (+0.5 % to +3.1 %) a year trend and an
        # interval from $119,510, had no note): that year's sampling noise, which the
        # projection damps; the report says so instead of leaving "rising" beside a lower figure
        (pl.when(pl.col("projection_word").is_null() | pl.col("median").is_null()).then(pl.lit(None, dtype=pl.String))
         .when((pl.col("projection_word") != FALLING) & ((pl.col("median") > pl.col("pi_high")) | (
             (pl.col("projection_word") == RISING) & (pl.col("median") > pl.col("projected"))))).then(pl.lit("above"))
         .when((pl.col("projection_word") == FALLING)
               & (pl.col("median") * (1.0 + pl.col("growth_low")) > pl.col("pi_high"))).then(pl.lit("above"))
         .when((pl.col("projection_word") != RISING) & ((pl.col("median") < pl.col("pi_low")) | (
             (pl.col("projection_word") == FALLING) & (pl.col("median") < pl.col("projected"))))).then(pl.lit("below"))
         .when((pl.col("projection_word") == RISING)
               & (pl.col("median") * (1.0 + pl.col("growth_high")) < pl.col("pi_low"))).then(pl.lit("below"))
         .when(against_change & (pl.col("projection_word") == RISING) & (pl.col("median") < pl.col("projected")))
         .then(pl.lit("below"))
         .when(against_change & (pl.col("projection_word") == FALLING) & (pl.col("median") > pl.col("projected")))
         .then(pl.lit("above"))
         ).alias("projection_base_side"),
    ).with_columns(
        # the year-over-year sentence just said the median fell (beyond both years' intervals) and the
        # projection says rising, or the reverse: the note says why rather than blaming sampling noise, which
        # that change is beyond (Research Scientist in Berlin: fell -11.2 %, projection +10.5 % above it)
        (pl.col("projection_base_side").is_not_null() & against_change).alias("projection_against_change"),
    )


def _premium_cells(cells: pl.DataFrame, stats: pl.DataFrame, adjusted: pl.DataFrame) -> pl.DataFrame:
    """For each report cell, the nearest cell with premium estimates (premiums are fitted per role
    and country; a seniority or city cell borrows them and the report says from where).

    Order: the cell itself, its role (all seniorities) in the region, the role in the country,
    all roles in the region, all roles in the country, the role worldwide, all roles worldwide.
    """
    countries = (stats.filter(pl.col("region_level") == "country")
                 .select("country_code", pl.col("region").alias("country_label")).unique())
    role_names = (stats.select("role_label", "role_name") if "role_name" in stats.columns
                  else stats.select("role_label", pl.lit(None, dtype=pl.String).alias("role_name")))
    role_names = role_names.filter(pl.col("role_name").is_not_null()).unique("role_label", keep="first")
    base = (cells.select(*PAIR, "country_code").join(role_names, on="role_label", how="left")
            .join(countries, on="country_code", how="left"))
    candidates = [
        (pl.col("role_label"), pl.col("region")),
        (pl.col("role_name"), pl.col("region")),
        (pl.col("role_name"), pl.col("country_label")),
        (pl.lit("All roles"), pl.col("region")),
        (pl.lit("All roles"), pl.col("country_label")),
        (pl.col("role_name"), pl.lit("World")),
        (pl.lit("All roles"), pl.lit("World")),
    ]
    available = adjusted.select(pl.col("role_label").alias("prem_role_label"),
                                pl.col("region").alias("prem_region")).unique().with_columns(
        pl.lit(True).alias("_has"))
    options = pl.concat([
        base.select(*PAIR, role.alias("prem_role_label"), region.alias("prem_region"),
                    pl.lit(order).alias("_order"))
        for order, (role, region) in enumerate(candidates)
    ]).filter(pl.col("prem_role_label").is_not_null() & pl.col("prem_region").is_not_null())
    return (options.join(available, on=["prem_role_label", "prem_region"], how="inner")
            .sort([*PAIR, "_order"]).group_by(PAIR, maintain_order=True).first()
            .select(*PAIR, "prem_role_label", "prem_region",
                    (pl.col("_order") > 0).alias("premium_borrowed")))


def _premiums(tables, cells: pl.DataFrame, stats: pl.DataFrame) -> pl.DataFrame:
    """Adjusted premiums with their raw twins, ranked per pair (single skills and certifications only)."""
    prem = tables.get("skill_premiums")
    keys = cells.filter(pl.col("reliability") != "suppress").select(*PAIR, "median", "base_year", "currency", "locale")
    if prem is None or prem.height == 0:
        prem = pl.DataFrame(schema={"role_label": pl.String, "region": pl.String, "skill": pl.String,
                                    "kind": pl.String, "method": pl.String, "n_with": pl.Int64,
                                    "premium_pct": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64})
    single = prem.filter(~pl.col("skill").str.contains(" + ", literal=True))
    adjusted = single.filter(pl.col("method") == "adjusted").select(*PAIR, "skill", "kind", "n_with", "premium_pct",
                                                                   "ci_low", "ci_high")
    raw = single.filter(pl.col("method") == "raw").select(*PAIR, "skill", pl.col("premium_pct").alias("raw_premium"))
    source = _premium_cells(cells.filter(pl.col("reliability") != "suppress"), stats, adjusted)
    estimates = (adjusted.join(raw, on=[*PAIR, "skill"], how="left")
                 .rename({"role_label": "prem_role_label", "region": "prem_region"}))
    return (source.join(estimates, on=["prem_role_label", "prem_region"], how="inner")
            .join(keys, on=PAIR, how="inner")
            .with_columns(((pl.col("ci_low") > 0) | (pl.col("ci_high") < 0)).alias("is_significant"))
            .sort([*PAIR, "premium_pct", "skill"], descending=[False, False, True, False])
            .with_columns(pl.col("premium_pct").rank("ordinal", descending=True).over(PAIR).alias("rank"),
                          # the skill / certification a report highlights (Growth Catalyst, Career Moat, the
                          # checklist): the largest premium whose interval excludes zero, else the largest estimate.
                          # Not simply the largest estimate: a wide interval around a high point estimate (PMP,
                          # +6.1 %, -0.1 % to +12.6 %, n 32) displaced three demonstrated certification premiums and
                          # its "the data do not show a premium" read as if none had one
                          pl.struct((pl.col("is_significant") & (pl.col("premium_pct") > 0)).fill_null(False), "premium_pct")
                          .rank("ordinal", descending=True).over([*PAIR, "kind"]).alias("kind_rank")))


def _premium_numbers(prefix: str) -> list[Number]:
    def key(method: str) -> dict[str, pl.Expr]:
        return {"role_label": pl.col("prem_role_label"), "region": pl.col("prem_region"), "skill": pl.col("skill"),
                "method": pl.lit(method)}
    numbers = [Number(f"{prefix}{c}", pl.col(c), "signed_pct", (Operand("skill_premiums", key("adjusted"), c),))
               for c in ("premium_pct", "ci_low", "ci_high")]
    if prefix == "table.":
        numbers += [Number("table.n_with", pl.col("n_with"), "count",
                           (Operand("skill_premiums", key("adjusted"), "n_with"),)),
                    Number("table.raw_premium", pl.col("raw_premium"), "signed_pct",
                           (Operand("skill_premiums", key("raw"), "premium_pct"),))]
    return numbers


def _sibling_numbers() -> list[Number]:
    key = _stats_key("base_year", region="sibling_region")
    dkey = {"role_label": pl.col("role_label"), "region": pl.col("sibling_region"), "period_type": pl.lit("year"),
            "period": pl.col("demand_period")}
    return [Number("sibling.n", pl.col("sibling_n"), "count", (Operand("role_region_stats", key, "n"),)),
            Number("sibling.median", pl.col("sibling_median"), "money", (Operand("role_region_stats", key, "median"),),
                   currency="sibling_currency", locale="sibling_locale"),
            Number("sibling.postings", pl.col("sibling_postings"), "count",
                   (Operand("demand_signals", dkey, "postings"),))]


def _siblings(stats: pl.DataFrame, cells: pl.DataFrame, demand: pl.DataFrame, locales: pl.DataFrame) -> pl.DataFrame:
    """Other regions under the same parent region, same role, same year (published cells only), the
    SIBLINGS_SHOWN with the most data points first (the table shows them)."""
    others = _with_locale(stats.filter(pl.col("reliability") != "suppress"), locales, out="sibling_locale").select(
        "role_label", "parent_region", pl.col("year").alias("base_year"), pl.col("region").alias("sibling_region"),
        pl.col("median").alias("sibling_median"), pl.col("n").alias("sibling_n"),
        pl.col("currency").alias("sibling_currency"), "sibling_locale")
    return (cells.filter((pl.col("reliability") != "suppress") & pl.col("parent_region").is_not_null())
            .select(*PAIR, "parent_region", "base_year", "postings_measured")
            .join(others, on=["role_label", "parent_region", "base_year"], how="inner")
            .filter(pl.col("sibling_region") != pl.col("region"))
            .join(demand.select("role_label", pl.col("region").alias("sibling_region"), pl.col("year").alias("base_year"),
                                "demand_period", pl.col("postings").alias("sibling_postings")),
                  on=["role_label", "sibling_region", "base_year"], how="left")
            .sort([*PAIR, "sibling_n", "sibling_region"], descending=[False, False, True, False])
            .with_columns(pl.int_range(pl.len()).over(PAIR).alias("rank"))
            .filter(pl.col("rank") < SIBLINGS_SHOWN))


def _ppp_rows(stats: pl.DataFrame, cells: pl.DataFrame, ppp: pl.DataFrame, locales: pl.DataFrame) -> pl.DataFrame:
    """Country medians for the same role and year, beside their PPP-adjusted values."""
    countries = _with_locale(stats.filter((pl.col("region_level") == "country") & (pl.col("reliability") != "suppress")),
                             locales, out="other_locale").select(
        "role_label", pl.col("year").alias("base_year"), pl.col("region").alias("other_region"),
        pl.col("country_code").alias("other_country"), pl.col("median").alias("other_median"),
        pl.col("n").alias("other_n"), pl.col("currency").alias("other_currency"), "other_locale")
    rows = (cells.filter(pl.col("reliability") != "suppress").select(*PAIR, "base_year", "country_code")
            .join(countries, on=["role_label", "base_year"], how="inner")
            .filter(pl.col("other_region") != pl.col("region")))
    factors = _ppp_asof(rows.select("role_label", pl.col("other_region").alias("region"),
                                    pl.col("other_country").alias("country_code"), "base_year").unique(), ppp)
    return (rows.join(factors.rename({"region": "other_region", "ppp_year": "other_ppp_year",
                                      "ppp_factor": "other_ppp"}), on=["role_label", "other_region", "base_year"],
                      how="inner")
            .filter(pl.col("other_ppp").is_not_null())
            .with_columns(pl.lit("USD").alias("usd"), pl.lit(WORLD_LOCALE).alias("usd_locale"))
            .sort([*PAIR, "other_n", "other_region"], descending=[False, False, True, False])
            .with_columns(pl.int_range(pl.len()).over(PAIR).alias("rank"))
            .filter(pl.col("rank") < PPP_COUNTRIES_SHOWN))


def _ppp_numbers() -> list[Number]:
    skey = _stats_key("base_year", region="other_region")
    pkey = {"country_code": pl.col("other_country"), "year": pl.col("other_ppp_year")}
    return [Number("ppp_row.median", pl.col("other_median"), "money", (Operand("role_region_stats", skey, "median"),),
                   currency="other_currency", locale="other_locale"),
            Number("ppp_row.factor", pl.col("other_ppp"), "ratio3", (Operand("ppp", pkey, "ppp_lcu_per_intl_dollar"),)),
            Number("ppp_row.adjusted", pl.col("other_median") / pl.col("other_ppp"), "money",
                   (Operand("role_region_stats", skey, "median"), Operand("ppp", pkey, "ppp_lcu_per_intl_dollar")),
                   formula="ratio", currency="usd", locale="usd_locale")]


def _skills(tables, cells: pl.DataFrame) -> pl.DataFrame:
    shares = tables.get("skill_shares")
    keys = cells.filter(pl.col("reliability") != "suppress").select(*PAIR, "base_year")
    if shares is None or shares.height == 0:
        return keys.head(0).with_columns(pl.lit(None, dtype=pl.String).alias("skill"),
                                         pl.lit(None, dtype=pl.Float64).alias("share_of_postings"))
    return (shares.lazy().filter(pl.col("kind") == "skill").rename({"year": "base_year"})
            .join(keys.lazy(), on=[*PAIR, "base_year"], how="inner")
            .sort([*PAIR, "share_of_postings", "skill"], descending=[False, False, True, False])
            .with_columns(pl.int_range(pl.len()).over(PAIR).alias("rank"))
            .filter(pl.col("rank") < SKILLS_SHOWN)
            .collect())


def _skill_numbers() -> list[Number]:
    key = {"role_label": pl.col("role_label"), "region": pl.col("region"), "year": pl.col("base_year"),
           "skill": pl.col("skill"), "kind": pl.lit("skill")}
    return [Number("skill_share", pl.col("share_of_postings"), "share",
                   (Operand("skill_shares", key, "share_of_postings"),))]


def _target_numbers() -> list[Number]:
    pkey = {"role_label": pl.col("prem_role_label"), "region": pl.col("prem_region"), "skill": pl.col("skill"),
            "method": pl.lit("adjusted")}
    return [Number("target", pl.col("median") * (1 + pl.col("premium_pct") / 100), "money",
                   (Operand("role_region_stats", _stats_key(), "median"),
                    Operand("skill_premiums", pkey, "premium_pct")), formula="uplift")]


def _nest(cells: pl.DataFrame, part: pl.DataFrame, name: str, columns: list[str]) -> pl.DataFrame:
    """Attach a long frame to the cells as one list-of-structs column (ordered by rank)."""
    if part.height == 0:
        return cells.with_columns(
            pl.lit([], dtype=pl.List(pl.Struct({c.replace(".", "_"): pl.String for c in columns}))).alias(name))
    fields = [pl.col(c).alias(c.replace(".", "_")) for c in columns]
    nested = part.sort([*PAIR, "rank"]).group_by(PAIR, maintain_order=True).agg(pl.struct(fields).alias(name))
    return cells.join(nested, on=PAIR, how="left").with_columns(pl.col(name).fill_null([]))


def _with_rows(cells: pl.DataFrame, part: pl.DataFrame, name: str) -> pl.DataFrame:
    """Attach the rows of a long frame as two rendered blocks, `<name>_md` and `<name>_html` (ordered by
    rank; '' when the pair has no rows): see report_text.markdown_rows and report_html.html_rows."""
    md_name, html_name = f"{name}_md", f"{name}_html"
    if part.height == 0:
        return cells.with_columns(pl.lit("").alias(md_name), pl.lit("").alias(html_name))
    blocks = (part.sort([*PAIR, "rank"]).group_by(PAIR, maintain_order=True)
              .agg(markdown_rows(name).str.join("\n").alias(md_name),
                   report_html.html_rows(name).str.join("").alias(html_name)))
    return (cells.join(blocks, on=PAIR, how="left", maintain_order="left")
            .with_columns(pl.col(md_name).fill_null(""), pl.col(html_name).fill_null("")))


def build_facts(tables: dict[str, pl.DataFrame], ref, as_of: date, backtest_summary: dict | None = None
                ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """All facts per pair (one row each; the lists as rendered row blocks `<list>_md` / `<list>_html`, the
    top skill and certification nested) and the claims for every number shown."""
    tables = _complete_tables(tables, ref, backtest_summary)
    stats = tables["role_region_stats"]
    locales = _locales(ref)
    cells = _cells(tables, ref, as_of)
    summary = tables["backtest_summary"].row(0, named=True)
    cells = cells.with_columns(
        pl.lit("USD").alias("usd"), pl.lit(WORLD_LOCALE).alias("usd_locale"),
        pl.lit(summary.get("median_abs_pct_error"), dtype=pl.Float64).alias("bt_median_abs_pct_error"),
        pl.lit(summary.get("naive_median_abs_pct_error"), dtype=pl.Float64).alias("bt_naive_median_abs_pct_error"),
        pl.lit(summary.get("coverage_90"), dtype=pl.Float64).alias("bt_coverage_90"),
        pl.lit(summary.get("cells"), dtype=pl.Int64).alias("bt_cells"),
        # the run's backtest says carrying the last median forward beat the model: the overview says so
        # beside the projection, not only the methodology notes (aijobs.net, 2024 held out: 15.7 % vs 10.4 %)
        pl.lit(_worse_than_naive(summary)).alias("bt_worse_than_naive"))
    cells, claims_cells = apply_numbers(cells, _cell_numbers())
    cells = _wording(cells)

    premiums = _premiums(tables, cells, stats)
    borrowed = (premiums.filter(pl.col("premium_borrowed")).select(*PAIR, "prem_role_label", "prem_region")
                .unique(PAIR).with_columns(pl.format("{} in {}", "prem_role_label", "prem_region")
                                           .alias("premium_source")).select(*PAIR, "premium_source"))
    cells = cells.join(borrowed, on=PAIR, how="left")
    table_rows, claims_table = apply_numbers(premiums.filter(pl.col("rank") <= PREMIUMS_SHOWN), _premium_numbers("table."),
                                             item=pl.col("skill"))
    tops = []
    claims_tops = []
    for kind, prefix in (("skill", "catalyst."), ("certification", "moat.")):
        top, claims = apply_numbers(premiums.filter((pl.col("kind") == kind) & (pl.col("kind_rank") == 1)),
                                    _premium_numbers(prefix))
        tops.append((prefix.rstrip("."), top))
        claims_tops.append(claims)
    targets = (premiums.filter(pl.col("ci_low") > 0).sort([*PAIR, "premium_pct", "skill"],
                                                          descending=[False, False, True, False])
               .with_columns(pl.int_range(pl.len()).over(PAIR).alias("rank")).filter(pl.col("rank") < TARGETS_SHOWN))
    targets, claims_targets = apply_numbers(targets, _target_numbers(), item=pl.col("skill"))
    demand = _yearly_demand(tables.get("demand_signals"))
    siblings, claims_siblings = apply_numbers(_siblings(stats, cells, demand, locales), _sibling_numbers(),
                                              item=pl.col("sibling_region"))
    ppp_rows, claims_ppp = apply_numbers(_ppp_rows(stats, cells, tables["ppp"], locales), _ppp_numbers(),
                                         item=pl.col("other_region"))
    skills, claims_skills = apply_numbers(_skills(tables, cells), _skill_numbers(), item=pl.col("skill"))

    premium_cols = ["skill", "kind", "is_significant", "premium_pct", "ci_low", "ci_high"]
    for name, top in tops:
        cells = _nest(cells, top.with_columns(pl.lit(0).alias("rank")), name,
                      premium_cols + [f"{name}.premium_pct_text", f"{name}.ci_low_text", f"{name}.ci_high_text"])
    for name, part in (("premium_table", table_rows), ("targets", targets), ("siblings", siblings),
                       ("ppp_rows", ppp_rows), ("skills", skills)):
        cells = _with_rows(cells, part, name)
    cells = _with_trend(cells, stats)
    cells = _with_slugs_and_parents(cells)
    claims = _sort_claims(pl.concat([claims_cells, claims_table, *claims_tops, claims_targets, claims_siblings,
                                     claims_ppp, claims_skills]).select(CLAIM_COLUMNS))
    return cells, claims


def _worse_than_naive(summary: dict) -> bool:
    model, naive = summary.get("median_abs_pct_error"), summary.get("naive_median_abs_pct_error")
    return model is not None and naive is not None and model > naive


def _sort_claims(claims: pl.DataFrame) -> pl.DataFrame:
    """Claims sorted by role_label, region, claim_id (unique per pair).

    Sorted by one text key, the three joined with NUL: the same order as the three keys (NUL sorts
    before every other character, so a label that is a prefix of another still sorts first), in
    about half the time at 10,000 reports. Labels that contain a NUL themselves, or null keys, use the
    three keys.
    """
    keys = [*PAIR, "claim_id"]
    unusual = claims.select(pl.any_horizontal(*(pl.col(c).str.contains("\x00", literal=True).any() for c in PAIR),
                                              *(pl.col(c).is_null().any() for c in keys))).item()
    if unusual:
        return claims.sort(keys)
    key = pl.concat_str(keys, separator="\x00").alias("__sort_key")
    return claims.with_columns(key).sort("__sort_key").drop("__sort_key")


def _complete_tables(tables: dict[str, pl.DataFrame], ref, backtest_summary: dict | None) -> dict[str, pl.DataFrame]:
    out = dict(tables)
    out["role_region_stats"] = _ensure(out["role_region_stats"], OPTIONAL_STATS_COLUMNS)
    if out.get("projections") is not None:
        out["projections"] = out["projections"].with_columns(pl.col("target_year").cast(pl.Int64))
    if "ppp" not in out:
        out["ppp"] = load_ppp(ref.directory)
    summary = backtest_summary or {}
    out["backtest_summary"] = pl.DataFrame(
        {k: [summary.get(k)] for k in ("median_abs_pct_error", "naive_median_abs_pct_error", "coverage_90", "cells")},
        schema={**{k: pl.Float64 for k in ("median_abs_pct_error", "naive_median_abs_pct_error", "coverage_90")},
                "cells": pl.Int64})
    return out


OPTIONAL_STATS_COLUMNS = {"parent_region": pl.String, "role_level": pl.String, "country_code": pl.String,
                          "median_usd": pl.Float64,
                          "median_ci_low": pl.Float64, "median_ci_high": pl.Float64, "cv": pl.Float64,
                          "shrunk_median": pl.Float64, "shrink_weight": pl.Float64, "shrink_parent": pl.String}


def _ensure(frame: pl.DataFrame, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    """Add missing optional columns as nulls so reports render from partial marts."""
    missing = [pl.lit(None, dtype=dtype).alias(name) for name, dtype in columns.items() if name not in frame.columns]
    return frame.with_columns(missing) if missing else frame


def load_ppp(reference_dir: Path) -> pl.DataFrame:
    """World Bank private-consumption PPP factors kept in data/reference/ppp.csv (see PPP_SOURCE.md)."""
    return pl.read_csv(Path(reference_dir) / "ppp.csv", schema_overrides={"ppp_lcu_per_intl_dollar": pl.Float64,
                                                                          "year": pl.Int64})


def _with_trend(cells: pl.DataFrame, stats: pl.DataFrame) -> pl.DataFrame:
    """The medians the trend chart draws: the published years up to the base year (a withheld year's
    median is not drawn, as its own report does not print it)."""
    trend = (stats.join(cells.select(*PAIR, "base_year"), on=PAIR, how="inner")
             .filter((pl.col("year") <= pl.col("base_year")) & pl.col("reliability").ne_missing("suppress"))
             .sort([*PAIR, "year"])
             .group_by(PAIR, maintain_order=True)
             .agg(pl.struct(pl.col("year"), pl.col("median"), pl.col("p25"), pl.col("p75")).alias("trend")))
    return cells.join(trend, on=PAIR, how="left")


def _with_slugs_and_parents(cells: pl.DataFrame) -> pl.DataFrame:
    """Slugs (made unique per role directory) and the wider cell that suppressed reports link to: the
    nearest enclosing region whose figures are published (a withheld parent is skipped for its own
    parent: a link to another withheld report is a dead end), World where the parent region has no
    report of the role, none where no enclosing region publishes figures."""
    cells = cells.with_columns(slugify(cells["role_label"]).alias("slug_role"),
                               slugify(cells["region"]).alias("slug_region"))
    known = cells.select("role_label", pl.col("region").alias("link_region"),
                         pl.col("parent_region").alias("_up"), pl.col("slug_region").alias("_slug"),
                         pl.col("reliability").alias("_reliability"))
    link = cells.select(*PAIR, pl.when(pl.col("region") != "World").then(
        pl.coalesce(pl.col("parent_region"), pl.lit("World"))).alias("link_region"))
    for _ in range(5):  # city -> subdivision -> country -> World, and a spare step
        link = (link.join(known, on=["role_label", "link_region"], how="left")
                .with_columns(pl.when(pl.col("link_region").is_null()
                                      | (pl.col("_reliability").is_not_null() & (pl.col("_reliability") != "suppress")))
                              .then(pl.col("link_region"))
                              .when(pl.col("link_region") == "World").then(pl.lit(None, dtype=pl.String))
                              # a withheld cell: its own parent; a region without a report of the role: World
                              .when(pl.col("_reliability") == "suppress").then(pl.coalesce(pl.col("_up"), pl.lit("World")))
                              .otherwise(pl.lit("World")).alias("link_region"))
                .drop("_up", "_slug", "_reliability"))
    link = (link.join(known.select("role_label", "link_region", pl.col("_slug").alias("link_slug"), "_reliability"),
                      on=["role_label", "link_region"], how="left")
            .with_columns(pl.when(pl.col("_reliability").is_not_null() & (pl.col("_reliability") != "suppress"))
                          .then(pl.col("link_slug")).alias("link_slug"))
            .with_columns(pl.when(pl.col("link_slug").is_not_null()).then(pl.col("link_region")).alias("link_region"))
            .drop("_reliability"))
    return cells.join(link, on=PAIR, how="left").sort(PAIR)


# ----------------------------------------------------------------------------------------------
# rendering


def build_reports(tables: dict[str, pl.DataFrame], ref, as_of: date, run_id: str,
                  backtest_summary: dict | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Reports (Markdown + HTML per pair) and their claims; inputs are the mart frames (see module doc).

    `tables` keys: role_region_stats (required), skill_premiums, demand_signals, projections,
    skill_shares (see build_skill_shares), source_accounting (optional, for source names), ppp
    (optional; default data/reference/ppp.csv).
    """
    cells, claims = build_facts(tables, ref, as_of, backtest_summary)
    sources = _source_names(tables.get("source_accounting"))
    meta = {"as_of": as_of.isoformat(), "run_id": run_id, "sources": sources}
    md_template = markdown_template()
    html_template = report_html.page_template()
    markdown, html = [], []
    cells = cells.with_columns(report_html.chart_columns(cells))
    for context in _contexts(cells, meta):
        markdown.append(md_template.render(context))
        html.append(html_template.render(context))
    reports = cells.select(*PAIR, "slug_role", "slug_region", "reliability", "base_year").with_columns(
        pl.Series("markdown", markdown, dtype=pl.String), pl.Series("html", html, dtype=pl.String),
        pl.lit(run_id).alias("run_id")).select(REPORT_COLUMNS).sort(PAIR)
    return reports, claims


@lru_cache(maxsize=1)
def _template_names() -> frozenset[str]:
    """Variables the two report templates read (so only those columns are turned into dicts)."""
    names: set[str] = set()
    for template in ("report.md.j2", "report.html.j2"):
        env = environment(False)
        source = env.loader.get_source(env, template)[0]
        names |= jinja2.meta.find_undeclared_variables(env.parse(source))
    return frozenset(names)


HTML_BLOCKS = ("premium_table_html", "targets_html", "siblings_html", "ppp_rows_html", "skills_html", "chart_box",
               "chart_trend")


def _contexts(cells: pl.DataFrame, meta: dict):
    """One template context per report (shared by the Markdown and the HTML page), in cell order.

    Only the columns the templates read are converted, column by column; the HTML blocks (rows and
    charts) were rendered and escaped column-wise (report_html) and are marked safe here.
    """
    used = sorted(_template_names() & set(cells.columns))
    columns = [cells[name].to_list() for name in used]
    blocks = [used.index(name) for name in HTML_BLOCKS if name in used]
    for values in zip(*columns):
        context = dict(zip(used, values))
        for i in blocks:
            context[used[i]] = Markup(values[i])
        context["meta"] = meta
        context["md"] = md_cell
        yield context


def _source_names(accounting: pl.DataFrame | None) -> list[str]:
    if accounting is None or accounting.height == 0:
        return []
    return sorted(accounting["source"].drop_nulls().unique().to_list())


def write_report_files(reports: pl.DataFrame, claims: pl.DataFrame | dict | None = None,
                       tables: dict[str, pl.DataFrame] | Path | str | None = None,
                       out_dir: Path | str | None = None) -> Path:
    """Write DIR/reports/<role-slug>/<region-slug>.md and .html plus DIR/reports/index.html; returns the folder.

    Accepts both calling conventions in use: (reports, claims, tables, out_dir) and (reports, tables, out_dir).
    Claims and tables are not needed to write the files (pages are already rendered in `reports`).
    """
    if out_dir is None and isinstance(tables, (str, Path)):
        out_dir = tables
    if out_dir is None:
        raise ValueError("write_report_files needs an output directory")
    root = Path(out_dir) / "reports"
    root.mkdir(parents=True, exist_ok=True)
    for role_slug in reports["slug_role"].unique().to_list():
        (root / role_slug).mkdir(parents=True, exist_ok=True)
    folder = str(root)
    columns = [reports[c].to_list() for c in ("slug_role", "slug_region", "markdown", "html")]
    for slug_role, slug_region, markdown, html in zip(*columns):
        base = f"{folder}/{slug_role}/{slug_region}"
        _write_bytes(base + ".md", markdown.encode("utf-8"))
        _write_bytes(base + ".html", html.encode("utf-8"))
    _write_bytes(str(root / "index.html"), report_html.index_page(reports).encode("utf-8"))
    return root


_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


def _write_bytes(path: str, data: bytes) -> None:
    """Path.write_bytes without the file-object layers (20,000 files per 10,000 reports)."""
    fd = os.open(path, _WRITE_FLAGS, 0o666)  # like open(): the umask applies
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
