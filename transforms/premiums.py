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
from typing import Any, NamedTuple

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from transforms.stats import Z_95, with_statistics_flags

PREMIUM_KEY = ("role_label", "region", "skill", "kind", "method")
FIXED_EFFECT = ("role_label", "country", "year")
# the rows a pay statistic uses: not outliers, not part-time salaries or internships (transforms/normalise.py)
IN_STATISTICS = ~pl.col("is_outlier") & ~pl.col("is_non_fte_pay")
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


def select_indicators(observations: pl.DataFrame | pl.LazyFrame, min_n_with: int,
                      max_indicators: int = MAX_INDICATORS) -> pl.DataFrame:
    """Skills and certifications to put in the design: the most frequent with n >= min_n_with.

    Returns skill, kind, count, column (the indicator column name), sorted by count then name.
    Skills and certifications are counted by two collects one after the other: collected together
    (pl.concat of the two lazy plans) both scans run at once and their morsels of exploded strings add
    up, 1.29 GB peak RSS at 10M rows against 0.51 GB apart (0.28 GB for the scan alone).
    """
    counts = [
        observations.lazy().select(pl.col(column).list.unique().explode().alias("skill"))
        .drop_nulls()
        .group_by("skill")
        .agg(pl.len().alias("count"))
        .with_columns(pl.lit(kind).alias("kind"))
        .collect()
        for kind, column in (("skill", "skills"), ("certification", "certifications"))
    ]
    return (
        pl.concat(counts)
        .filter(pl.col("count") >= min_n_with)
        .sort(["count", "kind", "skill"], descending=[True, False, False])
        .head(max_indicators)
        .with_row_index("position")
        .with_columns(pl.format("has_{}", pl.col("position")).alias("column"))
        .select("skill", "kind", "count", "column")
    )


def pairs_from_cooccurrence(co: np.ndarray, table: pl.DataFrame, min_n_with: int,
                            max_pairs: int = MAX_PAIRS) -> list[tuple[int, int, int]]:
    """The most common skill pairs given the indicators' co-occurrence counts X'X (all indicators)."""
    skill_positions = [i for i, kind in enumerate(table["kind"].to_list()) if kind == "skill"]
    if len(skill_positions) < 2:
        return []
    co = co[np.ix_(skill_positions, skill_positions)]
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


# --------------------------------------------------------------------------- rows, blocks and cells
#
# Performance (benchmarks/, GitHub issue 9): every row is held once as a few numpy vectors, its
# indicators packed into one int64 bit mask (40 indicators fit), never as an n x k float matrix.
# Rows carry the number of their fixed-effect cell (cells sorted by country, role_name, role_label,
# year) and are sorted by it, so each fixed-effect cell and each (country, role_name) block is a
# contiguous slice. The regressions need, per published cell, the within X'X and X'y (sums over the blocks it contains: sufficient statistics) and the HC1
# meat sum_i e_i^2 x_i x_i' (one more pass over the blocks once the coefficients are known); both
# passes build dense indicator columns for one chunk of at most CHUNK_ROWS rows at a time, so memory
# stays flat as the row count grows. The raw medians come from positions in rows sorted by cell and
# pay (the middle holder and the middle non-holder of each cell), vectorised over all cells.

CELL_SORT_KEY = ("country", "role_name", "role_label", "year")
CHUNK_ROWS = 200_000
LEVEL_CHUNK_ROWS = 1 << 20  # rows per step of _level_rows' passes over all rows


class Rows(NamedTuple):
    """The kept rows as numpy vectors (ids as int32), sorted by fixed_effect_id, log pay and mask (see
    _prepare). A row's block is its fixed-effect cell's: block_of_cell is one int32 per cell, not per row
    (4 bytes per row less, 0.4 GB at 100M rows); a row's block is block_of_cell[fixed_effect_id]."""
    fixed_effect_id: np.ndarray
    block_of_cell: np.ndarray
    pay: np.ndarray
    mask: np.ndarray


def _prepare(observations: pl.DataFrame | pl.LazyFrame, table: pl.DataFrame) -> tuple[Rows, pl.DataFrame]:
    """Kept rows as numbers only, in a fixed order (reproducible float sums), and their blocks.

    The fixed-effect cells (role_label x country x year, with role_name) are numbered first from their
    distinct values, in country, role_name, role_label, year order; each row then carries its cell's id
    (its block, country x role_name, is its cell's: Rows.block_of_cell) instead of four strings, so that
    10M rows take 20 bytes each (id, pay, mask).
    Rows are sorted by fixed-effect id, pay and indicator mask: rows tied on all three are
    interchangeable in every sum below, so the order (and every float) is fixed without a row id.
    Log pay is not kept: _log recomputes it from pay, the same bits.
    Returns the rows and the blocks (block_id, country, role_name, n_fe).

    Memory at 10M rows (the mart peaked at 1.57 GB in this function before):
    - the masks and the rest are collected by two scans one after the other: in one collect the
      decoded list and cell columns in flight added up, 1.0 GB peak against 0.68 GB. The two scans
      need not return the rows in the same order (lined up by position, 5.9M of the 9.6M masks
      landed on other rows at 10M, none at 1M), so each mask is placed by its row's index;
    - each row's cell comes as an integer key (_cell_key), looked up among the cells' keys in numpy,
      not from a streaming join of the rows to the cells on the four columns (0.4 GB more);
    - the rows are sorted in numpy (_row_order, then one gather per column): a Polars sort of the
      frame copied every column and row-encoded the keys while the unsorted frame was still alive,
      0.8 GB over the 0.4 GB of rows.
    The masks' scan alone peaked at 0.69 GB with each bit as contains().cast() * bit, 0.44 GB with
    when/then/otherwise.
    At 100M rows every byte per row is 0.1 GB: the rows are sorted by pay, not by a collected log pay
    (the same order but for pays whose logs tie, which no sum below tells apart), and each column is
    replaced by its sorted copy one at a time, so the step holds about 40 bytes per row at its peak,
    not 52 (0.70 -> 0.6 GB at 10M rows).
    """
    bits = [
        pl.when(pl.col("skills" if kind == "skill" else "certifications").list.contains(skill))
        .then(pl.lit(1 << position, dtype=pl.Int64)).otherwise(0)
        for position, (skill, kind) in enumerate(table.select("skill", "kind").iter_rows())
    ]
    kept = (observations.lazy().with_row_index("row")
            .filter(IN_STATISTICS & (pl.col("pay_annual_usd") > 0)))
    cell_columns = list(CELL_SORT_KEY)
    cells = (
        kept.select(cell_columns).unique().collect()
        .sort(cell_columns, nulls_last=True)
        .with_columns(pl.struct("country", "role_name").rle_id().cast(pl.Int32).alias("block_id"))
    )
    masks = kept.select("row", pl.sum_horizontal(bits).alias("mask")).collect()
    mask_of_row = np.zeros(int(masks["row"].max() or 0) + 1, dtype=np.int64)
    mask_of_row[masks["row"].to_numpy()] = masks["mask"].to_numpy()
    del masks
    cell_key = _cell_key(cells)
    frame = kept.select("row", cell_key.alias("cell_key"), "pay_annual_usd").collect()
    mask = mask_of_row[frame.drop_in_place("row").to_numpy()]
    del mask_of_row
    cell_keys = cells.select(cell_key).to_series().to_numpy()
    by_key = np.argsort(cell_keys).astype(np.int32)
    fixed_effect_id = by_key[np.searchsorted(cell_keys[by_key], frame.drop_in_place("cell_key").to_numpy())]
    pay = frame.drop_in_place("pay_annual_usd").to_numpy()
    del frame
    order = _row_order(fixed_effect_id, pay, mask)
    fixed_effect_id = fixed_effect_id[order]
    pay = pay[order]
    mask = mask[order]
    del order
    rows = Rows(fixed_effect_id=fixed_effect_id, block_of_cell=cells["block_id"].to_numpy(), pay=pay, mask=mask)
    blocks = (cells.group_by("block_id")
              .agg(pl.col("country").first(), pl.col("role_name").first(), pl.len().alias("n_fe"))
              .sort("block_id"))
    return rows, blocks


def _cell_key(cells: pl.DataFrame) -> pl.Expr:
    """An Int64 expression naming each row's fixed-effect cell, one distinct value per row of `cells`.

    Each column of CELL_SORT_KEY is numbered by its code among the cells' distinct values (an Enum;
    null gets the next number), and the numbers are combined in mixed radix. Elementwise, so the
    rows' streaming collect needs no join to the cells on the four columns.
    """
    key = pl.lit(0, dtype=pl.Int64)
    combinations = 1
    for column in CELL_SORT_KEY:
        values = cells[column].cast(pl.String).drop_nulls().unique()
        code = pl.col(column).cast(pl.String).cast(pl.Enum(values)).to_physical().cast(pl.Int64)
        key = key * (len(values) + 1) + code.fill_null(len(values))
        combinations *= len(values) + 1
    if combinations > 2 ** 63:
        raise ValueError(f"{combinations} combinations of {CELL_SORT_KEY} do not fit one Int64 cell key")
    return key


def _log(pay: np.ndarray) -> np.ndarray:
    """Log pay by Polars, as in _prepare's scan: numpy's log differs in the last bit for a few pays
    (336 of 10M rows)."""
    return pl.Series(pay).log().to_numpy()


def _within_log_pay(fixed_effect_id: np.ndarray, block_of_cell: np.ndarray, pay: np.ndarray) -> np.ndarray:
    """Log pay minus its fixed-effect-cell mean (rows sorted by fixed_effect_id), chunk by chunk of whole
    cells (_chunks): 8 bytes per row for the result and one chunk's temporaries. A Polars mean over
    the cells of all rows at once held 36 bytes per row more (5.7 GB at the peak at 100M rows)."""
    within = np.empty(len(pay))
    for begin, end in _chunks(fixed_effect_id, block_of_cell):
        within[begin:end] = _within(_log(pay[begin:end])[:, None], fixed_effect_id[begin:end])[:, 0]
    return within


def _row_order(fixed_effect_id: np.ndarray, pay: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The permutation that sorts rows by fixed-effect id, then pay, then mask.

    A stable argsort on the id, then a lexsort inside each fixed-effect cell: 3.2 s at 10M rows and
    no memory beyond the permutation; one np.lexsort of all rows on the three keys takes 10 s, a
    Polars sort of the three keys 6 s and 0.12 GB more.
    """
    order = np.argsort(fixed_effect_id, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(fixed_effect_id))])
    for begin, end in zip(bounds[:-1], bounds[1:]):
        if end - begin > 1:
            cell = order[begin:end]
            order[begin:end] = cell[np.lexsort((mask[cell], pay[cell]))]
    return order


def _dense(mask: np.ndarray, k: int, pairs: list[tuple[int, int, int]]) -> np.ndarray:
    """0/1 float columns: the k indicators, then one product column per pair."""
    x = ((mask[:, None] >> np.arange(k, dtype=np.int64)) & 1).astype(np.float64)
    if not pairs:
        return x
    return np.hstack([x, np.column_stack([x[:, a] * x[:, b] for a, b, _ in pairs])])


def _chunks(fixed_effect_id: np.ndarray, block_of_cell: np.ndarray) -> list[tuple[int, int]]:
    """Row ranges made of whole fixed-effect cells of one block, at most CHUNK_ROWS rows unless a single
    cell is larger (block_of_cell: the block of each fixed-effect cell)."""
    n = len(fixed_effect_id)
    if n == 0:
        return []
    starts = np.flatnonzero(np.diff(fixed_effect_id)) + 1
    bounds = np.concatenate([[0], starts, [n]])
    chunks, begin = [], 0
    for left, right in zip(bounds[:-1], bounds[1:]):
        if left > begin and (right - begin > CHUNK_ROWS
                             or block_of_cell[fixed_effect_id[left]] != block_of_cell[fixed_effect_id[begin]]):
            chunks.append((begin, int(left)))
            begin = int(left)
    chunks.append((begin, n))
    return chunks


def _within(x: np.ndarray, fixed_effect_id: np.ndarray) -> np.ndarray:
    """x minus its fixed-effect-cell means (rows of each cell are contiguous)."""
    starts = np.concatenate([[0], np.flatnonzero(np.diff(fixed_effect_id)) + 1])
    counts = np.diff(np.concatenate([starts, [len(fixed_effect_id)]]))
    means = np.add.reduceat(x, starts, axis=0) / counts[:, None]
    return x - np.repeat(means, counts, axis=0)


def _cell_index(blocks: pl.DataFrame) -> list[tuple[np.ndarray, list[tuple[str, str, str]]]]:
    """Per cell level: the cell of each block, and the (role_label, region, region_level) of each cell."""
    levels = []
    for role_column, region_column in CELL_LEVELS:
        role = pl.col(role_column) if role_column else pl.lit("All roles")
        region = pl.col(region_column) if region_column else pl.lit("World")
        labels = blocks.with_columns(role.alias("role_label"), region.alias("region")).select("role_label", "region")
        cells = labels.unique().sort(["role_label", "region"], nulls_last=True).with_row_index("cell")
        index = labels.join(cells, on=["role_label", "region"], how="left", nulls_equal=True, maintain_order="left")
        level = "country" if region_column else "world"
        levels.append((index["cell"].to_numpy().astype(np.int64),
                       [(r, g, level) for r, g in cells.select("role_label", "region").iter_rows()]))
    return levels


def _weighted_gram(x: np.ndarray, residual: np.ndarray) -> np.ndarray:
    """sum_i e_i^2 x_i x_i' as z'z with z = |e| x: numpy hands z.T @ z to BLAS syrk (one triangle),
    4x faster than the general product (x e^2)' x on this machine (benchmarks/, issue 9)."""
    z = x * np.abs(residual)[:, None]
    return z.T @ z


def _solve(xtx: np.ndarray, xty: np.ndarray, n: int, absorbed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least squares from within X'X and X'y: coefficients (nan where a column has no within variation),
    the usable columns and pinv(X'X) on them (empty when there is no degree of freedom left)."""
    k = len(xty)
    beta = np.full(k, np.nan)
    usable = np.flatnonzero(np.diag(xtx) > 1e-24)
    if len(usable) == 0 or n - len(usable) - absorbed <= 0:
        return beta, np.array([], dtype=np.int64), np.zeros((0, 0))
    inverse = np.linalg.pinv(xtx[np.ix_(usable, usable)])
    beta[usable] = inverse @ xty[usable]
    return beta, usable, inverse


def _sandwich(inverse: np.ndarray, meat: np.ndarray, usable: np.ndarray, n: int, absorbed: int, k: int) -> np.ndarray:
    cov = np.full((k, k), np.nan)
    if len(usable):
        dof = n - len(usable) - absorbed
        cov[np.ix_(usable, usable)] = (n / dof) * (inverse @ meat @ inverse)
    return cov


def _middle(pay: np.ndarray, rows: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Per cell, the median pay of `rows` (indices into rows sorted by cell then pay, `count` of them in
    each cell; numpy's median: the middle value or the mean of the two middle values)."""
    if not len(rows):
        return np.full(len(count), np.nan)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    has = count > 0
    lo = np.where(has, start + (count - 1) // 2, 0)
    hi = np.where(has, start + count // 2, 0)
    return np.where(has, (pay[rows[lo]] + pay[rows[hi]]) / 2.0, np.nan)


def _sample_variance(count: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (s2 - s1 * s1 / count) / (count - 1)


def _cell_log_sums(pay: np.ndarray, rows: np.ndarray | None, count: np.ndarray,
                   shift: float) -> tuple[np.ndarray, np.ndarray]:
    """Per cell, the sum and the sum of squares of log pay minus `shift` over `rows` (positions into pay,
    rising, `count` of them in each cell in cell order; None: all of pay), LEVEL_CHUNK_ROWS at a time."""
    bounds = np.cumsum(count)
    s1 = np.zeros(len(count))
    s2 = np.zeros(len(count))
    total = int(bounds[-1]) if len(count) else 0
    for begin in range(0, total, LEVEL_CHUNK_ROWS):
        stop = min(begin + LEVEL_CHUNK_ROWS, total)
        cell = np.searchsorted(bounds, np.arange(begin, stop), side="right")
        weights = _log(pay[begin:stop] if rows is None else pay[rows[begin:stop]]) - shift
        s1 += np.bincount(cell, weights=weights, minlength=len(count))
        s2 += np.bincount(cell, weights=np.square(weights, out=weights), minlength=len(count))
    return s1, s2


def _index_dtype(n: int) -> type:
    """int32 row positions while they fit (half the bytes of numpy's int64 indices)."""
    return np.int32 if n < 2 ** 31 else np.int64


def _positions(flags: np.ndarray) -> np.ndarray:
    """np.flatnonzero(flags) as _index_dtype, built LEVEL_CHUNK_ROWS at a time: no full-length int64
    temporary (8 bytes per row of it at the peak of _level_rows before)."""
    dtype = _index_dtype(len(flags))
    out = np.empty(int(np.count_nonzero(flags)), dtype=dtype)
    filled = 0
    for begin in range(0, len(flags), LEVEL_CHUNK_ROWS):
        found = np.flatnonzero(flags[begin:begin + LEVEL_CHUNK_ROWS]) + begin
        out[filled:filled + len(found)] = found
        filled += len(found)
    return out


def _holders(mask: np.ndarray, bits: int) -> np.ndarray:
    """Whether each row holds every indicator in `bits` (without a full-length integer temporary)."""
    holder = np.empty(len(mask), dtype=bool)
    for begin in range(0, len(mask), LEVEL_CHUNK_ROWS):
        np.equal(mask[begin:begin + LEVEL_CHUNK_ROWS] & bits, bits, out=holder[begin:begin + LEVEL_CHUNK_ROWS])
    return holder


def _level_rows(prepared: Rows, cell_of_block: np.ndarray, cells: int, k: int,
                pairs: list[tuple[int, int, int]]) -> dict[str, np.ndarray]:
    """Raw with/without statistics and top-decile shares of every indicator and pair, per cell of one level.

    Rows are sorted by cell then pay, so each cell is a slice, its top decile is the slice's tail and
    any subset of rows taken in order is grouped by cell. A holder's count and top-decile count per cell
    are differences of positions in the holders' row indices, their log-pay sums and sums of squares
    one pass over the holders (_cell_log_sums); the non-holders' are the cell totals minus the
    holders'. Only the two medians need their own pass.

    Memory: beside the prepared rows (20 bytes per row), the level's sorted pay and mask (16) and,
    one indicator at a time, its holder flags (1) and the int32 row positions of its holders or of
    the others (4 at most): about 41 bytes per row at the peak. Log pay is never held for all rows
    (sums of logs go chunk by chunk); neither are the row's cell nor a full-length `mask & bits`.
    It held 77 bytes per row at first (0.93 GB peak RSS at 10M rows, 6.7 GB at 100M: BENCHMARKS.md),
    then 49 (int64 positions, each row's block id kept; 4.9 GB at 100M).
    """
    cell = cell_of_block.astype(np.int32)[prepared.block_of_cell][prepared.fixed_effect_id]
    order = np.lexsort((prepared.pay, cell))
    n_cell = np.bincount(cell, minlength=cells)
    del cell
    order = order.astype(_index_dtype(len(order)))
    pay = prepared.pay[order]
    mask = prepared.mask[order]
    del order
    # variance is shift-free; subtracting the mean log pay leaves less round-off in s2 - s1^2 / n
    shift = (sum(float(_log(pay[begin:begin + LEVEL_CHUNK_ROWS]).sum())
                 for begin in range(0, len(pay), LEVEL_CHUNK_ROWS)) / len(pay)) if len(pay) else 0.0
    end = np.cumsum(n_cell).astype(_index_dtype(len(pay)))  # the positions' dtype: searchsorted copies none
    start = end - n_cell.astype(end.dtype)
    # numpy's linear 0.9 quantile of each cell's pay
    position = (n_cell - 1) * 0.9
    below = np.floor(position).astype(np.int64)
    t = position - below
    last = max(len(pay) - 1, 0)
    lower = pay[np.minimum(start + below, last)] if len(pay) else np.zeros(cells)
    upper = pay[np.minimum(start + np.minimum(below + 1, n_cell - 1), last)] if len(pay) else np.zeros(cells)
    threshold = np.where(t >= 0.5, upper - (upper - lower) * (1 - t), lower + (upper - lower) * t)
    top_start = np.array([begin + np.searchsorted(pay[begin:stop], limit)
                          for begin, stop, limit in zip(start, end, threshold)], dtype=end.dtype)
    n_top = (end - top_start).astype(np.float64)
    total_s1, total_s2 = _cell_log_sums(pay, None, n_cell, shift)
    columns = [1 << j for j in range(k)] + [(1 << a) | (1 << b) for a, b, _ in pairs]
    out: dict[str, list] = {key: [] for key in ("n_with", "median_with", "median_without", "var_with",
                                                 "var_without", "top_with")}
    for bits in columns:
        holder = _holders(mask, bits)
        rows = _positions(holder)
        n_with = np.searchsorted(rows, end) - np.searchsorted(rows, start)
        out["n_with"].append(n_with)
        out["median_with"].append(_middle(pay, rows, n_with))
        out["top_with"].append((np.searchsorted(rows, end) - np.searchsorted(rows, top_start)).astype(np.float64))
        s1, s2 = _cell_log_sums(pay, rows, n_with, shift)
        del rows
        out["var_with"].append(_sample_variance(n_with, s1, s2))
        out["var_without"].append(_sample_variance(n_cell - n_with, total_s1 - s1, total_s2 - s2))
        np.logical_not(holder, out=holder)
        others = _positions(holder)
        del holder
        out["median_without"].append(_middle(pay, others, n_cell - n_with))
        del others
    stacked = {key: np.column_stack(v) if v else np.zeros((cells, 0)) for key, v in out.items()}
    return {**stacked, "n": n_cell, "n_top": n_top, "threshold": threshold}


@threadpool_limits.wrap(limits=1, user_api="blas")
def skill_premiums(observations: pl.DataFrame | pl.LazyFrame, min_n_with: int) -> pl.DataFrame:
    """The skill_premiums mart from an observations frame (pure function), sorted by key.

    A LazyFrame (a Parquet scan) is read once per step (skill counts, certification counts, cells,
    masks, rows), each scan keeping only what its step needs, so that the skills and certifications
    lists never sit in memory for all rows at once (see select_indicators and _prepare for the
    measured peaks; 1.57 GB -> 0.96 GB at 10M rows in all).
    BLAS runs on one thread: the products are many and small (one chunk of one block), where
    OpenBLAS's threads cost more than they give, and they spin against the flow's other stage
    running beside this one (at 1M rows under load: 43.5 s -> 12.7 s, benchmarks/, issue 9).
    """
    # rows of sources that carry no skill information (null lists) say nothing about skills: left out
    # (counted as "without", they would compare postings naming a skill with salaries that could not).
    # Filtered only where there are such rows: the filter decodes the skills lists in every scan below
    # (~0.5 s a scan at 10M rows), the check once.
    observations = with_statistics_flags(observations.lazy())
    if observations.select(pl.col("skills").is_null().any()).collect().item():
        observations = observations.filter(pl.col("skills").is_not_null())
    table = select_indicators(observations.filter(IN_STATISTICS), min_n_with)
    schema = {"role_label": pl.String, "region": pl.String, "region_level": pl.String, "skill": pl.String,
              "kind": pl.String, "method": pl.String, "n_with": pl.Int64, "n_without": pl.Int64,
              "premium_pct": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64, "std_error": pl.Float64,
              "share_in_top_decile": pl.Float64, "n_cell": pl.Int64, "n_fixed_effects": pl.Int64}
    if table.height == 0:
        return pl.DataFrame(schema=schema)
    rows, blocks = _prepare(observations, table)
    k = table.height
    chunks = _chunks(rows.fixed_effect_id, rows.block_of_cell)

    # pass 0: co-occurrence of the indicators -> the skill pairs
    co = np.zeros((k, k))
    for begin, end in chunks:
        x = _dense(rows.mask[begin:end], k, [])
        co += x.T @ x
    pairs = pairs_from_cooccurrence(co, table, min_n_with)
    width = k + len(pairs)

    # the raw statistics and within log pay are the last uses of pay: the regressions keep 3 vectors
    levels = _cell_index(blocks)
    raws = [_level_rows(rows, cell_of_block, len(labels), k, pairs) for cell_of_block, labels in levels]
    fixed_effect_id, block_of_cell, mask = rows.fixed_effect_id, rows.block_of_cell, rows.mask
    within_y = _within_log_pay(fixed_effect_id, block_of_cell, rows.pay)
    del rows

    # pass 1: within X'X, X'y, rows and fixed-effect cells per block
    n_blocks = blocks.height
    xtx = np.zeros((n_blocks, width, width))
    xty = np.zeros((n_blocks, width))
    for begin, end in chunks:
        xw = _within(_dense(mask[begin:end], k, pairs), fixed_effect_id[begin:end])
        block = block_of_cell[fixed_effect_id[begin]]
        xtx[block] += xw.T @ xw
        xty[block] += xw.T @ within_y[begin:end]

    cell_n = np.bincount(fixed_effect_id, minlength=len(block_of_cell))
    block_n = np.bincount(block_of_cell, weights=cell_n, minlength=n_blocks).astype(np.int64)
    block_fe = blocks["n_fe"].to_numpy().astype(np.int64)
    fits = []
    for (cell_of_block, labels), raw in zip(levels, raws):
        cells = len(labels)
        cell_xtx = np.zeros((cells, width, width))
        cell_xty = np.zeros((cells, width))
        np.add.at(cell_xtx, cell_of_block, xtx)
        np.add.at(cell_xty, cell_of_block, xty)
        n = np.bincount(cell_of_block, weights=block_n, minlength=cells).astype(np.int64)
        absorbed = np.bincount(cell_of_block, weights=block_fe, minlength=cells).astype(np.int64)
        level_fits = []
        for c in range(cells):
            single = _solve(cell_xtx[c][:k, :k], cell_xty[c][:k], int(n[c]), int(absorbed[c]))
            chosen = [i for i in range(len(pairs)) if raw["n_with"][c, k + i] >= min_n_with]
            columns = np.array(list(range(k)) + [k + i for i in chosen], dtype=np.int64)
            paired = (_solve(cell_xtx[c][np.ix_(columns, columns)], cell_xty[c][columns], int(n[c]), int(absorbed[c]))
                      if chosen else None)
            level_fits.append({"single": single, "paired": paired, "pair_columns": columns, "chosen": chosen,
                               "meat": np.zeros((len(single[1]), len(single[1]))),
                               "pair_meat": np.zeros((len(paired[1]), len(paired[1]))) if paired else None})
        fits.append((cell_of_block, labels, n, absorbed, raw, level_fits))

    # pass 2: HC1 meat sum_i e_i^2 x_i x_i' per cell, residuals from each cell's own coefficients
    for begin, end in chunks:
        xw = _within(_dense(mask[begin:end], k, pairs), fixed_effect_id[begin:end])
        y = within_y[begin:end]
        for cell_of_block, _, _, _, _, level_fits in fits:
            fit = level_fits[cell_of_block[block_of_cell[fixed_effect_id[begin]]]]
            beta, usable, _ = fit["single"]
            if len(usable):
                x = xw if len(usable) == xw.shape[1] else xw[:, usable]
                fit["meat"] += _weighted_gram(x, y - x @ beta[usable])
            if fit["paired"] is not None and len(fit["paired"][1]):
                beta2, usable2, _ = fit["paired"]
                x = xw[:, fit["pair_columns"][usable2]]
                fit["pair_meat"] += _weighted_gram(x, y - x @ beta2[usable2])

    names = list(zip(table["skill"].to_list(), table["kind"].to_list()))
    labels_all = names + [(f"{names[a][0]} + {names[b][0]}", PAIR_KIND) for a, b, _ in pairs]
    records = []
    for _, labels, n, absorbed, raw, level_fits in fits:
        for c, (role_label, region, region_level) in enumerate(labels):
            cell = {"role_label": role_label, "region": region, "region_level": region_level}
            n_c, fe_c, fit = int(n[c]), int(absorbed[c]), level_fits[c]
            n_top = raw["n_top"][c]
            share = raw["top_with"][c] / n_top if n_top > 0 else np.full(width, np.nan)
            records += [{**cell, "method": "adjusted", **r}
                        for r in _adjusted_records(fit, raw["n_with"][c], share, names, pairs, n_c, fe_c, k,
                                                   min_n_with)]
            records += [{**cell, "method": "raw", **r}
                        for r in _raw_records(raw, c, share, labels_all, n_c, min_n_with)]
    return pl.DataFrame(records, schema=schema).select(PREMIUM_COLUMNS).sort(list(PREMIUM_KEY))


def _adjusted_records(fit: dict, n_with: np.ndarray, share: np.ndarray, names: list[tuple[str, str]],
                      pairs: list[tuple[int, int, int]], n: int, absorbed: int, k: int, min_n_with: int) -> list[dict]:
    beta, usable, inverse = fit["single"]
    cov = _sandwich(inverse, fit["meat"], usable, n, absorbed, k)
    variances = np.diag(cov)
    # round-off leaves the variance of a column the data barely identify at about zero, sometimes
    # below (-7e-19 for a certification held by 2 of 70 rows): no interval, so no published premium
    std_error = np.sqrt(np.where(variances >= 0, variances, np.nan))
    premium = _premium(beta, std_error)
    out = []
    for j, (skill, kind) in enumerate(names):
        if (n_with[j] >= min_n_with and n - n_with[j] >= min_n_with and np.isfinite(beta[j])
                and np.isfinite(std_error[j])):
            out.append({"skill": skill, "kind": kind, "n_with": int(n_with[j]), "n_without": int(n - n_with[j]),
                        "share_in_top_decile": float(share[j]), "n_cell": n, "n_fixed_effects": absorbed,
                        **{key: float(v[j]) for key, v in premium.items()}})
    if fit["paired"] is None:
        return out
    beta2, usable2, inverse2 = fit["paired"]
    width2 = len(fit["pair_columns"])
    cov2 = _sandwich(inverse2, fit["pair_meat"], usable2, n, absorbed, width2)
    for position, i in enumerate(fit["chosen"]):
        a, b, _ = pairs[i]
        weights = np.zeros(width2)
        weights[[a, b, k + position]] = 1.0
        total = float(weights @ np.nan_to_num(beta2))
        variance = float(weights @ np.nan_to_num(cov2) @ weights)
        holders = int(n_with[k + i])
        if n - holders < min_n_with or not np.isfinite(beta2[k + position]) or not variance >= 0:
            continue  # (a negative or nan variance: no interval, see above)
        out.append({"skill": f"{names[a][0]} + {names[b][0]}", "kind": PAIR_KIND, "n_with": holders,
                    "n_without": n - holders, "share_in_top_decile": float(share[k + i]),
                    "n_cell": n, "n_fixed_effects": absorbed,
                    **{key: float(v) for key, v in _premium(np.array(total), np.array(math.sqrt(variance))).items()}})
    return out


def _raw_records(raw: dict, c: int, share: np.ndarray, labels: list[tuple[str, str]], n: int,
                 min_n_with: int) -> list[dict]:
    """Median with / without per indicator and pair of one cell (statistics precomputed per level)."""
    out = []
    for j, (skill, kind) in enumerate(labels):
        n_with = int(raw["n_with"][c, j])
        n_without = n - n_with
        if n_with < min_n_with or n_without < min_n_with:
            continue
        variance = MEDIAN_VARIANCE_FACTOR * (raw["var_with"][c, j] / n_with + raw["var_without"][c, j] / n_without)
        log_ratio = math.log(raw["median_with"][c, j] / raw["median_without"][c, j])
        out.append({"skill": skill, "kind": kind, "n_with": n_with, "n_without": n_without,
                    "share_in_top_decile": float(share[j]), "n_cell": n, "n_fixed_effects": None,
                    **{k: float(v) for k, v in _premium(np.array(log_ratio), np.array(math.sqrt(variance))).items()}})
    return out


def build_skill_premiums(observations_path: str | Path | pl.DataFrame, settings: Any) -> pl.DataFrame:
    """The skill_premiums mart from the observations Parquet file, glob of files or frame."""
    columns = ["role_label", "role_name", "country", "year", "record_id", "pay_annual_usd", "skills",
               "certifications", "is_outlier", "is_non_fte_pay"]
    if isinstance(observations_path, pl.DataFrame):
        observations = with_statistics_flags(observations_path).select(columns)
    else:
        # a file or the glob over the flow's hive pieces, which hold their keys (year) as written
        observations = pl.scan_parquet(observations_path, hive_partitioning=False).select(columns)
    return skill_premiums(observations, settings.premium_min_n_with)
