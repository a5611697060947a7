"""``codesign bench``: run the benchmark suite (every engine vs its reference, same run)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from codesign.bench.suite import WORKLOADS

    p = sub.add_parser("bench", help="benchmark every engine against its reference (ratios from one run)",
                       description="Runs the benchmark workloads (see bench/README.md), prints one table and "
                       "writes JSON so runs can be compared over time.")
    p.add_argument("workloads", nargs="*", metavar="WORKLOAD",
                   help=f"subset to run (default: all): {', '.join(WORKLOADS)}")
    p.add_argument("--quick", action="store_true", help="smoke run (small sizes, under a minute)")
    p.add_argument("-o", "--out", type=Path, default=None,
                   help="JSON result file (default: runs/bench/bench-<time>.json)")
    p.set_defaults(func=_run, outputs=[("out", "file", "-o/--out")])


def _run(args: argparse.Namespace) -> int:
    from codesign.bench.suite import format_table, run_suite

    out = args.out or Path("runs/bench") / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    result = run_suite(args.workloads or None, quick=args.quick, out=out)
    print(format_table(result))
    print(f"\nwritten: {out}")
    return 0
