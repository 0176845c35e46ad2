"""Finding the contract files under ``<landing>/<source>/`` (LandingFile, discover) and
telling, from their first bytes, files that are not text exports at all."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from orchestration.landing.contract import FileType, match_file

# The first bytes of files that are not text exports at all.
MAGIC = {
    b"\x1f\x8b": "gzip-compressed bytes: deliver the export uncompressed",
    b"PK\x03\x04": "a zip archive (an Excel .xlsx?): deliver the export as text",
}


@dataclass(frozen=True)
class LandingFile:
    path: Path
    source_file: str  # relative posix path
    file_type: FileType
    date_text: str  # YYYYMMDD as in the name

    @property
    def misnamed(self) -> bool:
        """Named like a contract file but in another case (Orders_20261119.CSV)."""
        return self.path.name != self.file_type.file_name(self.date_text)

    @property
    def export_date(self) -> date | None:
        try:
            return datetime.strptime(self.date_text, "%Y%m%d").date()
        except ValueError:
            return None


def discover(landing: Path) -> tuple[list[LandingFile], list[str]]:
    """Contract files under ``<landing>/<source>/`` (sorted by export date, then name) and
    every other file found under landing (relative paths), which the loader ignores."""
    files: list[LandingFile] = []
    ignored: list[str] = []
    if not landing.is_dir():
        return files, ignored
    for dirpath, dirnames, filenames in os.walk(landing):
        dirnames.sort()
        rel_dir = Path(dirpath).relative_to(landing)
        if len(rel_dir.parts) == 1:  # a directory named like an export is a failed file
            named_like_files = [d for d in dirnames if match_file(rel_dir.as_posix(), d)]
            dirnames[:] = [d for d in dirnames if d not in named_like_files]
            filenames = [*filenames, *named_like_files]
        for name in sorted(filenames):
            rel = (rel_dir / name).as_posix()
            matched = match_file(rel_dir.as_posix(), name) if len(rel_dir.parts) == 1 else None
            if matched is None:
                ignored.append(rel)
            else:
                ft, date_text = matched
                files.append(LandingFile(Path(dirpath) / name, rel, ft, date_text))
    files.sort(key=lambda f: (f.date_text, f.source_file))
    return files, ignored
