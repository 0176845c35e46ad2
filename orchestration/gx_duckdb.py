"""Great Expectations 1.x on DuckDB: the one place that works around GX's DuckDB gaps.

Two problems, both verified on GX 1.24 + duckdb-engine 0.17 + DuckDB 2.0:

1. Out of the box every expectation on a DuckDB SQL datasource fails with
   ``MetricResolutionError: list index out of range``: GX opens a connection per metric query
   and closes it before the rows are fetched, and DuckDB drops the result with the connection.
   GX already keeps one persistent connection for the dialects listed in its *private*
   ``sqlalchemy_execution_engine._PERSISTED_CONNECTION_DIALECTS`` (SQLite, SQL Server, ...);
   :func:`enable_persistent_duckdb_connection` adds ``duckdb`` to that tuple. The hook is
   private, so ``tests/test_gx_duckdb.py`` pins what this relies on and fails loudly when a GX
   upgrade renames or reshapes it.
2. Once validation is over, the persistent connection and the datasource's own engine pool
   still hold the DuckDB file open (one process may then not reopen it with other settings,
   and no other process may write it). :func:`duckdb_datasource` disposes both on exit.

Nothing else in Grandstand touches GX internals: import this module, never the private names.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from great_expectations.execution_engine import sqlalchemy_execution_engine as _gx_sql_engine

from orchestration.settings import duckdb_config

if TYPE_CHECKING:
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.datasource.fluent import SQLDatasource

DUCKDB_DIALECT = "duckdb"
HOOK_NAME = "_PERSISTED_CONNECTION_DIALECTS"


class GXHookChangedError(RuntimeError):
    """The private GX hook this module relies on is gone or has changed shape."""


class _DialectName(str):
    """A dialect name shaped like GX's ``GXSqlDialect`` members.

    GX compares the entries of the tuple with the engine's dialect name as a string
    (``dialect_name in _PERSISTED_CONNECTION_DIALECTS``) and reads ``.value`` when it decides,
    from the connection string, to build the engine on a single static connection pool.
    ``GXSqlDialect`` has no DuckDB member, so this stands in for one.
    """

    @property
    def value(self) -> str:
        return str(self)


def _hook() -> tuple[Any, ...]:
    dialects = getattr(_gx_sql_engine, HOOK_NAME, None)
    if not isinstance(dialects, tuple) or not all(hasattr(d, "value") for d in dialects):
        raise GXHookChangedError(
            f"great_expectations.execution_engine.sqlalchemy_execution_engine.{HOOK_NAME} is "
            f"missing or no longer a tuple of dialects (found {dialects!r}): the GX-on-DuckDB "
            "workaround in orchestration/gx_duckdb.py must be revisited for this GX version."
        )
    return dialects


def persistent_connection_enabled() -> bool:
    """True when GX keeps one connection per execution engine for DuckDB."""
    return any(getattr(d, "value", None) == DUCKDB_DIALECT for d in _hook())


def enable_persistent_duckdb_connection() -> None:
    """Make GX keep a persistent connection for the ``duckdb`` dialect. Idempotent."""
    if not persistent_connection_enabled():
        setattr(_gx_sql_engine, HOOK_NAME, (*_hook(), _DialectName(DUCKDB_DIALECT)))


def connection_string(path: Path, *, read_only: bool = True) -> str:
    """SQLAlchemy URL of a DuckDB file; duckdb-engine passes the query as DuckDB config
    (the memory budget and threads of every step, and read-only access by default)."""
    config = {**({"access_mode": "read_only"} if read_only else {}), **duckdb_config()}
    return f"duckdb:///{Path(path).resolve()}?{urlencode(config)}"


def dispose(datasource: SQLDatasource) -> None:
    """Close every connection GX holds on the datasource's database, releasing the file."""
    execution_engine = datasource.get_execution_engine()
    connection = getattr(execution_engine, "_connection", None)
    if connection is not None:
        connection.close()
        execution_engine._connection = None
    execution_engine.engine.dispose()
    datasource.get_engine().dispose()


@contextmanager
def duckdb_datasource(
    context: AbstractDataContext, path: Path, *, name: str = "warehouse", read_only: bool = True
) -> Iterator[SQLDatasource]:
    """A GX SQL datasource on a DuckDB file, open only for the ``with`` block.

    The file is opened read-only by default (DuckDB ``access_mode=read_only``), so validation
    never takes the write lock; on exit every engine is disposed so the next writer can open
    the file at once.
    """
    enable_persistent_duckdb_connection()
    datasource = context.data_sources.add_sql(
        name=name, connection_string=connection_string(path, read_only=read_only)
    )
    try:
        yield datasource
    finally:
        dispose(datasource)
