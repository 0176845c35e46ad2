"""One `grandstand run` at a time, and no run left in progress by one that died.

`grandstand run` holds an exclusive ``flock`` on ``$GRANDSTAND_HOME/grandstand-run.lock`` for
its whole life. The OS drops the lock when the process ends, however it ends (``kill -9``
included), so a stale lock never needs a human. Whoever holds the lock therefore knows that
every run an earlier `grandstand run` left unfinished belongs to a dead process:
:func:`fail_interrupted_runs` marks those failed. Left as they are, they would hold the
instance's only run slot (``max_concurrent_runs: 1``) and the schedule and the sensor would
queue behind them for ever.

Runs launched by the daemon under `grandstand ui` do not take this lock, so only runs tagged
as launched by `grandstand run` are failed here; the daemon's run monitoring (dagster.yaml)
looks after its own runs.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

LOCK_FILE = "grandstand-run.lock"
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


class RunInProgress(RuntimeError):
    """Another `grandstand run` holds the lock of this GRANDSTAND_HOME."""


@contextmanager
def exclusive_run_lock(home: Path) -> Iterator[None]:
    """Hold the run lock of ``home`` for the duration of the block, or raise RunInProgress."""
    home.mkdir(parents=True, exist_ok=True)
    # "a+": opening must not erase the holder's pid before we know we are the holder.
    with open(home / LOCK_FILE, "a+", encoding="ascii") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
            raise RunInProgress(f"another grandstand run is in progress (pid {holder})") from None
        lock.truncate(0)
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        yield  # closing the file releases the lock; the file itself stays (no unlink race)


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
