"""Charts as static SVG: Vega-Lite specs built with Altair, rendered by vl-convert (no
browser, no script and no font download in the page). Chosen over hand-drawn SVG (about 240
lines to keep) and over matplotlib: a chart is a few declarative lines, and the SVG keeps
its text as text (searchable, accessible). The data are rows of a mart; nothing is computed
here but layout."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
import vl_convert

TICKETING, SHOP, GREEN, RED, GREY, PURPLE = (
    "#1f5fa8",
    "#e07b24",
    "#2e8b57",
    "#c0392b",
    "#8a94a6",
    "#8e44ad",
)
WIDTH = 860
AXIS_FORMATS = {"eur": ",.0f", "rate": ".0%", "count": ",d", "score": ",.1f"}
UNIT_TITLES = {"eur": "EUR", "rate": "", "count": "", "score": ""}
_CONFIG = {
    "font": "DejaVu Sans, Arial, sans-serif",
    "view": {"stroke": None},
    "axis": {"labelFontSize": 11, "titleFontSize": 11, "gridColor": "#e3e7ee"},
    "legend": {"orient": "top", "labelFontSize": 11, "title": None},
    "title": {"fontSize": 13, "anchor": "start"},
}


def to_svg(chart: alt.TopLevelMixin) -> str:
    spec = chart.to_dict()
    spec["config"] = {**_CONFIG, **spec.get("config", {})}
    svg = vl_convert.vegalite_to_svg(spec)
    svg = svg[svg.index("<svg") :]  # inline in the page: no XML declaration
    # Every chart numbers its clip paths and gradients from 0, and on one page an id means
    # the first element holding it: prefix them with the chart's own digest.
    prefix = "c" + hashlib.sha1(svg.encode()).hexdigest()[:8] + "-"
    return re.sub(r'(id="|url\(#|href="#)', lambda m: m[1] + prefix, svg)


def _frame(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=columns)
    for column in frame.columns:  # decimals (money) as floats for the JSON spec
        if frame[column].map(lambda v: v.__class__.__name__ == "Decimal").any():
            frame[column] = frame[column].astype(float)
    return frame


def _y(field: str, unit: str, title: str | None = None, domain=None) -> alt.Y:
    scale = alt.Scale(domain=list(domain)) if domain else alt.Undefined
    return alt.Y(
        f"{field}:Q",
        title=UNIT_TITLES.get(unit, "") if title is None else title,
        axis=alt.Axis(format=AXIS_FORMATS.get(unit, ",.1f")),
        scale=scale,
    )


def _series(frame: pd.DataFrame, x: str, series: str, colors: dict[str, str]) -> dict:
    """The x axis (labels in row order) and one colour per series value."""
    return {
        "x": alt.X(
            f"{x}:N", sort=list(dict.fromkeys(frame[x])), title=None, axis=alt.Axis(labelAngle=-40)
        ),
        "color": alt.Color(
            f"{series}:N", scale=alt.Scale(domain=list(colors), range=list(colors.values()))
        ),
    }


def bars(
    rows: Sequence[dict[str, Any]],
    *,
    x: str,
    y: str,
    series: str,
    colors: dict[str, str],
    title: str,
    unit: str,
    faded: str | None = None,
    height: int = 260,
) -> str:
    """Stacked bars of ``y`` per ``x`` label (in row order), one colour per ``series``
    value; bars where column ``faded`` is true are drawn lighter (a partial month)."""
    columns = [x, y, series] + ([faded] if faded else [])
    frame = _frame(rows, columns)
    encoding = {**_series(frame, x, series, colors), "y": _y(y, unit)}
    if faded:
        encoding["opacity"] = alt.condition(f"datum.{faded}", alt.value(0.45), alt.value(1.0))
    chart = alt.Chart(frame, title=title).mark_bar().encode(**encoding)
    return to_svg(chart.properties(width=WIDTH, height=height))


def lines(
    rows: Sequence[dict[str, Any]],
    *,
    x: str,
    y: str,
    series: str,
    colors: dict[str, str],
    title: str,
    unit: str,
    domain: tuple[float, float] | None = None,
    labels: str | None = None,
    height: int = 240,
) -> str:
    """Lines of ``y`` per ``x`` label (in row order), one per ``series`` value; ``labels``
    names a text column written next to each point (e.g. the sample size)."""
    columns = [x, y, series] + ([labels] if labels else [])
    frame = _frame(rows, columns)
    base = alt.Chart(frame, title=title).encode(
        **_series(frame, x, series, colors), y=_y(y, unit, domain=domain)
    )
    layers = [base.mark_line(point=True)]
    if labels:
        layers.append(base.mark_text(dy=-10, fontSize=10).encode(text=f"{labels}:N"))
    return to_svg(alt.layer(*layers).properties(width=WIDTH, height=height))


def hbars(
    rows: Sequence[dict[str, Any]],
    *,
    label: str,
    value: str,
    note: str,
    title: str,
    unit: str,
    color: str = TICKETING,
) -> str:
    """Horizontal bars of ``value`` per ``label`` (in row order), ``note`` written at the
    end of each bar."""
    frame = _frame(rows, [label, value, note])
    order = list(frame[label])
    base = alt.Chart(frame, title=title).encode(
        y=alt.Y(f"{label}:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
        x=alt.X(
            f"{value}:Q",
            title=UNIT_TITLES.get(unit, ""),
            axis=alt.Axis(format=AXIS_FORMATS.get(unit, ",.1f")),
        ),
    )
    chart = base.mark_bar(color=color) + base.mark_text(align="left", dx=4, fontSize=10).encode(
        text=f"{note}:N"
    )
    return to_svg(chart.properties(width=WIDTH - 220, height=22 * max(len(order), 1)))


def heatmap(
    rows: Sequence[dict[str, Any]],
    *,
    x: str,
    y: str,
    value: str,
    text: str,
    dashed: str,
    title: str,
) -> str:
    """A grid of ``value`` (0-1) per ``x`` and ``y`` label (in row order), ``text`` in each
    cell; cells where ``dashed`` is true get a dashed outline (a partial month)."""
    frame = _frame(rows, [x, y, value, text, dashed])
    base = alt.Chart(frame, title=title).encode(
        x=alt.X(f"{x}:O", title="months after the first purchase", axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{y}:N", sort=list(dict.fromkeys(frame[y])), title=None),
    )
    cells = base.mark_rect(strokeWidth=1.5).encode(
        color=alt.Color(
            f"{value}:Q",
            scale=alt.Scale(domain=[0, 1], scheme="blues"),
            legend=alt.Legend(format=".0%", title=None),
        ),
        stroke=alt.condition(f"datum.{dashed}", alt.value(GREY), alt.value(None)),
        strokeDash=alt.condition(f"datum.{dashed}", alt.value([3, 2]), alt.value([1, 0])),
    )
    labels = base.mark_text(fontSize=9).encode(
        text=f"{text}:N",
        color=alt.condition(f"datum.{value} > 0.55", alt.value("#ffffff"), alt.value("#1b2430")),
    )
    height = 18 * max(len(set(frame[y])), 1)
    return to_svg((cells + labels).properties(width=WIDTH - 120, height=height))
