"""The landing zone: which records each night's files hold, and the deliberate defects.

Night 1 delivers the full history up to its export date; later nights deliver the records
created or changed that day (deltas) or the full table (snapshots). Defects are placed
so that no real record is lost: a broken line is always an *extra* copy of a record that is
also delivered whole, and a night whose delta file came out empty, or was an earlier
night's file delivered again, passes its records on to the next night's file.

The `Plan` places every defect and every form real exports take (all off at messiness 0).
With N nights (0 = the first, `last` = N - 1, `middle` = N // 2):

  ticketing  orders night 0: Windows-1252, CRLF, amounts >= 1000 as '1 234,50' (no-break
             space); tickets night 0: UTF-8 BOM; access night 0: timestamps in ISO form
             '2026-11-14T20:45:00' (the initial backfill came through the platform's API);
             matches from `middle` on: match_date with the kickoff 'DD/MM/YYYY HH:MM',
             capacity '25 000'; orders and tickets from `middle` on: amounts >= 1000 as
             '1 234,50' (a space; November deltas seldom hold one: night 0 always does);
             matches night 1: header names in upper case; orders `last`: an unknown column
             (loyalty_number); access night 0: one line with a wrong field count; access
             N - 2: zero bytes; tickets max(2, N - 3): a byte-identical copy of the fullest
             earlier delta (nights 1..), its own records moved to the next night;
             a README in the folder
  shop       orders night 0: an unknown column (Lineitem vendor id); orders `last`: a staff
             test order with Refunded Amount > Total (no sale of the world) and a half
             uploaded '.tmp' copy; customers `middle`: columns in another order
  email      contacts night 0: header names in lower case, columns in another order;
             contacts `last`: no DATE_OF_BIRTH column, and a few contacts deleted upstream
             (in earlier snapshots, absent from the newest); campaigns night 1: UTF-16 with
             a BOM, CRLF; events night 0: one truncated JSON line; events `last`: one JSON
             array instead of JSON lines; survey_responses night 1: header only; events and
             survey answers delivered twice at random (at-least-once delivery)

Person attributes carry their noise in every file (renderers.py, noise.py): misspelt and
swapped names, nicknames, phone forms, slips in birth dates, blank phones and birth dates.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from hashlib import sha256
from itertools import chain
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..landing.contract import FILE_TYPES, FILE_TYPES_BY_NAME, FileType
from .common import chance, stream
from .formats import integer, join
from .renderers import PLAIN, Style, Tools
from .timeline import HOUR
from .writers import delimited_lines, jsonl_lines, write_delimited, write_jsonl

CHUNK_CELLS = 4_000_000  # fields rendered and written at a time (bounds memory)
JSON_NUMBERS = {"id", "camp_id", "ts_sent", "ts_event"}
NO_BREAK_SPACE = "\u00a0"
NO_DAY = np.iinfo(np.int64).min  # a birth date never delivered
README = """Exports déposées chaque nuit par la billetterie (matches, orders, tickets, access).
Séparateur ';', virgule décimale, dates JJ/MM/AAAA, heure de Paris.
Ne pas modifier les fichiers à la main.
"""

Spot = tuple[str, int]  # (file type, night)


@dataclass
class Plan:
    """Where the deliberate defects and export variants go (all off when messiness is 0)."""

    nights: int
    encodings: dict[Spot, tuple[str, str]] = field(default_factory=dict)
    extra_columns: dict[Spot, tuple[str, str]] = field(default_factory=dict)
    missing_columns: dict[Spot, str] = field(default_factory=dict)
    header_case: dict[Spot, str] = field(default_factory=dict)  # 'upper' | 'lower'
    reordered_columns: set[Spot] = field(default_factory=set)
    styles: dict[Spot, Style] = field(default_factory=dict)
    json_array: Spot | None = None
    redelivered: Spot | None = None  # this file is an earlier night's, byte for byte
    garbage_row: Spot | None = None
    truncated_json: Spot | None = None
    header_only: Spot | None = None
    zero_byte: Spot | None = None
    tmp_upload: Spot | None = None
    readme_in: str | None = None
    redelivery_rate: dict[str, float] = field(default_factory=dict)
    contacts_deleted_upstream: int = 0  # how many, absent from the newest snapshot
    staff_test_order_night: int | None = None  # shop orders file with refund > total

    @classmethod
    def for_messiness(cls, nights: int, messiness: float) -> Plan:
        plan = cls(nights)
        if messiness <= 0:
            return plan
        last, middle, second = nights - 1, nights // 2, min(1, nights - 1)
        plan.encodings = {
            ("ticketing_orders", 0): ("cp1252", "\r\n"),  # old box-office export
            ("ticketing_tickets", 0): ("utf-8-sig", "\n"),
            ("email_campaigns", second): ("utf-16", "\r\n"),  # saved as "Unicode text"
        }
        plan.extra_columns = {
            ("shop_orders", 0): ("Lineitem vendor id", "Lineitem sku"),
            ("ticketing_orders", last): ("loyalty_number", "account_id"),
        }
        plan.header_case = {("ticketing_matches", second): "upper", ("email_contacts", 0): "lower"}
        plan.reordered_columns = {("shop_customers", middle), ("email_contacts", 0)}
        plan.restyle(("ticketing_orders", 0), thousands_separator=NO_BREAK_SPACE)
        plan.restyle(("ticketing_access", 0), iso_timestamps=True)  # backfill through the API
        for night in range(middle, nights):  # the platform's later export version
            plan.restyle(("ticketing_matches", night), kickoff_time=True, thousands_separator=" ")
            plan.restyle(("ticketing_orders", night), thousands_separator=" ")
            plan.restyle(("ticketing_tickets", night), thousands_separator=" ")
        plan.garbage_row = ("ticketing_access", 0)
        plan.truncated_json = ("email_events", 0)
        if nights >= 2:  # these need an earlier night than the one they go to
            plan.json_array = ("email_events", last)  # not night 0: its truncated line
            plan.missing_columns = {("email_contacts", last): "DATE_OF_BIRTH"}
            plan.contacts_deleted_upstream = 3
        if nights >= 3:  # an empty delta needs a later night to carry its records
            plan.header_only = ("email_survey_responses", 1)
            plan.zero_byte = ("ticketing_access", nights - 2)
        if nights >= 4:  # a copy of a delta after night 0, its own records carried on
            plan.redelivered = ("ticketing_tickets", max(2, nights - 3))
        plan.tmp_upload = ("shop_orders", last)
        plan.staff_test_order_night = last
        plan.readme_in = "ticketing"
        plan.redelivery_rate = {
            "email_events": 0.003 * messiness,
            "email_survey_responses": 0.01 * messiness,
        }
        return plan

    def restyle(self, spot: Spot, **changes) -> None:
        self.styles[spot] = replace(self.styles.get(spot, PLAIN), **changes)

    def empty_nights(self, file_type: str) -> set[int]:
        spots = (self.header_only, self.zero_byte, self.redelivered)
        return {spot[1] for spot in spots if spot and spot[0] == file_type}

    def variants(self, spot: Spot) -> list[str]:
        """What is unusual about a file, for the truth's files.csv."""
        tags = [
            tag
            for where, tag in (
                (self.garbage_row, "garbage_row"),
                (self.truncated_json, "truncated_json"),
                (self.header_only, "header_only"),
                (self.zero_byte, "zero_byte"),
                (self.json_array, "json_array"),
                (self.redelivered, "redelivery"),
            )
            if where == spot
        ]
        if spot in self.encodings:
            encoding, newline = self.encodings[spot]
            tags.append(f"encoding:{encoding}" + (":crlf" if newline == "\r\n" else ""))
        if spot in self.extra_columns:
            tags.append(f"extra_column:{self.extra_columns[spot][0]}")
        if spot in self.missing_columns:
            tags.append(f"missing_column:{self.missing_columns[spot]}")
        if spot in self.header_case:
            tags.append(f"header_case:{self.header_case[spot]}")
        if spot in self.reordered_columns:
            tags.append("columns_reordered")
        style = self.styles.get(spot, PLAIN)
        if style.kickoff_time:
            tags.append("kickoff_time")
        if style.thousands_separator:
            name = "nbsp" if style.thousands_separator == NO_BREAK_SPACE else "space"
            tags.append(f"thousands_separator:{name}")
        if style.iso_timestamps:
            tags.append("iso_timestamps")
        return tags


def snapshot_nights(file_type: FileType, nights: int) -> set[int]:
    """Small reference tables come every night; big snapshots on the first, middle and
    last night (a night may deliver any subset of files)."""
    if file_type.name in ("ticketing_matches", "email_campaigns"):
        return set(range(nights))
    return {0, nights // 2, nights - 1}


def delivery_night(event_night: np.ndarray, empty: set[int], nights: int) -> np.ndarray:
    """Night whose file carries a record: the night of the event, or the next one when
    that night's file came out empty."""
    night = event_night.copy()
    for n in sorted(empty):
        night[night == n] = n + 1
    return np.where(night < nights, night, nights)  # `nights` = never delivered


@dataclass
class FileRecord:
    path: str
    file_type: str
    night: int
    rows: int
    bad_rows: int
    variants: list[str] = field(default_factory=list)
    duplicate_of: str = ""  # an earlier delta with the same bytes: its records count once


@dataclass
class Delivery:
    """The files written, and what they hold beyond the world's records (for the truth)."""

    files: list[FileRecord]
    contacts_deleted_upstream: np.ndarray  # contact rows absent from the newest snapshot
    anomalous_shop_orders: list[str]  # names of orders that are no sale (refund > total)
    contact_birth_days: np.ndarray  # DATE_OF_BIRTH as delivered (epoch day), else NO_DAY
    # identity noise the renderers made: (record type, kind) -> records showing it
    identity_noise: dict[tuple[str, str], int] = field(default_factory=dict)


class Landing:
    def __init__(self, out_dir: Path, tools: Tools, plan: Plan, seed: int):
        self.out_dir = out_dir
        self.tools = tools
        self.plan = plan
        self.seed = seed
        self.timeline = tools.world.timeline
        self.rng = stream(seed, "landing")
        self.files: list[FileRecord] = []
        self.deleted_contacts = self._contacts_to_delete()
        self.anomalous_shop_orders: list[str] = []
        n_contacts = len(tools.world.email.contacts)
        self.contact_birth_days = np.full(n_contacts, NO_DAY)

    # --- which records go into which night -------------------------------------------
    def delta_rows(self, file_type: FileType) -> list[np.ndarray]:
        created, changed = self.tools.timing(file_type.name)
        empty = self.plan.empty_nights(file_type.name)
        nights = self.timeline.nights
        on_create = delivery_night(self.timeline.night_of(created), empty, nights)
        on_change = delivery_night(self.timeline.night_of(changed), empty, nights)
        per_night = [np.flatnonzero((on_create == k) | (on_change == k)) for k in range(nights)]
        rate = self.plan.redelivery_rate.get(file_type.name, 0.0)
        return self._with_redeliveries(per_night, rate, empty) if rate else per_night

    def _with_redeliveries(self, per_night, rate, empty) -> list[np.ndarray]:
        """At-least-once delivery: some records come twice, in the same file or the next
        night's (the first two of night 1 are forced, one of each kind)."""
        out = [rows.copy() for rows in per_night]
        nights = len(per_night)
        for k, rows in enumerate(per_night):
            again = chance(self.rng, rate, len(rows))
            later = chance(self.rng, 0.5, len(rows))
            if k == 0 and len(rows) >= 2:
                again[:2], later[:2] = True, [False, True]
            target = int(delivery_night(np.array([k + 1]), empty, nights)[0])
            if target >= nights:
                later[:] = False
            out[k] = np.sort(np.r_[out[k], rows[again & ~later]], kind="stable")
            if target < nights:
                out[target] = np.r_[rows[again & later], out[target]]
        return out

    def snapshot_rows(self, file_type: FileType, night: int) -> np.ndarray:
        created, _ = self.tools.timing(file_type.name)
        rows = np.flatnonzero(created < self.timeline.cutoffs[night])
        if file_type.name == "email_contacts" and night == self.timeline.nights - 1:
            rows = np.setdiff1d(rows, self.deleted_contacts)
        return rows

    def _contacts_to_delete(self) -> np.ndarray:
        """Contacts deleted in the email tool before the newest snapshot. The warehouse
        keeps them, flagged, and never activates them; so that no expected figure moves,
        they are contacts of an earlier snapshot already blacklisted there for email and
        SMS, whose person is also a ticketing buyer or a shop customer."""
        nights = sorted(snapshot_nights(FILE_TYPES_BY_NAME["email_contacts"], self.timeline.nights))
        if not self.plan.contacts_deleted_upstream or len(nights) < 2:
            return np.zeros(0, dtype=np.int64)
        world = self.tools.world
        contacts = world.email.contacts
        earlier = self.timeline.cutoffs[nights[-2]]
        elsewhere = np.zeros(world.people.n, dtype=bool)
        elsewhere[world.ticketing.orders["buyer"].to_numpy()] = True
        elsewhere[world.shop.customers["person"].to_numpy()] = True
        candidates = np.flatnonzero(
            (contacts["created"].to_numpy() < earlier)
            & (contacts["blacklisted_at"].to_numpy() < earlier)
            & contacts["sms_blacklisted"].to_numpy()
            & elsewhere[contacts["person"].to_numpy()]
        )
        count = min(self.plan.contacts_deleted_upstream, len(candidates))
        rng = stream(self.seed, "landing:deleted_contacts")
        return np.sort(rng.choice(candidates, count, replace=False))

    # --- writing ---------------------------------------------------------------------------
    def path(self, file_type: FileType, night: int) -> Path:
        return self.out_dir / file_type.source / file_type.file_name(self.timeline.labels[night])

    def write_all(self) -> Delivery:
        for file_type in FILE_TYPES:
            if file_type.kind == "delta":
                per_night = self.delta_rows(file_type)
                for night, rows in enumerate(per_night):
                    if (file_type.name, night) == self.plan.redelivered:
                        # The fullest earlier delta, not night 1's (the whole history).
                        fullest = 1 + int(np.argmax([len(r) for r in per_night[1:night]]))
                        self.copy_file(file_type, fullest, night)
                    else:
                        self.write_file(file_type, night, rows)
            else:
                for night in sorted(snapshot_nights(file_type, self.timeline.nights)):
                    self.write_file(file_type, night, self.snapshot_rows(file_type, night))
            if (file_type.name, self.timeline.nights - 1) != self.plan.tmp_upload:
                self.tools.forget(file_type.name)
        if self.plan.tmp_upload:
            file_type, night = self.plan.tmp_upload
            real = self.path(FILE_TYPES_BY_NAME[file_type], night)
            data = real.read_bytes()
            real.with_name(real.name + ".tmp").write_bytes(data[: max(len(data) // 2, 1)])
        if self.plan.readme_in:
            (self.out_dir / self.plan.readme_in / "README").write_text(README, encoding="utf-8")
        self._mark_duplicates()
        return Delivery(
            files=self.files,
            contacts_deleted_upstream=self.deleted_contacts,
            anomalous_shop_orders=self.anomalous_shop_orders,
            contact_birth_days=self.contact_birth_days,
            identity_noise=dict(self.tools.noise),
        )

    def write_file(self, file_type: FileType, night: int, rows: np.ndarray) -> None:
        path = self.path(file_type, night)
        relative = path.relative_to(self.out_dir).as_posix()
        spot = (file_type.name, night)
        variants = self.plan.variants(spot)
        if spot == self.plan.zero_byte:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"")
            self.files.append(FileRecord(relative, file_type.name, night, 0, 0, variants))
            return
        if spot == self.plan.header_only:
            rows = rows[:0]
        cutoff = int(self.timeline.cutoffs[night])
        style = self.plan.styles.get(spot, PLAIN)
        parts = np.array_split(rows, max(1, -(-len(rows) // self._chunk_rows(file_type))))
        tables = (self.tools.render(file_type.name, part, cutoff, style) for part in parts)
        if file_type.name == "shop_orders" and night == self.plan.staff_test_order_night:
            staff_order = self._staff_test_order(cutoff)
            tables = chain(tables, staff_order)
            if staff_order:
                variants.append("refund_over_total")
        if file_type.name == "email_contacts":
            self._note_contacts(spot, rows, variants)
        extra_column = self.plan.extra_columns.get(spot)
        tables = (self._with_extra_column(table, extra_column) for table in tables)
        bad = self._broken_line(file_type, spot, rows, cutoff)
        if file_type.delimiter is None:
            array = spot == self.plan.json_array
            written = write_jsonl(path, tables, JSON_NUMBERS, bad, array)
        else:
            columns = self._file_columns(file_type, spot)
            header = [self._header_name(column, spot) for column in columns]
            encoding, newline = self.plan.encodings.get(spot, ("utf-8", "\n"))
            written = write_delimited(
                path,
                header,
                (table.select(columns) for table in tables),
                file_type.delimiter,
                encoding,
                newline,
                bad,
            )
        self.files.append(
            FileRecord(relative, file_type.name, night, written + len(bad), len(bad), variants)
        )

    def copy_file(self, file_type: FileType, earlier: int, night: int) -> None:
        """An earlier night's file delivered again, byte for byte, under this night's name."""
        source, path = self.path(file_type, earlier), self.path(file_type, night)
        path.write_bytes(source.read_bytes())
        first = next(f for f in self.files if f.path == source.relative_to(self.out_dir).as_posix())
        relative = path.relative_to(self.out_dir).as_posix()
        variants = self.plan.variants((file_type.name, night))
        self.files.append(
            FileRecord(relative, file_type.name, night, first.rows, first.bad_rows, variants)
        )

    def _mark_duplicates(self) -> None:
        """Name, for each delta file with records, the earlier file of its type with the
        same bytes if any (a re-delivery, whatever its name): its records count once. (An
        unchanged snapshot restates the table at its date; an empty file holds nothing.)
        Only files of one type and size can be equal: the others are not read again."""
        by_size = defaultdict(list)
        for record in self.files:
            if record.rows and FILE_TYPES_BY_NAME[record.file_type].kind == "delta":
                size = (self.out_dir / record.path).stat().st_size
                by_size[record.file_type, size].append(record)
        for records in by_size.values():
            if len(records) < 2:
                continue
            first_with: dict[str, str] = {}
            for record in sorted(records, key=lambda r: r.night):
                digest = sha256((self.out_dir / record.path).read_bytes()).hexdigest()
                first = first_with.setdefault(digest, record.path)
                record.duplicate_of = "" if first == record.path else first

    def _file_columns(self, file_type: FileType, spot: Spot) -> list[str]:
        """The file's columns in its order: the contract's, with the tool's unknown column,
        without the one it left out, maybe in another order."""
        columns = list(file_type.columns)
        if spot in self.plan.extra_columns:
            name, after = self.plan.extra_columns[spot]
            columns.insert(columns.index(after) + 1, name)
        if spot in self.plan.missing_columns:
            columns.remove(self.plan.missing_columns[spot])
        if spot in self.plan.reordered_columns:
            order = stream(self.seed, f"landing:columns:{spot}").permutation(len(columns))
            if (order == np.arange(len(columns))).all():
                order = order[::-1]
            columns = [columns[i] for i in order]
        return columns

    def _header_name(self, column: str, spot: Spot) -> str:
        case = self.plan.header_case.get(spot)
        return {"upper": column.upper(), "lower": column.lower()}.get(case, column)

    def _staff_test_order(self, cutoff: int) -> list[pa.Table]:
        """The refund-over-total order, placed at 20:00 on the export day."""
        made = self.tools.staff_test_order(cutoff - 4 * HOUR, cutoff)
        if made is None:
            return []
        table, name = made
        self.anomalous_shop_orders.append(name)
        return [table]

    def _note_contacts(self, spot: Spot, rows: np.ndarray, variants: list[str]) -> None:
        """For the truth: the birth dates a contacts snapshot gives (what the warehouse can
        know once a later snapshot lacks the column), and whether contacts were deleted."""
        if self.plan.missing_columns.get(spot) != "DATE_OF_BIRTH":
            days, blank = self.tools.contact_birth_dates()
            given = rows[~blank[rows]]
            self.contact_birth_days[given] = days[given]
        if spot[1] == self.timeline.nights - 1 and len(self.deleted_contacts):
            variants.append("contacts_deleted_upstream")

    @staticmethod
    def _chunk_rows(file_type: FileType) -> int:
        """Records per chunk; a Shopify order spans two line rows on average."""
        lines_per_record = 2 if file_type.name == "shop_orders" else 1
        return max(1_000, CHUNK_CELLS // (len(file_type.columns) * lines_per_record))

    def _with_extra_column(self, table: pa.Table, extra: tuple[str, str] | None) -> pa.Table:
        """A column the tool added that the contract does not know, before the end."""
        if extra is None:
            return table
        name, after = extra
        if name == "loyalty_number":
            account = table.column("account_id").combine_chunks()
            member = pc.match_substring_regex(account, "[0-5]$")
            values = pc.if_else(member, join("FID", account), pa.scalar(None, pa.string()))
        else:  # Shopify's vendor id: one per product
            sku = table.column(after).combine_chunks()
            values = integer(700_000 + np.asarray(pc.utf8_length(sku)) * 37)
        return table.add_column(table.column_names.index(after) + 1, name, values)

    def _broken_line(self, file_type: FileType, spot: Spot, rows: np.ndarray, cutoff: int) -> dict:
        """A broken extra copy of one record: a truncated JSON line or a CSV line cut
        after three fields (wrong field count). The record itself is delivered whole."""
        if spot not in (self.plan.garbage_row, self.plan.truncated_json) or len(rows) == 0:
            return {}
        at = len(rows) // 2
        style = self.plan.styles.get(spot, PLAIN)
        one = self.tools.render(file_type.name, rows[at : at + 1], cutoff, style)
        if file_type.delimiter is None:
            line = jsonl_lines(one, JSON_NUMBERS)[0].as_py()
            return {at: line[: len(line) // 2]}
        line = delimited_lines(one.select(range(3)), file_type.delimiter)[0].as_py()
        return {at: line}
