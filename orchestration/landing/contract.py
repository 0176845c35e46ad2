"""The source contract (../shared/contracts/SOURCES.md) as data.

One place states, for every export file type, its name pattern, format, columns and the
kind of value each column holds. Ingestion (validation, raw tables), the demo-data
generator and the tests all read it, so the three cannot drift apart.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from orchestration.landing.value_kinds import KINDS, TEXT, ColumnRule

# Value kinds (every form real exports use, and the canonical text the raw layer keeps) are
# declared in orchestration.landing.value_kinds; a file type names the kind of each column.


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
    decimal_mark: str = "."  # decides whether '1.234' is ambiguous (see value_kinds)
    non_negative: tuple[str, ...] = field(default=())  # headers whose values are never < 0

    @property
    def name(self) -> str:
        return f"{self.source}_{self.entity}"

    @property
    def raw_table(self) -> str:
        return f"raw.{self.name}"

    @property
    def file_pattern(self) -> re.Pattern[str]:
        """The contract's file name, matched case-insensitively (a wrong case is reported,
        not ignored: see landing.discover)."""
        return re.compile(rf"^{re.escape(self.prefix)}_(\d{{8}})\.{self.extension}$", re.IGNORECASE)

    @property
    def raw_columns(self) -> dict[str, str]:
        """Contract columns under their raw (normalised) names."""
        return {raw_column_name(c): kind for c, kind in self.columns.items()}

    @property
    def column_rules(self) -> dict[str, ColumnRule]:
        """How each typed raw column is checked and made canonical at ingestion."""
        non_negative = {raw_column_name(c) for c in self.non_negative}
        return {
            name: ColumnRule(kind, self.decimal_mark, name in non_negative)
            for name, kind in self.raw_columns.items()
            if kind != TEXT
        }

    def file_name(self, export_date: str) -> str:
        return f"{self.prefix}_{export_date}.{self.extension}"


def raw_column_name(header: str) -> str:
    """Header as written by the tool -> raw column name.

    Headers are matched case-insensitively after trimming (contract), and accent-insensitively;
    spaces and other punctuation become underscores: 'Lineitem quantity' -> 'lineitem_quantity'.
    """
    text = unicodedata.normalize("NFKD", header.strip().lstrip("\ufeff").lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))  # 'Prénom' ~ 'prenom'
    name = re.sub(r"[^0-9a-z]+", "_", text).strip("_")
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
            {"match_date": "date", "capacity": "integer"},
        ),
        key=("match_id",),
        required=("match_id",),
        decimal_mark=",",
        non_negative=("capacity",),
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
                "created_at": "local_timestamp",
                "updated_at": "local_timestamp",
                "birth_date": "date",
                "optin_club": "boolean",
                "optin_partners": "boolean",
                "total_amount": "decimal",
            },
        ),
        key=("order_id",),
        required=("order_id", "status", "total_amount"),
        decimal_mark=",",
        non_negative=("total_amount",),
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
            {"price": "decimal"},
        ),
        key=("ticket_id",),
        required=("ticket_id", "order_id"),
        decimal_mark=",",
        non_negative=("price",),
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
            "scan_id;ticket_id;match_id;gate;scanned_at;result", {"scanned_at": "local_timestamp"}
        ),
        key=("scan_id",),
        required=("scan_id", "ticket_id"),
        decimal_mark=",",
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
                "Paid at": "offset_timestamp",
                "Fulfilled at": "offset_timestamp",
                "Created at": "offset_timestamp",
                "Cancelled at": "offset_timestamp",
                "Accepts Marketing": "boolean",
                "Lineitem requires shipping": "boolean",
                "Lineitem taxable": "boolean",
                "Subtotal": "decimal",
                "Shipping": "decimal",
                "Taxes": "decimal",
                "Total": "decimal",
                "Discount Amount": "decimal",
                "Lineitem quantity": "integer",
                "Lineitem price": "decimal",
                "Lineitem compare at price": "decimal",
                "Refunded Amount": "decimal",
                "Outstanding Balance": "decimal",
                "Lineitem discount": "decimal",
                "Id": "integer",
            },
            sep=",",
        ),
        key=("Name",),
        required=("Name",),
        non_negative=(
            "Subtotal",
            "Shipping",
            "Taxes",
            "Total",
            "Refunded Amount",
            "Lineitem quantity",
            "Lineitem price",
        ),
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
                "Customer ID": "integer",
                "Accepts Email Marketing": "boolean",
                "Accepts SMS Marketing": "boolean",
                "Tax Exempt": "boolean",
                "Total Spent": "decimal",
                "Total Orders": "integer",
            },
            sep=",",
        ),
        key=("Customer ID",),
        required=("Customer ID",),
        non_negative=("Total Spent", "Total Orders"),
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
                "DATE_OF_BIRTH": "date",
                "EMAIL_BLACKLISTED": "boolean",
                "SMS_BLACKLISTED": "boolean",
                "CREATED_AT": "utc_timestamp",
                "MODIFIED_AT": "utc_timestamp",
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
        columns=_cols("campaign_id;name;subject;type;sent_at;list", {"sent_at": "utc_timestamp"}),
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
            "id": "integer",
            "camp_id": "integer",
            "campaign name": "text",
            "email": "text",
            "event": "text",
            "date_sent": "utc_timestamp",
            "date_event": "utc_timestamp",
            "ts_sent": "epoch_seconds",
            "ts_event": "epoch_seconds",
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
            {"score": "integer", "answered_at": "utc_timestamp"},
        ),
        key=("response_id",),
        required=("response_id", "survey", "score"),
    ),
)

FILE_TYPES_BY_NAME: dict[str, FileType] = {ft.name: ft for ft in FILE_TYPES}
_unknown_kinds = {k for ft in FILE_TYPES for k in ft.columns.values()} - set(KINDS)
assert not _unknown_kinds, f"value kinds without a definition: {_unknown_kinds}"


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


# What of each export is a person's (headers as the tools write them): what an erasure
# request blanks in the raw tables (orchestration/erasure.py). 'email' and 'phone' columns
# also find the person's rows; 'other' columns are only blanked.
EMAIL, PHONE, OTHER = "email", "phone", "other"
PERSONAL_COLUMNS: dict[str, dict[str, str]] = {
    "ticketing_orders": {
        "email": EMAIL,
        "phone": PHONE,
        "first_name": OTHER,
        "last_name": OTHER,
        "birth_date": OTHER,
        "address": OTHER,
        "postal_code": OTHER,
        "city": OTHER,
    },
    "ticketing_tickets": {
        "holder_email": EMAIL,
        "holder_first_name": OTHER,
        "holder_last_name": OTHER,
    },
    "shop_orders": {
        "Email": EMAIL,
        "Phone": PHONE,
        "Billing Phone": PHONE,
        "Shipping Phone": PHONE,
        "Billing Name": OTHER,
        "Billing Street": OTHER,
        "Billing Address1": OTHER,
        "Billing Address2": OTHER,
        "Billing Company": OTHER,
        "Billing City": OTHER,
        "Billing Zip": OTHER,
        "Shipping Name": OTHER,
        "Shipping Street": OTHER,
        "Shipping Address1": OTHER,
        "Shipping Address2": OTHER,
        "Shipping Company": OTHER,
        "Shipping City": OTHER,
        "Shipping Zip": OTHER,
        "Notes": OTHER,
    },
    "shop_customers": {
        "Email": EMAIL,
        "Phone": PHONE,
        "Default Address Phone": PHONE,
        "First Name": OTHER,
        "Last Name": OTHER,
        "Default Address Company": OTHER,
        "Default Address Address1": OTHER,
        "Default Address Address2": OTHER,
        "Default Address City": OTHER,
        "Default Address Zip": OTHER,
        "Note": OTHER,
    },
    "email_contacts": {
        "EMAIL": EMAIL,
        "SMS": PHONE,
        "FIRSTNAME": OTHER,
        "LASTNAME": OTHER,
        "DATE_OF_BIRTH": OTHER,
        "POSTCODE": OTHER,
    },
    "email_events": {"email": EMAIL},
    "email_survey_responses": {"email": EMAIL, "comment": OTHER},
}
# Where the rows of each identity record type (int_identity_records_unioned) are in raw:
# the export and its id column (raw name). A ticketing account is the rows of its orders.
IDENTITY_RECORD_ROWS: dict[str, tuple[str, str]] = {
    "ticketing_order": ("ticketing_orders", "order_id"),
    "ticket_holder": ("ticketing_tickets", "ticket_id"),
    "shop_customer": ("shop_customers", "customer_id"),
    "shop_order": ("shop_orders", "id"),
    "email_contact": ("email_contacts", "contact_id"),
}
_unknown_ids = {
    (name, column)
    for name, column in IDENTITY_RECORD_ROWS.values()
    if column not in {raw_column_name(h) for h in FILE_TYPES_BY_NAME[name].columns}
}
assert not _unknown_ids, f"identity record ids outside the contract: {_unknown_ids}"
_unknown_personal = {
    (name, header)
    for name, columns in PERSONAL_COLUMNS.items()
    for header in columns
    if header not in FILE_TYPES_BY_NAME[name].columns
}
assert not _unknown_personal, f"personal columns outside the contract: {_unknown_personal}"
