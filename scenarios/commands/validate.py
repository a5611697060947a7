"""``codesign validate``: published designs rebuilt from our technology files, ours vs published."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="compare the cost model with published designs (ISAAC, CAMASim, Eva-CAM, SRAM)",
                       description="Rebuilds ISAAC-CE, CAMASim's per-array table, Eva-CAM's 2FeFET TCAM, a fabricated "
                       "RRAM TCAM and Horowitz/CACTI SRAM figures from data/tech and prints ours vs published, the "
                       "relative error, the bound and pass/fail (figures and sources: data/validation/published.json). "
                       "Exit status 1 when a row leaves its bound.")
    p.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the rows as JSON")
    p.set_defaults(func=_run, outputs=[("json", "file", "--json")])


def _run(args: argparse.Namespace) -> int:
    from codesign.scenarios.validation import all_rows
    from codesign.scenarios.validation.rows import format_table
    from codesign.atomic import write_json

    rows = all_rows()
    print(format_table(rows))
    failed = [r for r in rows if not r.ok]
    checked = sum(r.bound is not None for r in rows)
    print(f"\n{checked - len(failed)}/{checked} bounded rows pass; {len(rows) - checked} documented differences "
          "(docs/validation.md)")
    if args.json is not None:
        write_json(args.json, [r.to_dict() for r in rows], indent=1)
        print(f"written: {args.json}")
    return 1 if failed else 0
