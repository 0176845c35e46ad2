"""Consent, reach and multichannel activity on generated data, against the truth.

The truth knows the email tool's blacklist and every purchase and email event, not the
ticketing and Shopify opt-in flags: those measures are covered by the dbt unit tests
(models/intermediate/kpi/_kpi__models.yml, models/marts/kpi/_kpi__models.yml).
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest_kpi import kpi_warehouse, paris_date

ACTIVITY_MONTHS = 12  # dbt var kpi_activity_window_months (default)


@pytest.fixture(scope="session")
def kpi(tmp_path_factory):
    return kpi_warehouse(tmp_path_factory)


@pytest.fixture(scope="module")
def reach(kpi):
    return kpi.query("select * from marts.kpi_consent_reach").set_index("metric")


def _fans(kpi, record_type: str, ids) -> set[str]:
    found = (kpi.fan_of.get((record_type, str(i))) for i in ids)
    return {fan for fan in found if fan is not None}


def test_fans_reachable_by_email_equal_the_truths_contacts(kpi, reach):
    contacts = kpi.truth("contacts")
    reachable = _fans(kpi, "email_contact", contacts[~contacts.email_blacklisted].contact_id)
    # people only: unlinked attendees (a holder's name tied to no one) are not in fan bases
    fans = kpi.query(
        "select count(*) as n from marts.dim_fan where identity_confidence = 'identified'"
    ).n[0]
    row = reach.loc["reachable_by_email"]
    assert row.fans == len(reachable)
    assert row.base_fans == fans
    assert row.rate == pytest.approx(len(reachable) / fans)
    with_contact = _fans(kpi, "email_contact", contacts.contact_id)
    assert reach.loc["email_tool_email_optin"].fans == len(reachable)
    assert reach.loc["email_tool_email_optin"].base_fans == len(with_contact)


def test_channel_activity_and_multichannel_share_equal_the_truth(kpi, reach):
    as_of = kpi.as_of
    start = as_of - pd.DateOffset(months=ACTIVITY_MONTHS)
    p = kpi.purchases
    p = p[p.is_counted & p.fan_id.notna() & (p.purchase_date > start) & (p.purchase_date <= as_of)]
    ticketing = set(p[p.channel == "ticketing"].fan_id)
    shop = set(p[p.channel == "shop"].fan_id)
    events = kpi.truth("email_events")
    events = events[events.event.isin(["opened", "click"])]
    day = paris_date(events.ts_event_utc)
    email = _fans(kpi, "email_contact", events[(day > start) & (day <= as_of)].contact_id)
    active = ticketing | shop | email
    several = {f for f in active if (f in ticketing) + (f in shop) + (f in email) >= 2}
    for metric, fans in [
        ("active_in_ticketing", ticketing),
        ("active_in_shop", shop),
        ("active_in_email", email),
        ("multichannel", several),
    ]:
        assert reach.loc[metric].fans == len(fans), metric
        assert reach.loc[metric].base_fans == len(active), metric
    assert 0 < len(several) < len(active)


def test_every_measure_is_a_share_of_its_base(reach):
    assert len(reach) == 12
    assert ((reach.fans >= 0) & (reach.fans <= reach.base_fans)).all()
    assert (reach.rate.between(0, 1)).all()
