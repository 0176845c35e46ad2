"""Retention: a fan with no activity for ``privacy_retention_months`` (dbt var) is
anonymised, and so are quarantined lines of files exported before that window. Pure Python
+ SQL on the working DuckDB file, no Dagster.

Who is past the window is decided in dbt, once: ``marts.fan_profile.is_retention_expired``
(last activity before ``int_run_as_of_resolved.retention_cutoff_date``, the start of the
as-of month that many months back). The dbt step (orchestration/dbt.py) calls this module
before its build (old rows delivered again) and after it: when the build found fans to
anonymise, the build runs again on what is left, so a night publishes the same whatever
ran before it. Each pass:

1. each expired fan not yet anonymised is pinned: every identity record of the fan
   (``int_identity_records_clustered``) goes to ``raw._retained_records`` with the fan and
   the fan's identity confidence. No personal data: record ids are the tools' own keys, fan
   ids are pseudonymous;
2. the fan's email addresses that no other fan uses go to ``raw._retained_emails`` as salted
   hashes;
3. every raw row of a pinned record, and every raw row carrying a retained address (email
   events, survey answers), loses its personal columns (``landing.contract.
   PERSONAL_COLUMNS``): an address becomes a salted token ``anon-<hash>@anonymised.invalid``
   (one address, one token, so an email event still finds its contact's fan); every other
   personal value is blanked. The row is stamped as loaded again (``_loaded_at``), so
   incremental staging rebuilds its key (macros/incremental_staging.sql);
4. quarantined lines of files exported before the cutoff are blanked.

dbt keeps pinned records in their fan (``stg_privacy__retained_records``): fan ids, fan
counts, revenue and every other figure keep their values, but for what the anonymised
details helped link (README, Retention). Step 3 searches every raw row when fans were
pinned, else only the rows loaded since the last pass, so old rows delivered again (a
marketing tool's nightly snapshot) are anonymised as they land. A person who comes back
later with the same address is a new fan: what tied them to the old one is gone, by design.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.erasure import (
    ERASED,
    IDENTITY_RELATION,
    hash_sql,
    privacy_salt,
    raw_personal_columns,
)
from orchestration.landing.contract import EMAIL, IDENTITY_RECORD_ROWS
from orchestration.landing.manifest import MANIFEST_TABLE, QUARANTINE_TABLE, table_columns
from orchestration.settings import connect_duckdb, sql_identifier, sql_literal

RETAINED_RECORDS_TABLE = "raw._retained_records"
RETAINED_EMAILS_TABLE = "raw._retained_emails"
RETENTION_LOG_TABLE = "raw._retention_log"
# What the last run decided (dbt): who is past the window, and the window itself.
EXPIRY_RELATION = "marts.fan_profile"
RUN_DATES_RELATION = "intermediate.int_run_as_of_resolved"
TOKEN_DOMAIN = "anonymised.invalid"  # .invalid never resolves (RFC 2606)
PAST_RETENTION = "[past retention]"
_EMAIL_KIND = "retained_email"

_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {RETAINED_RECORDS_TABLE} (
        record_type VARCHAR, record_id VARCHAR, fan_id VARCHAR, identity_confidence VARCHAR,
        anonymised_on DATE, anonymised_at TIMESTAMP, PRIMARY KEY (record_type, record_id))""",
    f"""CREATE TABLE IF NOT EXISTS {RETAINED_EMAILS_TABLE} (
        email_hash VARCHAR PRIMARY KEY, anonymised_on DATE)""",
    f"""CREATE TABLE IF NOT EXISTS {RETENTION_LOG_TABLE} (
        processed_at TIMESTAMP, as_of_date DATE, retention_cutoff_date DATE,
        fans_anonymised BIGINT, records_pinned BIGINT, raw_rows_anonymised BIGINT,
        quarantine_lines_blanked BIGINT)""",
)


@dataclass(frozen=True)
class RetentionReport:
    fans_anonymised: int  # fans newly anonymised this night
    records_pinned: int
    raw_rows_anonymised: int  # this night, new pins and rows delivered again together
    quarantine_lines_blanked: int

    @property
    def rewrote_stored_rows(self) -> bool:
        """Values stored before tonight were overwritten: the file keeps their old pages
        until it is rewritten (erasure.compact)."""
        return bool(self.fans_anonymised or self.quarantine_lines_blanked)


def apply_retention(warehouse: Path, home: Path) -> RetentionReport:
    """Pin the fans the last dbt build found past the retention window, then anonymise the
    raw rows and quarantined lines the window covers (see module doc). Rows are searched
    whole when fans were pinned, else only those loaded since the last pass."""
    with connect_duckdb(warehouse) as con:
        for ddl in _DDL:
            con.execute(ddl)  # dbt's staging reads the pins even when there are none
        dates = _last_run_dates(con)
        if dates is None:
            return RetentionReport(0, 0, 0, 0)  # no build decided anything yet
        as_of, cutoff = dates
        salt = privacy_salt(home)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # the tables hold UTC
        # one transaction: a pass killed half-way leaves no pin whose rows were not searched
        con.begin()
        last_pass = con.execute(f"SELECT max(processed_at) FROM {RETENTION_LOG_TABLE}").fetchone()
        fans, records = _pin_expired_fans(con, salt, as_of, now)
        raw_rows = _anonymise_raw(con, salt, now, loaded_since=None if fans else last_pass[0])
        quarantine_lines = _blank_old_quarantine(con, cutoff)
        con.execute(
            f"INSERT INTO {RETENTION_LOG_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)",
            [now, as_of, cutoff, fans, records, raw_rows, quarantine_lines],
        )
        con.commit()
        return RetentionReport(fans, records, raw_rows, quarantine_lines)


def _last_run_dates(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date] | None:
    try:
        return con.execute(
            f"SELECT as_of_date, retention_cutoff_date FROM {RUN_DATES_RELATION}"
        ).fetchone()
    except duckdb.Error:  # no run yet, or one older than retention
        return None


def _pin_expired_fans(
    con: duckdb.DuckDBPyConnection, salt: str, as_of: dt.date, now: dt.datetime
) -> tuple[int, int]:
    """Pin every record of the expired fans not yet anonymised, and retain their addresses
    no other fan uses; returns (fans, records) newly pinned."""
    if not {"is_retention_expired", "is_anonymised"} <= set(table_columns(con, EXPIRY_RELATION)):
        return 0, 0  # a build older than retention (an error here would end the transaction)
    fans = con.execute(
        f"SELECT list(fan_id) FROM {EXPIRY_RELATION} "
        "WHERE is_retention_expired AND NOT is_anonymised"
    ).fetchone()[0]
    if not fans:
        return 0, 0
    pinned = con.execute(
        f"""INSERT INTO {RETAINED_RECORDS_TABLE}
        SELECT DISTINCT record_type, record_id, fan_id, fan_identity_confidence, ?, ?
        FROM {IDENTITY_RELATION} WHERE list_contains(?, fan_id)
        ON CONFLICT DO NOTHING RETURNING fan_id""",
        [as_of, now, fans],
    ).fetchall()
    # an address another fan uses too (a family mailbox) stays theirs
    con.execute(
        f"""INSERT INTO {RETAINED_EMAILS_TABLE}
        SELECT DISTINCT {hash_sql(salt, _EMAIL_KIND, "email_normalized")}, ?
        FROM {IDENTITY_RELATION}
        WHERE email_normalized IS NOT NULL
        GROUP BY email_normalized
        HAVING bool_and(list_contains(?, fan_id))
        ON CONFLICT DO NOTHING""",
        [as_of, fans],
    )
    return len({fan for (fan,) in pinned}), len(pinned)


def _token_sql(salt: str, column: str) -> str:
    """An address's token: the same address (trimmed, lower case) always gives the same one;
    a token stays as it is."""
    digest = hash_sql(salt, "email_token", f"lower(trim({column}))")
    return (
        f"CASE WHEN {column} LIKE '%@{TOKEN_DOMAIN}' THEN {column} "
        f"WHEN {column} LIKE '%@%' THEN 'anon-' || left({digest}, 20) || '@{TOKEN_DOMAIN}' END"
    )


def _anonymise_raw(
    con: duckdb.DuckDBPyConnection,
    salt: str,
    now: dt.datetime,
    loaded_since: dt.datetime | None,
) -> int:
    """Anonymise every raw row of a pinned record or carrying a retained address (of the
    rows loaded since ``loaded_since``, when given)."""
    pins, emails_retained = con.execute(
        f"SELECT (SELECT count(*) FROM {RETAINED_RECORDS_TABLE}),"
        f" (SELECT count(*) FROM {RETAINED_EMAILS_TABLE})"
    ).fetchone()
    if not pins and not emails_retained:
        return 0  # nobody anonymised yet: no row to search
    recent = "" if loaded_since is None else "_loaded_at > ? AND "
    anonymised = 0
    for name, table, existing, personal in raw_personal_columns(con):
        columns = {sql_identifier(c): kind for c, kind in personal.items()}
        emails = [c for c, kind in columns.items() if kind == EMAIL]
        others = [c for c, kind in columns.items() if kind != EMAIL]
        matches = [
            f"{hash_sql(salt, _EMAIL_KIND, f'lower(trim({c}))')} IN "
            f"(SELECT email_hash FROM {RETAINED_EMAILS_TABLE})"
            for c in emails
            if emails_retained
        ]
        matches += [
            f"trim({sql_identifier(id_column)}) IN (SELECT record_id FROM "
            f"{RETAINED_RECORDS_TABLE} WHERE record_type = {sql_literal(record_type)})"
            for record_type, (export, id_column) in IDENTITY_RECORD_ROWS.items()
            if export == name and id_column in existing
        ]
        if not matches:
            continue
        clear = [f"{c} IS NOT NULL" for c in others]
        clear += [f"({c} IS NOT NULL AND {c} NOT LIKE '%@{TOKEN_DOMAIN}')" for c in emails]
        assignments = [f"{c} = {_token_sql(salt, c)}" for c in emails]
        assignments += [f"{c} = NULL" for c in others]
        anonymised += con.execute(
            f"UPDATE {table} SET {', '.join(assignments)}, _loaded_at = ? "
            f"WHERE {recent}({' OR '.join(clear)}) AND ({' OR '.join(matches)})",
            [now] if loaded_since is None else [now, loaded_since],
        ).fetchone()[0]
    return anonymised


def _blank_old_quarantine(con: duckdb.DuckDBPyConnection, cutoff: dt.date) -> int:
    """Blank the quarantined lines of files exported before the cutoff (what was wrong with
    a line goes too: a reason may quote the value)."""
    if not (table_columns(con, QUARANTINE_TABLE) and table_columns(con, MANIFEST_TABLE)):
        return 0  # nothing loaded yet
    return con.execute(
        f"UPDATE {QUARANTINE_TABLE} SET raw_record = {sql_literal(PAST_RETENTION)}, "
        f"reason = {sql_literal(PAST_RETENTION)} "
        f"WHERE raw_record NOT IN ({sql_literal(PAST_RETENTION)}, {sql_literal(ERASED)}) "
        f"AND _source_file IN (SELECT _source_file FROM {MANIFEST_TABLE} WHERE export_date < ?)",
        [cutoff],
    ).fetchone()[0]
