"""The fast path of JSON-lines loading: DuckDB's JSON functions, used only where they give
exactly what the json module gives.

``orchestration.landing.jsonl`` decodes each JSON line with the json module (about 13 s per
million records with what follows). DuckDB reads the lines and extracts the values many
times faster, but it writes some values differently (12.50 as 12.5, 1E3 as 1000.0, -0 as
0, nested objects without spaces), accepts a trailing comma the json module refuses and
keeps one of two repeated keys. So DuckDB reads a file only when none of that can happen:
every non-blank line is a valid JSON object, all have the same keys in the same order (no
key repeated, no two keys with one raw name, every required key), every value is a
string, a whole number, true, false or null, and no line holds a trailing comma or a -0.
Any other file, or any doubt, goes to the json module; tests load every JSON-lines case of
the bad-input corpus both ways and compare the tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.landing.native_csv import (
    RECORDS_TABLE,
    RECORDS_VIEW,
    ByteFacts,
    drop,
    whole_lines,
)
from orchestration.settings import sql_identifier, sql_literal

# Values DuckDB extracts exactly as the json module decodes them (numbers as written).
_EXACT_TYPES = ("VARCHAR", "BIGINT", "UBIGINT", "BOOLEAN", "NULL")
# A trailing comma (DuckDB accepts it) or the integer -0 (DuckDB writes 0), anywhere.
_SUSPECT = r",\s*[}\]]|-0([^.0-9eE]|$)"


@dataclass(frozen=True)
class JsonRecords:
    """What read_json_lines did: ``why`` the json module must read the file instead (None:
    DuckDB read it), and the keys of its objects, as written."""

    why: str | None
    keys: tuple[str, ...] = ()
    # non-blank lines that are not plain objects to DuckDB, as (line, text): the json module
    # says why each is not a record, or that the file is not DuckDB's to read after all
    returned: tuple[tuple[int, str], ...] = ()


def read_json_lines(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    facts: ByteFacts,
    raw_name: Callable[[str], str],
    required: tuple[str, ...],
) -> JsonRecords:
    """Read the objects of a UTF-8 JSON-lines file into the temp view RECORDS_VIEW: one
    column per key (named ``raw_name(key)``, values as text as written, null -> NULL),
    ``_source_line`` and ``_span``. Nothing is left behind when the json module must read
    the file instead. Runs outside any transaction: a failed read would abort it."""
    if facts.lone_cr:
        return JsonRecords("a carriage return that does not end a line")
    if facts.has_soh:
        return JsonRecords("a \\x01 byte (DuckDB's line mode splits on it)")
    try:
        records = _read(con, path, facts, raw_name, required)
    except duckdb.Error as e:
        records = JsonRecords(f"DuckDB refused it: {str(e).splitlines()[0]}")
    if records.why:
        drop(con)
    return records


def _read(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    facts: ByteFacts,
    raw_name: Callable[[str], str],
    required: tuple[str, ...],
) -> JsonRecords:
    plain = (  # a line DuckDB reads as the json module does (if it reads the file at all)
        f"json_valid(_line) AND CASE WHEN json_valid(_line) THEN json_type(_line) = 'OBJECT' END"
        f" AND NOT regexp_matches(_line, {sql_literal(_SUSPECT)})"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {RECORDS_TABLE} AS SELECT _line, "
        f"_line <> '' AND {plain} AS _plain FROM {whole_lines(path, header=False)}"
    )
    rows, first = con.execute(
        f"SELECT count(*), first(_line ORDER BY rowid) FROM {RECORDS_TABLE}"
    ).fetchall()[0]
    if rows != facts.physical_lines:
        return JsonRecords("lines DuckDB did not count as the file does")
    if (first or "").lstrip().startswith("["):
        return JsonRecords("a JSON array")
    returned = con.execute(
        f"SELECT rowid + 1, _line FROM {RECORDS_TABLE} WHERE _line <> '' AND NOT _plain ORDER BY 1"
    ).fetchall()
    key_lists = con.execute(
        f"SELECT DISTINCT json_keys(_line) FROM {RECORDS_TABLE} WHERE _plain LIMIT 2"
    ).fetchall()
    if len(key_lists) > 1:
        return JsonRecords("objects with different keys")
    keys = tuple(key_lists[0][0]) if key_lists else ()
    names = [raw_name(k) for k in keys]
    if len(set(names)) != len(names):
        return JsonRecords("a key repeated, or two keys with one column name")
    if keys and any(raw_name(c) not in names for c in required):
        return JsonRecords("a required key missing")
    paths = "[" + ", ".join(sql_literal("$." + _json_path_key(k)) for k in keys) + "]"
    allowed = ", ".join(map(sql_literal, _EXACT_TYPES))
    (inexact,) = con.execute(
        f"SELECT count(*) FROM {RECORDS_TABLE} WHERE _plain AND "
        f"len(list_filter(json_type(_line, {paths}), lambda t: t NOT IN ({allowed}))) > 0"
    ).fetchall()[0]
    if inexact:
        return JsonRecords("a decimal number, an object or an array as a value")
    values = "".join(f"_values[{i}] AS {sql_identifier(n)}, " for i, n in enumerate(names, 1))
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {RECORDS_VIEW} AS SELECT {values}"
        f"_line_number AS _source_line, 1 AS _span FROM ("
        f"SELECT json_extract_string(_line, {paths}) AS _values, rowid + 1 AS _line_number "
        f"FROM {RECORDS_TABLE} WHERE _plain)"
    )
    return JsonRecords(None, keys, tuple(returned))


def _json_path_key(key: str) -> str:
    """A key as a quoted step of a JSON path ($."campaign name")."""
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def line_texts(con: duckdb.DuckDBPyConnection, lines: list[int]) -> dict[int, str]:
    """The text of lines DuckDB read (a record is one line), by line number."""
    return dict(
        con.execute(
            f"SELECT rowid + 1, _line FROM {RECORDS_TABLE} WHERE list_contains(?, rowid + 1)",
            [lines],
        ).fetchall()
    )
