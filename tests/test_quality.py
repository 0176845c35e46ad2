"""Suites as code -> GX validation on DuckDB -> Dagster asset checks."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration import data_docs, quality
from orchestration.landing.contract import FILE_TYPES, LINEAGE_COLUMNS
from orchestration.settings import EXPECTATIONS_DIR

MARTS = {"dim_fan", "fan_source_records", "fct_ticket_orders"}
# Column-level rules: on a dbt model they are dbt tests (the model's YAML), never a GX rule too.
COLUMN_RULES = {
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_unique",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_be_between",
}


def write_suite(root: Path, layer: str, table: str, body: str) -> Path:
    path = root / layer / f"{table}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


ORDERS_SUITE = """\
    suite: marts_fct_ticket_orders
    blocking: true
    expectations:
      - type: expect_column_values_to_not_be_null
        kwargs: {column: order_id}
      - type: expect_column_values_to_be_unique
        kwargs: {column: order_id}
      - type: expect_column_values_to_be_between
        kwargs: {column: net_amount_eur, min_value: 0}
      - type: expect_column_values_to_be_in_set
        kwargs: {column: status, value_set: [paid, refunded, cancelled]}
        severity: warning
      - type: expect_table_row_count_to_be_between
        kwargs: {min_value: 1}
      - type: unexpected_rows
        description: only paid orders carry an amount
        kwargs:
          unexpected_rows_query: |
            select order_id, status, net_amount_eur from {batch}
            where status is distinct from 'paid' and net_amount_eur <> 0
    """


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute(
            """
            CREATE TABLE marts.fct_ticket_orders AS
            SELECT 'T' || range AS order_id,
                   CASE WHEN range % 4 = 0 THEN 'refunded' ELSE 'paid' END AS status,
                   CASE WHEN range % 4 = 0 THEN 0 ELSE 25.5 END::DECIMAL(12, 2) AS net_amount_eur
            FROM range(200)
            """
        )
    return path


def break_orders(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(
            """
            INSERT INTO marts.fct_ticket_orders VALUES
              ('T1', 'paid', 10), ('T2', 'paid', 10),          -- duplicate keys
              ('T900', 'paid', -3.5),                          -- negative amount
              ('T901', 'refunded', 12),                        -- amount on a refund
              ('T902', 'lost', 0)                              -- unknown status (warning)
            """
        )


# ----------------------------------------------------------------------------- run_suite


def test_passing_suite(tmp_path: Path, warehouse: Path):
    suite = write_suite(tmp_path / "exp", "marts", "fct_ticket_orders", ORDERS_SUITE)
    result = quality.run_suite(suite, warehouse)
    assert result.success, result.describe()
    assert result.error is None and not result.failures
    assert result.table == "marts.fct_ticket_orders" and result.suite == "marts_fct_ticket_orders"
    assert len(result.results) == 6
    assert result.results[0].element_count == 200
    assert result.describe() == "6/6 expectations passed on marts.fct_ticket_orders."
    check = result.to_check_result()
    assert check.passed and check.metadata["failed"].value == 0


def test_failing_suite_reports_expectation_table_count_and_sample(tmp_path: Path, warehouse):
    break_orders(warehouse)
    suite = write_suite(tmp_path / "exp", "marts", "fct_ticket_orders", ORDERS_SUITE)
    result = quality.run_suite(suite, warehouse, sample_size=5)
    assert not result.success and result.severity == "error"
    failed = {f.type: f for f in result.failures}
    assert set(failed) == {
        "expect_column_values_to_be_unique",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
        "unexpected_rows",
    }
    unique = failed["expect_column_values_to_be_unique"]
    assert unique.column == "order_id" and unique.unexpected_count == 4  # T1, T2 twice each
    assert set(unique.sample) == {"T1", "T2"}
    between = failed["expect_column_values_to_be_between"]
    assert between.unexpected_count == 1 and float(between.sample[0]) == -3.5
    assert between.unexpected_percent == pytest.approx(100 / 205)
    in_set = failed["expect_column_values_to_be_in_set"]
    assert in_set.severity == "warning" and in_set.sample == ["lost"]
    rows = failed["unexpected_rows"]
    assert rows.unexpected_count == 1
    assert [(r["order_id"], r["status"], float(r["net_amount_eur"])) for r in rows.sample] == [
        ("T901", "refunded", 12.0)
    ]
    assert len(result.errors) == 3  # the in-set failure is a warning

    text = result.describe()
    assert text.startswith("4 of 6 expectations failed on marts.fct_ticket_orders")
    assert "expect_column_values_to_be_unique(order_id): 4 unexpected" in text and '"T1"' in text

    check = result.to_check_result()
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.description == text
    meta = check.metadata
    assert meta["table"].value == "marts.fct_ticket_orders" and meta["failed"].value == 4
    entries = {e["expectation"]: e for e in meta["failed_expectations"].value}
    assert entries["expect_column_values_to_be_unique"]["table"] == "marts.fct_ticket_orders"
    assert entries["expect_column_values_to_be_unique"]["unexpected_count"] == 4
    assert entries["expect_column_values_to_be_between"]["sample"] == [-3.5]
    assert entries["unexpected_rows"]["sample"][0]["order_id"] == "T901"
    assert "| expect_column_values_to_be_unique | order_id | error | 4 |" in meta["summary"].value


def test_only_warnings_failed_gives_a_warn_check(tmp_path: Path, warehouse: Path):
    with duckdb.connect(str(warehouse)) as con:
        con.execute("INSERT INTO marts.fct_ticket_orders VALUES ('X1', 'lost', 0)")
    suite = write_suite(tmp_path / "exp", "marts", "fct_ticket_orders", ORDERS_SUITE)
    result = quality.run_suite(suite, warehouse)
    assert not result.success and result.severity == "warning" and not result.errors
    assert "(warnings only)" in result.describe()
    assert result.to_check_result().severity == dg.AssetCheckSeverity.WARN


def test_missing_table_column_or_file_fail_with_a_clear_error(tmp_path: Path, warehouse: Path):
    exp = tmp_path / "exp"
    missing_table = write_suite(exp, "marts", "dim_fan", ORDERS_SUITE)
    result = quality.run_suite(missing_table, warehouse)
    assert not result.success and result.severity == "error"
    assert "marts.dim_fan" in result.error and "marts.dim_fan" in result.describe()

    missing_column = write_suite(
        exp,
        "marts",
        "fct_ticket_orders",
        """\
        suite: s
        blocking: true
        expectations:
          - type: expect_column_values_to_not_be_null
            kwargs: {column: nope}
        """,
    )
    result = quality.run_suite(missing_column, warehouse)
    assert not result.success
    assert 'column "nope"' in result.failures[0].error and "could not run" in result.describe()

    result = quality.run_suite(missing_column, tmp_path / "absent.duckdb")
    assert not result.success and "does not exist" in result.error


def test_a_locked_warehouse_fails_the_suite_instead_of_raising(tmp_path: Path, warehouse):
    suite = write_suite(tmp_path / "exp", "marts", "fct_ticket_orders", ORDERS_SUITE)
    with duckdb.connect(str(warehouse)):  # a writer holds the file (here: same process)
        result = quality.run_suite(suite, warehouse)
    assert not result.success and result.severity == "error"
    assert "could not validate marts.fct_ticket_orders" in result.describe()


def test_empty_table_passes_column_expectations(tmp_path: Path, warehouse: Path):
    with duckdb.connect(str(warehouse)) as con:
        con.execute("DELETE FROM marts.fct_ticket_orders")
    body = ORDERS_SUITE.replace("{min_value: 1}", "{min_value: 0}")
    suite = write_suite(tmp_path / "exp", "marts", "fct_ticket_orders", body)
    assert quality.run_suite(suite, warehouse).success


def test_working_file_is_not_locked_after_a_validation(tmp_path: Path, warehouse: Path):
    break_orders(warehouse)  # failing path too: it re-validates unexpected_rows for a sample
    suite = write_suite(tmp_path / "exp", "marts", "fct_ticket_orders", ORDERS_SUITE)
    quality.run_suite(suite, warehouse)
    with duckdb.connect(str(warehouse)) as con:  # same process, read-write
        con.execute("DELETE FROM marts.fct_ticket_orders WHERE order_id = 'T902'")
    code = (
        f"import duckdb; duckdb.connect({str(warehouse)!r})"
        ".execute('CREATE TABLE marts.written_after AS SELECT 1 AS x')"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=60)


# ----------------------------------------------------------------------------- suite files


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("suite: s\nblocking: yes-ish\nexpectations: []\n", "'blocking' must be true or false"),
        ("suite: s\nblocking: true\nexpectations: []\n", "non-empty list"),
        ("suite: bad name\nblocking: true\nexpectations: [{type: x}]\n", "'suite' must be"),
        (
            "suite: s\nblocking: true\nexpectations:\n"
            "  - {type: expect_column_values_to_match_regex, kwargs: {column: a, regex: x}}\n",
            "regexp_matches",
        ),
        (
            "suite: s\nblocking: true\nexpectations:\n"
            "  - type: unexpected_rows\n"
            "    kwargs: {unexpected_rows_query: 'select 1 from {batch}'}\n",
            "needs a description",
        ),
        (
            "suite: s\nblocking: true\nexpectations:\n"
            "  - {type: expect_column_values_to_not_be_null, kwargs: {column: a}, severity: low}\n",
            "'severity' must be one of",
        ),
        (
            "suite: s\nblocking: true\nexpectations:\n  - {type: expect_nothing_at_all}\n",
            "expect_nothing_at_all not found",
        ),
        (
            "suite: s\nblocking: true\nexpectations:\n"
            "  - {type: expect_column_values_to_be_between, kwargs: {colum: a, min_value: 1}}\n",
            "not valid for GX",
        ),
    ],
)
def test_malformed_suites_are_refused_with_the_file_name(tmp_path: Path, body: str, message):
    path = tmp_path / "marts" / "dim_fan.yml"
    path.parent.mkdir()
    path.write_text(body)
    with pytest.raises(quality.SuiteFormatError, match=message) as err:
        quality.load_suite(path)
    assert str(path) in str(err.value)


def test_suite_outside_a_layer_directory_is_refused(tmp_path: Path):
    path = tmp_path / "reports" / "x.yml"
    path.parent.mkdir()
    path.write_text("suite: s\nblocking: true\nexpectations: [{type: x}]\n")
    with pytest.raises(quality.SuiteFormatError, match="raw|staging"):
        quality.load_suite(path)


# ----------------------------------------------------------------------------- the repo's suites


def test_repository_suites_are_valid_gx_and_cover_raw_and_marts():
    suites = quality.discover_suites(EXPECTATIONS_DIR, check_gx=True)
    by_relation = {s.relation: s for s in suites}
    assert {ft.raw_table for ft in FILE_TYPES} <= set(by_relation)
    assert {f"marts.{m}" for m in MARTS} <= set(by_relation)
    assert all(s.blocking for s in suites if s.layer == "marts")
    restated = [
        f"{s.relation}: {e.type}({e.column})"
        for s in suites
        if s.layer != "raw"
        for e in s.expectations
        if e.type in COLUMN_RULES
    ]
    assert not restated, f"column rules of dbt models belong to their dbt YAML: {restated}"
    assert len({s.check_name for s in suites}) == len(suites)
    for ft in FILE_TYPES:  # raw suites only name contract columns (raw names) and lineage
        known = set(ft.raw_columns) | set(LINEAGE_COLUMNS)
        suite = by_relation[ft.raw_table]
        assert {e.column for e in suite.expectations if e.column} <= known, ft.raw_table
        assert not any("row_count" in e.type for e in suite.expectations), "raw may be empty"


def _raw_value(table: str, column: str, i: int) -> str:
    if (table, column) == ("raw.ticketing_tickets", "status"):
        return "valid"
    good = {
        "status": "paid",
        "sales_channel": "web",
        "product_type": "season_pass",
        "price_category": "abonne",
        "result": "ok",
        "financial_status": "",
        "currency": "EUR",
        "event": "proxy_open",
        "survey": "nps",
        "score": str(i % 11),
        "touchpoint": "shop",
        "type": "survey",
        "home_away": "D",
    }
    return good.get(column, f"v{i}")


def build_raw(path: Path, rows: int = 3) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        for ft in FILE_TYPES:
            cols = list(ft.raw_columns)
            ddl = ", ".join(f'"{c}" VARCHAR' for c in cols)
            con.execute(
                f"CREATE TABLE {ft.raw_table} ({ddl}, _source_file VARCHAR, _source_line INTEGER, "
                "_file_sha256 VARCHAR, _export_date DATE, _loaded_at TIMESTAMP)"
            )
            n = 0 if ft.entity == "campaigns" else rows  # a night without that file
            for i in range(n):
                values = [_raw_value(ft.raw_table, c, i) for c in cols]
                values += [f"{ft.prefix}_20261122.csv", i + 2, "ab" * 32, "2026-11-22", None]
                marks = ", ".join("?" for _ in values[:-1])
                con.execute(f"INSERT INTO {ft.raw_table} VALUES ({marks}, now())", values[:-1])


def test_repository_raw_suites_pass_on_contract_shaped_tables(tmp_path: Path):
    path = tmp_path / "warehouse.duckdb"
    build_raw(path)
    for suite in quality.discover_suites(EXPECTATIONS_DIR):
        if suite.layer == "raw":
            result = quality.run_suite(suite.path, path)
            assert result.success, result.describe()


def test_repository_raw_survey_suite_catches_a_score_off_its_scale(tmp_path: Path):
    path = tmp_path / "warehouse.duckdb"
    build_raw(path)
    with duckdb.connect(str(path)) as con:
        con.execute(
            "UPDATE raw.email_survey_responses SET survey = 'csat', score = '9' "
            "WHERE response_id = 'v1'"
        )
        con.execute("UPDATE raw.ticketing_orders SET sales_channel = 'kiosk'")
    result = quality.run_suite(EXPECTATIONS_DIR / "raw" / "email_survey_responses.yml", path)
    assert not result.success
    (failure,) = result.failures
    assert failure.type == "unexpected_rows" and failure.unexpected_count == 1
    assert failure.sample == [
        {
            "response_id": "v1",
            "survey": "csat",
            "score": "9",
            "_source_file": "survey_responses_20261122.csv",
            "_source_line": 3,
        }
    ]
    warn = quality.run_suite(EXPECTATIONS_DIR / "raw" / "ticketing_orders.yml", path)
    assert not warn.success and warn.severity == "warning"  # a new channel does not block


def test_repository_mart_suites_pass_on_well_formed_marts(tmp_path: Path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.dim_fan AS SELECT 'F' || range AS fan_id FROM range(5)")
        con.execute(
            "CREATE TABLE marts.fan_source_records AS SELECT * FROM (VALUES "
            "('ticketing_order', 'O1', 'F1'), ('shop_order', 'O1', 'F1'), "
            "('email_contact', 'C1', 'F2')) t(record_type, record_id, fan_id)"
        )
        con.execute(
            "CREATE TABLE marts.fct_ticket_orders AS SELECT * FROM (VALUES "
            "('O1', 'paid', 20.0), ('O2', 'refunded', 0.0)) t(order_id, status, net_amount_eur)"
        )
        con.execute(
            "CREATE TABLE marts.fct_shop_orders AS SELECT * FROM (VALUES "
            "('#1001', 'GBP', 11.7)) t(order_id, currency, net_amount_eur)"
        )
        con.execute("CREATE TABLE marts.fct_email_events AS SELECT range AS event_id FROM range(3)")
        con.execute(
            "CREATE TABLE marts.fct_survey_responses AS SELECT 'R' || range AS response_id, "
            "range AS score FROM range(11)"
        )
        con.execute(
            "CREATE TABLE marts.fan_rfm AS SELECT 'F' || range AS fan_id, 1 + range AS r_score, "
            "5 - range AS f_score, 3 AS m_score FROM range(5)"
        )
        con.execute(  # one record claimed by two fans: the unique-mapping rule must catch it
            "CREATE TABLE marts.bad_records AS SELECT * FROM marts.fan_source_records "
            "UNION ALL SELECT 'shop_order', 'O1', 'F9'"
        )
    # the suites of the marts built above; every suite runs on real marts in the e2e test
    for suite in quality.discover_suites(EXPECTATIONS_DIR):
        if suite.relation.removeprefix("marts.") in MARTS:
            result = quality.run_suite(suite.path, path)
            assert result.success, result.describe()
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE marts.fan_source_records")
        con.execute("ALTER TABLE marts.bad_records RENAME TO fan_source_records")
    result = quality.run_suite(EXPECTATIONS_DIR / "marts" / "fan_source_records.yml", path)
    (failure,) = result.failures
    assert failure.sample == [
        {"record_type": "shop_order", "record_id": "O1", "n_rows": 2, "n_fans": 2}
    ]


# ----------------------------------------------------------------------------- Dagster


def test_asset_check_factory_keys_names_and_blocking(tmp_path: Path, warehouse: Path):
    exp = tmp_path / "exp"
    write_suite(exp, "marts", "fct_ticket_orders", ORDERS_SUITE)
    write_suite(
        exp,
        "raw",
        "ticketing_orders",
        """\
        suite: raw_ticketing_orders
        blocking: false
        description: Orders as delivered.
        expectations:
          - type: expect_column_values_to_not_be_null
            kwargs: {column: order_id}
        """,
    )
    write_suite(exp, "staging", "stg_ticketing__orders", ORDERS_SUITE.replace("marts_", "stg_"))
    checks = quality.build_gx_asset_checks(exp, warehouse)
    specs = {spec.key: spec for c in checks for spec in c.check_specs}
    assert set(specs) == {
        dg.AssetCheckKey(dg.AssetKey(["raw", "ticketing_orders"]), "gx_raw_ticketing_orders"),
        dg.AssetCheckKey(
            dg.AssetKey(["staging", "stg_ticketing__orders"]), "gx_stg_fct_ticket_orders"
        ),
        dg.AssetCheckKey(dg.AssetKey(["marts", "fct_ticket_orders"]), "gx_marts_fct_ticket_orders"),
    }
    blocking = {key.asset_key.path[0]: spec.blocking for key, spec in specs.items()}
    assert blocking == {"raw": False, "staging": True, "marts": True}
    raw = specs[
        dg.AssetCheckKey(dg.AssetKey(["raw", "ticketing_orders"]), "gx_raw_ticketing_orders")
    ]
    assert raw.description == "Orders as delivered."


def test_repository_checks_build_without_importing_gx_kwargs_checks():
    checks = quality.build_gx_asset_checks()
    keys = {spec.key for c in checks for spec in c.check_specs}
    assert dg.AssetCheckKey(
        dg.AssetKey(["raw", "ticketing_orders"]), "gx_raw_ticketing_orders"
    ) in (keys)
    assert dg.AssetCheckKey(dg.AssetKey(["marts", "dim_fan"]), "gx_marts_dim_fan") in keys
    dg.Definitions(asset_checks=checks)  # names are valid and unique


def check_broken_orders(tmp_path: Path, warehouse: Path) -> dg.ExecuteInProcessResult:
    """The orders suite's asset check, run by Dagster on broken orders."""
    break_orders(warehouse)
    exp = tmp_path / "exp"
    write_suite(exp, "marts", "fct_ticket_orders", ORDERS_SUITE)
    (check,) = quality.build_gx_asset_checks(exp, lambda: warehouse)

    @dg.asset(key=["marts", "fct_ticket_orders"])
    def orders() -> None:
        """Stands for the dbt model; the table is already in the warehouse."""

    return dg.materialize([orders, check], raise_on_error=False)


def test_asset_check_runs_on_the_warehouse_and_reports(tmp_path: Path, warehouse: Path):
    run = check_broken_orders(tmp_path, warehouse)
    (evaluation,) = run.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "expect_column_values_to_be_unique(order_id): 4 unexpected" in evaluation.description
    assert evaluation.metadata["table"].value == "marts.fct_ticket_orders"
    assert not run.success  # a failed blocking check fails its step


# ----------------------------------------------------------------------------- Data Docs


def test_each_check_writes_its_data_docs_page_for_its_run(tmp_path: Path, warehouse: Path):
    run = check_broken_orders(tmp_path, warehouse)
    staged = data_docs.staging_dir(warehouse)
    (page,) = data_docs.pages_of_run(staged, run.run_id)
    assert (page.suite, page.table, page.success) == (
        "marts_fct_ticket_orders",
        "marts.fct_ticket_orders",
        False,
    )
    text = (staged / page.page).read_text(encoding="utf-8")
    # GX's own rendering: every expectation and how many values failed, never which (a
    # failing value may be a fan's email): T1/T2 are the duplicated order ids, T902 the status
    assert "order_id" in text and "net_amount_eur" in text and "unique" in text
    assert "T902" not in text and "lost" not in text and '"T1"' not in text
    # offline: no stylesheet, script or image is fetched from anywhere
    assert not re.search(r"""<(script|link|img)[^>]*(src|href)=["']https?://""", text)
    assert data_docs.pages_of_run(staged, "another run") == []


def test_the_report_step_publishes_only_the_pages_of_its_run(tmp_path: Path):
    staged, out = tmp_path / "staged", tmp_path / "report"
    for suite, run_id, success in (("a", "r2", True), ("b", "r2", False), ("c", "r1", True)):
        data_docs.write_suite_page(
            staged,
            suite=suite,
            table=f"marts.{suite}",
            success=success,
            run_id=run_id,
            page=f"<html><head></head><body>{suite}</body></html>",
        )
    (out / data_docs.PAGES_DIR).mkdir(parents=True)
    (out / data_docs.PAGES_DIR / "c.html").write_text("last night's")
    index = data_docs.publish_pages(staged, out, "r2")
    assert sorted(p.name for p in index.parent.iterdir()) == ["a.html", "b.html", "index.html"]
    listing = index.read_text(encoding="utf-8")
    assert '<a href="a.html">a</a>' in listing and "failed" in listing
    assert data_docs.publish_pages(staged, out, "r3") is None
    assert not (out / data_docs.PAGES_DIR).exists()


def test_remote_assets_are_removed_from_a_page():
    page = (
        '<html><head><link rel="stylesheet" href="https://cdn.example/x.css">'
        '<script src="https://cdn.example/x.js"></script></head>'
        '<body><img src="http://logo.example/l.png"/><p>kept</p></body></html>'
    )
    cleaned = data_docs.offline(page)
    assert "cdn.example" not in cleaned and "logo.example" not in cleaned
    assert "<p>kept</p>" in cleaned and "<style>" in cleaned
