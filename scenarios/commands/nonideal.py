"""``codesign nonideal MODEL.h5``: accuracy vs each device non-ideality (CAM or crossbar), CSV + plots."""

from __future__ import annotations

import argparse
from pathlib import Path

from codesign.scenarios.argtypes import positive_int


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("nonideal", help="sweep device non-idealities: accuracy vs each knob (CAM or crossbars)",
                       description="Sweep one device non-ideality at a time and write accuracy (mean +- std over "
                       "--trials device instances) to nonideal.csv and one acc_<knob>.png per knob. A model with "
                       "PECAN-D layers runs on CAM arrays (knobs level_sigma, sense_sigma, sense_bits, stuck_rate); "
                       "otherwise its conv/linear/DeBut layers run on crossbars (prog_noise_sigma, read_noise_sigma, "
                       "drift_time_s, stuck_on_rate, stuck_off_rate, wire_res_ohm, rows_per_adc x adc_bits, "
                       "adc_calibration x adc_bits). --study runs the shipped study (dense/DeBut LeNet or PECAN-D, "
                       "each with and without hardware-aware training). See docs/nonideal.md.")
    p.add_argument("models", type=Path, nargs="*", help="HDF5 model files (docs/format.md), one curve each")
    p.add_argument("--study", choices=("crossbar", "cam"), default=None,
                   help="use the study's models instead of MODEL.h5 (trained once, cached)")
    p.add_argument("--select", default=None, metavar="TEXT",
                   help="with --study: keep only the models whose label contains TEXT (e.g. 'dense')")
    p.add_argument("--knob", action="append", default=None, metavar="NAME[=V1,V2,...]",
                   help="knob to sweep, optionally with its values (repeatable; default: every knob)")
    p.add_argument("--trials", type=positive_int, default=3, help="device instances (seeds) per point (default 3)")
    p.add_argument("--limit", type=positive_int, default=None, help="evaluate only the first N test inputs")
    p.add_argument("--tech", default=None, help="CAM or crossbar technology (name or JSON path; default: the "
                   "hardware default)")
    p.add_argument("-o", "--out", type=Path, default=Path("runs/nonideal"),
                   help="output folder for nonideal.csv and the plots (default runs/nonideal)")
    p.set_defaults(outputs=[("out", "dir", "-o/--out")], func=_nonideal)


def _target(path: Path) -> str:
    from codesign.sim.format import read_model

    spec = read_model(path)
    pecan_d = any(lay.type.startswith("pecan_") and lay.attrs.get("mode") == "distance" for lay in spec.layers)
    return "cam" if pecan_d else "crossbar"


def _nonideal(args: argparse.Namespace) -> int:
    from rich.console import Console

    from codesign.atomic import write_csv
    from codesign.scenarios.nonideal import study
    from codesign.scenarios.nonideal.sweep import CAM_KNOBS, XBAR_KNOBS, NonidealArgError, parse_knob, plot, sweep

    console = Console()
    if args.study and args.models:
        raise NonidealArgError("give MODEL.h5 files or --study, not both")
    if args.study:
        log = lambda msg: console.print(msg)  # noqa: E731
        models = study.crossbar_models(log) if args.study == "crossbar" else study.cam_models(log)
        target = args.study
        if args.select:
            models = {k: v for k, v in models.items() if args.select in k}
            if not models:
                raise NonidealArgError(f"--select {args.select!r} matches no study model")
    elif args.models:
        targets = {_target(m) for m in args.models}
        if len(targets) > 1:
            raise NonidealArgError("the models mix PECAN-D (CAM) and crossbar networks; sweep them separately")
        target = targets.pop()
        models = {m.stem: str(m) for m in args.models}
    else:
        raise NonidealArgError("give at least one MODEL.h5 or --study crossbar|cam")
    if args.tech:
        from codesign.cam.technology import load_technology

        load_technology(args.tech)  # fail early, naming the file
    table = CAM_KNOBS if target == "cam" else XBAR_KNOBS
    knobs = [parse_knob(k, table) for k in args.knob] if args.knob else list(table.values())

    def show(r):
        extra = f", wrong winners {r['wrong_winner_rate']:.3%}" if target == "cam" else \
            f", ADC clipped {r['adc_clipped_rate']:.3%}"
        console.print(f"{r['model']}: {r['knob']}={r['value']} {r['series']} -> accuracy {r['acc_mean']:.4f} "
                      f"+- {r['acc_std']:.4f}{extra}")

    rows = sweep(models, target, knobs, args.trials, args.limit, args.tech, progress=show)
    cols = ["model", "knob", "value", "series", "acc_mean", "acc_std", "trials", "wrong_winner_rate", "adc_clipped_rate"]
    write_csv(args.out / "nonideal.csv", rows, cols)
    where = "CAM arrays" if target == "cam" else "crossbars"
    for kn in knobs:
        plot(rows, kn, args.out / f"acc_{kn.name}.png", f"accuracy vs {kn.name} on {where} ({args.trials} trials)")
    console.print(f"wrote {args.out}/nonideal.csv and {len(knobs)} plots")
    return 0
