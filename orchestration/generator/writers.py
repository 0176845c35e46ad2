"""The two writers: delimited text (every CSV of the three tools) and JSON lines.

Both take pyarrow tables of already formatted string columns, in chunks, and return the
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
) -> int:
    """Write header and line chunks; returns the number of records (garbage excluded)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with open(path, "wb") as out:
        if encoding == "utf-8-sig":  # the BOM once, at the start of the file
            out.write(codecs.BOM_UTF8)
            encoding = "utf-8"
        if header is not None:
            out.write((header + newline).encode(encoding))
        for lines in chunks:
            texts = lines.to_pylist() if lines.null_count == 0 else None
            assert texts is not None, "a record rendered to null"
            for after in sorted(
                (k for k in extra_lines if rows <= k < rows + len(texts)), reverse=True
            ):
                texts.insert(after - rows + 1, extra_lines[after])
            rows += len(lines)
            if texts:
                out.write((newline.join(texts) + newline).encode(encoding))
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
    """A CSV-like file. encoding 'utf-8-sig' writes a BOM; 'cp1252' a Windows-1252 file."""
    header_line = delimiter.join(header)
    lines = (delimited_lines(table, delimiter) for table in chunks)
    return _write(path, header_line, lines, encoding, newline, extra_lines or {})


def write_jsonl(
    path: Path,
    chunks: Iterable[pa.Table],
    numeric: set[str],
    extra_lines: dict[int, str] | None = None,
) -> int:
    lines = (jsonl_lines(table, numeric) for table in chunks)
    return _write(path, None, lines, "utf-8", "\n", extra_lines or {})
