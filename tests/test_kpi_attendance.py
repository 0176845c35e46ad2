"""Match attendance on generated data, against the truth (clean matches, tickets, scans)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest_kpi import kpi_warehouse


@pytest.fixture(scope="session")
def kpi(tmp_path_factory):
    return kpi_warehouse(tmp_path_factory)


@pytest.fixture(scope="module")
def admissions(kpi):
    """(home match, ticket) pairs of the truth: single and hospitality tickets of the match,
    season passes of its season; with validity today and an ok scan at that match."""
    matches = kpi.truth("matches")
    home = matches[matches.home_away == "D"]
    tickets = kpi.truth("tickets").merge(
        kpi.truth("ticket_orders")[["order_id", "status"]].rename(
            columns={"status": "order_status"}
        ),
        on="order_id",
    )
    tickets["is_valid"] = (tickets.status == "valid") & (tickets.order_status == "paid")
    per_match = home[["match_id"]].merge(
        tickets[tickets.product_type != "season_pass"], on="match_id"
    )
    passes = home[["match_id", "season"]].merge(
        tickets[tickets.product_type == "season_pass"].drop(columns=["match_id"]), on="season"
    )
    pairs = pd.concat([per_match, passes], ignore_index=True)
    scans = kpi.truth("access_scans")
    ok = scans[scans.result == "ok"][["match_id", "ticket_id"]].drop_duplicates()
    ok["is_attended"] = True
    pairs = pairs.merge(ok, on=["match_id", "ticket_id"], how="left")
    pairs["is_attended"] = pairs.is_attended.fillna(False).astype(bool)
    return home, pairs, tickets, scans, ok


def test_match_attendance_equals_the_truth(kpi, admissions):
    home, pairs, _tickets, scans, ok = admissions
    as_of = kpi.as_of
    valid = pairs[pairs.is_valid]
    expected = pd.DataFrame(
        {"match_date": pd.to_datetime(home.match_date).values}, index=home.match_id
    )
    expected["is_played"] = (expected.match_date < as_of) | expected.index.isin(scans.match_id)
    expected["valid_tickets"] = valid.groupby("match_id").size()
    for product, column in [
        ("single", "single_tickets"),
        ("hospitality", "hospitality_tickets"),
        ("season_pass", "season_pass_tickets"),
    ]:
        expected[column] = valid[valid.product_type == product].groupby("match_id").size()
    expected["attended_tickets"] = ok.groupby("match_id").ticket_id.nunique()
    attended_valid = valid[valid.is_attended].groupby("match_id").size()
    expected = expected.fillna(0)
    expected["no_show_tickets"] = expected.valid_tickets - attended_valid.reindex(
        expected.index
    ).fillna(0)
    expected["no_show_rate"] = expected.no_show_tickets / expected.valid_tickets
    used = (
        valid[valid.is_attended & (valid.product_type == "season_pass")].groupby("match_id").size()
    )
    expected["season_passes_used"] = used.reindex(expected.index).fillna(0)
    expected["season_pass_usage_rate"] = expected.season_passes_used / expected.season_pass_tickets
    for column in [
        "no_show_tickets",
        "no_show_rate",
        "season_passes_used",
        "season_pass_usage_rate",
    ]:
        expected.loc[~expected.is_played, column] = np.nan

    actual = kpi.query("select * from marts.kpi_match_attendance").set_index("match_id")
    assert sorted(actual.index) == sorted(expected.index)
    actual = actual.loc[expected.index]
    assert (actual.is_played == expected.is_played).all()
    for column in expected.columns.drop(["match_date", "is_played"]):
        assert np.allclose(
            actual[column].astype(float), expected[column].astype(float), equal_nan=True
        ), column
    assert expected.is_played.any() and (~expected.is_played).any()
    # tickets refunded after the match were scanned in: attended counts them, no-show does not
    assert (actual.attended_tickets > actual.valid_tickets - actual.no_show_tickets).any()


def test_attendance_by_price_category_equals_the_truth(kpi, admissions):
    _home, pairs, tickets, _scans, ok = admissions
    valid = pairs[pairs.is_valid]
    expected = pd.DataFrame(
        {
            # one row per category with an admitting ticket, valid today or not
            "valid_tickets": pairs.groupby(["match_id", "price_category"]).is_valid.sum(),
            "no_show": valid[~valid.is_attended].groupby(["match_id", "price_category"]).size(),
        }
    )
    attended = ok.merge(tickets[["ticket_id", "price_category"]], on="ticket_id")
    attended = attended[attended.match_id.isin(pairs.match_id)]
    expected["attended_tickets"] = attended.groupby(
        ["match_id", "price_category"]
    ).ticket_id.nunique()
    expected = expected.fillna(0)
    actual = kpi.query("select * from marts.kpi_match_attendance_by_category").set_index(
        ["match_id", "price_category"]
    )
    assert sorted(actual.index) == sorted(expected.index)
    actual = actual.loc[expected.index]
    assert (actual.valid_tickets == expected.valid_tickets).all()
    assert (actual.attended_tickets == expected.attended_tickets).all()
    played = actual.is_played
    assert (actual.no_show_tickets[played] == expected.no_show[played]).all()
    assert actual.no_show_tickets[~played].isna().all()
