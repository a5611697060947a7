"""``codesign simulate MODEL.h5``: per-layer cost table, accuracy/golden check, JSON + plots."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codesign.scenarios.argtypes import nonneg_int, positive_int, schema_option
from codesign.scenarios.hardware_schema import add_hardware_options, apply_overrides, options_overrides

#: command-line options that set a hardware setting (checked and documented by the hardware schema)
HARDWARE_OPTIONS = {"--cam-rows": "cam.rows", "--cam-cols": "cam.cols", "--parallel-arrays": "cam.parallel_arrays",
                    "--macs-per-cycle": "digital.macs_per_cycle", "--clock-ghz": "clock_ghz"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="simulate an exported model on CAM/digital hardware",
                       description="Load an HDF5 model (docs/format.md), map it onto the configured hardware, "
                       "print per-layer cycles/latency/energy/area, check the golden vectors, score the test "
                       "set, and write report.json, report.h5 and PNG plots to the output folder.")
    p.add_argument("model", type=Path, help="HDF5 model file written by the exporter")
    p.add_argument("--tech", default=None,
                   help="CAM technology: shipped name (e.g. fefet_mcam, sram_tcam) or path to your own JSON file")
    add_hardware_options(p, HARDWARE_OPTIONS)
    p.add_argument("--column-merge", choices=("readout", "matchline"), default=None,
                   help="CAM rows split over column tiles: convert and add partial distances (readout), "
                   "or join the match-line segments (matchline)")
    p.add_argument("--cam-nonideal", choices=("off", "tech"), default="off",
                   help="CAM device non-idealities from the technology file (level variation, stuck cells, sensing "
                   "noise and resolution; docs/nonideal.md); the wrong-winner rate per layer is printed")
    p.add_argument("--noise-seed", type=nonneg_int, default=0, help="CAM device instance (with --cam-nonideal tech)")
    p.add_argument("--precision", choices=("fp32", "int8"), default=None,
                   help="digital MAC arithmetic: fp32, or int8 x int8 into int32 (dense layers quantized per tensor)")
    p.add_argument("--scales", choices=("float", "pow2", "int"), default=None,
                   help="quantizer/scaler arithmetic: float32, power-of-two shifts, or pow2 inputs + 16-bit integer outputs")
    from codesign.cam.scaling import supported_nodes

    p.add_argument("--node-nm", type=int, default=None, choices=supported_nodes(),
                   help="process node every technology is scaled to (Stillmaker & Baas 2017; default 45)")
    p.add_argument("--limit", type=positive_int, default=None, help="evaluate only the first N test inputs")
    p.add_argument("--batch-size", type=positive_int, default=256, help="functional-simulation batch size")
    p.add_argument("--allow-golden-mismatch", action="store_true",
                   help="exit 0 even when fp32/float arithmetic does not reproduce the file's golden predictions "
                   "(the mismatch is reported either way; int8 or fixed-point runs only warn)")
    p.add_argument("--cost-only", action="store_true", help="analytic costs only, no functional run")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    c = p.add_argument_group("cycle-approximate engine (docs/simulator.md)")
    c.add_argument("--cycle", action="store_true",
                   help="also schedule the model event by event: latency, throughput, stalls, utilization, "
                   "energy with leakage; writes cycle.json and gantt.png")
    c.add_argument("--mode", choices=("layer", "pipelined"), default="layer",
                   help="layer by layer (the analytic model's assumption) or inter-layer pipelined")
    from codesign.scenarios.schema import CycleSection

    def cyc(name: str, what: str):  # the option checked by the [cycle] field of the same name
        return schema_option(CycleSection, name, what)

    c.add_argument("--batch", type=cyc("batch", "an integer in [1, 4096]"), default=1, help="inferences streamed back to back (throughput)")
    c.add_argument("--duplication", type=cyc("duplication", "an integer in [1, 64]"), default=1,
                   help="weight copies of the bottleneck layer in pipelined mode (others balanced to it)")
    c.add_argument("--onchip-kib", type=cyc("onchip_kib", "a finite number > 0"), default=None,
                   help="on-chip capacity for weights/prototypes/LUTs in KiB (default: all resident); layers "
                   "beyond it reload from DRAM per inference")
    c.add_argument("--buffer-kib", type=cyc("buffer_kib", "a finite number > 0"), default=None,
                   help="line-buffer capacity per layer edge in KiB, pipelined mode (default: one whole tensor)")
    c.add_argument("--link-gb-s", type=cyc("link_gb_s", "a finite number > 0"), default=None,
                   help="bandwidth of the shared on-chip interconnect in GB/s (default: unlimited)")
    c.add_argument("--no-leakage", action="store_true", help="leave static power out of the cycle energy")
    p.add_argument("-o", "--out", type=Path, default=Path("runs/simulate"),
                   help="output folder (default runs/simulate)")
    p.set_defaults(func=_simulate)


def _simulate(args: argparse.Namespace) -> int:
    from rich.console import Console

    from codesign.cam.technology import load_technology
    from codesign.errors import CodesignError
    from codesign.sim.engine import Simulator
    from codesign.scenarios.outputs import prepare_output, write_manifest
    from codesign.sim.hardware import HardwareConfig

    hw = apply_overrides(HardwareConfig(), options_overrides(args, HARDWARE_OPTIONS), prefix="options", knob=True)
    if args.tech:
        hw.cam.technology = args.tech
        load_technology(args.tech)  # fail early, naming the file
    if args.column_merge is not None:
        hw.cam.column_merge = args.column_merge
    hw.cam.nonideal, hw.cam.noise_seed = args.cam_nonideal, args.noise_seed
    for attr in ("precision", "scales"):
        if getattr(args, attr) is not None:
            setattr(hw.digital, attr, getattr(args, attr))
    if args.node_nm is not None:
        hw.node_nm = args.node_nm
    cycle_cfg = _cycle_config(args)
    sim = Simulator(args.model, hw=hw)
    prepare_output(args.out)  # after the inputs are read, before the work
    console = Console(width=max(Console().width, 130))
    golden = None
    if args.cost_only:
        rep = sim.cost()
    else:
        ev = sim.evaluate(limit=args.limit, batch_size=args.batch_size, progress=not args.no_progress)
        rep = ev.report
        line = f"{ev.which}: {ev.n} inputs, accuracy {ev.accuracy:.4f}" if ev.accuracy is not None else ""
        if ev.golden_match is not None:
            line += f"; golden predictions matched {ev.golden_match:.2%}, max |logit diff| {ev.golden_max_abs_diff:.3g}"
        console.print(line)
        for name, st in rep.extra.get("nonideal", {}).items():
            if "wrong_winner_rate" in st:
                console.print(f"{name}: wrong winners {st['wrong_winner_rate']:.2%} of {int(st['searches'])} "
                              "sampled searches")
        golden = ev.golden_match
    rep.print_table(console)
    console.print(f"total per inference: {rep.total_energy_pj:,.1f} pJ, {rep.latency_ns:,.1f} ns, "
                  f"{rep.area_mm2:.4f} mm² (CAM: {hw.cam.technology} {hw.cam.rows}x{hw.cam.cols}; "
                  f"digital: {hw.digital.precision} MACs, {hw.digital.scales} scales)")
    files = [rep.write_json(args.out / "report.json"), rep.write_hdf5(args.out / "report.h5"), *rep.plot(args.out)]
    if cycle_cfg is not None:
        from codesign.sim.cycle.engine import CycleSimulator

        crep = CycleSimulator(sim.spec, hw, cycle_cfg).run()
        crep.print_table(console)
        files += [crep.write_json(args.out / "cycle.json"), crep.plot_gantt(args.out / "gantt.png")]
    files.append(write_manifest(args.out, "simulate", vars(args), [args.model, *_tech_files(args.tech)]))
    console.print("wrote " + ", ".join(str(f) for f in files))
    if golden is not None and golden < 1.0:
        # only the file's own arithmetic (fp32 MACs, float scales) must reproduce the golden predictions;
        # int8 MACs or fixed-point scales are another computation, whose agreement is reported
        exact = hw.digital.precision == "fp32" and hw.digital.scales == "float" and hw.cam.nonideal == "off"
        msg = (f"{args.model}: golden vectors: the simulator reproduced {golden:.2%} of the stored predictions")
        if exact and not args.allow_golden_mismatch:
            raise CodesignError(msg + " (expected 100%; the file or the simulator is wrong); "
                                "--allow-golden-mismatch runs anyway")
        note = "" if exact else (f" with {hw.digital.precision} MACs, {hw.digital.scales} scales and CAM "
                                 f"non-idealities {hw.cam.nonideal}")
        print(f"codesign: warning: {msg}{note}", file=sys.stderr)
    return 0


#: cycle-engine options and their defaults (given without --cycle they are an error, not silently ignored)
_CYCLE_OPTIONS = {"mode": "layer", "batch": 1, "duplication": 1, "onchip_kib": None, "buffer_kib": None,
                  "link_gb_s": None, "no_leakage": False}


def _cycle_config(args: argparse.Namespace):
    from codesign.errors import CodesignError
    from codesign.sim.cycle.config import CycleConfig

    if not args.cycle:
        given = [f"--{k.replace('_', '-')}" for k, d in _CYCLE_OPTIONS.items() if getattr(args, k) != d]
        if given:
            raise CodesignError(f"{', '.join(given)}: cycle-engine option(s); add --cycle")
        return None
    return CycleConfig(mode=args.mode, batch=args.batch, duplication=args.duplication, onchip_kib=args.onchip_kib,
                       buffer_kib=args.buffer_kib, link_gb_s=args.link_gb_s, leakage=not args.no_leakage)


def _tech_files(tech: str | None) -> list[Path]:
    from codesign.cam.technology import technology_file

    return [technology_file(tech)] if tech else []
