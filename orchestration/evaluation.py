"""Identity-resolution quality against a truth, when one is present (generated data)."""

import dagster as dg

from orchestration.identity_quality import (
    QUALITY_TABLE,
    evaluate_warehouse,
    format_scores,
    write_quality_table,
)
from orchestration.runs import RUN_LOCK
from orchestration.settings import asset_owners, paths

IDENTITY_QUALITY_KEY = dg.AssetKey(["marts", "identity_quality"])


@dg.asset(
    key=IDENTITY_QUALITY_KEY,
    deps=[dg.AssetKey(["marts", "fan_source_records"])],
    group_name="marts",
    kinds={"duckdb"},
    owners=asset_owners(),
    tags={"layer": "marts"},
    required_resource_keys={RUN_LOCK},
    description=(
        f"{QUALITY_TABLE}: pairwise precision, recall and F1 of identity resolution, persons "
        "split and fans mixing persons, per scope (core records, ticket holders, all), "
        "measured against <landing>/_truth/source_records.csv when it exists (generated "
        "data). Empty on real exports, which have no truth."
    ),
)
def identity_quality(context) -> dg.MaterializeResult:
    p = paths()
    scores = evaluate_warehouse(p.warehouse, p.landing)
    write_quality_table(p.warehouse, scores)
    if scores is None:
        context.log.info("No truth in the landing zone: identity quality not measured.")
        return dg.MaterializeResult(metadata={"truth": False})
    context.log.info("Identity resolution vs truth:\n" + format_scores(scores))
    metadata = {"truth": True}
    for score in scores:
        metadata[f"{score.scope}_precision"] = round(score.precision, 5)
        metadata[f"{score.scope}_recall"] = round(score.recall, 5)
        metadata[f"{score.scope}_f1"] = round(score.f1, 5)
    return dg.MaterializeResult(metadata=metadata)
