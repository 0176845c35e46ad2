"""What a release publishes, reduced to digests two runs can be compared by."""

import hashlib
import json
from pathlib import Path

import duckdb

from orchestration.publish import MANIFEST, PARQUET_LINK, PUBLISHED_DB

# Columns that name the run that wrote a row (audit logs appended run after run) or the time
# it ran: they differ between two runs by design, and so do the Parquet bytes of their tables.
RUN_STAMPED_COLUMNS = {
    "fan_state_history": ("recorded_at", "run_id"),
    "fan_id_history": ("run_id", "logged_at"),
    # a transition is a history row read back: its id is made from the run's id
    "fct_fan_transitions": ("transition_id", "changed_at", "run_id"),
    # when the loader recorded a file: the same export loaded by another night differs
    "kpi_data_freshness": ("last_loaded_at",),
}


def content_hashes(published: Path) -> dict[str, tuple[int, str]]:
    """Row count and a digest of the rows (in a fixed order) of each published table,
    without its run-stamped columns."""
    hashes = {}
    with duckdb.connect(str(published / PUBLISHED_DB), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables ORDER BY ALL"
        ).fetchall()
        for schema, table in tables:
            stamped = RUN_STAMPED_COLUMNS.get(table)
            columns = f"* EXCLUDE ({', '.join(stamped)})" if stamped else "*"
            rows, digest = con.execute(
                f"""
                SELECT count(*), md5(coalesce(string_agg(row, chr(10) ORDER BY row), ''))
                FROM (SELECT r::VARCHAR AS row FROM (SELECT {columns} FROM "{schema}"."{table}") r)
                """
            ).fetchone()
            hashes[table] = (rows, digest)
    return hashes


def parquet_digests(published: Path) -> dict[str, str]:
    """sha256 of each published Parquet file (through the ``parquet`` link), but those of
    tables with run-stamped columns."""
    return {
        path.stem: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((published / PARQUET_LINK).glob("*.parquet"))
        if path.stem not in RUN_STAMPED_COLUMNS
    }


def manifest(published: Path) -> dict:
    return json.loads((published / MANIFEST).read_text(encoding="utf-8"))
