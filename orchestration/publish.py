"""Write-audit-publish: copy the audited marts to where BI tools read them, atomically.

The working DuckDB file is written by ingestion and dbt and must never be read by BI (a writer
locks out every other process). After the quality gate passed, :func:`publish`:

1. *writes* a release ``published/releases/<UTC timestamp>_<run_id>/`` holding a new DuckDB
   file (``grandstand.duckdb``, every table and view of the published schemas materialised as a
   table, same ``schema.table`` names) and one Parquet file per table (``parquet/<table>.parquet``),
   built under a hidden temporary name and renamed into place only once complete;
2. *switches* what BI sees, each step with an atomic ``os.replace``:
   ``published/grandstand.duckdb`` becomes a copy of the release's file (a BI tool that holds
   the previous file open keeps reading the previous inode: never blocked, never half-built);
   the symlink ``published/parquet`` is repointed at the release's ``parquet/`` directory;
   ``published/manifest.json`` (run id, time, as-of date, tables, row counts, primary keys
   and the run's check results) comes last;
3. keeps the newest ``keep`` releases and deletes older ones (readers that resolved the
   previous ``parquet`` link mid-query still find their files).

The working file is only ever opened read-only.

BI tools read the published file with their own DuckDB, often a 1.x release (the Node and
WASM drivers, many connectors): it is written in the storage format of DuckDB 1.1
(:data:`READER_STORAGE_VERSION`), which DuckDB 2 and every 1.x from 1.1 open. Each table keeps
the comments dbt wrote from its documentation (persist_docs) and gets its grain as primary
key, so a BI tool shows what a column means and how tables join.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from orchestration.activation import export_activation
from orchestration.erasure import last_erasure
from orchestration.privacy import find_personal_data
from orchestration.runs import RUN_LOCK
from orchestration.settings import asset_owners, connect_duckdb, paths, sql_identifier, sql_literal
from orchestration.summary import check_results

PUBLISHED_DB = "grandstand.duckdb"
PARQUET_LINK = "parquet"
MANIFEST = "manifest.json"
RELEASES = "releases"
DEFAULT_KEEP = 5
PUBLISH_ASSET_KEY = dg.AssetKey(["published", "marts"])
_TMP_PREFIX = ".tmp-"
# The oldest DuckDB that reads the published file: 1.0 refuses the primary-key indexes DuckDB 2
# writes even in its v1.0.0 format (measured); 1.1 to 1.5 read them.
READER_STORAGE_VERSION = "v1.1.0"


class PublishError(RuntimeError):
    """Nothing was switched: BI still sees the previous release."""


@dataclass(frozen=True)
class PublishedTable:
    schema: str
    name: str
    rows: int
    parquet: str  # path relative to the release directory
    primary_key: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "name": self.name,
            "rows": self.rows,
            "parquet": self.parquet,
            "primary_key": list(self.primary_key),
        }


@dataclass(frozen=True)
class PublishResult:
    run_id: str
    published_at: str  # ISO 8601, UTC
    as_of: str | None
    release_dir: Path
    database: Path  # published_dir/grandstand.duckdb
    parquet_dir: Path  # published_dir/parquet (symlink)
    manifest: Path
    tables: tuple[PublishedTable, ...]
    pruned: tuple[Path, ...]
    duration_s: float

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)


def publish(
    warehouse: Path,
    published_dir: Path,
    run_id: str,
    schemas: Sequence[str] = ("marts",),
    *,
    as_of: dt.date | str | None = None,
    primary_keys: Mapping[str, Sequence[str]] | None = None,
    withheld: Mapping[str, Sequence[str]] | None = None,
    checks: Mapping[str, Any] | None = None,
    keep: int = DEFAULT_KEEP,
    erased_at: dt.datetime | None = None,
) -> PublishResult:
    """Publish every table and view of ``schemas`` of the working DuckDB file (see module doc).

    ``primary_keys`` maps a table name to its key columns (else a table keeps the key it
    declares itself); ``withheld`` maps a table name to its personal columns, which the
    published file leaves out (:mod:`orchestration.privacy`: whatever else looks personal
    stops the publish); ``checks`` (the run's check results) is recorded in the manifest as
    given. Releases written before ``erased_at`` (the last erasure request processed, UTC)
    are deleted whatever ``keep`` says: they hold the erased people."""
    started = time.perf_counter()
    warehouse = Path(warehouse).resolve()
    published_dir = Path(published_dir).resolve()
    if keep < 1:
        raise ValueError("keep must be at least 1 (the release being published)")
    if not warehouse.exists():
        raise PublishError(f"working warehouse {warehouse} does not exist")
    for name in schemas:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"not a schema name: {name!r}")
    now = dt.datetime.now(dt.UTC)
    release_name = f"{_release_time(now)}_{_safe(run_id)}"
    releases = published_dir / RELEASES
    releases.mkdir(parents=True, exist_ok=True)
    release = releases / release_name
    staging = releases / f"{_TMP_PREFIX}{release_name}"

    # 1. write the release under a temporary name
    try:
        tables = _write_release(
            warehouse, staging, list(schemas), dict(primary_keys or {}), dict(withheld or {})
        )
        manifest = {
            "run_id": run_id,
            "published_at": now.isoformat(timespec="seconds"),
            "as_of": as_of.isoformat() if isinstance(as_of, dt.date) else as_of,
            "release": f"{RELEASES}/{release_name}",
            "database": PUBLISHED_DB,
            "parquet_dir": PARQUET_LINK,
            "schemas": list(schemas),
            "tables": [t.as_dict() for t in tables],
            "withheld_columns": {t: list(c) for t, c in sorted((withheld or {}).items())},
            "checks": dict(checks or {}),
        }
        _write_json(staging / MANIFEST, manifest)
        _fsync_dir(staging)
        _fsync_dir(staging / PARQUET_LINK)
        os.rename(staging, release)
        _fsync_dir(releases)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise

    # 2. switch: database, then parquet link, then manifest (each one atomic)
    _replace_with_copy(release / PUBLISHED_DB, published_dir / PUBLISHED_DB)
    _replace_symlink(published_dir / PARQUET_LINK, Path(RELEASES) / release_name / PARQUET_LINK)
    _replace_file(release / MANIFEST, published_dir / MANIFEST)
    _fsync_dir(published_dir)

    # 3. prune
    if erased_at is not None:
        # a release's name starts with its UTC time: those written before the erasure go
        keep = min(keep, sum(1 for p in releases.iterdir() if p.name >= _release_time(erased_at)))
    pruned = _prune(releases, keep=max(keep, 1), current=release)
    return PublishResult(
        run_id=run_id,
        published_at=manifest["published_at"],
        as_of=manifest["as_of"],
        release_dir=release,
        database=published_dir / PUBLISHED_DB,
        parquet_dir=published_dir / PARQUET_LINK,
        manifest=published_dir / MANIFEST,
        tables=tuple(tables),
        pruned=tuple(pruned),
        duration_s=time.perf_counter() - started,
    )


def _write_release(
    warehouse: Path,
    staging: Path,
    schemas: list[str],
    primary_keys: dict[str, Sequence[str]],
    withheld: dict[str, Sequence[str]],
) -> list[PublishedTable]:
    parquet_dir = staging / PARQUET_LINK
    parquet_dir.mkdir(parents=True)
    target = staging / PUBLISHED_DB
    # The working file is the main (read-only) database, so its views bind exactly as dbt
    # wrote them; the new file is attached read-write under an alias no dbt relation uses.
    with connect_duckdb(warehouse, read_only=True) as con:
        con.execute("SET enable_progress_bar = false")
        # Same data, same bytes: rows are written sorted (dbt's parallel joins leave them in
        # any order), and scans and COPY keep that order (DuckDB's default, made explicit).
        con.execute("SET preserve_insertion_order = true")
        catalog = con.execute("SELECT current_database()").fetchone()[0]
        found = con.execute(
            """
            SELECT table_schema, table_name
            FROM information_schema.tables
            WHERE table_catalog = ? AND table_schema IN (SELECT unnest(?::VARCHAR[]))
            ORDER BY table_schema, table_name
            """,
            [catalog, schemas],
        ).fetchall()
        if not found:
            raise PublishError(f"no table or view in schema(s) {schemas} of {warehouse}")
        by_name: dict[str, str] = {}
        for schema, name in found:
            if name in by_name:
                raise PublishError(
                    f"table {name} is in both {by_name[name]} and {schema}: "
                    "Parquet files are named by table, publish one of the schemas"
                )
            by_name[name] = schema
        alias = f"grandstand_publish_{uuid.uuid4().hex[:8]}"
        con.execute(
            f"ATTACH {sql_literal(target)} AS {alias} "
            f"(READ_WRITE, STORAGE_VERSION '{READER_STORAGE_VERSION}')"
        )
        try:
            tables = []
            for schema in sorted({s for s, _ in found}):
                con.execute(f"CREATE SCHEMA {alias}.{sql_identifier(schema)}")
            for schema, name in found:
                src = f"{sql_identifier(catalog)}.{sql_identifier(schema)}.{sql_identifier(name)}"
                dst = f"{alias}.{sql_identifier(schema)}.{sql_identifier(name)}"
                key = tuple(primary_keys.get(name, ())) or _primary_key(
                    con, (catalog, schema, name)
                )
                # a unique key orders the rows fully, and sorts far faster than every column
                order = ", ".join(map(sql_identifier, key)) if key else "ALL"
                personal = ", ".join(map(sql_identifier, withheld.get(name, ())))
                columns = f"* EXCLUDE ({personal})" if personal else "*"
                con.execute(f"CREATE TABLE {dst} AS SELECT {columns} FROM {src} ORDER BY {order}")
                _copy_comments(con, (catalog, schema, name), dst, set(withheld.get(name, ())))
                if key:
                    _add_primary_key(con, dst, key, f"{schema}.{name}")
                rows = con.execute(f"SELECT count(*) FROM {dst}").fetchone()[0]
                parquet = parquet_dir / f"{name}.parquet"
                con.execute(
                    f"COPY {dst} TO {sql_literal(parquet)} (FORMAT parquet, COMPRESSION zstd)"
                )
                tables.append(
                    PublishedTable(
                        schema=schema,
                        name=name,
                        rows=int(rows),
                        parquet=f"{PARQUET_LINK}/{name}.parquet",
                        primary_key=key,
                    )
                )
            found = find_personal_data(con, alias)
            if found:
                raise PublishError(
                    "personal data in the BI file, publish stopped (declare the column "
                    "personal_data in its mart's YAML, or drop it): " + "; ".join(found)
                )
        finally:
            con.execute(f"DETACH {alias}")  # checkpoints: the file is complete on disk
    _fsync(target)
    for t in tables:
        _fsync(staging / t.parquet)
    return tables


def _add_primary_key(con, dst: str, key: Sequence[str], table: str) -> None:
    try:
        con.execute(f"ALTER TABLE {dst} ADD PRIMARY KEY ({', '.join(map(sql_identifier, key))})")
    except duckdb.ConstraintException as e:
        raise PublishError(f"{table} is not one row per ({', '.join(key)}): {e}") from None


def _primary_key(con, source: tuple[str, str, str]) -> tuple[str, ...]:
    """The primary key a source table declares itself (a table Python wrote), if any."""
    found = con.execute(
        """
        SELECT constraint_column_names FROM duckdb_constraints()
        WHERE database_name = ? AND schema_name = ? AND table_name = ?
            AND constraint_type = 'PRIMARY KEY'
        """,
        list(source),
    ).fetchone()
    return tuple(found[0]) if found else ()


def _copy_comments(con, source: tuple[str, str, str], dst: str, left_out: set[str]) -> None:
    """The source table's (or view's) comment and column comments, onto ``dst`` (but those
    of the columns ``left_out``)."""
    relation = con.execute(
        """
        SELECT comment FROM duckdb_tables()
        WHERE database_name = ? AND schema_name = ? AND table_name = ?
        UNION ALL
        SELECT comment FROM duckdb_views()
        WHERE database_name = ? AND schema_name = ? AND view_name = ?
        """,
        [*source, *source],
    ).fetchone()
    if relation and relation[0]:
        con.execute(f"COMMENT ON TABLE {dst} IS {sql_literal(relation[0])}")
    columns = con.execute(
        """
        SELECT column_name, comment FROM duckdb_columns()
        WHERE database_name = ? AND schema_name = ? AND table_name = ? AND comment IS NOT NULL
        """,
        list(source),
    ).fetchall()
    for column, comment in columns:
        if column in left_out:
            continue
        con.execute(f"COMMENT ON COLUMN {dst}.{sql_identifier(column)} IS {sql_literal(comment)}")


def _release_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S.%fZ")


def _prune(releases: Path, *, keep: int, current: Path) -> list[Path]:
    """Delete all but the newest ``keep`` releases (names sort by time) and stale temp dirs."""
    done = sorted(p for p in releases.iterdir() if p.is_dir() and not p.name.startswith("."))
    old = [p for p in done[:-keep] if p != current]
    stale = [
        p
        for p in releases.iterdir()
        if p.name.startswith(_TMP_PREFIX) and p.name[len(_TMP_PREFIX) :] < current.name
    ]
    # leftovers of an interrupted switch (one publish runs at a time, ours are renamed by now)
    stale += [p for p in releases.parent.iterdir() if p.name.startswith(_TMP_PREFIX)]
    for p in old + stale:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
    return old


# ------------------------------------------------------------------- atomic file switches


def _replace_with_copy(src: Path, dst: Path) -> None:
    """Make ``dst`` a complete copy of ``src`` in one atomic rename.

    A copy, not a hard link: a BI user opening the published file read-write must not be
    able to alter the release it came from.
    """
    tmp = dst.with_name(f"{_TMP_PREFIX}{dst.name}.{uuid.uuid4().hex}")
    try:
        shutil.copyfile(src, tmp)
        _fsync(tmp)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _replace_symlink(link: Path, target: Path) -> None:
    if link.exists() and not link.is_symlink():
        raise PublishError(f"{link} exists and is not a symlink: move it away, then publish")
    tmp = link.with_name(f"{_TMP_PREFIX}{link.name}.{uuid.uuid4().hex}")
    os.symlink(target, tmp, target_is_directory=True)
    try:
        os.replace(tmp, link)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _replace_file(src: Path, dst: Path) -> None:
    tmp = dst.with_name(f"{_TMP_PREFIX}{dst.name}.{uuid.uuid4().hex}")
    shutil.copyfile(src, tmp)
    _fsync(tmp)
    os.replace(tmp, dst)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _fsync(path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # some filesystems refuse fsync on a directory
        _fsync(path)


def _safe(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", run_id).strip("-") or "run"


# ------------------------------------------------------------------- Dagster


def build_publish_asset(
    mart_asset_keys: Sequence[dg.AssetKey],
    *,
    gate_on: Sequence[dg.AssetKey] = (),
    schemas: Sequence[str] = ("marts",),
    primary_keys: Mapping[str, Sequence[str]] | None = None,
    withheld: Mapping[str, Sequence[str]] | None = None,
    as_of_relation: str | None = None,
    activation_relation: str | None = None,
    keep: int = DEFAULT_KEEP,
) -> dg.AssetsDefinition:
    """The asset ``published/marts``, downstream of the marts.

    ``primary_keys``: table name -> key columns of the published tables. ``withheld``: table
    name -> personal columns the BI file leaves out. ``activation_relation``: the mart the
    activation export is written from once the BI file is published (same step, so both come
    from one audited build). ``as_of_relation``:
    the working warehouse's relation holding the run's as-of date (the date dbt resolved and
    cut every figure at), recorded in the manifest with the run's check results.

    Blocking asset checks on the marts (``blocking: true`` suites) run before it in the same
    run; when one fails with ERROR severity Dagster does not execute this asset, so BI keeps
    the previous release.

    Dagster gates an asset only on the blocking checks of its *direct* upstream assets (and,
    transitively, through steps that did not run). dbt builds staging, intermediate and marts
    in one step, so a failed blocking check on a staging model does not stop that step and
    would not stop this one: list such assets in ``gate_on`` to make their blocking checks
    gate publishing too (raw assets gate the whole dbt step already).
    """

    @dg.asset(
        key=PUBLISH_ASSET_KEY,
        deps=list(dict.fromkeys([*mart_asset_keys, *gate_on])),
        group_name="publish",
        kinds={"duckdb", "parquet"},
        owners=asset_owners(),
        tags={"layer": "publish"},
        required_resource_keys={RUN_LOCK},
        description=(
            "Audited marts copied to published/grandstand.duckdb and published/parquet/ "
            "(write-audit-publish; BI tools read only these)."
        ),
    )
    def published_marts(context) -> dg.MaterializeResult:  # no annotation: see quality.py
        p = paths()
        result = publish(
            p.warehouse,
            p.published,
            context.run.run_id,
            schemas,
            as_of=_resolved_as_of(p.warehouse, as_of_relation),
            primary_keys=primary_keys,
            withheld=withheld,
            checks=check_results(context.instance, context.run.run_id),
            keep=keep,
            erased_at=last_erasure(p.warehouse),
        )
        activation = (
            export_activation(p.warehouse, p.activation, activation_relation)
            if activation_relation
            else None
        )
        context.log.info(
            f"published {len(result.tables)} tables ({result.total_rows} rows) "
            f"to {result.release_dir} in {result.duration_s:.1f}s"
        )
        return dg.MaterializeResult(
            metadata={
                "tables": len(result.tables),
                "rows": result.total_rows,
                "rows_by_table": dg.MetadataValue.json(
                    {f"{t.schema}.{t.name}": t.rows for t in result.tables}
                ),
                "path": dg.MetadataValue.path(str(result.database)),
                "parquet_dir": dg.MetadataValue.path(str(result.parquet_dir)),
                "release": dg.MetadataValue.path(str(result.release_dir)),
                "as_of": result.as_of or "",
                "pruned_releases": len(result.pruned),
                "activation_rows": activation.rows if activation else 0,
                "duration_s": round(result.duration_s, 2),
            }
        )

    return published_marts


def _resolved_as_of(warehouse: Path, relation: str | None) -> str | None:
    """The as-of date the run's dbt build resolved (YYYY-MM-DD), read from the warehouse."""
    if relation is None:
        return None
    with connect_duckdb(warehouse, read_only=True) as con:
        found = con.execute(f"SELECT max(as_of_date) FROM {relation}").fetchone()[0]
    return found.isoformat() if found else None
