"""The dbt documentation as one static, offline page next to the KPI report
(``published/report/dbt_docs.html``): the definition of every figure, one click away.

The page depends only on the dbt project and on the shape of the warehouse's tables (the
DuckDB catalog carries names and types, no row counts), so a night that changes data only
keeps last night's page instead of paying for ``dbt docs generate`` again (half a minute or
more: it compiles every node).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from orchestration.files import write_text_atomic
from orchestration.settings import DBT_PROJECT_DIR, connect_duckdb

DOCS_FILE = "dbt_docs.html"
# What the page on disk was generated from (see docs_fingerprint).
FINGERPRINT_FILE = ".dbt_docs.sha256"
# Everything of the project the page shows (the dbt_project.yml paths, seeds included).
_PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "models", "macros", "tests", "../seeds")


@dataclass(frozen=True)
class DocsResult:
    path: Path
    regenerated: bool  # False: the page on disk was already of this project and these tables


def docs_fingerprint(warehouse: Path) -> str:
    """A digest of what the docs page shows: dbt's version, the project's files and every
    column of the warehouse (schema, table, name, type) and its file name (dbt's database)."""
    digest = hashlib.sha256(f"dbt-core {version('dbt-core')}\n{warehouse.stem}\n".encode())
    for name in _PROJECT_FILES:
        root = DBT_PROJECT_DIR / name
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for f in files:
            if f.is_file():
                digest.update(f"{f.relative_to(DBT_PROJECT_DIR.parent)}\n".encode())
                digest.update(f.read_bytes())
    with connect_duckdb(warehouse, read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name, data_type "
            "from information_schema.columns order by all"
        ).fetchall()
    digest.update(repr(columns).encode())
    return digest.hexdigest()


def without_machine_paths(page: str, replacements: dict[str, str]) -> str:
    """The page with this machine's absolute paths (dbt writes the project's root path and
    its compiled files' paths into every node) replaced by names relative to the project:
    a published page should not tell readers how the server is laid out."""
    for path, name in sorted(replacements.items(), key=lambda item: -len(item[0])):
        page = page.replace(path, name)
    return page


def generate_dbt_docs(
    out_dir: Path,
    warehouse: Path,
    *,
    dbt_executable: str | None = None,
    run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
) -> DocsResult:
    """``dbt docs generate --static`` against the working warehouse (the catalog needs the
    relations dbt built), in a temporary target directory; the single self-contained page
    it writes replaces ``out_dir/dbt_docs.html``, without this machine's paths. Skipped
    when that page was generated from the same project and table shapes. The working file
    must not be locked by a writer (run after the publish step)."""
    from orchestration.dbt import DBT_EXECUTABLE

    out_dir, warehouse = Path(out_dir), Path(warehouse)
    out_dir.mkdir(parents=True, exist_ok=True)
    docs, stamp = out_dir / DOCS_FILE, out_dir / FINGERPRINT_FILE
    fingerprint = docs_fingerprint(warehouse)
    if docs.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return DocsResult(docs, regenerated=False)
    with tempfile.TemporaryDirectory(prefix="grandstand-docs-") as target:
        env = {
            **os.environ,
            "GRANDSTAND_WAREHOUSE": str(warehouse),
            "DBT_TARGET": "prod",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        command = [dbt_executable or DBT_EXECUTABLE, "docs", "generate", "--static", "--quiet"]
        result = run(
            [*command, "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", target],
            cwd=DBT_PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
        )
        page = Path(target) / "static_index.html"
        if result.returncode != 0 or not page.exists():
            raise RuntimeError(
                f"dbt docs generate failed ({result.returncode}): "
                f"{(result.stdout + result.stderr)[-2000:]}"
            )
        machine_paths = {target: "target", str(DBT_PROJECT_DIR): DBT_PROJECT_DIR.name}
        write_text_atomic(docs, without_machine_paths(page.read_text("utf-8"), machine_paths))
    stamp.write_text(fingerprint)
    return DocsResult(docs, regenerated=True)
