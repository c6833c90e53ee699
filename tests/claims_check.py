"""Independent re-derivation of report claims: formulas over operand cells, and formatting.

Written apart from transforms/reports.py on purpose: Python format strings and babel, not the
report code's vectorised formatters.
"""
from __future__ import annotations

import math
from statistics import NormalDist

import babel.numbers
from babel import Locale

Z90 = NormalDist().inv_cdf(0.95)
FORMULAS = {"identity": lambda a: a, "pct_change": lambda a, b: (a / b - 1) * 100, "difference": lambda a, b: a - b,
            "ratio": lambda a, b: a / b, "uplift": lambda a, b: a * (1 + b / 100),
            "growth_low": lambda g, se: math.exp(math.log(1 + g) - Z90 * se) - 1,
            "growth_high": lambda g, se: math.exp(math.log(1 + g) + Z90 * se) - 1}


def format_claim(value: float, fmt: str) -> str:
    """Independent formatter: Python format specs and babel."""
    if fmt.startswith("money:"):
        _, currency, locale = fmt.split(":")
        pattern = Locale.parse(locale).currency_formats["standard"].pattern.replace(".00", "")
        return babel.numbers.format_currency(round(value), currency, locale=locale, format=pattern,
                                             currency_digits=False)
    if fmt == "count":
        return f"{round(value):,}"
    if fmt == "ratio3":
        return f"{value:.3f}"
    scale, unit, signed = {"pct": (1, "%", False), "signed_pct": (1, "%", True), "share": (100, "%", False),
                           "signed_pp": (100, " pp", True), "signed_share": (100, "%", True)}[fmt]
    scaled = value * scale
    # one decimal unless it reads a nonzero value as 0, or a share short of 100 % as 100 %: then the
    # fewest decimals (up to 4) that do not; one decimal again when none of them does
    text = f"{abs(scaled):.1f}"
    for decimals in range(1, 5):
        finer = f"{abs(scaled):.{decimals}f}"
        if not ((float(finer) == 0 and scaled != 0) or (fmt == "share" and float(finer) == 100 and scaled != 100)):
            text = finer
            break
    sign = "" if float(text) == 0 else ("-" if value < 0 else ("+" if signed else ""))
    return f"{sign}{text}{unit}"
