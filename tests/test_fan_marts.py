"""Fan marts (dbt_project/models/marts/fan) on generated data, against the generator's truth.

One warehouse per session: a generated landing zone is loaded and dbt builds the fan marts
three times — as of FIRST_AS_OF, again as of FIRST_AS_OF with --full-refresh (the history
must neither grow nor be wiped), then as of the generator's as-of date (the history records
what changed). Expected figures come from `<landing>/_truth` (and, for consent flags the
truth does not carry, from the raw tables as loaded), computed here with pandas,
independently of the SQL under test. Fans are compared where identity resolution got the
person exactly right ("pure" fans: all of the fan's records are one person's and all of
that person's records are the fan's), so a definition is checked, not the matching.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT = REPO / "dbt_project"
SEEDS = REPO / "seeds"
DBT = str(Path(sys.executable).parent / "dbt")

FANS = 1500
SEED = 4242
FIRST_AS_OF = "2026-09-30"
FAN_MODELS = ["path:models/intermediate/fan", "path:models/marts/fan"]
PARIS = "Europe/Paris"
CENT = Decimal("0.01")

# dbt vars the definitions use (dbt_project/dbt_project.yml); read, not restated.
ALL_RECORD_TYPES = [
    "ticketing_account",
    "ticketing_order",
    "ticket_holder",
    "shop_customer",
    "shop_order",
    "email_contact",
]


def project_vars() -> dict:
    import yaml

    return yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text())["vars"]


@dataclass
class FanWarehouse:
    landing: Path
    warehouse: Path
    as_of: date
    first_as_of: date
    # (history rows, transition rows) after each build
    counts: dict = field(default_factory=dict)
    # each fan's (dimension -> value) after the first build
    first_states: pd.DataFrame | None = None
    final_build_started: datetime | None = None

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).df()

    def truth(self, table: str) -> pd.DataFrame:
        return pd.read_parquet(self.landing / "_truth" / "clean" / f"{table}.parquet")

    def received(self, table: str, key: str, raw_table: str, raw_key: str) -> pd.DataFrame:
        """The truth's rows whose key reached the warehouse (a broken line an export
        delivered is quarantined at ingestion, so the warehouse never saw that row)."""
        rows = self.truth(table)
        keys = set(self.query(f"select distinct {raw_key} as k from raw.{raw_table}")["k"])
        return rows[rows[key].astype(str).isin(keys)]

    def source_records(self) -> pd.DataFrame:
        return pd.read_csv(self.landing / "_truth" / "source_records.csv", dtype={"record_id": str})


def run_dbt(warehouse: Path, target: Path, *args: str) -> None:
    command = [
        DBT,
        *args,
        "--profiles-dir",
        str(DBT_PROJECT),
        "--target-path",
        str(target),
        "--log-path",
        str(target / "logs"),
    ]
    env = {
        **os.environ,
        "DBT_TARGET": "prod",
        "GRANDSTAND_WAREHOUSE": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    done = subprocess.run(command, cwd=DBT_PROJECT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{done.stdout[-6000:]}")


def states(wh: FanWarehouse) -> pd.DataFrame:
    return wh.query(
        """
        select fan_id, 'rfm_segment' as dimension, rfm_segment as state_value from marts.fan_rfm
        union all select fan_id, 'tier', loyalty_tier from marts.fan_loyalty
        union all select fan_id, 'abc', abc_class from marts.fan_abc
        """
    )


def history_counts(wh: FanWarehouse) -> tuple[int, int]:
    row = wh.query(
        "select (select count(*) from marts.fan_state_history) as h,"
        " (select count(*) from marts.fct_fan_transitions) as t"
    ).iloc[0]
    return int(row["h"]), int(row["t"])


@pytest.fixture(scope="session")
def fan_warehouse(tmp_path_factory) -> FanWarehouse:
    from orchestration.generator import generate
    from orchestration.landing import load_landing

    root = tmp_path_factory.mktemp("fan_marts")
    landing = root / "landing"
    generate(landing, fans=FANS, seed=SEED)
    warehouse = root / "warehouse.duckdb"
    load_landing(landing, warehouse)
    as_of = date.fromisoformat(
        json.loads((landing / "_truth" / "expected.json").read_text())["as_of_date"]
    )
    wh = FanWarehouse(landing, warehouse, as_of, date.fromisoformat(FIRST_AS_OF))
    target = root / "target"

    def first_vars(day: str) -> str:
        return json.dumps({"as_of_date": day, "record_history": True})

    # 1. Everything the fan marts need, as of an earlier date.
    run_dbt(warehouse, target, "seed")
    upstream = ["--select", "+path:models/marts/fan"]
    run_dbt(warehouse, target, "run", *upstream, "--vars", first_vars(FIRST_AS_OF))
    wh.counts["first"] = history_counts(wh)
    wh.first_states = states(wh)
    # 2. The same data again, with --full-refresh: the history must stay as it is.
    # everything the fan marts need that the as-of date decides (purchases are cut at the
    # as-of date once, upstream of them: int_purchases_unioned)
    selected = ["--select", "int_run_as_of_resolved+,+path:models/marts/fan"]
    again = ["run", "--full-refresh", *selected]
    run_dbt(warehouse, target, *again, "--vars", first_vars(FIRST_AS_OF))
    wh.counts["again"] = history_counts(wh)
    # 3. As of the generator's date: fans change segment, tier and class.
    wh.final_build_started = datetime.now(UTC).replace(tzinfo=None)
    run_dbt(warehouse, target, "run", *selected, "--vars", first_vars(wh.as_of.isoformat()))
    wh.counts["final"] = history_counts(wh)
    return wh


# --- truth helpers ---------------------------------------------------------------------


def paris_date(utc: pd.Series) -> pd.Series:
    return pd.to_datetime(utc, utc=True).dt.tz_convert(PARIS).dt.date


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def fx_rates() -> dict[str, Decimal]:
    rates = pd.read_csv(SEEDS / "fx_rates.csv", dtype=str)
    return {row.currency: Decimal(row.eur_per_unit) for row in rates.itertuples()}


def truth_purchases(wh: FanWarehouse) -> pd.DataFrame:
    """Every purchase of the clean world: person, channel, Paris date, net EUR, counted."""
    tickets = wh.truth("ticket_orders")
    ticketing = pd.DataFrame(
        {
            "person_id": tickets["person_id"],
            "channel": "ticketing",
            "purchase_id": tickets["order_id"].astype(str),
            "purchased_at": pd.to_datetime(tickets["created_at_utc"], utc=True),
            "net_eur": [
                money(total) if status == "paid" else Decimal("0.00")
                for total, status in zip(
                    tickets["total_amount_eur"], tickets["status"], strict=True
                )
            ],
            "counted": tickets["status"].eq("paid"),
        }
    )
    orders = wh.truth("shop_orders")
    rates = fx_rates()
    net = [
        Decimal("0.00")
        if status in ("voided", "pending")
        else money(money(money(total) - money(refunded)) * rates[currency])
        for total, refunded, status, currency in zip(
            orders["total"],
            orders["refunded_amount"],
            orders["financial_status"],
            orders["currency"],
            strict=True,
        )
    ]
    shop = pd.DataFrame(
        {
            "person_id": orders["person_id"],
            "channel": "shop",
            "purchase_id": orders["order_id"].astype(str),
            "purchased_at": pd.to_datetime(orders["created_at_utc"], utc=True),
            "net_eur": net,
            "counted": [value > 0 for value in net],
        }
    )
    purchases = pd.concat([ticketing, shop], ignore_index=True)
    purchases["purchase_date"] = paris_date(purchases["purchased_at"])
    return purchases


def pure_fans(wh: FanWarehouse, record_types: list[str]) -> pd.DataFrame:
    """(fan_id, person_id) pairs where, on these record types, the fan's records are all the
    person's and the person's records are all the fan's (none lost on the way)."""
    marts = wh.query(
        "select record_type, record_id, fan_id from intermediate.int_identity_records_clustered"
    )
    records = marts.merge(wh.source_records(), on=["record_type", "record_id"], how="outer")
    records = records[records["record_type"].isin(record_types)]
    lost = set(records.loc[records["fan_id"].isna(), "person_id"])
    known = records.dropna(subset=["fan_id", "person_id"])
    people_per_fan = known.groupby("fan_id")["person_id"].nunique()
    fans_per_person = known.groupby("person_id")["fan_id"].nunique()
    pairs = known[["fan_id", "person_id"]].drop_duplicates()
    pairs = pairs[
        pairs["fan_id"].map(people_per_fan).eq(1)
        & pairs["person_id"].map(fans_per_person).eq(1)
        & ~pairs["person_id"].isin(lost)
    ]
    return pairs.astype({"person_id": "int64"}).reset_index(drop=True)


def months_before(day: date, months: int) -> date:
    return (pd.Timestamp(day) - pd.DateOffset(months=months)).date()


def attendee_persons(wh: FanWarehouse) -> pd.DataFrame:
    """Each ticket with the person the warehouse can see attending: the named holder (a
    ticket_holder source record), else the buyer."""
    tickets = wh.truth("tickets")
    orders = wh.truth("ticket_orders")[["order_id", "person_id", "status", "created_at_utc"]]
    holders = wh.source_records()
    holders = holders[holders["record_type"] == "ticket_holder"][["record_id", "person_id"]]
    holders = holders.rename(columns={"record_id": "ticket_key", "person_id": "holder_person"})
    tickets = tickets.assign(ticket_key=tickets["ticket_id"].astype(str))
    tickets = tickets.merge(holders, on="ticket_key", how="left")
    tickets = tickets.merge(
        orders.rename(columns={"person_id": "buyer_person", "status": "order_status"}),
        on="order_id",
    )
    tickets["attendee_person"] = tickets["holder_person"].fillna(tickets["buyer_person"])
    tickets["attendee_person"] = tickets["attendee_person"].astype("int64")
    tickets["order_date"] = paris_date(tickets["created_at_utc"])
    return tickets


def attended_matches(wh: FanWarehouse) -> pd.DataFrame:
    """(attendee person, match, first accepted scan date) up to the as-of date."""
    scans = wh.received("access_scans", "scan_id", "ticketing_access", "scan_id")
    scans = scans[scans["result"] == "ok"]
    scans = scans.assign(scan_date=paris_date(scans["scanned_at_utc"]))
    tickets = attendee_persons(wh)[["ticket_id", "attendee_person", "product_type"]]
    scans = scans.merge(tickets, on="ticket_id")
    scans = scans[scans["scan_date"] <= wh.as_of]
    return (
        scans.groupby(["attendee_person", "match_id"], as_index=False)["scan_date"]
        .min()
        .rename(columns={"scan_date": "attended_on"})
    )


def valid_season_passes(wh: FanWarehouse) -> pd.DataFrame:
    tickets = attendee_persons(wh)
    return tickets[
        (tickets["product_type"] == "season_pass")
        & (tickets["status"] == "valid")
        & (tickets["order_status"] == "paid")
        & (tickets["order_date"] <= wh.as_of)
    ]


def season_label(day: date, start_month: int) -> str:
    start = day.year - (1 if day.month < start_month else 0)
    return f"{start}-{start + 1}"


# --- history and transitions -----------------------------------------------------------


def test_first_build_records_states_but_no_transition(fan_warehouse):
    history, transitions = fan_warehouse.counts["first"]
    assert history == len(fan_warehouse.first_states.dropna())
    assert transitions == 0


def test_rebuilding_the_same_data_adds_nothing_even_with_full_refresh(fan_warehouse):
    assert fan_warehouse.counts["again"] == fan_warehouse.counts["first"]


def test_transitions_are_exactly_the_changes_between_the_two_dates(fan_warehouse):
    wh = fan_warehouse
    before = wh.first_states.dropna().rename(columns={"state_value": "from_value"})
    after = states(wh).dropna().rename(columns={"state_value": "to_value"})
    changed = before.merge(after, on=["fan_id", "dimension"])
    changed = changed[changed["from_value"] != changed["to_value"]]
    transitions = wh.query(
        "select fan_id, dimension, from_value, to_value, direction, changed_at, as_of_date"
        " from marts.fct_fan_transitions"
    )
    assert len(changed) > 0, "the later as-of date should move some fans"
    assert set(transitions["dimension"]) == {"rfm_segment", "tier", "abc"}
    key = ["fan_id", "dimension", "from_value", "to_value"]
    assert sorted(map(tuple, transitions[key].values)) == sorted(map(tuple, changed[key].values))
    assert (transitions["as_of_date"].astype(str) == wh.as_of.isoformat()).all()
    assert (
        pd.to_datetime(transitions["changed_at"]) >= pd.Timestamp(wh.final_build_started).floor("s")
    ).all()
    # directions follow the ladder (tiers) and the alphabet (A is best)
    tiers = pd.read_csv(SEEDS / "loyalty_tiers.csv").set_index("tier")["tier_rank"]
    for row in transitions.itertuples():
        if row.dimension == "tier":
            expected = "up" if tiers[row.to_value] > tiers[row.from_value] else "down"
        elif row.dimension == "abc":
            expected = "up" if row.to_value < row.from_value else "down"
        else:
            expected = None
        assert (None if pd.isna(row.direction) else row.direction) == expected, row


def test_history_holds_one_row_per_appearance_and_change(fan_warehouse):
    wh = fan_warehouse
    history = wh.query("select * from marts.fan_state_history")
    before = wh.first_states.dropna()
    after = states(wh).dropna()
    merged = before.merge(after, on=["fan_id", "dimension"], how="outer", suffixes=("_1", "_2"))
    appeared = merged["state_value_1"].isna()
    lost = merged["state_value_2"].isna()
    changed = ~appeared & ~lost & (merged["state_value_1"] != merged["state_value_2"])
    expected_rows = len(before) + int(appeared.sum() + lost.sum() + changed.sum())
    assert len(history) == expected_rows
    # the latest row of each fan and dimension is the current state
    latest = history.sort_values("recorded_at").groupby(["fan_id", "dimension"]).tail(1)
    current = latest.dropna(subset=["state_value"])[["fan_id", "dimension", "state_value"]]
    pd.testing.assert_frame_equal(
        current.sort_values(["fan_id", "dimension"]).reset_index(drop=True),
        after.sort_values(["fan_id", "dimension"]).reset_index(drop=True),
    )


# --- RFM and ABC -------------------------------------------------------------------------


def truth_window_totals(wh: FanWarehouse, months: int) -> pd.DataFrame:
    purchases = truth_purchases(wh)
    start = months_before(wh.as_of, months)
    window = purchases[
        purchases["counted"]
        & (purchases["purchase_date"] > start)
        & (purchases["purchase_date"] <= wh.as_of)
    ]
    return window.groupby("person_id").agg(
        last_purchase_date=("purchase_date", "max"),
        frequency=("purchase_id", "count"),
        monetary_eur=("net_eur", "sum"),
    )


def test_rfm_measures_match_the_truth_for_resolved_fans(fan_warehouse):
    wh = fan_warehouse
    months = project_vars()["rfm_window_months"]
    expected = truth_window_totals(wh, months)
    expected["recency_days"] = [(wh.as_of - d).days for d in expected["last_purchase_date"]]
    pairs = pure_fans(wh, ["ticketing_order", "shop_order"])
    rfm = wh.query("select * from marts.fan_rfm").merge(pairs, on="fan_id")
    buyers = pairs[pairs["person_id"].isin(expected.index)]
    assert len(buyers) > 300
    assert set(rfm["person_id"]) == set(buyers["person_id"])
    got = rfm.set_index("person_id").sort_index()
    want = expected.loc[got.index]
    assert (got["recency_days"] == want["recency_days"]).all()
    assert (got["frequency"] == want["frequency"]).all()
    assert [Decimal(str(v)).quantize(CENT) for v in got["monetary_eur"]] == list(
        want["monetary_eur"]
    )
    assert (got["as_of_date"].astype(str) == wh.as_of.isoformat()).all()


def test_rfm_scores_are_rank_quintiles_with_ties_sharing_the_lowest_rank(fan_warehouse):
    rfm = fan_warehouse.query("select * from marts.fan_rfm")
    fans = len(rfm)

    def score(ranks: pd.Series) -> pd.Series:
        return 1 + ((5 * (ranks - 1)) // fans).astype(int)

    assert (rfm["r_score"] == score((-rfm["recency_days"]).rank(method="min"))).all()
    assert (rfm["f_score"] == score(rfm["frequency"].rank(method="min"))).all()
    assert (rfm["m_score"] == score(rfm["monetary_eur"].astype(float).rank(method="min"))).all()
    segments = pd.read_csv(SEEDS / "rfm_segments.csv")
    expected = rfm.merge(segments, on=["r_score", "f_score"], suffixes=("", "_seed"))
    assert len(expected) == fans
    assert (expected["rfm_segment"] == expected["rfm_segment_seed"]).all()
    assert set(rfm["rfm_segment"]) <= set(segments["rfm_segment"])


def test_abc_classes_are_the_pareto_split_of_net_revenue(fan_warehouse):
    wh = fan_warehouse
    settings = project_vars()
    abc = wh.query("select * from marts.fan_abc")
    revenue = [Decimal(str(v)).quantize(CENT) for v in abc["net_revenue_eur"]]
    total = sum(revenue)
    # revenue of the fans strictly above each revenue level
    ahead, running = {}, Decimal(0)
    for level in sorted(set(revenue), reverse=True):
        ahead[level] = running
        running += level * revenue.count(level)
    a_cut = Decimal(settings["abc_class_a_pct"])
    b_cut = a_cut + Decimal(settings["abc_class_b_pct"])
    expected = [
        "A" if 100 * ahead[r] / total < a_cut else "B" if 100 * ahead[r] / total < b_cut else "C"
        for r in revenue
    ]
    assert list(abc["abc_class"]) == expected
    a_share = sum(r for r, c in zip(revenue, abc["abc_class"], strict=True) if c == "A") / total
    assert a_share >= a_cut / 100
    # revenue per resolved fan is the truth's net revenue over the ABC window
    truth = truth_window_totals(wh, settings["abc_window_months"])
    pairs = pure_fans(wh, ["ticketing_order", "shop_order"])
    got = abc.merge(pairs, on="fan_id").set_index("person_id")
    assert len(got) > 300
    assert [Decimal(str(v)).quantize(CENT) for v in got["net_revenue_eur"]] == list(
        truth.loc[got.index, "monetary_eur"]
    )


# --- loyalty -----------------------------------------------------------------------------


def test_loyalty_points_and_tiers_match_the_truth_for_resolved_fans(fan_warehouse):
    wh = fan_warehouse
    months = project_vars()["loyalty_window_months"]
    start = months_before(wh.as_of, months)
    rules = pd.read_csv(SEEDS / "loyalty_point_rules.csv", dtype={"points_per_unit": str})
    per_unit = {r.rule_code: Decimal(r.points_per_unit) for r in rules.itertuples()}

    spent = truth_window_totals(wh, months)["monetary_eur"]
    matches = attended_matches(wh)
    matches = matches[(matches["attended_on"] > start) & (matches["attended_on"] <= wh.as_of)]
    matches = matches.groupby("attendee_person").size()
    passes = valid_season_passes(wh)
    passes = passes[passes["order_date"] > start].groupby("attendee_person").size()

    pairs = pure_fans(wh, ALL_RECORD_TYPES)
    loyalty = wh.query("select * from marts.fan_loyalty").merge(pairs, on="fan_id")
    # survey answers are attached by email (fct_survey_responses): checked for consistency
    surveys = wh.query(
        "select fan_id, count(*) as answers from marts.fct_survey_responses"
        " where is_latest_answer and answered_date > ? and answered_date <= ? group by fan_id",
        [start, wh.as_of],
    ).set_index("fan_id")["answers"]
    tiers = pd.read_csv(SEEDS / "loyalty_tiers.csv").sort_values("min_points")

    def floor(value: Decimal) -> int:
        return int(value.to_integral_value(rounding=ROUND_FLOOR))

    checked = 0
    for row in loyalty.itertuples():
        person = row.person_id
        euros = spent.get(person, Decimal("0.00"))
        expected = {
            "euros_spent": euros,
            "euro_points": floor(euros * per_unit["euro_spent"]),
            "matches_attended": int(matches.get(person, 0)),
            "match_points": floor(matches.get(person, 0) * per_unit["match_attended"]),
            "season_passes": int(passes.get(person, 0)),
            "season_pass_points": floor(passes.get(person, 0) * per_unit["season_pass"]),
            "surveys_answered": int(surveys.get(row.fan_id, 0)),
            "survey_points": floor(surveys.get(row.fan_id, 0) * per_unit["survey_answered"]),
        }
        got = {name: getattr(row, name) for name in expected}
        got["euros_spent"] = Decimal(str(got["euros_spent"])).quantize(CENT)
        assert got == expected, (row.fan_id, person)
        points = sum(v for k, v in expected.items() if k.endswith("_points"))
        assert row.loyalty_points == points
        assert row.loyalty_tier == tiers[tiers["min_points"] <= points]["tier"].iloc[-1]
        checked += 1
    assert checked > 300
    assert (loyalty["loyalty_points"] > 0).sum() > 100


# --- profile -----------------------------------------------------------------------------


def test_profile_purchases_match_the_truth_for_resolved_fans(fan_warehouse):
    wh = fan_warehouse
    purchases = truth_purchases(wh)
    purchases = purchases[purchases["counted"] & (purchases["purchase_date"] <= wh.as_of)]
    pairs = pure_fans(wh, ["ticketing_order", "shop_order"])
    profile = wh.query("select * from marts.fan_profile").merge(pairs, on="fan_id")
    by_person = purchases.groupby("person_id")
    assert len(profile) > 300
    for row in profile.itertuples():
        if row.person_id not in by_person.groups:
            assert row.purchase_count == 0 and pd.isna(row.preferred_channel)
            continue
        mine = by_person.get_group(row.person_id)
        ticketing = mine[mine["channel"] == "ticketing"]
        assert row.purchase_count == len(mine)
        assert row.ticketing_purchase_count == len(ticketing)
        assert row.first_purchase_date.date() == min(mine["purchase_date"])
        assert row.last_purchase_date.date() == max(mine["purchase_date"])
        total = sum(mine["net_eur"])
        assert Decimal(str(row.net_revenue_eur)).quantize(CENT) == total
        if total > 0:
            share = (100 * sum(ticketing["net_eur"]) / total).quantize(CENT, rounding=ROUND_HALF_UP)
            assert Decimal(str(row.ticketing_revenue_share_pct)).quantize(CENT) == share
        local = mine["purchased_at"].dt.tz_convert(PARIS)
        hours = local.dt.hour.value_counts()
        assert row.preferred_purchase_hour in set(hours[hours == hours.max()].index)
        days = local.dt.day_name().value_counts()
        assert row.preferred_purchase_weekday in set(days[days == days.max()].index)


def test_profile_attendance_and_season_passes_match_the_truth(fan_warehouse):
    wh = fan_warehouse
    matches = attended_matches(wh).groupby("attendee_person")["match_id"].nunique()
    seasons = (
        valid_season_passes(wh)
        .groupby("attendee_person")["season"]
        .agg(lambda s: ", ".join(sorted(set(s))))
    )
    pairs = pure_fans(wh, ALL_RECORD_TYPES)
    profile = wh.query("select * from marts.fan_profile").merge(pairs, on="fan_id")
    assert (profile["matches_attended"] > 0).sum() > 100
    for row in profile.itertuples():
        assert row.matches_attended == matches.get(row.person_id, 0), row.fan_id
        expected = seasons.get(row.person_id)
        assert (None if pd.isna(row.season_pass_seasons) else row.season_pass_seasons) == expected


def test_outing_group_sizes_and_company_follow_the_tickets(fan_warehouse):
    """Group sizes are exact. 'family' needs evidence (a child ticket, a holder named with
    the buyer's last name): measured against the households of the truth, it must be right
    and must catch the groups where that evidence exists; groups whose holders were left
    unnamed cannot be told apart and count as 'others'."""
    wh = fan_warehouse
    tickets = attendee_persons(wh)
    tickets = tickets[(tickets["status"] == "valid") & (tickets["order_status"] == "paid")]
    tickets = tickets[tickets["order_date"] <= wh.as_of]
    tickets["group_key"] = tickets["match_id"].fillna("season " + tickets["season"])
    sizes = tickets.groupby(["order_id", "group_key"]).size().groupby("order_id").max()
    persons = pd.read_csv(wh.landing / "_truth" / "persons.csv").set_index("person_id")
    holder = tickets["holder_person_id"]
    buyer = tickets["buyer_person"]
    relative = holder.map(persons["household_id"]).eq(
        buyer.map(persons["household_id"])
    ) & holder.ne(buyer)
    # a holder the export names in full (first and last name)
    named = wh.query(
        "select distinct ticket_id from raw.ticketing_tickets"
        " where trim(holder_first_name) <> '' and trim(holder_last_name) <> ''"
    )["ticket_id"]
    named_relative = (
        relative
        & tickets["ticket_id"].astype(str).isin(set(named))
        & holder.map(persons["last_name"]).eq(buyer.map(persons["last_name"]))
        & holder.map(persons["first_name"]).ne(buyer.map(persons["first_name"]))
    )
    per_order = (
        tickets.assign(
            relative=relative,
            named_relative=named_relative,
            child=tickets["price_category"].eq("enfant"),
        )
        .groupby("order_id")[["relative", "named_relative", "child"]]
        .any()
    )

    outings = wh.query(
        "select distinct order_id, group_size, company from intermediate.int_fan_outings_classified"
    )
    outings["order_id"] = outings["order_id"].astype("int64")
    outings = outings.set_index("order_id")
    both = outings.index.intersection(sizes.index)
    assert len(both) >= 0.99 * len(sizes) and len(both) == len(outings)
    outings = outings.join(per_order)
    assert (outings["group_size"] == sizes.loc[outings.index]).all()
    assert ((outings["group_size"] == 1) == (outings["company"] == "alone")).all()
    groups = outings[outings["group_size"] > 1]
    family = groups[groups["company"] == "family"]
    assert len(family) > 100
    precision = family["relative"].mean()
    assert precision >= 0.95, f"{precision:.1%} of 'family' groups are families"
    assert (groups[groups["child"]]["company"] == "family").all()
    evidenced = groups[groups["named_relative"]]
    recall = (evidenced["company"] == "family").mean()
    assert len(evidenced) > 50 and recall >= 0.95, f"{recall:.1%} of named families found"


# --- consent and audiences ---------------------------------------------------------------


def parse_paris(text: pd.Series) -> pd.Series:
    """Ticketing wall-clock text in raw (canonical YYYY-MM-DD HH:MM:SS, Europe/Paris) to UTC."""
    local = pd.to_datetime(text.str.strip(), format="%Y-%m-%d %H:%M:%S", errors="coerce")
    return local.dt.tz_localize(PARIS, ambiguous=False, nonexistent="shift_forward").dt.tz_convert(
        "UTC"
    )


def test_consent_decisions_follow_the_documented_precedence(fan_warehouse):
    """Recompute each fan's consent from the signals with the rules of
    seeds/consent_precedence.csv, in Python."""
    wh = fan_warehouse
    signals = wh.query(
        "select fan_id, channel, signal_code, source_record_id, stated_at"
        " from intermediate.int_fan_consent_signals_unioned"
    )
    rules = pd.read_csv(SEEDS / "consent_precedence.csv").set_index("signal_code")
    signals = signals.join(rules[["consent", "is_dated_choice", "tie_rank"]], on="signal_code")
    expected = {}
    for (fan, channel), mine in signals.groupby(["fan_id", "channel"]):
        withdrawn = (mine["consent"] == "withdrawn").any()
        eligible = mine[
            (mine["consent"] == "withdrawn")
            | ((mine["consent"] == "granted") & (mine["is_dated_choice"] | (not withdrawn)))
        ]
        if eligible.empty:
            continue
        winner = eligible.sort_values(
            ["stated_at", "tie_rank", "signal_code"], ascending=[False, True, True]
        ).iloc[0]
        expected[(fan, channel)] = (winner["consent"], winner["signal_code"])
    consent = wh.query("select * from marts.fan_consent")
    fans = wh.query("select count(*) as n from marts.dim_fan")["n"].iloc[0]
    assert len(consent) == 2 * fans
    assert len(expected) > 500
    for row in consent.itertuples():
        want = expected.get((row.fan_id, row.channel), ("unknown", None))
        got = (row.consent_status, None if pd.isna(row.deciding_signal) else row.deciding_signal)
        assert got == want, (row.fan_id, row.channel)
        assert row.is_consented == (row.consent_status == "granted")


def test_no_fan_who_withdrew_email_consent_is_contacted_by_email(fan_warehouse):
    """Truth: a person who unsubscribed, complained of spam, hard-bounced or was
    blacklisted, and ticked no opt-in box afterwards, is neither email-consenting nor in an
    email audience."""
    wh = fan_warehouse
    as_of_end = pd.Timestamp(wh.as_of + timedelta(days=1), tz=PARIS).tz_convert("UTC")
    events = wh.received("email_events", "event_id", "email_events", "id")
    events = events[events["event"].isin(["unsubscribe", "spam", "hard_bounce"])]
    events = events.assign(at=pd.to_datetime(events["ts_event_utc"], utc=True))
    withdrawals = [events[["person_id", "at"]]]
    contacts = (
        wh.query(
            "select contact_id, email_blacklisted, modified_at, _export_date"
            " from raw.email_contacts"
        )
        .sort_values("_export_date")
        .groupby("contact_id")
        .tail(1)
    )
    contacts = contacts[contacts["email_blacklisted"] == "true"]  # canonical booleans in raw
    people = wh.truth("contacts")[["contact_id", "person_id"]].astype({"contact_id": str})
    blacklisted = contacts.merge(people, on="contact_id")
    blacklisted = blacklisted.assign(at=pd.to_datetime(blacklisted["modified_at"], utc=True))
    withdrawals.append(blacklisted[["person_id", "at"]])
    withdrawals = pd.concat(withdrawals)
    withdrawals = withdrawals[withdrawals["at"] < as_of_end]
    last_withdrawal = withdrawals.groupby("person_id")["at"].max()

    orders = wh.query(
        "select order_id, optin_club, updated_at, created_at, _export_date"
        " from raw.ticketing_orders"
    )
    orders["stated_at"] = parse_paris(orders["updated_at"].fillna(orders["created_at"]))
    orders = orders.sort_values(["stated_at", "_export_date"]).groupby("order_id").tail(1)
    buyers = wh.truth("ticket_orders")[["order_id", "person_id"]].astype({"order_id": str})
    opt_ins = orders[orders["optin_club"] == "true"].merge(  # canonical booleans in raw
        buyers, on="order_id"
    )
    opt_ins = opt_ins[opt_ins["stated_at"] < as_of_end]
    last_opt_in = opt_ins.groupby("person_id")["stated_at"].max()

    refused = [
        person
        for person, withdrawn_at in last_withdrawal.items()
        if person not in last_opt_in.index or last_opt_in[person] <= withdrawn_at
    ]
    pairs = pure_fans(wh, ALL_RECORD_TYPES)
    refusing_fans = set(pairs[pairs["person_id"].isin(refused)]["fan_id"])
    assert len(refusing_fans) > 10
    consented = set(
        wh.query("select fan_id from marts.fan_consent where channel = 'email' and is_consented")[
            "fan_id"
        ]
    )
    mailed = set(
        wh.query("select fan_id from marts.fan_audiences where channel = 'email'")["fan_id"]
    )
    assert not refusing_fans & consented
    assert not refusing_fans & mailed


def test_no_fan_blacklisted_for_sms_is_contacted_by_sms(fan_warehouse):
    wh = fan_warehouse
    contacts = (
        wh.query("select contact_id, sms_blacklisted, _export_date from raw.email_contacts")
        .sort_values("_export_date")
        .groupby("contact_id")
        .tail(1)
    )
    contacts = contacts[contacts["sms_blacklisted"] == "true"]
    people = wh.truth("contacts")[["contact_id", "person_id"]].astype({"contact_id": str})
    refused = set(contacts.merge(people, on="contact_id")["person_id"])
    pairs = pure_fans(wh, ALL_RECORD_TYPES)
    refusing_fans = set(pairs[pairs["person_id"].isin(refused)]["fan_id"])
    assert len(refusing_fans) > 10
    consented = set(
        wh.query("select fan_id from marts.fan_consent where channel = 'sms' and is_consented")[
            "fan_id"
        ]
    )
    texted = set(wh.query("select fan_id from marts.fan_audiences where channel = 'sms'")["fan_id"])
    assert not refusing_fans & consented
    assert not refusing_fans & texted


def test_audiences_hold_every_eligible_consenting_fan_and_no_other(fan_warehouse):
    wh = fan_warehouse
    audiences = wh.query("select * from marts.fan_audiences")
    expected = wh.query(
        """
        select candidates.audience, channels.channel, candidates.fan_id
        from intermediate.int_fan_audience_candidates_selected as candidates
        inner join seeds.activation_audiences as channels on candidates.audience = channels.audience
        inner join marts.fan_consent as consent
            on candidates.fan_id = consent.fan_id and channels.channel = consent.channel
        inner join marts.dim_fan as fans on candidates.fan_id = fans.fan_id
        where consent.consent_status = 'granted'
          and case channels.channel when 'email' then fans.email else fans.phone end is not null
        """
    )
    key = ["audience", "channel", "fan_id"]
    assert sorted(map(tuple, audiences[key].values)) == sorted(map(tuple, expected[key].values))
    assert set(audiences["audience"]) == {
        "lapsed_season_pass_holders",
        "at_risk_high_value",
        "new_fans_to_welcome",
    }


def test_lapsed_season_pass_holders_match_the_truth(fan_warehouse):
    wh = fan_warehouse
    start_month = project_vars()["season_start_month"]
    current = season_label(wh.as_of, start_month)
    previous = season_label(wh.as_of.replace(year=wh.as_of.year - 1), start_month)
    passes = valid_season_passes(wh)
    held = passes.groupby("attendee_person")["season"].agg(set)
    lapsed = {p for p, seasons in held.items() if previous in seasons and current not in seasons}
    pairs = pure_fans(wh, ALL_RECORD_TYPES)
    candidates = wh.query(
        "select fan_id from intermediate.int_fan_audience_candidates_selected"
        " where audience = 'lapsed_season_pass_holders'"
    ).merge(pairs, on="fan_id")
    holders = pairs[pairs["person_id"].isin(held.index)]
    assert len(holders) > 10 and len(lapsed) > 10
    assert set(candidates["person_id"]) == lapsed & set(pairs["person_id"])


# --- season-ticket health ----------------------------------------------------------------


def test_season_ticket_health_matches_the_truth_for_resolved_holders(fan_warehouse):
    wh = fan_warehouse
    settings = project_vars()
    matches = wh.truth("matches")
    matches = matches.assign(match_date=pd.to_datetime(matches["match_date"]).dt.date)
    home = matches[(matches["home_away"] == "D") & (matches["match_date"] <= wh.as_of)]
    passes = valid_season_passes(wh)
    scans = wh.received("access_scans", "scan_id", "ticketing_access", "scan_id")
    scans = scans[scans["result"] == "ok"]
    scans = scans.assign(scan_date=paris_date(scans["scanned_at_utc"]))
    scans = scans[scans["scan_date"] <= wh.as_of]
    scans = scans.merge(passes[["ticket_id", "attendee_person", "season"]], on="ticket_id")
    scans = scans.merge(home[["match_id", "season"]], on=["match_id", "season"])

    pairs = pure_fans(wh, ALL_RECORD_TYPES)
    health = wh.query("select * from marts.season_ticket_health").merge(pairs, on="fan_id")
    held = passes.groupby("attendee_person")["season"].agg(set)
    assert set(zip(health["person_id"], health["season"], strict=True)) == {
        (p, s) for p, seasons in held.items() if p in set(pairs["person_id"]) for s in seasons
    }
    assert len(health) > 20
    current = season_label(wh.as_of, settings["season_start_month"])
    for row in health.itertuples():
        played = home[home["season"] == row.season].sort_values("match_date")
        attended = set(
            scans[(scans["attendee_person"] == row.person_id) & (scans["season"] == row.season)][
                "match_id"
            ]
        )
        assert row.home_matches_played == len(played)
        assert row.home_matches_attended == len(attended)
        if len(played):
            assert abs(float(row.attendance_rate) - len(attended) / len(played)) < 0.00006
        missed = 0
        for match in reversed(list(played["match_id"])):
            if match in attended:
                break
            missed += 1
        assert row.home_matches_missed_in_a_row == missed
        start = int(row.season[:4])
        assert row.is_renewal == (f"{start - 1}-{start}" in held[row.person_id])
        assert row.is_current_season == (row.season == current)
        points = (
            row.low_attendance_points
            + row.missed_matches_points
            + row.first_season_points
            + row.nps_detractor_points
            + row.email_disengaged_points
        )
        assert row.churn_risk_score == points
        assert row.first_season_points == (
            0 if row.is_renewal else settings["churn_points_first_season"]
        )
        low = (
            len(played) > 0 and len(attended) / len(played) < settings["churn_low_attendance_rate"]
        )
        assert row.low_attendance_points == (settings["churn_points_low_attendance"] if low else 0)


def test_dbt_tests_of_the_fan_models_pass(fan_warehouse, tmp_path):
    """The dbt data tests and the unit tests (hand-made fixtures) of the fan models."""
    as_of = json.dumps({"as_of_date": fan_warehouse.as_of.isoformat()})
    run_dbt(
        fan_warehouse.warehouse,
        tmp_path / "target",
        "test",
        "--select",
        *FAN_MODELS,
        "--vars",
        as_of,
    )


# --- quality gate ------------------------------------------------------------------------

# fan_rfm has no suite: its rules are column rules, dbt tests in its YAML
FAN_SUITES = [
    "fan_abc",
    "fan_loyalty",
    "fan_profile",
    "fan_consent",
    "fan_audiences",
    "season_ticket_health",
    "fan_state_history",
    "fct_fan_transitions",
]


def test_quality_suites_of_the_fan_marts_pass_on_generated_data(fan_warehouse):
    from orchestration.quality import run_suite

    for name in FAN_SUITES:
        result = run_suite(REPO / "expectations" / "marts" / f"{name}.yml", fan_warehouse.warehouse)
        assert result.success, result.describe()


def test_quality_gate_stops_a_fan_sneaked_into_an_audience_without_consent(fan_warehouse, tmp_path):
    """A high-value fan at risk who unsubscribed is added to the email audience by hand:
    the blocking suite of marts.fan_audiences fails and names the fan."""
    import shutil

    from orchestration.quality import run_suite

    copy = tmp_path / "tampered.duckdb"
    shutil.copy(fan_warehouse.warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        (fan_id,) = con.execute(
            "select fan_id from marts.fan_consent"
            " where channel = 'email' and consent_status = 'withdrawn' limit 1"
        ).fetchone()
        con.execute(
            "insert into marts.fan_audiences (audience, channel, fan_id, contact_point, reason,"
            " consent_signal, consent_decided_at, as_of_date) values ('at_risk_high_value',"
            " 'email', ?, 'sneaked@example.org', 'added by hand', 'ticketing_optin_club_yes',"
            " timestamp '2026-01-01 00:00:00', date '2026-11-20')",
            [fan_id],
        )
    result = run_suite(REPO / "expectations" / "marts" / "fan_audiences.yml", copy)
    assert not result.success and result.blocking
    (failure,) = result.failures
    assert failure.sample and failure.sample[0]["fan_id"] == fan_id
