"""One typed settings object for the whole project (environment prefix MARKET_INTEL_)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every tunable of the pipeline; override with MARKET_INTEL_<NAME> environment variables."""

    model_config = SettingsConfigDict(env_prefix="MARKET_INTEL_", extra="ignore")

    project_root: Path = PROJECT_ROOT
    data_dir: Path = PROJECT_ROOT / "data"
    out_dir: Path = PROJECT_ROOT / "outputs"
    sql_dir: Path = PROJECT_ROOT / "sql"

    # synthetic default market
    default_rows: int = 200_000
    default_seed: int = 20260101

    # cleaning
    outlier_rule_enabled: bool = True
    outlier_mad_threshold: float = Field(3.5, description="robust z on log annual pay within role")
    posting_duplicate_window_days: int = 7
    posting_duplicate_pay_tolerance: float = 0.05
    min_annual_pay_usd: float = 1_000.0
    max_annual_pay_usd: float = 5_000_000.0

    # statistics
    min_n_publish: int = 10
    cv_publish: float = 0.165
    cv_warn: float = 0.333
    premium_min_n_with: int = 30
    bootstrap_seed: int = 7

    # projections (transforms/projections.py picks up every projection_* field)
    projection_min_n: int = 5
    projection_max_years: int = 6
    projection_min_years_for_trend: int = 3
    projection_root_growth_prior: float = 0.03
    projection_root_growth_prior_sd: float = 0.05
    projection_level_persistence: float = 0.0

    # fault injection for the reliability tests: the run SIGKILLs itself right after this stage
    # (stage, observations, marts, projections, reports); never set in production
    fault_after_stage: str | None = None

    # orchestration
    schedule_cron: str = "0 2 * * *"
    schedule_timezone: str | None = None  # None: the machine's local zone (flows.serve.schedule_timezone)
    snapshots_to_keep: int = 3

    @property
    def reference_dir(self) -> Path:
        return self.data_dir / "reference"

    @property
    def sources_dir(self) -> Path:
        return self.data_dir / "sources"

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"


def get_settings(**overrides) -> Settings:
    return Settings(**overrides)


def parse_as_of(value: str | date | None) -> date:
    if value is None:
        return date.today()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)
