"""Right to erasure on generated data: a request for a person with records in all three tools
removes every email and phone of theirs from every file of the working area and of the
published folder (searched byte by byte), keeps revenue as it was, and keeps them out when
their old exports are delivered again. The person and their identifiers come from the
generator's truth (persons.csv, source_records.csv)."""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from orchestration import erasure
from tests.conftest import run_nightly
from tests.privacy_files import files_holding, redeliver

pytestmark = pytest.mark.e2e

TOOLS = ("ticketing_", "shop_", "email_")


def person_in_every_tool(truth: Path) -> dict:
    """The first person with records in the ticketing tool, the shop and the email tool,
    a phone and two emails (one per tool at least)."""
    with (truth / "source_records.csv").open(encoding="utf-8") as f:
        tools_of = defaultdict(set)
        for row in csv.DictReader(f):
            tools_of[row["person_id"]] |= {t for t in TOOLS if row["record_type"].startswith(t)}
    with (truth / "persons.csv").open(encoding="utf-8") as f:
        for person in csv.DictReader(f):
            emails = [e for e in person["emails"].split("|") if e]
            if tools_of[person["person_id"]] == set(TOOLS) and person["phone_e164"] and emails:
                return {"emails": emails, "phone": person["phone_e164"]}
    raise AssertionError("the generated data has no person in every tool")


def net_revenue(home: Path) -> float:
    with duckdb.connect(str(home / "published" / "grandstand.duckdb"), read_only=True) as con:
        return con.execute("SELECT sum(net_revenue_eur) FROM marts.kpi_sales_monthly").fetchone()[0]


@pytest.fixture(scope="module")
def nights(generated_landing, tmp_path_factory):
    """Night 1 as usual; night 2 with an erasure request; night 3 with the person's old
    exports delivered again under a later date. The landing sits outside the working area:
    it belongs to the tools that export into it."""
    work = tmp_path_factory.mktemp("erasure")
    landing, home = work / "landing", work / "home"
    shutil.copytree(generated_landing.landing, landing, ignore=shutil.ignore_patterns("_truth"))
    person = person_in_every_tool(generated_landing.landing / "_truth")
    identifiers = [*person["emails"], person["phone"]]
    results = [run_nightly(home, landing)]
    held_before = files_holding(home, identifiers)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        holder_tickets = [
            ticket
            for (ticket,) in con.execute(
                "SELECT record_id FROM intermediate.int_identity_records_clustered"
                " WHERE record_type = 'ticket_holder' AND fan_id IN (SELECT fan_id"
                " FROM intermediate.int_identity_records_clustered WHERE email_normalized = ?)",
                [person["emails"][0]],
            ).fetchall()
        ]
    revenue_before = net_revenue(home)
    requests = landing / erasure.REQUESTS_DIR
    requests.mkdir()
    (requests / "erasure_20261121.csv").write_text(
        f"email,phone,fan_id\n{person['emails'][0].upper()},,\n", encoding="utf-8"
    )
    results.append(run_nightly(home, landing))
    held_after = files_holding(home, identifiers)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        holder_names = con.execute(
            "SELECT holder_first_name, holder_last_name FROM raw.ticketing_tickets"
            " WHERE trim(ticket_id) IN (SELECT unnest(?::VARCHAR[]))",
            [holder_tickets],
        ).fetchall()
    revenue_after = net_revenue(home)
    # the tools deliver the person's old records again: their lines, in newer exports
    redeliver(landing, person["emails"])
    results.append(run_nightly(home, landing))
    return {
        "home": home,
        "landing": landing,
        "identifiers": identifiers,
        "results": results,
        "held_before": held_before,
        "held_after": held_after,
        "held_redelivered": files_holding(home, identifiers),
        "revenue": (revenue_before, revenue_after),
        "holder_tickets": holder_tickets,
        "holder_names_after": holder_names,
    }


def test_every_night_succeeds(nights):
    assert [r.success for r in nights["results"]] == [True, True, True]


def test_the_person_was_in_the_warehouse_before_the_request(nights):
    # the search works: before the request, the working file holds their identifiers
    assert "warehouse.duckdb" in nights["held_before"], nights["held_before"]


def test_after_the_request_no_file_holds_any_of_their_identifiers(nights):
    assert nights["held_after"] == {}


def test_their_old_exports_delivered_again_do_not_bring_them_back(nights):
    assert nights["held_redelivered"] == {}


def test_the_names_typed_on_their_tickets_are_gone_too(nights):
    # a ticket someone else bought for them carries their name, not their email or phone
    assert nights["holder_tickets"], "the person holds no ticket in the generated data"
    assert nights["holder_names_after"]
    assert set(nights["holder_names_after"]) == {(None, None)}


def test_revenue_keeps_its_figures(nights):
    before, after = nights["revenue"]
    assert after == pytest.approx(before, abs=0.005)


def test_the_request_is_logged_without_personal_data_and_its_file_is_gone(nights):
    home, identifiers = nights["home"], nights["identifiers"]
    assert not list((nights["landing"] / erasure.REQUESTS_DIR).iterdir())
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        log = con.execute(f"SELECT * FROM {erasure.ERASURE_LOG_TABLE}").fetchall()
        kinds = con.execute(
            f"SELECT kind, count(*) FROM {erasure.SUPPRESSION_TABLE} GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    ((file, _sha, line, requested_on, _at, fans, hashed, raw_rows, quarantined, problem),) = log
    assert (file, line, str(requested_on), problem) == (
        "erasure_20261121.csv",
        2,
        "2026-11-21",
        None,
    )
    assert fans >= 1 and raw_rows > 0 and hashed == sum(n for _, n in kinds)
    # the request gave an email only: the phone was found through the fan
    assert dict(kinds)["email"] >= 1 and dict(kinds)["phone"] >= 1
    assert not any(i.lower() in repr(log).lower() for i in identifiers)


def test_identifier_keys_match_their_sql_twins():
    with duckdb.connect() as con:
        for kind, value, key in (
            ("email", " Jo.Doe+club@Free.FR ", "jo.doe@free.fr"),
            ("phone", "+33 6 12 34 56 78", "612345678"),
            ("phone", "06.12.34.56.78", "612345678"),
            ("phone", "0033612345678", "612345678"),
        ):
            python_key = erasure.email_key(value) if kind == "email" else erasure.phone_key(value)
            one_value = "FROM (SELECT ?::VARCHAR AS v)"
            sql_key = con.execute(f"SELECT {erasure._key_sql(kind, 'v')} {one_value}", [value])
            assert python_key == sql_key.fetchone()[0] == key
            salted = erasure.identifier_hash("s", kind, key)
            sql_hash = erasure.hash_sql("s", kind, erasure._key_sql(kind, "v"))
            assert con.execute(f"SELECT {sql_hash} {one_value}", [value]).fetchone()[0] == salted


def test_a_request_without_an_identifier_is_refused_with_its_line(tmp_path: Path):
    path = tmp_path / "erasure_20261121.csv"
    path.write_text("email,phone\na@b.fr,\n,\n", encoding="utf-8")
    with pytest.raises(erasure.ErasureRequestError, match="erasure_20261121.csv line 3"):
        erasure.read_request_file(path)


def test_a_bad_request_file_is_said_and_left_while_a_good_one_is_applied(tmp_path: Path):
    from orchestration.landing import load_landing

    landing, home = tmp_path / "landing", tmp_path / "home"
    (landing / "email").mkdir(parents=True)
    (landing / "email" / "contacts_20261120.csv").write_text(
        "CONTACT_ID;EMAIL;FIRSTNAME;SMS;CREATED_AT\n"
        "C1;Jo.Doe@free.fr;Jo;06 12 34 56 78;2026-11-20 10:00:00\n"
        "C2;al@free.fr;Al;;2026-11-20 10:00:00\n",
        encoding="utf-8",
    )
    warehouse = home / "warehouse.duckdb"
    home.mkdir()
    load_landing(landing, warehouse)
    requests = landing / erasure.REQUESTS_DIR
    requests.mkdir()
    (requests / "erasure_20261121.csv").write_text("phone\n+33612345678\n", encoding="utf-8")
    (requests / "erasure_20261122.csv").write_text("name\nJo\n", encoding="utf-8")
    report = erasure.apply_erasure(warehouse, landing, home)
    assert (report.requests, report.raw_rows_blanked) == (1, 1)
    assert report.problems == (
        f"{requests / 'erasure_20261122.csv'} line 1: no column email, phone, fan_id in the header",
    )
    assert [p.name for p in requests.iterdir()] == ["erasure_20261122.csv"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT contact_id, email, firstname, sms FROM raw.email_contacts ORDER BY 1"
        ).fetchall()
    # found by the phone in another form; every personal column of the row blanked
    assert rows == [("C1", None, None, None), ("C2", "al@free.fr", "Al", "")]
