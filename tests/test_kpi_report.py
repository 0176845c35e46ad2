"""The static KPI report: content from the published marts, offline, renders in Chromium."""

from __future__ import annotations

import ast
import datetime as dt
import re
import shutil
import struct
import subprocess
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration import dbt_docs, report
from orchestration.report import marts as report_marts
from orchestration.report import page as page_module
from orchestration.runs import RUN_LOCK, RunLock
from orchestration.settings import REPO_ROOT
from tests.conftest_kpi import kpi_warehouse

AGGREGATES = {"sum", "min", "max", "mean", "fsum"}
CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed (make system-deps, as root, installs it)",
)


@pytest.fixture(scope="session")
def kpi(tmp_path_factory):
    return kpi_warehouse(tmp_path_factory)


@pytest.fixture(scope="module")
def page(kpi, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    result = report.build_report(kpi.published, out)
    assert result.missing_tables == []
    assert result.as_of == kpi.expected["as_of_date"]
    return result.path


def screenshot(url: str, png: Path, profile: Path, height: int = 2000) -> Path:
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size=1280,{height}",
            "--virtual-time-budget=5000",
            url,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return png


def png_size(png: Path) -> tuple[int, int]:
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_report_shows_every_kpi_section_from_the_published_marts(kpi, page):
    text = page.read_text(encoding="utf-8")
    for anchor, *_ in page_module.SECTIONS:
        assert f'id="{anchor}"' in text, anchor
    assert text.count("<svg") >= 12
    assert "is not in the published file" not in text
    with duckdb.connect(str(kpi.published), read_only=True) as con:
        headline = con.execute(
            "select figure_label, figure_value, figure_unit from marts.kpi_report_headline"
            " order by figure_order"
        ).fetchall()
    assert len(headline) == 10
    for label, value, unit in headline:  # each tile is a row of the mart, in its order
        tile = f'<div class="tile-label">{label}</div><div class="tile-value">'
        assert f"{tile}{report.fmt_unit(value, unit)}</div>" in text, label
    assert f'href="{dbt_docs.DOCS_FILE}"' in text


def test_headline_figures_agree_with_the_marts_that_define_them(kpi):
    """kpi_report_headline reads its figures; on the generated data (nothing sold after the
    as-of date) the season to date is the whole season so far."""
    with duckdb.connect(str(kpi.published), read_only=True) as con:
        figures = dict(
            con.execute("select figure, figure_value from marts.kpi_report_headline").fetchall()
        )
        season_net, season_buyers = con.execute(
            "select s.net_revenue_eur, s.buyers from marts.kpi_sales_season s"
            " join marts.kpi_sales_season_to_date d on s.season = d.season"
            " and s.channel = d.channel where d.is_current_season and d.channel = 'all'"
        ).fetchone()
        nps, csat = con.execute(
            "select nps, csat_pct from marts.kpi_satisfaction"
            " where touchpoint = 'all' and period_type = 'overall'"
        ).fetchone()
        reachable = con.execute(
            "select fans from marts.kpi_consent_reach where metric = 'reachable_by_email'"
        ).fetchone()[0]
    assert figures["season_net_revenue"] == pytest.approx(float(season_net))
    assert figures["season_buyers"] == season_buyers
    assert figures["nps"] == pytest.approx(nps)
    assert figures["csat"] == pytest.approx(csat / 100)
    assert figures["reachable_by_email"] == reachable


def test_the_month_still_running_is_marked_partial(kpi, page):
    with duckdb.connect(str(kpi.published), read_only=True) as con:
        partial = con.execute(
            "select distinct month_start from marts.kpi_sales_monthly where not is_complete_month"
        ).fetchall()
    as_of = dt.date.fromisoformat(kpi.expected["as_of_date"])
    month_end = (as_of.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(1)
    assert partial == ([] if as_of == month_end else [(as_of.replace(day=1),)])
    if partial:
        assert f"{as_of:%b %Y} (to date)" in page.read_text(encoding="utf-8")


def test_the_report_code_does_no_arithmetic_on_mart_values():
    """Issue 12: every figure comes from a dbt model. A mart value is read as row["column"]:
    none may be an operand of arithmetic, nor go through sum / min / max, in the report."""
    package = Path(report.__file__).parent
    offences = []
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            operands = []
            if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Mod):
                operands = [node.left, node.right]
            elif isinstance(node, ast.Call) and getattr(node.func, "id", "") in AGGREGATES:
                operands = list(node.args)
            for operand in operands:
                for inner in ast.walk(operand):
                    if isinstance(inner, ast.Subscript) and isinstance(
                        getattr(inner.slice, "value", None), str
                    ):
                        offences.append(f"{path.name}:{node.lineno}")
    assert not offences, f"arithmetic on mart values at {offences}"


def test_values_from_the_exports_are_text_on_the_page(kpi, tmp_path):
    """A campaign named like markup is shown, never run."""
    published = tmp_path / "grandstand.duckdb"
    shutil.copyfile(kpi.published, published)
    with duckdb.connect(str(published)) as con:
        con.execute(
            "update marts.kpi_email_campaigns set campaign_name = '<script>alert(1)</script>'"
        )
    text = report.build_report(published, tmp_path / "out").path.read_text(encoding="utf-8")
    assert "<script" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_report_needs_no_network(page):
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "@import" not in text
    assert not re.search(r"url\((?!#)", text)  # a chart's own gradients only
    ids = re.findall(r' id="([^"]+)"', text)
    assert len(ids) == len(set(ids)), "an id twice on the page: a chart would use another's"


def test_a_published_file_without_kpi_tables_still_gives_a_page(tmp_path):
    database = tmp_path / "grandstand.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create schema marts")
    result = report.build_report(database, tmp_path / "report", docs_link=False)
    text = result.path.read_text(encoding="utf-8")
    assert result.missing_tables == list(report_marts.ORDER_BY)
    assert "marts.kpi_sales_monthly is not in the published file" in text


@needs_chromium
def test_report_renders_in_headless_chromium(page, tmp_path):
    shot = screenshot(page.as_uri(), tmp_path / "report.png", tmp_path / "profile")
    blank_page = tmp_path / "blank.html"
    blank_page.write_text("<!DOCTYPE html><html><body></body></html>")
    blank = screenshot(blank_page.as_uri(), tmp_path / "blank.png", tmp_path / "profile")
    assert png_size(shot) == (1280, 2000)
    # charts, tiles and tables compress far worse than an empty page
    assert shot.stat().st_size > 50_000
    assert shot.stat().st_size > 10 * blank.stat().st_size


def test_report_asset_writes_the_page_next_to_the_published_marts(kpi, tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "published").mkdir(parents=True)
    shutil.copyfile(kpi.published, home / "published" / "grandstand.duckdb")
    shutil.copyfile(kpi.published_dir / "manifest.json", home / "published" / "manifest.json")
    monkeypatch.setenv("GRANDSTAND_HOME", str(home))
    asset = report.build_report_asset(with_docs=False)
    assert asset.key == dg.AssetKey(["published", "report"])
    assert set(asset.asset_deps[asset.key]) == {dg.AssetKey(["published", "marts"])}
    assert asset.group_names_by_key[asset.key] == "publish"
    result = dg.materialize([asset], resources={RUN_LOCK: RunLock()})
    assert result.success
    assert (home / "published" / "report" / "index.html").exists()


def test_dbt_docs_are_generated_as_one_offline_page(kpi, tmp_path):
    result = dbt_docs.generate_dbt_docs(tmp_path, kpi.warehouse)
    docs = result.path
    assert result.regenerated and docs == tmp_path / dbt_docs.DOCS_FILE
    text = docs.read_text(encoding="utf-8")
    assert "kpi_email_campaigns" in text and "kpi_match_attendance" in text
    # the overview page (models/overview.md) and what reads the marts (models/exposures.yml)
    assert "Where each figure lives" in text
    assert "exposure.grandstand.kpi_report" in text
    assert "exposure.grandstand.activation_audiences" in text
    assert not re.search(r"""<(script|link)[^>]+(src|href)=["']https?:""", text)
    assert '"send_anonymous_usage_stats": false' in text  # no tracking calls from the page
    # nothing of this machine's layout: the project's root, the temporary target, the files
    assert str(REPO_ROOT) not in text and "grandstand-docs-" not in text
    assert str(kpi.warehouse.parent) not in text
    assert '"root_path": "dbt_project"' in text
    if CHROMIUM.exists():
        shot = screenshot(
            docs.as_uri() + "#!/model/model.grandstand.kpi_satisfaction",
            tmp_path / "docs.png",
            tmp_path / "profile",
            height=1000,
        )
        assert shot.stat().st_size > 50_000


def test_dbt_docs_are_kept_until_the_project_or_a_table_shape_changes(kpi, tmp_path):
    """dbt docs generate is run again only when the page would differ."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(kpi.warehouse, warehouse)
    commands = []

    def fake_dbt(command, **kwargs):  # writes the page dbt would write, and counts the calls
        commands.append(command)
        target = Path(command[command.index("--target-path") + 1])
        (target / "static_index.html").write_text(f"page {len(commands)}")
        return subprocess.CompletedProcess(command, 0, "", "")

    out = tmp_path / "report"
    first = dbt_docs.generate_dbt_docs(out, warehouse, run=fake_dbt)
    with duckdb.connect(str(warehouse)) as con:  # new rows only: the same page
        con.execute("insert into marts.kpi_sales_daily select * from marts.kpi_sales_daily")
    again = dbt_docs.generate_dbt_docs(out, warehouse, run=fake_dbt)
    with duckdb.connect(str(warehouse)) as con:  # a new column: the catalog changes
        con.execute("alter table marts.kpi_sales_daily add column new_figure integer")
    changed = dbt_docs.generate_dbt_docs(out, warehouse, run=fake_dbt)
    assert (first.regenerated, again.regenerated, changed.regenerated) == (True, False, True)
    assert len(commands) == 2 and changed.path.read_text() == "page 2"
