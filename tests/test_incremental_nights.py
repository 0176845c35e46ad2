"""Incremental nights (issue 10): a night that builds the delta exports' staging models
incrementally publishes exactly what a full refresh of the same landing publishes, late and
corrected files included; and a night rebuilds them whole when what computes them changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.dbt import incremental_fingerprints
from tests.bench.night_bench import hold_back_newest_date, land
from tests.conftest import run_nightly
from tests.published_tables import content_hashes

# The staging models of delta exports, built incrementally (macros/incremental_staging.sql).
INCREMENTAL_STAGING = (
    "stg_ticketing__orders",
    "stg_ticketing__tickets",
    "stg_ticketing__access_scans",
    "stg_shop__order_lines",
    "stg_email__events",
    "stg_email__survey_responses",
)


def _manifest(
    model_sql: str, helper_sql: str, *, full_refresh=None, upstream_sql="select 1", seed="c1"
) -> dict:
    config = {"materialized": "incremental", "full_refresh": full_refresh}
    return {
        "nodes": {
            "model.g.stg_x": {
                "raw_code": model_sql,
                "config": config,
                "depends_on": {"macros": ["macro.g.outer"], "nodes": ["model.g.int_up"]},
            },
            "model.g.int_up": {
                "raw_code": upstream_sql,
                "config": {"materialized": "table"},
                "depends_on": {"nodes": ["seed.g.names", "source.g.raw.x"]},
            },
            "seed.g.names": {"resource_type": "seed", "checksum": {"checksum": seed}},
            "model.g.dim_y": {"raw_code": "select 2", "config": {"materialized": "table"}},
        },
        "macros": {
            "macro.g.outer": {
                "macro_sql": "{{ inner() }}",
                "depends_on": {"macros": ["macro.g.inner"]},
            },
            "macro.g.inner": {"macro_sql": helper_sql, "depends_on": {"macros": []}},
            "macro.g.unused": {"macro_sql": "anything", "depends_on": {"macros": []}},
        },
    }


def test_an_incremental_models_fingerprint_follows_its_sql_its_upstream_its_macros_and_the_vars():
    paris = {"tz": "Europe/Paris"}
    base = incremental_fingerprints(_manifest("select a", "trim(x)"), paris)
    assert list(base) == ["model.g.stg_x"]  # tables are rebuilt every night anyway
    assert incremental_fingerprints(_manifest("select a", "trim(x)"), paris) == base
    for changed in [
        incremental_fingerprints(_manifest("select a, b", "trim(x)"), {"tz": "Europe/Paris"}),
        incremental_fingerprints(_manifest("select a", "upper(x)"), {"tz": "Europe/Paris"}),
        incremental_fingerprints(_manifest("select a", "trim(x)"), {"tz": "UTC"}),
        # kept rows were computed from upstream tables (the candidate pairs' nicknames)
        incremental_fingerprints(_manifest("select a", "trim(x)", upstream_sql="select 3"), paris),
        incremental_fingerprints(_manifest("select a", "trim(x)", seed="c2"), paris),
    ]:
        assert changed["model.g.stg_x"] != base["model.g.stg_x"]
    unrelated = _manifest("select a", "trim(x)")
    unrelated["macros"]["macro.g.unused"]["macro_sql"] = "something else"
    unrelated["nodes"]["model.g.dim_y"]["raw_code"] = "select 4"  # downstream or unrelated
    assert incremental_fingerprints(unrelated, {"tz": "Europe/Paris"}) == base
    # an append-only history is never rebuilt: nothing to fingerprint
    history = _manifest("select a", "trim(x)", full_refresh=False)
    assert incremental_fingerprints(history, {}) == {}


def _utf8_files(folder: Path, pattern: str) -> list[Path]:
    """The files of a pattern plain UTF-8 without BOM (the generator writes some in other
    encodings, which a byte-level edit would break)."""
    found = []
    for path in sorted(folder.glob(pattern)):
        data = path.read_bytes()
        if not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            found.append(path)
    return found


def _correct_without_last_ticket(landing: Path) -> str:
    """Re-export the oldest tickets file under its name without its last ticket (one no gate
    scanned, so no scan loses its ticket): the ticket must leave staging."""
    scanned = b"".join(p.read_bytes() for p in (landing / "ticketing").glob("access_*.csv"))
    for path in _utf8_files(landing / "ticketing", "tickets_*.csv"):
        lines = path.read_bytes().rstrip(b"\n").split(b"\n")
        ticket_id = lines[-1].split(b";")[0].strip()
        if len(lines) > 2 and ticket_id and ticket_id not in scanned:
            path.write_bytes(b"\n".join(lines[:-1]) + b"\n")
            return ticket_id.decode()
    raise AssertionError("no tickets file to correct")


def _move_a_contact_to_another_mailbox(landing: Path) -> None:
    """The newest contacts snapshot gives its first contact another address: the contact's
    profile is replaced by another (one gone, one new), so candidate pairs must follow."""
    path = _utf8_files(landing / "email", "contacts_*.csv")[-1]
    lines = path.read_bytes().split(b"\n")
    column = [name.strip().upper() for name in lines[0].split(b";")].index(b"EMAIL")
    fields = lines[1].split(b";")
    fields[column] = b"moved." + fields[column]
    lines[1] = b";".join(fields)
    path.write_bytes(b"\n".join(lines))


def _staging_rows(warehouse: Path, model: str) -> list[tuple]:
    return _rows(warehouse, f"staging.{model}", exclude="EXCLUDE (_loaded_at)")


def _rows(warehouse: Path, relation: str, exclude: str = "") -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"SELECT * {exclude} FROM {relation} ORDER BY ALL").fetchall()


@pytest.mark.e2e
def test_an_incremental_night_publishes_what_a_full_refresh_publishes(tmp_path: Path):
    from orchestration.generator import generate

    landing, newest, late = tmp_path / "landing", tmp_path / "newest", tmp_path / "late"
    generate(landing, fans=150, seed=21)
    hold_back_newest_date(landing, newest)
    # a late file: an older export date that arrives with the newest one
    late_file = sorted((landing / "ticketing").glob("access_*.csv"))[0]
    (late / "ticketing").mkdir(parents=True)
    shutil.move(late_file, late / "ticketing" / late_file.name)

    incremental, refreshed = tmp_path / "incremental", tmp_path / "refreshed"
    assert run_nightly(incremental, landing).success
    shutil.copytree(incremental, refreshed, symlinks=True)  # the same home, histories included

    land(newest, landing)
    land(late, landing)
    dropped_ticket = _correct_without_last_ticket(landing)
    _move_a_contact_to_another_mailbox(landing)
    assert run_nightly(incremental, landing).success
    assert run_nightly(refreshed, landing, GRANDSTAND_FULL_REFRESH="1").success

    assert content_hashes(incremental / "published") == content_hashes(refreshed / "published")
    for model in INCREMENTAL_STAGING:
        rows = _staging_rows(incremental / "warehouse.duckdb", model)
        assert rows, model
        assert rows == _staging_rows(refreshed / "warehouse.duckdb", model), model
    # the candidate pairs kept from the first night and those computed again (the night's
    # changed profiles) are the pairs a full build computes
    pairs = "intermediate.int_identity_pairs_compared"
    changed = _rows(incremental / "warehouse.duckdb", "intermediate.int_identity_profiles_changed")
    assert changed, "the delta changed no profile: nothing incremental was tested"
    assert _rows(incremental / "warehouse.duckdb", pairs) == _rows(
        refreshed / "warehouse.duckdb", pairs
    )
    tickets = _staging_rows(incremental / "warehouse.duckdb", "stg_ticketing__tickets")
    assert dropped_ticket not in {row[0] for row in tickets}
