"""Serve the nightly deployment on a cron schedule against a running Prefect server.

Start a server bound to loopback first (`prefect server start --host 127.0.0.1`) and point
PREFECT_API_URL at it; manual runs: `prefect deployment run 'nightly/nightly' --param as_of=2026-01-15`.
"""
from __future__ import annotations

from prefect.schedules import Cron, Schedule

from flows.nightly import nightly
from market_intel.settings import Settings, get_settings

DEPLOYMENT_NAME = "nightly"


class ScheduleError(ValueError):
    """MARKET_INTEL_SCHEDULE_CRON or MARKET_INTEL_SCHEDULE_TIMEZONE cannot be served; str() is one line."""


def deployment_parameters() -> dict:
    """Defaults of the scheduled run: today's as_of, every spec in data/sources/, incremental."""
    settings = get_settings()
    return {"as_of": None, "sources": None, "out_dir": str(settings.out_dir), "full_refresh": False}


def schedule_timezone(settings: Settings) -> str:
    """MARKET_INTEL_SCHEDULE_TIMEZONE, or else the machine's local zone (the contract's "default 02:00
    local"; Prefect reads a cron without a zone as UTC)."""
    if settings.schedule_timezone:
        return settings.schedule_timezone
    from tzlocal import get_localzone_name

    try:
        return get_localzone_name() or "UTC"
    except Exception:  # noqa: BLE001 - no zone can be found (a bare container): UTC
        return "UTC"


def nightly_schedule(settings: Settings) -> Schedule:
    """The served cron schedule, checked as the Prefect server will check it (ScheduleError if not valid)."""
    from prefect.client.schemas.schedules import CronSchedule
    from pydantic import ValidationError

    timezone = schedule_timezone(settings)
    try:
        CronSchedule(cron=settings.schedule_cron, timezone=timezone)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = "cron" if error["loc"] and error["loc"][0] == "cron" else "timezone"
        value = settings.schedule_cron if field == "cron" else timezone
        message = str(error["msg"]).removeprefix("Value error, ").splitlines()[0]
        raise ScheduleError(f"MARKET_INTEL_SCHEDULE_{field.upper()}={value!r}: {message}") from exc
    return Cron(settings.schedule_cron, timezone=timezone)


def serve_nightly(limit: int | None = None) -> None:
    nightly.serve(
        name=DEPLOYMENT_NAME,
        schedules=[nightly_schedule(get_settings())],
        parameters=deployment_parameters(),
        description="Nightly market-intel run: stage, build, project, report, publish.",
        tags=["market-intel"],
        limit=limit,
    )
