"""One `grandstand run` at a time, and no run left in progress by one that died.

`grandstand run` holds an exclusive ``flock`` on ``$GRANDSTAND_HOME/grandstand-run.lock`` for
its whole life. The OS drops the lock when the process ends, however it ends (``kill -9``
included), so a stale lock never needs a human. Whoever holds the lock therefore knows that
every run an earlier `grandstand run` left unfinished belongs to a dead process:
:func:`fail_interrupted_runs` marks those failed. Left as they are, they would hold the
instance's only run slot (``max_concurrent_runs: 1``) and the schedule and the sensor would
queue behind them for ever.

Every run of the job takes the same lock, whoever launched it (`grandstand run`, the
schedule, the sensor, the UI): each step that writes requires the :class:`RunLock` resource,
which holds the lock from the run's start to its end. A run that finds it taken fails at once
with "another grandstand run is in progress (pid …, run …)", before anything is written.
Runs launched by the daemon under `grandstand ui` hold it only while they run, so only runs
tagged as launched by `grandstand run` are failed here; the daemon's run monitoring
(dagster.yaml) looks after its own runs.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import dagster as dg

from orchestration.settings import paths

LOCK_FILE = "grandstand-run.lock"
RUN_LOCK = "run_lock"  # the resource key of RunLock
LAUNCHED_BY_TAG = "grandstand/launched_by"
LAUNCHED_BY_CLI = "grandstand run"
PID_TAG = "grandstand/pid"

# Every state a run can be left in when its process dies.
UNFINISHED_STATUSES = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


# Homes whose lock this process holds, with the open lock file: a run that `grandstand run`
# started in this process finds the lock already its own.
_held: dict[Path, TextIO] = {}


class RunInProgress(RuntimeError):
    """Another grandstand run holds the lock of this GRANDSTAND_HOME."""


@contextmanager
def exclusive_run_lock(home: Path, run_id: str | None = None) -> Iterator[None]:
    """Hold the run lock of ``home`` for the duration of the block, or raise RunInProgress
    (also when this very process holds it). ``run_id`` is recorded for whoever finds the
    lock taken."""
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    # "a+": opening must not erase the holder's pid before we know we are the holder.
    with open(home / LOCK_FILE, "a+", encoding="ascii") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
            raise RunInProgress(f"another grandstand run is in progress ({holder})") from None
        _record_holder(lock, run_id)
        _held[home] = lock
        try:
            yield  # closing the file releases the lock; the file itself stays (no unlink race)
        finally:
            del _held[home]


def _record_holder(lock: TextIO, run_id: str | None) -> None:
    lock.seek(0)
    lock.truncate(0)
    lock.write(f"pid {os.getpid()}" + (f", run {run_id}" if run_id else "") + "\n")
    lock.flush()


class RunLock(dg.ConfigurableResource):
    """The run lock of GRANDSTAND_HOME, held from the start of a run to its end (every step
    that writes requires this resource). A second run fails at start-up, touching nothing."""

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[RunLock]:
        run_id = context.dagster_run.run_id if context.dagster_run else None
        home = paths().home.resolve()
        if home in _held:  # `grandstand run` in this process took it: name the run, keep it
            _record_holder(_held[home], run_id)
            yield self
            return
        with exclusive_run_lock(home, run_id):
            yield self


def cli_run_tags() -> dict[str, str]:
    """Tags of a run launched by this process, so a later start-up can recognise it."""
    return {LAUNCHED_BY_TAG: LAUNCHED_BY_CLI, PID_TAG: str(os.getpid())}


def fail_interrupted_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed every unfinished run launched by `grandstand run`; returns their ids.

    Call it only while holding :func:`exclusive_run_lock`: then no such run is alive.
    """
    records = instance.get_run_records(
        filters=dg.RunsFilter(statuses=UNFINISHED_STATUSES, tags={LAUNCHED_BY_TAG: LAUNCHED_BY_CLI})
    )
    for record in records:
        run = record.dagster_run
        pid = run.tags.get(PID_TAG, "unknown")
        instance.report_run_failed(
            run,
            f"Interrupted: the grandstand run process (pid {pid}) ended without finishing this "
            "run (killed or crashed); marked failed by the next grandstand run at start-up.",
        )
    return [record.dagster_run.run_id for record in records]
