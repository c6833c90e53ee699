"""The served schedule: the contract's "cron, default 02:00 local" (../shared/docs/contract.md)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT_SCHEDULE = ("from flows.serve import nightly_schedule; from market_intel.settings import get_settings; "
                  "s = nightly_schedule(get_settings()); print(s.cron, s.timezone)")


def served_schedule(**env: str) -> str:
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET_INTEL_") and k != "TZ"}
    run_env.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, "-c", PRINT_SCHEDULE], cwd=ROOT, env=run_env, capture_output=True,
                          text=True, check=True, timeout=120).stdout.strip()


def test_the_nightly_cron_runs_at_two_in_the_machines_zone_unless_a_zone_is_set():
    """It ran at 02:00 UTC wherever the machine was (the setting's default was "UTC")."""
    assert served_schedule(TZ="America/Toronto") == "0 2 * * * America/Toronto"
    assert served_schedule(TZ="America/Toronto", MARKET_INTEL_SCHEDULE_TIMEZONE="UTC") == "0 2 * * * UTC"
    assert served_schedule(TZ="Asia/Kolkata", MARKET_INTEL_SCHEDULE_CRON="30 1 * * *") == "30 1 * * * Asia/Kolkata"
