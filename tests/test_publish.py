"""Write-audit-publish: atomic switch of the published DuckDB file and Parquet link, and the
Dagster gate (a failing blocking check upstream skips the publish asset)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration import publish as pub
from orchestration.quality import build_gx_asset_checks
from orchestration.runs import RUN_LOCK, RunLock
from tests.old_client import describe_with_duckdb1


def make_warehouse(path: Path, version: int, fans: int = 3) -> None:
    """A working file whose marts carry ``version`` so each release is recognisable."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS intermediate")
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute("CREATE SCHEMA IF NOT EXISTS staging")
        con.execute(
            f"CREATE OR REPLACE TABLE marts.dim_fan AS "
            f"SELECT 'F' || range AS fan_id, {version} AS version FROM range({fans})"
        )
        con.execute(
            f"CREATE OR REPLACE TABLE intermediate.int_orders AS "
            f"SELECT range AS order_id, {version} AS version FROM range(10)"
        )
        # a view in marts over another schema: published as a table
        con.execute(
            "CREATE OR REPLACE VIEW marts.fct_orders AS SELECT * FROM intermediate.int_orders"
        )
        con.execute("CREATE OR REPLACE TABLE staging.stg_x AS SELECT 1 AS x")  # not published


def read_version(db: Path) -> int:
    """Read the published file from another process, as a BI tool would."""
    code = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
        "print(con.execute('SELECT max(version) FROM marts.dim_fan').fetchone()[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(db)], check=True, capture_output=True, text=True
    )
    return int(out.stdout.strip())


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("GRANDSTAND_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def test_publish_writes_a_release_and_switches_to_it(tmp_path: Path):
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "published"
    make_warehouse(wh, version=1)
    before = wh.read_bytes()
    result = pub.publish(wh, out, "run-1", as_of="2026-11-22")

    assert wh.read_bytes() == before  # the working file is only read
    assert {(t.schema, t.name, t.rows) for t in result.tables} == {
        ("marts", "dim_fan", 3),
        ("marts", "fct_orders", 10),
    }
    release = result.release_dir
    assert release.parent == out / "releases" and release.name.endswith("_run-1")
    assert (release / "grandstand.duckdb").is_file()
    assert not list(out.glob("**/*.wal")) and not list(out.glob("**/.tmp-*"))
    with duckdb.connect(str(out / "grandstand.duckdb"), read_only=True) as con:
        kinds = dict(
            con.execute(
                "SELECT table_schema || '.' || table_name, table_type "
                "FROM information_schema.tables"
            ).fetchall()
        )
    assert kinds == {"marts.dim_fan": "BASE TABLE", "marts.fct_orders": "BASE TABLE"}

    link = out / "parquet"
    assert link.is_symlink() and not Path(os.readlink(link)).is_absolute()
    assert link.resolve() == (release / "parquet").resolve()
    assert sorted(p.name for p in link.iterdir()) == ["dim_fan.parquet", "fct_orders.parquet"]
    with duckdb.connect() as con:
        n = con.execute(f"SELECT count(*) FROM '{link}/fct_orders.parquet'").fetchone()[0]
    assert n == 10

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["run_id"] == "run-1" and manifest["as_of"] == "2026-11-22"
    assert manifest["release"] == f"releases/{release.name}"
    assert manifest["published_at"] == result.published_at
    assert {t["name"]: t["rows"] for t in manifest["tables"]} == {"dim_fan": 3, "fct_orders": 10}
    assert json.loads((release / "manifest.json").read_text()) == manifest


def test_switch_is_atomic_for_a_reader_holding_the_old_file(tmp_path: Path):
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "published"
    make_warehouse(wh, version=1)
    first = pub.publish(wh, out, "run-1")
    reader = duckdb.connect(str(out / "grandstand.duckdb"), read_only=True)  # a BI tool
    try:
        assert reader.execute("SELECT max(version) FROM marts.dim_fan").fetchone()[0] == 1

        make_warehouse(wh, version=2, fans=5)
        second = pub.publish(wh, out, "run-2")

        # the open reader was not blocked and still sees the complete old release
        old = reader.execute("SELECT max(version), count(*) FROM marts.dim_fan").fetchone()
        assert old == (1, 3)
        # a new reader (another process) sees the new release while the old one is open
        assert read_version(out / "grandstand.duckdb") == 2
    finally:
        reader.close()
    assert (out / "parquet").resolve() == (second.release_dir / "parquet").resolve()
    with duckdb.connect() as con:
        got = con.execute(f"SELECT max(version) FROM '{out}/parquet/dim_fan.parquet'").fetchone()
    assert got[0] == 2
    # the previous release is intact for readers that resolved the old link
    with duckdb.connect() as con:
        old_parquet = first.release_dir / "parquet" / "dim_fan.parquet"
        assert con.execute(f"SELECT max(version) FROM '{old_parquet}'").fetchone()[0] == 1


def test_old_releases_are_pruned(tmp_path: Path):
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "published"
    make_warehouse(wh, version=1)
    results = [pub.publish(wh, out, f"run-{i}", keep=2) for i in range(4)]
    kept = sorted(p.name for p in (out / "releases").iterdir())
    assert kept == [r.release_dir.name for r in results[-2:]]
    assert results[-1].pruned == (results[1].release_dir,)
    assert (out / "parquet").resolve() == (results[-1].release_dir / "parquet").resolve()


def test_a_duckdb_1x_client_reads_the_published_file_its_comments_and_keys(tmp_path: Path):
    """BI tools often embed DuckDB 1.x, which refuses DuckDB 2's default file format."""
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "published"
    make_warehouse(wh, version=1)
    with duckdb.connect(str(wh)) as con:
        con.execute("COMMENT ON TABLE marts.dim_fan IS 'One row per fan, who''s who'")
        con.execute("COMMENT ON COLUMN marts.dim_fan.fan_id IS 'Stable fan id'")
        con.execute("COMMENT ON VIEW marts.fct_orders IS 'Orders'")
    result = pub.publish(wh, out, "run-1", primary_keys={"dim_fan": ["fan_id"]})

    seen = describe_with_duckdb1(result.database)
    assert seen["version"].startswith("1.")
    assert seen["tables"] == {
        "dim_fan": {
            "rows": 3,
            "comment": "One row per fan, who's who",
            "uncommented": ["version"],
            "primary_key": ["fan_id"],
        },
        "fct_orders": {
            "rows": 10,
            "comment": "Orders",
            "uncommented": ["order_id", "version"],
            "primary_key": [],
        },
    }
    manifest = json.loads(result.manifest.read_text())
    assert {t["name"]: t["primary_key"] for t in manifest["tables"]} == {
        "dim_fan": ["fan_id"],
        "fct_orders": [],
    }


def test_a_table_that_is_not_one_row_per_key_stops_the_publish(tmp_path: Path):
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "published"
    make_warehouse(wh, version=1)
    pub.publish(wh, out, "run-1", primary_keys={"dim_fan": ["fan_id"]})
    before = (out / "manifest.json").read_bytes()
    with pytest.raises(pub.PublishError, match=r"marts.dim_fan is not one row per \(version\)"):
        pub.publish(wh, out, "run-2", primary_keys={"dim_fan": ["version"]})
    assert (out / "manifest.json").read_bytes() == before
    assert len(list((out / "releases").iterdir())) == 1


def test_failed_publish_leaves_the_previous_release_untouched(tmp_path: Path):
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "published"
    make_warehouse(wh, version=1)
    pub.publish(wh, out, "run-1")
    before = {p: p.read_bytes() for p in (out / "grandstand.duckdb", out / "manifest.json")}
    link = os.readlink(out / "parquet")
    with pytest.raises(pub.PublishError, match="no table or view"):
        pub.publish(wh, out, "run-2", schemas=("reporting",))
    assert {p: p.read_bytes() for p in before} == before
    assert os.readlink(out / "parquet") == link
    assert len(list((out / "releases").iterdir())) == 1  # no half-written release left
    with pytest.raises(pub.PublishError, match="does not exist"):
        pub.publish(tmp_path / "nope.duckdb", out, "run-3")


def test_working_file_can_be_written_right_after_publish(tmp_path: Path):
    wh, out = tmp_path / "warehouse.duckdb", tmp_path / "published"
    make_warehouse(wh, version=1)
    pub.publish(wh, out, "run-1")
    make_warehouse(wh, version=2)  # same process, read-write: no lock left behind
    code = f"import duckdb; duckdb.connect({str(wh)!r}).execute('DROP TABLE staging.stg_x')"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=60)


# ------------------------------------------------------------------------ Dagster gate

DIM_FAN_SUITE = """\
    suite: marts_dim_fan
    blocking: true
    expectations:
      - type: expect_column_values_to_be_unique
        kwargs: {column: fan_id}
      - type: expect_column_values_to_be_between
        kwargs: {column: version, max_value: 100}
        severity: warning
    """


def nightly(tmp_path: Path, fans_sql: str) -> dg.JobDefinition:
    """A small nightly job: one mart asset (stands for dbt), its GX check, the publish asset."""
    exp = tmp_path / "expectations" / "marts"
    exp.mkdir(parents=True, exist_ok=True)
    (exp / "dim_fan.yml").write_text(textwrap.dedent(DIM_FAN_SUITE))

    @dg.asset(key=["marts", "dim_fan"], group_name="marts")
    def dim_fan() -> None:
        from orchestration.settings import paths

        with duckdb.connect(str(paths().warehouse)) as con:
            con.execute("CREATE SCHEMA IF NOT EXISTS marts")
            con.execute(f"CREATE OR REPLACE TABLE marts.dim_fan AS {fans_sql}")

    checks = build_gx_asset_checks(exp.parent)  # warehouse from settings.paths() at run time
    published = pub.build_publish_asset([dg.AssetKey(["marts", "dim_fan"])])
    defs = dg.Definitions(
        assets=[dim_fan, published],
        asset_checks=checks,
        jobs=[dg.define_asset_job("nightly", selection=dg.AssetSelection.all())],
        resources={RUN_LOCK: RunLock()},
    )
    return defs.resolve_job_def("nightly")


def test_publish_asset_definition():
    asset = pub.build_publish_asset([dg.AssetKey(["marts", "dim_fan"])])
    assert asset.key == dg.AssetKey(["published", "marts"])
    assert asset.group_names_by_key[asset.key] == "publish"
    deps = {d.asset_key for d in asset.specs_by_key[asset.key].deps}
    assert deps == {dg.AssetKey(["marts", "dim_fan"])}


def test_failing_blocking_check_skips_publish_and_keeps_the_published_file(tmp_path, home):
    good = "SELECT 'F' || range AS fan_id, 1 AS version FROM range(3)"
    run = nightly(tmp_path, good).execute_in_process()
    assert run.success
    published = home / "published" / "grandstand.duckdb"
    assert read_version(published) == 1
    before = published.read_bytes()
    manifest_before = (home / "published" / "manifest.json").read_text()

    duplicated = "SELECT 'F1' AS fan_id, 2 AS version FROM range(2)"
    run = nightly(tmp_path, duplicated).execute_in_process(raise_on_error=False)

    assert not run.success
    (evaluation,) = run.get_asset_check_evaluations()
    assert evaluation.check_name == "gx_marts_dim_fan" and not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "expect_column_values_to_be_unique(fan_id)" in evaluation.description
    materialized = {e.asset_key for e in run.get_asset_materialization_events()}
    assert materialized == {dg.AssetKey(["marts", "dim_fan"])}  # publish did not run
    # Dagster does not even start the publish step: it is "abandoned" (no STEP_SKIPPED event)
    started = {e.step_key for e in run.all_events if e.event_type == dg.DagsterEventType.STEP_START}
    assert started == {"marts__dim_fan", "marts__dim_fan_gx_marts_dim_fan"}
    failed = {
        e.step_key for e in run.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE
    }
    assert failed == {"marts__dim_fan_gx_marts_dim_fan"}
    assert published.read_bytes() == before
    assert (home / "published" / "manifest.json").read_text() == manifest_before
    assert len(list((home / "published" / "releases").iterdir())) == 1


def test_warning_only_failure_does_not_block_publish(tmp_path, home):
    too_new = "SELECT 'F' || range AS fan_id, 500 AS version FROM range(3)"
    run = nightly(tmp_path, too_new).execute_in_process()
    assert run.success
    (evaluation,) = run.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    (materialization,) = [
        e
        for e in run.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["published", "marts"])
    ]
    metadata = materialization.materialization.metadata
    assert metadata["tables"].value == 1 and metadata["rows"].value == 3
    assert metadata["path"].value == str(home / "published" / "grandstand.duckdb")
    assert read_version(home / "published" / "grandstand.duckdb") == 500


def test_blocking_checks_gate_only_direct_upstream_assets_of_a_multi_asset(tmp_path, home):
    """dbt builds staging and marts in one step: a failed blocking check on a staging model
    does not stop publishing unless publish is also gated on that model (``gate_on``)."""
    make_warehouse(home / "warehouse.duckdb", version=1)
    stg, mart = dg.AssetKey(["staging", "stg_x"]), dg.AssetKey(["marts", "dim_fan"])

    @dg.multi_asset(specs=[dg.AssetSpec(stg), dg.AssetSpec(mart, deps=[stg])])
    def dbt_like():
        yield dg.MaterializeResult(asset_key=stg)
        yield dg.MaterializeResult(asset_key=mart)

    @dg.asset_check(asset=stg, name="gx_stg_x", blocking=True)
    def failing_staging_check() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False)

    def run(gate_on: list[dg.AssetKey]) -> set[dg.AssetKey]:
        defs = dg.Definitions(
            assets=[dbt_like, pub.build_publish_asset([mart], gate_on=gate_on)],
            asset_checks=[failing_staging_check],
            jobs=[dg.define_asset_job("nightly", selection=dg.AssetSelection.all())],
            resources={RUN_LOCK: RunLock()},
        )
        result = defs.resolve_job_def("nightly").execute_in_process(raise_on_error=False)
        assert not result.success  # the failed check fails the run either way
        return {e.asset_key for e in result.get_asset_materialization_events()}

    assert pub.PUBLISH_ASSET_KEY in run(gate_on=[])
    assert pub.PUBLISH_ASSET_KEY not in run(gate_on=[stg])
