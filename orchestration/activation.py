"""The activation export: what the club's marketing tool gets, apart from the BI file.

After each publish, ``<home>/activation/audience_contacts.csv`` is rewritten from the mart
``activation.activation_audience_contacts`` (consenting fans per audience and channel, with
their contact point and first name). It is the only output that carries contact details;
BI users get ``published/`` and never this folder (README, "Who gets which file"). There is
no history of it: an erased or withdrawn fan is gone from it the next night.

Values come from the tools' exports, so each cell is made spreadsheet-safe: control
characters (a NUL byte, line breaks) are removed, and a value a spreadsheet would read as a
formula (starting with =, +, -, @, after any blank; ``=HYPERLINK(...)``) is
prefixed with an apostrophe -- a number such as an E.164 phone (+33612345678) stays as is.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.files import write_text_atomic
from orchestration.settings import connect_duckdb

ACTIVATION_RELATION = "activation.activation_audience_contacts"
CONTACTS_FILE = "audience_contacts.csv"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"[\t\r\n]+")
_FORMULA_START = ("=", "+", "-", "@")  # after line breaks and tabs became spaces
_NUMBER = re.compile(r"[+-]?[0-9][0-9 .]*")


@dataclass(frozen=True)
class ActivationExport:
    path: Path
    rows: int


def spreadsheet_safe(value: Any) -> str:
    """A cell's text that no spreadsheet runs as a formula, without control characters."""
    if value is None:
        return ""
    text = _LINE_BREAKS.sub(" ", _CONTROL.sub("", str(value)))
    if text.lstrip().startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        text = "'" + text
    return text


def contacts_csv(columns: list[str], rows: list[tuple]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([spreadsheet_safe(value) for value in row] for row in rows)
    return out.getvalue()


def export_activation(
    warehouse: Path, out_dir: Path, relation: str = ACTIVATION_RELATION
) -> ActivationExport:
    """Rewrite ``out_dir/audience_contacts.csv`` from ``relation`` of the working warehouse
    (opened read-only), in a stable order; atomic replace."""
    with connect_duckdb(warehouse, read_only=True) as con:
        result = con.execute(f"SELECT * FROM {relation} ORDER BY ALL")
        columns = [d[0] for d in result.description]
        rows = result.fetchall()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / CONTACTS_FILE
    write_text_atomic(target, contacts_csv(columns, rows))
    return ActivationExport(path=target, rows=len(rows))
