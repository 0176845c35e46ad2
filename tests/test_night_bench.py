"""The night benchmark's measuring pieces, on hand-made inputs (the bench itself is
`make bench`: it prints figures and asserts nothing about time)."""

import os

from orchestration.progress import phase_of, step_name
from tests.bench.night_bench import (
    dbt_layer,
    hold_back_newest_date,
    land,
    landed_files,
    peak_between,
    raw_scan,
    tree_rss_bytes,
)


def test_dagster_steps_map_to_the_nights_phases_and_read_as_people_name_them():
    for step, phase, name in [
        ("raw__ticketing_orders", "ingest", "load ticketing orders"),
        (
            "raw__email_survey_responses_gx_raw_email_survey_responses",
            "checks",
            "check raw.email_survey_responses",
        ),
        ("marts__dim_fan_gx_marts_dim_fan", "checks", "check marts.dim_fan"),
        ("marts__identity_quality", "checks", "identity quality against the truth"),
        ("dbt_models", "dbt", "dbt build"),
        ("published__marts", "publish", "publish the marts"),
        ("published__report", "report", "KPI report and dbt docs"),
    ]:
        assert (phase_of(step), step_name(step)) == (phase, name), step


def test_dbt_nodes_map_to_their_layer():
    assert dbt_layer("model.g.stg_shop__orders", "models/staging/shop/stg.sql") == "staging"
    assert dbt_layer("model.g.int_x", "models/intermediate/identity/int_x.sql") == "identity"
    assert dbt_layer("model.g.fan_id_history", "models/marts/identity/f.sql") == "identity"
    assert dbt_layer("model.g.int_y", "models/intermediate/kpi/int_y.sql") == "intermediate"
    assert dbt_layer("model.g.dim_fan", "models/marts/core/dim_fan.sql") == "marts"
    assert dbt_layer("seed.g.fx_rates", "seeds/fx_rates.csv") == "seeds"
    assert dbt_layer("test.g.not_null_x", "models/marts/core/_core__models.yml") == "tests"


def test_peak_is_the_highest_sample_in_the_window_or_the_last_before_it():
    samples = [(0.0, 1), (1.0, 5), (2.0, 3), (3.0, 9)]
    assert peak_between(samples, 0.5, 2.5) == 5
    assert peak_between(samples, 2.2, 2.8) == 3  # no sample inside: the one before holds
    assert peak_between([], 0, 1) == 0


def test_the_process_tree_of_this_test_has_resident_memory():
    assert tree_rss_bytes(os.getpid()) > 10 * 1024**2  # a Python with pytest loaded


def test_the_newest_export_date_is_held_back_and_landed_again(tmp_path):
    landing, held = tmp_path / "landing", tmp_path / "held"
    files = [
        "ticketing/orders_20261119.csv",
        "ticketing/orders_20261120.csv",
        "email/events_20261120.jsonl",
        "_truth/persons.csv",
    ]
    for name in files:
        (landing / name).parent.mkdir(parents=True, exist_ok=True)
        (landing / name).write_text("a;b\n1;2\n")
    assert hold_back_newest_date(landing, held) == "20261120"
    assert [p.relative_to(landing).as_posix() for p in landed_files(landing)] == [
        "ticketing/orders_20261119.csv"
    ]  # the generator's truth is no landed file
    land(held, landing)
    assert len(landed_files(landing)) == 3


def test_the_raw_scan_counts_every_line_of_every_file(tmp_path):
    (tmp_path / "a.csv").write_bytes(b'id;name\n1;"Ren\xe9e; quoted"\n2;x\n')  # cp1252
    (tmp_path / "b.jsonl").write_text('{"a": 1}\n{"a": 2, "b": "x,y"}\n')
    seconds, lines = raw_scan(tmp_path)
    assert lines == 5 and seconds >= 0


def test_dbt_layers_come_from_the_nights_own_invocation(tmp_path, monkeypatch):
    import json

    from tests.bench import night_bench

    def invocation(folder: str, seconds: float) -> None:
        where = tmp_path / "target" / folder
        where.mkdir(parents=True)
        nodes = {"model.g.stg_a": {"original_file_path": "models/staging/shop/stg_a.sql"}}
        (where / "manifest.json").write_text(json.dumps({"nodes": nodes}))
        results = [
            {"unique_id": "model.g.stg_a", "execution_time": seconds, "timing": []},
            {"unique_id": "exposure.g.kpi_report", "execution_time": 0.0, "timing": []},
        ]
        (where / "run_results.json").write_text(json.dumps({"results": results}))

    invocation("dbt_models-abcdef0-1111111", 2.5)  # the night's run abcdef01-...
    invocation("dbt_models-9999999-2222222", 7.0)  # another run (a test, a dev build)
    monkeypatch.setattr(night_bench, "DBT_PROJECT_DIR", tmp_path)
    layers = night_bench._dbt_layers([(0.0, 0)], run_id="abcdef01-2345")
    assert layers == {"staging": (2.5, 0)}
