"""The KPI report: one static HTML page people can open offline, written after each publish.

:func:`build_report` reads the **published** DuckDB file (``published/grandstand.duckdb``,
schema ``marts``) read-only and writes ``published/report/index.html``. Every figure on it is
a column of a mart (:mod:`.marts` lists them; the README's table says which section reads
which); :mod:`.page` lays them out, :mod:`.charts` draws them as static SVG (Altair and
vl-convert) and ``templates/report.html.j2`` writes the page: no script, no font and no
network, so it opens from a file, a mail attachment or a shared drive. Each chart also
carries its figures as a table (under "Figures"), for screen readers and for copying. The
definitions of every figure are the dbt model descriptions: :mod:`orchestration.dbt_docs`
writes the static dbt documentation next to the page (``published/report/dbt_docs.html``),
linked from it.

:func:`build_report_asset` is the Dagster asset ``published/report``, downstream of
``published/marts``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration import data_docs
from orchestration.dbt_docs import DOCS_FILE, generate_dbt_docs
from orchestration.files import write_text_atomic
from orchestration.publish import MANIFEST, PUBLISH_ASSET_KEY, PUBLISHED_DB
from orchestration.report import marts as report_marts
from orchestration.report.format import fmt_eur, fmt_int, fmt_num, fmt_pct, fmt_unit
from orchestration.report.page import as_of_date, render
from orchestration.runs import RUN_LOCK
from orchestration.settings import asset_owners, dbt_docs_enabled, paths

__all__ = [
    "REPORT_ASSET_KEY",
    "ReportResult",
    "build_report",
    "build_report_asset",
    "fmt_eur",
    "fmt_int",
    "fmt_num",
    "fmt_pct",
    "fmt_unit",
]

REPORT_ASSET_KEY = dg.AssetKey(["published", "report"])
REPORT_DIR = "report"
REPORT_FILE = "index.html"


@dataclass
class ReportResult:
    path: Path
    as_of: str | None
    sections: list[str]
    missing_tables: list[str]
    duration_s: float
    docs: Path | None = None


def build_report(
    published_db: Path,
    out_dir: Path,
    *,
    title: str = "Grandstand — KPI report",
    docs_link: bool = True,
    data_docs_link: bool = False,
) -> ReportResult:
    """Write ``out_dir/index.html`` from the published DuckDB file (atomic replace); it links
    the dbt docs (``docs_link``) and the run's GX Data Docs (``data_docs_link``) beside it."""
    started = time.perf_counter()
    published_db = Path(published_db)
    if not published_db.exists():
        raise FileNotFoundError(f"published file {published_db} does not exist: publish first")
    manifest_path = published_db.with_name(MANIFEST)
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    marts = report_marts.load(published_db, manifest.get("checks"))
    page = render(
        marts,
        manifest,
        title=title,
        docs_file=DOCS_FILE if docs_link else None,
        data_docs_file=f"{data_docs.PAGES_DIR}/{data_docs.INDEX_FILE}" if data_docs_link else None,
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / REPORT_FILE
    write_text_atomic(target, page)
    return ReportResult(
        path=target,
        as_of=as_of_date(marts, manifest),
        sections=[t for t in report_marts.ORDER_BY if t not in marts.missing],
        missing_tables=marts.missing,
        duration_s=time.perf_counter() - started,
    )


# ------------------------------------------------------------------------------ Dagster


def build_report_asset(*, with_docs: bool = True) -> dg.AssetsDefinition:
    """The asset ``published/report``: the KPI report (and the dbt docs) next to the
    published marts, rebuilt after each publish. Wire it into the Definitions with the
    publish asset; ``RunSummary`` prints its path."""

    @dg.asset(
        key=REPORT_ASSET_KEY,
        deps=[PUBLISH_ASSET_KEY],
        group_name="publish",
        kinds={"html"},
        owners=asset_owners(),
        tags={"layer": "publish"},
        required_resource_keys={RUN_LOCK},
        description=(
            "Static KPI report published/report/index.html (inline SVG, viewable offline) "
            "from the published marts, the dbt docs as published/report/dbt_docs.html and "
            "the run's GX Data Docs under published/report/data_docs/."
        ),
    )
    def published_report(context) -> dg.MaterializeResult:  # no annotation: see quality.py
        p = paths()
        out_dir = p.published / REPORT_DIR
        docs_wanted = with_docs and dbt_docs_enabled()
        # this run's GX Data Docs first: the page links them only when they are there
        quality_pages = data_docs.publish_pages(
            data_docs.staging_dir(p.warehouse), out_dir, context.run.run_id
        )
        result = build_report(
            p.published / PUBLISHED_DB,
            out_dir,
            docs_link=docs_wanted,
            data_docs_link=quality_pages is not None,
        )
        context.log.info(f"KPI report written to {result.path} in {result.duration_s:.1f}s")
        if result.missing_tables:
            context.log.warning(
                f"KPI tables missing from the published file: {result.missing_tables}"
            )
        metadata: dict[str, Any] = {
            "path": dg.MetadataValue.path(str(result.path)),
            "as_of": result.as_of or "",
            "missing_tables": dg.MetadataValue.json(result.missing_tables),
            "duration_s": round(result.duration_s, 2),
        }
        if quality_pages is not None:
            metadata["data_docs"] = dg.MetadataValue.path(str(quality_pages))
        if docs_wanted:
            started = time.perf_counter()
            docs = generate_dbt_docs(out_dir, p.warehouse)
            seconds = time.perf_counter() - started
            context.log.info(
                f"dbt docs written to {docs.path} in {seconds:.1f}s"
                if docs.regenerated
                else f"dbt docs kept: {docs.path} is of this project and these tables already"
            )
            metadata["dbt_docs"] = dg.MetadataValue.path(str(docs.path))
            metadata["dbt_docs_regenerated"] = docs.regenerated
        return dg.MaterializeResult(metadata=metadata)

    return published_report
