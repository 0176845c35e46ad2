"""DuckDB's memory budget and threads come from one setting (GRANDSTAND_MEMORY,
GRANDSTAND_THREADS) and reach every step: Python's connections, GX's and dbt's."""

from __future__ import annotations

from pathlib import Path

import great_expectations as gx
import pytest
import sqlalchemy
import yaml

from orchestration import gx_duckdb
from orchestration.dbt import dbt_environment
from orchestration.settings import DBT_PROJECT_DIR, connect_duckdb

SETTINGS = "select current_setting('memory_limit'), current_setting('threads')"


@pytest.fixture
def budget(monkeypatch) -> tuple[str, int]:
    monkeypatch.setenv("GRANDSTAND_MEMORY", "1GiB")
    monkeypatch.setenv("GRANDSTAND_THREADS", "1")
    return ("1.0 GiB", 1)


def test_python_connections_use_the_budget(tmp_path: Path, budget):
    with connect_duckdb(tmp_path / "w.duckdb") as con:
        assert con.execute(SETTINGS).fetchone() == budget


def test_gx_connections_use_the_budget(tmp_path: Path, budget):
    path = tmp_path / "w.duckdb"
    with connect_duckdb(path) as con:
        con.execute("create table t as select 1 as a")
    context = gx.get_context(mode="ephemeral")
    with gx_duckdb.duckdb_datasource(context, path) as datasource:
        engine = datasource.get_execution_engine().engine
        with engine.connect() as connection:
            assert tuple(connection.execute(sqlalchemy.text(SETTINGS)).one()) == budget


def test_dbt_gets_the_budget_through_its_profile(budget):
    environment = dbt_environment()
    assert (environment["GRANDSTAND_MEMORY"], environment["GRANDSTAND_THREADS"]) == ("1GiB", "1")
    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    for target in ("prod", "dev"):  # the nightly's and an analyst's
        settings = profile["grandstand"]["outputs"][target]["settings"]
        assert "env_var('GRANDSTAND_MEMORY'" in settings["memory_limit"]
        assert "env_var('GRANDSTAND_THREADS'" in settings["threads"]
