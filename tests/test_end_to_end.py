"""The nightly job end to end on generated data, checked against the generator's truth."""

import csv
import json
from decimal import Decimal

import duckdb
import pytest

from orchestration.dbt import mart_primary_keys
from orchestration.quality import discover_suites
from tests.conftest import run_nightly
from tests.old_client import describe_with_duckdb1

pytestmark = pytest.mark.e2e


# Connections are opened per test and closed after it: the re-run test needs the files free.
@pytest.fixture
def published(nightly):
    assert nightly.results[0].success, "the nightly job failed"
    with duckdb.connect(str(nightly.published), read_only=True) as con:
        yield con


@pytest.fixture
def working(nightly):
    with duckdb.connect(str(nightly.warehouse), read_only=True) as con:
        yield con


def test_every_input_row_is_loaded_or_quarantined_per_file(nightly, working):
    manifest = {
        row[0]: row[1:]
        for row in working.execute(
            "select _source_file, rows_read, rows_loaded, rows_quarantined from raw._file_manifest"
        ).fetchall()
    }
    with nightly.truth.files_csv.open() as f:
        expected = list(csv.DictReader(f))
    assert expected, "the generator wrote no file list"
    for file in expected:
        read, loaded, quarantined = manifest[file["file"]]
        # a delta re-delivered byte for byte is recorded as a duplicate and not read again
        assert read == (0 if file.get("duplicate_of") else int(file["rows"])), file
        assert quarantined == int(file["bad_rows"]), file
        assert read == loaded + quarantined, file
    # the quarantine holds exactly the rows the manifest says, each with file, line, reason
    quarantine = dict(
        working.execute(
            "select _source_file, count(*) from raw._quarantine "
            "where _source_line is not null and reason <> '' group by 1"
        ).fetchall()
    )
    for file, (_read, _loaded, quarantined) in manifest.items():
        assert quarantine.get(file, 0) == quarantined, file


def test_loaded_rows_are_in_their_raw_tables(working):
    per_file = working.execute(
        "select file_type, _source_file, rows_loaded from raw._file_manifest"
    ).fetchall()
    for file_type, source_file, rows_loaded in per_file:
        count = working.execute(
            f"select count(*) from raw.{file_type} where _source_file = ?", [source_file]
        ).fetchone()[0]
        assert count == rows_loaded, source_file


def test_files_outside_the_contract_are_not_loaded(nightly, working):
    loaded = {
        r[0] for r in working.execute("select _source_file from raw._file_manifest").fetchall()
    }
    assert not any(f.endswith(".tmp") or f.startswith("_truth") for f in loaded)
    assert (nightly.truth.landing / "_truth").is_dir()


def test_net_revenue_equals_the_truth_to_the_cent(nightly, published):
    expected = nightly.truth.expected["net_revenue_eur"]
    cents = Decimal("0.01")
    ticketing = published.execute("select sum(net_amount_eur) from marts.fct_ticket_orders")
    assert ticketing.fetchone()[0] == Decimal(str(expected["ticketing"])).quantize(cents)
    shop = published.execute("select sum(net_amount_eur) from marts.fct_shop_orders")
    assert shop.fetchone()[0] == Decimal(str(expected["shop"])).quantize(cents)
    # the daily KPI adds up to the same figures
    kpi = dict(
        published.execute(
            "select channel, sum(net_revenue_eur) from marts.kpi_sales_daily group by channel"
        ).fetchall()
    )
    assert kpi["ticketing"] == Decimal(str(expected["ticketing"])).quantize(cents)
    assert kpi["shop"] == Decimal(str(expected["shop"])).quantize(cents)


@pytest.mark.parametrize(
    ("entity", "query"),
    [
        ("ticket_orders", "select count(*) from marts.fct_ticket_orders"),
        ("tickets", "select count(*) from marts.fct_tickets"),
        ("access_scans", "select count(*) from marts.fct_access_scans"),
        ("shop_orders", "select count(*) from marts.fct_shop_orders"),
        ("shop_order_lines", "select count(*) from marts.fct_shop_order_lines"),
        ("email_events", "select count(*) from marts.fct_email_events"),
        (
            "survey_responses",
            "select count(*) from marts.fct_survey_responses where is_latest_answer",
        ),
    ],
)
def test_fact_counts_equal_the_truth(nightly, published, entity, query):
    assert published.execute(query).fetchone()[0] == nightly.truth.expected["counts"][entity]


def test_every_fact_fan_exists_in_dim_fan(published):
    for table in (
        "fct_ticket_orders",
        "fct_tickets",
        "fct_access_scans",
        "fct_shop_orders",
        "fct_email_events",
        "fct_survey_responses",
        "fan_source_records",
    ):
        orphans = published.execute(
            f"select count(*) from marts.{table} f "
            "where f.fan_id is not null and f.fan_id not in (select fan_id from marts.dim_fan)"
        ).fetchone()[0]
        assert orphans == 0, table


def test_fan_source_records_cover_every_truth_record(nightly, published):
    truth = f"read_csv('{nightly.truth.source_records_csv}', all_varchar = true)"
    missing = published.execute(
        f"""
        select t.record_type, count(*) from {truth} t
        left join marts.fan_source_records f
            on f.record_type = t.record_type and f.record_id = t.record_id
        where f.fan_id is null group by 1
        """
    ).fetchall()
    assert missing == []


def test_identity_resolution_meets_its_targets(published):
    scores = {
        row[0]: row[1:]
        for row in published.execute(
            "select scope, precision, recall, f1 from marts.identity_quality"
        ).fetchall()
    }
    # Measured on this landing zone (1,200 fans, real-world noise: nicknames, initials and
    # cut first names, birth-date typos and swaps, email typos, married surnames, friends
    # holding tickets, namesake families, blanks): core P 0.990 R 0.952 F1 0.971; all
    # records (holders included) P 0.985 F1 0.920. Issue 9's targets (core F1 0.99, all F1
    # 0.97) are not reached yet: the bars guard what is.
    precision, _, f1 = scores["core"]
    assert precision >= 0.985, scores
    assert f1 >= 0.96, scores
    precision, _, f1 = scores["all"]
    assert precision >= 0.98, scores
    assert f1 >= 0.91, scores


def test_identified_fans_count_people_and_unlinked_attendees_stay_apart(nightly, published):
    truth = f"read_csv('{nightly.truth.source_records_csv}', all_varchar = true)"
    identified_fans, people = published.execute(
        f"""
        select count(distinct d.fan_id), count(distinct t.person_id)
        from {truth} t
        inner join marts.fan_source_records f
            on f.record_type = t.record_type and f.record_id = t.record_id
        inner join marts.dim_fan d on f.fan_id = d.fan_id
        where d.identity_confidence = 'identified'
        """
    ).fetchone()
    # Measured 1,039 identified fans for 975 people (+6.6 %; ticket holders alone made it
    # +54 % before they were linked in their buyer's world or flagged, +12 % before a
    # swapped name stopped making a household and a mailbox's owner took its nameless records).
    assert people <= identified_fans <= 1.1 * people, (identified_fans, people)
    # unlinked attendees are only ticket holders' records, and no fan base counts them
    holder_only = published.execute(
        """
        select count(*) from marts.dim_fan d
        where d.identity_confidence = 'unlinked_attendee' and exists (
            select 1 from marts.fan_source_records f
            where f.fan_id = d.fan_id and f.record_type <> 'ticket_holder'
        )
        """
    ).fetchone()[0]
    assert holder_only == 0
    base, identified = published.execute(
        """
        select
            (select base_fans from marts.kpi_consent_reach where metric = 'reachable_by_email'),
            (select count(*) from marts.dim_fan where identity_confidence = 'identified')
        """
    ).fetchone()
    assert base == identified


def test_households_group_the_people_of_one_home(nightly, published):
    """Pairs of identified fans put in one household, against the generator's households
    (each fan stands for the person most of its records belong to)."""
    truth = nightly.truth.landing / "_truth"
    precision, recall, sizes = published.execute(
        f"""
        with records as (select * from read_csv('{truth}/source_records.csv', all_varchar = true)),
        persons as (select * from read_csv('{truth}/persons.csv', all_varchar = true)),
        fan_person as (
            select f.fan_id, mode(r.person_id) as person_id
            from marts.fan_source_records f
            inner join records r on r.record_type = f.record_type and r.record_id = f.record_id
            group by f.fan_id
        ),
        fans as (
            select d.fan_id, d.household_id, p.household_id as true_household
            from marts.dim_fan d
            inner join fan_person using (fan_id)
            inner join persons p using (person_id)
            where d.household_id is not null
        ),
        pairs as (
            select a.household_id = b.household_id as predicted,
                a.true_household = b.true_household as actual
            from fans a
            inner join fans b
                on a.fan_id < b.fan_id
                and (a.household_id = b.household_id or a.true_household = b.true_household)
        )
        select
            sum((predicted and actual)::int) / sum(predicted::int),
            sum((predicted and actual)::int) / sum(actual::int),
            (select sum(member_count) from marts.dim_household)
        from pairs
        """
    ).fetchone()
    # Measured here: precision 0.994, recall 0.64 (a fan split from its person loses its
    # home when the split part carries no shared key). Recall was 0.73 while ticket holders
    # typed on the buyer's own mailbox counted as identified fans: the easiest household
    # pairs; they are unlinked attendees now, in no household (5,000 fans: 0.69 -> 0.63).
    assert precision >= 0.95, precision
    assert recall >= 0.6, recall
    identified = published.execute(
        "select count(*) from marts.dim_fan where identity_confidence = 'identified'"
    ).fetchone()[0]
    assert sizes == identified


def test_published_parquet_matches_the_published_database(nightly, published):
    parquet = nightly.home / "published" / "parquet"
    tables = [
        r[0]
        for r in published.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    ]
    assert "dim_fan" in tables and "fan_rfm" in tables
    for table in tables:
        rows = published.execute(f"select count(*) from marts.{table}").fetchone()[0]
        in_parquet = published.execute(
            f"select count(*) from '{parquet}/{table}.parquet'"
        ).fetchone()[0]
        assert in_parquet == rows, table


def test_bi_tools_read_the_published_marts_keyed_and_documented(nightly, published):
    """The nightly's published file as a BI tool embedding DuckDB 1.x sees it: every mart
    readable, every table and column commented (dbt's descriptions, persist_docs), each mart
    keyed by its grain; the manifest says which as-of date and which checks it was built
    with."""
    manifest = json.loads((nightly.home / "published" / "manifest.json").read_text())
    seen = describe_with_duckdb1(nightly.published)["tables"]
    assert {name: t["rows"] for name, t in seen.items()} == {
        t["name"]: t["rows"] for t in manifest["tables"]
    }
    undocumented = {
        name: t["uncommented"] for name, t in seen.items() if t["uncommented"] or not t["comment"]
    }
    assert not undocumented
    keys = {name: tuple(t["primary_key"]) for name, t in seen.items() if t["primary_key"]}
    declared = {name: key for name, key in mart_primary_keys().items() if name in seen}
    assert keys == {**declared, "identity_quality": ("scope",)}  # Python writes that one
    # Append-only histories have no grain test; these two grains hold a NULL (an overall row)
    assert sorted(set(seen) - set(keys)) == [
        "fan_id_history",
        "fan_state_history",
        "identity_match_weights",
        "kpi_satisfaction",
    ]
    as_of = published.execute("select max(as_of_date) from marts.fan_rfm").fetchone()[0]
    assert manifest["as_of"] == as_of.isoformat()
    assert manifest["checks"]["passed"] > 0 and manifest["checks"]["failed"] == []


def test_every_model_built_records_its_row_count(nightly, published):
    """Each dbt model's materialization carries the rows dbt built (the Dagster asset history
    shows them night by night): a mart's equals its published table's."""
    built = nightly.results[0].asset_materializations_for_node("dbt_models")
    rows = {m.asset_key.to_user_string(): m.metadata.get("dagster/row_count") for m in built}
    without = sorted(key for key, counted in rows.items() if counted is None)
    assert not without, f"no row count for {without}"
    marts = [key.removeprefix("marts/") for key in rows if key.startswith("marts/")]
    assert "dim_fan" in marts and "fct_ticket_orders" in marts
    for table in marts:
        in_file = published.execute(f"select count(*) from marts.{table}").fetchone()[0]
        assert rows[f"marts/{table}"].value == in_file, table


def _snapshot(nightly) -> dict:
    with duckdb.connect(str(nightly.warehouse), read_only=True) as con:
        manifest = con.execute(
            "select _source_file, sha256, loaded_at from raw._file_manifest order by all"
        ).fetchall()
    with duckdb.connect(str(nightly.published), read_only=True) as con:
        fans = con.execute(
            "select record_type, record_id, fan_id from marts.fan_source_records order by all"
        ).fetchall()
        revenue = con.execute("select sum(net_amount_eur) from marts.fct_ticket_orders").fetchone()
        history = con.execute("select count(*) from marts.fan_id_history").fetchone()[0]
    return {"manifest": manifest, "fans": fans, "revenue": revenue, "history": history}


def test_the_report_links_the_data_docs_of_the_checks_this_night_ran(nightly):
    report_dir = nightly.home / "published" / "report"
    index = report_dir / "data_docs" / "index.html"
    assert 'href="data_docs/index.html"' in (report_dir / "index.html").read_text()
    pages = {path.stem for path in index.parent.glob("*.html")} - {"index"}
    # one page per suite the night validated: every suite in the repository
    assert pages == {suite.name for suite in discover_suites(check_gx=False)}
    assert all(f'href="{page}.html"' in index.read_text() for page in pages)


def test_rerunning_the_same_exports_changes_nothing(nightly):
    before = _snapshot(nightly)
    second = run_nightly(nightly.home, nightly.truth.landing)
    nightly.results.append(second)
    assert second.success
    after = _snapshot(nightly)
    # identical files are skipped: the manifest (and so every raw table) is untouched
    assert after["manifest"] == before["manifest"]
    # no fan id changes, no history row, same figures
    assert after["fans"] == before["fans"]
    assert after["history"] == before["history"] == 0
    assert after["revenue"] == before["revenue"]
