"""`kill -9` of the nightly run at random points: start-up, ingestion, dbt, checks, publish.

One uninterrupted `grandstand run` on a fresh home gives the reference release and how long
each phase lasts. Then `grandstand run` is started again and again, each time from the state
the previous one left, and its whole process group (dbt runs as a child) is killed at a seeded
random moment of a chosen phase: in that home, where BI has a release to keep, and side by side
in a fresh home, where BI has none yet. After every kill:

- BI sees no release, or a complete one (the published file opens read-only and holds the
  reference rows; the manifest's row counts and Parquet files agree with it), and never loses
  the release it had;
- no lock needs a human: the run lock is free as soon as the process is gone;
- at most the killed run is unfinished in the Dagster instance: the next start-up fails it.

At the end a clean run in the fresh home succeeds and publishes exactly the reference tables,
byte for byte: that is also the suite's determinism test (two homes, one landing, the same
published bytes), with no extra runs of its own.
"""

import math
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.publish import MANIFEST, PUBLISHED_DB
from orchestration.runs import UNFINISHED_STATUSES, exclusive_run_lock
from orchestration.settings import REPO_ROOT
from tests.published_tables import content_hashes, manifest, parquet_digests

pytestmark = pytest.mark.e2e

FANS = 150
SEED = 20261202
KILL_SEED = 8
RUN_TIMEOUT_S = 900  # a run that hangs fails the test instead of blocking it

# Each phase starts when its line appears in Dagster's console log (stderr).
PHASE_STARTS = {
    "start-up": None,  # when the process starts
    "ingestion": "RUN_START",
    "dbt": 'Started execution of step "dbt_models"',
    "checks": 'Finished execution of step "dbt_models"',
    "publish": 'Started execution of step "published__marts"',
}
PUBLISH_DONE = 'Finished execution of step "published__marts"'
# A phase ends when the next one starts (publish: when its step finishes).
PHASE_ENDS = dict(zip(PHASE_STARTS, [*list(PHASE_STARTS.values())[1:], PUBLISH_DONE], strict=True))
# Phases to kill, in this order, in the reference's home, then in a fresh home: every phase
# once, the ones that touch a release (dbt writes the working file, publish swaps the
# release) in both homes. Each kill costs most of a run, so no phase is killed twice.
KILLS_WITH_A_RELEASE = ["dbt", "publish"]
KILLS_FROM_SCRATCH = ["start-up", "ingestion", "checks", "publish"]


@dataclass
class Run:
    returncode: int
    seen: dict[str | None, float]  # phase start line (None: the process) -> seconds after
    killed_at: float | None  # seconds after the start
    output: tuple[Path, Path]  # what it printed: stdout, stderr

    @property
    def killed_in(self) -> str | None:
        """The phase that was running when the run was killed."""
        t = self.killed_at
        if t is None:
            return None
        if self.seen.get(PUBLISH_DONE, math.inf) <= t:
            return "publish (as it finished)"
        started = [p for p, line in PHASE_STARTS.items() if self.seen.get(line, math.inf) <= t]
        return started[-1]


def grandstand_run(
    home: Path, landing: Path, kill_at: tuple[str, float] | None = None, verbose: bool = True
) -> Run:
    """`grandstand run` in its own process group; ``kill_at=(phase, delay)``: SIGKILL the whole
    group ``delay`` seconds after ``phase`` started, or when it ends if that comes first. Its
    output goes to files under ``home``; ``verbose`` (--verbose) prints Dagster's log, whose
    lines mark the phases."""
    env = {
        **os.environ,
        "GRANDSTAND_HOME": str(home),
        "GRANDSTAND_LANDING": str(landing),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    home.mkdir(parents=True, exist_ok=True)
    number = len(list(home.glob("run-*.stdout")))
    seen: dict[str | None, float] = {None: 0.0}
    kills: list[tuple[str, float]] = []  # the kill (why, seconds after the start), if any
    started = time.monotonic()
    with (
        open(home / f"run-{number}.stdout", "w") as stdout,
        open(home / f"run-{number}.stderr", "w") as stderr,
    ):
        process = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", "run", *(["--verbose"] * verbose)],
            cwd=REPO_ROOT,
            env=env,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,  # its own process group, dbt included
        )

        killing = threading.Lock()

        def kill(why: str) -> None:
            with killing:
                if kills:
                    return
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:  # it had finished
                    return
                kills.append((why, time.monotonic() - started))

        timers = [threading.Timer(RUN_TIMEOUT_S, kill, ["hung"])]

        def at(line: str | None) -> None:
            seen[line] = time.monotonic() - started
            if kill_at is None:
                return
            phase, delay = kill_at
            if line == PHASE_STARTS[phase]:
                timers.append(threading.Timer(delay, kill, ["planned"]))
                timers[-1].start()
            elif line == PHASE_ENDS[phase]:
                kill("planned")  # the phase was shorter than the delay this time

        timers[0].start()
        at(None)
        for line in process.stderr:
            stderr.write(line)
            for marker in [*PHASE_STARTS.values(), PUBLISH_DONE]:
                if marker and marker not in seen and marker in line:
                    at(marker)
        process.wait()
        for timer in timers:
            timer.cancel()
    assert "hung" not in dict(kills), f"the run was still going after {RUN_TIMEOUT_S}s"
    output = (home / f"run-{number}.stdout", home / f"run-{number}.stderr")
    return Run(process.returncode, seen, dict(kills).get("planned"), output)


def phase_durations(run: Run) -> dict[str, float]:
    return {
        phase: run.seen[PHASE_ENDS[phase]] - run.seen[start]
        for phase, start in PHASE_STARTS.items()
    }


def assert_no_release_or_a_complete_one(published: Path, reference: dict) -> str:
    if not (published / PUBLISHED_DB).exists():
        # the database is switched first and the manifest last: no manifest either
        assert not (published / MANIFEST).exists()
        return "nothing published"
    tables = content_hashes(published)  # opens read-only
    assert tables == reference  # every release of this landing holds the same rows
    if (published / MANIFEST).exists():
        listed = {t["name"]: t for t in manifest(published)["tables"]}
        assert {name: t["rows"] for name, t in listed.items()} == {
            name: rows for name, (rows, _) in tables.items()
        }
        with duckdb.connect() as con:
            for t in listed.values():
                parquet = str(published / t["parquet"])
                count = con.execute("SELECT count(*) FROM read_parquet(?)", [parquet]).fetchone()
                assert count[0] == t["rows"], parquet
    return "complete release"


def runs_of(home: Path) -> tuple[list[dg.DagsterRun], list[dg.DagsterRun]]:
    """All runs of the home's instance, newest first, and the unfinished ones."""
    with dg.DagsterInstance.from_config(str(home / "dagster_home")) as instance:
        unfinished = instance.get_runs(filters=dg.RunsFilter(statuses=UNFINISHED_STATUSES))
        return list(instance.get_runs()), list(unfinished)


def failure_messages(home: Path, run_ids: list[str]) -> list[str]:
    with dg.DagsterInstance.from_config(str(home / "dagster_home")) as instance:
        return [
            event.message
            for run_id in run_ids
            for event in instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        ]


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    from orchestration.generator import generate

    landing = tmp_path_factory.mktemp("landing")
    generate(landing, fans=FANS, seed=SEED)
    return landing


def kill_again_and_again(home, landing, phases, reference, durations, rng) -> list[str]:
    """Start `grandstand run` in ``home`` once per phase and kill it in that phase; check what
    each kill left. Returns what happened, one line per kill."""
    published = home / "published"
    had_a_release = (published / MANIFEST).exists()
    kills = []
    for phase in phases:
        delay = rng.uniform(0.0, 0.8) * durations[phase]  # phases vary from run to run
        run = grandstand_run(home, landing, kill_at=(phase, delay))
        # killed, or it finished before the kill came: then it must have succeeded
        assert run.returncode in (-signal.SIGKILL, 0), f"run to kill in {phase} failed"

        seen_by_bi = assert_no_release_or_a_complete_one(published, reference)
        assert not (had_a_release and seen_by_bi == "nothing published")
        had_a_release = seen_by_bi == "complete release"
        with exclusive_run_lock(home):  # free at once: nobody has to remove a stale lock
            pass
        runs, unfinished = runs_of(home)
        # only the run just killed can be unfinished: the start-up before it failed the others
        assert [r.run_id for r in unfinished] in ([], [r.run_id for r in runs[:1]])
        if run.returncode == -signal.SIGKILL:
            kills.append(f"{phase} +{delay:.1f}s: killed in {run.killed_in}, BI saw {seen_by_bi}")
    return kills


@dataclass
class Campaign:
    reference_home: Path  # one uninterrupted run, then kills once it has a release
    home: Path  # fresh: kills before it has a release, then a clean run
    kills: list[str]
    final: Run


@pytest.fixture(scope="module")
def campaign(tmp_path_factory, landing) -> Campaign:
    reference_home = tmp_path_factory.mktemp("uninterrupted")
    uninterrupted = grandstand_run(reference_home, landing)
    assert uninterrupted.returncode == 0
    reference = content_hashes(reference_home / "published")
    durations = phase_durations(uninterrupted)

    home = tmp_path_factory.mktemp("killed")
    # The two homes are independent: their kills run side by side (each home's own seeded
    # delays), which halves the test's wall time on a 2-core machine.
    plans = [
        (reference_home, KILLS_WITH_A_RELEASE, random.Random(KILL_SEED)),
        (home, KILLS_FROM_SCRATCH, random.Random(KILL_SEED + 1)),
    ]
    with ThreadPoolExecutor(max_workers=len(plans)) as pool:
        outcomes = [
            pool.submit(kill_again_and_again, where, landing, phases, reference, durations, rng)
            for where, phases, rng in plans
        ]
        kills = [line for outcome in outcomes for line in outcome.result()]
    print("\n".join(kills))
    # the last run prints as `make run` does: a line per phase, the summary
    return Campaign(reference_home, home, kills, final=grandstand_run(home, landing, verbose=False))


def test_killed_runs_leave_bi_a_complete_release_and_the_next_run_recovers(campaign):
    assert len(campaign.kills) == len(KILLS_WITH_A_RELEASE) + len(KILLS_FROM_SCRATCH)
    assert campaign.final.returncode == 0
    home = campaign.home
    runs, unfinished = runs_of(home)
    assert unfinished == []
    assert runs[0].status == dg.DagsterRunStatus.SUCCESS
    failed = [r.run_id for r in runs if r.status == dg.DagsterRunStatus.FAILURE]
    assert failed, "the killed runs were failed at the next start-up"
    assert all("ended without finishing this run" in m for m in failure_messages(home, failed))
    # what killed publishes left half-written is gone too
    published = home / "published"
    assert list(published.glob(".tmp-*")) == list(published.glob("releases/.tmp-*")) == []


def test_the_same_landing_publishes_the_same_bytes_in_another_home(campaign):
    """Determinism: the two homes' last releases, each written by a run of its own, hold the
    same rows, and every Parquet file the same bytes. Only the columns that name the run
    writing an audit row differ (tests/published_tables.py: RUN_STAMPED_COLUMNS)."""
    first, second = campaign.reference_home / "published", campaign.home / "published"
    assert content_hashes(second) == content_hashes(first)
    digests = parquet_digests(second)
    assert len(digests) > 20
    assert digests == parquet_digests(first)


def test_a_run_prints_a_line_per_phase_and_its_summary_and_logs_the_rest(campaign):
    stdout, stderr = (path.read_text() for path in campaign.final.output)
    printed = (stdout + stderr).splitlines()
    assert len(printed) < 80, "\n".join(printed)
    # "  ok      Build the warehouse (dbt build) (625 models and tests)  87.8 s"
    phase_line = re.compile(r"^  ok +(.+) \(\d+ [a-z ]+\) +[\d.]+ s$")
    phases = [found[1] for line in printed if (found := phase_line.match(line))]
    assert phases[:3] == ["Load the exports", "Quality checks", "Build the warehouse (dbt build)"]
    assert phases[-2:] == ["Publish the marts", "KPI report and dbt docs"]
    assert "SUCCESS" in stdout and "Published file:" in stdout
    # the activation file is said apart from BI's, with who it is for
    assert re.search(
        r"^Activation: +\S+audience_contacts\.csv \(the marketing tool only\)$", stdout, re.M
    )
    log = Path(re.search(r"^Full log: +(\S+)$", stdout, re.MULTILINE)[1])
    logged = log.read_text()  # Dagster's and dbt's own lines, kept out of the terminal
    assert "RUN_SUCCESS" in logged and re.search(r"\d+ of \d+ OK created sql table model", logged)
