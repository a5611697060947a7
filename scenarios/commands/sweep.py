"""``codesign sweep SCENARIO``: design-space exploration with Pareto fronts and plots."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from codesign.scenarios.argtypes import positive_int, schema_option
from codesign.scenarios.scenario import load_scenario


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="run a design-space sweep from a scenario file; Pareto front + plots",
                       description="Evaluate every point of the scenario's [sweep] axes (grid or random), stream "
                       "results to OUTDIR/parts (resumable), then write the Pareto front, plots and a summary.")
    p.add_argument("scenario", help="scenario TOML file with a [sweep] section or shipped scenario name "
                   "(sweep_cam, sweep_crossbar, sweep_optics)")
    p.add_argument("-o", "--out", type=Path, default=None, help="output folder (default: the scenario's [output] folder)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted sweep in the same folder "
                   "(points that failed before are evaluated again)")
    p.add_argument("--workers", type=positive_int, default=None,
                   help="start a local Dask cluster with N worker processes")
    p.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler (tcp://host:8786)")
    p.add_argument("--processes", type=positive_int, default=None,
                   help="local process-pool size when not using Dask (default: CPU count; 1 = serial)")
    from codesign.scenarios.schema import SweepSection

    p.add_argument("--samples", type=schema_option(SweepSection, "samples", "a positive integer (>= 1)"), default=None,
                   help="override [sweep].samples (random mode)")
    p.add_argument("--max-points", type=schema_option(SweepSection, "max_points", "a positive integer (>= 1)"),
                   default=None,
                   help="refuse a sweep with more points than this (default: [sweep] max_points, else 100000)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from codesign.scenarios.sweeping import run_scenario_sweep

    scn = load_scenario(args.scenario)
    if scn.sweep is None:
        from codesign.scenarios.scenario import ScenarioError

        raise ScenarioError(f"{scn.path}: [sweep]: missing section; `codesign sweep` needs sweep axes")
    from codesign.scenarios.outputs import prepare_output, write_manifest
    from codesign.scenarios.sweeping import check_point_count

    check_point_count(scn, args.samples, args.max_points)
    out = prepare_output(args.out or scn.output, keep_previous=args.resume)
    result = run_scenario_sweep(scn, out=out, resume=args.resume, workers=args.processes,
                                dask_workers=args.workers, scheduler=args.scheduler,
                                samples=args.samples, progress=not args.no_progress,
                                max_points=args.max_points)
    write_manifest(out, "sweep", vars(args), [scn.path])
    print(result["summary_text"])
    print(json.dumps({k: v for k, v in result.items() if k not in ("summary_text",)}, indent=2, default=str))
    return 0
