"""dbt as Dagster assets: every model, seed and test of dbt_project/ (tests as asset checks)."""

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import yaml
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

from orchestration.erasure import apply_erasure, compact
from orchestration.privacy import personal_columns
from orchestration.retention import RetentionReport, apply_retention
from orchestration.runs import RunLock
from orchestration.settings import (
    DBT_PROJECT_DIR,
    asset_owners,
    dbt_var_overrides,
    duckdb_config,
    parse_as_of_date,
    paths,
)

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# The dbt of this environment, whether or not the venv is activated.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")

# The files whose change makes the parsed manifest stale.
_PROJECT_SOURCES = ("dbt_project.yml", "profiles.yml", "models", "macros", "tests", "snapshots")


def dbt_environment() -> dict[str, str]:
    """Environment of every dbt call: the production target on the working DuckDB file,
    DuckDB's memory budget and threads, no network telemetry."""
    budget = duckdb_config()
    return {
        "DBT_TARGET": "prod",
        "GRANDSTAND_WAREHOUSE": str(paths().warehouse),
        "GRANDSTAND_MEMORY": budget["memory_limit"],
        "GRANDSTAND_THREADS": budget["threads"],
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def _newest_source_mtime() -> float:
    newest = 0.0
    for name in _PROJECT_SOURCES:
        path = DBT_PROJECT_DIR / name
        files = path.rglob("*") if path.is_dir() else [path]
        newest = max([newest, *(f.stat().st_mtime for f in files if f.is_file())])
    return newest


def ensure_manifest() -> None:
    """Parse the dbt project when its manifest is missing or stale.

    Relation names in the manifest embed the database name, which dbt-duckdb takes from the
    warehouse file's name: a warehouse with another file name forces a new parse. Another
    folder does not (each run home, each test), so a run does not pay for a parse twice.
    """
    manifest = DBT_PROJECT.manifest_path
    manifest.parent.mkdir(parents=True, exist_ok=True)
    # One parse at a time: processes starting together (parallel tests, a UI and a CLI run)
    # would otherwise write the same manifest at once.
    with open(manifest.with_name("grandstand_parse.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _parse_if_stale(manifest)


def _parse_if_stale(manifest: Path) -> None:
    stamp = manifest.with_name("grandstand_parse.json")
    parsed_for = {"database": paths().warehouse.stem}
    fresh = (
        manifest.exists()
        and stamp.exists()
        and json.loads(stamp.read_text()) == parsed_for
        and manifest.stat().st_mtime >= _newest_source_mtime()
    )
    if fresh:
        return
    subprocess.run(
        [DBT_EXECUTABLE, "parse", "--quiet", "--profiles-dir", str(DBT_PROJECT_DIR)],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, **dbt_environment()},
        check=True,
    )
    stamp.write_text(json.dumps(parsed_for))


class GrandstandDbtTranslator(DagsterDbtTranslator):
    """Asset keys are [schema, name] (staging/stg_..., marts/dim_fan), the names the
    published file and the quality suites use; groups follow the dbt layers. Sources map
    to the ingestion assets through meta.dagster.asset_key (handled by the base class)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props.get("schema")

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return asset_owners()

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        return {**super().get_tags(dbt_resource_props), "layer": dbt_resource_props["schema"]}

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        """dbt's test, described in words when its YAML gives no description."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return dg.AssetCheckSpec(
            name=spec.name,
            asset=spec.asset_key,
            description=describe_test(manifest["nodes"][unique_id]),
            additional_deps=spec.additional_deps,
            metadata=spec.metadata,
            blocking=spec.blocking,
        )


def describe_test(test: Mapping[str, Any]) -> str:
    """A dbt data test in words: 'dbt test not_null: fan_id is never NULL'."""
    meta = test.get("test_metadata") or {}
    kwargs, column = meta.get("kwargs", {}), test.get("column_name")
    said = {
        "not_null": f"{column} is never NULL",
        "unique": f"no two rows share a {column}",
        "accepted_values": f"{column} is one of {kwargs.get('values')}",
        "relationships": f"every {column} is a {kwargs.get('field')} of {kwargs.get('to')}",
        "unique_combination": f"one row per {tuple(kwargs.get('columns') or ())}",
    }.get(meta.get("name", ""))
    if said is None:  # a singular test or another generic one: its SQL says it
        said = f"{test['name']} returns no row ({test.get('original_file_path', '')})"
    return f"dbt test {meta.get('name', 'singular')}: {said}"


class DbtRunConfig(dg.Config):
    as_of_date: str = ""
    """YYYY-MM-DD; empty: GRANDSTAND_AS_OF, else the newest export date landed."""
    full_refresh: bool = False
    """Rebuild the incremental models whole (also set by GRANDSTAND_FULL_REFRESH=1). The
    append-only histories are never rebuilt."""


# The fingerprint of each incremental model that the last successful build left, next to
# its manifest in dbt_state.
_FINGERPRINTS = "incremental_fingerprints.json"


def incremental_fingerprints(manifest: Mapping[str, Any], project_vars: Any) -> dict[str, str]:
    """What decides the rows of each incremental model (not the append-only histories,
    which a full refresh never rebuilds): its SQL and the SQL of every model upstream of
    it, every macro they call, directly or not, the seeds' contents and the project's
    vars. Rows an incremental model holds were computed by an earlier version: when this
    changes, they must all be computed again. (Upstream counts because an incremental model
    keeps rows computed from upstream tables: the candidate pairs keep comparisons that read
    the nickname table, int_identity_pairs_compared.)"""
    nodes, macros = manifest.get("nodes", {}), manifest.get("macros", {})

    def closure(names: list[str], known: Mapping[str, Any], edges: str) -> list[str]:
        seen: set[str] = set()
        todo = list(names)
        while todo:
            name = todo.pop()
            if name not in seen and name in known:
                seen.add(name)
                todo += known[name].get("depends_on", {}).get(edges, [])
        return sorted(seen)

    def node_text(node: Mapping[str, Any]) -> str:
        if node.get("resource_type") == "seed":
            return node.get("checksum", {}).get("checksum", "")
        return node.get("raw_code", "")

    shared = json.dumps(project_vars, sort_keys=True, default=str)
    prints = {}
    for unique_id, node in nodes.items():
        config = node.get("config", {})
        if config.get("materialized") != "incremental" or config.get("full_refresh") is False:
            continue
        upstream = closure([unique_id], nodes, "nodes")
        called = closure(
            [m for n in upstream for m in nodes[n].get("depends_on", {}).get("macros", [])],
            macros,
            "macros",
        )
        text = "\n".join(
            [*(node_text(nodes[n]) for n in upstream), *(macros[m]["macro_sql"] for m in called)]
        )
        prints[unique_id] = hashlib.sha256(f"{shared}\n{text}".encode()).hexdigest()
    return prints


def _current_fingerprints(manifest_path: Path = DBT_PROJECT.manifest_path) -> dict[str, str]:
    manifest = json.loads(manifest_path.read_text())
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    return incremental_fingerprints(manifest, {**project.get("vars", {}), **dbt_var_overrides()})


def needs_full_refresh(requested: bool) -> str:
    """Why this night rebuilds the incremental models whole ('' when it need not): asked
    for, no fingerprint of a successful build in this home yet (a new home, or one built
    before its models were incremental), or a model's SQL, macros or vars changed since."""
    if requested or os.environ.get("GRANDSTAND_FULL_REFRESH", "") not in ("", "0"):
        return "a full refresh was asked for"
    stored = paths().dbt_state / _FINGERPRINTS
    if not stored.exists():
        return "no incremental build recorded in this home yet"
    previous = json.loads(stored.read_text())
    changed = sorted(
        uid.split(".")[-1]
        for uid, fingerprint in _current_fingerprints().items()
        if previous.get(uid) != fingerprint
    )
    return f"changed since the last build: {', '.join(changed)}" if changed else ""


def requested_as_of_date(requested: str = "") -> str:
    """The as-of date asked for (run config, else GRANDSTAND_AS_OF), checked; empty when none
    was: dbt then takes the newest export date landed (int_run_as_of_resolved decides)."""
    chosen = requested or os.environ.get("GRANDSTAND_AS_OF", "")
    if not chosen:
        return ""
    try:
        return parse_as_of_date(chosen)
    except ValueError as e:
        raise dg.Failure(description=str(e), allow_retries=False) from None


ensure_manifest()


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=GrandstandDbtTranslator(
        settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)
    ),
)
def dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    config: DbtRunConfig,
    run_lock: RunLock,  # held for the whole run (orchestration/runs.py)
):
    """dbt build: seeds, staging, intermediate, marts and their data tests, in dependency
    order."""
    os.environ.update(dbt_environment())
    as_of = requested_as_of_date(config.as_of_date)
    context.log.info(f"dbt build as of {as_of or 'the newest export landed'}")
    # Unit tests check SQL logic on fixed inputs: they belong to development and CI
    # (`make test` runs them all), not to every night's data, as dbt Labs recommends.
    try:
        dbt_vars = {**dbt_var_overrides(), "as_of_date": as_of, "record_history": True}
    except ValueError as e:
        raise dg.Failure(description=str(e), allow_retries=False) from None
    args = ["build", "--exclude", "test_type:unit", "--vars", json.dumps(dbt_vars)]
    # erasure requests, and old records of erased people delivered again, are blanked in
    # raw before anything reads it (orchestration/erasure.py)
    erased = apply_erasure(paths().warehouse, paths().landing, paths().home)
    for problem in erased.problems:
        context.log.warning(f"erasure request not applied (left in place): {problem}")
    if erased.requests or erased.blanked_anything:
        context.log.info(
            f"erasure: {erased.requests} requests, {erased.identifiers} identifiers suppressed, "
            f"{erased.raw_rows_blanked} raw rows and {erased.quarantine_rows_blanked} "
            "quarantined lines blanked"
        )
    # old rows of anonymised fans delivered again are anonymised before anything reads them
    retained = [_retention_pass(context)]
    full_refresh = needs_full_refresh(config.full_refresh) or (
        "rows of erased people were blanked in raw" if erased.blanked_anything else ""
    )
    if full_refresh:
        context.log.info(f"incremental models rebuilt whole: {full_refresh}")
    invocation = dbt.cli(
        [*args, "--full-refresh"] if full_refresh else args, context=context, raise_on_error=False
    )
    yield from with_row_counts(invocation)
    # Fans this build found past the retention window are anonymised now, and the build runs
    # again on what is left, so a night publishes the same whatever ran before it. Rare: the
    # window moves once a month (int_run_as_of_resolved.retention_cutoff_date).
    while invocation.is_successful() and len(retained) < RETENTION_PASSES:
        retained.append(_retention_pass(context))
        if not retained[-1].fans_anonymised:
            break
        invocation = dbt.cli(args, context=context, raise_on_error=False)
        yield from _as_materializations(context, with_row_counts(invocation))
    if invocation.is_successful() and (
        erased.blanked_anything or any(r.rewrote_stored_rows for r in retained)
    ):
        seconds = compact(paths().warehouse)
        context.log.info(f"working file rewritten without freed pages in {seconds:.1f}s")
    if invocation.is_successful():
        # what production holds, for dev builds' --defer --state and slim CI's state:modified,
        # and what its incremental models were built by
        paths().dbt_state.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(
            invocation.target_path / "manifest.json", paths().dbt_state / "manifest.json"
        )
        built_by = _current_fingerprints(invocation.target_path / "manifest.json")
        (paths().dbt_state / _FINGERPRINTS).write_text(json.dumps(built_by))
    else:
        try:
            run_results = invocation.get_artifact("run_results.json")
        except FileNotFoundError:  # dbt stopped before running anything
            run_results = {}
        raise dg.Failure(description=failed_nodes(run_results), allow_retries=False)


# raw._retained_records: written by the dbt step itself (orchestration/retention.py, around
# its builds), read by dbt as the source privacy.retained_records.
retained_records_asset = dg.AssetSpec(
    key=dg.AssetKey(["privacy", "retained_records"]),
    group_name="raw",
    description=(
        "raw._retained_records: the identity records of fans anonymised under retention, each "
        "with the fan it stays in (no personal data). Written by the dbt step around its "
        "builds (orchestration/retention.py)."
    ),
    kinds={"duckdb"},
    tags={"layer": "raw"},
    owners=asset_owners(),
)

# Builds a night may run: the first, and a rebuild after fans were anonymised (one more in
# case that rebuild finds others: a record split from an anonymised fan may be old too).
RETENTION_PASSES = 3


def _retention_pass(context: dg.AssetExecutionContext) -> RetentionReport:
    report = apply_retention(paths().warehouse, paths().home)
    if report.raw_rows_anonymised or report.quarantine_lines_blanked:
        context.log.info(
            f"retention: {report.fans_anonymised} fans anonymised ({report.records_pinned} "
            f"records), {report.raw_rows_anonymised} raw rows and "
            f"{report.quarantine_lines_blanked} quarantined lines anonymised"
        )
    return report


def _as_materializations(context: dg.AssetExecutionContext, events: Iterator[Any]) -> Iterator[Any]:
    """A rebuild's events: an asset's output and checks were given by the first build of
    the step (Dagster takes each once); its new materialization is recorded."""
    for event in events:
        if isinstance(event, dg.Output):
            yield dg.AssetMaterialization(
                asset_key=context.asset_key_for_output(event.output_name),
                metadata=event.metadata,
                description="rebuilt after fans were anonymised under retention",
            )
        elif isinstance(event, dg.AssetMaterialization):
            yield event


def failed_nodes(run_results: Mapping[str, Any], shown: int = 3) -> str:
    """What failed in a dbt invocation, in dbt's words: the first few failed nodes and the
    first line of each one's message (the run summary prints it)."""
    failed = [r for r in run_results.get("results", []) if r["status"] in ("error", "fail")]
    if not failed:
        return "dbt build failed before running any node (see the dbt log)"
    said = [
        f"{r['unique_id']}: {(r.get('message') or r['status']).strip().splitlines()[0][:300]}"
        for r in failed[:shown]
    ]
    more = f" (and {len(failed) - shown} more)" if len(failed) > shown else ""
    return f"dbt build failed on {len(failed)} node(s): " + "; ".join(said) + more


# The line each model's post-hook logs (macros/row_count.sql).
_ROW_COUNT_LINE = re.compile(r"grandstand_row_count=(\d+) ")


def with_row_counts(invocation: DbtCliInvocation) -> Iterator[Any]:
    """The Dagster events of a dbt invocation (what ``stream()`` yields), each built model's
    carrying its row count (``dagster/row_count``), so that the asset's history shows the
    night-by-night rows next to dbt's execution duration.

    dagster-dbt's own ``fetch_row_counts()`` queries the warehouse while dbt runs, which a
    DuckDB file locked by the dbt process refuses: the count comes from dbt itself instead.
    """
    row_counts: dict[str, int] = {}
    for event in invocation.stream_raw_events():
        unique_id = event.raw_event["data"].get("node_info", {}).get("unique_id")
        counted = _ROW_COUNT_LINE.match(event.raw_event["info"]["msg"])
        if counted and unique_id:
            row_counts[unique_id] = int(counted[1])
        for asset_event in event.to_default_asset_events(
            manifest=invocation.manifest,
            dagster_dbt_translator=invocation.dagster_dbt_translator,
            context=invocation.context,
            target_path=invocation.target_path,
            project=invocation.project,
        ):
            if unique_id in row_counts and isinstance(
                asset_event, dg.Output | dg.AssetMaterialization
            ):
                rows = {"dagster/row_count": row_counts[unique_id]}
                asset_event = asset_event.with_metadata({**asset_event.metadata, **rows})
            yield asset_event


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=DBT_PROJECT, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=DBT_EXECUTABLE
    )


def mart_asset_keys() -> list[dg.AssetKey]:
    """Asset keys of the marts (the BI contract), from the dbt manifest."""
    return [key for key in dbt_models.keys if key.path[0] == "marts"]


def _manifest_nodes() -> dict[str, Any]:
    return json.loads(DBT_PROJECT.manifest_path.read_text())["nodes"]


def mart_primary_keys() -> dict[str, tuple[str, ...]]:
    """Each mart's grain (table name -> columns), which publish declares as the published
    table's primary key.

    The grain is declared once, by the mart's uniqueness test: its ``unique_combination``
    columns, else the first of its columns tested ``unique``. A primary key admits no NULL,
    so a grain with a column not tested ``not_null`` gives no key.
    """
    nodes = _manifest_nodes()
    tests: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for node in nodes.values():
        if node["resource_type"] == "test" and node.get("test_metadata"):
            tests[node.get("attached_node") or ""].append(node)
    keys = {}
    for unique_id, node in nodes.items():
        if node["resource_type"] != "model" or node["schema"] != "marts":
            continue
        by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for test in tests[unique_id]:
            by_kind[test["test_metadata"]["name"]].append(test)
        unique_columns = {test["column_name"] for test in by_kind["unique"]}
        grains = [
            tuple(t["test_metadata"]["kwargs"]["columns"]) for t in by_kind["unique_combination"]
        ]
        grains += [(column,) for column in node["columns"] if column in unique_columns]
        not_null = {test["column_name"] for test in by_kind["not_null"]}
        if grains and not_null.issuperset(grains[0]):
            keys[node["name"]] = grains[0]
    return keys


def mart_personal_columns() -> dict[str, tuple[str, ...]]:
    """Each mart's columns declared personal in its YAML (table name -> columns): the BI
    file withholds them (orchestration/privacy.py)."""
    return personal_columns(_manifest_nodes())


def relation_of(model: str) -> str:
    """A model's relation in the working warehouse ('"warehouse"."marts"."dim_fan"')."""
    return _manifest_nodes()[f"model.grandstand.{model}"]["relation_name"]
