"""Dagster assets of the raw layer: one per contract file type (``raw/<source>_<entity>``).

A thin layer over ``orchestration.landing``: each asset loads the new or changed landing
files of its type into ``raw.<source>_<entity>`` and reports, per file, what was loaded,
skipped, replaced, refused or quarantined. Data problems never fail the asset (the other
file types and the rest of the run go on); they are logged at error level and counted in
the ``problems`` metadata, so that a whole-source outage stays visible. Database errors
(e.g. the DuckDB file locked by another process) fail the step and are retried.
"""

from datetime import UTC, datetime

import dagster as dg
import duckdb

from orchestration.landing import SKIPPED, FileResult, discover, load_file_type
from orchestration.landing.contract import FILE_TYPES, LINEAGE_COLUMNS, FileType
from orchestration.landing.file_policy import (
    ERROR,
    WARNING,
    FilePolicy,
    Finding,
    assess,
    stale_source,
)
from orchestration.landing.value_kinds import KINDS
from orchestration.runs import RUN_LOCK
from orchestration.settings import asset_owners, paths

# Transient failures (the warehouse file locked by a BI tool or a dbt run in another
# process) usually clear within seconds to minutes.
RETRY_POLICY = dg.RetryPolicy(
    max_retries=3, delay=10, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)

_FILE_TABLE_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("file", "string"),
        dg.TableColumn("status", "string"),
        dg.TableColumn("export_date", "string"),
        dg.TableColumn("encoding", "string"),
        dg.TableColumn("rows_read", "int"),
        dg.TableColumn("rows_loaded", "int"),
        dg.TableColumn("rows_quarantined", "int"),
        dg.TableColumn("seconds", "float"),
        dg.TableColumn("note", "string"),
    ]
)


def describe(ft: FileType) -> str:
    """The asset description, from the contract."""
    if ft.delimiter is None:
        fmt = "JSON lines"
    else:
        fmt = f"'{ft.delimiter}'-separated, encoding {' or '.join(ft.encodings)}"
    return (
        f"{ft.kind.capitalize()} export of the {ft.source} tool, "
        f"`{ft.source}/{ft.file_name('YYYYMMDD')}` ({fmt}), loaded as text into "
        f"`{ft.raw_table}` with lineage columns ({', '.join(LINEAGE_COLUMNS)}). "
        f"Rows whose values break the contract go to `raw._quarantine`; every file is "
        f"recorded in `raw._file_manifest`. Business key: {', '.join(ft.key)}; "
        f"required columns: {', '.join(ft.required)}."
    )


def _column_schema(ft: FileType) -> dg.TableSchema:
    columns = [
        dg.TableColumn(name, "string", description=KINDS[kind].accepts)
        for name, kind in ft.raw_columns.items()
    ]
    columns += [
        dg.TableColumn("_source_file", "string", "path of the landing file"),
        dg.TableColumn("_source_line", "int", "physical line where the record starts"),
        dg.TableColumn("_file_sha256", "string", "sha256 of the landing file"),
        dg.TableColumn("_export_date", "date", "export date from the file name"),
        dg.TableColumn("_loaded_at", "timestamp", "load time (UTC)"),
    ]
    return dg.TableSchema(columns=columns)


def _note(r: FileResult) -> str:
    parts = []
    if r.error:
        parts.append(r.error)
    elif r.issues:
        parts.append(f"e.g. {r.issues[0]}")
    if r.new_columns:
        parts.append(f"new columns: {', '.join(r.new_columns)}")
    if r.missing_columns and r.status != SKIPPED:
        parts.append(f"missing columns (NULL): {', '.join(r.missing_columns)}")
    parts += r.warnings + r.notes
    return "; ".join(parts)


def _metadata(ft: FileType, results: list[FileResult], ignored: list[str]) -> dict:
    def count(status: str) -> int:
        return sum(r.status == status for r in results)

    problems = [r for r in results if r.problem]
    records = [
        dg.TableRecord(
            {
                "file": r.source_file,
                "status": r.status,
                "export_date": r.export_date.isoformat() if r.export_date else None,
                "encoding": r.encoding,
                "rows_read": r.rows_read,
                "rows_loaded": r.rows_loaded,
                "rows_quarantined": r.rows_quarantined,
                "seconds": r.seconds,
                "note": _note(r),
            }
        )
        for r in results
    ]
    issues = [i for r in results for i in ([r.error] if r.error else r.issues[:5])]
    return {
        "dagster/table_name": ft.raw_table,
        "problems": len(problems),
        "files_found": sum(not r.source_file.endswith("/") for r in results),
        "files_loaded": count("loaded"),
        "files_replaced": sum(r.replaced and r.status != SKIPPED for r in results),
        "files_skipped": count(SKIPPED),
        "files_empty": count("empty"),
        "files_refused": count("refused"),
        "files_unreadable": count("error"),
        "rows_read": sum(r.rows_read for r in results),
        "rows_loaded": sum(r.rows_loaded for r in results),
        "rows_quarantined": sum(r.rows_quarantined for r in results),
        "new_columns": sorted({c for r in results for c in r.new_columns}),
        "files": dg.MetadataValue.table(records, schema=_FILE_TABLE_SCHEMA),
        "issues": dg.MetadataValue.md("\n".join(f"- {i}" for i in issues[:20]) or "none"),
        "ignored_files": ignored,
    }


POLICY_CHECK = "landing_policy"


def _policy_result(findings: list[Finding]) -> dg.AssetCheckResult:
    errors = [f for f in findings if f.severity == ERROR]
    return dg.AssetCheckResult(
        check_name=POLICY_CHECK,
        passed=not findings,
        severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
        metadata={
            "stops_publish": [str(f) for f in errors],
            "warnings": [str(f) for f in findings if f.severity == WARNING],
        },
    )


def build_raw_asset(
    ft: FileType, retry_policy: dg.RetryPolicy = RETRY_POLICY
) -> dg.AssetsDefinition:
    """The asset that loads one contract file type."""

    @dg.asset(
        key=dg.AssetKey(["raw", ft.name]),
        group_name="raw",
        description=describe(ft),
        retry_policy=retry_policy,
        kinds={"duckdb", "python"},
        metadata={
            "dagster/table_name": ft.raw_table,
            "dagster/column_schema": _column_schema(ft),
            "file_pattern": ft.file_name("YYYYMMDD"),
            "export_kind": ft.kind,
        },
        tags={"source": ft.source, "layer": "raw"},
        owners=asset_owners(),
        deps=[landing_asset_key(ft)],
        required_resource_keys={RUN_LOCK},
        check_specs=[
            dg.AssetCheckSpec(
                POLICY_CHECK,
                asset=dg.AssetKey(["raw", ft.name]),
                blocking=True,
                description="The night's files of this type follow the quality policy "
                "(orchestration/landing/file_policy.py): a failed file, a quarantine rate over "
                "the threshold or a shrunken snapshot stops the publish; smaller problems warn.",
            )
        ],
    )
    def _raw_asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        p = paths()
        if not discover(p.landing)[0]:
            raise dg.Failure(
                description=f"the landing folder {p.landing} is missing or holds no export "
                "file: there is nothing to build a night from, and nothing is published",
                allow_retries=False,  # not transient: retrying only makes the user wait
            )
        context.log.info(f"loading {ft.source}/{ft.file_name('YYYYMMDD')} from {p.landing}")
        try:
            results = load_file_type(p.landing, p.warehouse, ft)
        except duckdb.IOException as e:  # typically the file locked by another process
            context.log.warning(f"cannot write {p.warehouse} ({e}); the step will be retried")
            raise
        # Files in this type's folder that look meant for it but are not contract names
        # (e.g. orders_20261120.csv.tmp, a partial upload).
        ignored = [
            f
            for f in discover(p.landing)[1]
            if f.startswith(f"{ft.source}/{ft.prefix}_") and "/" not in f[len(ft.source) + 1 :]
        ]
        for r in results:
            if r.problem:
                context.log.error(r.error or f"{r.source_file}: {r.status}")
            elif r.rows_quarantined:
                context.log.warning(
                    f"{r.source_file}: {r.rows_quarantined} of {r.rows_read} rows quarantined"
                    f" in raw._quarantine, e.g. {r.issues[0]}"
                )
            elif r.status != SKIPPED:
                context.log.info(f"{r.source_file}: {r.status}, {r.rows_loaded} rows")
        for f in ignored:
            context.log.warning(f"ignored {f}: not a contract file name")
        if not results:
            context.log.info(f"no {ft.file_name('YYYYMMDD')} file in {p.landing / ft.source}")
        policy = FilePolicy.from_project()
        findings = assess(results, policy)
        # e.g. a partial upload: worth a look, never loaded (its complete file will be)
        findings += [Finding(WARNING, f, "not a contract file name: not loaded") for f in ignored]
        dates = [f.export_date for f in discover(p.landing)[0] if f.file_type.source == ft.source]
        today = datetime.now(UTC).date()
        if not (p.landing / ft.source).is_dir():
            findings.append(Finding(WARNING, f"{ft.source}/", "no folder for this tool's exports"))
        elif stale := stale_source(ft.source, [d for d in dates if d], today, policy):
            findings.append(stale)
        return dg.MaterializeResult(
            metadata=_metadata(ft, results, ignored), check_results=[_policy_result(findings)]
        )

    return _raw_asset


def landing_asset_key(ft: FileType) -> dg.AssetKey:
    return dg.AssetKey(["landing", ft.name])


def landing_asset(ft: FileType) -> dg.AssetSpec:
    """The club's export files of one type: written by the club's tool, not by Grandstand
    (an external asset, the top of the lineage)."""
    return dg.AssetSpec(
        key=landing_asset_key(ft),
        group_name="landing",
        description=(
            f"Files {ft.source}/{ft.file_name('YYYYMMDD')} the club's {ft.source} tool drops "
            f"in the landing folder each night ({ft.kind}; source contract: "
            "../shared/contracts/SOURCES.md)."
        ),
        kinds={ft.extension},
        tags={"source": ft.source, "layer": "landing"},
        owners=asset_owners(),
    )


# raw._file_manifest: every ingestion asset records its files there; dbt reads it as the
# source landing.file_manifest (its meta names this key).
FILE_MANIFEST_ASSET_KEY = dg.AssetKey(["ingestion", "file_manifest"])

landing_assets: list[dg.AssetSpec] = [landing_asset(ft) for ft in FILE_TYPES]
ingestion_assets: list[dg.AssetsDefinition] = [build_raw_asset(ft) for ft in FILE_TYPES]
file_manifest_asset = dg.AssetSpec(
    key=FILE_MANIFEST_ASSET_KEY,
    deps=[asset.key for asset in ingestion_assets],
    group_name="raw",
    description=(
        "raw._file_manifest: one row per landing file the ingestion assets saw (type, export "
        "date, sha256, rows read / loaded / quarantined, status, error), written as each "
        "raw asset loads its files."
    ),
    kinds={"duckdb"},
    tags={"layer": "raw"},
    owners=asset_owners(),
)
