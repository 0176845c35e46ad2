"""A corpus of bad input for the landing loader (orchestration.landing), issue 8 item 5.

Every case is a small hand-made export, written byte by byte from the strings below, with
its expected outcome: loaded (with the canonical value raw keeps, when it matters), rows
quarantined with a reason naming the column, the value and the line, or the whole file
refused / in error with a reason. One parametrised test loads each case into its own landing
folder and warehouse and also checks the books of every file it met:

- rows_read == rows_loaded + rows_quarantined, in the result and in raw._file_manifest;
- the manifest row says what the FileResult says (a failed file is there with its error);
- nothing is lost: a file's loaded rows are in its raw table, its quarantined rows in
  raw._quarantine, and no line is in both (JSON arrays aside: elements may share a line).
"""

from __future__ import annotations

import codecs
import json
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import duckdb
import pytest

from orchestration.landing import load_file_type
from orchestration.landing.contract import FILE_TYPES_BY_NAME, FileType, match_file
from orchestration.privacy import mask_reason
from tests.test_landing import order_line as order  # a valid ticketing order record

ORDERS = FILE_TYPES_BY_NAME["ticketing_orders"]
MATCHES = FILE_TYPES_BY_NAME["ticketing_matches"]
CONTACTS = FILE_TYPES_BY_NAME["email_contacts"]
CAMPAIGNS = FILE_TYPES_BY_NAME["email_campaigns"]
EVENTS = FILE_TYPES_BY_NAME["email_events"]
SHOP_ORDERS = FILE_TYPES_BY_NAME["shop_orders"]

ORDERS_FILE = "ticketing/orders_20261120.csv"
MATCHES_FILE = "ticketing/matches_20261120.csv"
CONTACTS_FILE = "email/contacts_20261120.csv"
CAMPAIGNS_FILE = "email/campaigns_20261120.csv"
EVENTS_FILE = "email/events_20261120.jsonl"
SHOP_FILE = "shop/orders_export_20261120.csv"

NUMBER = "is not a number (12,50 / 12.50 / 1 234,50 / 1.234,50 / 1,234.50, optionally negative)"
WHOLE = "is not a whole number (1234 or 1 234)"
NOT_A_DATE = "is not a real calendar date or time"
MEGABYTE = 1_000_000

# ------------------------------------------------------------------------ records


def _record(ft: FileType, defaults: dict[str, str], values: dict[str, str]) -> str:
    row = {**defaults, **values}
    assert list(row) == list(ft.raw_columns), "keyword arguments must be contract columns"
    return (ft.delimiter or ",").join(row.values())


def match(match_id: str = "M1", **values: str) -> str:
    defaults = {
        "match_id": match_id,
        "match_date": "10/08/2024",
        "season": "2024-2025",
        "competition": "Ligue 2",
        "opponent": "FC Sochaux",
        "home_away": "D",
        "venue": "Stade Municipal",
        "capacity": "12 000",
    }
    return _record(MATCHES, defaults, values)


def contact(contact_id: str = "C1", **values: str) -> str:
    defaults = {
        "contact_id": contact_id,
        "email": f"{contact_id.lower()}@example.fr",
        "firstname": "Lea",
        "lastname": "Martin",
        "sms": "",
        "date_of_birth": "1990-01-31",
        "postcode": "75008",
        "email_blacklisted": "No",
        "sms_blacklisted": "No",
        "created_at": "2025-01-01 10:00:00",
        "modified_at": "",
        "lists": "Newsletter",
    }
    return _record(CONTACTS, defaults, values)


def campaign(campaign_id: str = "1", **values: str) -> str:
    defaults = {
        "campaign_id": campaign_id,
        "name": "J-3 Derby",
        "subject": "Plus que 3 jours",
        "type": "match_info",
        "sent_at": "2025-10-07 09:50:26",
        "list": "Newsletter",
    }
    return _record(CAMPAIGNS, defaults, values)


def shop_order(name: str = "#1001", **values: str) -> str:
    """A Shopify order line (',', decimal point); keywords use the header names."""
    row = dict.fromkeys(SHOP_ORDERS.columns, "")
    row.update(
        {
            "Name": name,
            "Email": "sophie@example.fr",
            "Financial Status": "paid",
            "Currency": "EUR",
            "Subtotal": "59.90",
            "Total": "59.90",
            "Created at": "2025-10-07 09:50:26 +0200",
            "Lineitem quantity": "1",
            "Lineitem name": "Maillot domicile",
            "Lineitem price": "59.90",
            "Id": "5012345678",
        }
    )
    for key, value in values.items():
        assert key in row, key
        row[key] = value
    return ",".join(row.values())


def event(event_id: object = 1, **values: object) -> str:
    """One webhook event as a JSON line; keywords replace keys (campaign_name = 'campaign
    name')."""
    obj: dict[str, object] = {
        "id": event_id,
        "camp_id": 42,
        "campaign name": "J-3 Derby",
        "email": "a@b.fr",
        "event": "opened",
        "date_sent": "2025-10-07 09:50:26",
        "date_event": "2025-10-07 10:02:11",
        "ts_sent": 1759823426,
        "ts_event": 1759824131,
        "URL": None,
        "tag": "",
    }
    for key, value in values.items():
        key = "campaign name" if key == "campaign_name" else key
        assert key in obj, key
        obj[key] = value
    return json.dumps(obj, ensure_ascii=False)


def header(ft: FileType) -> str:
    return (ft.delimiter or ",").join(ft.columns)


def lines(*records: str, eol: str = "\n") -> str:
    """Records joined by eol, with a final line break."""
    return eol.join(records) + eol


ORDERS_HEADER = header(ORDERS)
CONTACTS_HEADER = header(CONTACTS)

# -------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Outcome:
    """What load_file_type must say about one file."""

    file: str  # relative to the landing folder
    status: str
    counts: tuple[int, int, int]  # rows_read, rows_loaded, rows_quarantined
    reason: str | None = None  # a substring of the error (refused, error), else of a warning
    encoding: str | None = None  # the encoding recorded, when it matters


@dataclass(frozen=True)
class Run:
    """One night: files written to landing (None = a directory), then the outcomes of one
    load (in the loader's order: export date, then name)."""

    files: dict[str, bytes | None]
    outcomes: tuple[Outcome, ...]


@dataclass(frozen=True)
class Case:
    runs: tuple[Run, ...]
    # every raw._quarantine row after the last run, by file and line:
    # (line, column_name, a substring of the reason)
    quarantined: tuple[tuple[int, str | None, str], ...] = ()
    # (columns, rows): SELECT columns FROM the raw table ORDER BY _source_file, _source_line
    raw: tuple[str, list[tuple]] | None = None
    unreadable: str | None = None  # chmod 000 this file before loading
    # when given: the raw_record of each quarantine row, in the same order
    records: tuple[str, ...] | None = None


def one(
    path: str,
    content: str | bytes | None,
    status: str,
    counts: tuple[int, int, int],
    reason: str | None = None,
    *,
    encoding: str | None = None,
    quarantined: tuple[tuple[int, str | None, str], ...] = (),
    raw: tuple[str, list[tuple]] | None = None,
    unreadable: bool = False,
    records: tuple[str, ...] | None = None,
) -> Case:
    """A case of one file loaded once. str content is written as UTF-8."""
    data = content.encode() if isinstance(content, str) else content
    outcome = Outcome(path, status, counts, reason, encoding)
    return Case(
        (Run({path: data}, (outcome,)),),
        quarantined,
        raw,
        unreadable=path if unreadable else None,
        records=records,
    )


UTF16_TEXT = lines(ORDERS_HEADER, order("T1", first_name="Hélène"), order("T2"), eol="\r\n")
ONE_MB = "x" * MEGABYTE
JSON_ARRAY = """[
  {"id": 1, "event": "opened"},
  {"id": 2,
   "event": "click", "URL": "https://club.fr/billets"},

  {"id": 3, "event": "delivered", "tag": {"ab": [1, 2.50]}}
]
"""
SHOP_HEADER = header(SHOP_ORDERS)
SHOP_OK = lines(SHOP_HEADER, shop_order("#1001"), shop_order("#1002"))

CASES: dict[str, Case] = {
    # ---------------------------------------------------------------- encodings
    "utf16-le-with-bom": one(
        ORDERS_FILE,
        codecs.BOM_UTF16_LE + UTF16_TEXT.encode("utf-16-le"),
        "loaded",
        (2, 2, 0),
        encoding="utf-16-le",
        raw=("order_id, first_name, currency", [("T1", "Hélène", "EUR"), ("T2", "Sophie", "EUR")]),
    ),
    "utf16-le-without-bom": one(
        ORDERS_FILE,
        UTF16_TEXT.encode("utf-16-le"),
        "loaded",
        (2, 2, 0),
        encoding="utf-16-le",
        raw=("order_id, first_name, _source_line", [("T1", "Hélène", 2), ("T2", "Sophie", 3)]),
    ),
    "utf16-be-without-bom": one(
        ORDERS_FILE,
        UTF16_TEXT.encode("utf-16-be"),
        "loaded",
        (2, 2, 0),
        encoding="utf-16-be",
        raw=("order_id, first_name", [("T1", "Hélène"), ("T2", "Sophie")]),
    ),
    "utf8-with-bom": one(
        CONTACTS_FILE,
        b"\xef\xbb\xbf" + lines(CONTACTS_HEADER, contact("C1", firstname="Zoé")).encode(),
        "loaded",
        (1, 1, 0),
        encoding="utf-8-sig",
        raw=("contact_id, firstname", [("C1", "Zoé")]),
    ),
    "cp1252-ticketing-is-allowed": one(
        ORDERS_FILE,
        lines(ORDERS_HEADER, order("T1", last_name="L’Hôte", city="Cœuvres")).encode("cp1252"),
        "loaded",
        (1, 1, 0),
        encoding="cp1252",
        raw=("last_name, city", [("L’Hôte", "Cœuvres")]),
    ),
    "cp1252-line-in-utf8-only-contacts": one(
        CONTACTS_FILE,
        lines(CONTACTS_HEADER, contact("C1"), contact("C2", firstname="Léa")).encode("cp1252"),
        "loaded",
        (2, 1, 1),
        encoding="utf-8",
        quarantined=((3, None, "line 3: undecodable bytes 0xe9 for utf-8 at byte offset"),),
        records=(contact("C2", firstname="L\\xe9a"),),  # the bytes stay visible
        raw=("contact_id", [("C1",)]),
    ),
    "cp1252-whole-contacts-file": one(
        CONTACTS_FILE,
        lines(
            CONTACTS_HEADER, contact("C1", firstname="Léa"), contact("C2", lastname="Noël")
        ).encode("cp1252"),
        "refused",
        (2, 0, 2),
        "none of its 2 rows could be loaded, e.g. email/contacts_20261120.csv line 2: line 2:"
        " undecodable bytes 0xe9 for utf-8",
        quarantined=(
            (2, None, "undecodable bytes 0xe9 for utf-8"),
            (3, None, "undecodable bytes 0xeb for utf-8"),
        ),
    ),
    "nul-byte-in-a-text-field": one(
        ORDERS_FILE,
        lines(ORDERS_HEADER, order("T1", first_name="So\x00phie"), order("T2")),
        "loaded",
        (2, 1, 1),
        quarantined=((2, "first_name", "column first_name: 'So\\x00phie' holds a NUL byte"),),
        raw=("order_id, first_name", [("T2", "Sophie")]),
    ),
    "nul-byte-in-an-amount": one(
        ORDERS_FILE,
        lines(ORDERS_HEADER, order("T1", total_amount="42,5\x000"), order("T2")),
        "loaded",
        (2, 1, 1),
        quarantined=((2, "total_amount", "column total_amount: '42,5\\x000' holds a NUL byte"),),
        raw=("order_id", [("T2",)]),
    ),
    "empty-required-value": one(
        ORDERS_FILE,
        lines(ORDERS_HEADER, order("", first_name="Nobody"), order("T2")),
        "loaded",
        (2, 1, 1),
        quarantined=(
            (2, "order_id", "column order_id: '' is empty, but the contract requires a value"),
        ),
        raw=("order_id", [("T2",)]),
    ),
    "json-null-in-a-required-key": one(
        EVENTS_FILE,
        '{"id": null, "event": "opened"}\n{"id": 2, "event": "opened"}\n',
        "loaded",
        (2, 1, 1),
        quarantined=((1, "id", "column id: '' is empty, but the contract requires a value"),),
        raw=("id", [("2",)]),
    ),
    "old-mac-line-endings": one(
        ORDERS_FILE,
        lines(ORDERS_HEADER, order("T1"), order("T2"), eol="\r"),
        "loaded",
        (2, 2, 0),
        raw=("order_id, _source_line", [("T1", 2), ("T2", 3)]),
    ),
    # -------------------------------------------------------- lines and quoting
    "crlf-line-endings": one(
        ORDERS_FILE,
        lines(ORDERS_HEADER, order("T1"), order("T2"), eol="\r\n"),
        "loaded",
        (2, 2, 0),
        raw=("order_id, currency, _source_line", [("T1", "EUR", 2), ("T2", "EUR", 3)]),
    ),
    "quoted-field-with-a-newline": one(
        ORDERS_FILE,
        lines(ORDERS_HEADER, order("T1", address='"Bâtiment B\n12 rue des Lilas"'), order("T2")),
        "loaded",
        (2, 2, 0),
        raw=(
            "order_id, address, _source_line",
            [("T1", "Bâtiment B\n12 rue des Lilas", 2), ("T2", "3 rue de la Paix", 4)],
        ),
    ),
    "unbalanced-quote": one(
        ORDERS_FILE,
        lines(ORDERS_HEADER, order("T1"), order("T2", address='"3 rue'), order("T3"), order("T4")),
        "loaded",
        (4, 3, 1),
        quarantined=((3, None, "(unbalanced quote?)"),),
        records=(order("T2", address='"3 rue'),),
        raw=("order_id, _source_line", [("T1", 2), ("T3", 4), ("T4", 5)]),
    ),
    "too-many-fields": one(
        ORDERS_FILE,
        lines(ORDERS_HEADER, order("T1"), order("T2") + ";surplus", order("T3")),
        "loaded",
        (3, 2, 1),
        quarantined=((3, None, "expected 20 fields, found 21"),),
        records=(order("T2") + ";surplus",),
        raw=("order_id", [("T1",), ("T3",)]),
    ),
    "too-few-fields": one(
        ORDERS_FILE,
        lines(ORDERS_HEADER, order("T1").rsplit(";", 1)[0], order("T2")),
        "loaded",
        (2, 1, 1),
        quarantined=((2, None, "expected 20 fields, found 19"),),
        raw=("order_id", [("T2",)]),
    ),
    "header-repeated-mid-file": one(  # two exports concatenated
        ORDERS_FILE,
        lines(ORDERS_HEADER, order("T1"), ORDERS_HEADER, order("T2")),
        "loaded",
        (3, 2, 1),
        quarantined=((3, "created_at", f"column total_amount: 'total_amount' {NUMBER}"),),
        records=(ORDERS_HEADER,),
        raw=("order_id, _source_line", [("T1", 2), ("T2", 4)]),
    ),
    "trailing-delimiter-on-every-line": one(
        ORDERS_FILE,
        lines(f"{ORDERS_HEADER};", f"{order('T1')};", f"{order('T2')};x"),
        "loaded",
        (2, 2, 0),
        raw=("order_id, currency, unnamed", [("T1", "EUR", ""), ("T2", "EUR", "x")]),
    ),
    # ------------------------------------------------------------------ columns
    "missing-optional-columns": one(
        ORDERS_FILE,
        lines(
            ";".join(c for c in ORDERS.columns if c not in ("civility", "phone")),
            ";".join(v for i, v in enumerate(order("T1").split(";")) if i not in (7, 11)),
        ),
        "loaded",
        (1, 1, 0),
        "missing optional columns civility, phone: unknown in this file (NULL)",
        raw=("order_id, civility, phone, city", [("T1", None, None, "Paris")]),
    ),
    "missing-required-column": one(
        ORDERS_FILE,
        lines(
            ";".join(c for c in ORDERS.columns if c != "total_amount"),
            *(";".join(order(f"T{i}").split(";")[:-2] + ["EUR"]) for i in (1, 2)),
        ),
        "refused",
        (2, 0, 2),
        "ticketing/orders_20261120.csv refused: header lacks required column 'total_amount'",
        quarantined=(
            (2, "total_amount", "header lacks required column 'total_amount'"),
            (3, "total_amount", "header lacks required column 'total_amount'"),
        ),
    ),
    "reordered-columns": one(
        ORDERS_FILE,
        lines(";".join(reversed(ORDERS.columns)), ";".join(reversed(order("T1").split(";")))),
        "loaded",
        (1, 1, 0),
        raw=(
            "order_id, status, city, total_amount, currency",
            [("T1", "paid", "Paris", "42.50", "EUR")],
        ),
    ),
    "extra-unknown-columns-with-accents": one(
        ORDERS_FILE,
        lines(f"{ORDERS_HEADER};Loyalty Tier;Prénom usuel", f"{order('T1')};Gold;Zoé"),
        "loaded",
        (1, 1, 0),
        raw=("order_id, loyalty_tier, prenom_usuel", [("T1", "Gold", "Zoé")]),
    ),
    "headers-in-other-case-with-accents": one(
        MATCHES_FILE,
        lines(
            " MATCH_ID ;Match_Date;SEASON;Compétition;Opponent;HOME_AWAY;Vénue;Capacity",
            match("M1"),
        ),
        "loaded",
        (1, 1, 0),
        raw=(
            "match_id, match_date, competition, venue, capacity",
            [("M1", "2024-08-10", "Ligue 2", "Stade Municipal", "12000")],
        ),
    ),
    # -------------------------------------------------------------- whole files
    "header-only": one(ORDERS_FILE, lines(ORDERS_HEADER, eol="\r\n"), "empty", (0, 0, 0)),
    "zero-bytes": one(ORDERS_FILE, b"", "empty", (0, 0, 0)),
    "blank-lines-only": one(CONTACTS_FILE, "\n\r\n\n", "empty", (0, 0, 0)),
    "gzip-bytes-in-a-csv": one(
        ORDERS_FILE,
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\x00" * 20,
        "refused",
        (0, 0, 0),
        "refused: gzip-compressed bytes: deliver the export uncompressed",
    ),
    "xlsx-zip-in-a-csv": one(
        CONTACTS_FILE,
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00[Content_Types].xml",
        "refused",
        (0, 0, 0),
        "refused: a zip archive (an Excel .xlsx?): deliver the export as text",
    ),
    "unreadable-file": one(
        ORDERS_FILE,
        lines(ORDERS_HEADER, order("T1")),
        "error",
        (0, 0, 0),
        "cannot read ticketing/orders_20261120.csv: Permission denied",
        unreadable=True,
    ),
    "directory-named-like-a-file": one(
        ORDERS_FILE,
        None,
        "error",
        (0, 0, 0),
        "ticketing/orders_20261120.csv is a directory, not an export file",
    ),
    "upper-case-file-name": one(
        "ticketing/Orders_20261119.CSV",
        lines(ORDERS_HEADER, order("T1"), order("T2")),
        "refused",
        (2, 0, 2),
        "ticketing/Orders_20261119.CSV refused: the file name must be orders_20261119.csv",
        quarantined=(
            (2, None, "the file name must be orders_20261119.csv"),
            (3, None, "the file name must be orders_20261119.csv"),
        ),
        records=(order("T1"), order("T2")),
    ),
    "comma-separated-ticketing-file": one(
        ORDERS_FILE,
        lines(ORDERS_HEADER.replace(";", ","), order("T1", total_amount="42").replace(";", ",")),
        "refused",
        (1, 0, 1),
        "(it looks ','-separated; the contract says ';')",
        quarantined=((2, "order_id", "header lacks required columns 'order_id', 'status'"),),
    ),
    "impossible-date-in-the-file-name": one(
        "ticketing/orders_20261345.csv",
        lines(ORDERS_HEADER, order("T1")),
        "error",
        (0, 0, 0),
        "ticketing/orders_20261345.csv: 20261345 in the file name is not a valid date",
    ),
    # --------------------------------------------------------------- JSON lines
    "json-truncated-line-and-html": one(
        EVENTS_FILE,
        lines(event(1), event(2)[:50], "<html>502 Bad Gateway</html>", event(3)),
        "loaded",
        (4, 2, 2),
        quarantined=(
            (2, None, "not valid JSON: Unterminated string"),
            (3, None, "not valid JSON: Expecting value: line 1 column 1 (char 0)"),
        ),
        records=(event(2)[:50], "<html>502 Bad Gateway</html>"),
        raw=("id, _source_line", [("1", 1), ("3", 4)]),
    ),
    "json-array-instead-of-lines": one(
        EVENTS_FILE,
        JSON_ARRAY,
        "loaded",
        (3, 3, 0),
        "a JSON array, not JSON lines: each element is a record",
        raw=(
            "id, event, url, tag, _source_line",
            [
                ("1", "opened", None, None, 2),
                ("2", "click", "https://club.fr/billets", None, 3),
                ("3", "delivered", None, '{"ab": [1, 2.50]}', 6),
            ],
        ),
    ),
    "json-missing-required-keys": one(
        EVENTS_FILE,
        lines(event(1), '{"event": "click", "email": "a@b.fr"}', '{"id": 3, "tag": "x"}'),
        "loaded",
        (3, 1, 2),
        quarantined=(
            (2, "id", "required key 'id' missing"),
            (3, "event", "required key 'event' missing"),
        ),
        raw=("id", [("1",)]),
    ),
    "json-wrong-types": one(
        EVENTS_FILE,
        lines(
            event("abc"),
            event(2, camp_id={"a": 1}),
            event(3.5),
            event(True),
            event(5, tag={"vip": True}, URL=["https://x"]),
            event(6, ts_sent="1759823426"),
        ),
        "loaded",
        (6, 2, 4),
        quarantined=(
            (1, "id", f"column id: 'abc' {WHOLE}"),
            (2, "camp_id", f"""column camp_id: '{{"a": 1}}' {WHOLE}"""),
            (3, "id", f"column id: '3.5' {WHOLE}"),
            (4, "id", f"column id: 'true' {WHOLE}"),
        ),
        # objects and arrays in text columns load as JSON text; a quoted number is a number
        raw=(
            "id, tag, url, ts_sent",
            [("5", '{"vip": true}', '["https://x"]', "1759823426"), ("6", "", None, "1759823426")],
        ),
    ),
    "json-epoch-out-of-range": one(
        EVENTS_FILE,
        lines(event(1, ts_event=10**17), event(2, ts_sent=-1), event(3)),
        "loaded",
        (3, 1, 2),
        quarantined=(
            (
                1,
                "ts_event",
                "column ts_event: '100000000000000000' is not epoch seconds between 1970 and 2100",
            ),
            (2, "ts_sent", "column ts_sent: '-1' is not epoch seconds between 1970 and 2100"),
        ),
        raw=("id, ts_event", [("3", "1759824131")]),
    ),
    "json-one-megabyte-value": one(
        EVENTS_FILE,
        lines(event(1, tag=ONE_MB), event(2)),
        "loaded",
        (2, 2, 0),
        raw=("id, length(tag)", [("1", MEGABYTE), ("2", 0)]),
    ),
    # ---------------------------------------------------------- dates and times
    "impossible-french-date": one(
        ORDERS_FILE,
        lines(ORDERS_HEADER, order("T1", birth_date="31/02/2025"), order("T2")),
        "loaded",
        (2, 1, 1),
        quarantined=((2, "birth_date", f"column birth_date: '31/02/2025' {NOT_A_DATE}"),),
        raw=("order_id", [("T2",)]),
    ),
    "impossible-iso-date": one(
        CONTACTS_FILE,
        lines(CONTACTS_HEADER, contact("C1"), contact("C2", date_of_birth="2025-13-45")),
        "loaded",
        (2, 1, 1),
        quarantined=((3, "date_of_birth", f"column date_of_birth: '2025-13-45' {NOT_A_DATE}"),),
        raw=("contact_id, date_of_birth", [("C1", "1990-01-31")]),
    ),
    "date-with-a-kickoff-time": one(
        MATCHES_FILE,
        lines(header(MATCHES), match("M1", match_date="10/08/2024 17:00"), match("M2")),
        "loaded",
        (2, 2, 0),
        raw=("match_id, match_date", [("M1", "2024-08-10 17:00:00"), ("M2", "2024-08-10")]),
    ),
    "local-timestamps-without-seconds-and-iso": one(
        ORDERS_FILE,
        lines(
            ORDERS_HEADER,
            order("T1", created_at="05/10/2025 14:03", updated_at="2025-10-05T14:03"),
            order("T2", created_at="2025-10-05T12:03:27Z", updated_at="05/10/2025 14h03"),
        ),
        "loaded",
        (2, 2, 0),
        raw=(
            "order_id, created_at, updated_at",
            [
                ("T1", "2025-10-05 14:03:00", "2025-10-05 14:03:00"),
                ("T2", "2025-10-05 12:03:27+00:00", "2025-10-05 14:03:00"),
            ],
        ),
    ),
    "utc-timestamps-iso-t-and-z": one(
        CONTACTS_FILE,
        lines(
            CONTACTS_HEADER,
            contact("C1", created_at="2025-01-01T10:00:00Z", modified_at="2025-01-02 08:30"),
            contact("C2", created_at="2025-01-01T10:00Z", modified_at="2025-01-02T08:30:05+01:00"),
        ),
        "loaded",
        (2, 2, 0),
        raw=(
            "contact_id, created_at, modified_at",
            [
                ("C1", "2025-01-01 10:00:00+00:00", "2025-01-02 08:30:00"),
                ("C2", "2025-01-01 10:00:00+00:00", "2025-01-02 08:30:05+01:00"),
            ],
        ),
    ),
    # ------------------------------------------------------------------ amounts
    "amounts-that-are-not-numbers": one(
        ORDERS_FILE,
        lines(
            ORDERS_HEADER,
            order("T1", total_amount="12,5,0"),
            order("T2", total_amount="abc"),
            order("T3"),
        ),
        "loaded",
        (3, 1, 2),
        quarantined=(
            (2, "total_amount", f"column total_amount: '12,5,0' {NUMBER}"),
            (3, "total_amount", f"column total_amount: 'abc' {NUMBER}"),
        ),
        raw=("order_id", [("T3",)]),
    ),
    "negative-amount-where-forbidden": one(
        ORDERS_FILE,
        lines(ORDERS_HEADER, order("T1", total_amount="-5,00"), order("T2", total_amount="-0,00")),
        "loaded",
        (2, 1, 1),
        quarantined=(
            (
                2,
                "total_amount",
                "column total_amount: '-5,00' is negative, which the contract forbids here",
            ),
        ),
        raw=("order_id", [("T2",)]),  # -0,00 is not negative
    ),
    "thousands-separators": one(
        ORDERS_FILE,
        lines(
            ORDERS_HEADER,
            order("T1", total_amount="1 234,50"),
            order("T2", total_amount="1.234,50"),
            order("T3", total_amount="1\u00a0234,5"),
        ),
        "loaded",
        (3, 3, 0),
        raw=("order_id, total_amount", [("T1", "1234.50"), ("T2", "1234.50"), ("T3", "1234.5")]),
    ),
    "ambiguous-thousands-in-a-decimal-comma-file": one(
        ORDERS_FILE,
        lines(ORDERS_HEADER, order("T1", total_amount="1.234"), order("T2", total_amount="1,234")),
        "loaded",
        (2, 1, 1),
        quarantined=(
            (
                2,
                "total_amount",
                "column total_amount: '1.234' is ambiguous: '.' may separate thousands or"
                " decimals (the file writes decimals with ',')",
            ),
        ),
        raw=("order_id, total_amount", [("T2", "1.234")]),
    ),
    "ambiguous-thousands-in-a-decimal-point-file": one(
        SHOP_FILE,
        lines(SHOP_HEADER, shop_order("#1001", Total='"1,234"'), shop_order("#1002")),
        "loaded",
        (2, 1, 1),
        quarantined=(
            (
                2,
                "total",
                "column total: '1,234' is ambiguous: ',' may separate thousands or decimals"
                " (the file writes decimals with '.')",
            ),
        ),
        raw=("name, total", [("#1002", "59.90")]),
    ),
    "twenty-digit-integer": one(
        MATCHES_FILE,
        lines(header(MATCHES), match("M1", capacity="12345678901234567890"), match("M2")),
        "loaded",
        (2, 1, 1),
        quarantined=((2, "capacity", "column capacity: '12345678901234567890' is out of range"),),
        raw=("match_id, capacity", [("M2", "12000")]),
    ),
    "one-megabyte-csv-field": one(
        ORDERS_FILE,
        lines(ORDERS_HEADER, order("T1", address=f'"{ONE_MB}"'), order("T2")),
        "loaded",
        (2, 1, 1),
        quarantined=((2, None, "record cannot be parsed: field larger than field limit"),),
        records=(order("T1", address=f'"{ONE_MB}"'),),
        raw=("order_id, _source_line", [("T2", 3)]),
    ),
    "refund-above-the-total-loads": one(
        SHOP_FILE,
        lines(
            SHOP_HEADER,
            shop_order("#1001", **{"Financial Status": "refunded", "Refunded Amount": "80.00"}),
        ),
        "loaded",
        (1, 1, 0),
        raw=(
            "name, financial_status, total, refunded_amount",
            [("#1001", "refunded", "59.90", "80.00")],
        ),
    ),
    # --------------------------------------------------- text is kept as written
    "html-and-formulas-in-names": one(
        ORDERS_FILE,
        lines(
            ORDERS_HEADER,
            order("T1", first_name="<script>alert(1)</script>", last_name='=HYPERLINK("http://x")'),
            order("T2", first_name="+33 6 12", last_name="@SUM(A1:A9)"),
        ),
        "loaded",
        (2, 2, 0),
        raw=(
            "first_name, last_name",
            [("<script>alert(1)</script>", '=HYPERLINK("http://x")'), ("+33 6 12", "@SUM(A1:A9)")],
        ),
    ),
    "html-and-formulas-in-campaign-titles": one(
        CAMPAIGNS_FILE,
        lines(
            header(CAMPAIGNS),
            campaign("1", name="<script>alert(1)</script>", subject='"=HYPERLINK(""http://x"")"'),
            campaign("2", name='"<b>J-3</b> &amp; co"', subject="-2+3"),
        ),
        "loaded",
        (2, 2, 0),
        raw=(
            "name, subject",
            [
                ("<script>alert(1)</script>", '=HYPERLINK("http://x")'),
                ("<b>J-3</b> &amp; co", "-2+3"),
            ],
        ),
    ),
    # ------------------------------------------------------------ re-deliveries
    "byte-identical-redelivery-under-a-newer-date": Case(
        (
            Run(
                {
                    "shop/orders_export_20261119.csv": SHOP_OK.encode(),
                    "shop/orders_export_20261120.csv": SHOP_OK.encode(),
                },
                (
                    Outcome("shop/orders_export_20261119.csv", "loaded", (2, 2, 0)),
                    Outcome(
                        "shop/orders_export_20261120.csv",
                        "duplicate",
                        (0, 0, 0),
                        "the same bytes as shop/orders_export_20261119.csv, already loaded",
                    ),
                ),
            ),
        ),
        raw=(
            "_source_file, name",
            [
                ("shop/orders_export_20261119.csv", "#1001"),
                ("shop/orders_export_20261119.csv", "#1002"),
            ],
        ),
    ),
    "corrected-file-under-the-same-name": Case(
        (
            Run(
                {ORDERS_FILE: lines(ORDERS_HEADER, order("T1", total_amount="9.999")).encode()},
                (Outcome(ORDERS_FILE, "refused", (1, 0, 1), "none of its 1 rows"),),
            ),
            Run(
                {
                    ORDERS_FILE: lines(
                        ORDERS_HEADER, order("T1", total_amount="9,99"), order("T2")
                    ).encode()
                },
                (Outcome(ORDERS_FILE, "replaced", (2, 2, 0)),),
            ),
        ),
        raw=("order_id, total_amount", [("T1", "9.99"), ("T2", "42.50")]),
    ),
    "contact-removed-from-a-newer-snapshot": Case(
        (
            Run(
                {
                    "email/contacts_20261119.csv": lines(
                        CONTACTS_HEADER, contact("C1"), contact("C2"), contact("C3")
                    ).encode(),
                    "email/contacts_20261120.csv": lines(
                        CONTACTS_HEADER, contact("C1"), contact("C3")
                    ).encode(),
                },
                (
                    Outcome("email/contacts_20261119.csv", "loaded", (3, 3, 0)),
                    Outcome("email/contacts_20261120.csv", "loaded", (2, 2, 0)),
                ),
            ),
        ),
        raw=(
            "_source_file, contact_id",
            [
                ("email/contacts_20261119.csv", "C1"),
                ("email/contacts_20261119.csv", "C2"),
                ("email/contacts_20261119.csv", "C3"),
                ("email/contacts_20261120.csv", "C1"),
                ("email/contacts_20261120.csv", "C3"),
            ],
        ),
    ),
}

# JSON arrays written on one line (json.dumps' default): the elements share line 1, and
# each keeps its own text (nested values, quarantined records).
ONE_LINE_ARRAY = '[{"id": 1, "event": "opened", "tag": {"a": 1}}, {"id": 2, "event": "opened"'
CASES |= {
    "json-array-on-one-line-keeps-each-element": (
        one(
            EVENTS_FILE,
            ONE_LINE_ARRAY + ', "tag": {"b": 2}}]\n',
            "loaded",
            (2, 2, 0),
            "a JSON array",
            raw=("id, tag, _source_line", [("1", '{"a": 1}', 1), ("2", '{"b": 2}', 1)]),
        )
    ),
    "json-array-on-one-line-quarantines-its-own-text": (
        one(
            EVENTS_FILE,
            '[{"id": "x1", "event": "opened"}, {"id": 2, "event": "opened"}]\n',
            "loaded",
            (2, 1, 1),
            "a JSON array",
            quarantined=((1, "id", "column id: 'x1' is not a whole number"),),
            records=('{"id": "x1", "event": "opened"}',),
            raw=("id, _source_line", [("2", 1)]),
        )
    ),
}


def _params() -> list:
    return [pytest.param(case, id=name) for name, case in CASES.items()]


# --------------------------------------------------------------------------- test


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def _file_type(case: Case) -> FileType:
    types = set()
    for run in case.runs:
        for rel in run.files:
            path = PurePosixPath(rel)
            matched = match_file(path.parts[0], path.name)
            assert matched, f"{rel} is not named like a contract file"
            types.add(matched[0].name)
    [name] = types
    return FILE_TYPES_BY_NAME[name]


def _write(landing: Path, rel: str, data: bytes | None) -> Path:
    path = landing / rel
    if data is None:
        path.mkdir(parents=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return path


def _check_run(con: duckdb.DuckDBPyConnection, run: Run, results: list) -> None:
    got = [
        (r.source_file, r.status, (r.rows_read, r.rows_loaded, r.rows_quarantined)) for r in results
    ]
    assert got == [(o.file, o.status, o.counts) for o in run.outcomes]
    for result, outcome in zip(results, run.outcomes, strict=True):
        assert result.rows_read == result.rows_loaded + result.rows_quarantined
        if outcome.reason is not None:
            said = result.error if result.problem else " | ".join(result.warnings)
            assert outcome.reason in (said or ""), said
        if result.status in ("loaded", "replaced", "empty"):
            assert result.error is None
        if outcome.encoding is not None:
            assert result.encoding == outcome.encoding
        # The manifest says what the result says, failed files included.
        assert rows(
            con,
            "SELECT status, rows_read, rows_loaded, rows_quarantined, error, encoding, sha256 "
            "FROM raw._file_manifest WHERE _source_file = ?",
            [result.source_file],
        ) == [
            (
                result.status,
                result.rows_read,
                result.rows_loaded,
                result.rows_quarantined,
                result.error,
                result.encoding,
                result.sha256,
            )
        ]


def _check_books(
    con: duckdb.DuckDBPyConnection, ft: FileType, issues: list[str], arrays: set[str]
) -> None:
    """Every row a file read is in its raw table or in the quarantine, never in both
    (elements of a JSON array written on one line share a line number: not checked)."""
    manifest = rows(
        con,
        "SELECT _source_file, rows_read, rows_loaded, rows_quarantined FROM raw._file_manifest",
    )
    for source_file, read, loaded, quarantined in manifest:
        assert read == loaded + quarantined, source_file
        raw_lines = rows(
            con,
            f"SELECT _source_line FROM {ft.raw_table} WHERE _source_file = ?",
            [source_file],
        )
        bad_lines = rows(
            con,
            "SELECT _source_line FROM raw._quarantine WHERE _source_file = ?",
            [source_file],
        )
        assert (len(raw_lines), len(bad_lines)) == (loaded, quarantined), source_file
        if source_file not in arrays:
            assert not set(raw_lines) & set(bad_lines), source_file
    assert rows(con, f"SELECT count(*) FROM {ft.raw_table}") == [(sum(row[2] for row in manifest),)]
    assert rows(con, "SELECT count(*) FROM raw._quarantine") == [(sum(row[3] for row in manifest),)]
    # Each quarantined record keeps its original text and is reported with file and line.
    # (the example the logs show withholds a person's value: orchestration/privacy.py)
    for source_file, line, column, reason, record in rows(
        con,
        "SELECT _source_file, _source_line, column_name, reason, raw_record FROM raw._quarantine",
    ):
        assert record, (source_file, line)
        assert f"{source_file} line {line}: {mask_reason(reason, column)}" in issues


@pytest.mark.parametrize("case", _params())
def test_bad_input(case: Case, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    warehouse = tmp_path / "home" / "warehouse.duckdb"
    ft = _file_type(case)
    issues: list[str] = []
    arrays: set[str] = set()  # files read as a JSON array
    locked: Path | None = None
    try:
        for run in case.runs:
            for rel, data in run.files.items():
                path = _write(landing, rel, data)
                if rel == case.unreadable:
                    path.chmod(0)
                    locked = path
                    if os.access(path, os.R_OK):
                        pytest.skip("a chmod 000 file is still readable here (running as root)")

            results = load_file_type(landing, warehouse, ft)

            with duckdb.connect(str(warehouse), read_only=True) as con:
                _check_run(con, run, results)
            issues += [issue for r in results for issue in r.issues]
            arrays |= {r.source_file for r in results if any("JSON array" in w for w in r.warnings)}
    finally:
        if locked is not None:
            locked.chmod(0o644)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        _check_books(con, ft, issues, arrays)
        quarantine = rows(
            con,
            "SELECT _source_line, column_name, reason, raw_record FROM raw._quarantine "
            "ORDER BY _source_file, _source_line, column_name",
        )
        raw = None
        if case.raw is not None:
            columns = case.raw[0]
            raw = rows(
                con, f"SELECT {columns} FROM {ft.raw_table} ORDER BY _source_file, _source_line"
            )
    assert [(line, column) for line, column, _, _ in quarantine] == [
        (line, column) for line, column, _ in case.quarantined
    ]
    for (_, _, reason, _), (line, _, expected) in zip(quarantine, case.quarantined, strict=True):
        assert expected in reason, f"line {line}: {reason}"
    if case.records is not None:
        assert tuple(record for *_, record in quarantine) == case.records
    if case.raw is not None:
        assert raw == case.raw[1]


def test_the_corpus_is_big_enough() -> None:
    assert len(CASES) >= 32
