"""When the nightly job starts on its own: the new-exports sensor."""

import os

import dagster as dg

from orchestration.schedules import new_exports_sensor


def test_the_sensor_starts_from_the_landing_as_it_is_then_runs_on_new_exports(
    tmp_path, monkeypatch
):
    landing = tmp_path / "landing"
    (landing / "ticketing").mkdir(parents=True)
    (landing / "ticketing" / "orders_20261119.csv").write_text("order_id\n1\n")
    monkeypatch.setenv("GRANDSTAND_LANDING", str(landing))

    # Opening the UI evaluates the sensor with no cursor: no surprise run.
    first = dg.build_sensor_context(cursor=None)
    assert isinstance(new_exports_sensor(first), dg.SkipReason)
    baseline = first.cursor
    assert baseline

    unchanged = dg.build_sensor_context(cursor=baseline)
    assert isinstance(new_exports_sensor(unchanged), dg.SkipReason)

    # A file outside the contract is no export; a new export starts a run, once.
    (landing / "ticketing" / "notes.txt").write_text("hello")
    assert isinstance(new_exports_sensor(dg.build_sensor_context(cursor=baseline)), dg.SkipReason)
    (landing / "ticketing" / "orders_20261120.csv").write_text("order_id\n2\n")
    landed = dg.build_sensor_context(cursor=baseline)
    request = new_exports_sensor(landed)
    assert isinstance(request, dg.RunRequest) and landed.cursor != baseline
    assert isinstance(
        new_exports_sensor(dg.build_sensor_context(cursor=landed.cursor)), dg.SkipReason
    )

    # A corrected export (same name, new bytes) is a change too.
    corrected = landing / "ticketing" / "orders_20261120.csv"
    corrected.write_text("order_id\n2\n3\n")
    os.utime(corrected, ns=(1, 2_000_000_000_000_000_000))
    assert isinstance(
        new_exports_sensor(dg.build_sensor_context(cursor=landed.cursor)), dg.RunRequest
    )
