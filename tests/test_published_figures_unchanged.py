"""The one-home-per-concept sweep moved figures into marts, the as-of date and the purchase
cut into one model each, and the fan-id state into a registry: it must not have changed a
published figure. The pipeline as it stood before the sweep (BASELINE, taken from git
history) runs on the same generated landing as the current one (the `nightly` fixture);
every table both releases publish must hold the same rows on the columns both have.
Tables and columns the sweep added are new figures, not changed ones. Retention, added
after the sweep, anonymises fans past its window, which changes what their records
contribute: the current night runs with a window wide enough to anonymise nobody.
"""

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.publish import PUBLISHED_DB
from orchestration.settings import REPO_ROOT
from tests.conftest import run_nightly
from tests.published_tables import RUN_STAMPED_COLUMNS

# The last commit before the sweep (issue "One home per concept").
BASELINE = "88335d7"

BASELINE_NIGHT = """
import sys
from pathlib import Path
from tests.conftest import run_nightly
result = run_nightly(Path(sys.argv[1]), Path(sys.argv[2]))
sys.exit(0 if result.success else 1)
"""


def baseline_checkout(destination: Path) -> Path:
    """The BASELINE tree (no .git) under `destination`."""
    if not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout: the baseline comes from git history")
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", BASELINE], capture_output=True, check=True
    ).stdout
    destination.mkdir()
    subprocess.run(["tar", "-x", "-C", str(destination)], input=archive, check=True)
    return destination


@pytest.fixture(scope="module")
def baseline_release(nightly, tmp_path_factory) -> Path:
    """The baseline's published file, from the landing the current night read."""
    work = tmp_path_factory.mktemp("baseline")
    code = baseline_checkout(work / "code")
    home = work / "home"
    # the baseline's package comes first on the path: it shadows the installed checkout
    environment = {"PYTHONPATH": str(code), "GRANDSTAND_DBT_DOCS": "0"}
    done = subprocess.run(
        [sys.executable, "-c", BASELINE_NIGHT, str(home), str(nightly.truth.landing)],
        cwd=code,
        env={**_environment(), **environment},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return home / "published" / PUBLISHED_DB


def _environment() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("GRANDSTAND_")}


def columns_by_table(published: Path) -> dict[str, list[str]]:
    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
            " order by table_schema, table_name, ordinal_position"
        ).fetchall()
    tables: dict[str, list[str]] = {}
    for schema, table, column in rows:
        tables.setdefault(f'"{schema}"."{table}"', []).append(column)
    return tables


def digest(published: Path, table: str, columns: list[str]) -> tuple[int, str]:
    """Row count and a digest of the rows on `columns` (in a fixed order)."""
    selected = ", ".join(f'"{c}"' for c in columns)
    with duckdb.connect(str(published), read_only=True) as con:
        return con.execute(
            f"""select count(*), md5(coalesce(string_agg(row, chr(10) order by row), ''))
            from (select row({selected})::varchar as row from {table})"""
        ).fetchone()


@pytest.fixture(scope="module")
def current_release(nightly, tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("current")
    no_retention = '{"privacy_retention_months": 1200}'
    assert run_nightly(home, nightly.truth.landing, GRANDSTAND_DBT_VARS=no_retention).success
    return home / "published" / PUBLISHED_DB


def test_every_figure_published_before_the_sweep_is_unchanged(baseline_release, current_release):
    before, after = columns_by_table(baseline_release), columns_by_table(current_release)
    assert len(before) >= 30, sorted(before)  # the baseline published its marts
    # nothing published before disappeared
    assert set(before) <= set(after), sorted(set(before) - set(after))
    changed = {}
    for table, columns in before.items():
        stamped = RUN_STAMPED_COLUMNS.get(table.split(".")[-1].strip('"'), ())
        common = [c for c in columns if c in after[table] and c not in stamped]
        assert common, table
        old, new = digest(baseline_release, table, common), digest(current_release, table, common)
        if old != new:
            changed[table] = (old, new)
    assert not changed, changed
