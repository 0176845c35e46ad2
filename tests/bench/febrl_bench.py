"""`make bench`, FEBRL section: our identity models and Splink 5 on the same FEBRL records.

Per dataset: render it as a landing zone (tests/bench/febrl.py), load it into a fresh
DuckDB file, build the identity models with dbt exactly as the generator section does,
score marts.fan_source_records on the FEBRL orders; then run Splink 5 on the same records,
scored by the same pairwise function. Our seconds are the dbt process's wall time (about
15 s of it is dbt start-up and parsing; `models` is dbt's own run time); Splink's are
training + prediction + clustering in this process.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.identity_quality import TRUTH_FILE, PairwiseScores
from orchestration.landing import load_landing
from orchestration.settings import DBT_PROJECT_DIR
from tests.bench.blocking import (
    blocking_rule_report,
    format_blocking_report,
    truth_relation,
    veto_count,
    vetoed_true_pairs,
)
from tests.bench.dbt_run import dbt_models_seconds, run_dbt
from tests.bench.febrl import febrl_scores, render_febrl, splink_reference

OURS, SPLINK = "grandstand", "splink 5"


@dataclass(frozen=True)
class FebrlRun:
    dataset: str
    engine: str
    scores: PairwiseScores
    seconds: float
    note: str = ""


@dataclass(frozen=True)
class OurFebrlRun:
    run: FebrlRun
    blocking: list[dict]
    vetoes: int
    wrong_vetoes: int


def grandstand_on_febrl(dataset: str, work: Path, project: Path = DBT_PROJECT_DIR) -> OurFebrlRun:
    """Render `dataset` under `work`, load it, build the identity models of the dbt `project`,
    score them."""
    landing, warehouse, target = work / "landing", work / "warehouse.duckdb", work / "target"
    records = render_febrl(dataset, landing)
    landing_log = logging.getLogger("grandstand.landing")
    level = landing_log.level
    landing_log.setLevel(logging.ERROR)  # FEBRL has orders only: no "no shop folder" noise
    try:
        report = load_landing(landing, warehouse)
    finally:
        landing_log.setLevel(level)
    if report.rows_loaded != records or report.rows_quarantined or report.problems:
        raise AssertionError(
            f"{dataset}: {report.rows_loaded} of {records} orders loaded, "
            f"{report.rows_quarantined} quarantined, problems {report.problems}"
        )
    seconds = run_dbt(warehouse, target, project=project)
    truth = truth_relation(landing / TRUTH_FILE)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        scores = febrl_scores(con, "marts.fan_source_records", landing)
        blocking = blocking_rule_report(con, truth)
        vetoes, wrong = veto_count(con), vetoed_true_pairs(con, truth)
    note = f"models {dbt_models_seconds(target):.1f} s"
    run = FebrlRun(dataset, OURS, scores, seconds, note)
    return OurFebrlRun(run=run, blocking=blocking, vetoes=vetoes, wrong_vetoes=wrong)


def splink_on_febrl(dataset: str) -> FebrlRun:
    scores, seconds, extras = splink_reference(dataset)
    return FebrlRun(dataset, SPLINK, scores, seconds, f"{extras['pairs_compared']} pairs")


HEADER = (
    f"{'dataset':<8}{'engine':<12}{'records':>8}{'precision':>10}{'recall':>8}{'F1':>8}"
    f"{'seconds':>9}  note"
)


def format_run(run: FebrlRun) -> str:
    s = run.scores
    return (
        f"{run.dataset:<8}{run.engine:<12}{s.records:>8}{s.precision:>10.4f}{s.recall:>8.4f}"
        f"{s.f1:>8.4f}{run.seconds:>9.1f}  {run.note}"
    )


def febrl_section(datasets: list[str], scratch: Path) -> list[FebrlRun]:
    """Run and print both engines on each dataset, our blocking report and vetoes, then
    the F1 differences."""
    print(f"== FEBRL: grandstand vs Splink 5 ({', '.join(datasets)})", flush=True)
    runs = []
    for dataset in datasets:
        work = scratch / dataset
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        started = time.perf_counter()
        ours = grandstand_on_febrl(dataset, work)
        splink = splink_on_febrl(dataset)
        runs += [ours.run, splink]
        print(HEADER)
        print(format_run(ours.run))
        print(format_run(splink))
        print(f"F1 ours - splink: {ours.run.scores.f1 - splink.scores.f1:+.4f}")
        print(format_blocking_report(ours.blocking))
        print(f"cannot-link vetoes: {ours.vetoes} (true pairs among them: {ours.wrong_vetoes})")
        print(f"({dataset}: {time.perf_counter() - started:.0f} s in all)\n", flush=True)
        shutil.rmtree(work)
    print("FEBRL summary")
    print(HEADER)
    for run in runs:
        print(format_run(run))
    for dataset in datasets:
        ours, splink = (r for r in runs if r.dataset == dataset)
        print(f"F1 ours - splink, {dataset}: {ours.scores.f1 - splink.scores.f1:+.4f}")
    print(flush=True)
    return runs
