"""The nightly job, when it runs (02:00 club time, or when new exports land)."""

from __future__ import annotations

import hashlib

import dagster as dg

from orchestration.landing.contract import match_file
from orchestration.settings import paths

CLUB_TIMEZONE = "Europe/Paris"

nightly_job = dg.define_asset_job(
    name="nightly",
    description="Ingest the landing zone, dbt build, quality checks, then publish the marts.",
    selection=dg.AssetSelection.all(),
    # DuckDB allows one writer per file: steps run one after another in one process.
    executor_def=dg.in_process_executor,
    tags={"dagster/max_concurrent_runs_key": "nightly"},
)

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_0200_paris",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone=CLUB_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


def landing_fingerprint() -> str:
    """Digest of the contract files in the landing zone (name, size, mtime)."""
    landing = paths().landing
    entries = []
    if landing.is_dir():
        for path in sorted(landing.glob("*/*")):
            if path.is_file() and match_file(path.parent.name, path.name):
                stat = path.stat()
                entries.append(f"{path.relative_to(landing)}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()


@dg.sensor(
    name="new_exports_landed",
    job=nightly_job,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Starts the nightly job when export files are added or changed in the landing. Its "
        "first evaluation takes the landing as it is as the baseline, so starting the UI "
        "starts no run: the exports already there are the schedule's."
    ),
)
def new_exports_sensor(context: dg.SensorEvaluationContext):
    fingerprint = landing_fingerprint()
    if context.cursor is None:
        context.update_cursor(fingerprint)
        return dg.SkipReason("First evaluation: the landing as it is now is the baseline.")
    if fingerprint == context.cursor:
        return dg.SkipReason("No new or changed export in the landing zone.")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=fingerprint)
