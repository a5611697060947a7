"""``codesign run [SCENARIO]``: train -> export -> simulate -> report (default scenario if none)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a scenario end to end (default: the shipped scenario 'default')",
                       description="Train (or reuse cached) models, export them to HDF5, simulate them on the "
                       "scenario's hardware and print accuracy, energy and latency per inference and area. "
                       "Writes models, reports and plots to the scenario's output folder. Scenarios of kind "
                       "'opm_tap' (e.g. opm-tap-cam) run the OPM tap-classifier loop instead.")
    p.add_argument("scenario", nargs="?", default=None,
                   help="scenario TOML file or shipped scenario name (default: default)")
    p.add_argument("-o", "--out", type=Path, default=None, help="output folder (default: the scenario's)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from codesign.scenarios.runner import print_summary, run_scenario
    from codesign.scenarios.scenario import load_scenario

    from codesign.scenarios.outputs import prepare_output, write_manifest

    scn = load_scenario(args.scenario)
    out = prepare_output(args.out or scn.output)
    summary = run_scenario(scn, progress=not args.no_progress, out=out)
    write_manifest(out, "run", vars(args), [scn.path])
    print_summary(summary)
    out = Path(args.out or scn.output)
    if summary.get("kind") == "opm_tap":
        print(f"outputs: {out}/ (summary.md, summary.json, manifest.json, <line>_*.png, <line>/data/*.h5 OPM data sets, "
              "<line>/<variant>.h5 models)")
    else:
        print(f"outputs: {out}/ (summary.md, summary.json, comparison.png, manifest.json, <variant>.h5, <variant>/report.json + plots)")
    return 0
