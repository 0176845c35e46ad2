"""A warehouse built once per test session for the KPI tests (tests/test_kpi_*.py).

Generated landing zone (KPI_FANS persons) -> load_landing -> ``dbt build`` of the KPI marts
and everything upstream, in a temporary folder with its own dbt target path, then a publish
of the marts (the KPI report reads the published file). The truth the generator writes
(``<landing>/_truth``) gives the expected figures, recomputed here with pandas,
independently of the SQL under test.

A test module wraps :func:`kpi_warehouse` in a fixture (see its docstring); the build is
cached per process, so every module shares one warehouse.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.settings import DBT_PROJECT_DIR, SEEDS_DIR

KPI_FANS = 1500
KPI_SEED = 20261124
CLUB_TZ = "Europe/Paris"
_BUILT: dict[str, KpiWarehouse] = {}


@dataclass
class KpiWarehouse:
    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def published_dir(self) -> Path:
        return self.root / "published"

    @property
    def published(self) -> Path:
        return self.published_dir / "grandstand.duckdb"

    @cached_property
    def expected(self) -> dict:
        return json.loads((self.landing / "_truth" / "expected.json").read_text())

    @property
    def as_of(self) -> pd.Timestamp:
        return pd.Timestamp(self.expected["as_of_date"])

    def truth(self, table: str) -> pd.DataFrame:
        return pd.read_parquet(self.landing / "_truth" / "clean" / f"{table}.parquet")

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).df()

    @cached_property
    def fan_of(self) -> dict[tuple[str, str], str]:
        """(record_type, record_id) -> fan_id, as the warehouse resolved identities: the KPI
        figures are recomputed from the truth with the same fans, so they test the KPI SQL,
        not identity resolution."""
        frame = self.query("select record_type, record_id, fan_id from marts.fan_source_records")
        return {
            (t, i): f
            for t, i, f in zip(frame.record_type, frame.record_id, frame.fan_id, strict=True)
        }

    @cached_property
    def purchases(self) -> pd.DataFrame:
        """Every order of the truth as a purchase (the contract's revenue rules):
        channel, purchase_id, person_id, fan_id, purchased_at (UTC), purchase_date (Paris),
        gross, refunded, net (EUR, cents exact), is_counted."""
        fx = pd.read_csv(SEEDS_DIR / "fx_rates.csv").set_index("currency")["eur_per_unit"]
        t = self.truth("ticket_orders")
        ticketing = pd.DataFrame(
            {
                "channel": "ticketing",
                "purchase_id": t.order_id.astype(str),
                "person_id": t.person_id,
                "purchased_at": t.created_at_utc,
                "gross": t.total_amount_eur.where(t.status.isin(["paid", "refunded"]), 0.0),
                "net": t.total_amount_eur.where(t.status == "paid", 0.0),
                "is_counted": t.status == "paid",
            }
        )
        s = self.truth("shop_orders")
        live = ~s.financial_status.isin(["voided", "pending"])
        rate = s.currency.map(fx)
        shop_net = ((s.total - s.refunded_amount) * rate).round(2).where(live, 0.0)
        shop = pd.DataFrame(
            {
                "channel": "shop",
                "purchase_id": s.order_id.astype(str),
                "person_id": s.person_id,
                "purchased_at": s.created_at_utc,
                "gross": (s.total * rate).round(2).where(live, 0.0),
                "net": shop_net,
                "is_counted": shop_net > 0,
            }
        )
        frame = pd.concat([ticketing, shop], ignore_index=True)
        frame["gross"] = frame.gross.round(2)
        frame["net"] = frame.net.round(2)
        frame["refunded"] = (frame.gross - frame.net).round(2)
        record = frame.channel.map({"ticketing": "ticketing_order", "shop": "shop_order"})
        frame["fan_id"] = [
            self.fan_of.get((r, i)) for r, i in zip(record, frame.purchase_id, strict=True)
        ]
        frame["purchase_date"] = paris_date(frame.purchased_at)
        return frame


def paris_date(utc: pd.Series) -> pd.Series:
    """UTC timestamps -> the club's business dates (as Timestamps at midnight)."""
    return pd.to_datetime(utc, utc=True).dt.tz_convert(CLUB_TZ).dt.tz_localize(None).dt.normalize()


def season_of(day: pd.Series) -> pd.Series:
    start = day.dt.year - (day.dt.month < 7).astype(int)
    return start.astype(str) + "-" + (start + 1).astype(str)


def _build(root: Path) -> KpiWarehouse:
    from orchestration.dbt import mart_personal_columns
    from orchestration.generator import generate
    from orchestration.landing import load_landing
    from orchestration.publish import publish

    built = KpiWarehouse(root)
    generate(built.landing, fans=KPI_FANS, seed=KPI_SEED)
    load_landing(built.landing, built.warehouse)
    dbt = Path(sys.executable).parent / "dbt"  # the dbt of this environment
    result = subprocess.run(
        [
            str(dbt),
            "build",
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(root / "dbt_target"),
            "--select",
            "+path:models/marts/kpi +path:models/intermediate/kpi +fan_source_records",
            # tests of models outside the selection (e.g. relationships to dim_fan) stay out
            "--indirect-selection",
            "cautious",
            # unit tests are test_dbt_unit_tests' job; one of an incremental model reads the
            # model's own columns, which a fresh warehouse does not have yet
            "--exclude",
            "test_type:unit",
            "--vars",
            json.dumps({"as_of_date": built.expected["as_of_date"]}),
        ],
        cwd=DBT_PROJECT_DIR,
        env={
            **os.environ,
            "DBT_TARGET": "prod",
            "GRANDSTAND_WAREHOUSE": str(built.warehouse),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"dbt build failed:\n{result.stdout[-6000:]}\n{result.stderr}"
    publish(
        built.warehouse,
        built.published_dir,
        "kpi-tests",
        as_of=built.expected["as_of_date"],
        withheld=mart_personal_columns(),
    )
    return built


def kpi_warehouse(tmp_path_factory: pytest.TempPathFactory) -> KpiWarehouse:
    """The session's KPI warehouse, built on first use. A test module wraps it in its own
    fixture::

        @pytest.fixture(scope="session")
        def kpi(tmp_path_factory):
            return kpi_warehouse(tmp_path_factory)
    """
    if "kpi" not in _BUILT:
        _BUILT["kpi"] = _build(tmp_path_factory.mktemp("kpi"))
    return _BUILT["kpi"]
