"""Whole nights on landings our generator does not write as such (issue 8's done-when):
an empty landing fails; a club with no survey answers, and a night with an anomalous order,
still publish."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.landing.contract import FILE_TYPES_BY_NAME
from tests.conftest import run_nightly

ANOMALOUS_ORDER = "#990001"


def test_an_empty_landing_fails_the_run_and_publishes_nothing(tmp_path: Path, monkeypatch):
    from orchestration.cli import main

    landing, home = tmp_path / "landing", tmp_path / "home"
    (landing / "ticketing").mkdir(parents=True)  # a folder, but not one export in it
    monkeypatch.setenv("GRANDSTAND_HOME", str(home))

    result = run_nightly(home, landing)
    assert not result.success
    assert not (home / "published" / "grandstand.duckdb").exists()
    assert main(["run", "--landing", str(landing)]) != 0
    assert main(["run", "--landing", str(tmp_path / "missing")]) != 0


def _blank_surveys(landing: Path) -> int:
    """Every survey export becomes header-only (allowed by the contract): no answers."""
    files = sorted((landing / "email").glob("survey_responses_*.csv"))
    header = ";".join(FILE_TYPES_BY_NAME["email_survey_responses"].columns)
    for path in files:
        path.write_text(header + "\n", encoding="utf-8")
    return len(files)


def _add_refund_above_total(landing: Path) -> None:
    """A Shopify order refunded 50.00 on a total of 10.00: a row-level anomaly."""
    path = sorted((landing / "shop").glob("orders_export_*.csv"))[-1]
    row = dict.fromkeys(FILE_TYPES_BY_NAME["shop_orders"].columns, "")
    row.update(
        {
            "Name": ANOMALOUS_ORDER,
            "Email": "staff.test@example.fr",
            "Financial Status": "refunded",
            "Currency": "EUR",
            "Subtotal": "10.00",
            "Total": "10.00",
            "Refunded Amount": "50.00",
            "Created at": "2026-11-19 10:00:00 +0100",
            "Lineitem quantity": "1",
            "Lineitem name": "Test",
            "Lineitem price": "10.00",
            "Billing Name": "Staff Test",
            "Id": "990001",
        }
    )
    text = path.read_text(encoding="utf-8")
    header = next(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([row.get(h.strip(), "") for h in header])
    path.write_text(text + out.getvalue(), encoding="utf-8")


@pytest.mark.e2e
def test_a_club_without_surveys_and_with_an_anomalous_order_publishes(tmp_path: Path):
    from orchestration.generator import generate

    landing, home = tmp_path / "landing", tmp_path / "home"
    generate(landing, fans=150, seed=8)  # ~100 shop orders: 2 anomalies = 2 %
    assert _blank_surveys(landing) > 0
    _add_refund_above_total(landing)

    result = run_nightly(home, landing)

    assert result.success
    with duckdb.connect(str(home / "published" / "grandstand.duckdb"), read_only=True) as con:
        # no answers: zero counts and no score, never a row of null counts
        assert con.execute(
            "select responses, nps_responses, csat_responses, ces_responses, nps "
            "from marts.kpi_satisfaction where touchpoint = 'all' and period_type = 'overall'"
        ).fetchall() == [(0, 0, 0, 0, None)]
        # the anomalous order is set aside: no revenue, and the night went on
        assert con.execute(
            "select count(*) from marts.fct_shop_orders where order_name = ?", [ANOMALOUS_ORDER]
        ).fetchone() == (0,)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute(
            "select anomaly_reason from staging.stg_shop__orders where order_name = ?",
            [ANOMALOUS_ORDER],
        ).fetchall() == [("refund above the order total",)]


# ------------------------------------ the generator's real-world variants, against its truth


def _warehouse_rows(nightly, sql: str) -> list[tuple]:
    with duckdb.connect(str(nightly.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.e2e
def test_kickoff_times_in_match_date_become_kickoff_at(nightly):
    truth = pd.read_parquet(nightly.truth.clean("matches"))
    expected = {
        (m, k.tz_convert("UTC").tz_localize(None).to_pydatetime())
        for m, k in zip(truth.match_id, truth.kickoff_utc, strict=True)
    }
    actual = set(
        _warehouse_rows(nightly, "select match_id, kickoff_at from staging.stg_ticketing__matches")
    )
    assert actual == expected


@pytest.mark.e2e
def test_contacts_deleted_upstream_are_flagged_and_birth_dates_survive_a_dropped_column(nightly):
    truth = pd.read_parquet(nightly.truth.clean("contacts"))
    deleted = set(nightly.truth.expected["contacts_deleted_upstream"])
    assert deleted  # the generator placed some
    assert set(truth.contact_id[truth.deleted_upstream]) == deleted
    rows = _warehouse_rows(
        nightly,
        "select cast(contact_id as integer), is_deleted_upstream, birth_date "
        "from staging.stg_email__contacts",
    )
    assert {c for c, flagged, _ in rows if flagged} == deleted
    births = dict(zip(truth.contact_id, pd.to_datetime(truth.date_of_birth).dt.date, strict=True))
    assert {c: b for c, _, b in rows} == {c: (None if pd.isna(b) else b) for c, b in births.items()}


@pytest.mark.e2e
def test_anomalous_shop_orders_are_set_aside_and_the_night_publishes(nightly):
    expected = set(nightly.truth.expected["anomalous_shop_orders"])
    assert expected and nightly.results[-1].success
    flagged = _warehouse_rows(
        nightly, "select order_name from staging.stg_shop__orders where anomaly_reason is not null"
    )
    assert {name for (name,) in flagged} == expected
    with duckdb.connect(str(nightly.published), read_only=True) as con:
        shown = con.execute(
            "select count(*) from marts.fct_shop_orders where order_name in "
            f"({', '.join('?' * len(expected))})",
            sorted(expected),
        ).fetchone()
    assert shown == (0,)
