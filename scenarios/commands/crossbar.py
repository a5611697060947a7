"""``codesign crossbar MODEL.h5``: run conv2d/linear layers on analog crossbars; cost table + accuracy."""

from __future__ import annotations

import argparse
from pathlib import Path


def _floats(text: str) -> list[float]:
    try:
        vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        vals = []
    if not vals or any(v < 0 for v in vals):
        raise argparse.ArgumentTypeError(f"{text!r}: expected comma-separated non-negative numbers, e.g. 0,0.02,0.05")
    return vals


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("crossbar", help="simulate a model's conv/linear layers on analog IMC crossbars",
                       description="Map every conv2d (incl. depthwise/grouped) and linear layer onto ReRAM crossbar "
                       "tiles (bit-sliced differential weights, bit-serial inputs, column ADCs), print the per-layer "
                       "cost table (energy, latency, area, utilization) and the test-set accuracy under the chosen "
                       "non-idealities. See docs/crossbar.md.")
    p.add_argument("model", type=Path, help="HDF5 model file (docs/format.md)")
    p.add_argument("--adc-bits", type=int, default=8, help="column ADC resolution in bits (default 8)")
    p.add_argument("--noise", type=_floats, default=[0.0],
                   help="programming-noise sigma relative to the conductance range; a comma list sweeps it")
    p.add_argument("--xbar-size", type=int, default=128, help="crossbar rows = columns (default 128)")
    p.add_argument("--cell-bits", type=int, default=2, help="bits per ReRAM cell (default 2)")
    p.add_argument("--weight-bits", type=int, default=8, help="weight quantization bits incl. sign (default 8)")
    p.add_argument("--input-bits", type=int, default=8, help="activation bits fed bit-serially (default 8)")
    p.add_argument("--dac-bits", type=int, default=1, help="DAC resolution: input bits per cycle (default 1)")
    p.add_argument("--bipolar-dac", action="store_true",
                   help="signed read voltages: inputs as sign x (dac-bits - 1)-bit chunks, no sign cycle")
    p.add_argument("--subtract-in-analog", action="store_true",
                   help="subtract each differential column pair as currents before the ADC (one conversion per pair)")
    p.add_argument("--cols-per-adc", type=int, default=0,
                   help="ADC inputs sharing one ADC (default 0: the technology's ADCs per crossbar)")
    p.add_argument("--adc-range", type=float, default=1.0, help="ADC full scale / largest column current (default 1)")
    p.add_argument("--group-mapping", choices=("packed", "dense"), default="packed",
                   help="grouped/depthwise conv: pack groups block-diagonally into shared tiles, or tile densely")
    p.add_argument("--ideal", action="store_true", help="ideal numerics (float weights, analog inputs, no ADC error)")
    p.add_argument("--tech", default="reram_1t1r",
                   help="crossbar technology: shipped name (default reram_1t1r) or path to your own JSON file")
    p.add_argument("--seed", type=int, default=0, help="programming-noise seed")
    p.add_argument("--limit", type=int, default=None, help="evaluate only the first N test inputs")
    p.add_argument("--cost-only", action="store_true", help="analytic costs only, no functional run")
    p.add_argument("-o", "--out", type=Path, default=None, help="output folder for report.json / crossbar_accuracy.json")
    p.set_defaults(outputs=[("out", "dir", "-o/--out")], inputs=["model"])
    p.set_defaults(func=_crossbar)


def _crossbar(args: argparse.Namespace) -> int:
    from rich.console import Console

    from codesign.atomic import write_json
    from codesign.cam.technology import load_technology
    from codesign.sim.engine import Simulator
    from codesign.sim.hardware import crossbar_hw
    from codesign.sim.format import read_model

    load_technology(args.tech)  # fail early, naming the file
    spec = read_model(args.model)

    def hw_for(sigma: float):
        return crossbar_hw(technology=args.tech, rows=args.xbar_size, cols=args.xbar_size, cell_bits=args.cell_bits,
                           weight_bits=args.weight_bits, input_bits=args.input_bits, dac_bits=args.dac_bits,
                           adc_bits=args.adc_bits, cols_per_adc=args.cols_per_adc, adc_range=args.adc_range,
                           prog_noise_sigma=sigma,
                           seed=args.seed, ideal=args.ideal, group_mapping=args.group_mapping,
                           bipolar_dac=args.bipolar_dac, subtract_in_analog=args.subtract_in_analog)

    console = Console(width=max(Console().width, 130))
    sim = Simulator(spec, hw=hw_for(args.noise[0]))
    rep = sim.cost()
    rep.print_table(console)
    rows = []
    if not args.cost_only:
        for sigma in args.noise:
            ev = Simulator(spec, hw=hw_for(sigma)).evaluate(limit=args.limit, progress=False)
            rows.append({"noise_sigma": sigma, "adc_bits": args.adc_bits, "ideal": args.ideal, "which": ev.which,
                         "n": ev.n, "accuracy": ev.accuracy, "golden_match": ev.golden_match})
            acc = f"{ev.accuracy:.4f}" if ev.accuracy is not None else "n/a"
            gm = f", golden predictions matched {ev.golden_match:.2%}" if ev.golden_match is not None else ""
            console.print(f"noise sigma {sigma:g}, ADC {args.adc_bits} bits{' (ideal)' if args.ideal else ''}: "
                          f"{ev.which} accuracy {acc} on {ev.n} inputs{gm}")
    if args.out is not None:
        rep.write_json(args.out / "report.json")
        write_json(args.out / "crossbar_accuracy.json", rows, indent=1)
        console.print(f"wrote {args.out}/report.json and crossbar_accuracy.json")
    return 0
