"""Shared fixtures: one generated landing zone and one nightly run per test session.

The end-to-end fixture runs the real Dagster job (ingest -> dbt -> checks -> publish) on a
small generated landing zone in a temporary GRANDSTAND_HOME; tests check the outcome against
the generator's truth (`<landing>/_truth`).
"""

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

_exit_status = {"code": 0}


def pytest_sessionfinish(session, exitstatus):
    _exit_status["code"] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Leave as soon as pytest is done: DuckDB's Python bindings (nanobind) print reference
    -leak reports at interpreter teardown once Great Expectations has loaded them, which
    would bury pytest's closing summary line. An xdist worker ends the usual way: its
    controller prints the summary."""
    if hasattr(config, "workerinput"):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status["code"])


# Session fixtures that build a whole warehouse: under pytest-xdist (`make test` runs two
# workers) every test that uses one runs on the same worker, so each is built once.
SHARED_WAREHOUSES = ("nightly", "kpi", "fan_warehouse")
# The groups that take longest start first, one per worker, so neither waits behind the
# short ones at the end (`make test` passes --no-loadscope-reorder: xdist would otherwise
# order groups by their number of tests).
LONGEST_GROUPS = ("test_kill", "nightly")


def xdist_group_of(item) -> str:
    """By the shared warehouse a test reads, else by module (module fixtures are built once
    too)."""
    shared = [name for name in SHARED_WAREHOUSES if name in item.fixturenames]
    return shared[0] if shared else item.module.__name__


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items):
    """Group tests for `--dist loadgroup` and start the longest groups first."""
    for item in items:
        item.add_marker(pytest.mark.xdist_group(xdist_group_of(item)))

    def start_rank(item) -> int:
        group = xdist_group_of(item)
        return LONGEST_GROUPS.index(group) if group in LONGEST_GROUPS else len(LONGEST_GROUPS)

    items.sort(key=start_rank)  # stable: the rest keep their collection order


E2E_FANS = 1200
E2E_SEED = 20261123

# The dbt docs page is tested on its own (test_kpi_report); the suite's many nightly runs,
# in process or through the CLI, skip rebuilding it: each `dbt docs generate` re-reads the
# whole project and warehouse.
os.environ.setdefault("GRANDSTAND_DBT_DOCS", "0")


@dataclass(frozen=True)
class Truth:
    landing: Path

    @property
    def expected(self) -> dict:
        return json.loads((self.landing / "_truth" / "expected.json").read_text())

    @property
    def files_csv(self) -> Path:
        return self.landing / "_truth" / "files.csv"

    @property
    def source_records_csv(self) -> Path:
        return self.landing / "_truth" / "source_records.csv"

    def clean(self, table: str) -> Path:
        return self.landing / "_truth" / "clean" / f"{table}.parquet"


@pytest.fixture(scope="session")
def generated_landing(tmp_path_factory) -> Truth:
    from orchestration.generator import generate

    landing = tmp_path_factory.mktemp("landing")
    generate(landing, fans=E2E_FANS, seed=E2E_SEED)
    return Truth(landing)


@dataclass
class NightlyRun:
    home: Path
    truth: Truth
    results: list  # ExecuteInProcessResult of each run, oldest first

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        return self.home / "published" / "grandstand.duckdb"


def run_nightly(home: Path, landing: Path, **environment: str):
    """Run the nightly job in-process with GRANDSTAND_HOME/LANDING (and any other settings)
    pointed at the given folders; the environment is restored afterwards."""
    import dagster as dg

    settings = {
        "GRANDSTAND_HOME": str(home),
        "GRANDSTAND_LANDING": str(landing),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **environment,
    }
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        from orchestration.definitions import defs

        with dg.DagsterInstance.ephemeral() as instance:
            return defs.resolve_job_def("nightly").execute_in_process(
                instance=instance, raise_on_error=False
            )
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def nightly(tmp_path_factory, generated_landing) -> NightlyRun:
    """The nightly job run twice on the same landing zone (the second run must change
    nothing)."""
    home = tmp_path_factory.mktemp("home")
    first = run_nightly(home, generated_landing.landing)
    run = NightlyRun(home=home, truth=generated_landing, results=[first])
    return run
