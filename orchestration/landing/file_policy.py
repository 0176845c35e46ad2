"""The quality policy on landing files: which problems of a night's files stop the publish.

Row-level problems never stop a night: a bad row is quarantined with its reason and the
rest of its file loads. What stops the publish (an ERROR finding, a blocking Dagster check
on the file type's raw asset) is structural, judged on the files read in this run:

- a file that did not load at all (refused, unreadable, misnamed, none of its rows loaded);
- a file whose quarantined rows exceed ``quality_max_quarantine_rate`` of its rows, beyond
  the first ``quality_quarantine_allowance_rows`` (a few bad rows in a small file are not a
  structural problem);
- a snapshot with fewer than ``quality_min_snapshot_row_ratio`` of the rows of the previous
  snapshot of its type (a truncated export would silently delete most of a table).

Everything else worth a look is a WARNING finding: quarantined rows within the threshold,
a missing optional column, a re-delivered duplicate, and a tool whose newest export is older
than its freshness window (``source_freshness_days``: a tool that stopped exporting must not
look like a quiet night). The thresholds are dbt vars (``dbt_project/dbt_project.yml``), the
one home of the project's settings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from orchestration.landing.results import LOADED, REPLACED, FileResult
from orchestration.settings import project_var

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class FilePolicy:
    max_quarantine_rate: float
    quarantine_allowance_rows: int
    min_snapshot_row_ratio: float
    freshness_days: dict[str, int]  # tool (source) -> days its newest export may be old

    @classmethod
    def from_project(cls) -> FilePolicy:
        return cls(
            max_quarantine_rate=float(project_var("quality_max_quarantine_rate")),
            quarantine_allowance_rows=int(project_var("quality_quarantine_allowance_rows")),
            min_snapshot_row_ratio=float(project_var("quality_min_snapshot_row_ratio")),
            freshness_days={k: int(v) for k, v in project_var("source_freshness_days").items()},
        )


@dataclass(frozen=True)
class Finding:
    severity: str  # error (stops the publish) | warning
    source_file: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source_file}: {self.reason}"


def assess(results: list[FileResult], policy: FilePolicy) -> list[Finding]:
    """The findings on the files read in this run (files skipped as already loaded were
    judged on the night they arrived: a file set aside once never blocks later nights)."""
    findings: list[Finding] = []
    for r in results:
        if not r.processed:
            continue
        if r.problem:
            findings.append(Finding(ERROR, r.source_file, f"{r.status}: {r.error}"))
            continue
        if r.rows_quarantined:
            allowed = max(
                policy.max_quarantine_rate * r.rows_read, policy.quarantine_allowance_rows
            )
            share = f"{r.rows_quarantined} of {r.rows_read} rows quarantined"
            example = f", e.g. {r.issues[0]}" if r.issues else ""
            if r.rows_quarantined > allowed:
                reason = (
                    f"{share}, over the policy ({policy.max_quarantine_rate:.1%} beyond the "
                    f"first {policy.quarantine_allowance_rows} rows){example}"
                )
                findings.append(Finding(ERROR, r.source_file, reason))
            else:
                findings.append(Finding(WARNING, r.source_file, share + example))
        if (
            r.status in (LOADED, REPLACED)
            and r.previous_snapshot_rows
            and r.rows_loaded < (policy.min_snapshot_row_ratio * r.previous_snapshot_rows)
        ):
            reason = (
                f"snapshot of {r.rows_loaded} rows against {r.previous_snapshot_rows} in the "
                f"previous one (below {policy.min_snapshot_row_ratio:.0%}): a truncated export?"
            )
            findings.append(Finding(ERROR, r.source_file, reason))
        findings += [Finding(WARNING, r.source_file, w) for w in r.warnings]
    return findings


def stale_source(
    source: str, export_dates: Iterable[date], today: date, policy: FilePolicy
) -> Finding | None:
    """A WARNING when the tool's newest export in the landing is older than its freshness
    window (or there is none), else None."""
    window = policy.freshness_days[source]
    newest = max(export_dates, default=None)
    if newest is None:
        return Finding(
            WARNING,
            f"{source}/",
            f"no export of this tool in the landing (freshness window {window} days)",
        )
    age = (today - newest).days
    if age <= window:
        return None
    return Finding(
        WARNING,
        f"{source}/",
        f"no new export since {newest.isoformat()}, {age} days ago "
        f"(freshness window {window} days)",
    )
