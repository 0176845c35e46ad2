"""The demo-data generator: determinism, every contract quirk, the forms real exports take,
and a truth that adds up.

The landing zone is parsed back here with plain Python (csv, json), independently of the
generator's own code, the way a careful ingestion would: headers matched case-insensitively
in any order, a file whose bytes were delivered before loaded once, latest export wins,
broken lines set aside.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration.generator import generate, main
from orchestration.generator.renderers import Tools
from orchestration.generator.timeline import Timeline
from orchestration.generator.vocab import ADDRESS_LINE_2
from orchestration.generator.world import build_world
from orchestration.landing.contract import FILE_TYPES_BY_NAME, match_file
from orchestration.settings import SEEDS_DIR

FANS = 300
END = date(2026, 11, 20)
NIGHTS = 7
FX = {"EUR": 1.0, "GBP": 1.17, "CHF": 1.06}
GROUPED_AMOUNT = r"\d{1,3}([ \u00a0]\d{3})+,\d{2}"  # '1 234,50'
ISO_T_TIMESTAMP = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"
KICKOFF_DATE = r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}"
# The forms the tools write each kind of value in (SOURCES.md, and the ones real exports
# also use: issue 8), and the strptime formats that read them (a date must be a real one).
FORMS = {
    "text": (r"(?s).*", ()),
    "date": (
        rf"\d{{2}}/\d{{2}}/\d{{4}}|{KICKOFF_DATE}|\d{{4}}-\d{{2}}-\d{{2}}",
        ("%d/%m/%Y", "%d/%m/%Y %H:%M", "%Y-%m-%d"),
    ),
    "local_timestamp": (
        rf"\d{{2}}/\d{{2}}/\d{{4}} \d{{2}}:\d{{2}}(:\d{{2}})?|{ISO_T_TIMESTAMP}",
        ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%S"),
    ),
    "utc_timestamp": (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", ("%Y-%m-%d %H:%M:%S",)),
    "offset_timestamp": (
        r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}",
        ("%Y-%m-%d %H:%M:%S %z",),
    ),
    "decimal": (rf"-?\d+[.,]\d{{2}}|{GROUPED_AMOUNT}", ()),
    "integer": (r"-?\d+|\d{1,3}( \d{3})+", ()),
    "epoch_seconds": (r"\d+", ()),
    "boolean": (r"O|N|Yes|No|yes|no|true|false", ()),
}


@dataclass
class ParsedFile:
    path: Path
    file_type: str
    export_date: str
    sha256: str = ""
    encoding: str = "utf-8"
    text: str = ""
    raw_header: list[str] = field(default_factory=list)  # as written
    header: list[str] = field(default_factory=list)  # contract spelling where it is one
    rows: list[dict[str, str]] = field(default_factory=list)  # well-formed records
    bad: list[str] = field(default_factory=list)  # lines that cannot be parsed
    raw_lines: list[str] = field(default_factory=list)  # JSON lines as written
    json_array: bool = False
    duplicate_of: str = ""  # an earlier delta with the same bytes: loaded once

    @property
    def data_rows(self) -> int:
        return len(self.rows) + len(self.bad)

    @property
    def relative(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"


def decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(codecs.BOM_UTF16_LE):
        return raw[2:].decode("utf-16-le"), "utf-16"
    if raw.startswith(codecs.BOM_UTF8):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252"), "cp1252"


def parse(path: Path, file_type: str, export_date: str) -> ParsedFile:
    raw = path.read_bytes()
    parsed = ParsedFile(path, file_type, export_date, hashlib.sha256(raw).hexdigest())
    text, parsed.encoding = decode(raw)
    parsed.text = text
    delimiter = FILE_TYPES_BY_NAME[file_type].delimiter
    if delimiter is None:
        if text.lstrip().startswith("["):  # the whole file is one JSON array
            parsed.json_array = True
            parsed.rows = json.loads(text)
            return parsed
        for line in text.splitlines():
            parsed.raw_lines.append(line)
            try:
                parsed.rows.append(json.loads(line))
            except json.JSONDecodeError:
                parsed.bad.append(line)
        return parsed
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not records:
        return parsed
    contract = {c.lower(): c for c in FILE_TYPES_BY_NAME[file_type].columns}
    parsed.raw_header = records[0]
    parsed.header = [contract.get(h.strip().lower(), h.strip()) for h in records[0]]
    for record in records[1:]:
        if len(record) == len(parsed.header):
            parsed.rows.append(dict(zip(parsed.header, record, strict=True)))
        else:
            parsed.bad.append(delimiter.join(record))
    return parsed


class Landing:
    """Every contract file of a landing folder, parsed."""

    def __init__(self, root: Path):
        self.root = root
        self.files: list[ParsedFile] = []
        for source in ("ticketing", "shop", "email"):
            for path in sorted((root / source).iterdir()):
                found = match_file(source, path.name)
                if found:
                    self.files.append(parse(path, found[0].name, found[1]))
        # A delta whose bytes came before is loaded once (a snapshot restates its table).
        first_with: dict[tuple[str, str], str] = {}
        for f in sorted(self.files, key=lambda f: f.export_date):
            if f.data_rows and FILE_TYPES_BY_NAME[f.file_type].kind == "delta":
                first = first_with.setdefault((f.file_type, f.sha256), f.relative)
                f.duplicate_of = "" if first == f.relative else first

    def of(self, file_type: str, with_duplicates: bool = False) -> list[ParsedFile]:
        """The files of a type by export date; a delta delivered before is skipped."""
        return sorted(
            (
                f
                for f in self.files
                if f.file_type == file_type and (with_duplicates or not f.duplicate_of)
            ),
            key=lambda f: f.export_date,
        )

    def rows(
        self, file_type: str, with_duplicates: bool = False
    ) -> list[tuple[str, dict[str, str]]]:
        return [(f.export_date, row) for f in self.of(file_type, with_duplicates) for row in f.rows]

    def latest(self, file_type: str, key: str) -> dict[str, dict[str, str]]:
        """Newest delivered version of each record (later export wins)."""
        return {row[key]: row for _, row in self.rows(file_type)}

    def last_snapshot(self, file_type: str) -> ParsedFile:
        return self.of(file_type)[-1]


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("landing")
    generate(root, fans=FANS, seed=7, end_date=END, nights=NIGHTS)
    return root


@pytest.fixture(scope="module")
def landing(out) -> Landing:
    return Landing(out)


@pytest.fixture(scope="module")
def expected(out) -> dict:
    return json.loads((out / "_truth" / "expected.json").read_text())


@pytest.fixture(scope="module")
def truth_records(out) -> pd.DataFrame:
    return pd.read_csv(out / "_truth" / "source_records.csv", dtype=str)


@pytest.fixture(scope="module")
def persons(out) -> pd.DataFrame:
    return pd.read_csv(out / "_truth" / "persons.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def anomalous_orders(expected) -> set[str]:
    return set(expected["anomalous_shop_orders"])


def clean(out: Path, table: str) -> pd.DataFrame:
    return pd.read_parquet(out / "_truth" / "clean" / f"{table}.parquet")


def all_files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# --- determinism ------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(out, tmp_path):
    generate(tmp_path, fans=FANS, seed=7, end_date=END, nights=NIGHTS)
    first, again = all_files(out), all_files(tmp_path)
    assert first.keys() == again.keys()
    assert [name for name in first if first[name] != again[name]] == []


def test_other_seed_gives_other_data(out, tmp_path):
    generate(tmp_path, fans=FANS, seed=8, end_date=END, nights=NIGHTS)
    first, other = all_files(out), all_files(tmp_path)
    name = "ticketing/orders_20261114.csv"
    assert first[name] != other[name]


# --- layout ------------------------------------------------------------------------------


def test_export_dates_are_the_nights_ending_at_end_date(landing):
    dates = {f.export_date for f in landing.files}
    assert dates == {f"202611{d}" for d in range(14, 21)}
    for name in ("ticketing_matches", "shop_customers", "email_contacts", "email_campaigns"):
        nights = [f.export_date for f in landing.of(name, with_duplicates=True)]
        assert nights[0] == "20261114" and nights[-1] == "20261120"


def test_headers_follow_the_contract(landing):
    """Every contract column once (matched case-insensitively), but DATE_OF_BIRTH that one
    contacts snapshot leaves out."""
    for f in landing.files:
        if not f.header:
            continue
        contract = list(FILE_TYPES_BY_NAME[f.file_type].columns)
        known = [h for h in f.header if h in contract]
        assert len(known) == len(set(known)), f.path
        missing = set(contract) - set(known)
        assert not missing or (f.file_type, missing) == ("email_contacts", {"DATE_OF_BIRTH"})
    for f in landing.of("email_events"):
        for row in f.rows:
            assert list(row) == list(FILE_TYPES_BY_NAME["email_events"].columns)


def test_files_csv_reconciles_with_the_files(out, landing):
    listed = pd.read_csv(out / "_truth" / "files.csv", dtype=str, keep_default_na=False)
    on_disk = {f.relative: f for f in landing.files}
    assert set(listed["file"]) == set(on_disk)
    for row in listed.itertuples():
        parsed = on_disk[row.file]
        assert (int(row.rows), int(row.bad_rows)) == (parsed.data_rows, len(parsed.bad)), row.file
        assert row.duplicate_of == parsed.duplicate_of, row.file
    variants = {v for cell in listed["variants"] for v in cell.split("|") if v}
    assert variants >= {
        "kickoff_time",
        "thousands_separator:nbsp",
        "iso_timestamps",
        "header_case:upper",
        "columns_reordered",
        "json_array",
        "encoding:utf-16:crlf",
        "redelivery",
        "missing_column:DATE_OF_BIRTH",
        "contacts_deleted_upstream",
        "refund_over_total",
    }


def test_every_value_has_its_contract_form(landing):
    for f in landing.files:
        file_type = FILE_TYPES_BY_NAME[f.file_type]
        for row in f.rows:
            for column, kind in file_type.columns.items():
                value = row.get(column)
                value = "" if value is None else str(value)
                if not value:
                    continue
                pattern, formats = FORMS[kind]
                assert re.fullmatch(pattern, value), (f.path.name, column, value)
                assert not formats or any(_parses(value, fmt) for fmt in formats), (column, value)
                if kind == "decimal":  # the file's own decimal mark
                    assert value[-3] == file_type.decimal_mark, (f.path.name, column, value)


def _parses(value: str, fmt: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


# --- quirks ----------------------------------------------------------------------------


def test_a_ticketing_file_is_windows_1252_with_curly_apostrophe_and_oe(landing):
    cp1252 = [f for f in landing.files if f.encoding == "cp1252"]
    assert cp1252 and all(f.file_type.startswith("ticketing_") for f in cp1252)
    raw = cp1252[0].path.read_bytes()
    assert b"\x92" in raw and b"\x9c" in raw  # ’ and œ in Windows-1252


def test_a_ticketing_file_has_a_utf8_bom(landing):
    bom = [f for f in landing.files if f.encoding == "utf-8-sig"]
    assert bom and all(f.file_type.startswith("ticketing_") for f in bom)
    assert bom[0].path.read_bytes().count(codecs.BOM_UTF8) == 1


def test_ticketing_uses_decimal_commas_and_french_dates(landing):
    orders = [row for _, row in landing.rows("ticketing_orders")]
    amount = rf"\d{{1,3}},\d{{2}}|[1-9]\d{{3,}},\d{{2}}|{GROUPED_AMOUNT}"
    assert all(re.fullmatch(amount, r["total_amount"]) for r in orders)
    assert all(
        re.fullmatch(r"\d{2}/\d{2}/\d{4}", r["birth_date"]) for r in orders if r["birth_date"]
    )
    stamps = [r["created_at"] for r in orders]
    assert all(re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}(:\d{2})?", s) for s in stamps)
    assert any(len(s) == 16 for s in stamps) and any(len(s) == 19 for s in stamps)
    assert all(r["optin_club"] in ("O", "N") for r in orders)
    prices = [r["price"] for _, r in landing.rows("ticketing_tickets")]
    assert all(re.fullmatch(amount, p) for p in prices) and "0,00" in prices
    matches = [r for _, r in landing.rows("ticketing_matches", with_duplicates=True)]
    match_date = r"\d{2}/\d{2}/\d{4}( \d{2}:\d{2})?"
    assert all(re.fullmatch(match_date, r["match_date"]) for r in matches)


def test_shopify_order_fields_only_on_the_first_line_item(landing):
    order_level = [
        "Email",
        "Financial Status",
        "Currency",
        "Subtotal",
        "Total",
        "Id",
        "Billing Name",
    ]
    multi_line_orders = 0
    for f in landing.of("shop_orders"):
        by_order = defaultdict(list)
        for row in f.rows:
            by_order[row["Name"]].append(row)
        for rows in by_order.values():
            assert all(rows[0][c] for c in ("Financial Status", "Total", "Id", "Currency"))
            assert all(r["Lineitem name"] and r["Lineitem quantity"] for r in rows)
            for later in rows[1:]:
                multi_line_orders += 1
                assert all(later[c] == "" for c in order_level)
    assert multi_line_orders > 0


def test_shop_totals_are_consistent_and_timestamps_carry_the_offset(landing):
    orders = [r for _, r in landing.rows("shop_orders") if r["Id"]]
    for r in orders:
        total = float(r["Subtotal"]) + float(r["Shipping"]) - float(r["Discount Amount"])
        assert round(total, 2) == float(r["Total"])
    offsets = {r["Created at"][-5:] for r in orders}
    assert offsets == {"+0100", "+0200"}
    assert {r["Currency"] for r in orders} >= {"EUR"} and len({r["Currency"] for r in orders}) > 1


def test_billing_zip_sometimes_keeps_excels_apostrophe(landing):
    assert any(r["Billing Zip"].startswith("'") for _, r in landing.rows("shop_orders"))


def test_postal_code_sometimes_lost_its_leading_zero(landing):
    french = [r for _, r in landing.rows("ticketing_orders") if r["country"] == "France"]
    assert any(re.fullmatch(r"\d{4}", r["postal_code"]) for r in french)
    assert any(re.fullmatch(r"0\d{4}", r["postal_code"]) for r in french)


def test_a_paid_ticketing_order_is_refunded_in_a_later_delta(landing):
    history = defaultdict(list)
    for export_date, row in landing.rows("ticketing_orders"):
        history[row["order_id"]].append((export_date, row["status"], row["updated_at"]))
    later_refunds = [
        h
        for h in history.values()
        if len(h) > 1 and h[0][1] == "paid" and h[-1][1] == "refunded" and h[0][0] < h[-1][0]
    ]
    assert later_refunds
    assert all(h[-1][2] != h[0][2] for h in later_refunds)  # newer updated_at


def test_a_paid_shopify_order_comes_again_whole_when_refunded(landing):
    versions = defaultdict(list)
    for f in landing.of("shop_orders"):
        lines = Counter(row["Name"] for row in f.rows)
        for row in f.rows:
            if row["Id"]:
                versions[row["Name"]].append(
                    (f.export_date, row["Financial Status"], lines[row["Name"]])
                )
    refunded_later = [
        v
        for v in versions.values()
        if len(v) > 1 and v[0][1] == "paid" and "refunded" in v[-1][1] and v[0][0] < v[-1][0]
    ]
    assert refunded_later
    assert all(v[0][2] == v[-1][2] for v in refunded_later)  # all its line rows again


def test_event_ids_are_redelivered_in_the_same_and_a_later_file(landing):
    files = landing.of("email_events")
    same_file = [Counter(r["id"] for r in f.rows) for f in files]
    assert any(n > 1 for counts in same_file for n in counts.values())
    seen_in = defaultdict(set)
    for f in files:
        for r in f.rows:
            seen_in[r["id"]].add(f.export_date)
    assert any(len(dates) > 1 for dates in seen_in.values())


def test_one_json_line_is_truncated_and_also_delivered_whole(landing):
    bad = [(f, line) for f in landing.of("email_events") for line in f.bad]
    assert len(bad) == 1
    f, line = bad[0]
    assert any(whole.startswith(line) and whole != line for whole in f.raw_lines)


def test_one_csv_line_has_a_wrong_field_count(landing):
    bad = [(f, line) for f in landing.files if f.header for line in f.bad]
    assert len(bad) == 1
    f, line = bad[0]
    first_field = line.split(FILE_TYPES_BY_NAME[f.file_type].delimiter)[0]
    assert any(row[f.header[0]] == first_field for row in f.rows)  # the record came whole too


def test_events_have_the_webhook_shape(landing):
    rows = [r for _, r in landing.rows("email_events")]
    assert {r["event"] for r in rows} >= {
        "delivered",
        "opened",
        "proxy_open",
        "click",
        "unsubscribe",
    }
    assert all((r["URL"] is not None) == (r["event"] == "click") for r in rows)
    sample = rows[0]
    assert isinstance(sample["id"], int) and isinstance(sample["ts_event"], int)
    utc = datetime.fromtimestamp(sample["ts_event"], UTC).replace(tzinfo=None)
    local = datetime.fromisoformat(sample["date_event"])
    assert (local - utc).total_seconds() in (3600, 7200)


def test_partial_uploads_readme_and_unknown_columns(out, landing):
    assert list(out.glob("shop/orders_export_*.csv.tmp"))
    assert (out / "ticketing" / "README").exists()
    extra = [
        (f, h)
        for f in landing.files
        for h in f.header
        if h not in FILE_TYPES_BY_NAME[f.file_type].columns
    ]
    assert {h for _, h in extra} >= {"Lineitem vendor id", "loyalty_number"}
    assert all(f.header.index(h) < len(f.header) - 1 for f, h in extra)


def test_empty_files(out):
    sizes = {p.relative_to(out).as_posix(): p.stat().st_size for p in out.glob("*/*_2026*")}
    assert 0 in sizes.values()
    header_only = [
        p
        for p in out.glob("*/*_2026*.csv")
        if p.stat().st_size and len(p.read_bytes().splitlines()) == 1
    ]
    assert header_only


def test_phones_in_every_french_form_and_foreign(landing):
    phones = [r["phone"] for _, r in landing.rows("ticketing_orders") if r["phone"]]
    forms = {
        "spaced": r"0[67]( \d{2}){4}",
        "compact": r"0[67]\d{8}",
        "international": r"\+33 [67]( \d{2}){4}",
        "double zero": r"0033[67]\d{8}",
        "dotted": r"[67](\.\d{2}){4}",
    }
    for name, pattern in forms.items():
        assert any(re.fullmatch(pattern, p) for p in phones), name
    everywhere = phones + [r["Billing Phone"] for _, r in landing.rows("shop_orders")]
    assert any(re.match(r"(\+|00)(44|41|32)", p) for p in everywhere)


def test_emails_have_aliases_case_and_family_sharing(landing, persons):
    emails = [r["email"] for _, r in landing.rows("ticketing_orders")]
    emails += [r["Email"] for _, r in landing.rows("shop_orders")]
    emails += [r["EMAIL"] for _, r in landing.rows("email_contacts")]
    emails += [r["email"] for _, r in landing.rows("email_survey_responses")]
    assert any("+" in e.split("@")[0] for e in emails if "@" in e)
    assert any(e != e.strip() or e != e.lower() for e in emails)
    owners = Counter(e for cell in persons["emails"] for e in cell.split("|") if e)
    assert any(n > 1 for n in owners.values())


def test_names_are_written_in_several_ways(landing, persons):
    canonical_last = set(persons["last_name"])
    written = [r["last_name"] for _, r in landing.rows("ticketing_orders")]
    assert any(w and w not in canonical_last for w in written)
    full_names = persons.groupby(["first_name", "last_name"])["household_id"].nunique()
    assert (full_names > 1).any()  # homonyms in different households
    all_first = set(persons["first_name"])
    assert any("-" in n or "’" in n for n in all_first | canonical_last)


def test_survey_answers_again_and_redelivered(landing):
    rows = [r for _, r in landing.rows("email_survey_responses")]
    ids = Counter(r["response_id"] for r in rows)
    assert any(n > 1 for n in ids.values())
    unique = {r["response_id"]: r for r in rows}.values()
    per_survey = Counter(
        (r["campaign_id"], r["email"].strip().lower(), r["survey"]) for r in unique
    )
    assert any(n > 1 for n in per_survey.values())


# --- forms real exports take (issue 8) --------------------------------------------------


def test_later_match_snapshots_carry_the_kickoff_time(out, landing):
    snapshots = landing.of("ticketing_matches", with_duplicates=True)
    with_time = [
        f for f in snapshots if all(re.fullmatch(KICKOFF_DATE, r["match_date"]) for r in f.rows)
    ]
    # From one night on (a new export version), every later snapshot.
    assert 0 < len(with_time) < len(snapshots) and with_time == snapshots[-len(with_time) :]
    kickoff = clean(out, "matches").set_index("match_id")["kickoff_utc"]
    paris = kickoff.dt.tz_convert("Europe/Paris").dt.strftime("%d/%m/%Y %H:%M")
    assert all(paris[row["match_id"]] == row["match_date"] for row in snapshots[-1].rows)
    # The same matches on the same days in every snapshot: only the time was added; the same
    # export version groups the capacity's thousands ('25 000').
    days = {tuple((r["match_id"], r["match_date"][:10]) for r in f.rows) for f in snapshots}
    assert len(days) == 1
    for f in snapshots:
        capacity = r"\d{1,3}( \d{3})+" if f in with_time else r"\d+"
        assert all(re.fullmatch(capacity, r["capacity"]) for r in f.rows), f.path


def test_large_ticketing_amounts_have_thousands_separators(landing):
    first_orders = landing.of("ticketing_orders")[0]
    assert first_orders.encoding == "cp1252" and b"\xa0" in first_orders.path.read_bytes()
    amounts = [r["total_amount"] for r in first_orders.rows]
    large = [a for a in amounts if euros(a) >= 1000]
    assert large and all(re.fullmatch(r"\d{1,3}(\u00a0\d{3})+,\d{2}", a) for a in large)
    assert all(re.fullmatch(r"\d{1,3},\d{2}", a) for a in amounts if euros(a) < 1000)
    # Where an amount >= 1000 comes in another file, it is written '1 234,50' too.
    later = [r["total_amount"] for _, r in landing.rows("ticketing_orders")[len(amounts) :]]
    assert all(re.fullmatch(GROUPED_AMOUNT, a) for a in later if euros(a) >= 1000)


def test_one_ticketing_file_writes_iso_timestamps(out, landing):
    stamps = {"ticketing_orders": ("created_at", "updated_at"), "ticketing_access": ("scanned_at",)}
    iso = [
        f
        for name in stamps
        for f in landing.of(name)
        if any(re.fullmatch(ISO_T_TIMESTAMP, r[c]) for r in f.rows for c in stamps[name])
    ]
    assert len(iso) == 1 and iso[0].rows
    f = iso[0]
    assert all(re.fullmatch(ISO_T_TIMESTAMP, r[c]) for r in f.rows for c in stamps[f.file_type])
    # Paris wall-clock time, as in the platform's other files.
    scans = clean(out, "access_scans").set_index("scan_id")["scanned_at_utc"]
    paris = scans.dt.tz_convert("Europe/Paris").dt.strftime("%Y-%m-%dT%H:%M:%S")
    assert all(paris[int(r["scan_id"])] == r["scanned_at"] for r in f.rows)


def test_header_names_in_another_case_or_order_in_each_source(landing):
    def odd_case(f: ParsedFile) -> bool:
        return any(raw.strip() != name for raw, name in zip(f.raw_header, f.header, strict=True))

    def odd_order(f: ParsedFile) -> bool:
        contract = list(FILE_TYPES_BY_NAME[f.file_type].columns)
        return [h for h in f.header if h in contract] != [c for c in contract if c in f.header]

    odd = {f.relative: (odd_case(f), odd_order(f)) for f in landing.files if f.header}
    for source in ("ticketing", "shop", "email"):
        assert any(any(kinds) for name, kinds in odd.items() if name.startswith(source)), source
    assert any(case for case, _ in odd.values()) and any(order for _, order in odd.values())
    assert any("MATCH_ID" in f.raw_header for f in landing.of("ticketing_matches", True))


def test_one_events_file_is_a_json_array(landing):
    arrays = [f for f in landing.of("email_events") if f.json_array]
    assert len(arrays) == 1 and arrays[0].rows
    lines = arrays[0].text.splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == len(arrays[0].rows) + 2
    columns = list(FILE_TYPES_BY_NAME["email_events"].columns)
    assert all(list(row) == columns for row in arrays[0].rows)


def test_one_email_csv_is_utf16_with_a_bom_and_crlf(landing):
    utf16 = [f for f in landing.files if f.encoding == "utf-16"]
    assert len(utf16) == 1 and utf16[0].file_type.startswith("email_") and utf16[0].rows
    raw = utf16[0].path.read_bytes()
    assert raw.count(codecs.BOM_UTF16_LE) == 1 and raw.startswith(codecs.BOM_UTF16_LE)
    assert utf16[0].text.count("\r\n") == utf16[0].text.count("\n") == len(utf16[0].rows) + 1


def test_a_delta_comes_again_byte_identical_under_a_later_date(out, landing):
    again = [f for f in landing.files if f.duplicate_of]  # a delta with records, bytes seen
    assert len(again) == 1
    copy = again[0]
    first = next(f for f in landing.files if f.relative == copy.duplicate_of)
    assert copy.path.read_bytes() == first.path.read_bytes() and first.rows
    assert copy.export_date > first.export_date
    listed = pd.read_csv(out / "_truth" / "files.csv", dtype=str, keep_default_na=False)
    assert "redelivery" in listed.set_index("file").loc[copy.relative, "variants"]
    # That night's own records came with the next night's file: none is lost (the counts
    # and revenue from the files, loading the copy once, match the truth: see below).
    assert landing.of(copy.file_type)[-1].export_date > copy.export_date


def test_newest_contacts_snapshot_lacks_date_of_birth_known_from_earlier(out, landing):
    snapshots = landing.of("email_contacts", with_duplicates=True)
    assert "DATE_OF_BIRTH" not in snapshots[-1].header
    assert all("DATE_OF_BIRTH" in f.header for f in snapshots[:-1])
    delivered = {
        r["CONTACT_ID"]: r["DATE_OF_BIRTH"]
        for f in snapshots[:-1]
        for r in f.rows
        if r["DATE_OF_BIRTH"]
    }
    contacts = clean(out, "contacts")
    known = contacts.dropna(subset=["date_of_birth"])
    truth = dict(
        zip(known["contact_id"].astype(str), known["date_of_birth"].astype(str), strict=True)
    )
    assert delivered and truth == delivered


def test_contacts_deleted_upstream_are_listed_and_changed_nothing(out, landing, expected):
    deleted = {str(c) for c in expected["contacts_deleted_upstream"]}
    assert 1 <= len(deleted) <= 3
    snapshots = landing.of("email_contacts", with_duplicates=True)
    assert not deleted & {r["CONTACT_ID"] for r in snapshots[-1].rows}
    before = {r["CONTACT_ID"]: r for r in snapshots[-2].rows}
    for contact in deleted:
        assert before[contact]["EMAIL_BLACKLISTED"] == before[contact]["SMS_BLACKLISTED"] == "Yes"
    contacts = clean(out, "contacts")
    assert set(contacts.loc[contacts["deleted_upstream"], "contact_id"].astype(str)) == deleted
    records = pd.read_csv(out / "_truth" / "source_records.csv", dtype=str)
    persons = records.loc[records["record_id"].isin(deleted), "person_id"]
    elsewhere = records[records["person_id"].isin(persons)]["record_type"]
    assert elsewhere.isin(["ticketing_account", "shop_customer"]).any()


def test_a_staff_test_order_refunds_more_than_its_total(landing, anomalous_orders):
    assert len(anomalous_orders) == 1
    (name,) = anomalous_orders
    lines = [r for _, r in landing.rows("shop_orders") if r["Name"] == name]
    order = lines[0]
    assert float(order["Refunded Amount"]) > float(order["Total"]) > 0
    customers = {r["Email"].strip().lower() for _, r in landing.rows("shop_customers")}
    assert order["Email"].strip().lower() in customers  # a customer who exists
    others = [r for _, r in landing.rows("shop_orders") if r["Id"] and r["Name"] != name]
    assert all(float(r["Refunded Amount"] or 0) <= float(r["Total"]) for r in others)


# --- noise in person attributes ----------------------------------------------------------


def person_of(truth_records: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(record type, record id) -> person id."""
    keys = zip(truth_records["record_type"], truth_records["record_id"], strict=True)
    return dict(zip(keys, truth_records["person_id"], strict=True))


def _written_birth_dates(landing, truth_records, persons) -> list[tuple[str, str]]:
    """(as written, true) birth dates, ISO, of ticketing buyers and email contacts."""
    person = person_of(truth_records)
    born = persons.set_index("person_id")["birth_date"]
    pairs = [
        (
            datetime.strptime(r["birth_date"], "%d/%m/%Y").date().isoformat(),
            ("ticketing_order", r["order_id"]),
        )
        for _, r in landing.rows("ticketing_orders")
        if r["birth_date"]
    ]
    pairs += [
        (r["DATE_OF_BIRTH"], ("email_contact", r["CONTACT_ID"]))
        for _, r in landing.rows("email_contacts")
        if r.get("DATE_OF_BIRTH")
    ]
    return [(written, born[person[record]]) for written, record in pairs]


def test_birth_dates_have_typos_and_day_month_swaps(landing, truth_records, persons):
    dates = _written_birth_dates(landing, truth_records, persons)
    wrong = [(w, t) for w, t in dates if w != t]
    swaps = [w for w, t in wrong if (w[:4], w[5:7], w[8:]) == (t[:4], t[8:], t[5:7])]
    typos = [w for w, t in wrong if sum(a != b for a, b in zip(w, t, strict=True)) == 1]
    assert swaps and typos and len(swaps) + len(typos) == len(wrong)
    assert len(wrong) < 0.1 * len(dates)


def test_some_first_names_are_nicknames_of_the_seed_table(landing, truth_records, persons):
    pairs = set(pd.read_csv(SEEDS_DIR / "first_name_nicknames.csv").itertuples(index=False))
    person = person_of(truth_records)
    first = persons.set_index("person_id")["first_name"]
    written = [
        (r["first_name"], person["ticketing_order", r["order_id"]])
        for _, r in landing.rows("ticketing_orders")
    ]
    written += [
        (r["FIRSTNAME"], person["email_contact", r["CONTACT_ID"]])
        for _, r in landing.rows("email_contacts")
    ]
    given = [(name, first[p]) for name, p in written if name]
    nicknames = [name for name, true in given if (true, name) in pairs]
    assert nicknames and len(nicknames) < 0.1 * len(given)


def test_forms_sometimes_lack_a_phone_or_birth_date_the_person_has():
    """The blanks a form left (on top of the fields a tool seldom asks for): checked on the
    renderers, as the files cannot tell them from a field never asked."""
    for messiness in (1.0, 0.0):
        world = build_world(FANS, 7, Timeline(END, NIGHTS), messiness, FX)
        tools, everyone = Tools(world), np.arange(world.people.n)
        no_phone = tools.phones(everyone, np.random.default_rng(1)).null_count / len(everyone)
        _, no_birth_date = tools.birth_dates(everyone, np.random.default_rng(2))
        if messiness:
            assert 0 < no_phone < 0.1 and 0 < no_birth_date.mean() < 0.1
        else:
            assert no_phone == 0 and not no_birth_date.any()


def test_the_nickname_seed_is_a_clean_table():
    table = pd.read_csv(SEEDS_DIR / "first_name_nicknames.csv", dtype=str, keep_default_na=False)
    assert list(table.columns) == ["first_name", "nickname"] and 60 <= len(table) <= 1000
    assert not table.duplicated().any() and (table != "").all().all()
    assert (table["first_name"] != table["nickname"]).all()
    assert {"Nicolas", "Jean-Baptiste", "Robert", "William"} <= set(table["first_name"])


# --- identity traps (issue 9) ------------------------------------------------------------


def norm(name: str) -> str:
    """'Le Gall' / 'LE-GALL' / 'Lé Gall' -> 'legall': spelling variants aside."""
    decomposed = unicodedata.normalize("NFKD", name.replace("œ", "oe").replace("Œ", "OE"))
    return "".join(c for c in decomposed if c.isalpha()).lower()


def one_edit_apart(a: str, b: str) -> bool:
    """One substitution, deletion, insertion or swap of neighbours between a and b."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return (
        a[i + 1 :] == b[i + 1 :]
        or a[i + 1 :] == b[i:]
        or a[i:] == b[i + 1 :]
        or (a[i : i + 2] == b[i : i + 2][::-1] and a[i + 2 :] == b[i + 2 :])
    )


def addresses(persons: pd.DataFrame) -> dict[str, set[str]]:
    return {
        p: {e.lower() for e in cell.split("|") if e}
        for p, cell in zip(persons["person_id"], persons["emails"], strict=True)
    }


def typed_emails(landing, anomalous_orders) -> list[tuple[str, tuple[str, str], str]]:
    """(record type, record key, address as typed) of every record that carries one."""
    found = [
        ("ticketing_order", ("ticketing_order", r["order_id"]), r["email"])
        for r in landing.latest("ticketing_orders", "order_id").values()
    ]
    found += [
        ("ticket_holder", ("ticket_holder", r["ticket_id"]), r["holder_email"])
        for r in landing.latest("ticketing_tickets", "ticket_id").values()
    ]
    found += [
        ("shop_order", ("shop_order", r["Id"]), r["Email"])
        for _, r in landing.rows("shop_orders")
        if r["Id"] and r["Name"] not in anomalous_orders
    ]
    found += [
        ("email_contact", ("email_contact", r["CONTACT_ID"]), r["EMAIL"])
        for r in landing.latest("email_contacts", "CONTACT_ID").values()
    ]
    found += [
        ("shop_customer", ("shop_customer", r["Customer ID"]), r["Email"])
        for r in landing.latest("shop_customers", "Customer ID").values()
    ]
    return [(kind, key, e.strip().lower()) for kind, key, e in dict.fromkeys(found) if e.strip()]


def test_typed_emails_sometimes_have_a_typo(
    landing, truth_records, persons, expected, anomalous_orders
):
    person, known = person_of(truth_records), addresses(persons)
    everyone = set().union(*known.values())
    typos, typed, forms = Counter(), Counter(), Counter()
    for kind, key, email in typed_emails(landing, anomalous_orders):
        typed[kind] += 1
        own = known[person[key]]
        if email in own:
            continue
        typos[kind] += 1
        assert email not in everyone, email  # nobody's real address
        local, _, domain = email.rpartition("@")
        mine = [a.rpartition("@") for a in own]
        slipped = any(domain == d and one_edit_apart(local, loc) for loc, _, d in mine)
        misspelt = any(local == loc and domain != d for loc, _, d in mine)
        assert slipped or misspelt, (email, own)
        forms["local part" if slipped else "domain"] += 1
        assert not re.search(r"^\.|\.@|\.\.", email), email
    counted = expected["identity_noise"]["email_typos"]
    assert typos == Counter(counted) and set(counted) == {
        "ticketing_order",
        "ticket_holder",
        "shop_order",
    }  # the mail tool's contacts and the shop's accounts keep the address that works
    assert 0.005 < sum(typos.values()) / sum(typed[k] for k in counted) < 0.05
    assert all(typos[k] > 0 for k in counted)
    assert forms["local part"] and forms["domain"]


def swapped_neighbours(written: str, true: str) -> bool:
    """Two neighbouring characters of `true` exchanged give `written`."""
    return any(
        written == true[:i] + true[i + 1] + true[i] + true[i + 2 :] != true
        for i in range(len(true) - 1)
    )


def test_typed_addresses_carry_slips_in_postal_code_and_city(
    landing, truth_records, persons, expected
):
    """Ticketing orders' postal codes and cities are the person's, or carry exactly the
    slips expected.json counts: two neighbouring digits swapped, one letter slipped in the
    city (a lost leading zero or a quote from a spreadsheet aside). The flat line typed
    before the street shows in the address."""
    person = person_of(truth_records)
    where = persons.set_index("person_id")[["postal_code", "city"]]
    transposed = city_typos = reordered = shown = 0
    for order_id, r in landing.latest("ticketing_orders", "order_id").items():
        if not r["city"]:
            continue
        shown += 1
        true_code, true_city = where.loc[person["ticketing_order", order_id]]
        code, true_code = (
            "0" + c if len(c) == 4 and c.isdigit() else c
            for c in (r["postal_code"].lstrip("'"), str(true_code))
        )
        assert code == true_code or swapped_neighbours(code, true_code), (code, true_code)
        assert code[0] == true_code[0]  # the department's digit stays
        transposed += code != true_code
        assert r["city"] == true_city or one_edit_apart(r["city"], true_city), r["city"]
        city_typos += r["city"] != true_city
        reordered += r["address"].startswith(ADDRESS_LINE_2)
    noise = expected["identity_noise"]
    assert transposed == noise["postal_codes_transposed"]["ticketing_order"] > 0
    assert city_typos == noise["city_typos"]["ticketing_order"] > 0
    assert 0.005 < (transposed + city_typos) / shown < 0.1  # 1 % and 2 % x messiness
    assert reordered == noise["address_lines_reordered"]["ticketing_order"] > 0
    assert noise["street_typos"]["ticketing_order"] and noise["street_typos"]["shop_order"]


def first_names_written(landing, truth_records) -> list[tuple[str, str, str, bool]]:
    """(record type, first name as written, person id, box office) of records naming one."""
    person = person_of(truth_records)
    orders = landing.latest("ticketing_orders", "order_id")
    box = {o: r["sales_channel"] == "box_office" for o, r in orders.items()}
    found = [
        ("ticketing_order", r["first_name"], person["ticketing_order", o], box[o])
        for o, r in orders.items()
    ]
    found += [
        ("ticket_holder", r["holder_first_name"], person["ticket_holder", t], box[r["order_id"]])
        for t, r in landing.latest("ticketing_tickets", "ticket_id").items()
        if ("ticket_holder", t) in person
    ]
    found += [
        ("email_contact", r["FIRSTNAME"], person["email_contact", c], False)
        for c, r in landing.latest("email_contacts", "CONTACT_ID").items()
    ]
    found += [
        ("shop_customer", r["First Name"], person["shop_customer", c], False)
        for c, r in landing.latest("shop_customers", "Customer ID").items()
    ]
    return [w for w in found if w[1]]


def test_compound_first_names_cut_and_box_office_initials(
    landing, truth_records, persons, expected
):
    first = persons.set_index("person_id")["first_name"]
    noise = expected["identity_noise"]
    cut, initials, compound, box_office = Counter(), Counter(), 0, 0
    for kind, written, person, box in first_names_written(landing, truth_records):
        true = first[person]
        compound += "-" in true
        box_office += box
        if "-" in true and written == true.split("-")[0]:
            cut[kind] += 1
        if re.fullmatch(r"\w\.?", written):
            initials[kind] += 1
            assert box and norm(written) == norm(true)[0], (written, true)
    kinds = ("ticketing_order", "ticket_holder", "email_contact", "shop_customer")
    assert {k: cut[k] for k in kinds} == {k: noise["first_names_cut"][k] for k in kinds}
    assert cut["ticketing_order"] and cut["ticket_holder"]
    assert 0.03 < sum(cut.values()) / compound < 0.25  # 10% of compound names
    assert {k: initials[k] for k in kinds} == {k: noise["first_name_initials"][k] for k in kinds}
    assert initials["ticketing_order"] and initials["ticket_holder"]
    assert 0.1 < sum(initials.values()) / box_office < 0.45  # 25% of box-office first names


def paris_day(stamp: str) -> date:
    """Date of a ticketing timestamp ('DD/MM/YYYY HH:MM[:SS]' or ISO with a T)."""
    if "T" in stamp:
        return date.fromisoformat(stamp[:10])
    return datetime.strptime(stamp[:10], "%d/%m/%Y").date()


def test_married_persons_change_surname_from_the_wedding_day(
    landing, truth_records, persons, expected
):
    person = person_of(truth_records)
    married = persons[persons["married_on"] != ""].set_index("person_id")
    assert len(married) == expected["identity_noise"]["married_persons"]
    assert 0.005 < len(married) / len(persons) < 0.06
    assert (married["married_last_name"] != married["last_name"]).all()
    orders = landing.latest("ticketing_orders", "order_id")
    dated = [
        (person["ticketing_order", o], paris_day(r["created_at"]), r["last_name"], 0)
        for o, r in orders.items()
    ]
    dated += [
        (
            person["ticket_holder", t],
            paris_day(orders[r["order_id"]]["created_at"]),
            r["holder_last_name"],
            0,
        )
        for t, r in landing.latest("ticketing_tickets", "ticket_id").items()
        if ("ticket_holder", t) in person
    ]
    dated += [  # created in UTC: a day's margin either side of the wedding
        (person["email_contact", c], date.fromisoformat(r["CREATED_AT"][:10]), r["LASTNAME"], 1)
        for c, r in landing.latest("email_contacts", "CONTACT_ID").items()
    ]
    seen = Counter()
    for who, day, written, margin in dated:
        if who not in married.index or not written:
            continue
        birth, new = norm(married.at[who, "last_name"]), norm(married.at[who, "married_last_name"])
        wedding = date.fromisoformat(married.at[who, "married_on"])
        form = {birth: "birth", new: "married", birth + new: "double"}.get(norm(written))
        if form is None or abs((day - wedding).days) < margin:
            continue  # misspelt or swapped
        after = day >= wedding
        assert (form != "birth") == after, (who, day, wedding, written)
        seen[form] += 1
    assert seen["birth"] and seen["married"] and seen["double"]
    noise = expected["identity_noise"]
    assert sum(noise["married_surname_records"].values()) >= seen["married"] + seen["double"]
    assert (
        0
        < sum(noise["double_barrelled_surnames"].values())
        < sum(noise["married_surname_records"].values())
    )


def test_friends_from_other_households_hold_tickets_again_and_again(
    out, landing, truth_records, persons, expected
):
    holders = truth_records[truth_records["record_type"] == "ticket_holder"]
    tickets = clean(out, "tickets").astype({"ticket_id": str})
    orders = clean(out, "ticket_orders")[["order_id", "person_id"]]
    held = holders.merge(tickets, left_on="record_id", right_on="ticket_id").merge(
        orders.rename(columns={"person_id": "buyer"}), on="order_id"
    )
    assert (held["person_id"].astype(int) == held["holder_person_id"]).all()
    household = persons.set_index("person_id")["household_id"]
    held["friend"] = (
        held["person_id"].map(household).to_numpy()
        != held["buyer"].astype(str).map(household).to_numpy()
    )
    friends = held[held["friend"]]
    noise = expected["identity_noise"]
    assert len(friends) == noise["friend_holder_records"]
    assert friends["person_id"].nunique() == noise["friend_holders"]
    assert 0.02 < len(friends) / len(held) < 0.15
    # The same friend on several of the buyer's orders, for other matches.
    per_pair = friends.groupby(["buyer", "person_id"]).agg(
        orders=("order_id", "nunique"), matches=("match_id", "nunique")
    )
    assert ((per_pair["orders"] >= 2) & (per_pair["matches"] >= 2)).any()
    # Friends and relatives are persons with records of their own, under their own name.
    own = set(truth_records.loc[truth_records["record_type"] != "ticket_holder", "person_id"])
    assert friends["person_id"].isin(own).mean() > 0.5
    relatives = held[~held["friend"] & (held["person_id"] != held["buyer"].astype(str))]
    assert relatives["person_id"].isin(own).any()
    written = landing.latest("ticketing_tickets", "ticket_id")
    last = persons.set_index("person_id")["last_name"]
    same_name = [
        norm(written[t]["holder_last_name"]) == norm(last[p])
        for t, p in zip(friends["record_id"], friends["person_id"], strict=True)
    ]
    assert sum(same_name) > 0.7 * len(same_name)


def test_homonym_families_share_name_and_town(persons, truth_records, expected):
    pairs = expected["identity_noise"]["homonym_pairs"]
    households = persons["household_id"].nunique()
    assert 1 <= len(pairs) <= max(1, 0.03 * households)
    by_id = persons.set_index("person_id")
    for a, b in pairs:
        one, other = by_id.loc[str(a)], by_id.loc[str(b)]
        for column in ("first_name", "last_name", "postal_code", "city"):
            assert one[column] == other[column], column
        assert one["household_id"] != other["household_id"]
        assert one["birth_date"] != other["birth_date"]
        assert not set(one["emails"].split("|")) & set(other["emails"].split("|"))
        assert {str(a), str(b)} <= set(truth_records["person_id"])


# --- truth -----------------------------------------------------------------------------


def identity_records(landing: Landing, anomalous_orders: set[str]) -> set[tuple[str, str]]:
    """Records of persons in the files; orders set aside as anomalies are none."""
    found = set()
    for _, r in landing.rows("ticketing_orders"):
        found |= {("ticketing_account", r["account_id"]), ("ticketing_order", r["order_id"])}
    for _, r in landing.rows("ticketing_tickets"):
        if r["holder_first_name"] or r["holder_last_name"]:
            found.add(("ticket_holder", r["ticket_id"]))
    found |= {("shop_customer", r["Customer ID"]) for _, r in landing.rows("shop_customers")}
    found |= {
        ("shop_order", r["Id"])
        for _, r in landing.rows("shop_orders")
        if r["Id"] and r["Name"] not in anomalous_orders
    }
    found |= {("email_contact", r["CONTACT_ID"]) for _, r in landing.rows("email_contacts")}
    return found


def test_every_identity_record_is_in_the_truth_and_back(
    landing, truth_records, persons, expected, anomalous_orders
):
    truth = set(zip(truth_records["record_type"], truth_records["record_id"], strict=True))
    assert identity_records(landing, anomalous_orders) == truth
    assert set(truth_records["person_id"]) <= set(persons["person_id"])
    assert expected["persons"] == truth_records["person_id"].nunique() == FANS == len(persons)


def test_revenue_from_the_clean_parquet(out, expected):
    clean = out / "_truth" / "clean"
    orders = pd.read_parquet(clean / "ticket_orders.parquet")
    ticketing = orders.loc[orders["status"] == "paid", "total_amount_eur"].sum()
    shop = pd.read_parquet(clean / "shop_orders.parquet")
    net = ((shop["total"] - shop["refunded_amount"]) * shop["currency"].map(FX)).round(2)
    shop_net = net[~shop["financial_status"].isin(["voided", "pending"])].sum()
    assert expected["as_of_date"] == END.isoformat()
    assert expected["net_revenue_eur"]["ticketing"] == pytest.approx(ticketing, abs=0.005)
    assert expected["net_revenue_eur"]["shop"] == pytest.approx(shop_net, abs=0.005)


def euros(text: str) -> float:
    """'1 234,50' (space or no-break space) -> 1234.5"""
    return float(re.sub(r"[ \u00a0]", "", text).replace(",", "."))


def test_revenue_and_counts_from_the_files(landing, expected, anomalous_orders):
    """What a correct ingestion computes from the files alone matches expected.json: a file
    delivered before is loaded once, a contact deleted upstream kept, an anomalous order
    set aside."""
    orders = landing.latest("ticketing_orders", "order_id")
    ticketing = sum(euros(r["total_amount"]) for r in orders.values() if r["status"] == "paid")
    assert expected["net_revenue_eur"]["ticketing"] == pytest.approx(ticketing, abs=0.005)

    shop_orders = {
        r["Id"]: r
        for _, r in landing.rows("shop_orders")
        if r["Id"] and r["Name"] not in anomalous_orders
    }
    shop = sum(
        round((float(r["Total"]) - float(r["Refunded Amount"] or 0)) * FX[r["Currency"]], 2)
        for r in shop_orders.values()
        if r["Financial Status"] not in ("voided", "pending")
    )
    assert expected["net_revenue_eur"]["shop"] == pytest.approx(shop, abs=0.005)

    lines = {}
    for f in landing.of("shop_orders"):
        names = Counter(r["Name"] for r in f.rows if r["Name"] not in anomalous_orders)
        lines.update(names)
    events = {r["id"] for _, r in landing.rows("email_events")}
    responses = {r["response_id"]: r for _, r in landing.rows("email_survey_responses")}
    latest_answers = {
        (r["campaign_id"], r["email"].strip().lower(), r["survey"]) for r in responses.values()
    }
    counts = expected["counts"]
    assert counts == {
        "ticket_orders": len(orders),
        "tickets": len(landing.latest("ticketing_tickets", "ticket_id")),
        "access_scans": len(landing.latest("ticketing_access", "scan_id")),
        "shop_orders": len(shop_orders),
        "shop_order_lines": sum(lines.values()),
        "email_events": len(events),
        "survey_responses": len(latest_answers),
        "email_contacts": len({r["CONTACT_ID"] for _, r in landing.rows("email_contacts")}),
        "shop_customers": len(landing.last_snapshot("shop_customers").rows),
        "matches": len(landing.last_snapshot("ticketing_matches").rows),
        "campaigns": len(landing.last_snapshot("email_campaigns").rows),
    }


def test_clean_tables_match_the_counts(out, expected):
    clean = out / "_truth" / "clean"
    counts = expected["counts"]
    assert len(pd.read_parquet(clean / "tickets.parquet")) == counts["tickets"]
    assert (
        len(pd.read_parquet(clean / "email_events.parquet")["event_id"].unique())
        == counts["email_events"]
    )
    responses = pd.read_parquet(clean / "survey_responses.parquet")
    assert responses["is_latest"].sum() == counts["survey_responses"]
    tickets = pd.read_parquet(clean / "tickets.parquet")
    orders = pd.read_parquet(clean / "ticket_orders.parquet")
    per_order = tickets.groupby("order_id")["price"].sum()
    assert (orders.set_index("order_id")["total_amount_eur"] - per_order).abs().max() < 0.005


# --- command line and clean mode -------------------------------------------------------


def test_cli_and_messiness_zero(tmp_path, capsys):
    assert (
        main(
            [
                "--fans",
                "60",
                "--seed",
                "3",
                "--out",
                str(tmp_path),
                "--nights",
                "2",
                "--end-date",
                "2026-10-01",
                "--messiness",
                "0",
            ]
        )
        == 0
    )
    said = capsys.readouterr().out
    assert said.startswith("Demo exports: 60 persons, ") and said.count("\n") == 1
    summary = json.loads((tmp_path / "_truth" / "expected.json").read_text())
    assert summary["as_of_date"] == "2026-10-01" and summary["persons"] == 60
    landing = Landing(tmp_path)
    assert {f.encoding for f in landing.files} == {"utf-8"}
    assert not list(tmp_path.rglob("*.tmp")) and not any(f.bad for f in landing.files)
    assert {f.export_date for f in landing.files} == {"20260930", "20261001"}
    assert summary["contacts_deleted_upstream"] == summary["anomalous_shop_orders"] == []
    noise = summary["identity_noise"]  # friends still come along: no noise, a fact
    assert noise["married_persons"] == 0 and noise["homonym_pairs"] == []
    assert not any(n for k, v in noise.items() if isinstance(v, dict) for n in v.values())
    listed = pd.read_csv(tmp_path / "_truth" / "files.csv", dtype=str, keep_default_na=False)
    assert set(listed["variants"]) == {""}
    for f in landing.files:
        assert not f.json_array and f.raw_header == list(f.header), f.path
        if f.header:
            assert f.header == list(FILE_TYPES_BY_NAME[f.file_type].columns), f.path
        assert not re.search(f"{GROUPED_AMOUNT}|{ISO_T_TIMESTAMP}", f.text), f.path
    matches = [r for _, r in landing.rows("ticketing_matches", True)]
    assert matches and all(re.fullmatch(r"\d{2}/\d{2}/\d{4}", r["match_date"]) for r in matches)
    assert all(re.fullmatch(r"\d+", r["capacity"]) for r in matches)
