"""The Dagster code location: ingestion -> dbt -> quality checks -> publish."""

from __future__ import annotations

import dagster as dg

from orchestration.dbt import dbt_models, dbt_resource, mart_asset_keys
from orchestration.ingestion import ingestion_assets
from orchestration.publish import build_publish_asset
from orchestration.quality import build_gx_asset_checks
from orchestration.schedules import new_exports_sensor, nightly_job, nightly_schedule

defs = dg.Definitions(
    assets=[*ingestion_assets, dbt_models, build_publish_asset(mart_asset_keys())],
    asset_checks=build_gx_asset_checks(),
    jobs=[nightly_job],
    schedules=[nightly_schedule],
    sensors=[new_exports_sensor],
    resources={"dbt": dbt_resource()},
)
