"""`make bench`: identity resolution at scale -- quality, time and peak memory.

For each size: generate the demo landing zone, ingest it, run dbt up to
marts.fan_source_records (identity resolution), and score the result against the
generator's truth. Sizes: BENCH_FANS (comma-separated, default 100000,1000000).
Scratch space: BENCH_DIR (default /tmp/grandstand-bench). Prints a table.
"""

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from orchestration.generator import generate
from orchestration.identity_quality import evaluate_warehouse
from orchestration.landing import load_landing
from orchestration.settings import DBT_PROJECT_DIR

IDENTITY_MODELS = "+fan_source_records"


def _peak_children_gb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024


def _peak_self_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def run_dbt(warehouse: Path, target: Path) -> float:
    env = {
        **os.environ,
        "GRANDSTAND_WAREHOUSE": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [
        str(Path(sys.executable).parent / "dbt"),
        "run",
        "--select",
        IDENTITY_MODELS,
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stdout[-4000:])
    return time.perf_counter() - started


def bench(fans: int, scratch: Path) -> dict:
    work = scratch / f"fans_{fans}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    landing, warehouse = work / "landing", work / "warehouse.duckdb"

    started = time.perf_counter()
    generate(landing, fans=fans, seed=42)
    generate_s = time.perf_counter() - started

    started = time.perf_counter()
    load_landing(landing, warehouse)
    ingest_s = time.perf_counter() - started
    ingest_peak = _peak_self_gb()

    identity_s = run_dbt(warehouse, work / "target")
    identity_peak = _peak_children_gb()

    scores = {s.scope: s for s in evaluate_warehouse(warehouse, landing)}
    result = {
        "fans": fans,
        "generate_s": round(generate_s, 1),
        "ingest_s": round(ingest_s, 1),
        "ingest_peak_gb": round(ingest_peak, 2),
        "identity_s": round(identity_s, 1),
        "identity_peak_gb": round(identity_peak, 2),
        "records": scores["all"].records,
    }
    for scope in ("core", "ticket_holders"):
        result[f"{scope}_precision"] = round(scores[scope].precision, 4)
        result[f"{scope}_recall"] = round(scores[scope].recall, 4)
        result[f"{scope}_f1"] = round(scores[scope].f1, 4)
    shutil.rmtree(landing)
    return result


def main() -> None:
    sizes = [int(n) for n in os.environ.get("BENCH_FANS", "100000,1000000").split(",")]
    scratch = Path(os.environ.get("BENCH_DIR", "/tmp/grandstand-bench"))
    results = []
    for fans in sizes:
        result = bench(fans, scratch)
        print(json.dumps(result), flush=True)
        results.append(result)
    columns = list(results[0])
    print()
    print(" | ".join(columns))
    for result in results:
        print(" | ".join(str(result[c]) for c in columns))


if __name__ == "__main__":
    main()
