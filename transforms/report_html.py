"""HTML pages of the reports: the page template, inline SVG charts, and the index page.

Pages come from the same facts as the Markdown (autoescaped Jinja2, so labels from sources cannot
inject markup); charts are plain SVG strings built here, with every label escaped. For 10,000 reports
the charts, the table rows and the index rows are built column-wise (chart_columns, html_rows,
index_rows: Polars string expressions, escaped column-wise with html_escape); box_chart and
trend_chart draw one report's charts and are the reference that chart_columns reproduces byte for
byte (tests/unit/test_report_rendering.py).
"""
from __future__ import annotations

import numpy as np
import polars as pl
from markupsafe import Markup, escape

from transforms.report_text import environment, fixed_abs_texts, jinja_text, not_significant, or_na, postings_cell

BOX_WIDTH, BOX_HEIGHT = 640, 120
TREND_WIDTH, TREND_HEIGHT = 640, 260
MARGIN = 48
# baselines of the box chart's labels: p10 and p90 above the whiskers (always far apart), p25 and p75
# below the box, the median on a row of its own just under it (on p10's row it ran into p10's label
# where the median lies near p10: a skewed or thin cell)
BOX_LABEL_Y = {"p10": 20, "p25": 104, "median": 86, "p75": 104, "p90": 20}


def page_template():
    return environment(True).get_template("report.html.j2")


def _scale(low: float, high: float, start: float, end: float):
    span = (high - low) or 1.0
    return lambda v: start + (v - low) / span * (end - start)


def box_chart(record: dict) -> Markup:
    """Pay distribution: whiskers p10-p90, box p25-p75, line at the median."""
    values = [record.get(k) for k in ("p10", "p25", "median", "p75", "p90")]
    if any(v is None for v in values):
        return Markup("")
    p10, p25, median, p75, p90 = values
    pad = (p90 - p10) * 0.08 or abs(median) * 0.05 or 1.0
    x = _scale(p10 - pad, p90 + pad, MARGIN, BOX_WIDTH - MARGIN)
    mid = 50
    labels = "".join(
        f'<text x="{x(v):.1f}" y="{BOX_LABEL_Y[key]}" text-anchor="middle" class="lbl">'
        f'{escape(name)} {escape(record.get(key + "_text") or "")}</text>'
        for name, key, v in (("p10", "p10", p10), ("p25", "p25", p25), ("median", "median", median),
                             ("p75", "p75", p75), ("p90", "p90", p90)))
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {BOX_WIDTH} {BOX_HEIGHT}" '
        f'width="{BOX_WIDTH}" height="{BOX_HEIGHT}" aria-label="Pay distribution p10 to p90">'
        f'<line x1="{x(p10):.1f}" y1="{mid}" x2="{x(p90):.1f}" y2="{mid}" stroke="#555" stroke-width="2"/>'
        f'<line x1="{x(p10):.1f}" y1="{mid - 12}" x2="{x(p10):.1f}" y2="{mid + 12}" stroke="#555" stroke-width="2"/>'
        f'<line x1="{x(p90):.1f}" y1="{mid - 12}" x2="{x(p90):.1f}" y2="{mid + 12}" stroke="#555" stroke-width="2"/>'
        f'<rect x="{x(p25):.1f}" y="{mid - 20}" width="{max(x(p75) - x(p25), 1):.1f}" height="40" '
        f'fill="#9ecae1" stroke="#3182bd"/>'
        f'<line x1="{x(median):.1f}" y1="{mid - 20}" x2="{x(median):.1f}" y2="{mid + 20}" stroke="#08519c" '
        f'stroke-width="3"/>{labels}</svg>')
    return Markup(svg)


def trend_chart(record: dict) -> Markup:
    """Median by year with the projection fan (90 % and 80 % prediction intervals) at the target year."""
    trend = [t for t in (record.get("trend") or []) if t.get("median") is not None]
    if not trend:
        return Markup("")
    points = [(int(t["year"]), float(t["median"])) for t in trend]
    fan = None
    keys = ("projected", "pi_low", "pi_high", "pi80_low", "pi80_high", "target_year")
    if all(record.get(k) is not None for k in keys):
        fan = {k: float(record[k]) for k in keys}
    years = [p[0] for p in points] + ([int(fan["target_year"])] if fan else [])
    values = [p[1] for p in points] + ([fan["pi_low"], fan["pi_high"]] if fan else [])
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or abs(high) * 0.05 or 1.0
    x = _scale(min(years) - 0.5, max(years) + 0.5, MARGIN + 30, TREND_WIDTH - MARGIN)
    y = _scale(low - pad, high + pad, TREND_HEIGHT - MARGIN, 20)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {TREND_WIDTH} {TREND_HEIGHT}" '
             f'width="{TREND_WIDTH}" height="{TREND_HEIGHT}" aria-label="Median pay by year with projection">',
             f'<line x1="{MARGIN + 30}" y1="{TREND_HEIGHT - MARGIN}" x2="{TREND_WIDTH - MARGIN}" '
             f'y2="{TREND_HEIGHT - MARGIN}" stroke="#999"/>']
    if fan:
        last_x, last_y = x(points[-1][0]), y(points[-1][1])
        tx = x(fan["target_year"])
        for lo, hi, colour in (("pi_low", "pi_high", "#fdd0a2"), ("pi80_low", "pi80_high", "#fdae6b")):
            parts.append(f'<polygon points="{last_x:.1f},{last_y:.1f} {tx:.1f},{y(fan[hi]):.1f} '
                         f'{tx:.1f},{y(fan[lo]):.1f}" fill="{colour}" opacity="0.8"/>')
        parts.append(f'<line x1="{last_x:.1f}" y1="{last_y:.1f}" x2="{tx:.1f}" y2="{y(fan["projected"]):.1f}" '
                     f'stroke="#e6550d" stroke-width="2" stroke-dasharray="5,4"/>')
        parts.append(f'<circle cx="{tx:.1f}" cy="{y(fan["projected"]):.1f}" r="4" fill="#e6550d"/>')
        parts.append(f'<text x="{tx - 8:.1f}" y="{y(fan["projected"]) - 8:.1f}" text-anchor="end" class="lbl">'
                     f'{escape(record.get("projected_text") or "")}</text>')
    path = " ".join(f"{x(yr):.1f},{y(v):.1f}" for yr, v in points)
    parts.append(f'<polyline points="{path}" fill="none" stroke="#08519c" stroke-width="2"/>')
    for yr, v in points:
        parts.append(f'<circle cx="{x(yr):.1f}" cy="{y(v):.1f}" r="3.5" fill="#08519c"/>')
    parts.append(f'<text x="{x(points[-1][0]):.1f}" y="{y(points[-1][1]) + 18:.1f}" text-anchor="middle" '
                 f'class="lbl">{escape(record.get("median_text") or "")}</text>')
    for yr in sorted(set(years)):
        parts.append(f'<text x="{x(yr):.1f}" y="{TREND_HEIGHT - MARGIN + 18}" text-anchor="middle" class="lbl">'
                     f'{yr}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def charts(record: dict) -> dict[str, Markup]:
    """Both charts of one report (empty markup when the cell has no figures); the reference for
    chart_columns, which draws them for all reports at once."""
    if record.get("reliability") == "suppress":
        return {"box": Markup(""), "trend": Markup("")}
    return {"box": box_chart(record), "trend": trend_chart(record)}


# ----------------------------------------------------------------------------------------------
# the same charts for all reports at once (column-wise; byte for byte what box_chart/trend_chart draw)


def _f1(values: np.ndarray) -> pl.Series:
    """f"{v:.1f}" for a float array: exact rounding, '-' for negative values and -0.0, 'nan'."""
    values = np.asarray(values, dtype=np.float64)
    texts, _ = fixed_abs_texts(values, 1)
    negative = pl.Series(np.signbit(values) & ~np.isnan(values))
    return pl.select(pl.when(pl.lit(negative)).then(pl.concat_str([pl.lit("-"), pl.lit(texts)]))
                     .otherwise(pl.lit(texts)).fill_null("nan")).to_series()


def _or_one(values: np.ndarray, *fallbacks: np.ndarray) -> np.ndarray:
    """Python's `a or b or 1.0` for floats (0.0 and -0.0 are false, NaN is true)."""
    out = np.where(fallbacks[-1] != 0, fallbacks[-1], 1.0) if fallbacks else np.ones_like(values)
    for fallback in reversed(fallbacks[:-1]):
        out = np.where(fallback != 0, fallback, out)
    return np.where(values != 0, values, out)


def _scale_array(values: np.ndarray, low: np.ndarray, high: np.ndarray, start: float, end: float) -> np.ndarray:
    """_scale for arrays: start + (v - low) / span * (end - start), span = (high - low) or 1.0."""
    span = _or_one(high - low)
    return start + (values - low) / span * (end - start)


def _text_or_empty(values: pl.Series) -> pl.Series:
    """escape(value or '') column-wise."""
    return pl.select(html_escape(pl.lit(values).cast(pl.String).fill_null(""))).to_series()


def _join(pieces: list) -> pl.Series:
    return pl.select(pl.concat_str([pl.lit(p) for p in pieces])).to_series()


def box_charts(frame: pl.DataFrame) -> pl.Series:
    """box_chart for every row of `frame` ('' where the row has no chart)."""
    keys = ("p10", "p25", "median", "p75", "p90")
    has = frame.select((pl.col("reliability").fill_null("") != "suppress")
                       & pl.all_horizontal([pl.col(k).is_not_null() for k in keys])).to_series()
    part = frame.filter(has)
    if part.height == 0:
        return pl.Series("chart_box", [""] * frame.height, dtype=pl.String)
    v = {k: part[k].cast(pl.Float64).to_numpy() for k in keys}
    pad = _or_one((v["p90"] - v["p10"]) * 0.08, np.abs(v["median"]) * 0.05)
    low, high = v["p10"] - pad, v["p90"] + pad
    x = {k: _scale_array(v[k], low, high, MARGIN, BOX_WIDTH - MARGIN) for k in keys}
    width = x["p75"] - x["p25"]
    width = np.where(1 > width, 1.0, width)  # max(width, 1)
    f = {k: _f1(x[k]) for k in keys}
    mid = 50
    labels = []
    for name, key in (("p10", "p10"), ("p25", "p25"), ("median", "median"), ("p75", "p75"), ("p90", "p90")):
        labels += ['<text x="', f[key], f'" y="{BOX_LABEL_Y[key]}" text-anchor="middle" class="lbl">'
                   f'{escape(name)} ', _text_or_empty(part[key + "_text"]), "</text>"]
    svg = _join([
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {BOX_WIDTH} {BOX_HEIGHT}" '
        f'width="{BOX_WIDTH}" height="{BOX_HEIGHT}" aria-label="Pay distribution p10 to p90">'
        '<line x1="', f["p10"], f'" y1="{mid}" x2="', f["p90"], f'" y2="{mid}" stroke="#555" stroke-width="2"/>'
        '<line x1="', f["p10"], f'" y1="{mid - 12}" x2="', f["p10"],
        f'" y2="{mid + 12}" stroke="#555" stroke-width="2"/>'
        '<line x1="', f["p90"], f'" y1="{mid - 12}" x2="', f["p90"],
        f'" y2="{mid + 12}" stroke="#555" stroke-width="2"/>'
        '<rect x="', f["p25"], f'" y="{mid - 20}" width="', _f1(width),
        '" height="40" fill="#9ecae1" stroke="#3182bd"/>'
        '<line x1="', f["median"], f'" y1="{mid - 20}" x2="', f["median"], f'" y2="{mid + 20}" stroke="#08519c" '
        'stroke-width="3"/>', *labels, "</svg>"])
    return _scatter(frame.height, has, svg, "chart_box")


def _scatter(height: int, mask: pl.Series, values: pl.Series, name: str) -> pl.Series:
    out = pl.Series(name, [""] * height, dtype=pl.String)
    return out.scatter(mask.arg_true(), values) if values.len() else out


FAN = ("projected", "pi_low", "pi_high", "pi80_low", "pi80_high", "target_year")


def trend_charts(frame: pl.DataFrame) -> pl.Series:
    """trend_chart for every row of `frame` ('' where the row has no chart)."""
    rows = frame.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_row"), "reliability", "trend", "projected_text", "median_text",
        *[pl.col(k).cast(pl.Float64) for k in FAN],
        pl.all_horizontal([pl.col(k).is_not_null() for k in FAN]).alias("_fan"))
    points = (rows.filter(pl.col("reliability").fill_null("") != "suppress").select("_row", "trend")
              .explode("trend").unnest("trend").filter(pl.col("median").is_not_null())
              .select("_row", pl.col("year").cast(pl.Int64), pl.col("median").cast(pl.Float64)))
    if points.height == 0:
        return pl.Series("chart_trend", [""] * frame.height, dtype=pl.String)
    fan_years = pl.when(pl.col("_fan")).then(pl.col("target_year"))
    pairs = (points.group_by("_row", maintain_order=True)
             .agg(pl.col("year").min().alias("y_min"), pl.col("year").max().alias("y_max"),
                  pl.col("median").min().alias("v_min"), pl.col("median").max().alias("v_max"),
                  pl.col("year").last().alias("last_year"), pl.col("median").last().alias("last_median"))
             .join(rows, on="_row", how="left", maintain_order="left")
             .with_columns(
                 pl.min_horizontal(pl.col("y_min").cast(pl.Float64), fan_years).alias("x_low"),
                 pl.max_horizontal(pl.col("y_max").cast(pl.Float64), fan_years).alias("x_high"),
                 pl.min_horizontal("v_min", pl.when(pl.col("_fan")).then(pl.min_horizontal("pi_low", "pi_high")))
                 .alias("low"),
                 pl.max_horizontal("v_max", pl.when(pl.col("_fan")).then(pl.max_horizontal("pi_low", "pi_high")))
                 .alias("high")))
    a = {c: pairs[c].to_numpy() for c in ("x_low", "x_high", "low", "high", "last_year", "last_median", *FAN)}
    pad = _or_one((a["high"] - a["low"]) * 0.1, np.abs(a["high"]) * 0.05)
    x_low, x_high = a["x_low"] - 0.5, a["x_high"] + 0.5
    y_low, y_high = a["low"] - pad, a["high"] + pad
    x0, x1, y0, y1 = MARGIN + 30, TREND_WIDTH - MARGIN, TREND_HEIGHT - MARGIN, 20

    def x(values, index=None):
        return _scale_array(np.asarray(values, dtype=np.float64), x_low if index is None else x_low[index],
                            x_high if index is None else x_high[index], x0, x1)

    def y(values, index=None):
        return _scale_array(np.asarray(values, dtype=np.float64), y_low if index is None else y_low[index],
                            y_high if index is None else y_high[index], y0, y1)

    # per point: polyline coordinates and dots (pairs are in _row order, points in list order)
    position = points.join(pairs.select("_row", pl.int_range(pl.len(), dtype=pl.Int64).alias("_pair")), on="_row",
                           how="left", maintain_order="left")["_pair"].to_numpy()
    px, py = _f1(x(points["year"].to_numpy(), position)), _f1(y(points["median"].to_numpy(), position))
    dots = (pl.DataFrame({"_row": points["_row"], "xy": _join([px, ",", py]),
                          "dot": _join(['<circle cx="', px, '" cy="', py, '" r="3.5" fill="#08519c"/>'])})
            .group_by("_row", maintain_order=True).agg(pl.col("xy").str.join(" "), pl.col("dot").str.join("")))
    # year labels: the points' years and the target year, sorted and distinct
    targets = pairs.filter(pl.col("_fan")).select("_row", pl.col("target_year").cast(pl.Int64).alias("year"))
    years = (pl.concat([points.select("_row", "year"), targets])
             .unique().sort(["_row", "year"])
             .join(pairs.select("_row", pl.int_range(pl.len(), dtype=pl.Int64).alias("_pair")), on="_row", how="left",
                   maintain_order="left"))
    year_x = _f1(x(years["year"].to_numpy(), years["_pair"].to_numpy()))
    labels = (pl.DataFrame({"_row": years["_row"],
                            "label": _join(['<text x="', year_x, f'" y="{TREND_HEIGHT - MARGIN + 18}" '
                                            'text-anchor="middle" class="lbl">', years["year"].cast(pl.String),
                                            "</text>"])})
              .group_by("_row", maintain_order=True).agg(pl.col("label").str.join("")))
    # the fan at the target year
    last_x, last_y = _f1(x(a["last_year"])), _f1(y(a["last_median"]))
    tx = x(a["target_year"])
    ty = y(a["projected"])
    fan = _join([
        '<polygon points="', last_x, ",", last_y, " ", _f1(tx), ",", _f1(y(a["pi_high"])), " ", _f1(tx), ",",
        _f1(y(a["pi_low"])), '" fill="#fdd0a2" opacity="0.8"/>',
        '<polygon points="', last_x, ",", last_y, " ", _f1(tx), ",", _f1(y(a["pi80_high"])), " ", _f1(tx), ",",
        _f1(y(a["pi80_low"])), '" fill="#fdae6b" opacity="0.8"/>',
        '<line x1="', last_x, '" y1="', last_y, '" x2="', _f1(tx), '" y2="', _f1(ty),
        '" stroke="#e6550d" stroke-width="2" stroke-dasharray="5,4"/>',
        '<circle cx="', _f1(tx), '" cy="', _f1(ty), '" r="4" fill="#e6550d"/>',
        '<text x="', _f1(tx - 8), '" y="', _f1(ty - 8), '" text-anchor="end" class="lbl">',
        _text_or_empty(pairs["projected_text"]), "</text>"])
    fan = pl.select(pl.when(pl.lit(pairs["_fan"])).then(pl.lit(fan)).otherwise(pl.lit(""))).to_series()
    parts = pairs.select("_row").join(dots, on="_row", how="left", maintain_order="left").join(
        labels, on="_row", how="left", maintain_order="left")
    svg = _join([
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {TREND_WIDTH} {TREND_HEIGHT}" '
        f'width="{TREND_WIDTH}" height="{TREND_HEIGHT}" aria-label="Median pay by year with projection">'
        f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#999"/>',
        fan, '<polyline points="', parts["xy"], '" fill="none" stroke="#08519c" stroke-width="2"/>', parts["dot"],
        '<text x="', last_x, '" y="', _f1(y(a["last_median"]) + 18), '" text-anchor="middle" class="lbl">',
        _text_or_empty(pairs["median_text"]), "</text>", parts["label"], "</svg>"])
    mask = pl.Series([False] * frame.height).scatter(pairs["_row"].to_numpy(), True)
    return _scatter(frame.height, mask, svg, "chart_trend")


def chart_columns(frame: pl.DataFrame) -> list[pl.Series]:
    """`chart_box` and `chart_trend` (SVG, '' when none) for every report row: charts() column-wise."""
    return [box_charts(frame), trend_charts(frame)]


def index_page(reports: pl.DataFrame) -> str:
    """DIR/reports/index.html: every report in a table, with a text filter (vanilla JS).

    The table rows are rendered and escaped column-wise (index_rows); the template prints them.
    """
    rows = reports.select("role_label", "region", "slug_role", "slug_region", "reliability").sort(
        ["role_label", "region"])
    return environment(True).get_template("index.html.j2").render(rows_html=Markup(index_rows(rows)))


def _lower(values: pl.Series) -> pl.Series:
    """Python's str.lower (what Jinja's `lower` filter does), computed once per distinct value."""
    distinct = values.unique().to_list()
    return values.replace_strict({v: v.lower() for v in distinct}, return_dtype=pl.String)


def index_rows(rows: pl.DataFrame) -> str:
    """The index's table rows, one line each: the search text (lowercased labels and slugs) and links."""
    if rows.height == 0:
        return ""
    texts = rows.select(jinja_text(c).alias(c) for c in rows.columns)
    # lower() of "a b c d" is the lower() of each part joined by spaces (a space is neither cased nor
    # case-ignorable, so no part's final-sigma context reaches across it)
    search = pl.concat_str([pl.lit(_lower(texts[c])) for c in ("role_label", "region", "slug_role", "slug_region")],
                           separator=" ")
    line = pl.concat_str([
        pl.lit('<tr data-search="'), html_escape(search), pl.lit('"><td>'), html_escape(pl.col("role_label")),
        pl.lit("</td><td>"), html_escape(pl.col("region")), pl.lit("</td><td>"), html_escape(pl.col("reliability")),
        pl.lit('</td><td><a href="'), html_escape(pl.col("slug_role")), pl.lit("/"), html_escape(pl.col("slug_region")),
        pl.lit('.html">HTML</a> · <a href="'), html_escape(pl.col("slug_role")), pl.lit("/"),
        html_escape(pl.col("slug_region")), pl.lit('.md">Markdown</a></td></tr>\n')])
    return texts.select(line.str.join("")).item()


# ----------------------------------------------------------------------------------------------
# rows of the page's tables and lists, rendered and escaped column-wise (see report_text.markdown_rows)


def html_escape(expr: pl.Expr) -> pl.Expr:
    """markupsafe.escape column-wise: & < > ' " become &amp; &lt; &gt; &#39; &#34; (one pass, so the
    ampersands of the entities are not escaped again)."""
    return expr.str.replace_many(["&", "<", ">", "'", '"'], ["&amp;", "&lt;", "&gt;", "&#39;", "&#34;"])


def _cell(column: str | pl.Expr) -> pl.Expr:
    """What `{{ value }}` prints with autoescape on: the escaped text; null prints as 'None'."""
    return html_escape(jinja_text(column))


def html_rows(name: str) -> pl.Expr:
    """One escaped HTML row per row of list `name` (with the newline the template's loop printed)."""
    if name == "premium_table":
        return pl.concat_str([
            pl.lit("<tr><td>"), _cell("skill"), pl.lit("</td><td>"), _cell("kind"), pl.lit("</td><td>"),
            _cell("table.n_with_text"), pl.lit("</td><td>"), _cell("table.premium_pct_text"), pl.lit(" ("),
            _cell("table.ci_low_text"), pl.lit(" to "), _cell("table.ci_high_text"), pl.lit(")"), not_significant(),
            pl.lit("</td><td>"), html_escape(or_na("table.raw_premium_text")), pl.lit("</td></tr>\n")])
    if name == "siblings":
        return pl.concat_str([pl.lit("<tr><td>"), _cell("sibling_region"), pl.lit("</td><td>"),
                              _cell("sibling.n_text"), pl.lit("</td><td>"),
                              _cell("sibling.median_text"), pl.lit("</td><td>"), _cell("sibling_currency"),
                              postings_cell(pl.lit("</td><td>"), html_escape(or_na("sibling.postings_text"))),
                              pl.lit("</td></tr>\n")])
    if name == "ppp_rows":
        return pl.concat_str([pl.lit("<tr><td>"), _cell("other_region"), pl.lit("</td><td>"),
                              _cell("ppp_row.median_text"), pl.lit("</td><td>"), _cell("other_currency"),
                              pl.lit("</td><td>"), _cell("ppp_row.factor_text"),
                              pl.lit("</td><td>"), _cell("ppp_row.adjusted_text"), pl.lit("</td></tr>\n")])
    if name == "skills":
        return pl.concat_str([pl.lit("<li>"), _cell("skill"), pl.lit(": "), _cell("skill_share_text"), pl.lit("</li>")])
    if name == "targets":
        return pl.concat_str([pl.lit("<li>"), _cell("skill"), pl.lit(": "), _cell("target_text"), pl.lit("</li>")])
    raise KeyError(name)
