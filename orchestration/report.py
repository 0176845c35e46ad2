"""The KPI report: one static HTML page people can open offline, written after each publish.

:func:`build_report` reads the **published** DuckDB file (``published/grandstand.duckdb``,
schema ``marts``: the ``kpi_*`` tables) read-only and writes ``published/report/index.html``:
headline figures and their trends (net revenue by month and channel, buyers, attendance and
no-shows per home match, NPS / CSAT / CES, email engagement, cohort retention, consent and
reach, historical CLV per segment). Charts are inline SVG drawn here, so the page needs no
script, no font and no network: it opens from a file, a mail attachment or a shared drive.
Every chart also carries its figures as a table (under "Figures"), for screen readers and
for copying. The definitions of every figure are the dbt model descriptions:
:mod:`orchestration.dbt_docs` writes the static dbt documentation next to the page
(``published/report/dbt_docs.html``), linked from it.

:func:`build_report_asset` is the Dagster asset ``published/report``, downstream of
``published/marts``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.dbt_docs import DOCS_FILE, generate_dbt_docs
from orchestration.publish import MANIFEST, PUBLISH_ASSET_KEY, PUBLISHED_DB
from orchestration.runs import RUN_LOCK
from orchestration.settings import asset_owners, connect_duckdb, dbt_docs_enabled, paths

REPORT_ASSET_KEY = dg.AssetKey(["published", "report"])
REPORT_DIR = "report"
REPORT_FILE = "index.html"
SCHEMA = "marts"

# Colours: one per channel, the same everywhere (colour-blind safe pair blue / orange).
TICKETING = "#1f5fa8"
SHOP = "#e07b24"
GREY = "#8a94a6"
GREEN = "#2e8b57"
RED = "#c0392b"
PALETTE = (TICKETING, SHOP, GREEN, "#8e44ad", RED, "#16a085", GREY)

Row = dict[str, Any]


@dataclass
class ReportResult:
    path: Path
    as_of: str | None
    sections: list[str]
    missing_tables: list[str]
    duration_s: float
    docs: Path | None = None


@dataclass
class _Data:
    """The KPI tables of the published file, as lists of dicts (small: one row per month,
    match, campaign, cohort cell...)."""

    tables: dict[str, list[Row]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def rows(self, table: str) -> list[Row]:
        return self.tables.get(table, [])


_QUERIES = {
    "kpi_sales_monthly": "select * from marts.kpi_sales_monthly order by month_start, channel",
    "kpi_sales_season": "select * from marts.kpi_sales_season order by season, channel",
    "kpi_match_attendance": "select * from marts.kpi_match_attendance order by match_date",
    "kpi_match_attendance_by_category": (
        "select * from marts.kpi_match_attendance_by_category order by match_id, price_category"
    ),
    "kpi_satisfaction": (
        "select * from marts.kpi_satisfaction order by touchpoint, period_type, month_start"
    ),
    "kpi_email_campaigns": "select * from marts.kpi_email_campaigns order by sent_at, campaign_id",
    "kpi_cohort_retention": (
        "select * from marts.kpi_cohort_retention"
        " order by cohort_month, months_since_first_purchase"
    ),
    "kpi_consent_reach": "select * from marts.kpi_consent_reach",
    "kpi_clv_segments": "select * from marts.kpi_clv_segments order by segment_type, segment",
}


def _load(database: Path) -> _Data:
    data = _Data()
    with connect_duckdb(database, read_only=True) as con:
        con.execute("SET enable_progress_bar = false")
        present = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [SCHEMA],
            ).fetchall()
        }
        for table, query in _QUERIES.items():
            if table not in present:
                data.missing.append(table)
                continue
            cursor = con.execute(query)
            names = [d[0] for d in cursor.description]
            data.tables[table] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return data


# ------------------------------------------------------------------------------ formatting


def _num(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def fmt_int(value: Any) -> str:
    number = _num(value)
    return "–" if number is None else f"{number:,.0f}"


def fmt_eur(value: Any, decimals: int = 0) -> str:
    number = _num(value)
    return "–" if number is None else f"€{number:,.{decimals}f}"


def fmt_pct(value: Any, decimals: int = 1) -> str:
    """A 0-1 ratio as a percentage."""
    number = _num(value)
    return "–" if number is None else f"{100 * number:.{decimals}f} %"


def fmt_num(value: Any, decimals: int = 1) -> str:
    number = _num(value)
    return "–" if number is None else f"{number:,.{decimals}f}"


def _esc(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _label(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.strftime("%b %Y") if value.day == 1 else value.isoformat()
    return str(value)


# ------------------------------------------------------------------------------ SVG charts


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2, 2.5 or 5 times a power of ten)."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks, value = [], start
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _tick_label(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value * 100:.0f}%"
    prefix = "€" if unit == "€" else ""
    if abs(value) >= 1000:
        # thousands, with the decimals a step like 1,250 needs (1.25k, not a second "1k")
        return f"{prefix}{value / 1000:,.2f}".rstrip("0").rstrip(".") + "k"
    return f"{prefix}{value:,.0f}" if prefix else f"{value:g}"


@dataclass
class Series:
    name: str
    values: list[float | None]
    color: str


class _Frame:
    """Plot area, axes and scales shared by the bar and line charts."""

    def __init__(
        self,
        labels: Sequence[Any],
        low: float,
        high: float,
        *,
        unit: str,
        width: int = 1000,
        height: int = 300,
    ):
        self.labels = [_label(label) for label in labels]
        self.width, self.height = width, height
        self.left, self.right, self.top, self.bottom = 64, 16, 30, 64
        self.ticks = nice_ticks(min(low, 0.0), max(high, 0.0))
        self.low, self.high = self.ticks[0], self.ticks[-1]
        self.unit = unit

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    def y(self, value: float) -> float:
        span = self.high - self.low or 1
        plot = self.height - self.top - self.bottom
        return self.top + plot * (1 - (value - self.low) / span)

    def band(self, i: int) -> tuple[float, float]:
        """x of the left edge and the width of category i."""
        width = self.plot_width / max(len(self.labels), 1)
        return self.left + i * width, width

    def axes(self) -> list[str]:
        parts = []
        for tick in self.ticks:
            y = self.y(tick)
            parts.append(
                f'<line x1="{self.left}" x2="{self.width - self.right}" y1="{y:.1f}" '
                f'y2="{y:.1f}" class="grid"/>'
                f'<text x="{self.left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
                f"{_esc(_tick_label(tick, self.unit))}</text>"
            )
        zero = self.y(0.0) if self.low < 0 < self.high else None
        if zero is not None:
            parts.append(
                f'<line x1="{self.left}" x2="{self.width - self.right}" y1="{zero:.1f}" '
                f'y2="{zero:.1f}" class="zero"/>'
            )
        every = max(1, math.ceil(len(self.labels) / 24))
        for i, label in enumerate(self.labels):
            if i % every:
                continue
            x, w = self.band(i)
            cx, cy = x + w / 2, self.height - self.bottom + 12
            parts.append(
                f'<text x="{cx:.1f}" y="{cy:.1f}" class="tick" text-anchor="end" '
                f'transform="rotate(-40 {cx:.1f} {cy:.1f})">{_esc(label)}</text>'
            )
        return parts


def _svg(frame: _Frame, body: list[str], title: str, legend: Sequence[Series]) -> str:
    items = []
    x = frame.left
    for series in legend:
        items.append(
            f'<rect x="{x}" y="4" width="10" height="10" '
            f'fill="{series.color}"/><text x="{x + 14}" y="13" class="legend">'
            f"{_esc(series.name)}</text>"
        )
        x += 24 + 7 * len(series.name)
    return (
        f'<svg viewBox="0 0 {frame.width} {frame.height}" role="img" '
        f'aria-label="{_esc(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{_esc(title)}</title>{''.join(frame.axes())}{''.join(body)}{''.join(items)}"
        "</svg>"
    )


def bar_chart(
    labels: Sequence[Any],
    series: Sequence[Series],
    *,
    title: str,
    unit: str = "",
    stacked: bool = True,
    height: int = 300,
) -> str:
    """Vertical bars per label: stacked (totals) or side by side."""
    if stacked:
        totals = [sum(_num(s.values[i]) or 0 for s in series) for i in range(len(labels))]
        high = max(totals, default=0)
    else:
        high = max((_num(v) or 0 for s in series for v in s.values), default=0)
    low = min((_num(v) or 0 for s in series for v in s.values), default=0)
    frame = _Frame(labels, low, high, unit=unit, height=height)
    body = []
    for i in range(len(labels)):
        x, width = frame.band(i)
        inner = width * 0.8
        base = 0.0
        for k, s in enumerate(series):
            value = _num(s.values[i]) or 0.0
            if stacked:
                y0, y1 = frame.y(base), frame.y(base + value)
                bx, bw = x + width * 0.1, inner
                base += value
            else:
                y0, y1 = frame.y(0.0), frame.y(value)
                bw = inner / len(series)
                bx = x + width * 0.1 + k * bw
            top, size = min(y0, y1), abs(y0 - y1)
            body.append(
                f'<rect x="{bx:.1f}" y="{top:.1f}" width="{max(bw - 1, 1):.1f}" '
                f'height="{size:.1f}" fill="{s.color}"><title>{_esc(_label(labels[i]))} – '
                f"{_esc(s.name)}: {_esc(_tick_value(value, unit))}</title></rect>"
            )
    return _svg(frame, body, title, series)


def line_chart(
    labels: Sequence[Any],
    series: Sequence[Series],
    *,
    title: str,
    unit: str = "",
    low: float | None = None,
    high: float | None = None,
    height: int = 260,
) -> str:
    """One line per series; a missing value (None) breaks the line."""
    values = [v for s in series for v in (_num(x) for x in s.values) if v is not None]
    frame = _Frame(
        labels,
        low if low is not None else min(values, default=0),
        high if high is not None else max(values, default=1),
        unit=unit,
        height=height,
    )
    body = []
    for s in series:
        segments: list[list[str]] = [[]]
        for i, raw in enumerate(s.values):
            value = _num(raw)
            if value is None:
                segments.append([])
                continue
            x, width = frame.band(i)
            cx, cy = x + width / 2, frame.y(value)
            segments[-1].append(f"{cx:.1f},{cy:.1f}")
            body.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{s.color}">'
                f"<title>{_esc(_label(labels[i]))} – {_esc(s.name)}: "
                f"{_esc(_tick_value(value, unit))}</title></circle>"
            )
        for points in segments:
            if len(points) > 1:
                body.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{s.color}" '
                    'stroke-width="2"/>'
                )
    return _svg(frame, body, title, series)


def hbar_chart(items: Sequence[tuple[str, float | None, str]], *, title: str, unit: str) -> str:
    """Horizontal bars (label, value, text shown at the bar's end)."""
    width, row, left = 1000, 26, 260
    height = 16 + row * len(items)
    values = [_num(v) or 0 for _, v, _ in items]
    high = max([*values, 1e-9]) if unit != "%" else max(1.0, *values)
    body = []
    for i, (label, value, text) in enumerate(items):
        y = 8 + i * row
        length = (width - left - 120) * (_num(value) or 0) / high
        body.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" class="tick">{_esc(label)}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{max(length, 1):.1f}" height="{row - 8}" '
            f'fill="{PALETTE[0]}"><title>{_esc(label)}: {_esc(text)}</title></rect>'
            f'<text x="{left + length + 6:.1f}" y="{y + 15}" class="tick">{_esc(text)}</text>'
        )
    return (
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{_esc(title)}</title>{"".join(body)}</svg>'
    )


def _tick_value(value: float, unit: str) -> str:
    if unit == "%":
        return fmt_pct(value)
    if unit == "€":
        return fmt_eur(value)
    return fmt_num(value, 1 if value != int(value) else 0)


def heat_color(share: float | None) -> str:
    """White (0) to the ticketing blue (1)."""
    if share is None:
        return "#ffffff"
    share = max(0.0, min(1.0, share))
    r, g, b = (int(255 + (c - 255) * share) for c in (31, 95, 168))
    return f"#{r:02x}{g:02x}{b:02x}"


# ------------------------------------------------------------------------------ HTML parts


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, cls: str = "", text_columns: int = 1
) -> str:
    """A table; the first ``text_columns`` columns are left-aligned text, the rest figures."""

    def cell(tag: str, i: int, value: Any) -> str:
        align = ' class="text"' if i < text_columns else ""
        return f"<{tag}{align}>{_esc(value)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(cell("td", i, value) for i, value in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _figures(headers: Sequence[str], rows: Sequence[Sequence[Any]], text_columns: int = 1) -> str:
    table = _table(headers, rows, cls="data", text_columns=text_columns)
    return f"<details><summary>Figures</summary>{table}</details>"


def _tile(label: str, value: str, note: str = "") -> str:
    return (
        f'<div class="tile"><div class="tile-label">{_esc(label)}</div>'
        f'<div class="tile-value">{_esc(value)}</div>'
        f'<div class="tile-note">{_esc(note)}</div></div>'
    )


def _section(anchor: str, title: str, definition: str, content: str) -> str:
    return (
        f'<section id="{anchor}"><h2>{_esc(title)}</h2>'
        f'<p class="definition">{_esc(definition)}</p>{content}</section>'
    )


def _missing(table: str) -> str:
    return f'<p class="missing">marts.{_esc(table)} is not in the published file.</p>'


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


# ------------------------------------------------------------------------------ sections


def _as_of(data: _Data, manifest: dict[str, Any]) -> str | None:
    for row in data.rows("kpi_consent_reach"):
        if row.get("as_of_date"):
            return row["as_of_date"].isoformat()
    return manifest.get("as_of")


def _season_of(day: dt.date) -> str:
    start = day.year if day.month >= 7 else day.year - 1
    return f"{start}-{start + 1}"


def _headline(data: _Data, as_of: str | None) -> str:
    tiles = []
    seasons = data.rows("kpi_sales_season")
    current = None
    if as_of:
        current = _season_of(dt.date.fromisoformat(as_of))
    season_rows = {r["season"]: r for r in seasons if r["channel"] == "all"}
    if season_rows:
        current = current if current in season_rows else max(season_rows)
        row = season_rows[current]
        tiles += [
            _tile("Net revenue, season", fmt_eur(row["net_revenue_eur"]), current),
            _tile(
                "Buyers, season",
                fmt_int(row["buyers"]),
                f"{fmt_int(row['new_buyers'])} new · repeat rate "
                f"{fmt_pct(row['repeat_purchase_rate'])}",
            ),
        ]
    monthly = [r for r in data.rows("kpi_sales_monthly") if r["channel"] == "all"]
    if len(monthly) >= 2:
        last, previous = monthly[-1], monthly[-2]
        to_date = ""
        if as_of and dt.date.fromisoformat(as_of).replace(day=1) == last["month_start"]:
            to_date = " (to date)"
        tiles.append(
            _tile(
                f"Net revenue, {_label(last['month_start'])}{to_date}",
                fmt_eur(last["net_revenue_eur"]),
                f"{_label(previous['month_start'])}: {fmt_eur(previous['net_revenue_eur'])}",
            )
        )
    played = [r for r in data.rows("kpi_match_attendance") if r["is_played"]]
    if played:
        recent = played[-5:]
        valid = sum(r["valid_tickets"] for r in recent)
        no_show = sum(r["no_show_tickets"] or 0 for r in recent)
        tiles.append(
            _tile(
                "No-show rate",
                fmt_pct(_ratio(no_show, valid)),
                f"last {len(recent)} home matches",
            )
        )
    overall = {
        r["touchpoint"]: r for r in data.rows("kpi_satisfaction") if r["period_type"] == "overall"
    }
    if "all" in overall:
        row = overall["all"]
        tiles += [
            _tile("NPS", fmt_num(row["nps"], 0), f"{fmt_int(row['nps_responses'])} answers"),
            _tile(
                "CSAT",
                fmt_num(row["csat_pct"], 0) + " %",
                f"{fmt_int(row['csat_responses'])} answers",
            ),
            _tile("CES", fmt_num(row["ces_mean"], 2), f"{fmt_int(row['ces_responses'])} answers"),
        ]
    campaigns = data.rows("kpi_email_campaigns")
    if campaigns:
        recent = campaigns[-20:]
        delivered = sum(r["delivered"] for r in recent)
        tiles.append(
            _tile(
                "Email open rate",
                fmt_pct(_ratio(sum(r["opened_human"] for r in recent), delivered)),
                f"last {len(recent)} campaigns, human opens",
            )
        )
    reach = {r["metric"]: r for r in data.rows("kpi_consent_reach")}
    if "reachable_by_email" in reach:
        row = reach["reachable_by_email"]
        tiles.append(
            _tile("Reachable by email", fmt_int(row["fans"]), f"{fmt_pct(row['rate'])} of fans")
        )
    if "multichannel" in reach:
        row = reach["multichannel"]
        tiles.append(
            _tile(
                "Multichannel fans",
                fmt_pct(row["rate"]),
                f"{fmt_int(row['fans'])} active in 2+ channels",
            )
        )
    return f'<div class="tiles">{"".join(tiles)}</div>'


def _sales(data: _Data) -> str:
    if "kpi_sales_monthly" in data.missing:
        return _missing("kpi_sales_monthly")
    rows = data.rows("kpi_sales_monthly")
    months = sorted({r["month_start"] for r in rows})
    by = {(r["month_start"], r["channel"]): r for r in rows}

    def values(channel: str, column: str) -> list[float | None]:
        return [_num(by.get((m, channel), {}).get(column)) for m in months]

    revenue = bar_chart(
        months,
        [
            Series("Ticketing", values("ticketing", "net_revenue_eur"), TICKETING),
            Series("Shop", values("shop", "net_revenue_eur"), SHOP),
        ],
        title="Net revenue by month and channel (EUR)",
        unit="€",
    )
    buyers = bar_chart(
        months,
        [
            Series("New buyers", values("all", "new_buyers"), GREEN),
            Series("Returning buyers", values("all", "returning_buyers"), GREY),
        ],
        title="Buyers by month: new and returning",
        height=260,
    )
    repeat = line_chart(
        months,
        [
            Series("All channels", values("all", "repeat_purchase_rate"), GREEN),
            Series("Ticketing", values("ticketing", "repeat_purchase_rate"), TICKETING),
            Series("Shop", values("shop", "repeat_purchase_rate"), SHOP),
        ],
        title="Repeat-purchase rate by month (buyers with 2+ purchases in the month)",
        unit="%",
        low=0,
    )
    table = _figures(
        ["Month", "Ticketing net", "Shop net", "Orders", "Buyers", "New", "Repeat rate"],
        [
            [
                _label(m),
                fmt_eur(by.get((m, "ticketing"), {}).get("net_revenue_eur")),
                fmt_eur(by.get((m, "shop"), {}).get("net_revenue_eur")),
                fmt_int(by.get((m, "all"), {}).get("orders")),
                fmt_int(by.get((m, "all"), {}).get("buyers")),
                fmt_int(by.get((m, "all"), {}).get("new_buyers")),
                fmt_pct(by.get((m, "all"), {}).get("repeat_purchase_rate")),
            ]
            for m in months
        ],
    )
    seasons = data.rows("kpi_sales_season")
    season_table = _table(
        [
            "Season",
            "Channel",
            "Orders",
            "Buyers",
            "New",
            "Net revenue",
            "Avg basket",
            "Repeat rate",
            "Days between purchases",
        ],
        [
            [
                r["season"],
                r["channel"],
                fmt_int(r["orders"]),
                fmt_int(r["buyers"]),
                fmt_int(r["new_buyers"]),
                fmt_eur(r["net_revenue_eur"]),
                fmt_eur(r["average_basket_eur"], 2),
                fmt_pct(r["repeat_purchase_rate"]),
                fmt_num(r["average_days_between_purchases"], 0),
            ]
            for r in seasons
        ],
        cls="data",
        text_columns=2,
    )
    return (
        f"{revenue}{table}<h3>Buyers</h3>{buyers}<h3>Repeat purchase</h3>{repeat}"
        f"<h3>Per season (July–June)</h3>{season_table}"
    )


def _attendance(data: _Data) -> str:
    if "kpi_match_attendance" in data.missing:
        return _missing("kpi_match_attendance")
    played = [r for r in data.rows("kpi_match_attendance") if r["is_played"]]
    if not played:
        return "<p>No home match played yet.</p>"
    labels = [f"{r['match_date']:%d/%m/%y}" for r in played]
    chart = bar_chart(
        labels,
        [
            Series("Attended", [r["attended_tickets"] for r in played], TICKETING),
            Series("No-show (valid, not scanned)", [r["no_show_tickets"] for r in played], RED),
        ],
        title="Home matches: tickets attended and no-shows",
        height=320,
    )
    rates = line_chart(
        labels,
        [
            Series("No-show rate", [r["no_show_rate"] for r in played], RED),
            Series("Season-pass usage", [r["season_pass_usage_rate"] for r in played], GREEN),
        ],
        title="No-show rate and season-pass usage per home match",
        unit="%",
        low=0,
        high=1,
        height=300,
    )
    by_category: dict[str, list[int]] = {}
    played_ids = {r["match_id"] for r in played}
    for r in data.rows("kpi_match_attendance_by_category"):
        if r["match_id"] in played_ids:
            totals = by_category.setdefault(r["price_category"], [0, 0])
            totals[0] += r["valid_tickets"]
            totals[1] += r["no_show_tickets"] or 0
    categories = _table(
        ["Price category", "Valid tickets", "No-shows", "No-show rate"],
        [
            [name, fmt_int(valid), fmt_int(no_show), fmt_pct(_ratio(no_show, valid))]
            for name, (valid, no_show) in sorted(by_category.items())
        ],
        cls="data",
    )
    table = _figures(
        ["Match", "Opponent", "Valid", "Attended", "No-show", "No-show rate", "Passes used"],
        [
            [
                label,
                r["opponent"],
                fmt_int(r["valid_tickets"]),
                fmt_int(r["attended_tickets"]),
                fmt_int(r["no_show_tickets"]),
                fmt_pct(r["no_show_rate"]),
                fmt_pct(r["season_pass_usage_rate"]),
            ]
            for label, r in zip(labels, played, strict=True)
        ],
        text_columns=2,
    )
    return f"{chart}{table}{rates}<h3>By price category (matches played)</h3>{categories}"


def _satisfaction(data: _Data) -> str:
    if "kpi_satisfaction" in data.missing:
        return _missing("kpi_satisfaction")
    rows = data.rows("kpi_satisfaction")
    monthly = sorted(
        (r for r in rows if r["touchpoint"] == "all" and r["period_type"] == "month"),
        key=lambda r: r["month_start"],
    )
    months = [r["month_start"] for r in monthly]
    nps = line_chart(
        months,
        [Series("NPS", [r["nps"] for r in monthly], TICKETING)],
        title="NPS by month (−100 to 100)",
        low=-100,
        high=100,
        height=200,
    )
    csat = line_chart(
        months,
        [
            Series(
                "CSAT (% satisfied)",
                [None if r["csat_pct"] is None else r["csat_pct"] / 100 for r in monthly],
                SHOP,
            )
        ],
        title="CSAT by month (share of 4-5 answers)",
        unit="%",
        low=0,
        high=1,
        height=200,
    )
    ces = line_chart(
        months,
        [Series("CES (mean, 1 = least effort)", [r["ces_mean"] for r in monthly], GREEN)],
        title="CES by month (mean score, 1-5)",
        low=1,
        high=5,
        height=200,
    )
    overall = [r for r in rows if r["period_type"] == "overall"]
    table = _table(
        ["Touchpoint", "NPS", "NPS answers", "CSAT", "CSAT answers", "CES", "CES answers"],
        [
            [
                r["touchpoint"],
                fmt_num(r["nps"], 0),
                fmt_int(r["nps_responses"]),
                "–" if r["csat_pct"] is None else f"{r['csat_pct']:.0f} %",
                fmt_int(r["csat_responses"]),
                fmt_num(r["ces_mean"], 2),
                fmt_int(r["ces_responses"]),
            ]
            for r in sorted(overall, key=lambda r: (r["touchpoint"] == "all", r["touchpoint"]))
        ],
        cls="data",
    )
    return f"{table}{nps}{csat}{ces}"


def _email(data: _Data) -> str:
    if "kpi_email_campaigns" in data.missing:
        return _missing("kpi_email_campaigns")
    rows = [r for r in data.rows("kpi_email_campaigns") if r["sent_date"] is not None]
    months: dict[dt.date, list[Row]] = {}
    for r in rows:
        months.setdefault(r["sent_date"].replace(day=1), []).append(r)
    labels = sorted(months)

    def rate(numerator: str, denominator: str) -> list[float | None]:
        return [
            _ratio(
                sum(r[numerator] for r in months[m]),
                sum(r[denominator] for r in months[m]),
            )
            for m in labels
        ]

    chart = line_chart(
        labels,
        [
            Series("Open rate (human)", rate("opened_human", "delivered"), TICKETING),
            Series("Click rate", rate("clicked", "delivered"), SHOP),
            Series("Click-to-open", rate("clicked", "opened_human"), GREEN),
        ],
        title="Email engagement by month of send (unique recipients)",
        unit="%",
        low=0,
    )
    top = sorted(rows, key=lambda r: r["sent_at"], reverse=True)[:12]
    table = _table(
        [
            "Sent",
            "Campaign",
            "Type",
            "Delivered",
            "Open rate",
            "Click rate",
            "CTOR",
            "Unsub.",
            "Revenue attributed",
        ],
        [
            [
                r["sent_date"].isoformat(),
                r["campaign_name"],
                r["campaign_type"],
                fmt_int(r["delivered"]),
                fmt_pct(r["open_rate"]),
                fmt_pct(r["click_rate"]),
                fmt_pct(r["click_to_open_rate"]),
                fmt_int(r["unsubscribed"]),
                fmt_eur(r["attributed_revenue_eur"]),
            ]
            for r in top
        ],
        cls="data",
        text_columns=3,
    )
    return f"{chart}<h3>Latest campaigns</h3>{table}"


def _cohorts(data: _Data) -> str:
    if "kpi_cohort_retention" in data.missing:
        return _missing("kpi_cohort_retention")
    rows = data.rows("kpi_cohort_retention")
    cohorts: dict[dt.date, dict[int, Row]] = {}
    for r in rows:
        cohorts.setdefault(r["cohort_month"], {})[r["months_since_first_purchase"]] = r
    recent = sorted(cohorts)[-18:]
    width = max((max(cohorts[c]) for c in recent), default=0) + 1
    head = "".join(f"<th>{k}</th>" for k in range(width))
    lines = []
    for cohort in recent:
        cells = []
        for k in range(width):
            r = cohorts[cohort].get(k)
            if r is None:
                cells.append("<td></td>")
                continue
            share = _num(r["retention_rate"])
            text = "" if share is None else f"{share * 100:.0f}"
            ink = "#ffffff" if (share or 0) > 0.55 else "#1b2430"
            partial = "" if r["is_complete_month"] else ' class="partial"'
            cells.append(
                f'<td{partial} style="background:{heat_color(share)};color:{ink}" '
                f'title="{_esc(_label(cohort))}, month {k}: {fmt_pct(share)} of '
                f'{fmt_int(r["cohort_size"])}">{text}</td>'
            )
        size = cohorts[cohort][0]["cohort_size"] if 0 in cohorts[cohort] else ""
        lines.append(
            f"<tr><th>{_esc(_label(cohort))}</th><td>{fmt_int(size)}</td>{''.join(cells)}</tr>"
        )
    table = (
        '<table class="heat"><thead><tr><th>Cohort</th><th>Fans</th>'
        f"{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"
    )
    churn = []
    for cohort in recent:
        last = cohorts[cohort][max(cohorts[cohort])]
        churn.append(
            [
                _label(cohort),
                fmt_int(last["cohort_size"]),
                fmt_int(last["churned_fans"]),
                fmt_pct(last["churn_rate"]),
            ]
        )
    return (
        f"{table}<p class='note'>% of each cohort buying again k months after the first "
        "purchase (k = 0 is the first month); the last column of a cohort is the current, "
        "partial month (dashed).</p>"
        f"{_figures(['Cohort', 'Fans', 'Churned now', 'Churn rate'], churn)}"
    )


_REACH_LABELS = {
    "ticketing_club_optin": "Ticketing: club opt-in (email)",
    "ticketing_partners_optin": "Ticketing: partners opt-in",
    "shop_email_optin": "Shop: accepts email",
    "shop_sms_optin": "Shop: accepts SMS",
    "email_tool_email_optin": "Email tool: not blacklisted (email)",
    "email_tool_sms_optin": "Email tool: not blacklisted (SMS)",
    "reachable_by_email": "Fans reachable by email",
    "reachable_by_sms": "Fans reachable by SMS",
    "active_in_ticketing": "Active fans buying tickets",
    "active_in_shop": "Active fans buying in the shop",
    "active_in_email": "Active fans opening/clicking emails",
    "multichannel": "Active fans in 2+ channels",
}


def _reach(data: _Data) -> str:
    if "kpi_consent_reach" in data.missing:
        return _missing("kpi_consent_reach")
    rows = {r["metric"]: r for r in data.rows("kpi_consent_reach")}
    items = [
        (
            label,
            rows[metric]["rate"],
            f"{fmt_pct(rows[metric]['rate'])} ({fmt_int(rows[metric]['fans'])} of "
            f"{fmt_int(rows[metric]['base_fans'])})",
        )
        for metric, label in _REACH_LABELS.items()
        if metric in rows
    ]
    return hbar_chart(items, title="Opt-in rates, reach and multichannel share", unit="%")


def _clv(data: _Data) -> str:
    if "kpi_clv_segments" in data.missing:
        return _missing("kpi_clv_segments")
    rows = data.rows("kpi_clv_segments")
    segments = sorted(
        (r for r in rows if r["segment_type"] == "rfm_segment"),
        key=lambda r: -(_num(r["average_clv_eur"]) or 0),
    )
    chart = hbar_chart(
        [
            (
                r["segment"],
                r["average_clv_eur"],
                f"{fmt_eur(r['average_clv_eur'])} · {fmt_int(r['fans'])} fans",
            )
            for r in segments
        ],
        title="Average historical CLV per RFM segment (EUR)",
        unit="€",
    )
    other = [r for r in rows if r["segment_type"] in ("all", "channel_mix", "churn_status")]
    table = _table(
        ["Segment type", "Segment", "Fans", "Avg CLV", "Avg purchases", "Share of revenue"],
        [
            [
                r["segment_type"],
                r["segment"],
                fmt_int(r["fans"]),
                fmt_eur(r["average_clv_eur"]),
                fmt_num(r["average_purchases"], 1),
                fmt_pct(r["share_of_net_revenue"]),
            ]
            for r in other
        ],
        cls="data",
        text_columns=2,
    )
    return f"{chart}{table}"


_STYLE = """
body{font-family:-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;margin:0;
color:#1b2430;background:#f4f6f9}
header{background:#13315c;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:24px}header p{margin:4px 0 0;opacity:.85}
header a{color:#cfe0ff}
main{padding:8px 32px 32px;max-width:1180px}
nav{margin:12px 0}nav a{margin-right:14px;color:#13315c}
section{background:#fff;border-radius:8px;padding:16px 20px;margin:16px 0;
box-shadow:0 1px 2px rgba(0,0,0,.08)}
h2{margin:0 0 4px;font-size:19px}h3{font-size:15px;margin:18px 0 6px}
.definition,.note{color:#55606f;font-size:13px;margin:4px 0 10px}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px;
margin:16px 0}
.tile{background:#fff;border-radius:8px;padding:12px 14px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.tile-label{font-size:12px;color:#55606f;text-transform:uppercase;letter-spacing:.04em}
.tile-value{font-size:26px;font-weight:600;margin:4px 0}.tile-note{font-size:12px;color:#55606f}
svg{width:100%;height:auto;display:block;margin:6px 0}
svg .grid{stroke:#e3e7ee}svg .zero{stroke:#8a94a6}
svg .tick,svg .legend{font-size:11px;fill:#3b4654}
table{border-collapse:collapse;font-size:12px;margin:6px 0}
th,td{padding:3px 8px;border-bottom:1px solid #e3e7ee;text-align:right}
th.text,td.text,table.heat th{text-align:left}
thead th{background:#f0f3f7}
table.heat td{min-width:26px;text-align:center;border:1px solid #fff}
table.heat td.partial{outline:1px dashed #8a94a6;outline-offset:-2px}
details summary{cursor:pointer;color:#13315c;font-size:13px;margin:4px 0}
.missing{color:#c0392b}
footer{color:#55606f;font-size:12px;padding:0 32px 24px}
@media print{nav,details{display:none}section{box-shadow:none}}
"""


def render(data: _Data, manifest: dict[str, Any], *, title: str, docs_link: bool) -> str:
    as_of = _as_of(data, manifest)
    sections = [
        (
            "sales",
            "Sales",
            "Net revenue = totals paid − refunds, EUR, by business date (Europe/Paris). New buyers:"
            " first purchase ever (any channel) in the month; repeat-purchase rate: buyers with"
            " 2+ purchases in the month ÷ buyers.",
            _sales(data),
        ),
        (
            "attendance",
            "Attendance",
            "Valid tickets: single and hospitality tickets of the match plus season passes of"
            " its season; attended: tickets with an ok scan; no-show rate: valid tickets never"
            " scanned ok ÷ valid tickets.",
            _attendance(data),
        ),
        (
            "satisfaction",
            "Satisfaction",
            "Latest answer per campaign, person and survey. NPS = % of 9-10 − % of 0-6;"
            " CSAT = % of 4-5; CES = mean of 1-5 (lower is better).",
            _satisfaction(data),
        ),
        (
            "email",
            "Email engagement",
            "Unique recipients per event after duplicate events are removed; proxy opens are not"
            " human opens. Rates over delivered; revenue: purchases within 5 days (default) of"
            " the buyer's last click.",
            _email(data),
        ),
        (
            "retention",
            "Cohort retention",
            "Fans grouped by the month of their first purchase; each cell is the share of the"
            " cohort buying in the k-th month after.",
            _cohorts(data),
        ),
        (
            "reach",
            "Consent and reach",
            "Opt-in as each tool records it; reachable = a contact not blacklisted in the email"
            " tool; active = a purchase, or a human open or click, in the last 12 months"
            " (default).",
            _reach(data),
        ),
        (
            "clv",
            "Customer lifetime value (historical)",
            "Net revenue per buying fan to date, averaged per segment. Predictive CLV is not"
            " computed.",
            _clv(data),
        ),
    ]
    nav = "".join(f'<a href="#{a}">{_esc(t)}</a>' for a, t, _, _ in sections)
    docs = f' · <a href="{DOCS_FILE}">definitions (dbt docs)</a>' if docs_link else ""
    published = manifest.get("published_at", "")
    body = "".join(_section(*s) for s in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>{_esc(title)}</h1><p>As of {_esc(as_of or 'unknown')}"
        f"{' · published ' + _esc(published) if published else ''}{docs}</p></header>"
        f"<main><nav>{nav}</nav>{_headline(data, as_of)}{body}</main>"
        f"<footer>Grandstand · figures from marts.kpi_* of the published file"
        f"{' (run ' + _esc(manifest['run_id']) + ')' if manifest.get('run_id') else ''}. "
        "Definitions and formulas: the dbt model descriptions.</footer></body></html>\n"
    )


def build_report(
    published_db: Path,
    out_dir: Path,
    *,
    title: str = "Grandstand — KPI report",
    docs_link: bool = True,
) -> ReportResult:
    """Write ``out_dir/index.html`` from the published DuckDB file (atomic replace)."""
    started = time.perf_counter()
    published_db = Path(published_db)
    if not published_db.exists():
        raise FileNotFoundError(f"published file {published_db} does not exist: publish first")
    manifest_path = published_db.with_name(MANIFEST)
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    data = _load(published_db)
    page = render(data, manifest, title=title, docs_link=docs_link)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / REPORT_FILE
    _write_atomic(target, page)
    return ReportResult(
        path=target,
        as_of=_as_of(data, manifest),
        sections=[t for t in _QUERIES if t not in data.missing],
        missing_tables=data.missing,
        duration_s=time.perf_counter() - started,
    )


def _write_atomic(target: Path, text: str) -> None:
    tmp = target.with_name(f".tmp-{target.name}.{uuid.uuid4().hex}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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
            "from the published marts, and the dbt docs as published/report/dbt_docs.html."
        ),
    )
    def published_report(context) -> dg.MaterializeResult:  # no annotation: see quality.py
        p = paths()
        out_dir = p.published / REPORT_DIR
        docs_wanted = with_docs and dbt_docs_enabled()
        result = build_report(p.published / PUBLISHED_DB, out_dir, docs_link=docs_wanted)
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
