"""One `grandstand run` at a time; runs left unfinished by a dead one are failed at start-up."""

import os
import shutil
import signal
import subprocess
import sys

import dagster as dg
import pytest

from orchestration.runs import (
    RunInProgress,
    cli_run_tags,
    exclusive_run_lock,
    fail_interrupted_runs,
)
from orchestration.settings import REPO_ROOT


def _grandstand_env(home) -> dict[str, str]:
    return {
        **os.environ,
        "GRANDSTAND_HOME": str(home),
        "GRANDSTAND_LANDING": str(home / "landing"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def lock_holder(home, run_id: str | None = None) -> subprocess.Popen:
    """Another process holding the run lock of ``home`` (as run ``run_id``) for 2 minutes,
    returned once it holds it."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path\n"
            "from orchestration.runs import exclusive_run_lock\n"
            "with exclusive_run_lock(Path(sys.argv[1]), sys.argv[2] or None):\n"
            "    print('locked', flush=True); time.sleep(120)\n",
            str(home),
            run_id or "",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_second_grandstand_run_leaves_at_once_while_one_holds_the_lock(tmp_path):
    with exclusive_run_lock(tmp_path):
        second = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "run"],
            env=_grandstand_env(tmp_path),
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert second.returncode == os.EX_TEMPFAIL
    assert f"another grandstand run is in progress (pid {os.getpid()})" in second.stderr
    assert not (tmp_path / "dagster_home").exists()  # it touched nothing


def test_the_lock_of_a_killed_holder_is_free_at_once(tmp_path):
    holder = lock_holder(tmp_path)
    try:
        with (
            pytest.raises(RunInProgress, match=rf"\(pid {holder.pid}\)"),
            exclusive_run_lock(tmp_path),
        ):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with exclusive_run_lock(tmp_path):  # no human had to remove anything
        pass


def test_only_unfinished_runs_of_grandstand_run_are_failed():
    status = dg.DagsterRunStatus
    with dg.DagsterInstance.ephemeral() as instance:

        def add(run_status, tags):
            run = dg.DagsterRun(job_name="nightly", status=run_status, tags=tags)
            return instance.add_run(run).run_id

        killed = add(status.STARTED, cli_run_tags())
        killed_before_start = add(status.NOT_STARTED, cli_run_tags())
        killed_while_canceling = add(status.CANCELING, cli_run_tags())
        finished = add(status.SUCCESS, cli_run_tags())
        launched_by_the_daemon = add(status.STARTED, {})

        failed = fail_interrupted_runs(instance)

        assert sorted(failed) == sorted([killed, killed_before_start, killed_while_canceling])
        for run_id in failed:
            assert instance.get_run_by_id(run_id).status == status.FAILURE
            (failure,) = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
            assert "ended without finishing this run" in failure.message
        assert instance.get_run_by_id(finished).status == status.SUCCESS
        assert instance.get_run_by_id(launched_by_the_daemon).status == status.STARTED
        assert fail_interrupted_runs(instance) == []


def test_the_instance_monitors_daemon_launched_runs(tmp_path):
    shutil.copyfile(REPO_ROOT / "orchestration" / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_monitoring_enabled
        # the default run launcher cannot resume a run (the instance refuses the setting)
        assert instance.run_monitoring_max_resume_run_attempts == 0
        # a run whose process died is failed by its age: the limit must exist
        assert instance.run_monitoring_max_runtime_seconds > 0
        assert instance.run_monitoring_start_timeout_seconds > 0


def test_the_ui_fails_runs_of_a_dead_grandstand_run_but_not_of_a_live_one(tmp_path, monkeypatch):
    from orchestration import cli

    monkeypatch.setenv("GRANDSTAND_HOME", str(tmp_path))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    with dg.DagsterInstance.get() as instance:
        run = dg.DagsterRun(
            job_name="nightly", status=dg.DagsterRunStatus.STARTED, tags=cli_run_tags()
        )
        run_id = instance.add_run(run).run_id

    with exclusive_run_lock(tmp_path):  # a grandstand run is alive
        cli._fail_interrupted_runs_unless_one_is_alive()
    with dg.DagsterInstance.get() as instance:
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED

    cli._fail_interrupted_runs_unless_one_is_alive()  # it died
    with dg.DagsterInstance.get() as instance:
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE


def test_a_run_of_the_job_touches_nothing_while_another_run_holds_the_lock(tmp_path, monkeypatch):
    """Whoever launches the job (schedule, sensor, UI), it takes the same lock as `grandstand
    run`: with another run writing, it fails at start-up, naming that run, writing nothing."""
    from orchestration.definitions import defs

    landing = tmp_path / "landing" / "ticketing"
    landing.mkdir(parents=True)
    (landing / "matches_20261120.csv").write_text("match_id\nM1\n")
    monkeypatch.setenv("GRANDSTAND_HOME", str(tmp_path))
    monkeypatch.setenv("GRANDSTAND_LANDING", str(tmp_path / "landing"))
    holder = lock_holder(tmp_path, "the-other-run")
    try:
        with dg.DagsterInstance.ephemeral() as instance:
            result = defs.resolve_job_def("nightly").execute_in_process(
                instance=instance, raise_on_error=False
            )
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert not result.success
    said = " ".join(
        f"{event.message} {getattr(event.event_specific_data, 'error', '')}"
        for event in result.all_events
    )
    assert f"another grandstand run is in progress (pid {holder.pid}, run the-other-run)" in said
    assert not result.get_step_success_events()
    assert not (tmp_path / "warehouse.duckdb").exists()


@pytest.mark.parametrize("as_of", ["2026-13-45", "2026-02-30", "yesterday"])
def test_an_impossible_as_of_date_is_refused_before_anything_runs(tmp_path, as_of):
    refused = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "run", "--as-of", as_of],
        env=_grandstand_env(tmp_path),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2
    assert f"as-of date '{as_of}' is not a calendar date YYYY-MM-DD" in refused.stderr
    assert not list(tmp_path.iterdir())  # no lock, no Dagster home, no warehouse


def test_a_run_that_fails_before_the_job_says_why_on_the_terminal(tmp_path, monkeypatch, capfd):
    from orchestration import cli

    def cannot_start(terminal_fd):
        os.write(1, b"dbt parse output, to the log\n")  # as a child process writes it
        raise RuntimeError("the dbt project does not parse")

    (tmp_path / "landing").mkdir()
    monkeypatch.setenv("GRANDSTAND_HOME", str(tmp_path))
    monkeypatch.setenv("GRANDSTAND_LANDING", str(tmp_path / "landing"))
    monkeypatch.setattr(cli, "_execute_nightly", cannot_start)
    assert cli.main(["run"]) == 1
    printed = capfd.readouterr()
    assert "FAILED: RuntimeError: the dbt project does not parse" in printed.err
    [log] = (tmp_path / "logs").glob("run-*.log")
    assert f"Full log:       {log}" in printed.err
    logged = log.read_text()
    assert "dbt parse output, to the log" in logged and "Traceback" in logged
    assert "dbt parse output" not in printed.out
