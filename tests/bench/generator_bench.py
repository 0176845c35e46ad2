"""`make bench`, generator section: identity resolution on the demo landing zone at scale.

Per size: generate the landing zone, ingest it, build the identity models with dbt, score
marts.fan_source_records against the generator's truth (core records, ticket holders,
all), report the blocking rules and the cannot-link vetoes. Peak memory figures are the
highest resident size so far (of this process for ingestion, of any dbt child for
identity): run sizes in increasing order.
"""

from __future__ import annotations

import json
import resource
import shutil
import time
from pathlib import Path

import duckdb

from orchestration.generator import generate
from orchestration.identity_quality import TRUTH_FILE, evaluate_warehouse
from orchestration.landing import load_landing
from tests.bench.blocking import (
    blocking_rule_report,
    format_blocking_report,
    truth_relation,
    veto_count,
    vetoed_true_pairs,
)
from tests.bench.dbt_run import dbt_models_seconds, run_dbt

SCOPES = ("core", "ticket_holders", "all")


def _peak_children_gb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024


def _peak_self_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def bench_generator(fans: int, scratch: Path) -> tuple[dict, list[dict]]:
    """One size: the figures (a flat dict) and the blocking-rule report."""
    work = scratch / f"fans_{fans}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    landing, warehouse, target = work / "landing", work / "warehouse.duckdb", work / "target"

    started = time.perf_counter()
    generate(landing, fans=fans, seed=42)
    generate_s = time.perf_counter() - started

    started = time.perf_counter()
    load_landing(landing, warehouse)
    ingest_s = time.perf_counter() - started
    ingest_peak = _peak_self_gb()

    identity_s = run_dbt(warehouse, target)
    identity_peak = _peak_children_gb()

    scores = {s.scope: s for s in evaluate_warehouse(warehouse, landing)}
    truth = truth_relation(landing / TRUTH_FILE)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        blocking = blocking_rule_report(con, truth)
        vetoes, wrong_vetoes = veto_count(con), vetoed_true_pairs(con, truth)
    result = {
        "fans": fans,
        "generate_s": round(generate_s, 1),
        "ingest_s": round(ingest_s, 1),
        "ingest_peak_gb": round(ingest_peak, 2),
        "identity_s": round(identity_s, 1),
        "identity_models_s": round(dbt_models_seconds(target), 1),
        "identity_peak_gb": round(identity_peak, 2),
        "records": scores["all"].records,
    }
    for scope in SCOPES:
        result[f"{scope}_precision"] = round(scores[scope].precision, 4)
        result[f"{scope}_recall"] = round(scores[scope].recall, 4)
        result[f"{scope}_f1"] = round(scores[scope].f1, 4)
    result["blocking_recall"] = round(blocking[-1]["recall"], 4)
    result["vetoes"] = vetoes
    result["vetoed_true_pairs"] = wrong_vetoes
    shutil.rmtree(landing)
    return result, blocking


def generator_section(sizes: list[int], scratch: Path) -> list[dict]:
    """Run and print every size (a JSON line each, then its blocking report), then one
    table of all sizes."""
    print(f"== Generator: {', '.join(str(n) for n in sizes)} fans", flush=True)
    results = []
    for fans in sizes:
        result, blocking = bench_generator(fans, scratch)
        print(json.dumps(result))
        print(format_blocking_report(blocking))
        print(flush=True)
        results.append(result)
    columns = list(results[0])
    print(" | ".join(columns))
    for result in results:
        print(" | ".join(str(result[c]) for c in columns))
    print(flush=True)
    return results
