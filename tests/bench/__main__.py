"""`make bench`: identity resolution and the whole night measured -- quality, time, memory.

Three sections, each skipped when its variable is set empty:

Generator (tests/bench/generator_bench.py), sizes BENCH_FANS (comma-separated fans,
default 100000,1000000; BENCH_FANS=5000 is a quick run; BENCH_FANS="" skips it): generate
the demo landing zone, ingest it, build the identity models with dbt (up to
marts.fan_source_records, seeds included), score the result against the generator's truth
(core records, ticket holders, all) and print time, peak memory, the recall of each
blocking rule and the cannot-link vetoes.

FEBRL (tests/bench/febrl_bench.py), datasets BENCH_FEBRL (default febrl1,febrl3,febrl4;
BENCH_FEBRL="" skips it): the public FEBRL records as a landing zone, through the same
ingestion and dbt build, scored on the FEBRL truth next to Splink 5 trained on the same
records: one line per engine and dataset (records, precision, recall, F1, seconds), the
F1 difference, our blocking-rule report and vetoes.

Night (tests/bench/night_bench.py), sizes BENCH_NIGHT (default 100000,1000000;
BENCH_NIGHT="" skips it): the whole nightly run, landing -> published, as `grandstand run`
does it: seconds and peak memory per step (ingest, dbt by layer, checks, publish, report),
a raw scan of the landed files as the floor, and a delta night (one more export date).

Scratch space: BENCH_DIR (default /tmp/grandstand-bench).
"""

import os
from pathlib import Path

from tests.bench.febrl_bench import febrl_section
from tests.bench.generator_bench import generator_section
from tests.bench.night_bench import night_section


def _listed(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def main() -> None:
    scratch = Path(os.environ.get("BENCH_DIR", "/tmp/grandstand-bench"))
    sizes = [int(n) for n in _listed("BENCH_FANS", "100000,1000000")]
    datasets = _listed("BENCH_FEBRL", "febrl1,febrl3,febrl4")
    nights = [int(n) for n in _listed("BENCH_NIGHT", "100000,1000000")]
    if sizes:
        generator_section(sizes, scratch)
    if datasets:
        febrl_section(datasets, scratch / "febrl")
    if nights:
        night_section(nights, scratch)
    if not sizes and not datasets and not nights:
        print("BENCH_FANS, BENCH_FEBRL and BENCH_NIGHT are all empty: nothing to run")


if __name__ == "__main__":
    main()
