"""What `grandstand ui` serves: the code location, as Dagster loads it."""

import os
import subprocess
import sys
from pathlib import Path

from orchestration.settings import REPO_ROOT


def test_the_ui_loads_one_code_location_named_grandstand(tmp_path):
    dagster = Path(sys.executable).parent / "dagster"
    loaded = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "orchestration/workspace.yaml"],
        cwd=REPO_ROOT,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path), "GRANDSTAND_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    said = loaded.stdout + loaded.stderr
    assert loaded.returncode == 0, said
    assert "Validation successful for code location grandstand." in said


def test_every_asset_has_owners_a_layer_and_lineage_from_the_landing_files():
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.settings import asset_owners

    graph = defs.resolve_asset_graph()
    keys = list(graph.get_all_asset_keys())
    specs = {key: graph.get(key) for key in keys}
    assert not [key for key, node in specs.items() if node.owners != asset_owners()]
    assert not [key for key, node in specs.items() if "layer" not in node.tags]
    raw = [key for key in keys if key.path[0] == "raw"]
    assert raw and all(
        specs[key].parent_keys == {dg.AssetKey(["landing", key.path[1]])} for key in raw
    )
    assert all(not specs[dg.AssetKey(["landing", key.path[1]])].is_executable for key in raw)


def test_every_dbt_test_check_says_what_it_checks():
    from orchestration.dbt import dbt_models

    checks = list(dbt_models.check_specs)
    assert len(checks) > 100
    undescribed = [check.key.name for check in checks if not check.description]
    assert not undescribed
    described = {check.key.name: check.description for check in checks}
    assert described["not_null_dim_fan_fan_id"] == "dbt test not_null: fan_id is never NULL"
    assert described["unique_dim_fan_fan_id"] == "dbt test unique: no two rows share a fan_id"
