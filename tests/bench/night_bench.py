"""`make bench`, night section: the whole nightly run, landing -> published, step by step.

Per size (BENCH_NIGHT, fans): generate the demo landing zone (seed 42) and hold back its
newest export date; time a raw scan of every landed file (reading every byte, counting lines: the
floor under any ingestion); run `grandstand run` as the scheduler does, on a fresh
GRANDSTAND_HOME, and report each step (ingest, dbt by layer, checks, publish, report) with
the peak resident memory of the run's whole process tree while it ran; then land the
held-back date and run again: the delta night. Ratios printed: night / raw scan and
delta / full.

Step times come from the run's own Dagster events (orchestration.summary), dbt layers
from dbt's run_results.json (node seconds: the sum of its models' execution times).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from unittest import mock

from orchestration.generator import generate
from orchestration.progress import phase_of
from orchestration.settings import DBT_PROJECT_DIR, paths

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
GB = 1024**3
EXPORT_DATE = re.compile(r"_(\d{8})\.")
NIGHT_STEPS = ("ingest", "dbt", "checks", "publish", "report")


def dbt_layer(unique_id: str, original_file_path: str) -> str:
    """'models/staging/shop/x.sql' -> 'staging'; identity models have their own layer."""
    if unique_id.startswith(("test.", "unit_test.")):
        return "tests"
    parts = Path(original_file_path).parts
    if parts[:1] == ("seeds",) or unique_id.startswith("seed."):
        return "seeds"
    if parts[1:3] == ("intermediate", "identity") or parts[1:3] == ("marts", "identity"):
        return "identity"
    return parts[1] if len(parts) > 2 else parts[0]


def peak_between(samples: list[tuple[float, int]], start: float, end: float) -> int:
    """Highest sampled bytes in [start, end] (the nearest earlier sample if none falls in)."""
    inside = [rss for t, rss in samples if start <= t <= end]
    before = [rss for t, rss in samples if t < start]
    return max(inside or before[-1:] or [0])


def tree_rss_bytes(root: int) -> int:
    """Resident bytes of process `root` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children[int(fields[1])].append(int(stat.parent.name))
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        pending += children.get(pid, [])
        with contextlib.suppress(OSError, IndexError):  # the process ended meanwhile
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES
    return total


class MemorySampler(threading.Thread):
    """Samples a process tree's resident memory every `interval` seconds until stopped."""

    def __init__(self, pid: int, interval: float = 0.5):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, int]] = []
        self._stop_sampling = threading.Event()

    def run(self) -> None:
        while not self._stop_sampling.is_set():
            self.samples.append((time.time(), tree_rss_bytes(self.pid)))
            self._stop_sampling.wait(self.interval)

    def stop(self) -> list[tuple[float, int]]:
        self._stop_sampling.set()
        self.join()
        return self.samples


@dataclass
class NightRun:
    seconds: float
    peak_bytes: int
    steps: dict[str, tuple[float, int]] = field(default_factory=dict)  # seconds, peak bytes
    dbt_layers: dict[str, tuple[float, int]] = field(default_factory=dict)
    published: bool = False


def landed_files(landing: Path) -> list[Path]:
    """Every export file of the landing zone (not the generator's `_truth`)."""
    return sorted(
        p
        for p in landing.rglob("*")
        if p.is_file() and not any(part.startswith("_") for part in p.relative_to(landing).parts)
    )


def hold_back_newest_date(landing: Path, held: Path) -> str:
    """Move the files of the newest export date out of the landing zone, into `held`."""
    dated = [(m.group(1), p) for p in landed_files(landing) if (m := EXPORT_DATE.search(p.name))]
    newest = max(day for day, _ in dated)
    for day, path in dated:
        if day == newest:
            target = held / path.relative_to(landing)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
    return newest


def land(held: Path, landing: Path) -> None:
    for path in landed_files(held):
        target = landing / path.relative_to(held)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)


def raw_scan(landing: Path, chunk_bytes: int = 1 << 24) -> tuple[float, int]:
    """Seconds and lines of reading every byte of every landed file (counting line ends,
    nothing parsed): the floor under any ingestion, whatever a file's encoding."""
    started, lines = time.perf_counter(), 0
    for path in landed_files(landing):
        with path.open("rb") as f:
            while chunk := f.read(chunk_bytes):
                lines += chunk.count(b"\n")
    return time.perf_counter() - started, lines


def run_night(landing: Path, home: Path, log: Path) -> NightRun:
    """`grandstand run` on `landing` with GRANDSTAND_HOME `home`, measured."""
    env = {**os.environ, "GRANDSTAND_HOME": str(home), "GRANDSTAND_LANDING": str(landing)}
    command = [str(Path(sys.executable).parent / "grandstand"), "run"]
    started = time.time()
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        sampler = MemorySampler(process.pid)
        sampler.start()
        process.wait()
        samples = sampler.stop()
    seconds = time.time() - started
    summary = _summary(home, landing)
    night = NightRun(
        seconds=seconds,
        peak_bytes=max(rss for _, rss in samples),
        published=summary.published,
    )
    windows: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for step_key, window in summary.step_windows.items():
        windows[phase_of(step_key)].append(window)
    for step, spans in windows.items():
        night.steps[step] = (
            sum(end - start for start, end in spans),
            max(peak_between(samples, start, end) for start, end in spans),
        )
    night.dbt_layers = _dbt_layers(samples, run_id=summary.run_id)
    return night


def _summary(home: Path, landing: Path):
    """The run's summary, read from its Dagster instance as `grandstand run` prints it."""
    import dagster as dg

    from orchestration.summary import summarize

    run_env = {"GRANDSTAND_HOME": str(home), "GRANDSTAND_LANDING": str(landing)}
    with mock.patch.dict(os.environ, run_env):
        where = paths()
        with (
            mock.patch.dict(os.environ, {"DAGSTER_HOME": str(where.dagster_home)}),
            dg.DagsterInstance.get() as instance,
        ):
            run_id = instance.get_runs(limit=1)[0].run_id
            return summarize(instance, run_id, where)


def _dbt_layers(samples: list[tuple[float, int]], run_id: str) -> dict[str, tuple[float, int]]:
    """Node seconds and peak memory per dbt layer, from the night's own dbt invocation
    (dagster-dbt names its target folder after the run: dbt_models-<run id prefix>-...)."""
    invocations = list(
        (DBT_PROJECT_DIR / "target").glob(f"dbt_models-{run_id[:7]}-*/run_results.json")
    )
    if not invocations:
        return {}
    results = max(invocations, key=lambda p: p.stat().st_mtime)
    nodes = json.loads((results.parent / "manifest.json").read_text())["nodes"]
    layers: dict[str, tuple[float, int]] = {}
    for result in json.loads(results.read_text())["results"]:
        uid = result["unique_id"]
        if uid not in nodes:  # an exposure: dbt build lists it, nothing runs
            continue
        layer = dbt_layer(uid, nodes[uid]["original_file_path"])
        execute = [t for t in result.get("timing", []) if t["name"] == "execute"]
        peak = 0
        if execute and execute[0].get("started_at"):
            start, end = (_epoch(execute[0][k]) for k in ("started_at", "completed_at"))
            peak = peak_between(samples, start, end)
        seconds, highest = layers.get(layer, (0.0, 0))
        layers[layer] = (seconds + float(result["execution_time"]), max(highest, peak))
    return layers


def _epoch(iso: str) -> float:
    """dbt's UTC timestamps ('2026-12-03T09:12:01.123456Z') as epoch seconds."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def bench_night(fans: int, scratch: Path) -> dict:
    work = scratch / f"night_{fans}"
    shutil.rmtree(work, ignore_errors=True)
    landing, held, home = work / "landing", work / "held", work / "home"
    generate(landing, fans=fans, seed=42)
    delta_date = hold_back_newest_date(landing, held)
    size = sum(p.stat().st_size for p in landed_files(landing))
    scan_s, lines = raw_scan(landing)
    full = run_night(landing, home, work / "full_night.log")
    steps = ", ".join(f"{step} {seconds:.0f} s" for step, (seconds, _) in full.steps.items())
    print(  # a 1M-fan night takes long: its figures show before the delta night starts
        f"   full night, {fans} fans: {full.seconds:.0f} s, peak {full.peak_bytes / GB:.2f} GB, "
        f"published {'yes' if full.published else 'NO'} ({steps})",
        flush=True,
    )
    land(held, landing)
    delta = run_night(landing, home, work / "delta_night.log")
    return {
        "fans": fans,
        "landing_gb": size / GB,
        "lines": lines,
        "raw_scan_s": scan_s,
        "delta_date": delta_date,
        "full": full,
        "delta": delta,
    }


def format_night(result: dict) -> str:
    full, delta = result["full"], result["delta"]
    lines = [
        f"== Night: {result['fans']} fans (landing {result['landing_gb']:.2f} GB, "
        f"{result['lines']:,} lines; raw scan {result['raw_scan_s']:.1f} s)",
        f"{'step':<22}{'full s':>9}{'peak GB':>9}{'delta s':>9}{'peak GB':>9}",
    ]

    def row(label: str, a: tuple[float, int] | None, b: tuple[float, int] | None) -> str:
        cells = "".join(
            f"{x[0]:>9.1f}{x[1] / GB:>9.2f}" if x else f"{'-':>9}{'-':>9}" for x in (a, b)
        )
        return f"{label:<22}{cells}"

    for step in NIGHT_STEPS:
        lines.append(row(step, full.steps.get(step), delta.steps.get(step)))
        if step == "dbt":
            for layer in sorted(set(full.dbt_layers) | set(delta.dbt_layers)):
                lines.append(
                    row(f"  {layer}", full.dbt_layers.get(layer), delta.dbt_layers.get(layer))
                )
    outside = [
        (n.seconds - sum(seconds for seconds, _ in n.steps.values()), n.peak_bytes)
        for n in (full, delta)
    ]
    lines.append(row("start-up, between steps", *outside))
    lines.append(
        row("whole night", (full.seconds, full.peak_bytes), (delta.seconds, delta.peak_bytes))
    )
    lines += [
        f"published: full {'yes' if full.published else 'NO'}, delta "
        f"{'yes' if delta.published else 'NO'} (delta night: export date {result['delta_date']})",
        f"night / raw scan: {full.seconds / result['raw_scan_s']:.0f}x; "
        f"delta / full: {delta.seconds / full.seconds:.2f}",
    ]
    return "\n".join(lines)


def night_section(sizes: list[int], scratch: Path) -> list[dict]:
    results = []
    for fans in sizes:
        result = bench_night(fans, scratch)
        print(format_night(result), flush=True)
        results.append(result)
    return results
