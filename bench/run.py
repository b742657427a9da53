"""Run named benchmarks and print one table: benchmark, ours, peer, ratio.

uv run python -m bench.run            # every benchmark
uv run python -m bench.run sts        # only these
"""

from __future__ import annotations

import argparse
import importlib
import sys

from rich.console import Console
from rich.table import Table

from bench.harness import Result

#: Benchmark name → module with a `run() -> list[Result]`.
BENCHMARKS = {
    "sts": "bench.sts",
    "s3": "bench.s3",
    "emr": "bench.emr",
    "hdfs": "bench.hdfs",
    "yarn": "bench.yarn",
    "mapreduce": "bench.mapreduce",
    "spark": "bench.spark",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run: {', '.join(BENCHMARKS)}")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    results: list[Result] = []
    for name in args.names or list(BENCHMARKS):
        results.extend(importlib.import_module(BENCHMARKS[name]).run())
    table = Table(title="emr benchmarks (ratio > 1: emr is better)")
    for column in ("benchmark", "ours", "peer", "ratio"):
        table.add_column(column, justify="left" if column == "benchmark" else "right")
    for result in results:
        table.add_row(
            result.benchmark,
            f"{result.ours:,.2f} {result.unit}",
            f"{result.peer:,.2f} {result.unit} ({result.peer_name})",
            f"{result.ratio:.2f}x",
        )
    Console(width=120).print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
