"""What happened to each landing file: the statuses, FileResult, LandingReport, and
LandingError for a broken invariant of the loader itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Statuses. Every one but SKIPPED is written to the manifest.
LOADED, REPLACED, REFUSED, EMPTY = "loaded", "replaced", "refused", "empty"
DUPLICATE = "duplicate"  # the same bytes as a file of this type already loaded
ERROR = "error"  # unreadable, a directory, an invalid date in the name
SKIPPED = "skipped"  # same name and sha256 already recorded: nothing to do
FAILED_STATUSES = (REFUSED, ERROR)  # the file did not load: someone has to look at it


class LandingError(Exception):
    """A broken invariant of the loader itself (never a data problem)."""


@dataclass
class FileResult:
    """What happened to one landing file (or, with status ``error``, one folder)."""

    file_type: str
    source_file: str  # relative to the landing folder, e.g. ticketing/orders_20261120.csv
    status: str  # loaded | replaced | refused | empty | skipped | error
    export_date: date | None = None
    sha256: str | None = None
    size_bytes: int = 0
    encoding: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    replaced: bool = False  # an earlier version of this file was replaced
    error: str | None = None  # why the file was refused or could not be read
    extra_columns: list[str] = field(default_factory=list)  # unknown columns it brought
    missing_columns: list[str] = field(default_factory=list)  # contract columns it lacks
    new_columns: list[str] = field(default_factory=list)  # columns added to the raw table
    issues: list[str] = field(default_factory=list)  # first quarantine reasons, file:line
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # facts worth recording, not warnings
    previous_snapshot_rows: int | None = None  # rows of the previous snapshot of this type
    seconds: float = 0.0

    @property
    def problem(self) -> bool:
        """The whole file (or folder) did not load: someone has to look at it."""
        return self.status in FAILED_STATUSES

    @property
    def processed(self) -> bool:
        """Read in this run (not skipped as already recorded)."""
        return self.status != SKIPPED


@dataclass
class LandingReport:
    files: list[FileResult] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # paths relative to landing

    @property
    def problems(self) -> list[FileResult]:
        return [f for f in self.files if f.problem]

    def count(self, status: str) -> int:
        return sum(f.status == status for f in self.files)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)
