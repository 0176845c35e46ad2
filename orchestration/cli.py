"""`grandstand`: generate demo data, run the nightly job, serve the Dagster UI."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
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
    from orchestration.generator import main as generate_main

    return generate_main(argv) or 0


def cmd_run(args: argparse.Namespace) -> int:
    if args.landing:
        os.environ["GRANDSTAND_LANDING"] = str(Path(args.landing).resolve())
    if args.as_of:
        os.environ["GRANDSTAND_AS_OF"] = args.as_of
    from orchestration.runs import RunInProgress, exclusive_run_lock

    try:
        with exclusive_run_lock(paths().home):
            return _run_nightly()
    except RunInProgress as busy:
        print(busy, file=sys.stderr)
        return os.EX_TEMPFAIL  # "try again later"


def _run_nightly() -> int:
    """The nightly job in this process; the caller holds the run lock."""
    _prepare_dagster_home()

    import dagster as dg

    from orchestration.runs import cli_run_tags

    started = time.monotonic()
    with dg.DagsterInstance.get() as instance:
        # First, before anything that can fail: a dead run must not keep the run slot.
        _fail_interrupted_runs(instance)

        from orchestration.definitions import defs
        from orchestration.summary import format_summary, summarize

        landing = paths().landing
        if not landing.is_dir():
            print(f"Landing folder not found: {landing} (set GRANDSTAND_LANDING)", file=sys.stderr)
            return 2
        result = defs.resolve_job_def("nightly").execute_in_process(
            instance=instance, raise_on_error=False, tags=cli_run_tags()
        )
        summary = summarize(instance, result.run_id, paths())
    print(format_summary(summary))
    print(f"Elapsed: {time.monotonic() - started:.1f} s")
    return 0 if summary.success and summary.published else 1


def cmd_ui(args: argparse.Namespace) -> int:
    home = _prepare_dagster_home()
    _fail_interrupted_runs_unless_one_is_alive()
    dagster = Path(sys.executable).parent / "dagster"
    command = [
        str(dagster),
        "dev",
        "-m",
        "orchestration.definitions",
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
    run.add_argument(
        "--as-of", type=_as_of_date, help="as-of date YYYY-MM-DD (default: newest export date)"
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
