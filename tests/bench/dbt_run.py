"""The identity models run by dbt in a subprocess, on a given DuckDB file: what the benches
and the FEBRL test measure."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR

# Identity resolution and everything upstream, seeds included (first_name_nicknames): a
# `dbt run` would skip the seeds and fail on a fresh file. Tests are the main suite's job.
IDENTITY_MODELS = "+fan_source_records"


def run_dbt(
    warehouse: Path,
    target: Path,
    select: str = IDENTITY_MODELS,
    dbt_vars: dict | None = None,
    project: Path = DBT_PROJECT_DIR,
) -> float:
    """Build the `select`ed models and their seeds (no data tests) of the dbt `project` in
    `warehouse` (compiled files in `target`); returns the wall seconds of the dbt process
    (parse included). Raises with the end of dbt's output when it fails."""
    env = {
        **os.environ,
        "DBT_TARGET": "prod",
        "GRANDSTAND_WAREHOUSE": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [
        str(Path(sys.executable).parent / "dbt"),
        "build",
        "--select",
        select,
        "--exclude",
        "test_type:data",
        "test_type:unit",
        "--profiles-dir",
        str(project),
        "--target-path",
        str(target),
        *(["--vars", json.dumps(dbt_vars)] if dbt_vars else []),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"dbt failed on {warehouse}:\n{done.stdout[-4000:]}")
    return time.perf_counter() - started


def dbt_models_seconds(target: Path) -> float:
    """Seconds dbt spent running the nodes of its last invocation (run_results.json),
    without start-up and parsing."""
    return float(json.loads((Path(target) / "run_results.json").read_text())["elapsed_time"])
