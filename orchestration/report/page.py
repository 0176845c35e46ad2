"""The report page: each section lays out rows of its marts (charts, tables, tiles) and the
Jinja2 template (``templates/report.html.j2``) writes the page. Nothing here adds, divides
or averages a figure: each one is a column of a mart, and the README's table says which."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jinja2

from orchestration.report import charts
from orchestration.report.format import (
    date_label,
    fmt_eur,
    fmt_int,
    fmt_num,
    fmt_pct,
    fmt_unit,
    month_label,
)
from orchestration.report.marts import Marts

CHANNELS = {"Ticketing": charts.TICKETING, "Shop": charts.SHOP}
CHANNEL_NAMES = {"ticketing": "Ticketing", "shop": "Shop", "all": "All channels"}
RECENT_COHORTS = 18
LATEST_CAMPAIGNS = 12


@dataclass
class Table:
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    text_columns: int = 1
    collapsed: bool = False  # a chart's figures, under "Figures"


@dataclass
class Block:
    heading: str = ""
    svg: str = ""
    table: Table | None = None
    note: str = ""


@dataclass
class Section:
    anchor: str
    title: str
    definition: str
    tables: Sequence[str]  # the marts it reads
    blocks: list[Block] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _headline(marts: Marts) -> list[dict[str, str]]:
    tiles = []
    for row in marts.rows("kpi_report_headline"):
        unit, sample = row["figure_unit"], row["sample_label"]
        notes = [row["basis"]]
        if row["sample_size"] is not None:
            notes.append(f"{fmt_int(row['sample_size'])} {sample}")
        if row["share_of_sample"] is not None:
            notes.append(f"{fmt_pct(row['share_of_sample'])} of {sample}")
        comparison = ""
        if row["comparison_basis"] is not None:
            comparison = f"{row['comparison_basis']}: {fmt_unit(row['comparison_value'], unit)}"
        tiles.append(
            {
                "label": row["figure_label"],
                "value": fmt_unit(row["figure_value"], unit),
                "note": " · ".join(notes),
                "comparison": comparison,
            }
        )
    return tiles


def _sales(marts: Marts) -> list[Block]:
    monthly = marts.rows("kpi_sales_monthly")
    for row in monthly:
        row["month"] = month_label(row["month_start"], row["is_complete_month"])
        row["channel_name"] = CHANNEL_NAMES[row["channel"]]
        row["partial"] = not row["is_complete_month"]
    by_channel = [r for r in monthly if r["channel"] != "all"]
    everyone = [r for r in monthly if r["channel"] == "all"]
    buyers = [
        {**r, "kind": kind, "buyers_of_kind": r[column]}
        for r in everyone
        for kind, column in (("New buyers", "new_buyers"), ("Returning", "returning_buyers"))
    ]
    return [
        Block(
            svg=charts.bars(
                by_channel,
                x="month",
                y="net_revenue_eur",
                series="channel_name",
                colors=CHANNELS,
                faded="partial",
                title="Net revenue by month and channel (EUR; the month to date is lighter)",
                unit="eur",
            ),
            table=Table(
                ["Month", "Channel", "Orders", "Buyers", "New", "Net revenue", "Repeat rate"],
                [
                    [
                        r["month"],
                        r["channel_name"],
                        fmt_int(r["orders"]),
                        fmt_int(r["buyers"]),
                        fmt_int(r["new_buyers"]),
                        fmt_eur(r["net_revenue_eur"]),
                        fmt_pct(r["repeat_purchase_rate"]),
                    ]
                    for r in monthly
                ],
                text_columns=2,
                collapsed=True,
            ),
        ),
        Block(
            heading="Buyers",
            svg=charts.bars(
                buyers,
                x="month",
                y="buyers_of_kind",
                series="kind",
                colors={"New buyers": charts.GREEN, "Returning": charts.GREY},
                faded="partial",
                title="Buyers by month: new and returning (any channel)",
                unit="count",
            ),
        ),
        Block(
            heading="Repeat purchase",
            svg=charts.lines(
                monthly,
                x="month",
                y="repeat_purchase_rate",
                series="channel_name",
                colors={**CHANNELS, "All channels": charts.GREEN},
                title="Repeat-purchase rate by month (buyers with 2+ purchases in the month)",
                unit="rate",
            ),
        ),
        Block(
            heading="This season against the same day last season",
            table=Table(
                ["Season", "Up to", "Channel", "Orders", "Buyers", "Net revenue"],
                [
                    [
                        r["season"],
                        date_label(r["cut_off_date"]),
                        CHANNEL_NAMES[r["channel"]],
                        fmt_int(r["orders"]),
                        fmt_int(r["buyers"]),
                        fmt_eur(r["net_revenue_eur"]),
                    ]
                    for r in marts.rows("kpi_sales_season_to_date")
                ],
                text_columns=3,
            ),
        ),
        Block(
            heading="Whole seasons",
            table=Table(
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
                        CHANNEL_NAMES[r["channel"]],
                        fmt_int(r["orders"]),
                        fmt_int(r["buyers"]),
                        fmt_int(r["new_buyers"]),
                        fmt_eur(r["net_revenue_eur"]),
                        fmt_eur(r["average_basket_eur"], 2),
                        fmt_pct(r["repeat_purchase_rate"]),
                        fmt_num(r["average_days_between_purchases"], 0),
                    ]
                    for r in marts.rows("kpi_sales_season")
                ],
                text_columns=2,
            ),
        ),
    ]


def _attendance(marts: Marts) -> list[Block]:
    played = marts.rows("kpi_match_attendance", is_played=True)
    if not played:
        return [Block(note="No home match played yet.")]
    for row in played:
        row["match"] = f"{row['match_date']:%d/%m/%y} {row['opponent'] or ''}".strip()
    tickets = [
        {"match": r["match"], "kind": kind, "tickets": r[column]}
        for r in played
        for kind, column in (("Attended", "attended_tickets"), ("No-show", "no_show_tickets"))
    ]
    rates = [
        {"match": r["match"], "measure": measure, "rate": r[column]}
        for r in played
        for measure, column in (
            ("No-show rate", "no_show_rate"),
            ("Season-pass usage", "season_pass_usage_rate"),
        )
    ]
    return [
        Block(
            svg=charts.bars(
                tickets,
                x="match",
                y="tickets",
                series="kind",
                colors={"Attended": charts.TICKETING, "No-show": charts.RED},
                title="Home matches: tickets attended and no-shows",
                unit="count",
                height=300,
            ),
            table=Table(
                ["Match", "Valid", "Attended", "No-show", "No-show rate", "Passes used"],
                [
                    [
                        r["match"],
                        fmt_int(r["valid_tickets"]),
                        fmt_int(r["attended_tickets"]),
                        fmt_int(r["no_show_tickets"]),
                        fmt_pct(r["no_show_rate"]),
                        fmt_pct(r["season_pass_usage_rate"]),
                    ]
                    for r in played
                ],
                collapsed=True,
            ),
        ),
        Block(
            svg=charts.lines(
                rates,
                x="match",
                y="rate",
                series="measure",
                colors={"No-show rate": charts.RED, "Season-pass usage": charts.GREEN},
                title="No-show rate and season-pass usage per home match",
                unit="rate",
                domain=(0, 1),
            )
        ),
        Block(
            heading="By price category (matches played)",
            table=Table(
                ["Price category", "Matches", "Valid tickets", "No-shows", "No-show rate"],
                [
                    [
                        r["price_category"],
                        fmt_int(r["matches"]),
                        fmt_int(r["valid_tickets"]),
                        fmt_int(r["no_show_tickets"]),
                        fmt_pct(r["no_show_rate"]),
                    ]
                    for r in marts.rows("kpi_attendance_by_price_category")
                ],
            ),
        ),
    ]


def _satisfaction(marts: Marts) -> list[Block]:
    monthly = marts.rows("kpi_satisfaction", touchpoint="all", period_type="month")
    if not monthly:
        return [Block(note="No survey answer yet.")]
    for row in monthly:
        row["month"] = month_label(row["month_start"])
        row["nps_sample"] = f"n={fmt_int(row['nps_responses'])}"
        row["measure"] = "all touchpoints"
    overall = sorted(
        marts.rows("kpi_satisfaction", period_type="overall"),
        key=lambda r: (r["touchpoint"] == "all", r["touchpoint"]),
    )
    series = {"all touchpoints": charts.TICKETING}
    return [
        Block(
            table=Table(
                ["Touchpoint", "NPS", "NPS answers", "CSAT", "CSAT answers", "CES", "CES answers"],
                [
                    [
                        r["touchpoint"],
                        fmt_num(r["nps"], 0),
                        fmt_int(r["nps_responses"]),
                        f"{fmt_num(r['csat_pct'], 0)} %",
                        fmt_int(r["csat_responses"]),
                        fmt_num(r["ces_mean"], 2),
                        fmt_int(r["ces_responses"]),
                    ]
                    for r in overall
                ],
            )
        ),
        Block(
            svg=charts.lines(
                monthly,
                x="month",
                y="nps",
                series="measure",
                colors=series,
                labels="nps_sample",
                title="NPS by month (−100 to 100), with the answers behind each point",
                unit="score",
                domain=(-100, 100),
            )
        ),
        Block(
            svg=charts.lines(
                monthly,
                x="month",
                y="csat_pct",
                series="measure",
                colors={"all touchpoints": charts.SHOP},
                title="CSAT by month (% of 4-5 answers)",
                unit="score",
                domain=(0, 100),
                height=200,
            )
        ),
        Block(
            svg=charts.lines(
                monthly,
                x="month",
                y="ces_mean",
                series="measure",
                colors={"all touchpoints": charts.GREEN},
                title="CES by month (mean score, 1 = least effort)",
                unit="score",
                domain=(1, 5),
                height=200,
            )
        ),
    ]


def _email(marts: Marts) -> list[Block]:
    monthly = marts.rows("kpi_email_monthly")
    rates = [
        {
            "month": month_label(r["month_start"], r["is_complete_month"]),
            "measure": measure,
            "rate": r[column],
        }
        for r in monthly
        for measure, column in (
            ("Open rate (human)", "open_rate"),
            ("Click rate", "click_rate"),
            ("Click-to-open", "click_to_open_rate"),
        )
    ]
    latest = marts.rows("kpi_email_campaigns")[:LATEST_CAMPAIGNS]
    return [
        Block(
            svg=charts.lines(
                rates,
                x="month",
                y="rate",
                series="measure",
                colors={
                    "Open rate (human)": charts.TICKETING,
                    "Click rate": charts.SHOP,
                    "Click-to-open": charts.GREEN,
                },
                title="Email engagement by month of send (unique recipients)",
                unit="rate",
            ),
            table=Table(
                ["Month", "Campaigns", "Delivered", "Open rate", "Click rate", "CTOR"],
                [
                    [
                        month_label(r["month_start"], r["is_complete_month"]),
                        fmt_int(r["campaigns"]),
                        fmt_int(r["delivered"]),
                        fmt_pct(r["open_rate"]),
                        fmt_pct(r["click_rate"]),
                        fmt_pct(r["click_to_open_rate"]),
                    ]
                    for r in monthly
                ],
                collapsed=True,
            ),
        ),
        Block(
            heading="Latest campaigns",
            table=Table(
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
                        date_label(r["sent_date"]),
                        r["campaign_name"],
                        r["campaign_type"],
                        fmt_int(r["delivered"]),
                        fmt_pct(r["open_rate"]),
                        fmt_pct(r["click_rate"]),
                        fmt_pct(r["click_to_open_rate"]),
                        fmt_int(r["unsubscribed"]),
                        fmt_eur(r["attributed_revenue_eur"]),
                    ]
                    for r in latest
                ],
                text_columns=3,
            ),
        ),
    ]


def _retention(marts: Marts) -> list[Block]:
    rows = marts.rows("kpi_cohort_retention")
    cohorts = sorted({r["cohort_month"] for r in rows})[-RECENT_COHORTS:]
    shown = [r for r in rows if r["cohort_month"] in cohorts]
    for row in shown:
        row["cohort"] = f"{month_label(row['cohort_month'])} ({fmt_int(row['cohort_size'])})"
        row["percent"] = fmt_pct(row["retention_rate"], 0).removesuffix(" %")
        row["partial"] = not row["is_complete_month"]
    latest = {r["cohort_month"]: r for r in shown}  # rows come in month order: the last wins
    return [
        Block(
            svg=charts.heatmap(
                shown,
                x="months_since_first_purchase",
                y="cohort",
                value="retention_rate",
                text="percent",
                dashed="partial",
                title="% of each cohort (fans) buying again k months after the first purchase",
            ),
            note="k = 0 is the month of the first purchase; a dashed cell is the current,"
            " partial month.",
        ),
        Block(
            heading="Churn per cohort, now",
            table=Table(
                ["Cohort", "Fans", "Churned now", "Churn rate"],
                [
                    [
                        month_label(r["cohort_month"]),
                        fmt_int(r["cohort_size"]),
                        fmt_int(r["churned_fans"]),
                        fmt_pct(r["churn_rate"]),
                    ]
                    for r in latest.values()
                ],
            ),
        ),
    ]


SEGMENTATIONS = {
    "rfm_segment": "RFM segments (buying fans)",
    "loyalty_tier": "Loyalty tiers",
    "season_ticket_churn_risk": "Season-ticket holders by churn risk (this season)",
}


def _segments(marts: Marts) -> list[Block]:
    blocks = []
    for kind, title in SEGMENTATIONS.items():
        rows = marts.rows("kpi_segment_sizes", segment_type=kind)
        for row in rows:
            row["note"] = f"{fmt_int(row['fans'])} · {fmt_pct(row['share_of_fans'])}"
        if rows:
            blocks.append(
                Block(
                    svg=charts.hbars(
                        rows, label="segment", value="fans", note="note", title=title, unit="count"
                    )
                )
            )
    blocks.append(
        Block(
            heading="ABC classes (Pareto on net revenue)",
            table=Table(
                ["Class", "Fans", "Share of fans", "Net revenue", "Share of revenue"],
                [
                    [
                        r["segment"],
                        fmt_int(r["fans"]),
                        fmt_pct(r["share_of_fans"]),
                        fmt_eur(r["net_revenue_eur"]),
                        fmt_pct(r["share_of_net_revenue"]),
                    ]
                    for r in marts.rows("kpi_segment_sizes", segment_type="abc_class")
                ],
            ),
        )
    )
    moves = marts.rows("kpi_segment_movements")
    blocks.append(
        Block(
            heading="Moves between segments (recent days)",
            table=Table(
                ["Dimension", "From", "To", "Direction", "Fans", "Last moved"],
                [
                    [
                        r["dimension"],
                        r["from_value"],
                        r["to_value"],
                        r["direction"] or "",
                        fmt_int(r["fans"]),
                        date_label(r["last_moved_on"]),
                    ]
                    for r in moves
                ],
                text_columns=4,
            )
            if moves
            else None,
            note="" if moves else "No fan changed segment in the window yet.",
        )
    )
    return blocks


def _audiences(marts: Marts) -> list[Block]:
    return [
        Block(
            table=Table(
                ["Audience", "Channel", "For", "Fans"],
                [
                    [r["audience"], r["channel"], r["description"], fmt_int(r["fans"])]
                    for r in marts.rows("kpi_audience_sizes")
                ],
                text_columns=3,
            )
        )
    ]


REACH_LABELS = {
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


def _reach(marts: Marts) -> list[Block]:
    rows = {r["metric"]: r for r in marts.rows("kpi_consent_reach")}
    items = [
        {
            "label": label,
            "rate": rows[metric]["rate"],
            "note": f"{fmt_pct(rows[metric]['rate'])} ({fmt_int(rows[metric]['fans'])} of "
            f"{fmt_int(rows[metric]['base_fans'])})",
        }
        for metric, label in REACH_LABELS.items()
        if metric in rows
    ]
    return [
        Block(
            svg=charts.hbars(
                items,
                label="label",
                value="rate",
                note="note",
                title="Opt-in rates, reach and multichannel share",
                unit="rate",
            )
        )
    ]


def _clv(marts: Marts) -> list[Block]:
    segments = marts.rows("kpi_clv_segments", segment_type="rfm_segment")
    for row in segments:
        row["note"] = f"{fmt_eur(row['average_clv_eur'])} · {fmt_int(row['fans'])} fans"
    other = [
        r
        for r in marts.rows("kpi_clv_segments")
        if r["segment_type"] in ("all", "channel_mix", "churn_status")
    ]
    return [
        Block(
            svg=charts.hbars(
                segments,
                label="segment",
                value="average_clv_eur",
                note="note",
                title="Average historical CLV per RFM segment (EUR)",
                unit="eur",
            )
        ),
        Block(
            table=Table(
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
                text_columns=2,
            )
        ),
    ]


def _quality(marts: Marts) -> list[Block]:
    checks = marts.checks
    blocks = [
        Block(
            table=Table(
                [
                    "Tool",
                    "Export",
                    "Files loaded",
                    "Refused",
                    "Newest export",
                    "Days behind",
                    "Rows loaded",
                    "Quarantined",
                    "Quarantine rate",
                ],
                [
                    [
                        r["source_tool"],
                        r["file_type"],
                        fmt_int(r["files_loaded"]),
                        fmt_int(r["files_refused"]),
                        date_label(r["newest_export_date"]),
                        fmt_int(r["days_behind_as_of"]),
                        fmt_int(r["rows_loaded"]),
                        fmt_int(r["rows_quarantined"]),
                        fmt_pct(r["quarantine_rate"], 2),
                    ]
                    for r in marts.rows("kpi_data_freshness")
                ],
                text_columns=2,
            )
        )
    ]
    if checks:
        warned, failed = checks.get("warned", []), checks.get("failed", [])
        blocks.append(
            Block(
                heading="Checks of this run",
                note=f"{checks.get('passed', 0)} passed, {len(warned)} warned, "
                f"{len(failed)} failed (a failure stops the publish).",
                table=Table(["Warned", ""], [[w, ""] for w in warned]) if warned else None,
            )
        )
    return blocks


# (anchor, title, definition, marts read, builder)
SECTIONS: Sequence[tuple[str, str, str, Sequence[str], Callable[..., list[Block]]]] = (
    (
        "sales",
        "Sales",
        "Net revenue = totals paid − refunds, EUR, by business date (club time zone). New"
        " buyers: first purchase ever (any channel) in the period; repeat-purchase rate:"
        " buyers with 2+ purchases in the period ÷ buyers.",
        ("kpi_sales_monthly", "kpi_sales_season_to_date", "kpi_sales_season"),
        _sales,
    ),
    (
        "attendance",
        "Attendance",
        "Valid tickets: single and hospitality tickets of the match plus season passes of"
        " its season; attended: tickets with an ok scan; no-show rate: valid tickets never"
        " scanned ok ÷ valid tickets.",
        ("kpi_match_attendance", "kpi_attendance_by_price_category"),
        _attendance,
    ),
    (
        "satisfaction",
        "Satisfaction",
        "Latest answer per campaign, person and survey. NPS = % of 9-10 − % of 0-6;"
        " CSAT = % of 4-5; CES = mean of 1-5 (lower is better).",
        ("kpi_satisfaction",),
        _satisfaction,
    ),
    (
        "email",
        "Email engagement",
        "Unique recipients per event after duplicate events are removed; proxy opens are not"
        " human opens. Rates over delivered; revenue: purchases within the attribution window"
        " (var attribution_window_days) of the buyer's last click.",
        ("kpi_email_monthly", "kpi_email_campaigns"),
        _email,
    ),
    (
        "retention",
        "Cohort retention",
        "Fans grouped by the month of their first purchase; each cell is the share of the"
        " cohort buying in the k-th month after.",
        ("kpi_cohort_retention",),
        _retention,
    ),
    (
        "segments",
        "Fan segments",
        "RFM segments, loyalty tiers, ABC classes and season-ticket churn risk as of the run;"
        " moves: fans changing segment over the last days (var report_movement_days).",
        ("kpi_segment_sizes", "kpi_segment_movements"),
        _segments,
    ),
    (
        "audiences",
        "Audiences ready for activation",
        "Fans with consent granted on the channel, per audience (seeds/activation_audiences.csv);"
        " the marketing tool reads the members from marts.fan_audiences.",
        ("kpi_audience_sizes",),
        _audiences,
    ),
    (
        "reach",
        "Consent and reach",
        "Opt-in as each tool records it; reachable = a contact not blacklisted in the email"
        " tool; active = a purchase, or a human open or click, in the activity window"
        " (var kpi_activity_window_months).",
        ("kpi_consent_reach",),
        _reach,
    ),
    (
        "clv",
        "Customer lifetime value (historical)",
        "Net revenue per buying fan to date, averaged per segment. Predictive CLV is not computed.",
        ("kpi_clv_segments",),
        _clv,
    ),
    (
        "quality",
        "Data freshness and quality",
        "Files of each export loaded and refused, the newest export date against the as-of"
        " date, and rows quarantined with their reason (raw._quarantine) rather than lost.",
        ("kpi_data_freshness",),
        _quality,
    ),
)


def sections(marts: Marts) -> list[Section]:
    built = []
    for anchor, title, definition, tables, builder in SECTIONS:
        section = Section(anchor, title, definition, tables)
        section.missing = [t for t in tables if t in marts.missing]
        if not section.missing:
            section.blocks = builder(marts)
        built.append(section)
    return built


_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("orchestration.report", "templates"),
    autoescape=True,  # every value from an export is text on the page, never markup
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


def as_of_date(marts: Marts, manifest: dict[str, Any]) -> str | None:
    """The run's as-of date as the marts carry it (int_run_as_of_resolved), else as the
    publish manifest recorded it."""
    headline = marts.rows("kpi_report_headline")
    return headline[0]["as_of_date"].isoformat() if headline else manifest.get("as_of")


def render(
    marts: Marts,
    manifest: dict[str, Any],
    *,
    title: str,
    docs_file: str | None,
    data_docs_file: str | None = None,
) -> str:
    return _TEMPLATES.get_template("report.html.j2").render(
        title=title,
        as_of=as_of_date(marts, manifest),
        published_at=manifest.get("published_at", ""),
        run_id=manifest.get("run_id", ""),
        docs_file=docs_file,
        data_docs_file=data_docs_file,
        tiles=_headline(marts),
        headline_missing="kpi_report_headline" in marts.missing,
        sections=sections(marts),
    )
