"""The Dagster code location: ingestion -> dbt -> quality checks -> publish, one
Definitions per concern, merged. Each concern's pieces live in its own module."""

from __future__ import annotations

import dagster as dg

from orchestration.dbt import (
    dbt_models,
    dbt_resource,
    mart_asset_keys,
    mart_personal_columns,
    mart_primary_keys,
    relation_of,
    retained_records_asset,
)
from orchestration.evaluation import IDENTITY_QUALITY_KEY, identity_quality
from orchestration.ingestion import file_manifest_asset, ingestion_assets, landing_assets
from orchestration.publish import build_publish_asset
from orchestration.quality import build_gx_asset_checks, discover_suites
from orchestration.report import build_report_asset
from orchestration.runs import RUN_LOCK, RunLock
from orchestration.schedules import new_exports_sensor, nightly_job, nightly_schedule

# One function per concern: Dagster allows one Definitions object at module scope.


def ingestion() -> dg.Definitions:
    """The landing folder's files and the raw tables they load into (orchestration/ingestion.py)."""
    return dg.Definitions(assets=[*landing_assets, *ingestion_assets, file_manifest_asset])


def transformation() -> dg.Definitions:
    """Every dbt model, in one step (orchestration/dbt.py), and the identity scores against
    the generator's truth, where there is one (orchestration/evaluation.py)."""
    return dg.Definitions(
        assets=[retained_records_asset, dbt_models, identity_quality],
        resources={"dbt": dbt_resource()},
    )


def quality() -> dg.Definitions:
    """The GX suites as asset checks (orchestration/quality.py, expectations/)."""
    return dg.Definitions(asset_checks=build_gx_asset_checks())


def publishing() -> dg.Definitions:
    """Write-audit-publish of the marts without personal data (orchestration/publish.py,
    orchestration/privacy.py) and of the activation export (orchestration/activation.py),
    then the report beside the marts (orchestration/report/)."""
    # dbt builds every layer in one step, and Dagster gates an asset only on the blocking
    # checks of its direct upstream assets: the publish step also depends on every checked
    # dbt model, so a failed staging or intermediate suite stops the publish too.
    checked_dbt_models = [
        suite.asset_key
        for suite in discover_suites(check_gx=False)
        if suite.asset_key in dbt_models.keys
    ]
    return dg.Definitions(
        assets=[
            build_publish_asset(
                [*mart_asset_keys(), IDENTITY_QUALITY_KEY],
                gate_on=checked_dbt_models,
                primary_keys=mart_primary_keys(),
                withheld=mart_personal_columns(),
                as_of_relation=relation_of("int_run_as_of_resolved"),
                activation_relation=relation_of("activation_audience_contacts"),
            ),
            build_report_asset(),
        ],
    )


def automation() -> dg.Definitions:
    """When a night runs: the nightly schedule, the new-file sensor
    (orchestration/schedules.py), one run at a time (orchestration/runs.py)."""
    return dg.Definitions(
        jobs=[nightly_job],
        schedules=[nightly_schedule],
        sensors=[new_exports_sensor],
        resources={RUN_LOCK: RunLock()},
    )


defs = dg.Definitions.merge(ingestion(), transformation(), quality(), publishing(), automation())
