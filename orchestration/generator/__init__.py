"""Demo data for Grandstand: a club's nightly exports, with the truth behind them.

    grandstand generate --fans 5000 --seed 42 --out ~/landing

builds a clean world of fans (people.py, ticketing.py, shop.py, emailing.py), writes it as
the three tools export it night after night, with their real-life defects and the forms real
exports take (renderers.py, noise.py, writers.py; `Plan` in exports.py says which file
carries what), and records what the warehouse should find (truth.py -> <out>/_truth/).
"""

from __future__ import annotations

import argparse
import shutil
from datetime import date
from pathlib import Path

from ..settings import SEEDS_DIR
from .exports import Landing, Plan
from .noise import read_nicknames
from .renderers import Tools
from .timeline import Timeline
from .truth import write_truth
from .world import build_world, read_fx

__all__ = ["generate", "main"]

OWNED = ("ticketing", "shop", "email", "_truth")  # folders a new run replaces


def generate(
    out_dir: Path,
    fans: int = 5000,
    seed: int = 42,
    end_date: date = date(2026, 11, 20),
    nights: int = 7,
    messiness: float = 1.0,
) -> dict:
    """Write the landing zone and its truth under `out_dir`; returns expected.json."""
    if fans < 1 or nights < 1:
        raise ValueError("fans and nights must be at least 1")
    out_dir = Path(out_dir)
    written_before = (out_dir / "_truth" / "expected.json").exists()
    if not written_before and any((out_dir / folder).exists() for folder in OWNED):
        # Never wipe a landing folder of real exports: only one this generator wrote.
        raise FileExistsError(f"{out_dir} holds exports not written by the generator")
    for folder in OWNED:
        shutil.rmtree(out_dir / folder, ignore_errors=True)
    timeline = Timeline(end_date, nights)
    world = build_world(fans, seed, timeline, messiness, read_fx(SEEDS_DIR / "fx_rates.csv"))
    tools = Tools(world, read_nicknames(SEEDS_DIR / "first_name_nicknames.csv"))
    landing = Landing(out_dir, tools, Plan.for_messiness(nights, messiness), seed)
    return write_truth(out_dir, world, landing.write_all())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="grandstand generate", description="Write demo nightly exports and their truth."
    )
    parser.add_argument("--fans", type=int, default=5000, help="number of persons (default 5000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, required=True, help="landing folder to write")
    parser.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=date(2026, 11, 20),
        help="last export date, YYYY-MM-DD (default 2026-11-20)",
    )
    parser.add_argument("--nights", type=int, default=7, help="export nights ending at end-date")
    parser.add_argument(
        "--messiness",
        type=float,
        default=1.0,
        help="scale of the noise; 0 writes clean files (default 1.0)",
    )
    if argv and argv[0] == "generate":  # accept the sub-command name too
        argv = argv[1:]
    args = parser.parse_args(argv)
    summary = generate(args.out, args.fans, args.seed, args.end_date, args.nights, args.messiness)
    files = sum(
        1 for path in args.out.glob("*/*") if path.is_file() and path.parent.name != "_truth"
    )
    print(
        f"Demo exports: {summary['persons']} persons, {files} files, {args.nights} nights to "
        f"{summary['as_of_date']}, in {args.out} (what they hold: _truth/expected.json)"
    )
    return 0
