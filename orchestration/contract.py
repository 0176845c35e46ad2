"""The source contract (../shared/contracts/SOURCES.md) as data.

One place states, for every export file type, its name pattern, format, columns and the
kind of value each column holds. Ingestion (validation, raw tables), the demo-data
generator and the tests all read it, so the three cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Value kinds: the textual form a column must have in the export. Ingestion keeps the text
# (raw tables are VARCHAR) but rejects a row whose value does not have the contract's form,
# naming the column; staging then casts safely. An empty value is always accepted.
VALUE_PATTERNS: dict[str, str] = {
    "text": r"(?s).*",
    "int": r"-?[0-9]+",
    "fr_decimal": r"-?[0-9]+(,[0-9]+)?",
    "decimal": r"-?[0-9]+(\.[0-9]+)?",
    "fr_date": r"[0-9]{2}/[0-9]{2}/[0-9]{4}",
    "fr_timestamp": r"[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-9]{2}(:[0-9]{2})?",
    "iso_date": r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    "iso_timestamp": r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}",
    "shopify_timestamp": r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}",
    "bool_on": r"(?i)[ON]",
    "bool_yes_no": r"(?i)(yes|no)",
    "bool_shopify": r"(?i)(yes|no|true|false)",
}

HUMAN_FORMS: dict[str, str] = {
    "int": "a whole number",
    "fr_decimal": "a decimal with a comma (12,50)",
    "decimal": "a decimal with a point (12.50)",
    "fr_date": "a date DD/MM/YYYY",
    "fr_timestamp": "a timestamp DD/MM/YYYY HH:MM[:SS]",
    "iso_date": "a date YYYY-MM-DD",
    "iso_timestamp": "a timestamp YYYY-MM-DD HH:MM:SS",
    "shopify_timestamp": "a timestamp YYYY-MM-DD HH:MM:SS +HHMM",
    "bool_on": "O or N",
    "bool_yes_no": "Yes or No",
    "bool_shopify": "yes/no/true/false",
}


# Date and time kinds must also be real calendar values (the pattern accepts 31/02/2025 or
# 25:00): strptime formats, tried in order, in DuckDB's (= Python's) notation. Ingestion
# refuses a value none of them parses; staging casts with the same formats.
VALUE_FORMATS: dict[str, tuple[str, ...]] = {
    "fr_date": ("%d/%m/%Y",),
    "fr_timestamp": ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"),
    "iso_date": ("%Y-%m-%d",),
    "iso_timestamp": ("%Y-%m-%d %H:%M:%S",),
    "shopify_timestamp": ("%Y-%m-%d %H:%M:%S %z",),
}


@dataclass(frozen=True)
class FileType:
    """One kind of export file, e.g. the ticketing platform's orders delta."""

    source: str  # ticketing | shop | email
    entity: str  # raw table is raw.<source>_<entity>
    prefix: str  # file name is <prefix>_YYYYMMDD.<extension>
    extension: str  # csv | jsonl
    kind: str  # snapshot | delta
    delimiter: str | None  # None for JSON lines
    encodings: tuple[str, ...]  # tried in order, BOM always honoured
    columns: dict[str, str]  # header as the tool writes it -> value kind
    key: tuple[str, ...]  # business key (raw column names)
    # header columns without which the file is refused
    required: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return f"{self.source}_{self.entity}"

    @property
    def raw_table(self) -> str:
        return f"raw.{self.name}"

    @property
    def file_pattern(self) -> re.Pattern[str]:
        return re.compile(rf"^{re.escape(self.prefix)}_(\d{{8}})\.{self.extension}$")

    @property
    def raw_columns(self) -> dict[str, str]:
        """Contract columns under their raw (normalised) names."""
        return {raw_column_name(c): kind for c, kind in self.columns.items()}

    def file_name(self, export_date: str) -> str:
        return f"{self.prefix}_{export_date}.{self.extension}"


def raw_column_name(header: str) -> str:
    """Header as written by the tool -> raw column name.

    Headers are matched case-insensitively after trimming (contract); spaces and other
    punctuation become underscores: 'Lineitem quantity' -> 'lineitem_quantity'.
    """
    name = re.sub(r"[^0-9a-z]+", "_", header.strip().lstrip("\ufeff").lower()).strip("_")
    return name or "unnamed"


# Lineage and bookkeeping columns every raw table carries.
LINEAGE_COLUMNS = ("_source_file", "_source_line", "_file_sha256", "_export_date", "_loaded_at")


def _cols(spec: str, kinds: dict[str, str] | None = None, sep: str = ";") -> dict[str, str]:
    kinds = kinds or {}
    return {c.strip(): kinds.get(c.strip(), "text") for c in spec.split(sep)}


TICKETING_ENCODINGS = ("utf-8", "cp1252")  # older box-office exports are Windows-1252
UTF8_ONLY = ("utf-8",)

FILE_TYPES: tuple[FileType, ...] = (
    FileType(
        source="ticketing",
        entity="matches",
        prefix="matches",
        extension="csv",
        kind="snapshot",
        delimiter=";",
        encodings=TICKETING_ENCODINGS,
        columns=_cols(
            "match_id;match_date;season;competition;opponent;home_away;venue;capacity",
            {"match_date": "fr_date", "capacity": "int"},
        ),
        key=("match_id",),
        required=("match_id",),
    ),
    FileType(
        source="ticketing",
        entity="orders",
        prefix="orders",
        extension="csv",
        kind="delta",
        delimiter=";",
        encodings=TICKETING_ENCODINGS,
        columns=_cols(
            "order_id;account_id;created_at;updated_at;status;sales_channel;email;civility;"
            "first_name;last_name;birth_date;phone;address;postal_code;city;country;"
            "optin_club;optin_partners;total_amount;currency",
            {
                "created_at": "fr_timestamp",
                "updated_at": "fr_timestamp",
                "birth_date": "fr_date",
                "optin_club": "bool_on",
                "optin_partners": "bool_on",
                "total_amount": "fr_decimal",
            },
        ),
        key=("order_id",),
        required=("order_id", "status", "total_amount"),
    ),
    FileType(
        source="ticketing",
        entity="tickets",
        prefix="tickets",
        extension="csv",
        kind="delta",
        delimiter=";",
        encodings=TICKETING_ENCODINGS,
        columns=_cols(
            "ticket_id;order_id;match_id;season;product_type;price_category;section;row;seat;"
            "price;holder_first_name;holder_last_name;holder_email;status",
            {"price": "fr_decimal"},
        ),
        key=("ticket_id",),
        required=("ticket_id", "order_id"),
    ),
    FileType(
        source="ticketing",
        entity="access",
        prefix="access",
        extension="csv",
        kind="delta",
        delimiter=";",
        encodings=TICKETING_ENCODINGS,
        columns=_cols(
            "scan_id;ticket_id;match_id;gate;scanned_at;result", {"scanned_at": "fr_timestamp"}
        ),
        key=("scan_id",),
        required=("scan_id", "ticket_id"),
    ),
    FileType(
        source="shop",
        entity="orders",
        prefix="orders_export",
        extension="csv",
        kind="delta",
        delimiter=",",
        encodings=UTF8_ONLY,
        columns=_cols(
            "Name, Email, Financial Status, Paid at, Fulfillment Status, Fulfilled at, "
            "Accepts Marketing, Currency, Subtotal, Shipping, Taxes, Total, Discount Code, "
            "Discount Amount, Shipping Method, Created at, Lineitem quantity, Lineitem name, "
            "Lineitem price, Lineitem compare at price, Lineitem sku, Lineitem requires shipping, "
            "Lineitem taxable, Lineitem fulfillment status, Billing Name, Billing Street, "
            "Billing Address1, Billing Address2, Billing Company, Billing City, Billing Zip, "
            "Billing Province, Billing Country, Billing Phone, Shipping Name, Shipping Street, "
            "Shipping Address1, Shipping Address2, Shipping Company, Shipping City, Shipping Zip, "
            "Shipping Province, Shipping Country, Shipping Phone, Notes, Note Attributes, "
            "Cancelled at, Payment Method, Payment Reference, Refunded Amount, Vendor, "
            "Outstanding Balance, Employee, Location, Device ID, Id, Tags, Risk Level, Source, "
            "Lineitem discount, Phone, Receipt Number",
            {
                "Paid at": "shopify_timestamp",
                "Fulfilled at": "shopify_timestamp",
                "Created at": "shopify_timestamp",
                "Cancelled at": "shopify_timestamp",
                "Accepts Marketing": "bool_shopify",
                "Lineitem requires shipping": "bool_shopify",
                "Lineitem taxable": "bool_shopify",
                "Subtotal": "decimal",
                "Shipping": "decimal",
                "Taxes": "decimal",
                "Total": "decimal",
                "Discount Amount": "decimal",
                "Lineitem quantity": "int",
                "Lineitem price": "decimal",
                "Lineitem compare at price": "decimal",
                "Refunded Amount": "decimal",
                "Outstanding Balance": "decimal",
                "Lineitem discount": "decimal",
                "Id": "int",
            },
            sep=",",
        ),
        key=("Name",),
        required=("Name",),
    ),
    FileType(
        source="shop",
        entity="customers",
        prefix="customers_export",
        extension="csv",
        kind="snapshot",
        delimiter=",",
        encodings=UTF8_ONLY,
        columns=_cols(
            "Customer ID, First Name, Last Name, Email, Accepts Email Marketing, "
            "Default Address Company, Default Address Address1, Default Address Address2, "
            "Default Address City, Default Address Province Code, Default Address Country Code, "
            "Default Address Zip, Default Address Phone, Phone, Accepts SMS Marketing, "
            "Total Spent, Total Orders, Note, Tax Exempt, Tags",
            {
                "Customer ID": "int",
                "Accepts Email Marketing": "bool_shopify",
                "Accepts SMS Marketing": "bool_shopify",
                "Tax Exempt": "bool_shopify",
                "Total Spent": "decimal",
                "Total Orders": "int",
            },
            sep=",",
        ),
        key=("Customer ID",),
        required=("Customer ID",),
    ),
    FileType(
        source="email",
        entity="contacts",
        prefix="contacts",
        extension="csv",
        kind="snapshot",
        delimiter=";",
        encodings=UTF8_ONLY,
        columns=_cols(
            "CONTACT_ID;EMAIL;FIRSTNAME;LASTNAME;SMS;DATE_OF_BIRTH;POSTCODE;EMAIL_BLACKLISTED;"
            "SMS_BLACKLISTED;CREATED_AT;MODIFIED_AT;LISTS",
            {
                "DATE_OF_BIRTH": "iso_date",
                "EMAIL_BLACKLISTED": "bool_yes_no",
                "SMS_BLACKLISTED": "bool_yes_no",
                "CREATED_AT": "iso_timestamp",
                "MODIFIED_AT": "iso_timestamp",
            },
        ),
        key=("CONTACT_ID",),
        required=("CONTACT_ID",),
    ),
    FileType(
        source="email",
        entity="campaigns",
        prefix="campaigns",
        extension="csv",
        kind="snapshot",
        delimiter=";",
        encodings=UTF8_ONLY,
        columns=_cols("campaign_id;name;subject;type;sent_at;list", {"sent_at": "iso_timestamp"}),
        key=("campaign_id",),
        required=("campaign_id",),
    ),
    FileType(
        source="email",
        entity="events",
        prefix="events",
        extension="jsonl",
        kind="delta",
        delimiter=None,
        encodings=UTF8_ONLY,
        columns={
            "id": "int",
            "camp_id": "int",
            "campaign name": "text",
            "email": "text",
            "event": "text",
            "date_sent": "iso_timestamp",
            "date_event": "iso_timestamp",
            "ts_sent": "int",
            "ts_event": "int",
            "URL": "text",
            "tag": "text",
        },
        key=("id",),
        required=("id", "event"),
    ),
    FileType(
        source="email",
        entity="survey_responses",
        prefix="survey_responses",
        extension="csv",
        kind="delta",
        delimiter=";",
        encodings=UTF8_ONLY,
        columns=_cols(
            "response_id;campaign_id;email;survey;touchpoint;score;comment;answered_at",
            {"score": "int", "answered_at": "iso_timestamp"},
        ),
        key=("response_id",),
        required=("response_id", "survey", "score"),
    ),
)

FILE_TYPES_BY_NAME: dict[str, FileType] = {ft.name: ft for ft in FILE_TYPES}


def match_file(source: str, file_name: str) -> tuple[FileType, str] | None:
    """The file type and export date (YYYYMMDD) of a landing file, or None when the
    contract does not name it (README, .tmp uploads, ...)."""
    for ft in FILE_TYPES:
        if ft.source != source:
            continue
        m = ft.file_pattern.match(file_name)
        if m:
            return ft, m.group(1)
    return None
