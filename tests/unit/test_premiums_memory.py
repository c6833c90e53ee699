"""skill_premiums' memory-saving row preparation: the same rows, masks and cells as the plain way.

_prepare reads the observations in several scans (the masks, then the cells' keys and pay) and sorts
in numpy; these tests check it against eager Polars on the same frame.
"""
from __future__ import annotations

import numpy as np
import polars as pl

from tests.unit.test_premiums import simulated_market
from transforms import premiums

CELL_COLUMNS = list(premiums.CELL_SORT_KEY)


def observations(rows: int = 6_000) -> pl.DataFrame:
    """The simulated market with some null cell values, outliers, part-time salaries and non-positive pay."""
    market = simulated_market(rows=rows, seed=5)
    index = np.arange(market.height)
    return market.with_columns(
        pl.when(pl.Series(index % 97 == 0)).then(None).otherwise(pl.col("country")).alias("country"),
        pl.when(pl.Series(index % 89 == 0)).then(None).otherwise(pl.col("role_label")).alias("role_label"),
        pl.when(pl.Series(index % 83 == 0)).then(None).otherwise(pl.col("year")).alias("year"),
        pl.Series("is_outlier", index % 101 == 0),
        pl.Series("is_non_fte_pay", index % 107 == 0),
        pl.when(pl.Series(index % 103 == 0)).then(0.0).otherwise(pl.col("pay_annual_usd")).alias("pay_annual_usd"),
    )


def expected_rows(frame: pl.DataFrame, table: pl.DataFrame) -> pl.DataFrame:
    """Kept rows with their fixed-effect id (rank of the cell, nulls last), block id and mask, sorted as
    _prepare sorts them, by eager Polars."""
    kept = frame.filter(~pl.col("is_outlier") & ~pl.col("is_non_fte_pay") & (pl.col("pay_annual_usd") > 0))
    cells = (kept.select(CELL_COLUMNS).unique().sort(CELL_COLUMNS, nulls_last=True)
             .with_row_index("fixed_effect_id")
             .with_columns(pl.struct("country", "role_name").rle_id().alias("block_id")))
    bits = [pl.col("skills" if kind == "skill" else "certifications").list.contains(skill).cast(pl.Int64)
            * (1 << position) for position, (skill, kind) in enumerate(table.select("skill", "kind").iter_rows())]
    return (kept.join(cells, on=CELL_COLUMNS, how="left", nulls_equal=True)
            .select("fixed_effect_id", "block_id", "pay_annual_usd", pl.sum_horizontal(bits).alias("mask"))
            .sort("fixed_effect_id", "pay_annual_usd", "mask"))


def test_prepared_rows_match_eager_polars_from_a_parquet_scan_of_many_row_groups(tmp_path):
    frame = observations()
    path = tmp_path / "observations.parquet"
    frame.write_parquet(path, row_group_size=500)
    table = premiums.select_indicators(frame.lazy().filter(premiums.IN_STATISTICS), min_n_with=30)
    rows, blocks = premiums._prepare(pl.scan_parquet(path), table)
    expected = expected_rows(frame, table)
    for got, column in ((rows.fixed_effect_id, "fixed_effect_id"), (rows.block_of_cell[rows.fixed_effect_id], "block_id"),
                        (rows.pay, "pay_annual_usd"), (rows.mask, "mask")):
        assert np.array_equal(got, expected[column].to_numpy()), column
    kept = frame.filter(~pl.col("is_outlier") & ~pl.col("is_non_fte_pay") & (pl.col("pay_annual_usd") > 0))
    assert blocks.select("country", "role_name").equals(
        kept.select("country", "role_name").unique().sort(["country", "role_name"], nulls_last=True))


def test_the_mart_from_a_parquet_scan_equals_the_mart_from_the_frame(tmp_path):
    frame = observations()
    path = tmp_path / "observations.parquet"
    frame.write_parquet(path, row_group_size=500)
    from_frame = premiums.skill_premiums(frame, min_n_with=30)
    assert from_frame.height > 0
    assert premiums.skill_premiums(pl.scan_parquet(path), min_n_with=30).equals(from_frame)


def test_row_order_is_a_lexsort_by_fixed_effect_log_pay_and_mask():
    rng = np.random.default_rng(3)
    n = 50_000
    fixed_effect_id = rng.integers(0, 40, n).astype(np.int32)
    log_pay = rng.integers(0, 30, n).astype(np.float64)  # many ties
    mask = rng.integers(0, 8, n)
    order = premiums._row_order(fixed_effect_id, log_pay, mask)
    reference = np.lexsort((mask, log_pay, fixed_effect_id))
    for key in (fixed_effect_id, log_pay, mask):
        assert np.array_equal(key[order], key[reference])
    assert np.array_equal(np.sort(order), np.arange(n))
