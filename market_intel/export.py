"""CSV export of query results, safe to open in a spreadsheet.

Text that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage
return; OWASP's CSV-injection list) is prefixed with a single quote. Numbers are left alone: only
string columns are touched, so a negative number stays a number.
"""
from __future__ import annotations

from pathlib import Path

import polars as pl

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """A copy of `frame` whose string cells cannot start a spreadsheet formula."""
    exprs = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            column = pl.col(name)
            flagged = pl.any_horizontal(*(column.str.starts_with(p) for p in FORMULA_PREFIXES))
            exprs.append(pl.when(flagged).then(pl.concat_str(pl.lit("'"), column)).otherwise(column).alias(name))
    return frame.with_columns(exprs) if exprs else frame


def write_safe_csv(frame: pl.DataFrame, path: Path) -> Path:
    """Write `frame` as CSV with formula prefixes neutralised; nested columns as JSON text."""
    nested = [n for n, t in frame.schema.items() if isinstance(t, (pl.List, pl.Struct, pl.Array))]
    flat = frame.with_columns(pl.col(n).list.join("; ") if isinstance(frame.schema[n], pl.List)
                              else pl.col(n).struct.json_encode() for n in nested)
    neutralise_formulas(flat).write_csv(path)
    return path
