"""What `grandstand run` shows while it runs: one line per phase of the night (on a terminal,
a live counter while the phase runs). Dagster's and dbt's own logs go to the run's log file.

A phase is a stretch of consecutive Dagster steps of one kind; :func:`phase_of` decides the
kind of a step, for this display, the run summary and `make bench` alike.
"""

from __future__ import annotations

import logging
import os
import time
from typing import TextIO

import dagster as dg

# Dagster step key -> phase (the first matching rule wins), and each phase's name for people.
_PHASE_RULES = (
    ("checks", lambda key: "_gx_" in key or key.endswith("identity_quality")),
    ("ingest", lambda key: key.startswith("raw__")),
    ("dbt", lambda key: key == "dbt_models"),
    ("report", lambda key: key.endswith("report")),
    ("publish", lambda key: key.startswith("published")),
)
PHASE_NAMES = {
    "ingest": "Load the exports",
    "dbt": "Build the warehouse (dbt build)",
    "checks": "Quality checks",
    "publish": "Publish the marts",
    "report": "KPI report and dbt docs",
}


def phase_of(step_key: str) -> str:
    """The phase a Dagster step belongs to ('raw__shop_orders' -> 'ingest')."""
    return next((phase for phase, rule in _PHASE_RULES if rule(step_key)), step_key)


def phase_name(phase: str) -> str:
    return PHASE_NAMES.get(phase, phase)


def step_name(step_key: str) -> str:
    """A Dagster step as a person names it ('raw__shop_orders' -> 'load shop orders',
    'marts__dim_fan_gx_marts_dim_fan' -> 'check marts.dim_fan')."""
    named = {
        "dbt_models": "dbt build",
        "marts__identity_quality": "identity quality against the truth",
        "published__marts": "publish the marts",
        "published__report": "KPI report and dbt docs",
    }
    if step_key in named:
        return named[step_key]
    if "_gx_" in step_key:
        schema, _, table = step_key.partition("_gx_")[0].partition("__")
        return f"check {schema}.{table}"
    if step_key.startswith("raw__"):
        return "load " + step_key.removeprefix("raw__").replace("_", " ")
    return step_key


class PhaseProgress(logging.Handler):
    """Reads the run's Dagster events and prints a line each time a phase ends:
    ``  ok      Load the exports (9 steps)  41.2 s``. With ``live``, a line rewritten in
    place shows the phase running and its steps (or dbt's nodes) done so far."""

    def __init__(self, stream: TextIO, live: bool) -> None:
        super().__init__(level=logging.DEBUG)
        self.stream, self.live = stream, live
        self.phase: str | None = None
        self.started = 0.0
        self.steps = self.nodes = 0
        self.failed: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Dagster attaches the event a log record reports as its "dagster_meta" attribute
        event = (getattr(record, "dagster_meta", None) or {}).get("dagster_event")
        if event is None:
            return
        kind = event.event_type
        if kind == dg.DagsterEventType.STEP_START:
            phase = phase_of(event.step_key)
            if phase != self.phase:
                self.finish()
                self.phase, self.started = phase, time.monotonic()
                self.steps = self.nodes = 0
                self.failed = []
        elif kind in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            self.steps += 1
            if kind == dg.DagsterEventType.STEP_FAILURE:
                self.failed.append(event.step_key)
        elif kind in (
            dg.DagsterEventType.ASSET_MATERIALIZATION,
            dg.DagsterEventType.ASSET_CHECK_EVALUATION,
        ):
            self.nodes += 1
        else:
            return
        self._show_live()

    def _counted(self) -> str:
        if self.phase == "dbt":
            return f"{self.nodes} models and tests"
        return f"{self.steps} step{'s' if self.steps != 1 else ''}"

    def _show_live(self) -> None:
        if self.live and self.phase:
            seconds = time.monotonic() - self.started
            line = f"  ...     {phase_name(self.phase)} ({self._counted()})  {seconds:.0f} s"
            self.stream.write(f"\r\033[K{line}")
            self.stream.flush()

    def finish(self) -> None:
        """Print the line of the phase running, if any: it has ended."""
        if self.phase is None:
            return
        seconds = time.monotonic() - self.started
        mark = "FAILED" if self.failed else "ok"
        line = f"  {mark:<7} {phase_name(self.phase)} ({self._counted()})  {seconds:.1f} s"
        self.stream.write(("\r\033[K" if self.live else "") + line + "\n")
        self.stream.flush()
        self.phase = None


# The handlers of the runs this process executes: the run's end reaches no logger, so
# `grandstand run` calls finish_phases() once execute_in_process returns.
_handlers: list[PhaseProgress] = []


def finish_phases() -> None:
    """Print the line of the phase each run of this process ended in."""
    while _handlers:
        _handlers.pop().finish()


@dg.logger(
    config_schema={"terminal_fd": dg.Field(int, default_value=1)},
    description="One line per phase of the night on the terminal (grandstand run).",
)
def phase_progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    """Writes to file descriptor ``terminal_fd``: the terminal, which `grandstand run` keeps
    aside while the process's own output goes to the run's log file."""
    fd = init_context.logger_config["terminal_fd"]
    terminal = os.fdopen(os.dup(fd), "w", buffering=1, encoding="utf-8", errors="replace")
    logger = logging.Logger("grandstand.progress", level=logging.DEBUG)
    handler = PhaseProgress(terminal, live=os.isatty(fd))
    _handlers.append(handler)
    logger.addHandler(handler)
    return logger
