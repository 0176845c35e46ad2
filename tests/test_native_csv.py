"""DuckDB's CSV reader (orchestration.native_csv) loads exactly what the csv module loads.

Each CSV case of the bad-input corpus, and the cases below aimed at where the two readers
differ, is loaded twice: once with DuckDB reading the files it may read, once with the csv
module reading every file. The raw table, the quarantine, the manifest and what the loader
reports must be the same, row for row. The cases below also say which reader must have
read the file, so that a fast path that silently never runs fails too.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import duckdb
import pytest

from orchestration import landing, native_csv
from orchestration.contract import FILE_TYPES_BY_NAME
from tests.test_bad_input_corpus import CASES, Case, _file_type, _write, header, lines, one
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


def _csv_cases() -> list:
    params = [
        pytest.param(case, None, id=f"corpus: {name}")
        for name, case in CASES.items()
        if all(rel.lower().endswith(".csv") for run in case.runs for rel in run.files)
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


@pytest.mark.parametrize(("case", "native"), _csv_cases())
def test_duckdb_reads_what_the_csv_module_reads(
    case: Case, native: bool | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(landing, "NATIVE_CSV", False)
    expected = _load(case, tmp_path / "csv_module")

    monkeypatch.setattr(landing, "NATIVE_CSV", True)
    outcomes: list[native_csv.Records] = []
    read_records = native_csv.read_records

    def spy(*args, **kwargs):
        outcomes.append(read_records(*args, **kwargs))
        return outcomes[-1]

    monkeypatch.setattr(native_csv, "read_records", spy)
    got = _load(case, tmp_path / "duckdb")

    assert got[0] == expected[0]
    for table, rows in expected[1].items():
        assert got[1][table] == rows, table
    if native is not None:
        read_by_duckdb = [records for records in outcomes if records.why is None]
        assert bool(read_by_duckdb) == native, outcomes
