"""role_region_stats: pay statistics per role_label x region x year, with a median interval,
reliability grade and an empirical-Bayes shrunk median for thin cells.

The heavy lifting (membership roll-ups, counts, means, quantiles) is one DuckDB query,
sql/role_region_stats.sql, reading the observations Parquet directly and run in slices of years
and countries to bound its memory (role_region_cells). Everything after that works on the cell
table (tens of thousands of rows at most), vectorised in Polars / numpy:

- median interval: the distribution-free binomial order-statistic 95 % interval
  [x_(l), x_(n-l+1)], l the largest rank with P(Bin(n, 1/2) <= l - 1) <= 0.025. Its coverage is
  >= 95 % by construction (exactly, not asymptotically), which is what keeps the later
  "true median inside the interval in 90-98 % of cells" check honest. The order statistics come
  from the same list-valued quantile_cont call as the published quantiles: quantile_cont at
  probability (l - 1) / (n - 1) is exactly x_(l). For n <= CI_EXACT_MAX_N those probabilities are
  in the grid, so the ranks are exact; above it the rank is read by linear interpolation on a
  dense geometric grid around 0.5 (the interval is then narrow and the quantile function smooth).
- cv: half-width of the interval over 1.96 x median, graded with Statistics Canada's thresholds.
- shrinkage (Fay-Herriot style, log scale): shrunk = exp(w y + (1 - w) y_parent) with
  w = tau^2 / (tau^2 + v), v the sampling variance of the log median read off the interval and
  tau^2 the method-of-moments between-cell variance among sibling cells.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
from scipy.stats import binom

Z_95 = 1.959963984540054
CI_LEVEL = 0.95
CI_EXACT_MAX_N = 60
CI_METHOD_EXACT = "binomial_order_statistics"
CI_METHOD_INTERPOLATED = "binomial_order_statistics_interpolated"
PUBLISHED_PROBABILITIES = (0.1, 0.25, 0.5, 0.75, 0.9)
# grid offsets from 0.5: geometric from 0.15 (n ~ 60) down to ~2e-4 (n ~ 2e7)
_GRID_OFFSETS = 0.15 * 0.8 ** np.arange(30)
MIN_SIBLINGS_FOR_TAU = 3
SHRINK_DIGITS = 12  # significant digits of shrink_weight and shrunk_median (see attach_shrinkage)

STATS_KEY = ("role_label", "region", "year")
STATS_COLUMNS = (
    "role_label", "role_level", "role_name", "seniority", "region", "region_level", "country_code",
    "parent_region", "year", "n", "mean", "p10", "p25", "median", "p75", "p90", "currency",
    "median_usd", "mean_usd", "median_ci_low", "median_ci_high", "ci_method", "cv", "reliability",
    "shrunk_median", "shrink_weight", "shrink_parent", "shrink_parent_role_label",
)


# --------------------------------------------------------------------------- DuckDB runner

def read_sql(name: str, settings: Any) -> str:
    """The text of sql/<name>.sql (the settings decide where sql/ is)."""
    return (Path(settings.sql_dir) / f"{name}.sql").read_text(encoding="utf-8")


def connect(settings: Any) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection without progress bar; threads from settings when set."""
    con = duckdb.connect()
    con.sql("SET enable_progress_bar = false")
    threads = getattr(settings, "duckdb_threads", None)
    if threads:
        con.sql(f"SET threads = {int(threads)}")
    return con


def run_sql(name: str, params: dict[str, Any], settings: Any) -> pl.DataFrame:
    """Run the bare SELECT sql/<name>.sql with parameters bound by name; returns a Polars frame."""
    con = connect(settings)
    try:
        return con.sql(read_sql(name, settings), params=params).pl()
    finally:
        con.close()


class ObservationsFile:
    """Context manager giving a Parquet path for observations passed as a path or a frame.

    The SQL reads Parquet directly (read_parquet($observations_path)); a frame (tests, small
    callers) is written to a temporary file first.
    """

    def __init__(self, observations: str | Path | pl.DataFrame | pl.LazyFrame):
        self._observations = observations
        self._tmp: tempfile.TemporaryDirectory | None = None

    def __enter__(self) -> str:
        if isinstance(self._observations, (str, Path)):
            return str(self._observations)
        self._tmp = tempfile.TemporaryDirectory(prefix="market-intel-obs-")
        path = Path(self._tmp.name) / "observations.parquet"
        frame = self._observations
        if isinstance(frame, pl.LazyFrame):
            frame = frame.collect()
        frame.pipe(with_statistics_flags).write_parquet(path)
        return str(path)

    def __exit__(self, *exc) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def with_statistics_flags(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
    """frame with is_non_fte_pay false where it has no such column (a frame built before the column, a
    test's: nothing in it is known to be part-time or an internship), so that the SQL reads it."""
    names = frame.collect_schema().names() if isinstance(frame, pl.LazyFrame) else frame.columns
    return frame if "is_non_fte_pay" in names else frame.with_columns(pl.lit(False).alias("is_non_fte_pay"))


# --------------------------------------------------------------------------- median interval

def median_ci_ranks(n: np.ndarray, level: float = CI_LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """1-based ranks (l, n - l + 1) of the distribution-free interval for the median.

    l is the largest rank with P(B <= l - 1) <= (1 - level) / 2 for B ~ Bin(n, 1/2), so that
    P(x_(l) <= median <= x_(n-l+1)) >= level. l = 0 (no interval) when n is too small (n < 6 at 95 %).
    """
    n = np.asarray(n, dtype=np.int64)
    alpha = (1.0 - level) / 2.0
    q = binom.ppf(alpha, n, 0.5)
    low = (q + (binom.cdf(q, n, 0.5) <= alpha)).astype(np.int64)
    low = np.where(n > 0, low, 0)
    high = np.where(low >= 1, n - low + 1, 0)
    return low, high


def rank_probability(rank: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The quantile_cont probability whose value is exactly the order statistic x_(rank)."""
    n = np.asarray(n, dtype=np.float64)
    return np.where(n > 1, (np.asarray(rank, dtype=np.float64) - 1.0) / np.maximum(n - 1.0, 1.0), 0.5)


def ci_probability_grid(exact_max_n: int = CI_EXACT_MAX_N) -> list[float]:
    """Sorted probabilities at which the SQL evaluates quantile_cont for the median interval."""
    n = np.arange(2, exact_max_n + 1)
    low, high = median_ci_ranks(n)
    valid = low >= 1
    exact = np.concatenate([rank_probability(low[valid], n[valid]), rank_probability(high[valid], n[valid])])
    grid = np.concatenate([exact, 0.5 - _GRID_OFFSETS, 0.5 + _GRID_OFFSETS, [0.5]])
    return sorted(set(np.round(grid, 15).tolist()))


def _interpolate_on_grid(grid: np.ndarray, values: np.ndarray, probability: np.ndarray) -> np.ndarray:
    """Row-wise linear interpolation of values[i, :] (at probabilities grid) at probability[i]."""
    right = np.clip(np.searchsorted(grid, probability, side="left"), 1, len(grid) - 1)
    left = right - 1
    rows = np.arange(len(probability))
    span = grid[right] - grid[left]
    t = np.clip((probability - grid[left]) / span, 0.0, 1.0)
    exact_hit = np.isclose(grid[right], probability, rtol=0.0, atol=1e-13)
    interpolated = values[rows, left] + t * (values[rows, right] - values[rows, left])
    return np.where(exact_hit, values[rows, right], interpolated)


def attach_median_ci(cells: pl.DataFrame, grid: list[float]) -> pl.DataFrame:
    """Add median_ci_low / median_ci_high / ci_method from each cell's quantile grid values."""
    n = cells["n"].to_numpy()
    low_rank, high_rank = median_ci_ranks(n)
    has_ci = low_rank >= 1
    grid_arr = np.asarray(grid, dtype=np.float64)
    values = (cells["ci_grid_values"].list.to_array(len(grid_arr)).to_numpy()
              .astype(np.float64).reshape(cells.height, len(grid_arr)))
    ci_low = _interpolate_on_grid(grid_arr, values, rank_probability(low_rank, n))
    ci_high = _interpolate_on_grid(grid_arr, values, rank_probability(high_rank, n))
    method = np.where(n <= CI_EXACT_MAX_N, CI_METHOD_EXACT, CI_METHOD_INTERPOLATED)
    return cells.with_columns(
        pl.Series("median_ci_low", np.where(has_ci, ci_low, np.nan)).fill_nan(None).alias("median_ci_low"),
        pl.Series("median_ci_high", np.where(has_ci, ci_high, np.nan)).fill_nan(None).alias("median_ci_high"),
        pl.Series("ci_method", [m if ok else None for m, ok in zip(method.tolist(), has_ci.tolist())],
                  dtype=pl.String).alias("ci_method"),
    )


def attach_reliability(cells: pl.DataFrame, min_n: int, cv_publish: float, cv_warn: float) -> pl.DataFrame:
    """cv of the median estimate and the publish / warn / suppress grade (Statistics Canada)."""
    cv = ((pl.col("median_ci_high") - pl.col("median_ci_low")) / (2.0 * Z_95 * pl.col("median")))
    return cells.with_columns(cv.alias("cv")).with_columns(
        pl.when(pl.col("n") < min_n).then(pl.lit("suppress"))
        .when(pl.col("cv").is_null() | pl.col("cv").is_nan()).then(pl.lit("suppress"))
        .when(pl.col("cv") <= cv_publish).then(pl.lit("publish"))
        .when(pl.col("cv") <= cv_warn).then(pl.lit("warn"))
        .otherwise(pl.lit("suppress"))
        .alias("reliability")
    )


# --------------------------------------------------------------------------- shrinkage

def _parent_keys(cells: pl.LazyFrame) -> pl.LazyFrame:
    """The parent cell of each cell: same role in the parent region; World cells: parent role."""
    is_world = pl.col("region_level") == "world"
    parent_role = (
        pl.when(~is_world).then(pl.col("role_label"))
        .when(pl.col("role_level") == "role_label").then(pl.col("role_name"))
        .when(pl.col("role_level") == "role").then(pl.lit("All roles"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    parent_region = pl.when(is_world).then(pl.lit("World")).otherwise(pl.col("parent_region"))
    return cells.with_columns(
        parent_role.alias("shrink_parent_role_label"),
        pl.when(parent_role.is_not_null()).then(parent_region).otherwise(pl.lit(None, dtype=pl.String))
        .alias("shrink_parent"),
    )


def _method_of_moments_tau2(frame: pl.LazyFrame, by: list[str], alias: str) -> pl.LazyFrame:
    """Between-cell variance tau^2 = max(0, mean((y - y_parent)^2 - v)) over cells with a finite v.

    Summed with numpy bincount over rows sorted by key and value, so the result does not depend
    on the (unordered) streaming group_by.
    """
    usable = pl.col("log_variance").is_finite() & pl.col("log_gap").is_not_null()
    terms = (
        frame.filter(usable)
        .select(*by, ((pl.col("log_gap") ** 2) - pl.col("log_variance")).alias("term"))
        .collect()
        .sort([*by, "term"], nulls_last=True)
    )
    groups = terms.select(by).with_columns(pl.struct(by).rank("dense").cast(pl.Int64).alias("group_id") - 1)
    group_id = groups["group_id"].to_numpy()
    count = np.bincount(group_id, minlength=int(group_id.max()) + 1 if len(group_id) else 0)
    total = np.bincount(group_id, weights=terms["term"].to_numpy(), minlength=len(count))
    first = groups.with_row_index("row").group_by("group_id").agg(pl.col("row").min()).sort("group_id")
    keys = terms.select(by)[first["row"].to_list()] if len(count) else terms.select(by)
    return keys.with_columns(
        pl.Series(alias, np.maximum(total / np.maximum(count, 1), 0.0)).alias(alias),
        pl.Series(f"{alias}_cells", count.astype(np.int64)).alias(f"{alias}_cells"),
    ).lazy()


def attach_shrinkage(cells: pl.DataFrame) -> pl.DataFrame:
    """Empirical-Bayes shrunk median toward the parent cell on the log scale (Fay-Herriot style).

    The parent's median is taken in the cell's currency: directly when the currencies agree,
    else (country -> World) the parent's USD median times the cell's own local/USD median ratio.
    Siblings (cells sharing a parent cell and a level) give tau^2 by the method of moments; with
    fewer than MIN_SIBLINGS_FOR_TAU usable siblings the tau^2 pooled over all cells of the same
    role_level x region_level is used. No interval (n < 6) means v = inf, so the weight is 0.
    """
    lf = _parent_keys(cells.lazy())
    parents = cells.lazy().select(
        pl.col("role_label").alias("shrink_parent_role_label"),
        pl.col("region").alias("shrink_parent"),
        pl.col("year"),
        pl.col("median").alias("parent_median"),
        pl.col("median_usd").alias("parent_median_usd"),
        pl.col("currency").alias("parent_currency"),
    )
    lf = lf.join(parents, on=["shrink_parent_role_label", "shrink_parent", "year"], how="left")
    parent_in_cell_currency = (
        pl.when(pl.col("parent_currency") == pl.col("currency")).then(pl.col("parent_median"))
        .otherwise(pl.col("parent_median_usd") * pl.col("median") / pl.col("median_usd"))
    )
    log_half_width = (pl.col("median_ci_high").log() - pl.col("median_ci_low").log()) / (2.0 * Z_95)
    lf = lf.with_columns(
        pl.col("median").log().alias("log_median"),
        parent_in_cell_currency.log().alias("log_parent"),
        pl.when(pl.col("median_ci_low").is_not_null() & (pl.col("median_ci_low") > 0))
        .then(log_half_width ** 2).otherwise(pl.lit(float("inf"))).alias("log_variance"),
    ).with_columns((pl.col("log_median") - pl.col("log_parent")).alias("log_gap"))
    sibling_key = ["shrink_parent_role_label", "shrink_parent", "year", "role_level", "region_level"]
    level_key = ["role_level", "region_level"]
    lf = (
        lf.join(_method_of_moments_tau2(lf, sibling_key, "tau2_siblings"), on=sibling_key, how="left",
                nulls_equal=True)
        .join(_method_of_moments_tau2(lf, level_key, "tau2_level"), on=level_key, how="left")
    )
    tau2 = (
        pl.when(pl.col("tau2_siblings_cells").fill_null(0) >= MIN_SIBLINGS_FOR_TAU).then(pl.col("tau2_siblings"))
        .otherwise(pl.col("tau2_level")).fill_null(0.0)
    )
    weight = (
        pl.when(pl.col("log_parent").is_null() | pl.col("log_parent").is_nan()).then(pl.lit(1.0))
        .when(pl.col("log_variance").is_infinite()).then(pl.lit(0.0))
        .when((pl.col("tau2") + pl.col("log_variance")) <= 0.0).then(pl.lit(1.0))
        .otherwise(pl.col("tau2") / (pl.col("tau2") + pl.col("log_variance")))
    )
    # exp and log (glibc's, through Polars) differ in the last bit between CPUs with and without FMA: the
    # weight and the shrunk median are kept to SHRINK_DIGITS significant digits, so that their bytes do
    # not (23 cells of the default market differed; a median kept whole is not rounded). Twelve, not the
    # marts' nine: a 7-digit rupee amount kept to 9 digits has 2 decimals, and 3511390.50376 became
    # 3511390.5, which reads as 35,11,390 when rounded half to even (7 reports of the default market)
    return (
        lf.with_columns(tau2.alias("tau2"))
        .with_columns(weight.round_sig_figs(SHRINK_DIGITS).alias("shrink_weight"))
        .with_columns(
            pl.when(pl.col("shrink_weight") >= 1.0).then(pl.col("median"))
            .otherwise((pl.col("shrink_weight") * pl.col("log_median")
                        + (1.0 - pl.col("shrink_weight")) * pl.col("log_parent")).exp()
                       .round_sig_figs(SHRINK_DIGITS))
            .alias("shrunk_median")
        )
        .drop("parent_median", "parent_median_usd", "parent_currency", "log_median", "log_parent",
              "log_variance", "log_gap", "tau2_siblings", "tau2_siblings_cells", "tau2_level",
              "tau2_level_cells", "tau2")
        .collect()
    )


# --------------------------------------------------------------------------- the mart

def finish_role_region_stats(cells: pl.DataFrame, grid: list[float], settings: Any) -> pl.DataFrame:
    """From the SQL cell table to the published mart: interval, reliability, shrinkage, order."""
    mixed = cells.filter(pl.col("currency_count") > 1)
    if mixed.height:
        raise ValueError(f"role_region_stats: {mixed.height} cells mix local currencies, e.g. "
                         f"{mixed.row(0, named=True)['region']}")
    frame = attach_median_ci(cells, grid)
    frame = attach_reliability(frame, settings.min_n_publish, settings.cv_publish, settings.cv_warn)
    frame = attach_shrinkage(frame)
    return frame.select(STATS_COLUMNS).sort(list(STATS_KEY), nulls_last=True)


# rows one run of role_region_stats.sql may hold for its quantiles. Peak RSS at 10M rows: 0.54 GB
# with 1M, 0.75 GB with 2M, 0.83 GB with 3M (all at once: 2.4 GB); smaller runs cost a few % of time
ROWS_PER_QUERY = 2_000_000
# rows per (year, country_code) slice of role_region_stats.sql: every local cell lies in one
_SLICES_SQL = """
SELECT CAST(year AS INTEGER) AS year, country_code, count(*) AS n
FROM read_parquet($observations_path, hive_partitioning = true, hive_types_autocast = false)
WHERE NOT is_outlier AND NOT is_non_fte_pay AND pay_annual_usd IS NOT NULL
GROUP BY ALL
ORDER BY ALL
"""


def _batches(sizes: list[tuple[Any, int]], limit: int) -> list[list[Any]]:
    """Consecutive keys grouped greedily into batches of at most `limit` rows (a larger key alone)."""
    batches: list[list[Any]] = []
    rows = 0
    for key, n in sizes:
        if not batches or rows + n > limit:
            batches.append([])
            rows = 0
        batches[-1].append(key)
        rows += n
    return batches


def role_region_runs(slices: list[tuple[Any, str, int]], rows_per_query: int) -> list[dict[str, Any]]:
    """Parameters of role_region_stats.sql runs that make every cell once, from (year, country_code, n).

    World cells: runs of years. Local cells: runs of whole years (all their countries), and a year
    of more than `rows_per_query` rows in runs of its countries, so that no run's years x countries
    reach into a slice of another run. Slices are batched up to the limit rather than run one by
    one because every run costs a query plan and, in a file not written in (year, country_code)
    order, a read of the whole file (about 0.5 s at 10M rows).
    """
    if any(year is None or code is None for year, code, _ in slices):
        raise ValueError("role_region_stats: observations without year or country_code cannot be sliced")
    year_rows: dict[Any, int] = {}
    for year, _, n in slices:
        year_rows[year] = year_rows.get(year, 0) + n
    runs = [{"years": years, "country_codes": [], "include_world": True}
            for years in _batches(list(year_rows.items()), rows_per_query)]
    whole_years = [(year, n) for year, n in year_rows.items() if n <= rows_per_query]
    for years in _batches(whole_years, rows_per_query):
        codes = sorted({code for year, code, _ in slices if year in years})
        runs.append({"years": years, "country_codes": codes, "include_world": False})
    for year in [year for year, n in year_rows.items() if n > rows_per_query]:
        countries = [(code, n) for slice_year, code, n in slices if slice_year == year]
        for codes in _batches(countries, rows_per_query):
            runs.append({"years": [year], "country_codes": codes, "include_world": False})
    return runs


def role_region_cells(path: str, probabilities: list[float], settings: Any,
                      rows_per_query: int = ROWS_PER_QUERY) -> pl.DataFrame:
    """The cell table of sql/role_region_stats.sql, computed in slices on one connection.

    Run at once, the query holds every pay value of every grouping set for its holistic
    quantile_cont (2.4 GB at 10M rows; it does not spill, a memory_limit only makes it fail). Every
    local grouping set holds (year, country_code) and every World grouping set holds year, so the
    local cells of each run of (years, countries) and the World cells of each run of years are
    exactly the cells of the whole query, and memory holds one run's values at a time
    (role_region_runs). The cells are the same values, not close ones: means are exact decimal
    sums and quantiles do not depend on the order of the rows.
    """
    con = connect(settings)
    try:
        slices = con.sql(_SLICES_SQL, params={"observations_path": path}).fetchall()
        # no observations: one empty run still gives the typed (empty) cell table
        runs = role_region_runs(slices, rows_per_query) or [{"years": [], "country_codes": [],
                                                              "include_world": False}]
        query = read_sql("role_region_stats", settings)
        return pl.concat([
            con.sql(query, params={"observations_path": path, "probabilities": probabilities, **run}).pl()
            for run in runs
        ])
    finally:
        con.close()


def build_role_region_stats(observations_path: str | Path | pl.DataFrame, settings: Any) -> pl.DataFrame:
    """The role_region_stats mart from the observations Parquet (or frame), sorted by its key."""
    grid = ci_probability_grid()
    with ObservationsFile(observations_path) as path:
        cells = role_region_cells(path, [*PUBLISHED_PROBABILITIES, *grid], settings)
    return finish_role_region_stats(cells, grid, settings)
