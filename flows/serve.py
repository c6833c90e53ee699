"""Serve the nightly deployment on a cron schedule against a running Prefect server.

Start a server bound to loopback first (`prefect server start --host 127.0.0.1`) and point
PREFECT_API_URL at it; manual runs: `prefect deployment run 'nightly/nightly' --param as_of=2026-01-15`.
"""
from __future__ import annotations

from prefect.schedules import Cron

from flows.nightly import nightly
from market_intel.settings import get_settings

DEPLOYMENT_NAME = "nightly"


def deployment_parameters() -> dict:
    """Defaults of the scheduled run: today's as_of, every spec in data/sources/, incremental."""
    settings = get_settings()
    return {"as_of": None, "sources": None, "out_dir": str(settings.out_dir), "full_refresh": False}


def serve_nightly(limit: int | None = None) -> None:
    settings = get_settings()
    nightly.serve(
        name=DEPLOYMENT_NAME,
        schedules=[Cron(settings.schedule_cron, timezone=settings.schedule_timezone)],
        parameters=deployment_parameters(),
        description="Nightly market-intel run: stage, build, project, report, publish.",
        tags=["market-intel"],
        limit=limit,
    )
