"""DuckDB's readers (orchestration.landing.native_csv, native_jsonl) load exactly what the
csv and json modules load.

Each CSV and JSON-lines case of the bad-input corpus, and the cases below aimed at where
the readers differ, is loaded twice: once with DuckDB reading the files it may read, once
with the csv and json modules reading every file. The raw table, the quarantine, the
manifest and what the loader reports must be the same, row for row. The cases below also
say which reader must have read the file, so that a fast path that silently never runs
fails too.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import duckdb
import pytest

from orchestration import landing
from orchestration.landing import loader as landing_loader
from orchestration.landing.contract import FILE_TYPES_BY_NAME
from tests.test_bad_input_corpus import (
    CASES,
    Case,
    _file_type,
    _write,
    event,
    header,
    lines,
    one,
)
from tests.test_landing import order_line as order

ORDERS = FILE_TYPES_BY_NAME["ticketing_orders"]
ORDERS_FILE = "ticketing/orders_20261120.csv"
HEAD = header(ORDERS)
LOADED = "loaded"


def _orders(text: str | bytes, counts: tuple[int, int, int]) -> Case:
    return one(ORDERS_FILE, text, LOADED, counts)


# name -> (case, whether DuckDB reads the file)
READER_CASES: dict[str, tuple[Case, bool]] = {
    "plain": (_orders(lines(HEAD, order("T1"), order("T2")), (2, 2, 0)), True),
    "crlf, no final line break": (
        _orders(lines(HEAD, order("T1"), eol="\r\n") + order("T2"), (2, 2, 0)),
        True,
    ),
    "a bad value quarantined, raw text kept": (
        _orders(lines(HEAD, order("T1"), order("T2", total_amount="douze")), (2, 1, 1)),
        True,
    ),
    "quoted line breaks shift the lines after them": (
        _orders(
            lines(
                HEAD,
                order("T1", first_name='"Anne\nMarie"'),
                order("T2", first_name='"Jean\r\nLuc"', total_amount="abc"),
                order("T3", total_amount="x"),
            ),
            (3, 1, 2),
        ),
        True,
    ),
    "UTF-8 BOM and accents": (
        _orders(
            b"\xef\xbb\xbf" + lines(HEAD, order("T1", first_name="Hélène")).encode(), (1, 1, 0)
        ),
        True,
    ),
    "header only": (one(ORDERS_FILE, lines(HEAD), "empty", (0, 0, 0)), True),
    "a repeated and an extra column": (
        _orders(lines(HEAD + ";note;note", order("T1") + ";a;b"), (1, 1, 0)),
        True,
    ),
    "blank line in the middle": (
        _orders(lines(HEAD, order("T1"), "", order("T2")), (2, 2, 0)),
        True,
    ),
    "blank line at the end": (_orders(lines(HEAD, order("T1"), ""), (1, 1, 0)), True),
    "a line of spaces (a record of one field)": (
        _orders(lines(HEAD, order("T1"), "  ", order("T2")), (3, 2, 1)),
        True,
    ),
    "blank line in a file with quotes": (
        _orders(lines(HEAD, order("T1", first_name='"Anne"'), "", order("T2")), (2, 2, 0)),
        False,
    ),
    "a \\x01 byte": (_orders(lines(HEAD, order("T1", first_name="A\x01B")), (1, 1, 0)), False),
    "space before a quote": (
        _orders(lines(HEAD, order("T1", first_name=' "Anne"')), (1, 1, 0)),
        False,
    ),
    "space after a quote": (
        _orders(lines(HEAD, order("T1", first_name='"Anne" ')), (1, 1, 0)),
        False,
    ),
    "a field beyond the csv module's limit": (
        _orders(
            lines(HEAD, order("T1"), order("T2", first_name='"' + "x" * 200_000 + '"')), (2, 1, 1)
        ),
        False,
    ),
    "a record with a field too many": (
        _orders(lines(HEAD, order("T1"), order("T2") + ";x"), (2, 1, 1)),
        True,
    ),
    "an unbalanced quote": (
        _orders(lines(HEAD, order("T1", first_name='"Anne'), order("T2")), (2, 1, 1)),
        False,
    ),
    "Windows-1252 (DuckDB reads a UTF-8 copy)": (
        _orders(lines(HEAD, order("T1", first_name="Hélène")).encode("cp1252"), (1, 1, 0)),
        True,
    ),
    "UTF-16 with a BOM (DuckDB reads a UTF-8 copy)": (
        _orders(
            codecs.BOM_UTF16_LE
            + lines(
                HEAD, order("T1", first_name="Zoë"), order("T2", total_amount="x"), eol="\r\n"
            ).encode("utf-16-le"),
            (2, 1, 1),
        ),
        True,
    ),
}


EVENTS_FILE = "email/events_20261120.jsonl"


def _events(text: str, counts: tuple[int, int, int]) -> Case:
    return one(EVENTS_FILE, text, LOADED, counts)


READER_CASES |= {
    "JSON lines": (_events(lines(event(1), event(2, URL="https://club.fr")), (2, 2, 0)), True),
    "JSON lines, a bad value quarantined, a blank line": (
        _events(lines(event(1), "", event(2, date_event="31/02/2025 10:00")), (2, 1, 1)),
        True,
    ),
    "JSON lines, CRLF, accents and escapes": (
        _events(lines(event(1, campaign_name='Fête \u00e9"x"'), eol="\r\n"), (1, 1, 0)),
        True,
    ),
    "JSON lines, broken lines quarantined by the json module's reasons": (
        _events(
            lines(event(1), event(2)[:40], "[1, 2]", event(3).replace("}", ",}"), event(4)),
            (5, 2, 3),
        ),
        True,
    ),
    "JSON lines, nothing but broken lines": (
        one(EVENTS_FILE, lines(event(1)[:40], "42"), "refused", (2, 0, 2)),
        True,
    ),
    "JSON lines, a decimal number kept as written": (
        _events(lines(event(1), event(2).replace('"camp_id": 42', '"camp_id": 42.50')), (2, 2, 0)),
        False,
    ),
    "JSON lines, -0": (
        _events(lines(event(1), event(2).replace('"camp_id": 42', '"camp_id": -0')), (2, 2, 0)),
        False,
    ),
    "JSON lines, a trailing comma (the json module refuses it)": (
        _events(lines(event(1), event(2).replace("}", ",}")), (2, 1, 1)),
        True,
    ),
    "JSON lines, different keys": (
        _events(lines(event(1), event(2).replace(', "tag": ""', "")), (2, 2, 0)),
        False,
    ),
    "JSON lines, an object as a value": (
        _events(lines(event(1, tag={"ab": [1, 2]})), (1, 1, 0)),
        False,
    ),
    "JSON lines, a repeated key": (
        _events(lines(event(1).replace("}", ', "id": 2}')), (1, 1, 0)),
        False,
    ),
}


def _cases() -> list:
    params = [
        pytest.param(case, None, id=f"corpus: {name}")
        for name, case in CASES.items()
        if all(rel.lower().endswith((".csv", ".jsonl")) for run in case.runs for rel in run.files)
        and case.unreadable is None
    ]
    params += [pytest.param(case, native, id=name) for name, (case, native) in READER_CASES.items()]
    return params


def _load(case: Case, home: Path) -> tuple[list, dict[str, list]]:
    """Load every run of the case; what the loader reported and what the tables hold."""
    landing_dir, warehouse = home / "landing", home / "warehouse.duckdb"
    ft = _file_type(case)
    reports = []
    for run in case.runs:
        for rel, data in run.files.items():
            _write(landing_dir, rel, data)
        reports += [
            (
                r.source_file,
                r.status,
                (r.rows_read, r.rows_loaded, r.rows_quarantined),
                r.error,
                r.warnings,
                r.issues,
                (r.missing_columns, r.extra_columns, r.new_columns),
            )
            for r in landing.load_file_type(landing_dir, warehouse, ft)
        ]
    assert not list(home.glob(".landing-utf8-*")), "a UTF-8 copy for DuckDB was left behind"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = {
            table: con.execute(f"SELECT * EXCLUDE ({stamp}) FROM {table} ORDER BY ALL").fetchall()
            for table, stamp in (
                (ft.raw_table, "_loaded_at"),
                ("raw._quarantine", "_loaded_at"),
                ("raw._file_manifest", "loaded_at"),
            )
        }
    return reports, tables


@pytest.mark.parametrize(("case", "native"), _cases())
def test_duckdb_reads_what_python_reads(
    case: Case, native: bool | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(landing_loader, "NATIVE_READERS", False)
    expected = _load(case, tmp_path / "csv_module")

    monkeypatch.setattr(landing_loader, "NATIVE_READERS", True)
    loaded_by_duckdb: list[str] = []

    def spy(name):
        load = getattr(landing_loader._FileLoader, name)

        def loading(loader):
            loaded_by_duckdb.append(loader.lf.source_file)
            return load(loader)

        return loading

    for name in ("_load_native_csv", "_load_native_jsonl"):
        monkeypatch.setattr(landing_loader._FileLoader, name, spy(name))
    got = _load(case, tmp_path / "duckdb")

    assert got[0] == expected[0]
    for table, rows in expected[1].items():
        assert got[1][table] == rows, table
    if native is not None:
        assert bool(loaded_by_duckdb) == native
