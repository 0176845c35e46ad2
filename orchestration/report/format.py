"""How figures are written on the page (the figures themselves come from the marts)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

NONE = "–"


def _num(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def fmt_int(value: Any) -> str:
    number = _num(value)
    return NONE if number is None else f"{number:,.0f}"


def fmt_eur(value: Any, decimals: int = 0) -> str:
    number = _num(value)
    return NONE if number is None else f"€{number:,.{decimals}f}"


def fmt_pct(value: Any, decimals: int = 1) -> str:
    """A 0-1 ratio as a percentage."""
    number = _num(value)
    return NONE if number is None else f"{100 * number:.{decimals}f} %"


def fmt_num(value: Any, decimals: int = 1) -> str:
    number = _num(value)
    return NONE if number is None else f"{number:,.{decimals}f}"


def fmt_unit(value: Any, unit: str) -> str:
    """A headline value in its unit (kpi_report_headline.figure_unit)."""
    if unit == "eur":
        return fmt_eur(value)
    if unit == "rate":
        return fmt_pct(value, 0)
    if unit == "fans":
        return fmt_int(value)
    return fmt_num(value, 0 if abs(_num(value) or 0) >= 10 else 2)


def month_label(day: dt.date | None, complete: bool = True) -> str:
    if day is None:
        return NONE
    return day.strftime("%b %Y") + ("" if complete else " (to date)")


def date_label(day: dt.date | None) -> str:
    return NONE if day is None else day.isoformat()
