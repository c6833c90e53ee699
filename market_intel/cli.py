"""The `market-intel` command line (typer). Exit codes: 0 ok, 1 run failed, 2 bad arguments or spec."""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from market_intel.prefect_env import configure_prefect_environment

configure_prefect_environment()

from market_intel.settings import get_settings, parse_as_of  # noqa: E402

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Compensation market intelligence from raw postings and salary reports.")


def _fail(code: int, message: str) -> None:
    typer.echo(f"market-intel: {message}", err=True)
    raise typer.Exit(code)


@app.callback()
def _check_settings() -> None:
    """Every command: a MARKET_INTEL_* variable that does not parse exits 2 naming it (it was a
    multi-line pydantic error inside "run failed", exit 1, or a traceback)."""
    from pydantic import ValidationError

    try:
        get_settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        name = f"MARKET_INTEL_{str(error['loc'][0]).upper()}" if error["loc"] else "MARKET_INTEL_*"
        _fail(2, f"{name}={error.get('input')!r}: {error['msg']}")
    workers = os.environ.get("MARKET_INTEL_STAGE_WORKERS")
    if workers is not None:
        try:
            int(workers)
        except ValueError:
            _fail(2, f"MARKET_INTEL_STAGE_WORKERS={workers!r}: expected a whole number of files staged at once")


def _validate_specs(sources: list[str] | None) -> list[Path]:
    """Every spec loads, and every CSV header / Parquet schema has the mapped columns (exit 2 if not)."""
    from flows.nightly import discover_specs
    from transforms.specs import SpecError, check_unique_names, load_spec, resolve_files
    from transforms.staging import check_header

    paths = discover_specs(sources, get_settings())
    if not paths:
        _fail(2, f"no source specs given and none in {get_settings().sources_dir}")
    specs = []
    for path in paths:
        if not path.exists():
            _fail(2, f"{path}: spec file not found")
        try:
            specs.append(load_spec(path))
            check_unique_names(specs)
            for file in resolve_files(specs[-1]):
                check_header(specs[-1], file)
        except SpecError as exc:
            _fail(2, str(exc))
    return paths


class _QuietSpecErrors(logging.Filter):
    """Drops Prefect's console records of a SpecError raised inside the flow (a JSON lines key or an
    encoding that only staging can check): tracebacks and 'Finished in state Failed' lines. The CLI
    prints the error once, as its one-line reason, and exits 2."""

    def filter(self, record: logging.LogRecord) -> bool:
        from transforms.specs import SpecError

        if record.exc_info and isinstance(record.exc_info[1], SpecError):
            return False
        return not (record.levelno >= logging.ERROR and "SpecError" in record.getMessage())


def _quiet_spec_errors_on_the_console() -> None:
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and not any(
                isinstance(f, _QuietSpecErrors) for f in handler.filters):
            handler.addFilter(_QuietSpecErrors())


def execute_run(sources: list[str] | None, out: Path | None, as_of: str | None, full_refresh: bool,
                task_runner: str = "thread", dask_address: str | None = None, lock_wait: float = 0.0) -> dict:
    """Validate, take the run lock, run the flow; raises on failure."""
    from flows.nightly import nightly

    settings = get_settings()
    out_dir = (out or settings.out_dir).resolve()
    spec_paths = _validate_specs(sources)
    if out_dir.exists() and not out_dir.is_dir():
        _fail(2, f"--out: {out_dir} is a file, not a directory")
    from market_intel.publish import OUT_DIR_FORBIDDEN, out_dir_is_usable

    if not out_dir_is_usable(out_dir):  # publish refuses it, after the whole run (exit 1)
        _fail(2, f"--out: {out_dir} contains glob or quote characters ({OUT_DIR_FORBIDDEN}) that the catalog's "
                 "paths cannot carry")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail(2, f"--out: cannot create {out_dir}: {exc.strerror}")
    flow_fn = nightly
    if task_runner == "dask":
        from prefect_dask import DaskTaskRunner

        runner = (DaskTaskRunner(address=dask_address) if dask_address else
                  DaskTaskRunner(cluster_kwargs={"n_workers": 2, "threads_per_worker": 1, "processes": True,
                                                 "dashboard_address": None, "host": "127.0.0.1"}))
        flow_fn = nightly.with_options(task_runner=runner)
    elif task_runner != "thread":
        _fail(2, f"--task-runner: expected thread or dask, got {task_runner!r}")
    _quiet_spec_errors_on_the_console()
    return flow_fn(as_of=parse_as_of(as_of).isoformat(), sources=[str(p) for p in spec_paths],
                   out_dir=str(out_dir), full_refresh=full_refresh, lock_wait_seconds=lock_wait)


def _print_summary(summary: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"run {summary['run_id']}")
    for column in ("source", "rows_read", "rows_kept", "rows_rejected", "rows_duplicate"):
        table.add_column(column, justify="left" if column == "source" else "right")
    for row in summary["accounting"]:
        table.add_row(row["source"], *(f"{row[c]:,}" for c in ("rows_read", "rows_kept", "rows_rejected",
                                                                 "rows_duplicate")))
    console.print(table)
    console.print(f"cells by reliability: {summary['cells_by_reliability']}")
    console.print(f"backtest: {summary['backtest']}")
    console.print(f"catalog:  {summary['catalog']}  (duckdb -readonly {summary['catalog']})")
    console.print(f"reports:  {summary['reports_dir']}/index.html ({summary['reports']} reports)")


@app.command()
def run(
    source: Optional[List[str]] = typer.Option(None, "--source", help="spec YAML (repeatable); default: data/sources/*.yaml"),
    out: Optional[Path] = typer.Option(None, "--out", help="output directory (default outputs/)"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="YYYY-MM-DD (default today)"),
    full_refresh: bool = typer.Option(False, "--full-refresh", help="ignore the staging cache"),
    task_runner: str = typer.Option("thread", "--task-runner", help="thread | dask"),
    dask_address: Optional[str] = typer.Option(None, "--dask-address", help="tcp://HOST:PORT of a Dask scheduler"),
    wait: float = typer.Option(0.0, "--wait", help="seconds to wait for another run's lock"),
) -> None:
    """One nightly run now (manual trigger)."""
    from market_intel.runinfo import RunLocked
    from transforms.specs import SpecError

    if as_of is not None:
        try:
            parse_as_of(as_of)
        except ValueError:
            _fail(2, f"--as-of: expected YYYY-MM-DD, got {as_of!r}")
    if dask_address is not None:
        if task_runner != "dask":
            _fail(2, f"--dask-address: only with --task-runner dask (the run would ignore it: --task-runner is "
                     f"{task_runner!r})")
        from distributed.comm.addressing import get_address_host_port

        try:
            get_address_host_port(dask_address)
        except ValueError as exc:
            _fail(2, f"--dask-address: expected tcp://HOST:PORT, got {dask_address!r} ({exc})")
    try:
        summary = execute_run(source, out, as_of, full_refresh, task_runner, dask_address, wait)
    except typer.Exit:
        raise
    except RunLocked as exc:
        _fail(1, str(exc))
    except SpecError as exc:  # found while staging (a JSON lines key, an encoding): a bad spec all the same
        _fail(2, str(exc))
    except Exception as exc:  # the previous publish is untouched: publish is the last, atomic step
        _fail(1, f"run failed ({type(exc).__name__}): {exc}; the previous publish is untouched")
    _print_summary(summary)


@app.command()
def generate(
    rows: int = typer.Option(..., "--rows", min=1),
    seed: int = typer.Option(..., "--seed"),
    out: Path = typer.Option(..., "--out"),
) -> None:
    """Write the seeded synthetic market: raw files, specs and ground truth."""
    from transforms.synthetic import generate_market

    result = generate_market(rows=rows, seed=seed, out=out)
    typer.echo(f"wrote {rows:,} rows under {out} ({result})")


@app.command("run-default", hidden=True)
def run_default(as_of: Optional[str] = typer.Option(None, "--as-of")) -> None:
    """`make run`: generate the embedded market into data/raw if it is empty, then run."""
    from transforms.synthetic import generate_market

    settings = get_settings()
    raw = settings.raw_dir
    if not raw.exists() or not any(raw.iterdir()):
        typer.echo(f"data/raw is empty: generating the default synthetic market ({settings.default_rows:,} rows, "
                   f"seed {settings.default_seed})")
        generate_market(rows=settings.default_rows, seed=settings.default_seed, out=settings.data_dir)
    run(source=None, out=None, as_of=as_of, full_refresh=False, task_runner="thread", dask_address=None, wait=0.0)


@app.command()
def serve() -> None:
    """Serve the nightly deployment (cron schedule) against a Prefect server (PREFECT_API_URL)."""
    from flows.serve import ScheduleError, nightly_schedule, serve_nightly

    try:
        nightly_schedule(get_settings())
    except ScheduleError as exc:  # was a traceback (exit 1), or the server refusing the deployment
        _fail(2, str(exc))
    serve_nightly()


@app.command()
def report(role: str = typer.Argument(...), region: str = typer.Argument(...),
           out: Optional[Path] = typer.Option(None, "--out")) -> None:
    """Print one report's Markdown."""
    from market_intel import publish

    out_dir = (out or get_settings().out_dir).resolve()
    try:
        frame = publish.query(out_dir, "select markdown from reports where role_label = $role and region = $region",
                              params={"role": role, "region": region})
    except FileNotFoundError as exc:  # no catalog yet: like `query`, one line and exit 2 (was a traceback, exit 1)
        _fail(2, str(exc))
    if frame.height == 0:
        _fail(2, f"no report for role {role!r} in region {region!r} (see `market-intel query "
                 f"\"select role_label, region from reports\"`)")
    typer.echo(frame.item(0, 0))


@app.command()
def query(sql: str = typer.Argument(...), out: Optional[Path] = typer.Option(None, "--out"),
          csv: Optional[Path] = typer.Option(None, "--csv", help="also write the result as spreadsheet-safe CSV")) -> None:
    """Run read-only SQL on the published catalog and print a table."""
    import polars as pl

    from market_intel import publish

    out_dir = (out or get_settings().out_dir).resolve()
    try:
        frame = publish.query(out_dir, sql)
    except Exception as exc:
        _fail(2, f"query failed: {exc}")
    if csv is not None:
        from market_intel.export import write_safe_csv

        try:
            write_safe_csv(frame, csv)
        except OSError as exc:  # a folder that does not exist, no permission: was a traceback, exit 1
            _fail(2, f"--csv: cannot write {csv}: {exc.strerror or exc}")
    with pl.Config(tbl_rows=50, tbl_cols=30, fmt_str_lengths=60, tbl_width_chars=200):
        typer.echo(str(frame))


def main() -> None:  # pragma: no cover
    sys.exit(app())


if __name__ == "__main__":
    app()
