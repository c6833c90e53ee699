"""Regenerates the measured tables in BENCHMARKS.md from benchmarks/results/*.json.

Only the text between the `<!-- bench:results:start -->` and `<!-- bench:results:end -->` markers is
rewritten; the hand-written profile and analysis sections around it stay as they are.
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
START = "<!-- bench:results:start -->"
END = "<!-- bench:results:end -->"

TARGET_LABELS = {
    "full_vs_baseline_ratio_10m": ("10M full run / baseline (Prefect start-up excluded)", "<= {:g}x"),
    "peak_rss_gb_10m": ("10M peak RSS, whole process tree", "<= {:g} GB"),
    "peak_rss_gb_100m": ("100M peak RSS, whole process tree", "<= {:g} GB"),
    "time_vs_10m_ratio_100m": ("100M wall time / 10M wall time", "<= {:g}x"),
    "incremental_share_of_full": ("incremental run (+1 % files) / full run", "<= {:g}"),
    "reports_10k_seconds": ("10,000 reports rendered (in-process)", "<= {:g} s"),
}


def _fmt(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def targets_table(latest: dict[int, dict], targets: dict[str, float]) -> list[str]:
    lines = ["| target | limit | measured | size | result |", "|---|---:|---:|---:|---|"]
    for name, limit in targets.items():
        label, limit_fmt = TARGET_LABELS[name]
        found = [(rows, rec["targets"][name]) for rows, rec in sorted(latest.items()) if name in rec.get("targets", {})]
        if not found:
            lines.append(f"| {label} | {limit_fmt.format(limit)} | not measured yet | – | – |")
            continue
        for rows, check in found:
            lines.append(f"| {label} | {limit_fmt.format(limit)} | {check['value']:g} | {rows:,} | "
                         f"{'pass' if check['pass'] else '**miss**'} |")
    return lines


def sizes_table(latest: dict[int, dict]) -> list[str]:
    lines = ["| measure | " + " | ".join(f"{rows:,} rows" for rows in sorted(latest)) + " |",
             "|---|" + "---:|" * len(latest)]

    def row(label: str, get, digits: int = 1) -> None:
        cells = []
        for rows in sorted(latest):
            try:
                cells.append(_fmt(get(latest[rows]), digits))
            except (KeyError, TypeError):
                cells.append("–")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row("full run wall (s)", lambda r: r["full_run"]["wall_seconds"])
    row("full run inside the flow, sum of stages (s)", lambda r: r["full_run"]["stage_total_seconds"])
    row("Prefect start-up + teardown in the full run (s)", lambda r: r["full_run"]["prefect_overhead_seconds"])
    row("trivial flow in a fresh process (s)", lambda r: r["prefect_startup"]["wall_seconds"])
    row("full run peak RSS, process tree (MB)", lambda r: r["full_run"]["peak_rss_mb"])
    row("full run rows/s (wall)", lambda r: r["full_run"]["rows_per_second"])
    row("full run CPU, process tree (s)", lambda r: r["full_run"]["cpu_seconds"])
    row("full run cores busy (CPU / wall)", lambda r: r["full_run"]["cores_busy"], 2)
    row("full run read from disk (MB, page-cache misses)", lambda r: r["full_run"]["disk_read_mb"])
    row("raw files read into the page cache before the baseline (MB)", lambda r: r["page_cache_warmup"]["bytes_read"] / 2**20)
    row("baseline wall (s)", lambda r: r["baseline"]["wall_seconds"])
    row("baseline peak RSS (MB)", lambda r: r["baseline"]["peak_rss_mb"])
    row("baseline CPU (s)", lambda r: r["baseline"]["cpu_seconds"])
    row("baseline read from disk (MB)", lambda r: r["baseline"]["disk_read_mb"])
    row("ratio full / baseline (wall)", lambda r: r["ratio_to_baseline"], 2)
    row("ratio full / baseline (Prefect excluded)", lambda r: r["ratio_to_baseline_excluding_prefect"], 2)
    stages = sorted({s for rec in latest.values() for s in rec.get("full_run", {}).get("stage_timings", {})})
    for stage in ("stage", "observations", "marts", "projections", "reports", "publish"):
        if stage in stages:
            row(f"  stage `{stage}` (s)", lambda r, s=stage: r["full_run"]["stage_timings"][s])
    row("incremental run wall (s)", lambda r: r["incremental_run"]["wall_seconds"])
    row("incremental rows added", lambda r: r["incremental_run"]["rows_added"])
    row("incremental staged files from cache / all", lambda r: f"{r['incremental_run']['staged_files_from_cache']} / "
                                                           f"{r['incremental_run']['staged_files']}")
    row("incremental / full (wall)", lambda r: r["incremental_run"]["share_of_full"], 2)
    row("incremental / full (Prefect excluded)", lambda r: r["incremental_run"]["share_of_full_excluding_prefect"], 2)
    row("  incremental stage `stage` (s)", lambda r: r["incremental_run"]["stage_timings"]["stage"])
    row("  incremental stage `observations` (s)", lambda r: r["incremental_run"]["stage_timings"]["observations"])
    row("  incremental stage `marts` (s)", lambda r: r["incremental_run"]["stage_timings"]["marts"])
    row("10,000 reports: build (s)", lambda r: r["reports"]["build_seconds"])
    row("10,000 reports: write files (s)", lambda r: r["reports"]["write_seconds"])
    row("measured at", lambda r: r["measured_at"])
    row("code (git / digest)", lambda r: f"{r['code']['git_revision']} / {r['code']['code_digest']}")
    return lines


def machine_lines(latest: dict[int, dict]) -> list[str]:
    lines = []
    for rows, rec in sorted(latest.items()):
        m = rec["machine"]
        lines.append(f"- {rows:,} rows: {m['cpu']}, {m['cores_logical']} logical cores, {m['memory_gb']} GB RAM, "
                     f"Python {m['python']}, load average at start {m['load_average_at_start']} "
                     f"(shared machine); command `{rec['command']}`")
    return lines


def results_block(latest: dict[int, dict], targets: dict[str, float]) -> str:
    parts = [START, "", "### Targets", "", *targets_table(latest, targets), "", "### Measured values", ""]
    parts += sizes_table(latest) if latest else ["No results yet: run `make bench`."]
    parts += ["", "### Machine and command", "", *machine_lines(latest), "", END]
    return "\n".join(parts)


def update_benchmarks_md(latest: dict[int, dict], targets: dict[str, float], path: Path = BENCHMARKS_MD) -> None:
    """Rewrite the generated block of BENCHMARKS.md (appending it when the markers are missing)."""
    block = results_block(latest, targets)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
