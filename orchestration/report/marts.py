"""What the report reads: each table of the published file's ``marts`` schema it lays out,
in display order. Every figure is computed in its dbt model (``dbt_project/models/marts/``);
this module only selects rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestration.settings import connect_duckdb

SCHEMA = "marts"
Row = dict[str, Any]

# table -> the order its rows are shown in
ORDER_BY = {
    "kpi_report_headline": "figure_order",
    "kpi_sales_monthly": "month_start, channel",
    "kpi_sales_season": "season, channel",
    "kpi_sales_season_to_date": "is_current_season desc, channel",
    "kpi_match_attendance": "match_date, match_id",
    "kpi_attendance_by_price_category": "price_category",
    "kpi_satisfaction": "touchpoint, period_type, month_start",
    "kpi_email_monthly": "month_start",
    "kpi_email_campaigns": "sent_at desc nulls last, campaign_id",
    "kpi_cohort_retention": "cohort_month, months_since_first_purchase",
    "kpi_segment_sizes": "segment_type, segment_order, segment",
    "kpi_segment_movements": "dimension, fans desc, from_value, to_value",
    "kpi_audience_sizes": "audience, channel",
    "kpi_consent_reach": "metric",
    "kpi_clv_segments": "segment_type, average_clv_eur desc, segment",
    "kpi_data_freshness": "source_tool, file_type",
}


@dataclass
class Marts:
    """The report's tables, as lists of dicts (small: one row per month, match, campaign,
    segment, cohort cell...), and the ones the published file lacks."""

    tables: dict[str, list[Row]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)  # the run's, from the publish manifest

    def rows(self, table: str, **equal: Any) -> list[Row]:
        """The rows of ``table`` whose columns equal the given values."""
        return [
            row
            for row in self.tables.get(table, [])
            if all(row.get(column) == value for column, value in equal.items())
        ]


def load(database: Path, checks: dict[str, Any] | None = None) -> Marts:
    marts = Marts(checks=dict(checks or {}))
    with connect_duckdb(database, read_only=True) as con:
        con.execute("SET enable_progress_bar = false")
        present = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [SCHEMA],
            ).fetchall()
        }
        for table, order in ORDER_BY.items():
            if table not in present:
                marts.missing.append(table)
                continue
            cursor = con.execute(f"select * from {SCHEMA}.{table} order by {order}")
            names = [d[0] for d in cursor.description]
            marts.tables[table] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return marts
