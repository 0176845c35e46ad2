"""Where things live. Every path can be set from the environment; defaults suit a clone.

GRANDSTAND_HOME      working area (default: <repo>/var)
GRANDSTAND_LANDING   the club's landing folder of nightly exports (default: $HOME/landing,
                     where `grandstand generate` writes demo data) -- point it at real exports
GRANDSTAND_AS_OF     as-of date YYYY-MM-DD of a run (default: newest export date landed)
GRANDSTAND_FULL_REFRESH  1 to rebuild the incremental models whole (`grandstand run
                     --full-refresh`); a night does it by itself when their SQL changed
GRANDSTAND_DBT_DOCS  0 to skip the dbt docs page after the report (default 1: built)
GRANDSTAND_MEMORY    DuckDB's memory budget in every step, ingestion, dbt, checks and publish
                     (default 6GB: what a 2-core / 8 GB machine can give, leaving room for
                     Python); beyond it DuckDB spills to disk instead of growing
GRANDSTAND_THREADS   DuckDB's worker threads in every step (default 2)
GRANDSTAND_DBT_VARS  dbt vars for this run, over dbt_project.yml's, as a JSON object, e.g.
                     '{"privacy_retention_months": 24}' (default: none)
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
SEEDS_DIR = REPO_ROOT / "seeds"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"


@dataclass(frozen=True)
class Paths:
    home: Path
    landing: Path

    @property
    def warehouse(self) -> Path:
        """The working DuckDB file: written by ingestion and dbt, never read by BI."""
        return self.home / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        """Directory BI tools read: grandstand.duckdb, parquet/, report/."""
        return self.home / "published"

    @property
    def activation(self) -> Path:
        """Directory the marketing tool reads (contact details of consenting fans): never
        BI's."""
        return self.home / "activation"

    @property
    def dbt_state(self) -> Path:
        """The production build's dbt manifest, which dev builds defer to (--state)."""
        return self.home / "dbt_state"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster_home"


def paths() -> Paths:
    home = Path(os.environ.get("GRANDSTAND_HOME", REPO_ROOT / "var")).resolve()
    landing = Path(os.environ.get("GRANDSTAND_LANDING", home / "landing")).resolve()
    return Paths(home=home, landing=landing)


@lru_cache(maxsize=1)
def _project_vars() -> dict:
    return yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


def project_var(name: str):
    """A dbt var's value in dbt_project.yml: the one home of the project's settings, read
    by the Python steps too (e.g. the file quality policy)."""
    return _project_vars()[name]


def asset_owners() -> list[str]:
    """Dagster owners of every Grandstand asset (the dbt var asset_owners)."""
    return list(project_var("asset_owners"))


def duckdb_config() -> dict[str, str]:
    """DuckDB settings of every connection Grandstand opens (GRANDSTAND_MEMORY,
    GRANDSTAND_THREADS): Python's through :func:`connect_duckdb`, GX's through its connection
    string, dbt's through profiles.yml (orchestration/dbt.py passes them on)."""
    return {
        "memory_limit": os.environ.get("GRANDSTAND_MEMORY", "6GB"),
        "threads": os.environ.get("GRANDSTAND_THREADS", "2"),
    }


def connect_duckdb(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to a DuckDB file within the memory budget and threads."""
    import duckdb

    return duckdb.connect(str(path), read_only=read_only, config=duckdb_config())


def parse_as_of_date(text: str) -> str:
    """An as-of date given by a user (--as-of, GRANDSTAND_AS_OF, the UI's run config) as
    YYYY-MM-DD, or ValueError saying why not: checked before a run starts, not by dbt."""
    try:
        return dt.date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise ValueError(f"as-of date {text!r} is not a calendar date YYYY-MM-DD") from None


def dbt_var_overrides() -> dict:
    """The dbt vars GRANDSTAND_DBT_VARS sets for a run (over the project's), or ValueError
    saying why they cannot be read."""
    text = os.environ.get("GRANDSTAND_DBT_VARS", "").strip()
    if not text:
        return {}
    try:
        overrides = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"GRANDSTAND_DBT_VARS is not JSON: {e}") from None
    if not isinstance(overrides, dict):
        raise ValueError('GRANDSTAND_DBT_VARS must be a JSON object: {"var": value, ...}')
    return overrides


def sql_literal(text: str | Path) -> str:
    """``text`` as a single-quoted SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """``name`` as a double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def dbt_docs_enabled() -> bool:
    """Whether a run rebuilds the dbt docs page next to the report (GRANDSTAND_DBT_DOCS)."""
    return os.environ.get("GRANDSTAND_DBT_DOCS", "1") != "0"
