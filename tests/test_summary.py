"""The run summary reads what a run did from Dagster's event log."""

from pathlib import Path

import dagster as dg

from orchestration.dbt import failed_nodes
from orchestration.identity_quality import PairwiseScores, write_quality_table
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


def test_a_failed_dbt_build_is_named_by_its_nodes_and_no_earlier_figures_are_shown(tmp_path):
    # An earlier run measured identity quality in this warehouse; this run fails in dbt.
    write_quality_table(
        tmp_path / "warehouse.duckdb", [PairwiseScores("all", 9, 3, 3, 9, 9, 9, 0, 0)]
    )
    run_results = {
        "results": [
            {"unique_id": "model.grandstand.stg_a", "status": "success", "message": "OK"},
            {
                "unique_id": "model.grandstand.fan_rfm",
                "status": "error",
                "message": 'Binder Error: column "frequency" not found\nLINE 1: ...',
            },
            {
                "unique_id": "test.grandstand.unique_dim_fan_fan_id",
                "status": "fail",
                "message": "Got 3 results, configured to fail if != 0",
            },
        ]
    }

    @dg.asset(key=["dbt_models"])
    def dbt_like() -> None:
        raise dg.Failure(description=failed_nodes(run_results))

    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([dbt_like], instance=instance, raise_on_error=False)
        summary = summarize(instance, result.run_id, Paths(home=tmp_path, landing=tmp_path))

    printed = format_summary(summary)
    assert not summary.success and summary.identity_quality == []
    assert (
        "dbt build failed on 2 node(s): model.grandstand.fan_rfm: Binder Error: column "
        '"frequency" not found; test.grandstand.unique_dim_fan_fan_id: Got 3 results, '
        "configured to fail if != 0" in printed
    )
    assert "Identity resolution" not in printed and "FAILED" in printed.splitlines()[0]
