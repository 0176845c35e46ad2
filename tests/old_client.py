"""A DuckDB 1.x client, as many BI tools embed (`make test` installs it in .venv-duckdb1)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

READER_PYTHON = Path(__file__).resolve().parent.parent / ".venv-duckdb1" / "bin" / "python"

# Prints, as JSON, what a BI tool sees of the file: per table, its rows, its comment, the
# columns without a comment and its primary key.
_DESCRIBE = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
tables = {}
for schema, name, comment in con.execute(
    "select schema_name, table_name, comment from duckdb_tables() order by all"
).fetchall():
    rows = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
    uncommented = [c for (c,) in con.execute(
        "select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
        "and comment is null order by column_index", [schema, name]).fetchall()]
    key = con.execute(
        "select constraint_column_names from duckdb_constraints() where schema_name = ? "
        "and table_name = ? and constraint_type = 'PRIMARY KEY'", [schema, name]).fetchall()
    tables[name] = {"rows": rows, "comment": comment, "uncommented": uncommented,
                    "primary_key": key[0][0] if key else []}
print(json.dumps({"version": duckdb.__version__, "tables": tables}))
"""


def describe_with_duckdb1(database: Path) -> dict:
    """The file as the DuckDB 1.x client reads it: {'version', 'tables': {name: {...}}}."""
    if not READER_PYTHON.exists():
        pytest.fail(f"no DuckDB 1.x client at {READER_PYTHON}: `make test` installs it")
    out = subprocess.run(
        [str(READER_PYTHON), "-c", _DESCRIBE, str(database)], capture_output=True, text=True
    )
    if out.returncode:
        pytest.fail(f"DuckDB 1.x cannot read {database}: {out.stderr.strip().splitlines()[-1]}")
    return json.loads(out.stdout)
