"""What the privacy tests search and deliver: files holding a person's identifiers, byte by
byte, and a person's old lines delivered again in newer exports."""

from __future__ import annotations

import re
from pathlib import Path

from orchestration.landing.contract import match_file


def files_holding(root: Path, identifiers: list[str]) -> dict[str, list[str]]:
    """Files under ``root`` whose bytes hold one of the identifiers (case-insensitively), and
    which ones: the phone also in its national form (06...)."""
    needles = {i.lower().encode() for i in identifiers}
    needles |= {("0" + i[3:]).encode() for i in identifiers if i.startswith("+33")}
    found = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes().lower()
        hits = sorted(n.decode() for n in needles if n in data)
        if hits:
            found[str(path.relative_to(root))] = hits
    return found


def redeliver(landing: Path, emails: list[str]) -> None:
    """For each delta export holding one of ``emails``: a new export dated 2026-11-23 with
    its header and the lines holding them (a snapshot of one line would be refused as a
    truncated export, rightly)."""
    needles = [e.lower() for e in emails]
    for path in sorted(landing.glob("*/*_202611*.*")):
        matched = match_file(path.parent.name, path.name)
        if matched is None or matched[0].kind != "delta":
            continue
        lines = path.read_bytes().decode("utf-8", errors="replace").splitlines(keepends=True)
        theirs = [line for line in lines[1:] if any(n in line.lower() for n in needles)]
        if theirs:
            header = [] if path.suffix == ".jsonl" else lines[:1]
            again = path.with_name(re.sub(r"\d{8}", "20261123", path.name))
            again.write_text("".join(header + theirs), encoding="utf-8")
