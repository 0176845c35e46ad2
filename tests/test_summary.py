"""The run summary reads what a run did from Dagster's event log."""

from pathlib import Path

import dagster as dg

from orchestration.settings import Paths
from orchestration.summary import DBT_DURATION, format_summary, summarize


def test_dbt_node_time_is_summed_per_layer_from_the_event_log(tmp_path: Path):
    # Three nodes as dagster-dbt records them (key [schema, name], dbt's execution time)
    # and one asset without a dbt time, which is no dbt node.
    timed = {("staging", "stg_a"): 1.5, ("staging", "stg_b"): 2.0, ("marts", "dim_a"): 4.25}

    def node(key: tuple[str, str], seconds: float | None) -> dg.AssetsDefinition:
        @dg.asset(key=list(key))
        def _node() -> dg.MaterializeResult:
            metadata = {} if seconds is None else {DBT_DURATION: seconds}
            return dg.MaterializeResult(metadata=metadata)

        return _node

    assets = [node(key, seconds) for key, seconds in timed.items()]
    assets.append(node(("raw", "orders"), None))
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(assets, instance=instance)
        summary = summarize(instance, result.run_id, Paths(home=tmp_path, landing=tmp_path))

    assert summary.success
    assert summary.dbt_layer_seconds == {"staging": 3.5, "marts": 4.25}
    [line] = [x for x in format_summary(summary).splitlines() if "dbt node time by layer" in x]
    assert "staging 4 s" in line and "marts 4 s" in line and "raw" not in line
