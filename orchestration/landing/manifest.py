"""The tables the loader writes: the DDL of the raw, quarantine and manifest tables (with
the lineage columns' types), raw column names, new columns (schema evolution), and what
the manifest says of earlier loads."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import duckdb

from orchestration.landing.contract import LINEAGE_COLUMNS, FileType, raw_column_name
from orchestration.landing.discovery import LandingFile
from orchestration.landing.results import LOADED, REPLACED
from orchestration.settings import sql_identifier

MANIFEST_TABLE = "raw._file_manifest"
QUARANTINE_TABLE = "raw._quarantine"

_LINEAGE_TYPES = {
    "_source_file": "VARCHAR",
    "_source_line": "BIGINT",
    "_file_sha256": "VARCHAR",
    "_export_date": "DATE",
    "_loaded_at": "TIMESTAMP",
}
assert tuple(_LINEAGE_TYPES) == LINEAGE_COLUMNS

_QUARANTINE_DDL = f"""
CREATE TABLE IF NOT EXISTS {QUARANTINE_TABLE} (
    source VARCHAR,
    file_type VARCHAR,
    _source_file VARCHAR,
    _source_line BIGINT,
    column_name VARCHAR,
    reason VARCHAR,
    raw_record VARCHAR,
    _file_sha256 VARCHAR,
    _loaded_at TIMESTAMP
)"""

_MANIFEST_DDL = f"""
CREATE TABLE IF NOT EXISTS {MANIFEST_TABLE} (
    file_type VARCHAR,
    _source_file VARCHAR,
    export_date DATE,
    sha256 VARCHAR,
    size_bytes BIGINT,
    encoding VARCHAR,
    rows_read BIGINT,
    rows_loaded BIGINT,
    rows_quarantined BIGINT,
    status VARCHAR,
    error VARCHAR,
    loaded_at TIMESTAMP
)"""


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    schema, name = table.split(".")
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, name],
    ).fetchall()
    return [r[0] for r in rows]


def add_columns(
    con: duckdb.DuckDBPyConnection, table: str, names: Iterable[str], existing: set[str]
) -> list[str]:
    """Schema evolution: add the missing columns as VARCHAR; returns those added.
    ``existing`` (the table's columns) is kept up to date."""
    added = []
    for name in names:
        if name not in existing:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {sql_identifier(name)} VARCHAR")
            existing.add(name)
            added.append(name)
    return added


def ensure_tables(con: duckdb.DuckDBPyConnection, ft: FileType) -> set[str]:
    """Create the raw, quarantine and manifest tables if needed; the raw table's columns."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(_QUARANTINE_DDL)
    con.execute(_MANIFEST_DDL)
    cols = [f"{sql_identifier(c)} VARCHAR" for c in ft.raw_columns]
    cols += [f"{c} {t}" for c, t in _LINEAGE_TYPES.items()]
    con.execute(f"CREATE TABLE IF NOT EXISTS {ft.raw_table} ({', '.join(cols)})")
    existing = set(table_columns(con, ft.raw_table))
    add_columns(con, ft.raw_table, ft.raw_columns, existing)  # the contract gained a column
    return existing


@lru_cache(maxsize=4096)
def raw_name(header: str) -> str:
    return raw_column_name(header)


def column_names(header: list[str]) -> list[str]:
    """The raw columns of a CSV header: a repeated name gets _2, _3, ..."""
    names: list[str] = []
    for h in header:
        name = base = raw_name(h)
        n = 1
        while name in names:
            n += 1
            name = f"{base}_{n}"
        names.append(name)
    return names


def previous_snapshot_rows(con: duckdb.DuckDBPyConnection, lf: LandingFile) -> int | None:
    """Rows loaded from the newest earlier snapshot of the file's type, if any."""
    row = con.execute(
        f"SELECT rows_loaded FROM {MANIFEST_TABLE} WHERE file_type = ? AND export_date < ? "
        f"AND status IN ('{LOADED}', '{REPLACED}') ORDER BY export_date DESC, _source_file DESC "
        "LIMIT 1",
        [lf.file_type.name, lf.export_date],
    ).fetchone()
    return row[0] if row else None
