"""HTML pages of the reports: the page template, inline SVG charts, and the index page.

Pages come from the same facts as the Markdown (autoescaped Jinja2, so labels from sources cannot
inject markup); charts are plain SVG strings built here, with every label escaped.
"""
from __future__ import annotations

import polars as pl
from markupsafe import Markup, escape

from transforms.report_text import environment

BOX_WIDTH, BOX_HEIGHT = 640, 120
TREND_WIDTH, TREND_HEIGHT = 640, 260
MARGIN = 48
CHART_COLUMNS = ("reliability", "projected_text", "p10", "p25", "median", "p75", "p90", "p10_text", "p25_text", "median_text",
                 "p75_text", "p90_text", "trend", "projected", "pi_low", "pi_high", "pi80_low", "pi80_high",
                 "target_year")


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
        f'<text x="{x(v):.1f}" y="{104 if i % 2 else 20}" text-anchor="middle" class="lbl">'
        f'{escape(name)} {escape(record.get(key + "_text") or "")}</text>'
        for i, (name, key, v) in enumerate((("p10", "p10", p10), ("p25", "p25", p25), ("median", "median", median),
                                            ("p75", "p75", p75), ("p90", "p90", p90))))
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
    """Both charts of one report (empty markup when the cell has no figures)."""
    if record.get("reliability") == "suppress":
        return {"box": Markup(""), "trend": Markup("")}
    return {"box": box_chart(record), "trend": trend_chart(record)}


def index_page(reports: pl.DataFrame) -> str:
    """DIR/reports/index.html: every report in a table, with a text filter (vanilla JS)."""
    rows = reports.select("role_label", "region", "slug_role", "slug_region", "reliability").sort(
        ["role_label", "region"]).to_dicts()
    return environment(True).get_template("index.html.j2").render(rows=rows)
