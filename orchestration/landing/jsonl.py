"""JSON lines decoded by the json module: a line as an object (or why not), and the objects
of a batch turned into text columns, values as written."""

from __future__ import annotations

import json
from operator import itemgetter
from typing import Any

import pyarrow as pa

from orchestration.landing.manifest import raw_name


class _Number(str):
    """A JSON number kept as written (81234, 12.50), inside nested values."""


# Top-level values: numbers come back as written, as plain strings (no per-value Python
# object to track: a million decoded rows stay cheap for the garbage collector). Nested
# objects and arrays are re-read with _DECODE_NUMBERS to write them back as JSON.
_DECODE = json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=str).decode
_DECODE_NUMBERS = json.JSONDecoder(
    parse_int=_Number, parse_float=_Number, parse_constant=_Number
).decode


class JsonGroup:
    """The rows of a batch whose objects have the same keys in the same order (usually all
    of them): their values are turned into columns in one go."""

    def __init__(self, keys: tuple[str, ...], required: tuple[str, ...]) -> None:
        self.keys = keys
        present = {raw_name(k) for k in keys}
        self.missing = next((c for c in required if raw_name(c) not in present), None)
        self.rows: list[dict[str, Any]] = []
        self.lines: list[int] = []  # physical line each record starts on
        self.records: list[int] = []  # record numbers, keys of the texts

    def table(self, texts: dict[int, str]) -> pa.Table:
        by_name = {raw_name(k): k for k in self.keys}  # two keys, one name: the last
        arrays = [self._column(key, texts) for key in by_name.values()]
        arrays.append(pa.array(self.lines, pa.int64()))
        arrays.append(pa.array(self.records, pa.int64()))
        return pa.Table.from_arrays(arrays, names=[*by_name, "_source_line", "_record"])

    def _column(self, key: str, texts: dict[int, str]) -> pa.Array:
        """Values as text: strings and numbers as written, null -> NULL, true/false,
        objects and arrays as JSON."""
        values = list(map(itemgetter(key), self.rows))
        try:
            return pa.array(values, pa.string())
        except (pa.ArrowTypeError, pa.ArrowInvalid):  # true/false, objects, arrays
            return pa.array(
                [
                    v
                    if v is None or type(v) is str
                    else _dump(v if type(v) is bool else _DECODE_NUMBERS(texts[record])[key])
                    for v, record in zip(values, self.records, strict=True)
                ],
                pa.string(),
            )


def json_object(line: str) -> tuple[dict[str, Any], str | None]:
    """A JSON line decoded as an object ({} and why not, for any other line)."""
    try:
        obj = _DECODE(line)
    except ValueError as e:
        return {}, f"not valid JSON: {_json_error(line, e)}"
    if type(obj) is not dict:
        return (
            {},
            f"not a JSON object but {_JSON_KINDS.get(type(_DECODE_NUMBERS(line)), 'a value')}",
        )
    return obj, None


def _json_error(line: str, error: ValueError) -> ValueError:
    """The decoder's message for the line without its line break (a truncated string is
    'Unterminated string', not 'Invalid control character')."""
    try:
        json.loads(line.rstrip("\r\n"))
    except ValueError as e:
        return e
    return error


def encodable(obj: object) -> bool:
    try:
        _dump(obj).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_JSON_KINDS = {list: "an array", str: "a string", _Number: "a number", bool: "true/false"}
_JSON_KINDS[type(None)] = "null"


def _dump(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, _Number):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_dump(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{json.dumps(k, ensure_ascii=False)}: {_dump(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return str(value)
