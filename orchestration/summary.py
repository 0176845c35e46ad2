"""What a run did, in a few lines: steps and their time, checks, quarantine, marts, paths."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.activation import CONTACTS_FILE
from orchestration.evaluation import IDENTITY_QUALITY_KEY
from orchestration.identity_quality import QUALITY_TABLE, PairwiseScores, format_scores
from orchestration.ingestion import POLICY_CHECK
from orchestration.landing import FAILED_STATUSES
from orchestration.progress import phase_name, phase_of, step_name
from orchestration.settings import Paths, connect_duckdb


@dataclass
class RunSummary:
    run_id: str
    success: bool
    step_seconds: dict[str, float] = field(default_factory=dict)
    step_windows: dict[str, tuple[float, float]] = field(default_factory=dict)  # epoch s
    # dbt's execution time per layer (staging, intermediate, marts, seeds), summed over nodes
    dbt_layer_seconds: dict[str, float] = field(default_factory=dict)
    failed_steps: list[str] = field(default_factory=list)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    checks_warned: list[str] = field(default_factory=list)
    rows_quarantined: int = 0
    files_loaded: int = 0
    files_by_status: dict[str, int] = field(default_factory=dict)  # files read by this run
    file_errors: list[str] = field(default_factory=list)  # landing policy: stops the publish
    file_warnings: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # why a step failed, in its words
    mart_rows: dict[str, int] = field(default_factory=dict)
    published: bool = False
    published_file: Path | None = None
    report: Path | None = None
    activation_file: Path | None = None  # for the marketing tool only
    identity_quality: list[PairwiseScores] = field(default_factory=list)


# The metadata dagster-dbt gives each node it ran: dbt's execution time in seconds.
DBT_DURATION = "Execution Duration"


def summarize(instance: dg.DagsterInstance, run_id: str, paths: Paths) -> RunSummary:
    summary = RunSummary(run_id=run_id, success=False)
    starts: dict[str, float] = {}
    materialized: set[dg.AssetKey] = set()
    run_start = None
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            continue
        run_start = run_start or entry.timestamp
        kind = event.event_type
        if kind == dg.DagsterEventType.STEP_START:
            starts[event.step_key] = entry.timestamp
        elif kind in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            started = starts.get(event.step_key, entry.timestamp)
            summary.step_windows[event.step_key] = (started, entry.timestamp)
            summary.step_seconds[event.step_key] = entry.timestamp - started
            if kind == dg.DagsterEventType.STEP_FAILURE:
                summary.failed_steps.append(event.step_key)
                error = event.event_specific_data.error
                why = (error.message or "").strip().splitlines()[0] if error else ""
                if why and why not in summary.failures:
                    summary.failures.append(why)
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            if evaluation.check_name == POLICY_CHECK:
                metadata = evaluation.metadata
                for key, found in (
                    ("stops_publish", summary.file_errors),
                    ("warnings", summary.file_warnings),
                ):
                    if key in metadata:
                        # a tool-wide finding (a stale source) comes once per file type
                        found += [x for x in metadata[key].value if x not in found]
            outcome = _check_outcome(evaluation)
            if outcome == "passed":
                summary.checks_passed += 1
            else:
                (summary.checks_warned if outcome == "warned" else summary.checks_failed).append(
                    name
                )
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialized.add(event.asset_key)
            if event.asset_key == dg.AssetKey(["published", "marts"]):
                summary.published = True
            duration = event.event_specific_data.materialization.metadata.get(DBT_DURATION)
            if duration is not None:
                layer = event.asset_key.path[0]
                summary.dbt_layer_seconds[layer] = (
                    summary.dbt_layer_seconds.get(layer, 0.0) + duration.value
                )
        elif kind == dg.DagsterEventType.RUN_SUCCESS:
            summary.success = True

    if paths.warehouse.exists() and run_start is not None:
        with connect_duckdb(paths.warehouse, read_only=True) as con:
            summary.files_by_status, summary.rows_quarantined = _ingested_since(con, run_start)
            summary.files_loaded = sum(
                n for status, n in summary.files_by_status.items() if status not in FAILED_STATUSES
            )
            # only this run's figures: a run that failed before measuring shows none
            if IDENTITY_QUALITY_KEY in materialized:
                summary.identity_quality = _identity_quality(con)
    manifest = paths.published / "manifest.json"
    if summary.published and manifest.exists():
        published = json.loads(manifest.read_text())
        summary.mart_rows = {t["name"]: t["rows"] for t in published.get("tables", [])}
        summary.published_file = paths.published / "grandstand.duckdb"
        report = paths.published / "report" / "index.html"
        summary.report = report if report.exists() else None
        activation = paths.activation / CONTACTS_FILE
        summary.activation_file = activation if activation.exists() else None
    return summary


def _grouped_by_check(names: list[str]) -> list[str]:
    """'raw/a:landing_policy', 'raw/b:landing_policy' -> 'landing_policy on raw/a, raw/b'."""
    assets: dict[str, list[str]] = {}
    for name in names:
        asset, _, check = name.rpartition(":")
        assets.setdefault(check, []).append(asset)
    return [f"{check} on {', '.join(on)}" for check, on in assets.items()]


def _check_outcome(evaluation: dg.AssetCheckEvaluation) -> str:
    """passed, warned (a failed WARN check) or failed."""
    if evaluation.passed:
        return "passed"
    return "warned" if evaluation.severity == dg.AssetCheckSeverity.WARN else "failed"


def check_results(instance: dg.DagsterInstance, run_id: str) -> dict[str, object]:
    """The run's check evaluations so far: how many passed, and which warned or failed."""
    found: dict[str, list[str]] = {"passed": [], "warned": [], "failed": []}
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=1_000_000
    ).records
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        found[_check_outcome(evaluation)].append(name)
    return {"passed": len(found["passed"]), "warned": found["warned"], "failed": found["failed"]}


def _ingested_since(con: duckdb.DuckDBPyConnection, since: float) -> tuple[dict[str, int], int]:
    """Files read by this run (loaded at or after its start) by status, rows quarantined."""
    try:
        rows = con.execute(
            """
            select status, count(*), coalesce(sum(rows_quarantined), 0)
            from raw._file_manifest
            where loaded_at >= to_timestamp(?)::timestamp
            group by status
            order by status
            """,
            [since],
        ).fetchall()
    except duckdb.CatalogException:
        return {}, 0
    return {status: int(n) for status, n, _ in rows}, int(sum(q for *_, q in rows))


def _identity_quality(con: duckdb.DuckDBPyConnection) -> list[PairwiseScores]:
    """The identity-quality rows this run wrote (none without a truth)."""
    fields = [f.name for f in dataclasses.fields(PairwiseScores)]
    try:
        rows = con.execute(f"select {', '.join(fields)} from {QUALITY_TABLE}").fetchall()
    except duckdb.CatalogException:
        return []
    return [PairwiseScores(**dict(zip(fields, row, strict=True))) for row in rows]


def format_summary(summary: RunSummary) -> str:
    status = "SUCCESS" if summary.success else "FAILED"
    lines = [f"Grandstand nightly run {summary.run_id[:8]}: {status}", "", "Steps:"]
    phase_seconds: dict[str, float] = {}
    for step, seconds in summary.step_seconds.items():
        phase_seconds[phase_of(step)] = phase_seconds.get(phase_of(step), 0.0) + seconds
    failed_phases = {phase_of(step) for step in summary.failed_steps}
    for phase, seconds in phase_seconds.items():
        mark = "FAILED" if phase in failed_phases else "ok"
        lines.append(f"  {mark:<7} {phase_name(phase):<34} {seconds:7.1f} s")
    lines += [f"  FAILED  step: {step_name(step)}" for step in summary.failed_steps]
    if summary.dbt_layer_seconds:
        layers = ", ".join(
            f"{layer} {seconds:.0f} s" for layer, seconds in summary.dbt_layer_seconds.items()
        )
        lines.append(f"  dbt node time by layer: {layers}")
    lines += [f"  FAILED  {why}" for why in summary.failures]
    read = sum(summary.files_by_status.values())
    by_status = ", ".join(f"{n} {status}" for status, n in summary.files_by_status.items())
    lines += [
        "",
        f"Files read this run: {read}{f' ({by_status})' if read else ''}; rows quarantined: "
        f"{summary.rows_quarantined} (see raw._quarantine, raw._file_manifest)",
    ]
    lines += [f"  STOPS PUBLISH  {finding}" for finding in summary.file_errors]
    lines += [f"  warn           {finding}" for finding in summary.file_warnings]
    lines += [
        f"Checks: {summary.checks_passed} passed, {len(summary.checks_failed)} failed, "
        f"{len(summary.checks_warned)} warnings",
    ]
    lines += [f"  FAILED  {name}" for name in summary.checks_failed]
    lines += [f"  warn    {line}" for line in _grouped_by_check(summary.checks_warned)]
    if summary.identity_quality:
        lines += ["", "Identity resolution vs truth (pairwise):"]
        lines += ["  " + line for line in format_scores(summary.identity_quality).splitlines()]
    if summary.published:
        lines += [
            "",
            f"Published {len(summary.mart_rows)} tables, {sum(summary.mart_rows.values()):,} "
            "rows (per table: manifest.json beside the file)",
            f"Published file: {summary.published_file}",
        ]
        if summary.report:
            lines.append(f"KPI report:     {summary.report}")
        if summary.activation_file:
            lines.append(f"Activation:     {summary.activation_file} (the marketing tool only)")
    else:
        lines += ["", "Nothing published: BI tools keep reading the previous published release."]
    return "\n".join(lines)
