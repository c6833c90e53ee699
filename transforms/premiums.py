"""skill_premiums: what a skill or certification is worth, per role x region.

Two methods, both published:

- 'adjusted': log-linear regression of log pay_annual_usd on all skill and certification
  indicators with fixed effects for role_label x country x year. The fixed effects are absorbed by
  demeaning within each fixed-effect cell (Frisch-Waugh-Lovell); because those cells nest inside
  every published cell (role_name or 'All roles' x country or 'World'), the demeaning is done once
  for all rows and each published cell's fit is plain least squares on its rows. Standard errors
  are heteroskedasticity-robust (HC1, with the absorbed fixed effects counted in the degrees of
  freedom); premium_pct = 100 (exp(beta) - 1), the 95 % interval is beta +- 1.96 se mapped the
  same way. Skill pairs ("Python + PyTorch") come from a second regression that adds the pair's
  interaction; the published pair premium is the total for holding both, exp(b_a + b_b + b_ab) - 1.
- 'raw': median pay with the skill over median pay without it in the same cell, with a 95 %
  interval on the log ratio from the asymptotic variance of a median under log-normal pay
  (pi / 2 x sd(log pay)^2 / n for each side).

Published cells: 'All roles' x 'World', 'All roles' x country, role_name x country and
role_name x 'World'. An estimate needs n_with >= settings.premium_min_n_with (and at least as
many without); smaller cells get no row.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from transforms.stats import Z_95

PREMIUM_KEY = ("role_label", "region", "skill", "kind", "method")
FIXED_EFFECT = ("role_label", "country", "year")
MAX_INDICATORS = 40
MAX_PAIRS = 10
PAIR_KIND = "pair"
MEDIAN_VARIANCE_FACTOR = math.pi / 2.0
# the published cell levels: (role column or None for 'All roles', region column or None for 'World')
CELL_LEVELS = ((None, None), (None, "country"), ("role_name", "country"), ("role_name", None))
PREMIUM_COLUMNS = (
    "role_label", "region", "region_level", "skill", "kind", "method", "n_with", "n_without", "premium_pct",
    "ci_low", "ci_high", "std_error", "share_in_top_decile", "n_cell", "n_fixed_effects",
)


def select_indicators(observations: pl.DataFrame, min_n_with: int,
                      max_indicators: int = MAX_INDICATORS) -> pl.DataFrame:
    """Skills and certifications to put in the design: the most frequent with n >= min_n_with.

    Returns skill, kind, count, column (the indicator column name), sorted by count then name.
    """
    counts = []
    for kind, column in (("skill", "skills"), ("certification", "certifications")):
        counts.append(
            observations.select(pl.col(column).list.unique().explode().alias("skill"))
            .drop_nulls()
            .group_by("skill")
            .agg(pl.len().alias("count"))
            .with_columns(pl.lit(kind).alias("kind"))
        )
    return (
        pl.concat(counts)
        .filter(pl.col("count") >= min_n_with)
        .sort(["count", "kind", "skill"], descending=[True, False, False])
        .head(max_indicators)
        .with_row_index("position")
        .with_columns(pl.format("has_{}", pl.col("position")).alias("column"))
        .select("skill", "kind", "count", "column")
    )


def select_pairs(indicators: np.ndarray, table: pl.DataFrame, min_n_with: int,
                 max_pairs: int = MAX_PAIRS) -> list[tuple[int, int, int]]:
    """The most common skill pairs (co-occurrence counts from X'X), each with >= min_n_with holders."""
    skill_positions = [i for i, kind in enumerate(table["kind"].to_list()) if kind == "skill"]
    if len(skill_positions) < 2:
        return []
    sub = indicators[:, skill_positions]
    co = sub.T @ sub
    upper_i, upper_j = np.triu_indices(len(skill_positions), k=1)
    counts = co[upper_i, upper_j]
    order = np.lexsort((upper_j, upper_i, -counts))
    pairs = [(skill_positions[upper_i[o]], skill_positions[upper_j[o]], int(counts[o])) for o in order
             if counts[o] >= min_n_with]
    return pairs[:max_pairs]


def fit_hc1(design: np.ndarray, response: np.ndarray, absorbed_dof: int) -> tuple[np.ndarray, np.ndarray]:
    """Least squares with HC1 covariance; columns without variation get nan estimates.

    HC1 = n / (n - k - absorbed_dof) (X'X)^-1 X' diag(e^2) X (X'X)^-1, where absorbed_dof counts
    the fixed effects removed by demeaning.
    """
    n, k = design.shape
    beta = np.full(k, np.nan)
    cov = np.full((k, k), np.nan)
    usable = np.flatnonzero(np.abs(design).max(axis=0, initial=0.0) > 1e-12)
    dof = n - len(usable) - absorbed_dof
    if len(usable) == 0 or dof <= 0:
        return beta, cov
    x = design[:, usable]
    xtx_inv = np.linalg.pinv(x.T @ x)
    b = xtx_inv @ (x.T @ response)
    residual = response - x @ b
    meat = (x * (residual ** 2)[:, None]).T @ x
    beta[usable] = b
    cov[np.ix_(usable, usable)] = (n / dof) * (xtx_inv @ meat @ xtx_inv)
    return beta, cov


def _premium(beta: np.ndarray, se: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "premium_pct": 100.0 * np.expm1(beta),
        "ci_low": 100.0 * np.expm1(beta - Z_95 * se),
        "ci_high": 100.0 * np.expm1(beta + Z_95 * se),
        "std_error": se,
    }


def _prepare(observations: pl.DataFrame, table: pl.DataFrame) -> pl.DataFrame:
    """Indicator columns and within-fixed-effect-cell demeaned log pay and indicators."""
    indicator_exprs = [
        pl.col("skills" if kind == "skill" else "certifications").list.contains(skill).cast(pl.Float64).alias(column)
        for skill, kind, column in table.select("skill", "kind", "column").iter_rows()
    ]
    columns = table["column"].to_list()
    return (
        observations.lazy()
        .filter(~pl.col("is_outlier") & (pl.col("pay_annual_usd") > 0))
        .select(*FIXED_EFFECT, "role_name", "record_id", "pay_annual_usd", "skills", "certifications")
        .with_columns(pl.col("pay_annual_usd").log().alias("log_pay"), *indicator_exprs)
        .collect()
        # a fixed order makes the float sums (hence the published numbers) reproducible
        .sort([*FIXED_EFFECT, "record_id", "log_pay"], nulls_last=True)
        .with_columns(
            *[(pl.col(c) - pl.col(c).mean().over(FIXED_EFFECT)).alias(f"within_{c}") for c in ["log_pay", *columns]],
            pl.struct(FIXED_EFFECT).rank("dense").alias("fixed_effect_id"),
        )
    )


def _cells(prepared: pl.DataFrame):
    """Yield (role_label, region, region_level, rows) for every published cell."""
    for role_column, region_column in CELL_LEVELS:
        keys = [c for c in (role_column, region_column) if c]
        parts = prepared.partition_by(keys, as_dict=True, maintain_order=True) if keys else {(): prepared}
        for key in sorted(parts, key=lambda k: tuple(str(v) for v in k)):
            values = dict(zip(keys, key))
            yield (values.get("role_name", "All roles"), values.get("country", "World"),
                   "country" if region_column else "world", parts[key])


def _adjusted_rows(rows: pl.DataFrame, table: pl.DataFrame, pairs: list[tuple[int, int, int]],
                   min_n_with: int) -> list[dict]:
    columns = table["column"].to_list()
    design = rows.select([f"within_{c}" for c in columns]).to_numpy()
    raw = rows.select(columns).to_numpy()
    response = rows["within_log_pay"].to_numpy()
    absorbed = rows["fixed_effect_id"].n_unique()
    n = rows.height
    n_with = raw.sum(axis=0)
    pay = rows["pay_annual_usd"].to_numpy()
    top = pay >= np.quantile(pay, 0.9)
    share_top = raw[top].mean(axis=0) if top.any() else np.full(len(columns), np.nan)
    beta, cov = fit_hc1(design, response, absorbed)
    se = np.sqrt(np.diag(cov))
    out = []
    premium = _premium(beta, se)
    for j, (skill, kind) in enumerate(table.select("skill", "kind").iter_rows()):
        if n_with[j] >= min_n_with and n - n_with[j] >= min_n_with and np.isfinite(beta[j]):
            out.append({"skill": skill, "kind": kind, "n_with": int(n_with[j]), "n_without": int(n - n_with[j]),
                        "share_in_top_decile": float(share_top[j]), "n_cell": n, "n_fixed_effects": absorbed,
                        **{k: float(v[j]) for k, v in premium.items()}})
    pair_rows = [(a, b) for a, b, _ in pairs if (raw[:, a] * raw[:, b]).sum() >= min_n_with]
    if not pair_rows:
        return out
    raw_pairs = np.column_stack([raw[:, a] * raw[:, b] for a, b in pair_rows])
    pair_fe = pl.DataFrame({"fixed_effect_id": rows["fixed_effect_id"], **{f"p{i}": raw_pairs[:, i]
                                                                          for i in range(len(pair_rows))}})
    within_pairs = pair_fe.select([(pl.col(f"p{i}") - pl.col(f"p{i}").mean().over("fixed_effect_id")).alias(f"p{i}")
                                   for i in range(len(pair_rows))]).to_numpy()
    beta2, cov2 = fit_hc1(np.column_stack([design, within_pairs]), response, absorbed)
    names = table["skill"].to_list()
    k = len(columns)
    for i, (a, b) in enumerate(pair_rows):
        weights = np.zeros(len(beta2))
        weights[[a, b, k + i]] = 1.0
        total = float(weights @ np.nan_to_num(beta2))
        variance = float(weights @ np.nan_to_num(cov2) @ weights)
        holders = int(raw_pairs[:, i].sum())
        if n - holders < min_n_with or not np.isfinite(beta2[k + i]):
            continue
        out.append({"skill": f"{names[a]} + {names[b]}", "kind": PAIR_KIND, "n_with": holders,
                    "n_without": n - holders, "share_in_top_decile": float(raw_pairs[top, i].mean()),
                    "n_cell": n, "n_fixed_effects": absorbed,
                    **{key: float(v) for key, v in _premium(np.array(total), np.array(math.sqrt(variance))).items()}})
    return out


def _raw_rows(rows: pl.DataFrame, table: pl.DataFrame, pairs: list[tuple[int, int, int]],
              min_n_with: int) -> list[dict]:
    """Median with / without per indicator, vectorised over the indicators of one cell."""
    columns = table["column"].to_list()
    raw = rows.select(columns).to_numpy().astype(bool)
    names = list(zip(table["skill"].to_list(), table["kind"].to_list()))
    pay = rows["pay_annual_usd"].to_numpy()
    log_pay = rows["log_pay"].to_numpy()
    top = pay >= np.quantile(pay, 0.9)
    extra = [(raw[:, a] & raw[:, b], (f"{names[a][0]} + {names[b][0]}", PAIR_KIND)) for a, b, _ in pairs]
    masks = [raw[:, j] for j in range(raw.shape[1])] + [m for m, _ in extra]
    labels = names + [label for _, label in extra]
    out = []
    for mask, (skill, kind) in zip(masks, labels):
        n_with, n_without = int(mask.sum()), int((~mask).sum())
        if n_with < min_n_with or n_without < min_n_with:
            continue
        with_median, without_median = np.median(pay[mask]), np.median(pay[~mask])
        variance = MEDIAN_VARIANCE_FACTOR * (np.var(log_pay[mask], ddof=1) / n_with
                                             + np.var(log_pay[~mask], ddof=1) / n_without)
        log_ratio = math.log(with_median / without_median)
        out.append({"skill": skill, "kind": kind, "n_with": n_with, "n_without": n_without,
                    "share_in_top_decile": float(mask[top].mean()), "n_cell": rows.height, "n_fixed_effects": None,
                    **{k: float(v) for k, v in _premium(np.array(log_ratio), np.array(math.sqrt(variance))).items()}})
    return out


def skill_premiums(observations: pl.DataFrame, min_n_with: int) -> pl.DataFrame:
    """The skill_premiums mart from an observations frame (pure function), sorted by key."""
    table = select_indicators(observations.filter(~pl.col("is_outlier")), min_n_with)
    schema = {"role_label": pl.String, "region": pl.String, "region_level": pl.String, "skill": pl.String,
              "kind": pl.String, "method": pl.String, "n_with": pl.Int64, "n_without": pl.Int64,
              "premium_pct": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64, "std_error": pl.Float64,
              "share_in_top_decile": pl.Float64, "n_cell": pl.Int64, "n_fixed_effects": pl.Int64}
    if table.height == 0:
        return pl.DataFrame(schema=schema)
    prepared = _prepare(observations, table)
    pairs = select_pairs(prepared.select(table["column"].to_list()).to_numpy(), table, min_n_with)
    records = []
    for role_label, region, region_level, rows in _cells(prepared):
        cell = {"role_label": role_label, "region": region, "region_level": region_level}
        records += [{**cell, "method": "adjusted", **r} for r in _adjusted_rows(rows, table, pairs, min_n_with)]
        records += [{**cell, "method": "raw", **r} for r in _raw_rows(rows, table, pairs, min_n_with)]
    return pl.DataFrame(records, schema=schema).select(PREMIUM_COLUMNS).sort(list(PREMIUM_KEY))


def build_skill_premiums(observations_path: str | Path | pl.DataFrame, settings: Any) -> pl.DataFrame:
    """The skill_premiums mart from the observations Parquet (or frame)."""
    columns = ["role_label", "role_name", "country", "year", "record_id", "pay_annual_usd", "skills",
               "certifications", "is_outlier"]
    if isinstance(observations_path, pl.DataFrame):
        observations = observations_path.select(columns)
    else:
        observations = pl.scan_parquet(observations_path).select(columns).collect()
    return skill_premiums(observations, settings.premium_min_n_with)
