"""Sales rollups, repeat purchase, cohorts and CLV on generated data, against the truth.

Expected figures are recomputed with pandas from the generator's clean orders
(``_truth/clean/*orders.parquet``), with the contract's revenue rules and the warehouse's
fan of each order (tests/conftest_kpi.py), never from the SQL under test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest_kpi import kpi_warehouse, season_of


@pytest.fixture(scope="session")
def kpi(tmp_path_factory):
    return kpi_warehouse(tmp_path_factory)


CHURN_MONTHS = 12  # dbt var kpi_churn_months (default)


def _period(frame: pd.DataFrame, period: str) -> pd.Series:
    if period == "month":
        return frame.purchase_date.dt.to_period("M").dt.to_timestamp()
    return season_of(frame.purchase_date)


def expected_rollup(purchases: pd.DataFrame, period: str) -> pd.DataFrame:
    """kpi_sales_monthly / kpi_sales_season from the truth (see their definitions)."""
    p = purchases.copy()
    p["period"] = _period(p, period)
    counted = p[p.is_counted & p.fan_id.notna()].copy()
    first = counted.groupby("fan_id").purchase_date.min()
    counted["first_period"] = _period(
        pd.DataFrame({"purchase_date": counted.fan_id.map(first)}), period
    )
    counted = counted.sort_values(["purchased_at", "channel", "purchase_id"])
    counted["gap_all"] = counted.groupby("fan_id").purchase_date.diff().dt.days
    counted["gap_channel"] = counted.groupby(["fan_id", "channel"]).purchase_date.diff().dt.days
    rows = []
    for channel in ("ticketing", "shop", "all"):
        scope_all = p if channel == "all" else p[p.channel == channel]
        scope = counted if channel == "all" else counted[counted.channel == channel]
        gap = "gap_all" if channel == "all" else "gap_channel"
        for key, group in scope_all.groupby("period"):
            c = scope[scope.period == key]
            buyers = c.fan_id.nunique()
            per_fan = c.groupby("fan_id").size()
            orders = int(group.is_counted.sum())
            rows.append(
                {
                    "period": key,
                    "channel": channel,
                    "orders": orders,
                    "buyers": buyers,
                    "new_buyers": c[c.first_period == key].fan_id.nunique(),
                    "gross_revenue_eur": round(group.gross.sum(), 2),
                    "refunds_eur": round(group.refunded.sum(), 2),
                    "net_revenue_eur": round(group.net.sum(), 2),
                    "repeat_buyers": int((per_fan >= 2).sum()),
                    "repeat_purchase_rate": (per_fan >= 2).sum() / buyers if buyers else np.nan,
                    "purchases_per_buyer": len(c) / buyers if buyers else np.nan,
                    "average_days_between_purchases": c[gap].mean(),
                }
            )
    return pd.DataFrame(rows)


def _compare(actual: pd.DataFrame, expected: pd.DataFrame, key: list[str]) -> None:
    actual = actual.set_index(key).sort_index()
    expected = expected.set_index(key).sort_index()
    assert list(actual.index) == list(expected.index)
    for column in expected.columns:
        got = actual[column].astype(float).to_numpy()
        want = expected[column].astype(float).to_numpy()
        assert np.allclose(got, want, rtol=1e-9, atol=0.001, equal_nan=True), (
            column,
            actual[column][~np.isclose(got, want, equal_nan=True)].head(),
            expected[column][~np.isclose(got, want, equal_nan=True)].head(),
        )


@pytest.mark.parametrize(
    ("period", "table", "column"),
    [("month", "kpi_sales_monthly", "month_start"), ("season", "kpi_sales_season", "season")],
)
def test_sales_rollups_equal_the_truth(kpi, period, table, column):
    expected = expected_rollup(kpi.purchases, period)
    actual = kpi.query(f"select * from marts.{table}").rename(columns={column: "period"})
    if period == "month":
        actual["period"] = pd.to_datetime(actual.period)
    assert len(actual) > 0
    _compare(
        actual.drop(columns=["returning_buyers", "average_basket_eur"]),
        expected,
        ["period", "channel"],
    )
    assert (actual.returning_buyers == actual.buyers - actual.new_buyers).all()


def test_rollups_add_up_to_the_daily_kpi_and_the_truths_net_revenue(kpi):
    daily = kpi.query(
        "select channel, sum(net_revenue_eur) as net from marts.kpi_sales_daily group by 1"
    ).set_index("channel")
    for table in ("kpi_sales_monthly", "kpi_sales_season"):
        rolled = kpi.query(
            f"select channel, sum(net_revenue_eur) as net from marts.{table} group by 1"
        ).set_index("channel")
        for channel in ("ticketing", "shop"):
            assert rolled.net[channel] == daily.net[channel]
            truth = kpi.expected["net_revenue_eur"][channel]
            assert float(rolled.net[channel]) == pytest.approx(truth, abs=0.005)
        assert rolled.net["all"] == rolled.net["ticketing"] + rolled.net["shop"]


def test_season_buyers_are_close_to_distinct_persons_of_the_truth(kpi):
    """Identity resolution splits or merges a few persons: fans ≈ persons (within 5 %)."""
    p = kpi.purchases
    p = p[p.is_counted].assign(season=season_of(p.purchase_date))
    persons = p.groupby("season").person_id.nunique()
    actual = kpi.query(
        "select season, buyers from marts.kpi_sales_season where channel = 'all'"
    ).set_index("season")
    for season, count in persons.items():
        if count >= 50:
            assert actual.buyers[season] == pytest.approx(count, rel=0.05), season


def test_cohort_retention_and_churn_equal_the_truth(kpi):
    as_of = kpi.as_of
    p = kpi.purchases
    c = p[p.is_counted & p.fan_id.notna() & (p.purchase_date <= as_of)].copy()
    c["month"] = c.purchase_date.dt.to_period("M")
    c["cohort"] = c.groupby("fan_id").month.transform("min")
    c["k"] = (c.month - c.cohort).apply(lambda offset: offset.n)
    fan_k = c[["fan_id", "cohort", "k"]].drop_duplicates()
    as_of_month = as_of.to_period("M")
    rows = []
    for cohort, fans in fan_k.groupby("cohort"):
        size = fans.fan_id.nunique()
        for k in range((as_of_month - cohort).n + 1):
            in_window = fans[(fans.k <= k) & (fans.k > k - CHURN_MONTHS)].fan_id.nunique()
            rows.append(
                {
                    "cohort_month": cohort.to_timestamp(),
                    "months_since_first_purchase": k,
                    "cohort_size": size,
                    "active_fans": fans[fans.k == k].fan_id.nunique(),
                    "churned_fans": size - in_window,
                    "is_complete_month": (cohort + k) < as_of_month
                    or as_of == (cohort + k).to_timestamp(how="end").normalize(),
                }
            )
    expected = pd.DataFrame(rows)
    expected["retention_rate"] = expected.active_fans / expected.cohort_size
    expected["churn_rate"] = expected.churned_fans / expected.cohort_size
    actual = kpi.query("select * from marts.kpi_cohort_retention")
    actual["cohort_month"] = pd.to_datetime(actual.cohort_month)
    _compare(
        actual.drop(columns=["activity_month"]),
        expected,
        ["cohort_month", "months_since_first_purchase"],
    )
    assert expected.churned_fans.sum() > 0, "the data should contain churned fans"


def test_historical_clv_per_fan_equals_the_truth(kpi):
    as_of = kpi.as_of
    p = kpi.purchases
    p = p[p.fan_id.notna() & (p.purchase_date <= as_of)]
    counted = p[p.is_counted]
    expected = pd.DataFrame(
        {
            "purchases": counted.groupby("fan_id").size(),
            "historical_net_eur": p.groupby("fan_id").net.sum().round(2),
            "first_purchase_date": counted.groupby("fan_id").purchase_date.min(),
            "last_purchase_date": counted.groupby("fan_id").purchase_date.max(),
        }
    ).dropna(subset=["purchases"])
    expected["is_churned"] = expected.last_purchase_date <= as_of - pd.DateOffset(
        months=CHURN_MONTHS
    )
    actual = kpi.query(
        "select fan_id, purchases, historical_net_eur, first_purchase_date, last_purchase_date,"
        " is_churned, tenure_days, ticketing_net_eur + shop_net_eur as channels_net"
        " from marts.kpi_fan_clv"
    ).set_index("fan_id")
    assert sorted(actual.index) == sorted(expected.index)
    actual = actual.loc[expected.index]
    assert (actual.purchases == expected.purchases).all()
    assert np.allclose(actual.historical_net_eur.astype(float), expected.historical_net_eur)
    assert (pd.to_datetime(actual.first_purchase_date) == expected.first_purchase_date).all()
    assert (pd.to_datetime(actual.last_purchase_date) == expected.last_purchase_date).all()
    assert (actual.is_churned == expected.is_churned).all()
    assert (actual.channels_net == actual.historical_net_eur).all()
    assert (actual.tenure_days == (as_of - expected.first_purchase_date).dt.days).all()
    segments = kpi.query("select * from marts.kpi_clv_segments where segment_type = 'all'").iloc[0]
    assert segments.fans == len(expected)
    assert float(segments.average_clv_eur) == pytest.approx(
        expected.historical_net_eur.sum() / len(expected), abs=0.005
    )
