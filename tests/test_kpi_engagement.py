"""Satisfaction, email engagement and email attribution on generated data, against the truth.

Expected figures come from the generator's clean survey answers, campaigns, events and
orders (``_truth/clean``), recomputed with pandas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest_kpi import kpi_warehouse, paris_date


@pytest.fixture(scope="session")
def kpi(tmp_path_factory):
    return kpi_warehouse(tmp_path_factory)


ATTRIBUTION_WINDOW = pd.Timedelta(days=5)  # dbt var attribution_window_days (default)
EVENT_COLUMNS = {
    "delivered": "delivered",
    "opened": "opened_human",
    "proxy_open": "proxy_opened",
    "click": "clicked",
    "unsubscribe": "unsubscribed",
    "hard_bounce": "hard_bounced",
    "soft_bounce": "soft_bounced",
    "spam": "spam",
}


def _scores(group: pd.DataFrame) -> dict:
    nps = group[group.survey == "nps"].score
    csat = group[group.survey == "csat"].score
    ces = group[group.survey == "ces"].score
    return {
        "responses": len(group),
        "nps_responses": len(nps),
        "promoters": int((nps >= 9).sum()),
        "passives": int(nps.between(7, 8).sum()),
        "detractors": int((nps <= 6).sum()),
        "nps": 100 * ((nps >= 9).sum() - (nps <= 6).sum()) / len(nps) if len(nps) else np.nan,
        "csat_responses": len(csat),
        "csat_satisfied": int((csat >= 4).sum()),
        "csat_pct": 100 * (csat >= 4).sum() / len(csat) if len(csat) else np.nan,
        "ces_responses": len(ces),
        "ces_mean": ces.mean() if len(ces) else np.nan,
    }


def test_satisfaction_equals_the_truth(kpi):
    answers = kpi.truth("survey_responses")
    answers = answers[answers.is_latest].copy()
    answers["month"] = paris_date(answers.answered_at_utc).dt.to_period("M").dt.to_timestamp()
    expected = {}
    for (touchpoint, month), group in answers.groupby(["touchpoint", "month"]):
        expected[(touchpoint, "month", month)] = _scores(group)
    for touchpoint, group in answers.groupby("touchpoint"):
        expected[(touchpoint, "overall", pd.NaT)] = _scores(group)
    for month, group in answers.groupby("month"):
        expected[("all", "month", month)] = _scores(group)
    expected[("all", "overall", pd.NaT)] = _scores(answers)

    actual = kpi.query("select * from marts.kpi_satisfaction")
    assert len(actual) == len(expected)
    for row in actual.itertuples(index=False):
        month = pd.NaT if pd.isna(row.month_start) else pd.Timestamp(row.month_start)
        want = expected[(row.touchpoint, row.period_type, month)]
        for column, value in want.items():
            got = getattr(row, column)
            assert (pd.isna(got) and pd.isna(value)) or got == pytest.approx(value), (
                row.touchpoint,
                row.period_type,
                month,
                column,
            )
    overall = expected[("all", "overall", pd.NaT)]
    assert overall["responses"] == kpi.expected["counts"]["survey_responses"]


def test_email_campaign_counts_are_unique_recipients_of_the_truth(kpi):
    events = kpi.truth("email_events")
    campaigns = kpi.truth("campaigns")
    counts = (
        events.groupby(["campaign_id", "event"])
        .contact_id.nunique()
        .unstack(fill_value=0)
        .rename(columns=EVENT_COLUMNS)
        .reindex(columns=list(EVENT_COLUMNS.values()), fill_value=0)
    )
    ids = sorted(set(campaigns.campaign_id) | set(events.campaign_id))
    expected = counts.reindex(ids, fill_value=0)
    expected.index = expected.index.astype(str)
    actual = kpi.query("select * from marts.kpi_email_campaigns").set_index("campaign_id")
    assert sorted(actual.index) == sorted(expected.index)
    actual = actual.loc[expected.index]
    for column in EVENT_COLUMNS.values():
        assert (actual[column] == expected[column]).all(), column
    # the exports deliver some events twice (same id): counted once all the same
    duplicates = kpi.query("select count(*) - count(distinct id) as n from raw.email_events")
    assert duplicates.n[0] > 0, "the generated exports should repeat some event ids"
    delivered = expected.delivered.replace(0, np.nan)
    for rate, numerator, denominator in [
        ("open_rate", expected.opened_human, delivered),
        ("click_rate", expected.clicked, delivered),
        ("click_to_open_rate", expected.clicked, expected.opened_human.replace(0, np.nan)),
        ("unsubscribe_rate", expected.unsubscribed, delivered),
        ("hard_bounce_rate", expected.hard_bounced, delivered),
        ("soft_bounce_rate", expected.soft_bounced, delivered),
        ("spam_rate", expected.spam, delivered),
    ]:
        assert np.allclose(actual[rate].astype(float), numerator / denominator, equal_nan=True), (
            rate
        )
    assert (actual.proxy_opened > 0).any(), "the data should contain proxy opens"


def test_revenue_goes_to_the_last_click_within_the_window(kpi):
    """Per purchase: the campaign of the buyer's last click in [t − 5 days, t]. Ticketing
    exports may drop the seconds of an order's time: a purchase with a click within a minute
    of either window edge is left out of the comparison."""
    events = kpi.truth("email_events")
    clicks = events[events.event == "click"].copy()
    clicks["fan_id"] = [kpi.fan_of.get(("email_contact", str(c))) for c in clicks.contact_id]
    clicks = clicks.dropna(subset=["fan_id"])
    clicks["event_key"] = clicks.event_id.astype(str)
    p = kpi.purchases
    p = p[p.is_counted & p.fan_id.notna()]
    joined = p.merge(clicks[["fan_id", "campaign_id", "event_key", "ts_event_utc"]], on="fan_id")
    lag = joined.purchased_at - joined.ts_event_utc
    near_edge = (joined.channel == "ticketing") & (
        (lag.abs() < pd.Timedelta(minutes=1))
        | ((lag - ATTRIBUTION_WINDOW).abs() < pd.Timedelta(minutes=1))
    )
    ambiguous = set(zip(joined[near_edge].channel, joined[near_edge].purchase_id, strict=True))
    inside = joined[(lag >= pd.Timedelta(0)) & (lag <= ATTRIBUTION_WINDOW)]
    last = (
        inside.sort_values(["ts_event_utc", "event_key"])
        .groupby(["channel", "purchase_id"])
        .tail(1)
    )
    expected = {
        (c, i): str(campaign)
        for c, i, campaign in zip(last.channel, last.purchase_id, last.campaign_id, strict=True)
        if (c, i) not in ambiguous
    }
    attributed = kpi.query(
        "select channel, purchase_id, campaign_id, net_amount_eur"
        " from intermediate.int_purchases_attributed"
    )
    actual = {
        (c, i): campaign
        for c, i, campaign in zip(
            attributed.channel, attributed.purchase_id, attributed.campaign_id, strict=True
        )
        if (c, i) not in ambiguous
    }
    assert actual == expected
    assert expected, "the generated data should contain attributed purchases"
    # the mart sums each campaign's attributed purchases
    per_campaign = attributed.groupby("campaign_id").net_amount_eur.sum()
    mart = kpi.query(
        "select campaign_id, attributed_revenue_eur, attributed_purchases"
        " from marts.kpi_email_campaigns where attributed_purchases > 0"
    ).set_index("campaign_id")
    assert sorted(mart.index) == sorted(per_campaign.index)
    assert (mart.attributed_revenue_eur == per_campaign.loc[mart.index]).all()
    assert mart.attributed_purchases.sum() == len(attributed)
