"""The writers: delimited text (every CSV of the three tools), JSON lines, and a JSON array
(what the email tool's webhook log sometimes is instead of JSON lines).

They take pyarrow tables of already formatted string columns, in chunks, and return the
number of data records written. A garbage line can be slipped in after a given record
(`extra_lines`): the export layer uses it for deliberately broken rows.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

NEEDS_QUOTES = {";": '[;"\r\n]', ",": '[,"\r\n]'}
# Encodings written with a byte-order mark: the mark once at the start, then the codec.
WITH_BOM = {
    "utf-8-sig": (codecs.BOM_UTF8, "utf-8"),
    "utf-16": (codecs.BOM_UTF16_LE, "utf-16-le"),  # as Windows tools write "Unicode" text
}


def _quote(column: pa.Array, delimiter: str) -> pa.Array:
    """Minimal quoting: a field is quoted only if it holds the delimiter, a quote or a
    line break; quotes inside are doubled."""
    column = pc.fill_null(column, "")
    # Cheap test on the whole column first: most columns never need quotes.
    whole = pc.binary_join(
        pa.ListArray.from_arrays(pa.array([0, len(column)], pa.int32()), column), ""
    )
    text = whole[0].as_py() if len(column) else ""
    if not any(c in text for c in (delimiter, '"', "\r", "\n")):
        return column
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(column, '"', '""'), '"', "")
    return pc.if_else(pc.match_substring_regex(column, NEEDS_QUOTES[delimiter]), quoted, column)


def delimited_lines(table: pa.Table, delimiter: str) -> pa.Array:
    columns = [
        _quote(table.column(i).combine_chunks(), delimiter) for i in range(table.num_columns)
    ]
    return pc.binary_join_element_wise(*columns, delimiter)


def _json_string(column: pa.Array) -> pa.Array:
    escaped = pc.replace_substring(pc.replace_substring(column, "\\", "\\\\"), '"', '\\"')
    return pc.binary_join_element_wise('"', escaped, '"', "")


def jsonl_lines(table: pa.Table, numeric: set[str]) -> pa.Array:
    """One JSON object per record. Columns in `numeric` are written bare (their text is a
    number); others as JSON strings; nulls as null."""
    parts: list = []
    for i, name in enumerate(table.column_names):
        column = table.column(i).combine_chunks()
        value = column if name in numeric else _json_string(column)
        parts += [("{" if i == 0 else ", ") + f'"{name}": ', pc.fill_null(value, "null")]
    parts.append("}")
    return pc.binary_join_element_wise(*parts, "")


def _write(
    path: Path,
    header: str | None,
    chunks: Iterable[pa.Array],
    encoding: str,
    newline: str,
    extra_lines: dict[int, str],
    array: bool = False,
) -> int:
    """Write header and line chunks; returns the number of records (garbage excluded).
    With `array`, the records are the items of one JSON array, one per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    # Lines end with a newline; array items start on their own indented line, after a comma.
    separator = "," + newline + "  " if array else newline
    with open(path, "wb") as out:
        bom, encoding = WITH_BOM.get(encoding, (b"", encoding))
        out.write(bom)
        if header is not None:
            out.write((header + newline).encode(encoding))
        if array:
            out.write(b"[")
        for lines in chunks:
            texts = lines.to_pylist() if lines.null_count == 0 else None
            assert texts is not None, "a record rendered to null"
            for after in sorted(
                (k for k in extra_lines if rows <= k < rows + len(texts)), reverse=True
            ):
                texts.insert(after - rows + 1, extra_lines[after])
            if texts:
                lead = ("," if rows else "") + newline + "  " if array else ""
                tail = "" if array else newline
                out.write((lead + separator.join(texts) + tail).encode(encoding))
            rows += len(lines)
        if array:
            out.write((newline + "]" + newline).encode(encoding))
    return rows


def write_delimited(
    path: Path,
    header: list[str],
    chunks: Iterable[pa.Table],
    delimiter: str,
    encoding: str = "utf-8",
    newline: str = "\n",
    extra_lines: dict[int, str] | None = None,
) -> int:
    """A CSV-like file. encoding 'utf-8-sig' or 'utf-16' writes a BOM; 'cp1252' a
    Windows-1252 file."""
    header_line = delimiter.join(header)
    lines = (delimited_lines(table, delimiter) for table in chunks)
    return _write(path, header_line, lines, encoding, newline, extra_lines or {})


def write_jsonl(
    path: Path,
    chunks: Iterable[pa.Table],
    numeric: set[str],
    extra_lines: dict[int, str] | None = None,
    array: bool = False,
) -> int:
    """JSON lines, or with `array` the same objects as one JSON array."""
    lines = (jsonl_lines(table, numeric) for table in chunks)
    return _write(path, None, lines, "utf-8", "\n", extra_lines or {}, array)
