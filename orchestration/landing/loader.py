"""Loading: the public entry points (load_landing, load_file_type) and one file loaded in
one transaction. The CSV records are parsed here with the csv module; the value checks and
the inserts of each batch run in DuckDB on a worker thread."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import time
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import chain, islice
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import numpy as np
import pyarrow as pa

from orchestration.landing import encoding, manifest, native_csv, native_jsonl
from orchestration.landing.contract import FILE_TYPES, FileType
from orchestration.landing.discovery import LandingFile, discover
from orchestration.landing.encoding import Scan, decode_lines
from orchestration.landing.jsonl import JsonGroup, encodable, json_object
from orchestration.landing.manifest import (
    MANIFEST_TABLE,
    QUARANTINE_TABLE,
    add_columns,
    column_names,
    ensure_tables,
    previous_snapshot_rows,
    raw_name,
)
from orchestration.landing.results import (
    DUPLICATE,
    EMPTY,
    ERROR,
    LOADED,
    REFUSED,
    REPLACED,
    SKIPPED,
    FileResult,
    LandingError,
    LandingReport,
)
from orchestration.landing.value_kinds import check_sql
from orchestration.privacy import mask_reason
from orchestration.settings import connect_duckdb, sql_identifier

log = logging.getLogger("grandstand.landing")

BATCH_ROWS = 100_000  # records per pyarrow batch
NATIVE_READERS = True  # DuckDB reads the files it reads as the csv/json modules do (tests: both)
MAX_ISSUES = 20  # examples of quarantine reasons kept per file in the result


# ------------------------------------------------------------------------------ public


def load_landing(
    landing: Path, warehouse: Path, file_types: Iterable[FileType] = FILE_TYPES
) -> LandingReport:
    """Load every new or changed contract file of the given types."""
    report = LandingReport(ignored=discover(Path(landing))[1])
    for ft in file_types:
        report.files.extend(load_file_type(landing, warehouse, ft))
    return report


def load_file_type(landing: Path, warehouse: Path, ft: FileType) -> list[FileResult]:
    """Load the new or changed files of one type. Creates the raw table even when no file
    has arrived, so that staging can always read it. Data problems (refused files, bad
    records) are reported in the results, never raised; a database error (e.g. the file
    is locked by another process) is raised so that the caller can retry."""
    landing, warehouse = Path(landing), Path(warehouse)
    folder = landing / ft.source
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    results: list[FileResult] = []
    with connect_duckdb(warehouse) as con:
        con.execute("SET enable_progress_bar = false")
        table_columns = ensure_tables(con, ft)
        if not landing.is_dir():
            msg = f"landing folder {landing} does not exist: no {ft.source} export can be loaded"
            log.error(msg)
            return [FileResult(ft.name, f"{ft.source}/", ERROR, error=msg)]
        if not folder.is_dir():  # a club without this tool (no shop, say): nothing to load
            log.warning("no %s folder in %s: no %s export", ft.source, landing, ft.source)
            return []
        for lf in discover(landing)[0]:
            if lf.file_type == ft:
                results.append(_load_file(con, lf, table_columns, warehouse.parent))
    return results


def _misshapen(width: int, found: int) -> str:
    return f"expected {width} fields, found {found}"


# ------------------------------------------------------------------------------ loading


def _load_file(
    con: duckdb.DuckDBPyConnection, lf: LandingFile, table_columns: set[str], scratch: Path
) -> FileResult:
    ft = lf.file_type
    started = time.perf_counter()
    result = FileResult(ft.name, lf.source_file, LOADED, export_date=lf.export_date)
    if lf.path.is_dir():
        return _unreadable(con, result, f"{lf.source_file} is a directory, not an export file")
    if lf.export_date is None:
        why = f"{lf.source_file}: {lf.date_text} in the file name is not a valid date"
        return _unreadable(con, result, why)
    try:
        scan = encoding.scan(lf.path, ft.encodings)
    except OSError as e:
        return _unreadable(con, result, f"cannot read {lf.source_file}: {e.strerror or e}")
    result.sha256, result.size_bytes, result.encoding = scan.sha256, scan.size, scan.label
    previous = con.execute(
        f"SELECT sha256 FROM {MANIFEST_TABLE} WHERE _source_file = ?", [lf.source_file]
    ).fetchall()
    if any(row[0] == scan.sha256 for row in previous):
        result.status = SKIPPED
        return result
    same_bytes = con.execute(
        f"SELECT _source_file FROM {MANIFEST_TABLE} WHERE file_type = ? AND sha256 = ? "
        f"AND status IN ('{LOADED}', '{REPLACED}') ORDER BY 1 LIMIT 1",  # not header-only files
        [ft.name, scan.sha256],
    ).fetchone()
    result.replaced = bool(previous)
    if ft.kind == "snapshot":
        result.previous_snapshot_rows = previous_snapshot_rows(con, lf)
    loader = _FileLoader(con, lf, scan, result, table_columns, scratch)
    if same_bytes and ft.kind == "snapshot":
        # an unchanged table restated on a new night: loaded, as the state at this date
        result.notes.append(f"the same bytes as {same_bytes[0]}: the table is unchanged")
    elif same_bytes:  # a delta re-delivered under another name or date: counted once
        result.status = DUPLICATE
        result.warnings.append(f"the same bytes as {same_bytes[0]}, already loaded: skipped")
    elif lf.misnamed:  # every record is quarantined with the reason: nothing is lost
        expected = ft.file_name(lf.date_text)
        loader.refuse(f"the file name must be {expected} (the contract's case)", None)
    elif scan.refusal:
        loader.refuse(scan.refusal, None)
    reads_records = bool(scan.size) and result.status != DUPLICATE and not scan.refusal
    if reads_records:
        loader.prepare()  # outside the transaction: a failed read would abort it
    con.begin()
    try:
        if previous:
            for table in (ft.raw_table, QUARANTINE_TABLE, MANIFEST_TABLE):
                con.execute(f"DELETE FROM {table} WHERE _source_file = ?", [lf.source_file])
        if reads_records:
            loader.run()
        loader.finish()
        con.commit()
        loader.close()
    except (OSError, UnicodeDecodeError) as e:  # the file vanished or changed under us
        con.rollback()
        loader.close()
        table_columns.clear()  # columns added in the transaction are gone again
        table_columns.update(manifest.table_columns(con, ft.raw_table))
        result = FileResult(ft.name, lf.source_file, ERROR, export_date=lf.export_date)
        why = f"cannot read {lf.source_file}: {getattr(e, 'strerror', None) or e}"
        return _unreadable(con, result, why)
    except BaseException:
        con.rollback()
        loader.close()
        raise
    result.seconds = round(time.perf_counter() - started, 3)
    if result.status == REFUSED:
        log.error(result.error)
    elif result.rows_quarantined:
        log.warning(
            "%s: %d of %d rows quarantined, e.g. %s",
            lf.source_file,
            result.rows_quarantined,
            result.rows_read,
            result.issues[0],
        )
    return result


def _unreadable(con: duckdb.DuckDBPyConnection, result: FileResult, why: str) -> FileResult:
    """Record a file that could not be read at all as failed in the manifest (replacing an
    earlier failure of the same file); rows it loaded before, if any, stay."""
    result.status, result.error = ERROR, why
    log.error(why)
    con.execute(
        f"DELETE FROM {MANIFEST_TABLE} WHERE _source_file = ? AND status = '{ERROR}'",
        [result.source_file],
    )
    con.execute(
        f"INSERT INTO {MANIFEST_TABLE} BY NAME SELECT ? AS file_type, ? AS _source_file, "
        "? AS export_date, 0 AS rows_read, 0 AS rows_loaded, 0 AS rows_quarantined, "
        "? AS status, ? AS error, ? AS loaded_at",
        [
            result.file_type,
            result.source_file,
            result.export_date,
            ERROR,
            why,
            datetime.now(UTC).replace(tzinfo=None),
        ],
    )
    return result


class _Feed:
    """Physical lines for csv.reader, read in blocks. Keeps the lines of the current batch
    (for the raw text of quarantined records) and can restart parsing on any of them, e.g.
    on the line after a record broken by an unbalanced quote."""

    def __init__(self, blocks: Iterator[list[str]], dialect: dict[str, Any]) -> None:
        self.buf: list[str] = []  # lines of the current batch, then those read ahead
        self.first_line = 1  # physical line number of buf[0]
        self._blocks = blocks
        self._dialect = dialect
        self.base = 0  # index in buf of the first line the current reader read
        self.reader = self.restart(0)

    def _more(self) -> Iterator[list[str]]:
        buf = self.buf
        for block in self._blocks:
            buf.extend(block)
            yield block

    def restart(self, index: int) -> Any:
        """A new csv reader, from buf[index] on (then the rest of the file)."""
        self.base = index
        lines = chain(self.buf[index:], chain.from_iterable(self._more()))
        self.reader = csv.reader(lines, **self._dialect)
        return self.reader

    @property
    def pos(self) -> int:
        """Index in buf of the next line the reader will read."""
        return self.base + self.reader.line_num

    def text(self, start: int, end: int) -> str:
        """Original text of buf[start..end] without the final line break."""
        return "".join(self.buf[start : end + 1]).removesuffix("\n").removesuffix("\r")

    def drop(self, count: int) -> None:
        """Forget the first lines of buf (their batch is written)."""
        del self.buf[:count]
        self.first_line += count
        self.base -= count


_Entry = tuple[int, str | None, str, str]  # quarantine: line, column, reason, raw record


@dataclass
class _NativeRead:
    """A file DuckDB has read (orchestration.landing.native_csv, native_jsonl): the UTF-8 file it
    read, the bytes it skipped (a BOM), the copy to delete afterwards (None: the export
    itself), and the CSV header or the JSON keys, as written."""

    path: Path
    skip: int
    copy: Path | None
    columns: list[str]
    rejected: tuple[tuple[int, str, str], ...] = ()  # (line, reason, text): quarantined


class _FileLoader:
    """Loads one file inside the caller's transaction.

    The main thread decodes and parses; the database work of each batch (value checks,
    inserts) runs on one worker thread, so that DuckDB (which releases the GIL) works on a
    batch while Python parses the next. Only the worker touches the connection until
    ``finish``; quarantine entries and counters are only touched by the main thread.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        lf: LandingFile,
        scan: Scan,
        result: FileResult,
        table_columns: set[str],
        scratch: Path,
    ) -> None:
        self.con, self.lf, self.scan, self.result = con, lf, scan, result
        self.scratch = scratch  # where a UTF-8 copy of a file may be written for DuckDB
        self.ft = lf.file_type
        self.kinds = self.ft.raw_columns
        self.loaded_at = datetime.now(UTC).replace(tzinfo=None)
        self.table_columns = table_columns  # the raw table's columns, kept up to date
        self.quarantine: list[_Entry] = []
        self.bad_lines: dict[int, str] = {}  # undecodable lines -> reason
        self.seen: set[str] = set()  # JSON keys (raw names) seen so far
        self.refused_column: str | None = None
        self._db: ThreadPoolExecutor | None = None
        self._pending: deque[Future[tuple[int, list[_Entry]]]] = deque()
        self.native: _NativeRead | None = None  # set when DuckDB has read the records

    # ---- entry points

    def prepare(self) -> None:
        """Have DuckDB read the records of a file where it reads them exactly as the csv or
        json module does (see native_csv and native_jsonl); ``run`` then only checks and
        inserts. Otherwise ``run`` parses the file in Python."""
        scan = self.scan
        if not (
            NATIVE_READERS
            and self.result.status != REFUSED
            and scan.clean
            and scan.encoding
            and not scan.has_nul
            and scan.newline == "\n"
        ):
            return
        if self.ft.delimiter:
            self._prepare_csv(self.ft.delimiter)
        elif scan.encoding == "utf-8" and not scan.bom and scan.facts is not None:
            records = native_jsonl.read_json_lines(
                self.con, self.lf.path, scan.facts, raw_name, self.ft.required
            )
            reasons = [(line, json_object(text)[1], text) for line, text in records.returned]
            objects = [line for line, reason, _ in reasons if reason is None]
            why = records.why or (objects and f"line {objects[0]} is an object to the json module")
            if why:
                native_csv.drop(self.con)
                log.debug("%s: parsed by the json module: %s", self.lf.source_file, why)
            else:
                rejected = tuple((line, reason or "", text) for line, reason, text in reasons)
                self.native = _NativeRead(self.lf.path, 0, None, list(records.keys), rejected)

    def _prepare_csv(self, delimiter: str) -> None:
        ft, scan = self.ft, self.scan
        assert scan.encoding is not None
        path, skip, copy, facts = self.lf.path, len(scan.bom), None, scan.facts
        if scan.encoding != "utf-8" or facts is None:  # UTF-16, Windows-1252: read a copy
            path, facts = native_csv.utf8_copy(path, scan.encoding, skip, self.scratch)
            copy, skip = path, 0
        native = _NativeRead(path, skip, copy, [])
        try:
            with open(path, "rb") as f:
                f.seek(skip)
                first = f.readline().decode("utf-8")
            if not first.strip() or first.count('"') % 2:  # blank, or a header on 2+ lines
                return
            native.columns = next(csv.reader([first], delimiter=delimiter, strict=False))
            names = column_names(native.columns)
            if any(raw_name(c) not in names for c in ft.required):
                return  # refused: the csv module quarantines its records one by one
            records = native_csv.read_records(self.con, path, names, delimiter, facts)
            if records.why:
                log.debug("%s: parsed by the csv module: %s", self.lf.source_file, records.why)
                return
            native.rejected = tuple(
                (line, _misshapen(len(names), fields), text)
                for line, fields, text in records.misshapen
            )
            self.native = native
        finally:
            if self.native is None and copy is not None:
                copy.unlink()

    def close(self) -> None:
        """Drop what ``prepare`` left for ``run``, once the transaction is over (dropped
        inside one that rolls back, it would come back)."""
        if self.native is not None:
            native_csv.drop(self.con)
            if self.native.copy is not None:
                self.native.copy.unlink(missing_ok=True)
            self.native = None

    def run(self) -> None:
        if self.native is not None:
            if self.ft.delimiter:
                self._load_native_csv()
            else:
                self._load_native_jsonl()
            return
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="landing-db")
        try:
            if self.ft.delimiter is None:
                self._load_jsonl()
            else:
                self._load_csv()
            self._drain()
        finally:
            self._db.shutdown(wait=True, cancel_futures=True)
            self._db = None

    def finish(self) -> None:
        """Write the quarantine and the manifest row; check the row-count invariant."""
        self._flush_quarantine()
        r = self.result
        if r.rows_read != r.rows_loaded + r.rows_quarantined:
            raise LandingError(
                f"{r.source_file}: rows_read {r.rows_read} != rows_loaded {r.rows_loaded}"
                f" + rows_quarantined {r.rows_quarantined}"
            )
        if r.status not in (REFUSED, DUPLICATE):
            if r.rows_read and not r.rows_loaded:
                self.refuse(f"none of its {r.rows_read} rows could be loaded, e.g. {r.issues[0]}")
            else:
                r.status = EMPTY if r.rows_read == 0 else (REPLACED if r.replaced else LOADED)
        self.con.execute(
            f"INSERT INTO {MANIFEST_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                self.ft.name,
                r.source_file,
                r.export_date,
                r.sha256,
                r.size_bytes,
                r.encoding,
                r.rows_read,
                r.rows_loaded,
                r.rows_quarantined,
                r.status,
                r.error,
                self.loaded_at,
            ],
        )

    # ---- database thread

    def _submit(self, task: Callable[[], tuple[int, list[_Entry]]]) -> None:
        """Run a database task on the worker (in order, at most two waiting), or right away
        when no worker runs (finish)."""
        if self._db is None:
            self._collect(task())
            return
        self._pending.append(self._db.submit(task))
        while self._pending and (len(self._pending) > 2 or self._pending[0].done()):
            self._collect(self._pending.popleft().result())

    def _drain(self) -> None:
        while self._pending:
            self._collect(self._pending.popleft().result())

    def _collect(self, outcome: tuple[int, list[_Entry]]) -> None:
        loaded, entries = outcome
        self.result.rows_loaded += loaded
        for entry in entries:
            self._add_quarantine(*entry)

    # ---- reading

    def _open_lines(self, f: BinaryIO) -> Iterator[str]:
        """Decoded physical lines (split on \\n only, line breaks kept)."""
        scan = self.scan
        assert scan.encoding is not None
        if scan.bom:
            f.seek(len(scan.bom))
        if scan.clean:
            return iter(io.TextIOWrapper(f, encoding=scan.encoding, newline=scan.newline))
        return decode_lines(f, scan.encoding, len(scan.bom), self.bad_lines)

    def _undecodable(self, first: int, last: int) -> str | None:
        for line in range(first, last + 1):
            if line in self.bad_lines:
                return f"line {line}: {self.bad_lines[line]}"
        return None

    # ---- CSV

    def _blocks(self, f: BinaryIO) -> Iterator[list[str]]:
        """Decoded physical lines in blocks (fewer Python steps per line)."""
        if self.scan.clean:
            text = self._open_lines(f)
            assert isinstance(text, io.TextIOWrapper)
            while block := text.readlines(1 << 16):
                yield block
        else:
            lines = self._open_lines(f)
            while block := list(islice(lines, 1024)):
                yield block

    def _load_csv(self) -> None:
        ft, r = self.ft, self.result
        dialect = {"delimiter": ft.delimiter or ",", "quotechar": '"', "strict": False}
        with open(self.lf.path, "rb") as f:
            feed = _Feed(self._blocks(f), dialect)
            reader, bad = feed.reader, self.bad_lines
            header: list[str] | None = None
            while header is None:
                try:
                    header = next(reader) or None  # blank lines before the header: skipped
                except StopIteration:
                    return  # nothing but blank lines: empty
                except csv.Error as e:
                    self.refuse(f"header cannot be parsed: {e}", None)
                    header = []
            names = self._header(header, feed.first_line + feed.pos - 1)
            refused = r.status == REFUSED
            if not refused:
                r.new_columns = add_columns(self.con, ft.raw_table, names, self.table_columns)
            width = len(names)
            flat: list[str] = []  # fields of the batch, row after row
            starts: list[int] = []  # index in buf of the first line of each row
            extend, append = flat.extend, starts.append
            base = feed.base
            pos = feed.pos  # index in buf where the next record starts
            while True:
                try:
                    for record in reader:
                        # Hot path: one test for the common case, everything else in _reject.
                        if (len(record) != width or bad or refused) and (
                            not record or self._reject(feed, record, pos, width)
                        ):
                            if feed.reader is not reader:
                                break  # restarted after a broken record
                            pos = base + reader.line_num
                            continue
                        extend(record)
                        append(pos)
                        pos = base + reader.line_num
                        if len(starts) >= BATCH_ROWS:
                            self._flush_csv(feed, names, flat, starts, pos)
                            flat, starts = [], []
                            extend, append = flat.extend, starts.append
                            base, pos = feed.base, 0
                    else:
                        break  # end of file
                except csv.Error as e:
                    self._broken(feed, pos, f"record cannot be parsed: {e}")
                reader, base = feed.reader, feed.base
                pos = feed.pos
            if starts:
                self._flush_csv(feed, names, flat, starts, pos)

    def _load_native_csv(self) -> None:
        """Check and insert the records DuckDB has read (``prepare``), in one go."""
        assert self.native is not None
        r = self.result
        names = self._header(self.native.columns, 1)
        r.new_columns = add_columns(self.con, self.ft.raw_table, names, self.table_columns)
        self._reject_native()
        [(rows,)] = self.con.execute(f"SELECT count(*) FROM {native_csv.RECORDS_VIEW}").fetchall()
        r.rows_read += rows
        columns = ", ".join(map(sql_identifier, names))
        source = (
            f"SELECT {columns}, _source_line, _source_line AS _record "
            f"FROM {native_csv.RECORDS_VIEW}"
        )
        self._collect(self._check_and_insert(None, rows, names, self._native_texts, [], source))

    def _reject_native(self) -> None:
        """Quarantine the records DuckDB read but handed back, as the Python path would."""
        assert self.native is not None
        for line, reason, text in self.native.rejected:
            self.result.rows_read += 1
            self._add_quarantine(line, None, reason, text)

    def _native_texts(self, lines: list[int]) -> list[str]:
        """The original text of records DuckDB read, by their first line."""
        spans = dict(
            self.con.execute(
                f"SELECT _source_line, _span FROM {native_csv.RECORDS_VIEW} "
                "WHERE list_contains(?, _source_line)",
                [lines],
            ).fetchall()
        )
        assert self.native is not None
        texts = native_csv.record_texts(self.native.path, self.native.skip, spans)
        return [texts[line] for line in lines]

    def _reject(self, feed: _Feed, record: list[str], start: int, width: int) -> bool:
        """Quarantine a record that cannot be loaded; False if it can be loaded after all."""
        r = self.result
        end = feed.pos - 1
        restart = False
        if r.status == REFUSED:
            reason = r.error or "file refused"
            column = self.refused_column
        elif self.bad_lines and (
            why := self._undecodable(feed.first_line + start, feed.first_line + end)
        ):
            reason, column = why, None
        elif len(record) != width:
            reason, column = _misshapen(width, len(record)), None
            if end > start:  # spans several lines: likely an unbalanced quote
                reason += (
                    f" in a record spanning lines {feed.first_line + start}-"
                    f"{feed.first_line + end} (unbalanced quote?); only its first line is"
                    " quarantined, parsing resumed on the next line"
                )
                end, restart = start, True
        else:
            return False
        r.rows_read += 1
        self._add_quarantine(feed.first_line + start, column, reason, feed.text(start, end))
        if restart:
            feed.restart(start + 1)
        return True

    def _broken(self, feed: _Feed, start: int, reason: str) -> None:
        """A record the csv module cannot parse: quarantine its first line, resume after."""
        if start < len(feed.buf):
            self.result.rows_read += 1
            self._add_quarantine(feed.first_line + start, None, reason, feed.text(start, start))
        feed.restart(min(start + 1, len(feed.buf)))

    def _header(self, header: list[str], line: int) -> list[str]:
        ft, r = self.ft, self.result
        if line in self.bad_lines:
            self.refuse(f"header (line {line}) has {self.bad_lines[line]}", None)
        names = column_names(header)
        for h, name in zip(header, names, strict=True):
            if name != raw_name(h):
                r.warnings.append(f"duplicate column {h.strip()!r} loaded as {name}")
        missing_required = [c for c in ft.required if raw_name(c) not in names]
        if missing_required and r.status != REFUSED:
            shown = ", ".join(repr(c) for c in missing_required)
            plural = "s" if len(missing_required) > 1 else ""
            why = f"header lacks required column{plural} {shown}"
            other = next((d for d in ",;\t|" if len(header) == 1 and d in header[0]), None)
            if other:
                why += f" (it looks {other!r}-separated; the contract says {ft.delimiter!r})"
            self.refuse(why, raw_name(missing_required[0]))
        r.missing_columns = [c for c in self.kinds if c not in names]
        if r.missing_columns and r.status != REFUSED:
            r.warnings.append(
                f"missing optional column{'s' if len(r.missing_columns) > 1 else ''} "
                f"{', '.join(r.missing_columns)}: unknown in this file (NULL), not erased"
            )
        r.extra_columns = [c for c in names if c not in self.kinds]
        return names

    def refuse(self, why: str, column: str | None = None) -> None:
        r = self.result
        r.status = REFUSED
        r.error = f"{r.source_file} refused: {why}"
        self.refused_column = column

    def _flush_csv(
        self, feed: _Feed, names: list[str], flat: list[str], starts: list[int], end: int
    ) -> None:
        first = feed.first_line
        lines = feed.buf[:end]  # this batch's lines, for the raw text of rejected values
        feed.drop(end)
        self.result.rows_read += len(starts)
        delimiter = self.ft.delimiter or ","

        def raw_text(line: int) -> str:
            """The record starting on that line: parsed again, up to the next row."""
            i = bisect_right(starts, line - first)
            start, stop = line - first, starts[i] if i < len(starts) else len(lines)
            reader = csv.reader(lines[start:stop], delimiter=delimiter, strict=False)
            next(reader)
            text = "".join(lines[start : start + reader.line_num])
            return text.removesuffix("\n").removesuffix("\r")

        def raw_texts(records: list[int]) -> list[str]:
            return [raw_text(line) for line in records]

        # One conversion of the Python strings (it needs the GIL); the fields stay row after
        # row, as fixed-size lists that DuckDB splits into columns (the GIL released).
        strings = pa.array(flat, pa.string())
        if isinstance(strings, pa.ChunkedArray):  # more than 2 GB of text in one batch
            strings = strings.cast(pa.large_string()).combine_chunks()
        values = pa.FixedSizeListArray.from_arrays(strings, len(names))
        line_numbers = pa.array(np.asarray(starts, dtype=np.int64) + first)
        batch = pa.Table.from_arrays([values, line_numbers], names=["_fields", "_source_line"])
        columns = ", ".join(
            f"_fields[{i}] AS {sql_identifier(name)}" for i, name in enumerate(names, 1)
        )
        source = f"SELECT {columns}, _source_line, _source_line AS _record FROM _landing_batch"
        self._submit(
            partial(self._check_and_insert, batch, len(starts), names, raw_texts, [], source)
        )

    # ---- JSON lines

    def _load_jsonl(self) -> None:
        r = self.result
        groups: dict[tuple[str, ...], JsonGroup] = {}  # rows by their keys as written
        texts: dict[int, str] = {}  # record number -> text, for the raw text of bad values
        with open(self.lf.path, "rb") as f:
            # record numbers, not lines, identify records: array elements may share a line
            for record, (number, line) in enumerate(self._json_records(f)):
                if not line or line.isspace():
                    continue
                if r.status == REFUSED:
                    self._json_reject(number, None, r.error or "file refused", line)
                    continue
                if number in self.bad_lines:
                    self._json_reject(number, None, self.bad_lines[number], line)
                    continue
                obj, why = json_object(line)
                if why:
                    self._json_reject(number, None, why, line)
                    continue
                keys = tuple(obj)
                group = groups.get(keys)
                if group is None:
                    group = groups[keys] = JsonGroup(keys, self.ft.required)
                if group.missing:
                    reason = f"required key {group.missing!r} missing"
                    self._json_reject(number, raw_name(group.missing), reason, line)
                    continue
                group.rows.append(obj)
                group.lines.append(number)
                group.records.append(record)
                texts[record] = line
                if len(texts) >= BATCH_ROWS:
                    self._flush_jsonl(groups, texts)
                    groups, texts = {}, {}
        if texts:
            self._flush_jsonl(groups, texts)
        r.missing_columns = [c for c in self.kinds if c not in self.seen]

    def _load_native_jsonl(self) -> None:
        """Check and insert the objects DuckDB has read (``prepare``), in one go."""
        assert self.native is not None
        r = self.result
        names = [raw_name(key) for key in self.native.columns]
        self._reject_native()
        [(rows,)] = self.con.execute(f"SELECT count(*) FROM {native_csv.RECORDS_VIEW}").fetchall()
        if rows:  # as _flush_jsonl does for a batch
            r.rows_read += rows
            r.extra_columns += [n for n in names if n not in self.kinds and n not in self.seen]
            self.seen.update(names)
            new = [n for n in names if n not in self.table_columns]
            self.table_columns.update(new)
            r.new_columns += new
            columns = ", ".join(map(sql_identifier, names))
            source = (
                f"SELECT {columns}, _source_line, _source_line AS _record "
                f"FROM {native_csv.RECORDS_VIEW}"
            )

            def raw_texts(lines: list[int]) -> list[str]:
                texts = native_jsonl.line_texts(self.con, lines)
                return [texts[line] for line in lines]

            self._collect(self._check_and_insert(None, rows, names, raw_texts, new, source))
        r.missing_columns = [c for c in self.kinds if c not in self.seen]

    def _json_records(self, f: BinaryIO) -> Iterator[tuple[int, str]]:
        """(line number, text) of each JSON record: the lines of JSON lines, or the elements
        of a JSON array (some tools write one instead), each with the line it starts on."""
        lines = self._open_lines(f)
        first = next(lines, "")
        if not first.lstrip().startswith("["):
            yield from enumerate(chain([first], lines), 1)
            return
        text = first + "".join(lines)
        self.result.warnings.append("a JSON array, not JSON lines: each element is a record")
        decoder, ws = json.JSONDecoder(), re.compile(r"[\s,]*")
        pos = ws.match(text, text.index("[") + 1).end()
        line, counted = 1, 0  # line number of text[counted]
        while pos < len(text) and text[pos] != "]":
            line, counted = line + text.count("\n", counted, pos), pos
            try:
                end = decoder.raw_decode(text, pos)[1]
            except ValueError:  # broken from here: the rest is one quarantined record
                yield line, text[pos:].rstrip().removesuffix("]")
                return
            yield line, text[pos:end]
            pos = ws.match(text, end).end()

    def _json_reject(self, number: int, column: str | None, reason: str, line: str) -> None:
        self.result.rows_read += 1
        self._add_quarantine(number, column, reason, line.rstrip("\r\n"))

    def _flush_jsonl(self, groups: dict[tuple[str, ...], JsonGroup], texts: dict[int, str]) -> None:
        r = self.result
        tables = []
        for group in groups.values():
            if not group.rows:
                continue
            try:
                tables.append(group.table(texts))
            except UnicodeEncodeError:  # a lone surrogate escape (\ud800) in a string
                keep = []
                for entry in zip(group.rows, group.lines, group.records, strict=True):
                    if encodable(entry[0]):
                        keep.append(entry)
                    else:
                        reason = "not valid JSON: a string holds a lone surrogate (\\udXXX)"
                        self._json_reject(entry[1], None, reason, texts.pop(entry[2]))
                if keep:
                    group.rows, group.lines, group.records = (
                        list(x) for x in zip(*keep, strict=True)
                    )
                    tables.append(group.table(texts))
        if not tables:
            return
        batch = (
            tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="default")
        )
        names = [n for n in batch.column_names if n not in ("_source_line", "_record")]
        r.rows_read += batch.num_rows
        r.extra_columns += [n for n in names if n not in self.kinds and n not in self.seen]
        self.seen.update(names)
        new = [n for n in names if n not in self.table_columns]
        self.table_columns.update(new)  # added by the database thread, before the insert
        r.new_columns += new

        def raw_texts(records: list[int]) -> list[str]:
            return [texts[record].rstrip("\r\n") for record in records]

        source = "SELECT * FROM _landing_batch"
        self._submit(
            partial(self._check_and_insert, batch, batch.num_rows, names, raw_texts, new, source)
        )

    # ---- value checks and insert (database thread)

    def _check_and_insert(
        self,
        batch: pa.Table | None,
        rows: int,
        names: list[str],
        raw_texts: Callable[[list[int]], list[str]],
        new_columns: list[str],
        source: str,
    ) -> tuple[int, list[_Entry]]:
        """Insert the rows whose values have the contract's form; return the count loaded
        and the quarantine entries of the others. ``source`` is the SELECT that turns the
        ``rows`` records (``batch``, registered as _landing_batch, or a table DuckDB read)
        into the file's columns, _source_line and _record (what identifies a record for
        ``raw_texts``)."""
        con = self.con
        for name in new_columns:  # schema evolution of JSON lines: keys seen in this batch
            con.execute(
                f"ALTER TABLE {self.ft.raw_table} ADD COLUMN {sql_identifier(name)} VARCHAR"
            )
        rules = self.ft.column_rules
        required = {raw_name(c) for c in self.ft.required}
        # typed and required columns; every column of a file holding NUL bytes
        checked = [n for n in names if n in rules or n in required or self.scan.has_nul]
        entries: list[_Entry] = []
        if batch is not None:
            con.register("_landing_batch", batch)
        try:
            if checked:
                # One pass: typed values made canonical, and the problem of each bad one.
                columns, problems, aliases = [], [], []
                stages: list[list[str]] = []  # per nesting level, the expressions computed once
                for i, name in enumerate(checked):
                    col = sql_identifier(name)
                    check = check_sql(col, rules[name], f"_c{i}_") if name in rules else None
                    for level, expressions in enumerate(check.stages if check else ()):
                        if level == len(stages):
                            stages.append([])
                        stages[level] += [f"{sql} AS {alias}" for alias, sql in expressions]
                        aliases += [alias for alias, _ in expressions]
                    value, problem = (check.value, check.problem) if check else (col, "")
                    if self.scan.has_nul:
                        problem = (
                            f"CASE WHEN contains({col}, chr(0)) THEN "
                            f"'holds a NUL byte (a corrupt export?)' ELSE {problem or 'NULL'} END"
                        )
                    blank = f"{col} IS NULL OR trim({col}) = ''"
                    missing = "'is empty, but the contract requires a value'"
                    columns.append(f"CASE WHEN {blank} THEN {col} ELSE {value} END AS _value{i}")
                    problems.append(
                        f"CASE WHEN {blank} THEN {missing if name in required else 'NULL'} "
                        f"ELSE {problem or 'NULL'} END AS _problem{i}"
                    )
                for expressions in stages:
                    source = f"SELECT *, {', '.join(expressions)} FROM ({source})"
                excluded = f"EXCLUDE ({', '.join(aliases)})" if aliases else ""
                con.execute(
                    f"CREATE OR REPLACE TEMP TABLE _landing_checked AS SELECT * {excluded}, "
                    f"{', '.join(columns + problems)} FROM ({source})"
                )
                any_problem = " OR ".join(f"_problem{i} IS NOT NULL" for i in range(len(checked)))
                failing = con.execute(
                    f"SELECT _record, _source_line, {', '.join(map(sql_identifier, checked))}, "
                    f"{', '.join(f'_problem{i}' for i in range(len(checked)))} "
                    f"FROM _landing_checked WHERE {any_problem} ORDER BY 1"
                ).fetchall()
                k = len(checked)
                texts = raw_texts([record for record, *_ in failing]) if failing else []
                for (_, line, *row), text in zip(failing, texts, strict=True):
                    bad = [
                        (name, value, problem)
                        for name, value, problem in zip(checked, row[:k], row[k:], strict=True)
                        if problem is not None
                    ]
                    reason = "; ".join(f"column {n}: {(v or '')!r} {p}" for n, v, p in bad)
                    entries.append((line, bad[0][0], reason, text))
                index = {name: i for i, name in enumerate(checked)}
                selected = ", ".join(
                    f"_value{index[n]} AS {sql_identifier(n)}" if n in index else sql_identifier(n)
                    for n in names
                )
                source = (
                    f"SELECT {selected}, _source_line FROM _landing_checked "
                    f"WHERE NOT ({any_problem})"
                )
            else:
                source = f"SELECT * EXCLUDE (_record) FROM ({source})"
            con.execute(
                f"INSERT INTO {self.ft.raw_table} BY NAME SELECT *, ? AS _source_file, "
                f"? AS _file_sha256, ? AS _export_date, ? AS _loaded_at FROM ({source})",
                [self.lf.source_file, self.scan.sha256, self.lf.export_date, self.loaded_at],
            )
            loaded = rows - len(entries)
        finally:
            if batch is not None:
                con.unregister("_landing_batch")
            con.execute("DROP TABLE IF EXISTS _landing_checked")
        return loaded, entries

    # ---- quarantine

    def _add_quarantine(self, line: int, column: str | None, reason: str, raw: str) -> None:
        r = self.result
        r.rows_quarantined += 1
        if len(r.issues) < MAX_ISSUES:
            # examples travel to logs and Dagster's event log: no person's value in them
            r.issues.append(f"{r.source_file} line {line}: {mask_reason(reason, column)}")
        self.quarantine.append((line, column, reason, raw))
        if len(self.quarantine) >= BATCH_ROWS:
            self._flush_quarantine()

    def _flush_quarantine(self) -> None:
        if self.quarantine:
            entries, self.quarantine = self.quarantine, []
            self._submit(partial(self._insert_quarantine, entries))

    def _insert_quarantine(self, entries: list[_Entry]) -> tuple[int, list[_Entry]]:
        lines, columns, reasons, raws = zip(*entries, strict=True)
        batch = pa.table(
            {
                "_source_line": pa.array(lines, pa.int64()),
                "column_name": pa.array(columns, pa.string()),
                "reason": pa.array(reasons, pa.string()),
                "raw_record": pa.array(raws, pa.string()),
            }
        )
        self.con.register("_landing_quarantine", batch)
        try:
            self.con.execute(
                f"INSERT INTO {QUARANTINE_TABLE} BY NAME SELECT *, ? AS source, ? AS file_type, "
                "? AS _source_file, ? AS _file_sha256, ? AS _loaded_at FROM _landing_quarantine",
                [
                    self.ft.source,
                    self.ft.name,
                    self.lf.source_file,
                    self.scan.sha256,
                    self.loaded_at,
                ],
            )
        finally:
            self.con.unregister("_landing_quarantine")
        return 0, []
