"""Every dbt unit test of the project passes.

The nightly build leaves unit tests out (dbt Labs: they check SQL logic on fixed inputs, so
they belong to development and CI, not to every night's data); this test runs them all, on
the warehouse of the suite's nightly run (unit tests read the columns of their models'
parents from it).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR


def test_every_dbt_unit_test_passes(nightly, tmp_path: Path):
    target = tmp_path / "target"
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "test",
            "--select",
            "test_type:unit",
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--vars",
            json.dumps({"as_of_date": nightly.truth.expected["as_of_date"]}),
        ],
        cwd=DBT_PROJECT_DIR,
        env={
            **os.environ,
            "DBT_TARGET": "prod",
            "GRANDSTAND_WAREHOUSE": str(nightly.warehouse),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        },
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-6000:]
    manifest = json.loads((target / "manifest.json").read_text())
    results = json.loads((target / "run_results.json").read_text())["results"]
    assert len(manifest["unit_tests"]) >= 30
    assert {r["unique_id"] for r in results} == set(manifest["unit_tests"])
    assert {r["status"] for r in results} == {"pass"}
