"""The analytics engineer's loop of the README, run exactly as written, against a copy of
the nightly's production: a dev build reads production, writes only its own file, and never
touches production history."""

import hashlib
import os
import re
import shutil
import subprocess

import duckdb
import pytest

from orchestration.settings import REPO_ROOT

pytestmark = pytest.mark.e2e

HISTORIES = ("fan_state_history", "fct_fan_transitions", "fan_id_history")


def readme_loop() -> str:
    """The bash block of the README's "For analytics engineers" section."""
    section = (REPO_ROOT / "README.md").read_text().split("## For analytics engineers", 1)[1]
    return re.search(r"```bash\n(.*?)```", section, re.DOTALL)[1]


def digest(database, table: str) -> tuple[int, str]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(f"select * from marts.{table} order by all").fetchall()
    return len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()


def test_the_readme_dev_loop_builds_in_dev_and_leaves_production_history_alone(nightly, tmp_path):
    # A checkout as the README assumes it: the venv and the dbt project, and var/ holding
    # production as a nightly run left it (a copy of the suite's nightly).
    for name in (".venv", "dbt_project"):
        (tmp_path / name).symlink_to(REPO_ROOT / name)
    var = tmp_path / "var"
    var.mkdir()
    shutil.copyfile(nightly.warehouse, var / "warehouse.duckdb")
    shutil.copytree(nightly.home / "dbt_state", var / "dbt_state")
    before = {table: digest(var / "warehouse.duckdb", table) for table in HISTORIES}
    assert before["fan_state_history"][0] > 0

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GRANDSTAND_", "DBT_", "VIRTUAL_ENV"))
    }
    env["DBT_TARGET_PATH"] = str(tmp_path / "target")  # not the project's shared target/
    loop = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", readme_loop()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert loop.returncode == 0, loop.stdout[-3000:] + loop.stderr[-3000:]

    assert {table: digest(var / "warehouse.duckdb", table) for table in HISTORIES} == before
    with duckdb.connect(str(var / "dev.duckdb"), read_only=True) as dev:
        built = {
            name for (name,) in dev.execute("select table_name from duckdb_tables()").fetchall()
        }
        assert {"fan_rfm", "fan_state_history", "fct_fan_transitions"} <= built
        assert "dim_fan" not in built  # upstream of the selection: read from production
        assert dev.execute("select count(*) from marts.fan_rfm").fetchone()[0] > 0
        assert dev.execute("select count(*) from marts.fan_state_history").fetchone()[0] == 0
