"""The run id and code version: the same inputs, code and output-shaping settings give the same id."""
from __future__ import annotations

from datetime import date

import pytest

from market_intel.runinfo import code_digest, run_identity
from market_intel.settings import get_settings

INPUTS = [{"source": "a", "file": "/x/a.csv", "sha256": "0" * 64}]


@pytest.mark.parametrize("override", [{"snapshots_to_keep": 7}, {"schedule_cron": "30 4 * * *"},
                                      {"schedule_timezone": "Asia/Kolkata"}, {"fault_after_stage": "reports"},
                                      {"default_rows": 12_000}, {"default_seed": 1}])
def test_settings_that_shape_no_output_leave_the_code_version_and_run_id_alone(override):
    """The run id is printed in every report (Markdown and HTML) and keys the staging cache: a retention
    count, the served schedule or the synthetic generator's defaults changed all 4,353 reports' bytes and
    restaged every raw file (a scheduled run with MARKET_INTEL_SCHEDULE_CRON set and a manual run without
    it on the same inputs had two run ids)."""
    base, other = get_settings(), get_settings(**override)
    assert code_digest(other) == code_digest(base)
    day = date(2026, 12, 7)
    assert run_identity(day, INPUTS, code_digest(other)) == run_identity(day, INPUTS, code_digest(base))


@pytest.mark.parametrize("override", [{"outlier_mad_threshold": 3.0}, {"min_n_publish": 12},
                                      {"posting_duplicate_window_days": 3}, {"projection_max_years": 4}])
def test_settings_that_shape_outputs_change_the_code_version(override):
    assert code_digest(get_settings(**override)) != code_digest(get_settings())
