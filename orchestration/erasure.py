"""Right to erasure: a request dropped in the landing folder removes a person from the
warehouse in the next run, and keeps them out when their old records come again. Pure
Python + SQL on the working DuckDB file, no Dagster.

A request file is ``<landing>/privacy/erasure_YYYYMMDD.csv`` (UTF-8, header, one person a
row, any of the columns ``email``, ``phone``, ``fan_id``; the source contract). Before dbt
builds (orchestration/dbt.py):

1. each new request file's people are resolved: the identifiers given, and, through the
   last run's identity resolution, every email and phone of the fan they belong to (a
   person with another address in the shop than in the ticketing tool), and the ids of
   their records that may carry neither (a name typed on a ticket someone else bought);
2. those identifiers enter the **suppression list** ``raw._suppression`` as salted hashes
   (sha256 of a secret salt, the kind and the identifier's key), never in clear;
3. every raw row carrying a suppressed email or phone has its personal columns
   (``landing.contract.PERSONAL_COLUMNS``) blanked, and so has every quarantined line
   holding one; the orders themselves stay, so revenue keeps its figures;
4. one row per request line goes to ``raw._erasure_log`` (when, which file, how many
   identifiers and rows; no personal data), and the request file is deleted: it holds the
   identifiers in clear.

Step 3 runs every night while the list is not empty: a person's old exports delivered again
are blanked as they land. On a night that blanked anything, dbt rebuilds the incremental
models whole (staging copies raw), the working file is rewritten (DuckDB leaves freed pages
on disk as they were) and the publish keeps no older release.

An identifier's key: an email's mailbox (trimmed, lower case, without a +alias); a phone's
last nine digits (the French national number, whatever the form: +33 6..., 06..., 0033...).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.landing.contract import (
    EMAIL,
    FILE_TYPES_BY_NAME,
    IDENTITY_RECORD_ROWS,
    PERSONAL_COLUMNS,
    PHONE,
    raw_column_name,
)
from orchestration.landing.manifest import QUARANTINE_TABLE, table_columns
from orchestration.privacy import EMAIL_PATTERN
from orchestration.settings import connect_duckdb, sql_identifier, sql_literal

REQUESTS_DIR = "privacy"
REQUEST_FILE = re.compile(r"^erasure_(\d{8})\.csv$", re.IGNORECASE)
REQUEST_COLUMNS = ("email", "phone", "fan_id")
SUPPRESSION_TABLE = "raw._suppression"
ERASURE_LOG_TABLE = "raw._erasure_log"
SALT_ENV = "GRANDSTAND_PRIVACY_SALT"
SALT_FILE = "privacy_salt"
ERASED = "[erased]"
# The resolved identities of the last run: every record's email and phone, and its fan.
IDENTITY_RELATION = "intermediate.int_identity_records_clustered"
# Records of a person that may carry no email or phone of theirs (a name typed on a ticket
# someone else bought): suppressed by their id. Record type -> (export, raw id column).
RECORDS_BY_ID = {"ticket_holder": IDENTITY_RECORD_ROWS["ticket_holder"]}

_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {SUPPRESSION_TABLE} (
        identifier_hash VARCHAR PRIMARY KEY, kind VARCHAR, request_file VARCHAR,
        requested_on DATE, suppressed_at TIMESTAMP)""",
    f"""CREATE TABLE IF NOT EXISTS {ERASURE_LOG_TABLE} (
        request_file VARCHAR, request_sha256 VARCHAR, request_line BIGINT,
        requested_on DATE, processed_at TIMESTAMP, fans_found BIGINT,
        identifiers_suppressed BIGINT, raw_rows_blanked BIGINT, quarantine_rows_blanked BIGINT,
        problem VARCHAR)""",
)


class ErasureRequestError(ValueError):
    """A request file that cannot be read: named, with its line, and left in place."""


@dataclass(frozen=True)
class ErasureReport:
    requests: int  # request lines processed this run
    identifiers: int  # hashes added to the suppression list this run
    raw_rows_blanked: int  # this run, new requests and re-delivered rows together
    quarantine_rows_blanked: int
    problems: tuple[str, ...] = ()  # request files left in place, with why (file, line)

    @property
    def blanked_anything(self) -> bool:
        return bool(self.raw_rows_blanked or self.quarantine_rows_blanked)


# ---------------------------------------------------------------------------- identifiers


def privacy_salt(home: Path) -> str:
    """The secret the suppression list's hashes are salted with: GRANDSTAND_PRIVACY_SALT, else
    ``<home>/privacy_salt`` (created on first use, readable by its owner only). Losing it
    makes the list unusable: back it up with the warehouse."""
    if os.environ.get(SALT_ENV):
        return os.environ[SALT_ENV]
    path = Path(home) / SALT_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def email_key(email: str | None) -> str | None:
    text = (email or "").strip().lower()
    return re.sub(r"\+[^@]*@", "@", text) if "@" in text else None


def phone_key(phone: str | None) -> str | None:
    digits = re.sub(r"[^0-9]", "", phone or "")
    return digits[-9:] if len(digits) >= 9 else None


def identifier_hash(salt: str, kind: str, key: str) -> str:
    return hashlib.sha256(f"{salt}{kind}:{key}".encode()).hexdigest()


def _key_sql(kind: str, column: str) -> str:
    """The SQL twin of email_key / phone_key."""
    if kind == EMAIL:
        return (
            f"CASE WHEN {column} LIKE '%@%' THEN "
            f"regexp_replace(lower(trim({column})), '[+][^@]*@', '@') END"
        )
    digits = f"regexp_replace({column}, '[^0-9]', '', 'g')"
    return f"CASE WHEN length({digits}) >= 9 THEN right({digits}, 9) END"


def hash_sql(salt: str, kind: str, key_sql: str) -> str:
    return f"sha256({sql_literal(salt + kind + ':')} || {key_sql})"


# ------------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class _Request:
    file: Path
    sha256: str
    line: int
    requested_on: str  # YYYY-MM-DD
    email: str | None
    phone: str | None
    fan_id: str | None


def pending_requests(landing: Path) -> list[Path]:
    folder = Path(landing) / REQUESTS_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and REQUEST_FILE.match(p.name))


def read_request_file(path: Path) -> list[_Request]:
    """The request lines of one file; a file without a known column, or a line without an
    identifier, is refused with its name and line."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    day = REQUEST_FILE.match(path.name).group(1)
    requested_on = f"{day[:4]}-{day[4:6]}-{day[6:]}"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ErasureRequestError(f"{path}: not UTF-8 ({e})") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if not set(header) & set(REQUEST_COLUMNS):
        raise ErasureRequestError(
            f"{path} line 1: no column {', '.join(REQUEST_COLUMNS)} in the header"
        )
    requests = []
    for line, row in enumerate(reader, start=2):
        values = {h: (v or "").strip() or None for h, v in zip(header, row.values(), strict=False)}
        if not any(values.get(c) for c in REQUEST_COLUMNS):
            raise ErasureRequestError(f"{path} line {line}: no email, phone or fan_id")
        requests.append(
            _Request(
                path,
                digest,
                line,
                requested_on,
                values.get("email"),
                values.get("phone"),
                values.get("fan_id"),
            )
        )
    return requests


# ---------------------------------------------------------------------------------- apply


def apply_erasure(warehouse: Path, landing: Path, home: Path) -> ErasureReport:
    """Process the new request files, then blank every raw and quarantined row carrying a
    suppressed identifier (see module doc). Holds the working file for the time it takes."""
    files = pending_requests(landing)
    with connect_duckdb(warehouse) as con:
        tables = {
            f"{s}.{t}"
            for s, t in con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables()"
            ).fetchall()
        }
        suppressed_before = (
            con.execute(f"SELECT count(*) FROM {SUPPRESSION_TABLE}").fetchone()[0]
            if SUPPRESSION_TABLE in tables
            else 0
        )
        if not files and not suppressed_before:
            return ErasureReport(0, 0, 0, 0)  # nothing asked, ever: no table, no scan
        salt = privacy_salt(home)
        for ddl in _DDL:
            con.execute(ddl)
        requests, problems, read = [], [], []
        for f in files:
            try:
                requests += read_request_file(f)
                read.append(f)
            except ErasureRequestError as e:  # said, and left for the club to correct
                problems.append(str(e))
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # the tables hold UTC
        identifiers = 0
        log_rows = []
        for request in requests:
            hashes, fans = _resolve(con, salt, request, IDENTITY_RELATION in tables)
            before = con.execute(f"SELECT count(*) FROM {SUPPRESSION_TABLE}").fetchone()[0]
            con.executemany(
                f"INSERT INTO {SUPPRESSION_TABLE} VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [[h, kind, request.file.name, request.requested_on, now] for kind, h in hashes],
            )
            added = con.execute(f"SELECT count(*) FROM {SUPPRESSION_TABLE}").fetchone()[0]
            identifiers += added - before
            log_rows.append((request, fans, len(hashes)))
        raw_rows = _blank_raw(con, salt)
        quarantine_rows = _blank_quarantine(con, salt)
        for request, fans, hashed in log_rows:
            con.execute(
                f"INSERT INTO {ERASURE_LOG_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    request.file.name,
                    request.sha256,
                    request.line,
                    request.requested_on,
                    now,
                    fans,
                    hashed,
                    raw_rows,
                    quarantine_rows,
                    None if fans or hashed else "no identifier of this request is known",
                ],
            )
    for f in read:
        f.unlink()  # it holds the identifiers in clear; the log keeps its sha256
    return ErasureReport(len(requests), identifiers, raw_rows, quarantine_rows, tuple(problems))


def _resolve(
    con: duckdb.DuckDBPyConnection, salt: str, request: _Request, has_identities: bool
) -> tuple[set[tuple[str, str]], int]:
    """The (kind, hash) of every identifier of the request's person, and how many fans the
    last run's identity resolution put them in."""
    keys = {(EMAIL, email_key(request.email)), (PHONE, phone_key(request.phone))}
    fans: set[str] = {request.fan_id} if request.fan_id else set()
    if has_identities:
        emails = [k for kind, k in keys if kind == EMAIL and k]
        phones = [k for kind, k in keys if kind == PHONE and k]
        found = con.execute(
            f"""
            SELECT DISTINCT fan_id FROM {IDENTITY_RELATION}
            WHERE {_key_sql(EMAIL, "email_normalized")} IN (SELECT unnest(?::VARCHAR[]))
               OR {_key_sql(PHONE, "phone_e164")} IN (SELECT unnest(?::VARCHAR[]))
               OR fan_id IN (SELECT unnest(?::VARCHAR[]))
            """,
            [emails, phones, sorted(fans)],
        ).fetchall()
        fans = {fan for (fan,) in found}
        for record_type, record_id, email, phone in con.execute(
            f"SELECT DISTINCT record_type, record_id, email_normalized, phone_e164"
            f" FROM {IDENTITY_RELATION} WHERE fan_id IN (SELECT unnest(?::VARCHAR[]))",
            [sorted(fans)],
        ).fetchall():
            keys |= {(EMAIL, email_key(email)), (PHONE, phone_key(phone))}
            if record_type in RECORDS_BY_ID:
                keys.add((record_type, record_id))
    hashes = {(kind, identifier_hash(salt, kind, key)) for kind, key in keys if key}
    return hashes, len(fans)


def raw_personal_columns(
    con: duckdb.DuckDBPyConnection,
) -> Iterator[tuple[str, str, set[str], dict[str, str]]]:
    """Each export raw holds: its name, raw table, columns, and its personal columns there
    (raw name -> kind: email, phone or other), as the source contract declares them."""
    for name, personal in PERSONAL_COLUMNS.items():
        table = FILE_TYPES_BY_NAME[name].raw_table
        existing = set(table_columns(con, table))
        if not existing:
            continue  # never delivered
        columns = {raw_column_name(h): kind for h, kind in personal.items()}
        yield name, table, existing, {c: k for c, k in columns.items() if c in existing}


def _blank_raw(con: duckdb.DuckDBPyConnection, salt: str) -> int:
    """Blank the personal columns of every raw row carrying a suppressed identifier."""
    blanked = 0
    for name, table, existing, columns in raw_personal_columns(con):
        matches = [
            f"{hash_sql(salt, kind, _key_sql(kind, sql_identifier(c)))} IN "
            f"(SELECT identifier_hash FROM {SUPPRESSION_TABLE})"
            for c, kind in columns.items()
            if kind in (EMAIL, PHONE)
        ]
        matches += [
            f"{hash_sql(salt, record_type, f'trim({sql_identifier(id_column)})')} IN "
            f"(SELECT identifier_hash FROM {SUPPRESSION_TABLE})"
            for record_type, (export, id_column) in RECORDS_BY_ID.items()
            if export == name and id_column in existing
        ]
        if not matches:
            continue
        blank = ", ".join(f"{sql_identifier(c)} = NULL" for c in columns)
        carried = " OR ".join(f"{sql_identifier(c)} IS NOT NULL" for c in columns)
        count = con.execute(
            f"UPDATE {table} SET {blank} WHERE ({carried}) AND ({' OR '.join(matches)})"
        ).fetchone()[0]
        blanked += count
    return blanked


def _blank_quarantine(con: duckdb.DuckDBPyConnection, salt: str) -> int:
    """Blank the quarantined lines holding a suppressed email or phone (found by the
    address- and number-like words of the line, hashed as the identifiers were)."""
    if not table_columns(con, QUARANTINE_TABLE):
        return 0  # nothing loaded yet
    # any number-like word: its last nine digits are what a phone's key keeps
    phones = r"[+0-9][0-9 .()-]{7,}[0-9]"
    word_hash = (
        "list_has_any(list_transform(regexp_extract_all(raw_record, {pattern}), "
        "lambda w: {hash}), (SELECT list(identifier_hash) FROM {table}))"
    )
    condition = " OR ".join(
        word_hash.format(
            pattern=sql_literal(pattern),
            hash=hash_sql(salt, kind, _key_sql(kind, "w")),
            table=SUPPRESSION_TABLE,
        )
        for kind, pattern in ((EMAIL, EMAIL_PATTERN), (PHONE, phones))
    )
    return con.execute(
        f"UPDATE {QUARANTINE_TABLE} SET raw_record = {sql_literal(ERASED)}, "
        f"reason = {sql_literal(ERASED)} WHERE raw_record <> {sql_literal(ERASED)} "
        f"AND ({condition})"
    ).fetchone()[0]


def last_erasure(warehouse: Path) -> dt.datetime | None:
    """When the newest erasure request was processed (UTC), None when none ever was."""
    with connect_duckdb(warehouse, read_only=True) as con:
        try:
            return con.execute(f"SELECT max(processed_at) FROM {ERASURE_LOG_TABLE}").fetchone()[0]
        except duckdb.CatalogException:
            return None


def compact(warehouse: Path) -> float:
    """Rewrite the working file whole, so that no freed page keeps an erased value on disk;
    returns the seconds it took. Nobody else may hold the file."""
    started = time.perf_counter()
    warehouse = Path(warehouse)
    fresh = warehouse.with_name(f".compact-{warehouse.name}")
    fresh.unlink(missing_ok=True)
    with connect_duckdb(warehouse) as con:
        database = con.execute("SELECT current_database()").fetchone()[0]
        con.execute(f"ATTACH {sql_literal(fresh)} AS grandstand_compact")
        con.execute(f"COPY FROM DATABASE {sql_identifier(database)} TO grandstand_compact")
        con.execute("DETACH grandstand_compact")
    os.replace(fresh, warehouse)
    warehouse.with_name(warehouse.name + ".wal").unlink(missing_ok=True)
    return time.perf_counter() - started
