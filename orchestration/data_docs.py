"""Great Expectations Data Docs, built offline: one page per suite a night validated.

Each GX asset check renders its validation result with GX's own Data Docs renderer
(``ValidationResultsPageRenderer`` + ``DefaultJinjaPageView``) into the working area
(``<home>/quality/data_docs/<suite>.html``, with ``<suite>.json``: which run, passed or not).
The report step copies the pages of its own run next to the report
(``published/report/data_docs/``) with an index, so that the published folder changes only
after the publish, and a suite that did not run that night shows no stale page.

GX's pages load their stylesheets, scripts and logo from CDNs: the copy we keep makes no
request at all (a club opens it offline, and a fan-data page should not call third parties).
Remote ``<script>``, ``<link>`` and ``<img>`` tags are removed and a small inline style
stands in for Bootstrap; the page's content (every expectation, its observed value, how many
values failed) is GX's, rendered in HTML without a script. The failing values themselves are
left out: they may be a fan's email or name.
"""

from __future__ import annotations

import copy
import html
import json
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.files import write_text_atomic

PAGES_DIR = "data_docs"
# What GX keeps of the failing values of an expectation.
_SAMPLE_KEYS = (
    "partial_unexpected_list",
    "partial_unexpected_counts",
    "partial_unexpected_index_list",
    "unexpected_list",
    "unexpected_index_list",
    "unexpected_rows",
)
STAGING_DIR = Path("quality") / PAGES_DIR  # in the working area, beside the warehouse
INDEX_FILE = "index.html"

_REMOTE = r"""["']https?://[^"']*["']"""
_REMOTE_TAGS = re.compile(
    rf"<script[^>]*\ssrc={_REMOTE}[^>]*>\s*</script>|<link[^>]*\shref={_REMOTE}[^>]*/?>"
    rf"|<img[^>]*\ssrc={_REMOTE}[^>]*/?>",
    re.IGNORECASE,
)
_OFFLINE_STYLE = """<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem; color: #1b1b1b; }
table { border-collapse: collapse; margin: .5rem 0; }
td, th { border: 1px solid #d0d0d0; padding: .25rem .5rem; vertical-align: top; text-align: left; }
.text-danger { color: #b00020; } .text-success { color: #1b7f3b; }
.d-none, .collapse:not(.show) { display: none; }
nav, .navbar, footer { display: none; }
</style>"""


@dataclass(frozen=True)
class SuitePage:
    suite: str
    table: str
    success: bool
    run_id: str
    page: str  # file name of the page, next to its summary


def staging_dir(warehouse: Path) -> Path:
    """Where the checks of the warehouse `warehouse` write their pages."""
    return Path(warehouse).parent / STAGING_DIR


def offline(page: str) -> str:
    """GX's page without any remote asset, with a small inline style instead."""
    page = _REMOTE_TAGS.sub("", page)
    return page.replace("</head>", _OFFLINE_STYLE + "\n</head>", 1)


def without_samples(validation: Any) -> Any:
    """A copy of the validation result without the values GX sampled from failing rows: a
    published page says how many values failed, never which (they may be a fan's email or
    name); the check's own result in Dagster keeps the sample for whoever runs the night."""
    validation = copy.deepcopy(validation)
    for result in validation.results:
        for key in _SAMPLE_KEYS:
            (result.result or {}).pop(key, None)
        if result.result and "details" in result.result:
            result.result["details"].pop("unexpected_rows", None)
    return validation


def render_validation(validation: Any) -> str:
    """One suite's validation result as GX renders it for Data Docs (offline copy), without
    failing values."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    document = ValidationResultsPageRenderer().render(without_samples(validation))
    return offline(DefaultJinjaPageView().render(document))


def write_suite_page(
    docs_dir: Path, *, suite: str, table: str, success: bool, run_id: str, page: str
) -> Path:
    """Write one suite's page and its summary into the working area (atomic replace)."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    target = docs_dir / f"{suite}.html"
    write_text_atomic(target, page)
    summary = SuitePage(suite=suite, table=table, success=success, run_id=run_id, page=target.name)
    write_text_atomic(docs_dir / f"{suite}.json", json.dumps(summary.__dict__))
    return target


def pages_of_run(docs_dir: Path, run_id: str) -> list[SuitePage]:
    """The pages the checks of run `run_id` wrote, by suite name."""
    pages = []
    for summary in sorted(Path(docs_dir).glob("*.json")):
        page = SuitePage(**json.loads(summary.read_text(encoding="utf-8")))
        if page.run_id == run_id and (summary.parent / page.page).exists():
            pages.append(page)
    return pages


def publish_pages(docs_dir: Path, out_dir: Path, run_id: str) -> Path | None:
    """Copy run `run_id`'s pages to ``out_dir/data_docs/`` with an index; None when that
    run validated no suite. Pages of other runs are removed from ``out_dir``."""
    pages = pages_of_run(docs_dir, run_id)
    target = Path(out_dir) / PAGES_DIR
    if target.exists():
        shutil.rmtree(target)
    if not pages:
        return None
    target.mkdir(parents=True)
    for page in pages:
        shutil.copyfile(Path(docs_dir) / page.page, target / page.page)
    index = target / INDEX_FILE
    write_text_atomic(index, _index(pages))
    return index


def _index(pages: Iterable[SuitePage]) -> str:
    rows = "\n".join(
        f'<tr><td><a href="{html.escape(p.page)}">{html.escape(p.suite)}</a></td>'
        f"<td>{html.escape(p.table)}</td>"
        f'<td class="{"text-success" if p.success else "text-danger"}">'
        f"{'passed' if p.success else 'failed'}</td></tr>"
        for p in pages
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Data Docs</title></head><body>"
        "<h1>Great Expectations Data Docs</h1><p>The suites this run validated.</p>"
        f"<table><tr><th>Suite</th><th>Table</th><th>Outcome</th></tr>{rows}</table>"
        "</body></html>"
    ).replace("</head>", _OFFLINE_STYLE + "</head>", 1)
