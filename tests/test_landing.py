"""Landing zone -> raw tables (orchestration.landing) and the raw Dagster assets.

Every fixture is written byte by byte into tmp_path by the test that uses it, so that what
is being tested (an encoding, a quote, a line break) is visible in the test itself.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.landing import (
    LandingError,
    discover,
    load_file_type,
    load_landing,
)
from orchestration.landing import encoding as landing_encoding
from orchestration.landing import loader as landing_loader
from orchestration.landing.contract import FILE_TYPES, FILE_TYPES_BY_NAME, LINEAGE_COLUMNS
from orchestration.landing.file_policy import WARNING, FilePolicy, stale_source
from orchestration.landing.value_kinds import KINDS
from orchestration.privacy import mask_reason
from orchestration.runs import RUN_LOCK, RunLock
from orchestration.settings import project_var

ORDERS = FILE_TYPES_BY_NAME["ticketing_orders"]
CONTACTS = FILE_TYPES_BY_NAME["email_contacts"]
EVENTS = FILE_TYPES_BY_NAME["email_events"]
SHOP_ORDERS = FILE_TYPES_BY_NAME["shop_orders"]

ORDERS_HEADER = ";".join(ORDERS.columns)  # 20 columns


def order_line(order_id: str = "T1", **values: str) -> str:
    """A valid ticketing order record; keyword arguments replace columns."""
    row = {
        "order_id": order_id,
        "account_id": "A1",
        "created_at": "05/10/2025 14:03",
        "updated_at": "05/10/2025 14:03:27",
        "status": "paid",
        "sales_channel": "web",
        "email": "sophie.gallas@example.fr",
        "civility": "Mme",
        "first_name": "Sophie",
        "last_name": "Gallas",
        "birth_date": "12/03/1984",
        "phone": "06 12 34 56 78",
        "address": "3 rue de la Paix",
        "postal_code": "75008",
        "city": "Paris",
        "country": "FR",
        "optin_club": "O",
        "optin_partners": "N",
        "total_amount": "42,50",
        "currency": "EUR",
    }
    row.update(values)
    assert list(row) == list(ORDERS.columns)
    return ";".join(row.values())


def write(root: Path, rel: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    path = tmp_path / "landing"
    path.mkdir()
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "home" / "warehouse.duckdb"


# ----------------------------------------------------------------------- encodings


def test_cp1252_ticketing_file_is_decoded_as_windows_1252(landing: Path, warehouse: Path):
    # ’ is 0x92 and œ 0x9C in Windows-1252; latin-1 would turn them into control characters.
    text = f"{ORDERS_HEADER}\r\n" + order_line(last_name="L’Hôte", city="Cœuvres") + "\r\n"
    raw = text.encode("cp1252")
    assert b"\x92" in raw and b"\x9c" in raw
    write(landing, "ticketing/orders_20261120.csv", raw)

    [result] = load_file_type(landing, warehouse, ORDERS)

    assert (result.status, result.encoding, result.rows_loaded) == ("loaded", "cp1252", 1)
    assert query(warehouse, "SELECT last_name, city FROM raw.ticketing_orders") == [
        ("L’Hôte", "Cœuvres")
    ]
    assert query(warehouse, "SELECT encoding FROM raw._file_manifest") == [("cp1252",)]


def test_utf8_file_with_bom_matches_its_first_header_column(landing: Path, warehouse: Path):
    text = f"{ORDERS_HEADER}\n{order_line('T1', first_name='Hélène')}\n"
    write(landing, "ticketing/orders_20261120.csv", b"\xef\xbb\xbf" + text.encode())

    [result] = load_file_type(landing, warehouse, ORDERS)

    assert (result.status, result.encoding, result.missing_columns) == ("loaded", "utf-8-sig", [])
    assert query(warehouse, "SELECT order_id, first_name FROM raw.ticketing_orders") == [
        ("T1", "Hélène")
    ]


def test_undecodable_bytes_quarantine_only_their_record(landing: Path, warehouse: Path):
    header = ";".join(CONTACTS.columns)
    good = "C{n};c{n}@example.fr;Léa;Martin;;1990-01-31;75008;No;No;2025-01-01 10:00:00;;Abonnés"
    lines = [header, good.format(n=1), good.format(n=2), good.format(n=3)]
    raw = ("\n".join(lines) + "\n").encode()
    broken_at = raw.index(b"c2@")  # the email of line 3
    raw = raw[:broken_at] + b"\xff" + raw[broken_at + 1 :]
    write(landing, "email/contacts_20261120.csv", raw)

    [result] = load_file_type(landing, warehouse, CONTACTS)

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    [(line, reason, record)] = query(
        warehouse, "SELECT _source_line, reason, raw_record FROM raw._quarantine"
    )
    assert line == 3
    assert reason == f"line 3: undecodable bytes 0xff for utf-8 at byte offset {broken_at}"
    assert record.startswith("C2;\\xff2@example.fr;Léa")  # the bytes stay visible
    assert query(warehouse, "SELECT contact_id FROM raw.email_contacts ORDER BY 1") == [
        ("C1",),
        ("C3",),
    ]


def test_mostly_utf8_ticketing_file_with_one_broken_byte_stays_utf8(landing: Path, warehouse: Path):
    # Decision: a ticketing file that is UTF-8 except for one broken byte is not re-read
    # as Windows-1252 (which would garble every accent): the broken record is quarantined.
    lines = [ORDERS_HEADER] + [order_line(f"T{i}", first_name="Hélène") for i in range(5)]
    raw = ("\n".join(lines) + "\n").encode()
    raw = raw.replace(b"T3;", b"T3\x81;")  # 0x81 is not even defined in Windows-1252
    write(landing, "ticketing/orders_20261120.csv", raw)

    [result] = load_file_type(landing, warehouse, ORDERS)

    assert (result.encoding, result.rows_loaded, result.rows_quarantined) == ("utf-8", 4, 1)
    assert query(warehouse, "SELECT DISTINCT first_name FROM raw.ticketing_orders") == [("Hélène",)]
    assert query(warehouse, "SELECT _source_line FROM raw._quarantine") == [(5,)]


# ------------------------------------------------------------------------- columns


def test_header_is_matched_case_insensitively_after_trimming(landing: Path, warehouse: Path):
    header = ";".join(f"  {c.upper()} " for c in ORDERS.columns)
    write(landing, "ticketing/orders_20261120.csv", f"{header}\n{order_line()}\n")

    [result] = load_file_type(landing, warehouse, ORDERS)

    assert (result.status, result.extra_columns, result.missing_columns) == ("loaded", [], [])
    assert query(warehouse, "SELECT order_id, total_amount FROM raw.ticketing_orders") == [
        ("T1", "42.50")
    ]


def test_unknown_column_becomes_a_raw_column_and_later_files_still_load(
    landing: Path, warehouse: Path
):
    write(
        landing,
        "ticketing/orders_20261119.csv",
        f"{ORDERS_HEADER};Loyalty Tier\n{order_line('T1')};Gold\n",
    )
    write(landing, "ticketing/orders_20261120.csv", f"{ORDERS_HEADER}\n{order_line('T2')}\n")

    first, second = load_file_type(landing, warehouse, ORDERS)

    assert (first.extra_columns, first.new_columns) == (["loyalty_tier"], ["loyalty_tier"])
    assert (second.status, second.extra_columns) == ("loaded", [])
    assert query(
        warehouse, "SELECT order_id, loyalty_tier FROM raw.ticketing_orders ORDER BY 1"
    ) == [("T1", "Gold"), ("T2", None)]
    # A third file bringing the column again does not add it twice.
    write(
        landing,
        "ticketing/orders_20261121.csv",
        f"{ORDERS_HEADER};loyalty tier\n{order_line('T3')};Silver\n",
    )
    [third] = [r for r in load_file_type(landing, warehouse, ORDERS) if r.status != "skipped"]
    assert (third.extra_columns, third.new_columns) == (["loyalty_tier"], [])


def test_missing_contract_column_loads_as_null(landing: Path, warehouse: Path):
    columns = [c for c in ORDERS.columns if c not in ("civility", "phone")]
    row = order_line().split(";")
    values = [v for c, v in zip(ORDERS.columns, row, strict=True) if c in columns]
    write(landing, "ticketing/orders_20261120.csv", ";".join(columns) + "\n" + ";".join(values))

    [result] = load_file_type(landing, warehouse, ORDERS)

    assert (result.status, result.missing_columns) == ("loaded", ["civility", "phone"])
    assert query(warehouse, "SELECT order_id, civility, phone FROM raw.ticketing_orders") == [
        ("T1", None, None)
    ]


def test_every_contract_and_lineage_column_exists_even_without_files(
    landing: Path, warehouse: Path
):
    (landing / "shop").mkdir()

    assert load_file_type(landing, warehouse, SHOP_ORDERS) == []

    columns = [
        r[0]
        for r in query(
            warehouse,
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'raw' AND table_name = 'shop_orders' ORDER BY ordinal_position",
        )
    ]
    assert columns == [*SHOP_ORDERS.raw_columns, *LINEAGE_COLUMNS]
    assert "lineitem_quantity" in columns and "billing_zip" in columns


def test_missing_required_column_refuses_the_whole_file(landing: Path, warehouse: Path):
    header = ";".join(c for c in ORDERS.columns if c != "total_amount")
    body = "\n".join(";".join(order_line(f"T{i}").split(";")[:-2] + ["EUR"]) for i in range(3))
    write(landing, "ticketing/orders_20261120.csv", f"{header}\n{body}\n")

    [result] = load_file_type(landing, warehouse, ORDERS)

    assert result.status == "refused" and result.problem
    assert result.error == (
        "ticketing/orders_20261120.csv refused: header lacks required column 'total_amount'"
    )
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 0, 3)
    assert query(warehouse, "SELECT count(*) FROM raw.ticketing_orders") == [(0,)]
    assert query(warehouse, "SELECT DISTINCT column_name, reason FROM raw._quarantine") == [
        ("total_amount", result.error)
    ]
    assert query(warehouse, "SELECT status, rows_quarantined, error FROM raw._file_manifest") == [
        ("refused", 3, result.error)
    ]


def test_duplicate_header_names_are_kept_apart(landing: Path, warehouse: Path):
    write(landing, "ticketing/orders_20261120.csv", f"{ORDERS_HEADER};Email\n{order_line()};x@y\n")

    [result] = load_file_type(landing, warehouse, ORDERS)

    assert result.extra_columns == ["email_2"]
    assert query(warehouse, "SELECT email, email_2 FROM raw.ticketing_orders") == [
        ("sophie.gallas@example.fr", "x@y")
    ]


# ------------------------------------------------------------------------- records


def test_wrong_field_count_is_quarantined_with_file_and_line(landing: Path, warehouse: Path):
    lines = [ORDERS_HEADER, order_line("T1"), order_line("T2") + ";extra", order_line("T3")]
    write(landing, "ticketing/orders_20261120.csv", "\r\n".join(lines) + "\r\n")

    [result] = load_file_type(landing, warehouse, ORDERS)

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    assert result.issues == ["ticketing/orders_20261120.csv line 3: expected 20 fields, found 21"]
    assert query(
        warehouse,
        "SELECT source, file_type, _source_file, _source_line, column_name, reason, raw_record "
        "FROM raw._quarantine",
    ) == [
        (
            "ticketing",
            "ticketing_orders",
            "ticketing/orders_20261120.csv",
            3,
            None,
            "expected 20 fields, found 21",
            order_line("T2") + ";extra",
        )
    ]


def test_embedded_newline_keeps_the_line_of_the_next_record(landing: Path, warehouse: Path):
    multi = order_line("T2", address='"Bâtiment B\r\n12 rue des Lilas"')
    lines = [ORDERS_HEADER, order_line("T1"), multi, order_line("T3")]
    write(landing, "ticketing/orders_20261120.csv", "\r\n".join(lines) + "\r\n")

    [result] = load_file_type(landing, warehouse, ORDERS)

    assert (result.rows_loaded, result.rows_quarantined) == (3, 0)
    assert query(
        warehouse, "SELECT order_id, _source_line, address FROM raw.ticketing_orders ORDER BY 2"
    ) == [
        ("T1", 2, "3 rue de la Paix"),
        ("T2", 3, "Bâtiment B\r\n12 rue des Lilas"),
        ("T3", 5, "3 rue de la Paix"),
    ]


def test_unbalanced_quote_loses_one_line_not_the_rest_of_the_file(landing: Path, warehouse: Path):
    lines = [ORDERS_HEADER, order_line("T1"), order_line("T2", address='"3 rue')]
    lines += [order_line(f"T{i}") for i in range(3, 7)]
    write(landing, "ticketing/orders_20261120.csv", "\n".join(lines) + "\n")

    [result] = load_file_type(landing, warehouse, ORDERS)

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 5, 1)
    [(line, reason, record)] = query(
        warehouse, "SELECT _source_line, reason, raw_record FROM raw._quarantine"
    )
    assert (line, record) == (3, lines[2])
    assert reason.startswith("expected 20 fields, found") and "unbalanced quote" in reason
    assert query(warehouse, "SELECT order_id, _source_line FROM raw.ticketing_orders") == [
        ("T1", 2),
        ("T3", 4),
        ("T4", 5),
        ("T5", 6),
        ("T6", 7),
    ]


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ("3 rue\rde la Paix", "new-line character seen in unquoted field"),
        ('"' + "x" * 200_000, "field larger than field limit"),
    ],
    ids=["lone-carriage-return", "runaway-field"],
)
def test_record_the_csv_module_cannot_parse_is_quarantined(
    landing: Path, warehouse: Path, broken: str, reason: str
):
    lines = [ORDERS_HEADER, order_line("T1"), order_line("T2", address=broken), order_line("T3")]
    write(landing, "ticketing/orders_20261120.csv", "\n".join(lines) + "\n")

    [result] = load_file_type(landing, warehouse, ORDERS)

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    [(line, why, record)] = query(
        warehouse, "SELECT _source_line, reason, raw_record FROM raw._quarantine"
    )
    assert (line, record) == (3, lines[2])
    assert why.startswith("record cannot be parsed: ") and reason in why
    assert query(warehouse, "SELECT order_id, _source_line FROM raw.ticketing_orders") == [
        ("T1", 2),
        ("T3", 4),
    ]


def test_empty_strings_stay_empty_and_text_is_kept_exactly(landing: Path, warehouse: Path):
    line = order_line(email="", phone=" +33 6 12 34 56 78 ", first_name='Jean "JJ"')
    write(landing, "ticketing/orders_20261120.csv", f"{ORDERS_HEADER}\n{line}\n")

    load_file_type(landing, warehouse, ORDERS)

    assert query(warehouse, "SELECT email, phone, first_name FROM raw.ticketing_orders") == [
        ("", " +33 6 12 34 56 78 ", 'Jean "JJ"')
    ]


def test_lineage_columns(landing: Path, warehouse: Path):
    path = write(landing, "ticketing/orders_20261120.csv", f"{ORDERS_HEADER}\n{order_line()}\n")
    before = datetime.now(UTC).replace(tzinfo=None)

    load_file_type(landing, warehouse, ORDERS)

    [(source_file, line, sha, export_date, loaded_at)] = query(
        warehouse, f"SELECT {', '.join(LINEAGE_COLUMNS)} FROM raw.ticketing_orders"
    )
    assert (source_file, line) == ("ticketing/orders_20261120.csv", 2)
    assert sha == hashlib.sha256(path.read_bytes()).hexdigest()
    assert export_date == date(2026, 11, 20)
    assert before <= loaded_at <= datetime.now(UTC).replace(tzinfo=None)


def test_json_lines_values_become_text(landing: Path, warehouse: Path):
    lines = [
        '{"id": 81234, "camp_id": 42, "campaign name": "J-3 Derby", "email": "a@b.fr", '
        '"event": "click", "date_sent": "2025-10-07 09:50:26", "date_event": '
        '"2025-10-07 10:02:11", "ts_sent": 1759823426, "ts_event": 1759824131, '
        '"URL": "https://club.fr/billets", "tag": "", "score": 2.50, "meta": {"n": [1, true]}}',
        '{"id": 81235, "event": "opened", "URL": null}',
    ]
    write(landing, "email/events_20261120.jsonl", "\n".join(lines) + "\n")

    [result] = load_file_type(landing, warehouse, EVENTS)

    assert (result.rows_loaded, result.extra_columns) == (2, ["score", "meta"])
    assert query(
        warehouse,
        "SELECT id, camp_id, campaign_name, url, tag, ts_sent, score, meta, _source_line "
        "FROM raw.email_events ORDER BY id",
    ) == [
        (
            "81234",
            "42",
            "J-3 Derby",
            "https://club.fr/billets",
            "",
            "1759823426",
            "2.50",
            '{"n": [1, true]}',
            1,
        ),
        ("81235", None, None, None, None, None, None, None, 2),
    ]


def test_json_lines_odd_values(landing: Path, warehouse: Path):
    lines = [
        '{"id": 1, "event": "click", "tag": true, "URL": [1, {"a": 2.50}]}',
        '{"id": 2, "event": "click", "tag": false, "URL": "x"}',
        '{"id": 3, "event": "click\\ud800"}',  # a lone surrogate cannot be stored as text
        '{"id": 4, "event": "opened", "Tag": "b", "tag": "a"}',  # one raw name: the last wins
        "42",
    ]
    write(landing, "email/events_20261120.jsonl", "\r\n".join(lines) + "\r\n")

    [result] = load_file_type(landing, warehouse, EVENTS)

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 3, 2)
    assert query(warehouse, "SELECT id, tag, url FROM raw.email_events ORDER BY id") == [
        ("1", "true", '[1, {"a": 2.50}]'),
        ("2", "false", "x"),
        ("4", "a", None),
    ]
    assert query(
        warehouse, "SELECT _source_line, reason, raw_record FROM raw._quarantine ORDER BY 1"
    ) == [
        (3, "not valid JSON: a string holds a lone surrogate (\\udXXX)", lines[2]),
        (5, "not a JSON object but a number", "42"),
    ]


def test_broken_json_lines_are_quarantined_with_file_and_line(landing: Path, warehouse: Path):
    good = '{"id": 1, "event": "opened"}'
    lines = [good, '{"id": 2, "event": "op', "[1, 2]", "", '{"event": "click"}', good]
    write(landing, "email/events_20261120.jsonl", "\n".join(lines) + "\n")

    [result] = load_file_type(landing, warehouse, EVENTS)

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 2, 3)
    rows = query(
        warehouse,
        "SELECT _source_file, _source_line, column_name, reason, raw_record "
        "FROM raw._quarantine ORDER BY 2",
    )
    assert [r[:3] for r in rows] == [
        ("email/events_20261120.jsonl", 2, None),
        ("email/events_20261120.jsonl", 3, None),
        ("email/events_20261120.jsonl", 5, "id"),
    ]
    assert rows[0][3].startswith("not valid JSON: Unterminated string")
    assert rows[0][4] == '{"id": 2, "event": "op'
    assert rows[1][3] == "not a JSON object but an array"
    assert rows[2][3] == "required key 'id' missing"


# -------------------------------------------------------------------------- values


TIMESTAMP_FORMS = KINDS["local_timestamp"].accepts
DATE_FORMS = KINDS["date"].accepts


@pytest.mark.parametrize(
    ("ft", "column", "value", "reason"),
    [
        (
            ORDERS,
            "total_amount",
            "1.234",
            "column total_amount: '1.234' is ambiguous: '.' may separate thousands or decimals"
            " (the file writes decimals with ',')",
        ),
        (
            ORDERS,
            "total_amount",
            "-3,00",
            "column total_amount: '-3,00' is negative, which the contract forbids here",
        ),
        (
            ORDERS,
            "created_at",
            "31/02/2025 25:00",
            "column created_at: '31/02/2025 25:00' is not a real calendar date or time",
        ),
        (
            ORDERS,
            "created_at",
            "05/10/25 14:03",
            f"column created_at: '05/10/25 14:03' is not {TIMESTAMP_FORMS}",
        ),
        (
            ORDERS,
            "birth_date",
            "31/04/1984",
            "column birth_date: '31/04/1984' is not a real calendar date or time",
        ),
        (
            ORDERS,
            "birth_date",
            "01/04/0984",
            "column birth_date: '01/04/0984' has a year outside 1900-2100",
        ),
        (
            ORDERS,
            "optin_club",
            "peut-être",
            f"column optin_club: 'peut-être' is not {KINDS['boolean'].accepts}",
        ),
        (
            CONTACTS,
            "date_of_birth",
            "2025-13-45",
            "column date_of_birth: '2025-13-45' is not a real calendar date or time",
        ),
        (
            CONTACTS,
            "date_of_birth",
            "March 3rd",
            f"column date_of_birth: 'March 3rd' is not {DATE_FORMS}",
        ),
        (
            CONTACTS,
            "email_blacklisted",
            "maybe",
            f"column email_blacklisted: 'maybe' is not {KINDS['boolean'].accepts}",
        ),
    ],
)
def test_invalid_value_is_quarantined_naming_the_column(
    landing: Path, warehouse: Path, ft, column: str, value: str, reason: str
):
    header = ";".join(ft.columns)
    if ft is ORDERS:
        good, bad = order_line("T1"), order_line("T2", **{column: value})
    else:
        row = dict.fromkeys(ft.raw_columns, "")
        row.update(contact_id="C1", date_of_birth="1990-02-28", email_blacklisted="No")
        good = ";".join(row.values())
        bad = ";".join({**row, "contact_id": "C2", column: value}.values())
    write(landing, f"{ft.source}/{ft.file_name('20261120')}", f"{header}\n{good}\n{bad}\n")

    [result] = load_file_type(landing, warehouse, ft)

    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    # the example the logs show withholds a person's value; the quarantine keeps it whole
    shown = mask_reason(reason, column)
    assert result.issues == [f"{ft.source}/{ft.file_name('20261120')} line 3: {shown}"]
    assert query(
        warehouse, "SELECT _source_line, column_name, reason, raw_record FROM raw._quarantine"
    ) == [(3, column, reason, bad)]


def test_valid_values_of_every_kind_pass_in_canonical_form(landing: Path, warehouse: Path):
    lines = [
        ORDERS_HEADER,
        order_line("T1", created_at="29/02/2024 23:59:59", total_amount="1 234,50", optin_club="o"),
        order_line("T2", birth_date="", total_amount="0,5", optin_partners=""),
        order_line("T3", created_at="2024-03-01T08:05", birth_date="1/2/1990", optin_club="Oui"),
    ]
    write(landing, "ticketing/orders_20261120.csv", "\n".join(lines))  # no final newline
    shop_header = ",".join(SHOP_ORDERS.columns)
    shop_row = dict.fromkeys(SHOP_ORDERS.columns, "")
    shop_row.update(
        {
            "Name": "#1001",
            "Created at": "2025-10-07 09:50:26 +0200",
            "Lineitem quantity": "2",
            "Total": "59.90",
            "Accepts Marketing": "yes",
            "Lineitem taxable": "TRUE",
            "Billing Zip": "'75008",
        }
    )
    write(
        landing,
        "shop/orders_export_20261120.csv",
        f"{shop_header}\n{','.join(shop_row.values())}\n",
    )

    [orders] = load_file_type(landing, warehouse, ORDERS)
    [shop] = load_file_type(landing, warehouse, SHOP_ORDERS)

    assert (orders.rows_loaded, orders.rows_quarantined) == (3, 0)
    assert (shop.rows_loaded, shop.rows_quarantined) == (1, 0)
    assert query(
        warehouse,
        "SELECT order_id, created_at, birth_date, total_amount, optin_club, optin_partners"
        " FROM raw.ticketing_orders ORDER BY 1",
    ) == [
        ("T1", "2024-02-29 23:59:59", "1984-03-12", "1234.50", "true", "false"),
        ("T2", "2025-10-05 14:03:00", "", "0.5", "true", ""),
        ("T3", "2024-03-01 08:05:00", "1990-02-01", "42.50", "true", "false"),
    ]
    assert query(
        warehouse,
        "SELECT name, billing_zip, lineitem_quantity, created_at, total, accepts_marketing,"
        " lineitem_taxable FROM raw.shop_orders",
    ) == [("#1001", "'75008", "2", "2025-10-07 09:50:26+02:00", "59.90", "true", "true")]


def test_rows_read_is_rows_loaded_plus_rows_quarantined(
    landing: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch
):
    # Small batches so that records, bad values and broken lines straddle batch boundaries.
    monkeypatch.setattr(landing_loader, "BATCH_ROWS", 3)
    lines = [ORDERS_HEADER]
    for i in range(40):
        if i % 7 == 3:
            lines.append(order_line(f"T{i}", total_amount="1.234"))  # ambiguous value
        elif i % 11 == 5:
            lines.append(order_line(f"T{i}") + ";x")  # wrong field count
        elif i % 13 == 8:
            lines.append(order_line(f"T{i}", address='"a\nb"'))  # two physical lines
        else:
            lines.append(order_line(f"T{i}"))
    write(landing, "ticketing/orders_20261120.csv", "\n".join(lines) + "\n")

    [result] = load_file_type(landing, warehouse, ORDERS)

    assert result.rows_read == 40
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    assert (result.rows_loaded, result.rows_quarantined) == (31, 9)
    assert query(
        warehouse, "SELECT rows_read, rows_loaded, rows_quarantined FROM raw._file_manifest"
    ) == [(40, 31, 9)]
    assert query(warehouse, "SELECT count(*) FROM raw.ticketing_orders") == [(31,)]
    assert query(warehouse, "SELECT count(*) FROM raw._quarantine") == [(9,)]
    # Line numbers survive the batches: each record sits on the line the file says.
    physical = "\n".join(lines).split("\n")
    for order_id, line in query(
        warehouse, "SELECT order_id, _source_line FROM raw.ticketing_orders"
    ):
        assert physical[line - 1].startswith(order_id + ";")
    for line, record in query(warehouse, "SELECT _source_line, raw_record FROM raw._quarantine"):
        assert physical[line - 1] == record.split("\n")[0]


def test_a_broken_count_invariant_fails_loudly_and_loads_nothing(
    landing: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch
):
    original = landing_loader._FileLoader._check_and_insert

    def lose_a_row(self, *args):
        loaded, entries = original(self, *args)
        return loaded - 1, entries  # a row vanishes from the books

    monkeypatch.setattr(landing_loader._FileLoader, "_check_and_insert", lose_a_row)
    write(landing, "ticketing/orders_20261120.csv", f"{ORDERS_HEADER}\n{order_line()}\n")

    with pytest.raises(LandingError, match="rows_read 1 != rows_loaded 0"):
        load_file_type(landing, warehouse, ORDERS)
    assert query(warehouse, "SELECT count(*) FROM raw.ticketing_orders") == [(0,)]
    assert query(warehouse, "SELECT count(*) FROM raw._file_manifest") == [(0,)]


# --------------------------------------------------------------------- idempotence


def test_rerun_with_the_same_files_loads_nothing_new(landing: Path, warehouse: Path):
    write(landing, "ticketing/orders_20261120.csv", f"{ORDERS_HEADER}\n{order_line()}\n1;2\n")
    write(landing, "email/events_20261120.jsonl", '{"id": 1, "event": "opened"}\n')

    first = load_landing(landing, warehouse)
    second = load_landing(landing, warehouse)

    assert sorted(r.status for r in first.files if not r.problem) == ["loaded", "loaded"]
    assert sorted(r.status for r in second.files if not r.problem) == ["skipped", "skipped"]
    assert second.rows_read == 0
    assert query(
        warehouse,
        "SELECT (SELECT count(*) FROM raw.ticketing_orders), (SELECT count(*) FROM "
        "raw.email_events), (SELECT count(*) FROM raw._quarantine), "
        "(SELECT count(*) FROM raw._file_manifest)",
    ) == [(1, 1, 1, 2)]


def test_changed_file_with_the_same_name_replaces_its_rows(landing: Path, warehouse: Path):
    other = write(
        landing, "ticketing/orders_20261119.csv", f"{ORDERS_HEADER}\n{order_line('T0')}\n"
    )
    path = landing / "ticketing/orders_20261120.csv"
    write(
        landing,
        "ticketing/orders_20261120.csv",
        f"{ORDERS_HEADER}\n{order_line('T1', total_amount='9.999')}\n{order_line('T2')}\n",
    )
    load_file_type(landing, warehouse, ORDERS)
    assert query(warehouse, "SELECT count(*) FROM raw._quarantine") == [(1,)]

    corrected = f"{ORDERS_HEADER}\n{order_line('T1', total_amount='9,99')}\n{order_line('T2')}\n"
    path.write_text(corrected + order_line("T3") + "\n")
    results = load_file_type(landing, warehouse, ORDERS)

    assert [(r.source_file, r.status) for r in results] == [
        ("ticketing/orders_20261119.csv", "skipped"),
        ("ticketing/orders_20261120.csv", "replaced"),
    ]
    assert results[1].replaced and results[1].rows_loaded == 3
    assert query(
        warehouse, "SELECT order_id, total_amount FROM raw.ticketing_orders ORDER BY 1"
    ) == [("T0", "42.50"), ("T1", "9.99"), ("T2", "42.50"), ("T3", "42.50")]
    assert query(warehouse, "SELECT count(*) FROM raw._quarantine") == [(0,)]
    assert query(
        warehouse, "SELECT _source_file, status, rows_loaded FROM raw._file_manifest ORDER BY 1"
    ) == [
        ("ticketing/orders_20261119.csv", "loaded", 1),
        ("ticketing/orders_20261120.csv", "replaced", 3),
    ]
    assert query(
        warehouse, "SELECT DISTINCT _file_sha256 FROM raw.ticketing_orders WHERE order_id = 'T1'"
    ) == [(hashlib.sha256(path.read_bytes()).hexdigest(),)]
    assert other.exists()


def test_byte_identical_file_under_another_name_or_date_is_counted_once(
    landing: Path, warehouse: Path
):
    content = f"{ORDERS_HEADER}\n{order_line()}\n"
    write(landing, "ticketing/orders_20261119.csv", content)
    write(landing, "ticketing/orders_20261120.csv", content)

    results = load_file_type(landing, warehouse, ORDERS)

    assert [r.status for r in results] == ["loaded", "duplicate"]
    assert "orders_20261119.csv" in results[1].warnings[0]
    assert query(warehouse, "SELECT count(*) FROM raw.ticketing_orders") == [(1,)]
    assert query(
        warehouse, "SELECT _source_file, status, rows_read FROM raw._file_manifest ORDER BY 1"
    ) == [
        ("ticketing/orders_20261119.csv", "loaded", 1),
        ("ticketing/orders_20261120.csv", "duplicate", 0),
    ]
    assert [r.status for r in load_file_type(landing, warehouse, ORDERS)] == ["skipped"] * 2


# ----------------------------------------------------------------- discovery, files


def test_files_outside_the_contract_are_ignored_but_listed(landing: Path, warehouse: Path):
    content = f"{ORDERS_HEADER}\n{order_line()}\n"
    write(landing, "ticketing/orders_20261120.csv", content)
    write(landing, "ticketing/orders_20261121.csv.tmp", content)
    write(landing, "ticketing/orders_2026112.csv", content)
    write(landing, "ticketing/README", "exports of the box office")
    write(landing, "_truth/ticketing/orders_20261120.csv", content)
    write(landing, "_truth/expected.json", "{}")
    write(landing, "README", "landing zone")
    write(landing, "shop/orders_20261120.csv", content)  # a ticketing name in the shop folder

    report = load_landing(landing, warehouse)

    assert [r.source_file for r in report.files if r.status == "loaded"] == [
        "ticketing/orders_20261120.csv"
    ]
    assert sorted(report.ignored) == [
        "README",
        "_truth/expected.json",
        "_truth/ticketing/orders_20261120.csv",
        "shop/orders_20261120.csv",
        "ticketing/README",
        "ticketing/orders_2026112.csv",
        "ticketing/orders_20261121.csv.tmp",
    ]
    assert query(warehouse, "SELECT count(*) FROM raw.ticketing_orders") == [(1,)]


def test_empty_and_zero_byte_files_are_recorded_as_empty(landing: Path, warehouse: Path):
    write(landing, "ticketing/orders_20261118.csv", b"")
    write(landing, "ticketing/orders_20261119.csv", f"{ORDERS_HEADER}\r\n")
    write(landing, "ticketing/orders_20261120.csv", f"{ORDERS_HEADER}\n{order_line()}\n")
    write(landing, "email/events_20261120.jsonl", b"")

    orders = load_file_type(landing, warehouse, ORDERS)
    [events] = load_file_type(landing, warehouse, EVENTS)

    assert [(r.status, r.rows_read) for r in orders] == [("empty", 0), ("empty", 0), ("loaded", 1)]
    assert (events.status, events.rows_read, events.problem) == ("empty", 0, False)
    assert query(
        warehouse,
        "SELECT _source_file, status, rows_read, size_bytes FROM raw._file_manifest ORDER BY 1",
    ) == [
        ("email/events_20261120.jsonl", "empty", 0, 0),
        ("ticketing/orders_20261118.csv", "empty", 0, 0),
        ("ticketing/orders_20261119.csv", "empty", 0, len(ORDERS_HEADER) + 2),
        ("ticketing/orders_20261120.csv", "loaded", 1, len(ORDERS_HEADER) + len(order_line()) + 2),
    ]
    assert query(warehouse, "SELECT count(*) FROM raw.email_events") == [(0,)]


def test_missing_landing_folder_is_an_error_naming_it(tmp_path: Path, warehouse: Path):
    landing = tmp_path / "nowhere"

    [result] = load_file_type(landing, warehouse, ORDERS)

    assert result.status == "error" and result.problem
    assert str(landing) in (result.error or "")
    assert query(warehouse, "SELECT count(*) FROM raw.ticketing_orders") == [(0,)]
    report = load_landing(landing, warehouse)
    assert len(report.problems) == len(FILE_TYPES)


def test_unreadable_file_is_an_error_and_other_files_still_load(
    landing: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch
):
    write(landing, "ticketing/orders_20261119.csv", f"{ORDERS_HEADER}\n{order_line('T1')}\n")
    write(landing, "ticketing/orders_20261120.csv", f"{ORDERS_HEADER}\n{order_line('T2')}\n")
    original = landing_encoding.scan

    def scan(path: Path, encodings):
        if path.name == "orders_20261119.csv":
            raise PermissionError(13, "Permission denied")
        return original(path, encodings)

    monkeypatch.setattr(landing_encoding, "scan", scan)

    unreadable, loaded = load_file_type(landing, warehouse, ORDERS)

    assert (unreadable.status, loaded.status) == ("error", "loaded")
    assert "orders_20261119.csv" in (unreadable.error or "")
    assert "Permission denied" in (unreadable.error or "")
    assert query(warehouse, "SELECT order_id FROM raw.ticketing_orders") == [("T2",)]


def test_file_failing_midway_leaves_nothing_behind(
    landing: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch
):
    header = f"{ORDERS_HEADER};loyalty"
    write(landing, "ticketing/orders_20261119.csv", f"{header}\n{order_line('T1')};gold\n1;2\n")
    write(landing, "ticketing/orders_20261120.csv", f"{header}\n{order_line('T2')};silver\n")
    original = landing_loader._FileLoader._check_and_insert  # both readers call it

    def vanish(self, *args):
        if self.lf.source_file.endswith("19.csv"):
            raise FileNotFoundError(2, "No such file or directory")
        return original(self, *args)

    monkeypatch.setattr(landing_loader._FileLoader, "_check_and_insert", vanish)

    failed, loaded = load_file_type(landing, warehouse, ORDERS)

    assert (failed.status, loaded.status) == ("error", "loaded")
    assert "No such file or directory" in (failed.error or "")
    # The column added in the rolled-back transaction is added again for the next file.
    assert query(warehouse, "SELECT order_id, loyalty FROM raw.ticketing_orders") == [
        ("T2", "silver")
    ]
    assert query(warehouse, "SELECT _source_file, status FROM raw._file_manifest ORDER BY 1") == [
        ("ticketing/orders_20261119.csv", "error"),
        ("ticketing/orders_20261120.csv", "loaded"),
    ]
    assert query(warehouse, "SELECT count(*) FROM raw._quarantine") == [(0,)]


def test_discovery_lists_contract_files_only(landing: Path):
    assert discover(landing)[0] == []
    write(landing, "ticketing/orders_20261119.csv", "")
    write(landing, "email/events_20261120.jsonl", "")
    write(landing, "email/events_20261231.jsonl.tmp", "")
    write(landing, "_truth/orders_20270101.csv", "")

    assert [f.source_file for f in discover(landing)[0]] == [
        "ticketing/orders_20261119.csv",
        "email/events_20261120.jsonl",
    ]


def test_no_connection_is_left_open(landing: Path, warehouse: Path):
    write(landing, "ticketing/orders_20261120.csv", f"{ORDERS_HEADER}\n{order_line()}\n")

    load_landing(landing, warehouse)

    # Another process (dbt runs next) can take the write lock.
    code = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
        "print(con.execute('SELECT count(*) FROM raw.ticketing_orders').fetchone()[0])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(warehouse)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"


# -------------------------------------------------------------------------- dagster


def test_ingestion_assets_materialize(
    tmp_path: Path, landing: Path, monkeypatch: pytest.MonkeyPatch
):
    from orchestration.ingestion import ingestion_assets

    home = tmp_path / "home"
    monkeypatch.setenv("GRANDSTAND_HOME", str(home))
    monkeypatch.setenv("GRANDSTAND_LANDING", str(landing))
    write(landing, "ticketing/orders_20261120.csv", f"{ORDERS_HEADER}\n{order_line()}\n1;2\n")
    write(landing, "ticketing/orders_20261121.csv.tmp", "partial")
    write(landing, "email/events_20261120.jsonl", '{"id": 1, "event": "opened"}\n')
    # No shop folder at all: a whole-source outage.

    assert {a.key.to_user_string() for a in ingestion_assets} == {
        f"raw/{ft.name}" for ft in FILE_TYPES
    }
    result = dg.materialize(ingestion_assets, resources={RUN_LOCK: RunLock()})

    assert result.success
    metadata = {
        e.materialization.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    orders = metadata["raw/ticketing_orders"]
    assert orders["problems"].value == 0
    assert (orders["files_loaded"].value, orders["rows_read"].value) == (1, 2)
    assert (orders["rows_loaded"].value, orders["rows_quarantined"].value) == (1, 1)
    assert orders["ignored_files"].value == ["ticketing/orders_20261121.csv.tmp"]
    ignored = "ticketing/orders_20261121.csv.tmp: not a contract file name: not loaded"
    [record] = orders["files"].value.records
    assert record.data["file"] == "ticketing/orders_20261120.csv"
    assert record.data["rows_quarantined"] == 1
    checks = {c.asset_key.to_user_string(): c for c in result.get_asset_check_evaluations()}
    for name in ("raw/shop_orders", "raw/shop_customers"):  # a club without a shop: a warning
        assert metadata[name]["problems"].value == 0
        check = checks[name]
        assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
        assert check.metadata["warnings"].value == ["shop/: no folder for this tool's exports"]
    orders_check = checks["raw/ticketing_orders"]  # one bad row of two: within the allowance
    assert orders_check.severity == dg.AssetCheckSeverity.WARN
    assert orders_check.metadata["stops_publish"].value == []
    assert ignored in orders_check.metadata["warnings"].value  # it reaches the run summary
    # the ticketing tool's newest export is from 2026-11-20: older than its freshness window
    age = (datetime.now(UTC).date() - date(2026, 11, 20)).days
    window = project_var("source_freshness_days")["ticketing"]
    assert (
        f"ticketing/: no new export since 2026-11-20, {age} days ago (freshness window "
        f"{window} days)" in orders_check.metadata["warnings"].value
    ) == (age > window)
    assert metadata["raw/email_events"]["rows_loaded"].value == 1
    assert query(home / "warehouse.duckdb", "SELECT count(*) FROM raw.ticketing_orders") == [(1,)]

    again = dg.materialize(ingestion_assets, resources={RUN_LOCK: RunLock()})
    orders = {
        e.materialization.asset_key.to_user_string(): e.materialization.metadata
        for e in again.get_asset_materialization_events()
    }["raw/ticketing_orders"]
    assert (orders["files_skipped"].value, orders["rows_loaded"].value) == (1, 0)
    assert query(home / "warehouse.duckdb", "SELECT count(*) FROM raw.ticketing_orders") == [(1,)]


def test_locked_warehouse_is_retried(
    tmp_path: Path, landing: Path, monkeypatch: pytest.MonkeyPatch
):
    from orchestration.ingestion import build_raw_asset

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("GRANDSTAND_HOME", str(home))
    monkeypatch.setenv("GRANDSTAND_LANDING", str(landing))
    write(landing, "ticketing/orders_20261120.csv", f"{ORDERS_HEADER}\n{order_line()}\n")
    # Another process (a BI tool, a dbt run) holds the warehouse for a few seconds.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('locked', "
            "flush=True); time.sleep(3)",
            str(home / "warehouse.duckdb"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        asset = build_raw_asset(ORDERS, dg.RetryPolicy(max_retries=6, delay=1))
        result = dg.materialize([asset], resources={RUN_LOCK: RunLock()})
    finally:
        holder.wait(timeout=60)

    assert result.success
    retries = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert retries, "the first attempt should have met the lock"
    assert query(home / "warehouse.duckdb", "SELECT count(*) FROM raw.ticketing_orders") == [(1,)]


@pytest.mark.skipif(
    not os.environ.get("GRANDSTAND_BENCH_ROWS"),
    reason="benchmark: set GRANDSTAND_BENCH_ROWS (e.g. 1000000) to run it",
)
def test_throughput(landing: Path, warehouse: Path, capsys: pytest.CaptureFixture[str]):
    """Synthetic ticketing orders (20 columns, ~180 bytes a row, 1% of rows quarantined);
    prints rows per second. Run: GRANDSTAND_BENCH_ROWS=1000000 pytest -s -k throughput."""
    rows = int(os.environ["GRANDSTAND_BENCH_ROWS"])
    names = ["Hélène", "Jean-Pierre", "Zoé", "Lucas", "Anaïs", "Noël", "Chloé"]
    body = "".join(
        order_line(
            f"T{i:08d}",
            account_id=f"A{i % 400_000}",
            created_at=f"{i % 28 + 1:02d}/{i % 12 + 1:02d}/2025 {i % 24:02d}:{i % 60:02d}",
            first_name=names[i % 7],
            total_amount=f"{i % 300},{i % 100:02d}" if i % 100 else "12.50",
        )
        + "\r\n"
        for i in range(rows)
    )
    path = write(landing, "ticketing/orders_20261120.csv", f"{ORDERS_HEADER}\r\n{body}")
    del body
    started = time.perf_counter()
    cpu = time.process_time()

    [result] = load_file_type(landing, warehouse, ORDERS)

    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    assert (result.rows_read, result.rows_quarantined) == (rows, rows // 100)
    with capsys.disabled():
        print(
            f"\n{rows:,} rows, {path.stat().st_size / 1e6:.0f} MB: {seconds:.1f} s "
            f"= {rows / seconds:,.0f} rows/s (process CPU {cpu:.1f} s)"
        )


def test_a_tool_is_stale_when_its_newest_export_is_older_than_its_window():
    policy = FilePolicy(0.01, 10, 0.5, freshness_days={"shop": 2})
    today = date(2026, 12, 3)
    assert stale_source("shop", [date(2026, 11, 20), date(2026, 12, 1)], today, policy) is None
    late = stale_source("shop", [date(2026, 11, 20), date(2026, 11, 30)], today, policy)
    assert late.severity == WARNING
    assert str(late) == (
        "shop/: no new export since 2026-11-30, 3 days ago (freshness window 2 days)"
    )
    never = stale_source("shop", [], today, policy)
    assert str(never) == "shop/: no export of this tool in the landing (freshness window 2 days)"
