"""Where things live. Every path can be set from the environment; defaults suit a clone.

GRANDSTAND_HOME      working area (default: <repo>/var)
GRANDSTAND_LANDING   the club's landing folder of nightly exports (default: $HOME/landing,
                     where `grandstand generate` writes demo data) -- point it at real exports
GRANDSTAND_AS_OF     as-of date YYYY-MM-DD of a run (default: newest export date landed)
GRANDSTAND_DBT_DOCS  0 to skip the dbt docs page after the report (default 1: built)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

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


def dbt_docs_enabled() -> bool:
    """Whether a run rebuilds the dbt docs page next to the report (GRANDSTAND_DBT_DOCS)."""
    return os.environ.get("GRANDSTAND_DBT_DOCS", "1") != "0"
