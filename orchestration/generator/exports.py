"""The landing zone: which records each night's files hold, and the deliberate defects.

Night 1 delivers the full history up to its export date; later nights deliver the records
created or changed that day (deltas) or the full table (snapshots). Defects are placed
so that no real record is lost: a broken line is always an *extra* copy of a record that is
also delivered whole, and a night whose delta file came out empty passes its records on to
the next night's file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..contract import FILE_TYPES, FileType
from .common import chance, stream
from .formats import integer, join
from .renderers import Tools
from .writers import delimited_lines, jsonl_lines, write_delimited, write_jsonl

CHUNK_CELLS = 4_000_000  # fields rendered and written at a time (bounds memory)
JSON_NUMBERS = {"id", "camp_id", "ts_sent", "ts_event"}
README = """Exports déposées chaque nuit par la billetterie (matches, orders, tickets, access).
Séparateur ';', virgule décimale, dates JJ/MM/AAAA, heure de Paris.
Ne pas modifier les fichiers à la main.
"""


@dataclass
class Plan:
    """Where the deliberate defects go (all off when messiness is 0)."""

    nights: int
    encodings: dict[tuple[str, int], tuple[str, str]] = field(default_factory=dict)
    extra_columns: dict[tuple[str, int], tuple[str, str]] = field(default_factory=dict)
    garbage_row: tuple[str, int] | None = None
    truncated_json: tuple[str, int] | None = None
    header_only: tuple[str, int] | None = None
    zero_byte: tuple[str, int] | None = None
    tmp_upload: tuple[str, int] | None = None
    readme_in: str | None = None
    redelivery_rate: dict[str, float] = field(default_factory=dict)

    @classmethod
    def for_messiness(cls, nights: int, messiness: float) -> Plan:
        plan = cls(nights)
        if messiness <= 0:
            return plan
        last = nights - 1
        plan.encodings = {
            ("ticketing_orders", 0): ("cp1252", "\r\n"),  # old box-office export
            ("ticketing_tickets", 0): ("utf-8-sig", "\n"),
        }
        plan.extra_columns = {
            ("shop_orders", 0): ("Lineitem vendor id", "Lineitem sku"),
            ("ticketing_orders", last): ("loyalty_number", "account_id"),
        }
        plan.garbage_row = ("ticketing_access", 0)
        plan.truncated_json = ("email_events", 0)
        if nights >= 3:  # an empty delta needs a later night to carry its records
            plan.header_only = ("email_survey_responses", 1)
            plan.zero_byte = ("ticketing_access", nights - 2)
        plan.tmp_upload = ("shop_orders", last)
        plan.readme_in = "ticketing"
        plan.redelivery_rate = {
            "email_events": 0.003 * messiness,
            "email_survey_responses": 0.01 * messiness,
        }
        return plan

    def empty_nights(self, file_type: str) -> set[int]:
        spots = (self.header_only, self.zero_byte)
        return {spot[1] for spot in spots if spot and spot[0] == file_type}


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
    rows: int
    bad_rows: int


class Landing:
    def __init__(self, out_dir: Path, tools: Tools, plan: Plan, seed: int):
        self.out_dir = out_dir
        self.tools = tools
        self.plan = plan
        self.timeline = tools.world.timeline
        self.rng = stream(seed, "landing")
        self.files: list[FileRecord] = []

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
        return np.flatnonzero(created < self.timeline.cutoffs[night])

    # --- writing ---------------------------------------------------------------------------
    def write_all(self) -> list[FileRecord]:
        labels = self.timeline.labels
        for file_type in FILE_TYPES:
            if file_type.kind == "delta":
                for night, rows in enumerate(self.delta_rows(file_type)):
                    self.write_file(file_type, night, rows)
            else:
                for night in sorted(snapshot_nights(file_type, self.timeline.nights)):
                    self.write_file(file_type, night, self.snapshot_rows(file_type, night))
            if (file_type.name, self.timeline.nights - 1) != self.plan.tmp_upload:
                self.tools.forget(file_type.name)
        if self.plan.tmp_upload:
            file_type, night = self.plan.tmp_upload
            ft = next(f for f in FILE_TYPES if f.name == file_type)
            real = self.out_dir / ft.source / ft.file_name(labels[night])
            data = real.read_bytes()
            real.with_name(real.name + ".tmp").write_bytes(data[: max(len(data) // 2, 1)])
        if self.plan.readme_in:
            (self.out_dir / self.plan.readme_in / "README").write_text(README, encoding="utf-8")
        return self.files

    def write_file(self, file_type: FileType, night: int, rows: np.ndarray) -> None:
        path = self.out_dir / file_type.source / file_type.file_name(self.timeline.labels[night])
        relative = path.relative_to(self.out_dir).as_posix()
        key = (file_type.name, night)
        if key == self.plan.zero_byte:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"")
            self.files.append(FileRecord(relative, 0, 0))
            return
        if key == self.plan.header_only:
            rows = rows[:0]
        cutoff = int(self.timeline.cutoffs[night])
        extra_column = self.plan.extra_columns.get(key)
        chunks = (
            self._with_extra_column(self.tools.render(file_type.name, part, cutoff), extra_column)
            for part in np.array_split(rows, max(1, -(-len(rows) // self._chunk_rows(file_type))))
        )
        bad = self._broken_line(file_type, key, rows, cutoff)
        if file_type.delimiter is None:
            written = write_jsonl(path, chunks, JSON_NUMBERS, bad)
        else:
            header = list(file_type.columns)
            if extra_column:
                header.insert(header.index(extra_column[1]) + 1, extra_column[0])
            encoding, newline = self.plan.encodings.get(key, ("utf-8", "\n"))
            written = write_delimited(
                path, header, chunks, file_type.delimiter, encoding, newline, bad
            )
        self.files.append(FileRecord(relative, written + len(bad), len(bad)))

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

    def _broken_line(self, file_type: FileType, key, rows: np.ndarray, cutoff: int) -> dict:
        """A broken extra copy of one record: a truncated JSON line or a CSV line cut
        after three fields (wrong field count). The record itself is delivered whole."""
        if key not in (self.plan.garbage_row, self.plan.truncated_json) or len(rows) == 0:
            return {}
        at = len(rows) // 2
        one = self.tools.render(file_type.name, rows[at : at + 1], cutoff)
        if file_type.delimiter is None:
            line = jsonl_lines(one, JSON_NUMBERS)[0].as_py()
            return {at: line[: len(line) // 2]}
        line = delimited_lines(one.select(range(3)), file_type.delimiter)[0].as_py()
        return {at: line}
