"""Column-wise rendering of the reports against the per-value reference it replaced.

The reports format numbers, escape HTML, render table rows, charts and the index column-wise (one
Polars/numpy pass per column instead of Python per value). Each piece is checked here against the
straightforward version it replaced: Python format strings, markupsafe.escape, the Jinja2 loops of
the templates (kept verbatim below) and report_html.box_chart / trend_chart, on edge cases that the
synthetic market never produces (ties, -0.0, nulls, hostile and non-ASCII labels, one-point trends).
"""
from __future__ import annotations

import math
import re

import jinja2
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape

from transforms import report_html, report_text, reports
from transforms.report_text import format_many, format_values, md_cell

HOSTILE = ['<script>alert("x")</script>', "Tom & Jerry's", "a|b [c]", "", None, "ΟΔΟΣ Σ", "İstanbul",
           "Montréal, Québec", "ﬀ ß"]


# ------------------------------------------------------------------ numbers


def _python_fixed(value: float, decimals: int) -> str | None:
    """The reference: Python's format of |value|, '-' for negatives unless the text is all zeros."""
    if math.isnan(value):
        return None
    text = f"{abs(value):.{decimals}f}"
    return "-" + text if value < 0 and text.strip("0.") != "" else text


TIES = [0.5, 1.5, 2.5, -2.5, 0.05, 0.15, 0.25, 0.35, 1.05, 2.675, 0.0005, 0.0015, 9.95, 99.95, -0.04, -0.05,
        0.0, -0.0, 123456789.125, 2.0 ** 51 - 0.5, 2.0 ** 51, 2.0 ** 52 + 1, 1e17, 1e300, 5e-324, math.inf,
        -math.inf, math.nan]


@pytest.mark.parametrize("decimals", [0, 1, 3])
def test_fixed_point_texts_round_like_python_on_ties_and_extremes(decimals):
    got = report_text._fixed(pl.Series(TIES), decimals).to_list()
    assert got == [_python_fixed(v, decimals) for v in TIES]


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**6, 10**6).map(lambda i: i / 8)
                       | st.integers(-10**7, 10**7).map(lambda i: i / 2000), min_size=1, max_size=40),
       decimals=st.sampled_from([0, 1, 3]))
def test_fixed_point_texts_match_python_format(values, decimals):
    got = report_text._fixed(pl.Series(values, dtype=pl.Float64), decimals).to_list()
    assert got == [_python_fixed(v, decimals) for v in values]


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6), min_size=1,
                       max_size=20))
def test_chart_coordinates_print_like_python(values):
    """Charts print f"{v:.1f}" (with '-0.0' and 'nan', unlike the report numbers)."""
    got = report_html._f1(np.array(values + [math.nan, -0.0])).to_list()
    assert got == [f"{v:.1f}" for v in values] + ["nan", "-0.0"]


PERCENT_FORMATS = ["pct", "signed_pct", "share", "signed_pp", "signed_share"]
NEAR_BOUNDS = [0.0, -0.0, 0.004, -0.04, 0.049, -0.05, 3.8e-05, 0.00035, 1e-9, 0.9994, 0.99975, 0.9999990667,
               0.99999999, 1.0, 1.00004, 99.96, -99.99, 0.5]


@pytest.mark.parametrize("fmt", PERCENT_FORMATS)
def test_percentages_match_the_independent_formatter_near_zero_and_the_whole(fmt):
    from tests.claims_check import format_claim

    got = format_values(pl.Series(NEAR_BOUNDS), fmt).to_list()
    assert got == [format_claim(v, fmt) for v in NEAR_BOUNDS]


def test_a_nonzero_percentage_is_not_printed_as_zero_nor_a_part_as_the_whole():
    """A 95% CI from +0.004% read "0.0% to +8.6%", a trend's interval "0.0% to +2.6%" under "a rising
    market median", a shrinkage weight of 99.975% "100.0% and the median of World the rest"."""
    assert format_values(pl.Series([0.004, -0.04, 12.34, 0.0]), "signed_pct").to_list() == [
        "+0.004%", "-0.04%", "+12.3%", "0.0%"]
    assert format_values(pl.Series([0.99975, 0.9999990667, 1.0, 0.0, 3.8e-05]), "share").to_list() == [
        "99.98%", "99.9999%", "100.0%", "0.0%", "0.004%"]
    # closer than four decimals show: one decimal again (no "0.0000%")
    assert format_values(pl.Series([1e-9, 0.99999999]), "share").to_list() == ["0.0%", "100.0%"]
    # growth of +100 % is not a share's whole
    assert format_values(pl.Series([0.99975]), "signed_share").to_list() == ["+100.0%"]


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.floats(min_value=-2.0, max_value=2.0) | st.integers(-10**6, 10**6).map(lambda i: i / 10**8)
                       | st.integers(0, 10**6).map(lambda i: 1 - i / 10**9), min_size=1, max_size=30),
       fmt=st.sampled_from(PERCENT_FORMATS))
def test_percentages_match_the_independent_formatter(values, fmt):
    from tests.claims_check import format_claim

    got = format_values(pl.Series(values, dtype=pl.Float64), fmt).to_list()
    assert got == [format_claim(v, fmt) for v in values]


def test_formatting_many_columns_at_once_equals_one_at_a_time():
    a = pl.Series("a", [1234.5, None, -0.4, 2.5e6])
    b = pl.Series("b", [0.1234, 0.5, None, -0.02])
    cur = pl.Series(["CAD", "EUR", "INR", None])
    loc = pl.Series(["en_CA", "de_DE", "en_IN", "en_US"])
    cur2 = pl.Series(["JPY", "CHF", "GBP", "USD"])
    loc2 = pl.Series(["ja_JP", "de_CH", "en_GB", "en_US"])
    columns = [(a, "money", cur, loc), (b, "share", None, None), (a, "count", None, None), (b, "signed_pp", None, None),
               (a, "money", cur2, loc2), (b, "ratio3", None, None), (a, "signed_pct", None, None)]
    together = format_many(columns)
    alone = [format_values(v, fmt, c, lc) for v, fmt, c, lc in columns]
    assert [s.to_list() for s in together] == [s.to_list() for s in alone]
    assert together[0].to_list() == ["$1,234", None, "₹0", None]  # 1234.5 rounds half to even; no currency: null


def test_numbers_default_shown_on_frames_of_several_chunks():
    """A literal `show` must cover every row also when the frame has several chunks."""
    frame = pl.concat([pl.DataFrame({"role_label": ["r"], "region": ["a"], "x": [1.0]}),
                       pl.DataFrame({"role_label": ["r", "r"], "region": ["b", "c"], "x": [2.0, 3.0]})], rechunk=False)
    number = reports.Number("x", pl.col("x"), "count", (reports.Operand("t", {}, "x"),))
    out, claims = reports.apply_numbers(frame, [number])
    assert out["x_text"].to_list() == ["1", "2", "3"] and claims.height == 3


# ------------------------------------------------------------------ escaping


@settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_column_wise_html_escape_equals_markupsafe(text):
    got = pl.select(report_html.html_escape(pl.lit(text, dtype=pl.String))).item()
    assert got == str(escape(text))


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("|[]ab \\"))))
def test_column_wise_markdown_cell_equals_md_cell(text):
    got = pl.DataFrame({"v": [text]}).select(report_text.md_cell_expr("v")).item()
    assert got == md_cell(text)


# ------------------------------------------------------------------ table rows against the template loops

# The loops of report.md.j2 / report.html.j2 before the rows were rendered column-wise (verbatim).
MD_LOOPS = {
    "siblings": """{% for s in siblings %}
| {{ md(s['sibling_region']) }} | {{ s['sibling_n_text'] }} | {{ s['sibling_median_text'] }} | {{ s['sibling_currency'] }} |{% if s['postings_measured'] %} {{ s['sibling_postings_text'] or 'n/a' }} |{% endif +%}
{% endfor %}""",
    "premium_table": """{% for p in premium_table %}
| {{ md(p['skill']) }} | {{ p['kind'] }} | {{ p['table_n_with_text'] }} | {{ p['table_premium_pct_text'] }} ({{ p['table_ci_low_text'] }} to {{ p['table_ci_high_text'] }}){% if not p['is_significant'] %}, not significant{% endif %} | {{ p['table_raw_premium_text'] or 'n/a' }} |
{% endfor %}""",
    "skills": """{% for s in skills %}
- {{ s['skill'] }}: {{ s['skill_share_text'] }}
{% endfor %}""",
    "targets": """{% for t in targets %}
- {{ t['skill'] }}: {{ t['target_text'] }}
{% endfor %}""",
    "ppp_rows": """{% for r in ppp_rows %}
| {{ md(r['other_region']) }} | {{ r['ppp_row_median_text'] }} | {{ r['other_currency'] }} | {{ r['ppp_row_factor_text'] }} | {{ r['ppp_row_adjusted_text'] }} |
{% endfor %}""",
}
HTML_LOOPS = {
    "siblings": """{% for s in siblings %}<tr><td>{{ s['sibling_region'] }}</td><td>{{ s['sibling_n_text'] }}</td><td>{{ s['sibling_median_text'] }}</td><td>{{ s['sibling_currency'] }}</td>{% if s['postings_measured'] %}<td>{{ s['sibling_postings_text'] or 'n/a' }}</td>{% endif %}</tr>
{% endfor %}""",
    "premium_table": """{% for p in premium_table %}<tr><td>{{ p['skill'] }}</td><td>{{ p['kind'] }}</td><td>{{ p['table_n_with_text'] }}</td><td>{{ p['table_premium_pct_text'] }} ({{ p['table_ci_low_text'] }} to {{ p['table_ci_high_text'] }}){% if not p['is_significant'] %}, not significant{% endif %}</td><td>{{ p['table_raw_premium_text'] or 'n/a' }}</td></tr>
{% endfor %}""",
    "skills": """{% for s in skills %}<li>{{ s['skill'] }}: {{ s['skill_share_text'] }}</li>{% endfor %}""",
    "targets": """{% for t in targets %}<li>{{ t['skill'] }}: {{ t['target_text'] }}</li>{% endfor %}""",
    "ppp_rows": """{% for r in ppp_rows %}<tr><td>{{ r['other_region'] }}</td><td>{{ r['ppp_row_median_text'] }}</td><td>{{ r['other_currency'] }}</td><td>{{ r['ppp_row_factor_text'] }}</td><td>{{ r['ppp_row_adjusted_text'] }}</td></tr>
{% endfor %}""",
}
LONG_COLUMNS = {
    "siblings": ["sibling_region", "sibling.n_text", "sibling.median_text", "sibling_currency", "sibling.postings_text",
                 "postings_measured"],  # (a run-level flag: mixed here to test both forms of the row)
    "premium_table": ["skill", "kind", "table.n_with_text", "table.premium_pct_text", "table.ci_low_text",
                      "table.ci_high_text", "table.raw_premium_text", "is_significant"],
    "skills": ["skill", "skill_share_text"],
    "targets": ["skill", "target_text"],
    "ppp_rows": ["other_region", "ppp_row.median_text", "other_currency", "ppp_row.factor_text", "ppp_row.adjusted_text"],
}


def _long_frame(name: str, n: int) -> pl.DataFrame:
    data = {}
    for j, column in enumerate(LONG_COLUMNS[name]):
        if column in ("is_significant", "postings_measured"):
            data[column] = pl.Series([[True, False, None][(i + j) % 3] for i in range(n)], dtype=pl.Boolean)
        else:
            data[column] = pl.Series([HOSTILE[(i * 3 + j) % len(HOSTILE)] for i in range(n)], dtype=pl.String)
    return pl.DataFrame(data).with_columns(pl.lit("Role").alias("role_label"), pl.lit("Region").alias("region"),
                                           pl.int_range(pl.len()).alias("rank"))


def _jinja(autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(autoescape=autoescape, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                              undefined=jinja2.StrictUndefined)


@pytest.mark.parametrize("name", sorted(LONG_COLUMNS))
def test_rendered_rows_equal_the_template_loops(name):
    part = _long_frame(name, 2 * len(HOSTILE))
    items = [{k.replace(".", "_"): v for k, v in row.items()} for row in part.to_dicts()]
    expected_md = _jinja(False).from_string(MD_LOOPS[name]).render({name: items, "md": md_cell})
    expected_html = _jinja(True).from_string(HTML_LOOPS[name]).render({name: items})
    cells = pl.DataFrame({"role_label": ["Role", "Other"], "region": ["Region", "Region"]})
    out = reports._with_rows(cells, part, name)
    # the Markdown template prints the block followed by the newline of its line
    assert out[f"{name}_md"].to_list() == [expected_md.removesuffix("\n") if expected_md else "", ""]
    assert out[f"{name}_html"].to_list() == [expected_html, ""]


# ------------------------------------------------------------------ charts


def _chart_records() -> list[dict]:
    base = {"reliability": "publish", "p10": 80_000.0, "p25": 90_000.0, "median": 100_000.0, "p75": 115_000.0,
            "p90": 130_000.0, "p10_text": "$80,000", "p25_text": "$90,000", "median_text": "$100,000",
            "p75_text": "<b>&'\"", "p90_text": None, "projected": 104_000.0, "pi_low": 99_000.0, "pi_high": 109_000.0,
            "pi80_low": 100_500.0, "pi80_high": 107_500.0, "target_year": 2026, "projected_text": "$104,000",
            "trend": [{"year": 2023, "median": 95_000.0, "p25": 1.0, "p75": 2.0},
                      {"year": 2024, "median": None, "p25": None, "p75": None},
                      {"year": 2025, "median": 100_000.0, "p25": 1.0, "p75": 2.0}]}
    flat = dict(base, p10=5.0, p25=5.0, median=5.0, p75=5.0, p90=5.0)  # zero spread: pad from the median
    zero = dict(base, p10=0.0, p25=0.0, median=0.0, p75=0.0, p90=0.0, trend=[{"year": 2025, "median": 0.0}])
    return [
        base,
        dict(base, reliability="suppress"),
        dict(base, reliability="warn", projected=None),  # no fan
        dict(base, p25=None),  # no box
        dict(base, trend=None),
        dict(base, trend=[{"year": 2025, "median": None}]),
        dict(base, trend=[{"year": 2025, "median": 100_000.0}]),  # one point, with fan
        dict(base, trend=[{"year": 2025, "median": 100_000.0}], target_year=None),  # one point, no fan
        dict(base, trend=[{"year": 2024, "median": 1.0}, {"year": 2026, "median": 3.0}]),  # target year = a point
        dict(base, target_year=2020),  # target year before the points: it sets the low end of the axis
        dict(base, pi_low=-50.0, pi_high=1e9, projected=-1.0, projected_text=None),
        dict(base, reliability=None),
        flat, zero,
        dict(base, p10=-10.0, p25=-5.0, median=-0.04, p75=0.0, p90=0.04),
    ]


def test_column_wise_charts_equal_the_per_report_charts():
    records = _chart_records()
    schema = {"reliability": pl.String, **{k: pl.Float64 for k in ("p10", "p25", "median", "p75", "p90", "projected",
                                                                    "pi_low", "pi_high", "pi80_low", "pi80_high")},
              **{k: pl.String for k in ("p10_text", "p25_text", "median_text", "p75_text", "p90_text",
                                        "projected_text")},
              "target_year": pl.Int64,
              "trend": pl.List(pl.Struct({"year": pl.Int32, "median": pl.Float64, "p25": pl.Float64,
                                          "p75": pl.Float64}))}
    frame = pl.DataFrame([{k: r.get(k) for k in schema} for r in records], schema=schema)
    box, trend = report_html.chart_columns(frame)
    for i, record in enumerate(records):
        expected = report_html.charts(record)
        assert box[i] == str(expected["box"]), i
        assert trend[i] == str(expected["trend"]), i
    assert box[0].startswith("<svg") and trend[0].startswith("<svg") and box[1] == trend[1] == ""
    assert "&lt;b&gt;&amp;&#39;&#34;" in box[0]


def test_box_chart_labels_on_one_row_do_not_run_into_each_other():
    """A median near p10 (Junior Data Science Manager in Ontario, default market) printed its label over
    p10's: both sat on the top row. Labels of a row must be further apart than half their widths
    (11 px font, at most 0.6 em a character)."""
    record = {"reliability": "publish", "p10": 79_281.0, "p25": 80_250.0, "median": 83_750.0, "p75": 104_125.0,
              "p90": 110_859.0, "p10_text": "$79,281", "p25_text": "$80,250", "median_text": "$83,750",
              "p75_text": "$104,125", "p90_text": "$110,859"}
    for skewed in (record, {**record, "median": 110_000.0, "median_text": "$110,000"}):
        svg = str(report_html.box_chart(skewed))
        labels = [(float(x), y, text) for x, y, text in re.findall(r'<text x="([-\d.]+)" y="(\d+)"[^>]*>(.*?)</text>', svg)]
        assert len(labels) == 5
        for i, (x1, y1, t1) in enumerate(labels):
            for x2, y2, t2 in labels[i + 1:]:
                if y1 == y2:
                    assert abs(x1 - x2) > (len(t1) + len(t2)) * 11 * 0.6 / 2, (t1, t2)


def test_charts_of_no_reports():
    frame = pl.DataFrame(schema={"reliability": pl.String, "p10": pl.Float64, "p25": pl.Float64, "median": pl.Float64,
                                 "p75": pl.Float64, "p90": pl.Float64, "p10_text": pl.String, "p25_text": pl.String,
                                 "median_text": pl.String, "p75_text": pl.String, "p90_text": pl.String,
                                 "projected": pl.Float64, "pi_low": pl.Float64, "pi_high": pl.Float64,
                                 "pi80_low": pl.Float64, "pi80_high": pl.Float64, "target_year": pl.Int64,
                                 "projected_text": pl.String,
                                 "trend": pl.List(pl.Struct({"year": pl.Int32, "median": pl.Float64}))})
    assert [s.len() for s in report_html.chart_columns(frame)] == [0, 0]


# ------------------------------------------------------------------ index page

INDEX_LOOP = """{% for r in rows %}
<tr data-search="{{ (r.role_label ~ ' ' ~ r.region ~ ' ' ~ r.slug_role ~ ' ' ~ r.slug_region) | lower }}"><td>{{ r.role_label }}</td><td>{{ r.region }}</td><td>{{ r.reliability }}</td><td><a href="{{ r.slug_role }}/{{ r.slug_region }}.html">HTML</a> · <a href="{{ r.slug_role }}/{{ r.slug_region }}.md">Markdown</a></td></tr>
{% endfor %}"""


def test_index_rows_equal_the_template_loop():
    labels = [h for h in HOSTILE if h is not None] + ["ΣΊΣΥΦΟΣ", "Straße", "DŽ Ǆ", "ΑΣ'Σ"]
    rows = pl.DataFrame({"role_label": labels, "region": list(reversed(labels)),
                         "slug_role": [f"r{i}" for i in range(len(labels))], "slug_region": labels,
                         "reliability": ["publish", None] * (len(labels) // 2) + ["warn"] * (len(labels) % 2)})
    expected = _jinja(True).from_string(INDEX_LOOP).render(rows=rows.to_dicts())
    assert report_html.index_rows(rows) == expected
    assert report_html.index_rows(rows.head(0)) == ""
    page = report_html.index_page(rows)
    assert "<script>alert" not in page and isinstance(Markup(page), Markup)


# ------------------------------------------------------------------ claims order


@pytest.mark.parametrize("odd", [None, "a\x00b", "NULL"])
def test_claims_sort_like_the_three_keys(odd):
    labels = ["a", "ab", "a b", "a\x01", "b", "", "é", "A", "a-b", "Ab"]
    rows = [{"role_label": labels[(i * 7) % len(labels)], "region": labels[(i * 3) % len(labels)],
             "claim_id": f"n{i % 13}:{labels[i % len(labels)]}"} for i in range(500)]
    frame = pl.DataFrame(rows).with_columns([pl.lit(None, dtype=pl.String).alias(c) for c in reports.CLAIM_COLUMNS
                                             if c not in ("role_label", "region", "claim_id")])
    frame = frame.with_columns(pl.lit(0.0).alias("value")).select(reports.CLAIM_COLUMNS).unique(
        ["role_label", "region", "claim_id"], keep="first", maintain_order=True).reverse()
    if odd == "NULL":
        frame = frame.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(None).otherwise(pl.col("region"))
                                   .alias("region"))
    elif odd is not None:
        frame = frame.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(pl.lit(odd)).otherwise(pl.col("region"))
                                   .alias("region"))
    assert reports._sort_claims(frame).equals(frame.sort(["role_label", "region", "claim_id"]))
