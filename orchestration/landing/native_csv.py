"""The fast path of CSV loading: DuckDB's own CSV reader, used only where it reads every
record exactly as Python's csv module does.

``orchestration.landing.loader`` parses CSV exports with the csv module, line by line: it keeps
the physical line of every record, quarantines a broken record and carries on after it.
That costs about 7 s per million records in Python. DuckDB's reader is several times
faster but differs from the csv module on files that are not plain RFC 4180: it skips
blank lines, trims whitespace around a quoted value, accepts fields beyond the csv
module's size limit and stops at the first broken record. It has no line numbers either.

So DuckDB reads a file only when nothing of that can happen, and proves it did:
- strict mode: any broken record raises; no whitespace next to a quote; no field beyond
  the csv module's limit; and the count of physical lines (header + records + the line
  breaks inside quoted values) equals the file's own count, which rules out skipped blank
  lines. A record's line is the header's line plus the lines of the records before it.
- line mode, for a file without any quote that strict mode refused (a record with a field
  too many, a blank line): DuckDB reads whole lines, a record is what lies between the
  delimiters, and the records with a wrong number of fields are handed back to be
  quarantined as the csv path would.
Any other file, or any doubt, goes to the csv module; tests load every CSV case of the
bad-input corpus both ways and compare the tables.
"""

from __future__ import annotations

import codecs
import csv
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.settings import sql_identifier, sql_literal

RECORDS_TABLE = "_landing_native_records"  # temp table: the records, in file order
RECORDS_VIEW = "_landing_native"  # the records with _source_line and _span

# Above this many characters in one field the csv module raises (and the record is
# quarantined): DuckDB must not load such a field.
FIELD_LIMIT = csv.field_size_limit()
_LINE_LIMIT = FIELD_LIMIT  # DuckDB's max_line_size, in bytes: a longer line -> csv module


@dataclass(frozen=True)
class ByteFacts:
    """What the first pass over a file's bytes (landing's sha256 pass) saw."""

    newlines: int  # b"\n" bytes
    has_quote: bool  # any b'"'
    has_soh: bool  # any b"\x01" (the separator of DuckDB's line mode)
    lone_cr: bool  # a b"\r" not followed by b"\n"
    ends_with_newline: bool

    @property
    def physical_lines(self) -> int:
        return self.newlines + (0 if self.ends_with_newline else 1)


class ByteCounter:
    """Accumulates ByteFacts over the chunks of a file, in order."""

    def __init__(self) -> None:
        self.newlines = self.crs = self.crlfs = 0
        self.has_quote = self.has_soh = False
        self.last = b""

    def update(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.newlines += chunk.count(b"\n")
        self.crs += chunk.count(b"\r")
        self.crlfs += chunk.count(b"\r\n") + (self.last == b"\r" and chunk[:1] == b"\n")
        self.has_quote = self.has_quote or b'"' in chunk
        self.has_soh = self.has_soh or b"\x01" in chunk
        self.last = chunk[-1:]

    def facts(self) -> ByteFacts:
        return ByteFacts(
            self.newlines,
            self.has_quote,
            self.has_soh,
            self.crs != self.crlfs,
            self.last in (b"\n", b""),
        )


def utf8_copy(path: Path, encoding: str, skip: int, directory: Path) -> tuple[Path, ByteFacts]:
    """A UTF-8 copy of a file in another encoding (DuckDB reads no Windows-1252), without
    its first ``skip`` bytes (a BOM), and its ByteFacts. The caller deletes it."""
    decoder = codecs.getincrementaldecoder(encoding)()
    counter = ByteCounter()
    fd, name = tempfile.mkstemp(prefix=".landing-utf8-", suffix=".csv", dir=directory)
    try:
        with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
            src.seek(skip)
            while True:
                chunk = src.read(1 << 22)
                text = decoder.decode(chunk, final=not chunk).encode("utf-8")
                counter.update(text)
                dst.write(text)
                if not chunk:
                    break
    except BaseException:
        os.unlink(name)
        raise
    return Path(name), counter.facts()


def quote_padding(path: Path, delimiter: str) -> bool:
    """Spaces or tabs between a quote and the field's edge (`a, "b"` or `"b" ,c`): the csv
    module keeps them (and the quotes of `a, "b"`), DuckDB drops them."""
    sep = re.escape(delimiter.encode())
    padded = re.compile(rb"(?:^|" + sep + rb')[ \t]+"|"[ \t]+(?:' + sep + rb"|\r?$)", re.M)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.readlines(1 << 22), []):
            block = b"".join(chunk)
            # most blocks hold no quote next to a blank at all: a cheap test first
            if any(p in block for p in (b'" ', b' "', b'"\t', b'\t"')) and padded.search(block):
                return True
    return False


@dataclass(frozen=True)
class Records:
    """What read_records did: ``why`` the csv module must read the file instead (None:
    DuckDB read it), and the records of a quote-free file whose number of fields is wrong,
    as (line, fields found, text): the loader quarantines them as the csv path does."""

    why: str | None
    misshapen: tuple[tuple[int, int, str], ...] = ()


def read_records(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    names: list[str],
    delimiter: str,
    facts: ByteFacts,
) -> Records:
    """Read the records of a UTF-8 CSV file whose header is its first line into the temp
    view RECORDS_VIEW (all columns VARCHAR as written, ``_source_line``, ``_span`` = the
    physical lines of the record). Nothing is left behind when the csv module must read
    the file instead. Runs outside any transaction: a failed read would abort it."""
    if facts.lone_cr:
        return Records("a carriage return that does not end a line")
    if facts.has_soh:
        return Records("a \\x01 byte (DuckDB's line mode splits on it)")
    if facts.has_quote and quote_padding(path, delimiter):
        return Records("whitespace next to a quote")
    why, misshapen = _read_strict(con, path, names, delimiter, facts), ()
    if why and not facts.has_quote:  # misshapen records or blank lines: read it line by line
        try:
            why, misshapen = _read_lines(con, path, names, delimiter, facts)
        except duckdb.Error as e:
            why = f"DuckDB's reader refused it: {str(e).splitlines()[0]}"
    if why:
        drop(con)
    return Records(why, misshapen)


def _read_csv(path: Path, columns: dict[str, str], options: str, header: bool = True) -> str:
    """A read_csv call that reads every column as text, exactly as written."""
    names = ", ".join(f"{sql_literal(n)}: 'VARCHAR'" for n in columns)
    return (
        f"read_csv({sql_literal(path)}, columns = {{{names}}}, header = {str(header).lower()}, "
        f"auto_detect = false, null_padding = false, ignore_errors = false, "
        f"force_not_null = [{', '.join(map(sql_literal, columns))}], "
        f"max_line_size = {_LINE_LIMIT}, encoding = 'utf-8', {options})"
    )


def whole_lines(path: Path, header: bool = True) -> str:
    """A read_csv call giving each line of a UTF-8 file as ``_line`` (without its line
    break), blank lines included, in file order: the line after the header is the row with
    rowid 0. Only for files without a \\x01 byte (the separator it splits on) nor a lone
    carriage return."""
    return _read_csv(
        path,
        {"_line": "VARCHAR"},
        # one thread: DuckDB's parallel reader gives up on some files read this way
        "delim = '\\x01', quote = '', escape = '', strict_mode = false, "
        "new_line = '\\r\\n', parallel = false",
        header,
    )


def _read_lines(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    names: list[str],
    delimiter: str,
    facts: ByteFacts,
) -> tuple[str | None, tuple[tuple[int, int, str], ...]]:
    """A file without any quote: each line is a record (or blank), its fields are what lies
    between delimiters. DuckDB reads whole lines, blank ones included, so a record's line
    is its position; records with a wrong number of fields are returned, not loaded."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {RECORDS_TABLE} AS SELECT "
        f"string_split(_line, {sql_literal(delimiter)}) AS _fields, _line FROM {whole_lines(path)}"
    )
    (rows,) = con.execute(f"SELECT count(*) FROM {RECORDS_TABLE}").fetchall()[0]
    if 1 + rows != facts.physical_lines:
        return "lines DuckDB did not count as the file does", ()
    width = len(names)
    misshapen = con.execute(
        f"SELECT rowid + 2, len(_fields), _line FROM {RECORDS_TABLE} "
        f"WHERE _line <> '' AND len(_fields) <> {width} ORDER BY 1"
    ).fetchall()
    fields = ", ".join(f"_fields[{i}] AS {sql_identifier(n)}" for i, n in enumerate(names, 1))
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {RECORDS_VIEW} AS SELECT {fields}, "
        f"rowid + 2 AS _source_line, 1 AS _span FROM {RECORDS_TABLE} "
        f"WHERE _line <> '' AND len(_fields) = {width}"  # the csv module skips blank lines
    )
    return None, tuple(misshapen)


def _read_strict(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    names: list[str],
    delimiter: str,
    facts: ByteFacts,
) -> str | None:
    """DuckDB's strict CSV reader (any broken record raises; blank lines are skipped, which
    the count of lines reveals), then the line of each record from the line breaks inside
    the quoted values before it."""
    records = _read_csv(
        path,
        dict.fromkeys(names, "VARCHAR"),
        f"delim = {sql_literal(delimiter)}, quote = '\"', escape = '\"', strict_mode = true",
    )
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {RECORDS_TABLE} AS SELECT * FROM {records}")
    except duckdb.Error as e:
        return f"DuckDB's reader refused it: {str(e).splitlines()[0]}"
    cols = [sql_identifier(n) for n in names]
    breaks = " + ".join(f"length({c}) - length(replace({c}, chr(10), ''))" for c in cols)
    rows, inner_breaks, longest = con.execute(
        f"SELECT count(*), coalesce(sum({breaks}), 0), "
        f"coalesce(max(greatest({', '.join(f'length({c})' for c in cols)})), 0) "
        f"FROM {RECORDS_TABLE}"
    ).fetchall()[0]
    if longest > FIELD_LIMIT:
        return f"a field longer than the csv module's limit ({FIELD_LIMIT} characters)"
    if 1 + rows + inner_breaks != facts.physical_lines:
        return "blank lines (DuckDB skips them; their line numbers must count)"
    if inner_breaks:  # a record starts after the lines of every record before it
        span = f"1 + {breaks}"
        before = "ORDER BY rowid ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"
        line = f"2 + coalesce(sum({span}) OVER ({before}), 0)"
    else:
        span, line = "1", "rowid + 2"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {RECORDS_VIEW} AS SELECT *, {line} AS _source_line, "
        f"{span} AS _span FROM {RECORDS_TABLE}"
    )
    return None


def record_texts(path: Path, skip: int, spans: dict[int, int]) -> dict[int, str]:
    """The original text of records, by start line: ``spans`` maps a record's first line
    to its number of lines. One pass over the UTF-8 file (after ``skip`` bytes: a BOM)."""
    texts: dict[int, str] = {}
    open_records: dict[int, list[bytes]] = {}
    with open(path, "rb") as f:
        f.seek(skip)
        for number, raw in enumerate(f, 1):
            if number in spans:
                open_records[number] = []
            for start in list(open_records):
                open_records[start].append(raw)
                if len(open_records[start]) == spans[start]:
                    text = b"".join(open_records.pop(start)).decode("utf-8")
                    texts[start] = text.removesuffix("\n").removesuffix("\r")
            if len(texts) == len(spans):
                break
    return texts


def drop(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP VIEW IF EXISTS {RECORDS_VIEW}")
    con.execute(f"DROP TABLE IF EXISTS {RECORDS_TABLE}")
