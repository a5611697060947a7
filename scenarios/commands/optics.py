"""`codesign optics ...`: simulate OPM data sets, evaluate the tap detector, compare with GNPy."""

from __future__ import annotations

import sys
from pathlib import Path

from codesign.scenarios.argtypes import nonneg_int


def register(subparsers):
    p = subparsers.add_parser("optics", help="optical line simulator, OPM data and tap detection")
    sub = p.add_subparsers(dest="optics_command", metavar="ACTION")
    s = sub.add_parser("simulate", help="simulate a scenario and write a labeled OPM data set (HDF5)")
    s.add_argument("scenario", nargs="?", default=None,
                   help="scenario TOML file or shipped scenario name (default: optics_default)")
    s.add_argument("-o", "--output", type=Path, default=Path("runs/optics/dataset.h5"),
                   help="output HDF5 file (default runs/optics/dataset.h5)")
    s.add_argument("--seed", type=nonneg_int, default=0, help="random seed (the output is deterministic for a seed)")
    s.add_argument("--no-progress", action="store_true", help="disable the progress bar")
    s.set_defaults(func=_simulate)
    e = sub.add_parser("evaluate", help="detection/false-alarm/localization sweeps: PNG plots + tables")
    e.add_argument("scenario", nargs="?", default=None,
                   help="base scenario TOML (line, OPM, drift) or shipped name (default: optics_default)")
    e.add_argument("-o", "--outdir", type=Path, default=Path("runs/optics/eval"),
                   help="output folder (default runs/optics/eval)")
    e.add_argument("--quick", action="store_true", help="6 h runs instead of 24 h (for smoke tests)")
    e.add_argument("--seed", type=nonneg_int, default=0, help="base random seed")
    e.add_argument("--no-progress", action="store_true", help="disable the progress bar")
    e.set_defaults(func=_evaluate)
    u = sub.add_parser("unsupervised", help="the paper's unsupervised method: label matching, coarse / span / two-tap "
                                            "localization, OPM noise models, benign events (markdown + CSV)")
    u.add_argument("scenarios", nargs="*", default=None,
                   help="scenario TOML files or shipped names (default: optics_default line_3x40km)")
    u.add_argument("-o", "--outdir", type=Path, default=Path("runs/optics/unsupervised"),
                   help="output folder (default runs/optics/unsupervised)")
    u.add_argument("--quick", action="store_true", help="12 h runs with fewer events (for smoke tests)")
    u.add_argument("--seed", type=nonneg_int, default=0, help="base random seed")
    u.set_defaults(func=_unsupervised)
    p.set_defaults(func=lambda a: (p.print_help(), 0)[1])


def _progress(args) -> bool:
    return not args.no_progress and sys.stderr.isatty()


def _scenario(args) -> Path:
    from codesign.scenarios.shipped import OPTICS_DEFAULT_NAME, resolve_scenario

    return resolve_scenario(args.scenario, default=OPTICS_DEFAULT_NAME)


def _simulate(args) -> int:
    from codesign.optics import load_scenario, save_dataset, simulate_dataset
    from codesign.scenarios.outputs import prepare_output_file, write_manifest

    path = _scenario(args)
    scenario = load_scenario(path)  # validated before the output folder is touched
    prepare_output_file(args.output)
    ds = simulate_dataset(scenario, seed=args.seed, progress=_progress(args))
    save_dataset(ds, args.output)
    write_manifest(args.output.parent, "optics simulate", vars(args), [path], name=f"{args.output.stem}.manifest.json")
    n_ev = len(ds.events)
    print(f"wrote {args.output}: {len(ds.monitor_names)} monitors x {ds.frequency_hz.size} channels x "
          f"{ds.n_samples} samples, {n_ev} events (seed {args.seed})")
    return 0


def _evaluate(args) -> int:
    from codesign.optics.evaluate import run_evaluation
    from codesign.optics.report import write_report

    from codesign.optics import load_scenario
    from codesign.scenarios.outputs import prepare_output, write_manifest

    path = _scenario(args)
    load_scenario(path)  # validated before the output folder is touched
    prepare_output(args.outdir, "-o/--outdir")
    res = run_evaluation(path, quick=args.quick, seed=args.seed, progress=_progress(args))
    files = write_report(res, args.outdir)
    files.append(write_manifest(args.outdir, "optics evaluate", vars(args), [path]))
    print((Path(args.outdir) / "evaluation.md").read_text())
    print("wrote " + ", ".join(str(f) for f in files))
    return 0


def _unsupervised(args) -> int:
    from codesign.optics import load_scenario
    from codesign.optics.report import write_unsupervised_report
    from codesign.optics.unsup_eval import PAPER, run_unsupervised
    from codesign.scenarios.outputs import prepare_output, write_manifest
    from codesign.scenarios.shipped import resolve_scenario

    paths = [resolve_scenario(s) for s in (args.scenarios or ["optics_default", "line_3x40km"])]
    for path in paths:
        load_scenario(path)  # validated before the output folder is touched
    prepare_output(args.outdir, "-o/--outdir")
    results = [run_unsupervised(path, quick=args.quick, seed=args.seed) for path in paths]
    files = write_unsupervised_report(results, args.outdir, PAPER)
    files.append(write_manifest(args.outdir, "optics unsupervised", vars(args), paths))
    print((Path(args.outdir) / "unsupervised.md").read_text())
    print("wrote " + ", ".join(str(f) for f in files))
    return 0
