"""Privacy by design: the BI file holds no direct identifier, contact details go only to the
activation export (consenting fans), and what reaches a spreadsheet cannot run as a formula.

Hand-made fixtures for the rules; the nightly run on generated data, searched for every
email, phone and birth date of the generator's truth (persons.csv), for the whole."""

from __future__ import annotations

import csv
import itertools
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration import privacy
from orchestration import publish as pub
from orchestration.activation import CONTACTS_FILE, contacts_csv, spreadsheet_safe
from orchestration.settings import project_var

# ------------------------------------------------------------------------------- rules


def test_personal_columns_are_read_from_the_marts_yaml_declarations():
    nodes = {
        "model.g.dim_fan": {
            "resource_type": "model",
            "schema": "marts",
            "name": "dim_fan",
            "columns": {
                "fan_id": {"config": {"meta": {}}},
                "email": {"config": {"meta": {"personal_data": "direct"}}},
                "postal_code": {"meta": {"personal_data": "quasi"}},  # dbt < 1.10 form
            },
        },
        "model.g.stg_x": {
            "resource_type": "model",
            "schema": "staging",
            "name": "stg_x",
            "columns": {"email": {"config": {"meta": {"personal_data": "direct"}}}},
        },
    }
    assert privacy.personal_columns(nodes) == {"dim_fan": ("email", "postal_code")}


@pytest.fixture
def suspicious(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "bi.duckdb"))
    con.execute("CREATE SCHEMA marts")
    con.execute(
        """
        CREATE TABLE marts.fans AS SELECT * FROM (VALUES
            ('F1', 'call me: jo.doe@free.fr', '+33612345678', 5123456789012, DATE '1980-01-02'),
            ('F2', 'no contact here', '06 12 34 56 78', 5123456789013, NULL),
            ('F3', 'fine', 'fine', 42, NULL)
        ) t(fan_id, note, tel, order_id, birth_day)
        """
    )
    con.execute("CREATE TABLE marts.ok AS SELECT 'x@' AS handle, '2026-11-20' AS day")
    return con


def test_the_audit_finds_contact_values_and_birth_dates_and_names_no_value(suspicious):
    catalog = suspicious.execute("SELECT current_database()").fetchone()[0]
    findings = privacy.find_personal_data(suspicious, catalog)
    assert findings == [
        "marts.fans.birth_day: a birth date",
        "marts.fans.note: 1 values hold an email address",
        "marts.fans.tel: 2 values are phone numbers",
    ]
    assert not any("jo.doe" in f or "3361" in f for f in findings)


def test_a_column_named_after_an_identifier_is_found_even_when_empty(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "bi.duckdb")) as con:
        con.execute("CREATE TABLE first_name_less AS SELECT NULL::VARCHAR AS first_name")
        catalog = con.execute("SELECT current_database()").fetchone()[0]
        assert privacy.find_personal_data(con, catalog) == [
            "main.first_name_less.first_name: a column named after a direct identifier"
        ]


def make_warehouse(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute(
            """
            CREATE TABLE marts.dim_fan AS SELECT * FROM (VALUES
                ('F1', 'jo.doe@free.fr', '25-34', 'Jo'),
                ('F2', NULL, '65+', 'Al')
            ) t(fan_id, email, age_band, first_name)
            """
        )
        con.execute("COMMENT ON COLUMN marts.dim_fan.email IS 'Email (golden record).'")


def test_publish_withholds_the_declared_columns_from_the_file_and_its_parquet(tmp_path: Path):
    warehouse = tmp_path / "warehouse.duckdb"
    make_warehouse(warehouse)
    withheld = {"dim_fan": ("email", "first_name")}
    result = pub.publish(warehouse, tmp_path / "published", "run1", withheld=withheld)
    with duckdb.connect(str(result.database), read_only=True) as con:
        assert [d[0] for d in con.execute("SELECT * FROM marts.dim_fan").description] == [
            "fan_id",
            "age_band",
        ]
        parquet = result.parquet_dir / "dim_fan.parquet"
        assert con.execute(f"SELECT * FROM '{parquet}'").fetchall() in (
            [("F1", "25-34"), ("F2", "65+")],
            [("F2", "65+"), ("F1", "25-34")],
        )
    manifest = pub.json.loads(result.manifest.read_text())
    assert manifest["withheld_columns"] == {"dim_fan": ["email", "first_name"]}


def test_personal_data_no_yaml_declares_stops_the_publish(tmp_path: Path):
    warehouse = tmp_path / "warehouse.duckdb"
    make_warehouse(warehouse)
    published = tmp_path / "published"
    pub.publish(warehouse, published, "run1", withheld={"dim_fan": ("email", "first_name")})
    with pytest.raises(pub.PublishError) as stopped:
        pub.publish(warehouse, published, "run2", withheld={"dim_fan": ("first_name",)})
    message = str(stopped.value)
    assert "marts.dim_fan.email" in message and "jo.doe" not in message
    # the previous release stays what BI reads
    assert pub.json.loads((published / pub.MANIFEST).read_text())["run_id"] == "run1"


@pytest.mark.parametrize(
    ("value", "column", "shown"),
    [
        ("not-an-email", "EMAIL", privacy.WITHHELD),  # a person's column, whatever the value
        ("Jo", "holder_first_name", privacy.WITHHELD),
        ("1990-13-45", "DATE_OF_BIRTH", privacy.WITHHELD),
        ("jo.doe@free.fr", "status", privacy.WITHHELD),  # a person's value, whatever the column
        ("06 12 34 56 78", None, privacy.WITHHELD),
        ("lost", "status", "lost"),
        ("-3.5", "net_amount_eur", "-3.5"),
        (None, "email", None),
    ],
)
def test_samples_in_check_results_and_logs_withhold_personal_values(value, column, shown):
    assert privacy.mask_personal(value, column) == shown


def test_a_sampled_row_is_masked_column_by_column():
    row = {"order_id": "T1", "email": "jo.doe@free.fr", "note": "call +33612345678"}
    assert privacy.mask_personal(row) == {
        "order_id": "T1",
        "email": privacy.WITHHELD,
        "note": "call +33612345678",  # a phone inside text is not a phone value...
    }


def test_a_failing_check_on_an_email_column_shows_no_email(tmp_path: Path):
    from orchestration import quality

    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute(
            "CREATE TABLE raw.contacts AS SELECT * FROM (VALUES ('jo.doe@free'), ('a@b.fr'))"
            " t(EMAIL)"
        )
    suite = tmp_path / "exp" / "raw" / "contacts.yml"
    suite.parent.mkdir(parents=True)
    suite.write_text(
        "suite: raw_contacts\nblocking: false\nexpectations:\n"
        "  - type: expect_column_values_to_be_in_set\n"
        "    kwargs: {column: EMAIL, value_set: [a@b.fr]}\n"
        "  - type: unexpected_rows\n"
        "    description: an address has a domain\n"
        "    kwargs:\n"
        "      unexpected_rows_query: select EMAIL, 'no dot' as why from {batch}"
        " where EMAIL not like '%@%.%'\n"
    )
    result = quality.run_suite(suite, warehouse)
    assert not result.success
    in_set, rows = result.failures
    assert in_set.unexpected_count == 1 and in_set.sample == [privacy.WITHHELD]
    assert rows.sample == [{"EMAIL": privacy.WITHHELD, "why": "no dot"}]
    assert "jo.doe" not in result.describe()
    assert "jo.doe" not in str(result.to_check_result().metadata)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x.example","click")', '\'=HYPERLINK("http://x.example","click")'),
        ("+SUM(A1:A2)", "'+SUM(A1:A2)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("+33612345678", "+33612345678"),  # a phone is a number, not a formula
        ("-12.5", "-12.5"),
        ("Zo\x00é", "Zoé"),
        ("two\r\nlines", "two lines"),
        ("\t=1+1", "' =1+1"),
        (None, ""),
        ("Marie", "Marie"),
    ],
)
def test_activation_cells_are_spreadsheet_safe(value, cell):
    assert spreadsheet_safe(value) == cell


def test_the_activation_file_quotes_what_needs_quoting():
    text = contacts_csv(["first_name", "contact_point"], [('=1+1, "x"', "a@b.fr")])
    assert list(csv.reader(text.splitlines())) == [
        ["first_name", "contact_point"],
        ['\'=1+1, "x"', "a@b.fr"],
    ]


# ------------------------------------------------------------------ generated data, e2e


@pytest.fixture(scope="module")
def truth_identifiers(nightly) -> dict[str, set[str]]:
    """Every email, phone and birth date of the generator's people (births before 2020:
    later ones are days a club also sells tickets on)."""
    path = nightly.truth.landing / "_truth" / "persons.csv"
    with path.open(encoding="utf-8") as f:
        persons = list(csv.DictReader(f))
    return {
        "email": {e for p in persons for e in p["emails"].split("|") if e},
        "phone": {p["phone_e164"] for p in persons if p["phone_e164"]},
        "birth_date": {p["birth_date"] for p in persons if "" < p["birth_date"] < "2020"},
    }


def published_values(database: Path, relation_of) -> set[str]:
    """Every distinct text and date value of every published table (or Parquet file)."""
    values: set[str] = set()
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
        ).fetchall()
        for schema, table in tables:
            relation = relation_of(schema, table)
            for column, data_type, *_ in con.execute(
                f"DESCRIBE SELECT * FROM {relation}"
            ).fetchall():
                if data_type in ("VARCHAR", "DATE"):
                    rows = con.execute(
                        f'SELECT DISTINCT "{column}"::VARCHAR FROM {relation}'
                        f' WHERE "{column}" IS NOT NULL'
                    ).fetchall()
                    values.update(row[0] for row in rows)
    return values


@pytest.mark.e2e
def test_no_email_phone_or_birth_date_of_anyone_is_in_the_bi_file(nightly, truth_identifiers):
    published = nightly.home / "published"
    database = published / pub.PUBLISHED_DB
    in_database = published_values(database, lambda s, t: f'"{s}"."{t}"')
    in_parquet = published_values(
        database, lambda s, t: f"'{published / pub.PARQUET_LINK / (t + '.parquet')}'"
    )
    for kind, identifiers in truth_identifiers.items():
        assert not identifiers & in_database, kind
        assert not identifiers & in_parquet, kind
    # byte-wise too (text the columns above would not show, e.g. a comment or a name)
    files = [database, *sorted((published / pub.PARQUET_LINK).glob("*.parquet"))]
    contacts = truth_identifiers["email"] | truth_identifiers["phone"]
    for path in files:
        data = path.read_bytes()
        assert not [c for c in contacts if c.encode() in data], path


@pytest.mark.e2e
def test_the_activation_file_holds_contacts_of_consenting_fans_only(nightly, truth_identifiers):
    path = nightly.home / "activation" / CONTACTS_FILE
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows, "no fan to activate"
    # it does carry the people's contact points (the search above would see them)
    assert {r["contact_point"] for r in rows if r["channel"] == "email"} & truth_identifiers[
        "email"
    ]
    with duckdb.connect(str(nightly.warehouse), read_only=True) as con:
        granted = set(
            con.execute(
                "SELECT fan_id, channel FROM marts.fan_consent WHERE consent_status = 'granted'"
            ).fetchall()
        )
    assert {(r["fan_id"], r["channel"]) for r in rows} <= granted


def expected_band(birth: date | None, as_of: date, starts: list[int]) -> str | None:
    if birth is None:
        return None
    age = as_of.year - birth.year - ((as_of.month, as_of.day) < (birth.month, birth.day))
    if age < starts[0]:
        return f"under {starts[0]}"
    for low, high in itertools.pairwise(starts):
        if age < high:
            return f"{low}-{high - 1}"
    return f"{starts[-1]}+"


@pytest.mark.e2e
def test_the_age_band_is_the_fans_age_at_the_as_of_date(nightly):
    with duckdb.connect(str(nightly.warehouse), read_only=True) as con:
        (as_of,) = con.execute(
            "SELECT as_of_date FROM intermediate.int_run_as_of_resolved"
        ).fetchone()
        fans = con.execute("SELECT birth_date, age_band FROM marts.dim_fan").fetchall()
    starts = project_var("privacy_age_band_starts")
    wrong = [(b, band) for b, band in fans if band != expected_band(b, as_of, starts)]
    assert not wrong, wrong[:5]
    assert len({band for _, band in fans}) >= 5  # the generator's fans span the bands


def test_quarantine_examples_in_logs_withhold_personal_values(tmp_path: Path):
    from orchestration.landing import load_landing

    landing = tmp_path / "landing" / "email"
    landing.mkdir(parents=True)
    (landing / "contacts_20261120.csv").write_text(
        "CONTACT_ID;EMAIL;FIRSTNAME;DATE_OF_BIRTH;CREATED_AT\n"
        "C1;jo.doe@free.fr;Jo;31/02/1990;2026-11-20 10:00:00\n"
        "C2;al@free.fr;Al;1990-01-02;not a time\n",
        encoding="utf-8",
    )
    report = load_landing(tmp_path / "landing", tmp_path / "warehouse.duckdb")
    (result,) = report.files
    assert result.rows_quarantined == 2
    shown = " ".join(result.issues)
    # the birth date is a person's value, the bad timestamp is not
    assert "31/02/1990" not in shown and privacy.WITHHELD in shown and "not a time" in shown
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        reasons = " ".join(
            r for (r,) in con.execute("SELECT reason FROM raw._quarantine").fetchall()
        )
    assert "31/02/1990" in reasons  # the quarantine keeps the reason whole (under erasure)


@pytest.mark.e2e
def test_fan_ids_come_from_record_keys_never_from_an_email_or_a_name(nightly):
    # int_fan_ids_assigned: 'F' + 16 hex digits of the md5 of the fan's smallest record key
    # (record type and the tool's own id); the tools' keys are in the BI file anyway
    with duckdb.connect(str(nightly.published), read_only=True) as con:
        fans, derived = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE fan_id = 'F' || right(md5(record_key), 16))"
            " FROM (SELECT fan_id, min(record_type || ':' || record_id) AS record_key"
            " FROM marts.fan_source_records GROUP BY fan_id)"
        ).fetchone()
    assert fans > 1000 and derived == fans
