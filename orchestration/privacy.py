"""Privacy by design in what leaves the working warehouse. Pure functions, no Dagster.

Which columns are personal is declared once, in the marts' dbt YAML
(``config: {meta: {personal_data: direct|quasi}}``): names, contact points, birth dates and
full postal codes. The BI file (``published/grandstand.duckdb`` and its Parquet files)
withholds them; only the activation export (:mod:`orchestration.activation`) carries
contact details, for consenting fans.

A declaration can be forgotten, so the publish also audits what it wrote:
:func:`find_personal_data` looks at every column of the BI file for a direct identifier's
name, at every text value for an email address or a phone number, and at date columns named
after a birth date. A finding stops the publish (the previous release stays); findings name
the table and column and count the values, never quote them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

PERSONAL_DATA_KEY = "personal_data"

# Column names that hold a direct identifier, whatever a model's YAML says.
IDENTIFIER_NAMES = (
    "email",
    "phone",
    "first_name",
    "last_name",
    "full_name",
    "birth_date",
    "address",
    "contact_point",
)
# What an email address or a phone number looks like in a text value (DuckDB regular
# expressions): an address anywhere in the text; a phone as the whole value, in E.164 or in
# the French national form (06 12 34 56 78) -- long numeric ids (Shopify's 13 digits) are
# neither.
EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
PHONE_PATTERN = r"^\s*(\+[1-9][0-9]{7,14}|0[1-9]([ .-]?[0-9]{2}){4})\s*$"


# Parts of a column name (any tool's spelling: EMAIL, SMS, holder_first_name, billing_name,
# default_address_phone, zip) that say its values are a person's.
PERSONAL_NAME_PARTS = (
    "email",
    "mail",
    "phone",
    "sms",
    "name",
    "birth",
    "address",
    "zip",
    "postcode",
    "postal",
)
WITHHELD = "[personal data withheld]"
_EMAIL = re.compile(EMAIL_PATTERN)
_PHONE = re.compile(PHONE_PATTERN)


def is_personal_column(column: str | None) -> bool:
    return column is not None and any(part in column.lower() for part in PERSONAL_NAME_PARTS)


def mask_personal(value: Any, column: str | None = None) -> Any:
    """A sampled value as logs and check results may carry it: withheld when its column is
    a person's or the value is an email or a phone; a row (mapping) column by column."""
    if isinstance(value, Mapping):
        return {key: mask_personal(item, str(key)) for key, item in value.items()}
    if value is None:
        return None
    if is_personal_column(column):
        return WITHHELD
    if isinstance(value, str) and (_EMAIL.search(value) or _PHONE.fullmatch(value)):
        return WITHHELD
    return value


_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'" + r'|"(?:[^"\\]|\\.)*"')


def mask_reason(reason: str, column: str | None) -> str:
    """A quarantine reason as the run's logs and Dagster show it (raw._quarantine keeps it
    whole, under erasure): the values it quotes withheld when its column is a person's, and
    any email address in it."""
    if is_personal_column(column):
        reason = _QUOTED.sub(WITHHELD, reason)
    return _EMAIL.sub(WITHHELD, reason)


def personal_columns(nodes: Mapping[str, Any], schema: str = "marts") -> dict[str, tuple[str, ...]]:
    """Table name -> its columns declared personal, for the models of ``schema`` in a dbt
    manifest's ``nodes``."""
    found = {}
    for node in nodes.values():
        if node.get("resource_type") != "model" or node.get("schema") != schema:
            continue
        columns = tuple(
            name
            for name, column in node.get("columns", {}).items()
            if PERSONAL_DATA_KEY in (column.get("config", {}).get("meta") or {})
            or PERSONAL_DATA_KEY in (column.get("meta") or {})
        )
        if columns:
            found[node["name"]] = columns
    return found


def find_personal_data(con: Any, catalog: str) -> list[str]:
    """What in the DuckDB database attached as ``catalog`` looks like personal data: one
    line per column found, naming it and counting the values (never quoting them). One scan
    per table, whatever its number of text columns."""
    columns = con.execute(
        """
        SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns()
        WHERE database_name = ? ORDER BY ALL
        """,
        [catalog],
    ).fetchall()
    findings = []
    text_columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column, data_type in columns:
        where = f"{schema}.{table}.{column}"
        if column.lower() in IDENTIFIER_NAMES:
            findings.append(f"{where}: a column named after a direct identifier")
        elif data_type in ("DATE", "TIMESTAMP") and "birth" in column.lower():
            findings.append(f"{where}: a birth date")
        elif data_type == "VARCHAR":
            text_columns.setdefault((schema, table), []).append(column)
    for (schema, table), names in text_columns.items():
        counts = []
        for column in names:
            quoted = '"' + column.replace('"', '""') + '"'
            # cheap tests first: the regular expressions run on few values of a large table
            counts += [
                f"count(*) FILTER (WHERE contains({quoted}, '@')"
                f" AND regexp_matches({quoted}, '{EMAIL_PATTERN}'))",
                f"count(*) FILTER (WHERE length({quoted}) BETWEEN 9 AND 20"
                f" AND left(ltrim({quoted}), 1) IN ('+', '0')"
                f" AND regexp_matches({quoted}, '{PHONE_PATTERN}'))",
            ]
        found = con.execute(
            f'SELECT {", ".join(counts)} FROM "{catalog}"."{schema}"."{table}"'
        ).fetchone()
        for column, emails, phones in zip(names, found[::2], found[1::2], strict=True):
            where = f"{schema}.{table}.{column}"
            if emails:
                findings.append(f"{where}: {emails} values hold an email address")
            if phones:
                findings.append(f"{where}: {phones} values are phone numbers")
    return sorted(findings)
