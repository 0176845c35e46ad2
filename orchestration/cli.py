"""`grandstand`: generate demo data, run the nightly job, serve the Dagster UI."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

from orchestration.settings import parse_as_of_date, paths


def _prepare_dagster_home() -> Path:
    """A persistent Dagster instance under the working area, so the UI shows past runs."""
    home = paths().dagster_home
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(__file__).with_name("dagster.yaml"), home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def cmd_generate(argv: list[str]) -> int:
    try:
        from orchestration.generator import main as generate_main
    except ModuleNotFoundError:
        print(
            "The demo-data generator ships with the source tree only (orchestration/generator):"
            " run `grandstand generate` from a checkout of the repository.",
            file=sys.stderr,
        )
        return 2
    return generate_main(argv) or 0


def cmd_run(args: argparse.Namespace) -> int:
    if args.landing:
        os.environ["GRANDSTAND_LANDING"] = str(Path(args.landing).resolve())
    if args.as_of:
        os.environ["GRANDSTAND_AS_OF"] = args.as_of
    if args.full_refresh:
        os.environ["GRANDSTAND_FULL_REFRESH"] = "1"
    from orchestration.runs import RunInProgress, exclusive_run_lock

    try:
        with exclusive_run_lock(paths().home):
            return _run_nightly(args.output)
    except RunInProgress as busy:
        print(busy, file=sys.stderr)
        return os.EX_TEMPFAIL  # "try again later"


def _run_nightly(output: str) -> int:
    """The nightly job in this process; the caller holds the run lock. ``output``: normal
    (a line per phase, then the summary; everything else to the run's log file), verbose
    (Dagster's and dbt's logs on the terminal too) or quiet (the summary only)."""
    _prepare_dagster_home()
    landing = paths().landing
    if not landing.is_dir():
        print(f"Landing folder not found: {landing} (set GRANDSTAND_LANDING)", file=sys.stderr)
        return 2
    log = paths().home / "logs" / f"run-{time.strftime('%Y%m%dT%H%M%S')}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    if output != "quiet":
        print(f"Grandstand nightly run on {landing}", flush=True)
    started = time.monotonic()
    try:
        if output == "verbose":
            summary = _execute_nightly(terminal_fd=None)
        else:
            with _process_output_to(log) as terminal_fd:
                summary = _execute_nightly(terminal_fd if output == "normal" else None)
    except Exception as e:  # before the job could start (e.g. the dbt project fails to parse)
        with log.open("a", encoding="utf-8") as out:
            out.write(traceback.format_exc())
        print(f"Grandstand nightly run FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        print(f"Full log:       {log}", file=sys.stderr)
        return 1
    from orchestration.summary import format_summary

    print("\n" * (output == "normal") + format_summary(summary))
    if output != "verbose":
        print(f"Full log:       {log}")
    print(f"Elapsed: {time.monotonic() - started:.1f} s")
    return 0 if summary.success and summary.published else 1


@contextlib.contextmanager
def _process_output_to(log: Path) -> Iterator[int]:
    """Send everything this process and its children (dbt) print to ``log``; yields a file
    descriptor of the terminal, for the progress lines."""
    sys.stdout.flush()
    sys.stderr.flush()
    terminal, errors = os.dup(1), os.dup(2)
    with open(log, "w", encoding="utf-8") as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        try:
            yield terminal
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(terminal, 1)
            os.dup2(errors, 2)
            os.close(terminal)
            os.close(errors)


def _execute_nightly(terminal_fd: int | None):
    """Run the nightly job; with ``terminal_fd``, a line per phase there. Returns its summary."""
    import dagster as dg

    from orchestration.runs import cli_run_tags

    with dg.DagsterInstance.get() as instance:
        # First, before anything that can fail: a dead run must not keep the run slot.
        _fail_interrupted_runs(instance)

        from orchestration.definitions import defs
        from orchestration.progress import finish_phases, phase_progress_logger
        from orchestration.summary import summarize

        job = defs.resolve_job_def("nightly")
        run_config = {}
        if terminal_fd is not None:
            job = job.with_logger_defs(
                {"console": dg.colored_console_logger, "progress": phase_progress_logger}
            )
            # Only the loggers named here run: Dagster's own console log (to the log file)
            # and the phase lines (to the terminal).
            run_config = {
                "loggers": {
                    "console": {"config": {"log_level": "DEBUG"}},
                    "progress": {"config": {"terminal_fd": terminal_fd}},
                }
            }
        result = job.execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False, tags=cli_run_tags()
        )
        finish_phases()
        return summarize(instance, result.run_id, paths())


def cmd_ui(args: argparse.Namespace) -> int:
    home = _prepare_dagster_home()
    _fail_interrupted_runs_unless_one_is_alive()
    dagster = Path(sys.executable).parent / "dagster"
    command = [
        str(dagster),
        "dev",
        "-w",
        str(Path(__file__).with_name("workspace.yaml")),
        "-h",
        args.host,
        "-p",
        str(args.port),
    ]
    print(f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={home})")
    return subprocess.call(command)


def _fail_interrupted_runs(instance) -> None:
    from orchestration.runs import fail_interrupted_runs

    for run_id in fail_interrupted_runs(instance):
        print(f"Run {run_id} was left unfinished by a grandstand run that died: marked failed.")


def _fail_interrupted_runs_unless_one_is_alive() -> None:
    """The UI's schedule and sensor must not queue behind a run whose process died."""
    import dagster as dg

    from orchestration.runs import RunInProgress, exclusive_run_lock

    try:
        with exclusive_run_lock(paths().home), dg.DagsterInstance.get() as instance:
            _fail_interrupted_runs(instance)
    except RunInProgress:
        pass  # a grandstand run is alive: its run is not interrupted


def _as_of_date(text: str) -> str:
    """An --as-of value, checked before anything runs (argparse reports the error)."""
    try:
        return parse_as_of_date(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "generate":
        return cmd_generate(argv[1:])

    parser = argparse.ArgumentParser(prog="grandstand", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("generate", help="write demo exports (see `grandstand generate -h`)")
    run = commands.add_parser("run", help="run the nightly job in-process and print a summary")
    run.add_argument("--landing", help="landing folder (default: $GRANDSTAND_LANDING)")
    output = run.add_mutually_exclusive_group()
    output.add_argument(
        "--verbose",
        dest="output",
        action="store_const",
        const="verbose",
        help="print Dagster's and dbt's logs too (default: one line per phase, logs to a file)",
    )
    output.add_argument(
        "--quiet", dest="output", action="store_const", const="quiet", help="print the summary only"
    )
    run.set_defaults(output="normal")
    run.add_argument(
        "--as-of", type=_as_of_date, help="as-of date YYYY-MM-DD (default: newest export date)"
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental models whole (the histories are never rebuilt)",
    )
    ui = commands.add_parser("ui", help="serve the Dagster UI on this project")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    args = parser.parse_args(argv)
    handlers = {"run": cmd_run, "ui": cmd_ui}
    return handlers[args.command](args)


def run() -> None:
    """Console-script entry point."""
    code = main()
    # DuckDB's Python bindings (nanobind) print reference-leak reports at interpreter
    # teardown once Great Expectations has imported them: flush and leave without it.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
