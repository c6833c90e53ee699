"""Shared fixtures: one Prefect test server per session, one end-to-end run of the default market."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="mi-prefect-home-"))
from market_intel.prefect_env import configure_prefect_environment  # noqa: E402

configure_prefect_environment()

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
E2E_AS_OF = "2026-03-01"
E2E_ROWS = 200_000
E2E_SEED = 20260101


def shared_data(*parts: str) -> Path:
    """A file of ../shared/data; tests that need it fail (not skip) when it is missing."""
    path = SHARED_DATA.joinpath(*parts)
    assert path.exists(), f"real dataset missing: {path}"
    return path


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield


@dataclass(frozen=True)
class MarketRun:
    market_dir: Path  # generate --out DIR: raw/, sources/, truth/
    out_dir: Path  # published outputs
    summary: dict

    @property
    def catalog(self) -> Path:
        return self.out_dir / "warehouse.duckdb"

    def specs(self) -> list[str]:
        return sorted(str(p) for p in (self.market_dir / "sources").glob("*.yaml"))

    def sql(self, query: str, params: dict | None = None):
        import duckdb

        con = duckdb.connect(str(self.catalog), read_only=True)
        try:
            return con.sql(query, params=params).pl() if params else con.sql(query).pl()
        finally:
            con.close()


@pytest.fixture(scope="session")
def default_market_run(tmp_path_factory, prefect_harness) -> MarketRun:
    """The embedded default market (fixed seed), generated and run once for the whole session.

    For development, MARKET_INTEL_TEST_REUSE="MARKET_DIR:OUT_DIR" reuses a market and a run made
    by hand with the same rows, seed and as_of (never set in CI).
    """
    from flows.nightly import nightly

    reuse = os.environ.get("MARKET_INTEL_TEST_REUSE")
    if reuse:
        market_dir, out_dir = (Path(p) for p in reuse.split(":"))
        return MarketRun(market_dir=market_dir, out_dir=out_dir, summary={})
    from transforms.synthetic import generate_market

    base = tmp_path_factory.mktemp("default-market")
    market = base / "market"
    generate_market(rows=E2E_ROWS, seed=E2E_SEED, out=market)
    specs = sorted(str(p) for p in (market / "sources").glob("*.yaml"))
    summary = nightly(as_of=E2E_AS_OF, sources=specs, out_dir=str(base / "out"))
    return MarketRun(market_dir=market, out_dir=base / "out", summary=summary)
