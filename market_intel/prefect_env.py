"""Offline Prefect defaults, applied before Prefect is imported (see ../shared/docs/stack.md).

Prefect reads its settings from the environment at import time, so this is the one place that
writes environment variables; explicit values from the operator always win (setdefault).
"""
from __future__ import annotations

import os

from market_intel.settings import PROJECT_ROOT

OFFLINE_DEFAULTS = {
    "PREFECT_HOME": str(PROJECT_ROOT / ".prefect"),
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_UI_ENABLED": "false",
}


def configure_prefect_environment() -> None:
    for key, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(key, value)
