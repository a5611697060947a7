"""Gantt plots and the summary table of the cycle engine for docs/simulator.md.

    python -m codesign.scenarios.validation.cycle_figures -o docs/cycle

Models: the digits PECAN-D net (untrained ``architecture_spec`` with K = 32, the shapes of the runner's
export, which it costs exactly: the schedule depends on shapes only) on
the default CAM/digital hardware, and VGG-8 (3x32x32) on the NeuroSim-like crossbars of the VGG-8
validation (:mod:`codesign.scenarios.validation.vgg8`); each layer by layer (batch 1) and pipelined
(batch 4; VGG-8 with weight duplication 4). Writes ``gantt_<model>_<mode>.png`` and ``cycle_table.md``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from codesign.atomic import write_text
from codesign.sim.cycle.config import CycleConfig


def cases() -> list[tuple[str, Any, Any, CycleConfig]]:
    """(label, spec, hardware, config) of every figure."""
    from codesign.models.export import architecture_spec
    from codesign.scenarios.validation.vgg8 import ALL_TILES, NEUROSIM_LIKE, NODE_NM
    from codesign.sim.hardware import HardwareConfig, crossbar_hw
    from codesign.sim.synthetic import vgg8

    hw = crossbar_hw(**{**NEUROSIM_LIKE, "parallel_tiles": ALL_TILES})
    hw.digital.precision = "int8"
    hw.node_nm = NODE_NM
    digits = architecture_spec("pecan_d", num_prototypes=32)  # the shapes of the runner's export
    net = vgg8()
    return [("pecan_d_digits_layer", digits, HardwareConfig(), CycleConfig()),
            ("pecan_d_digits_pipelined", digits, HardwareConfig(), CycleConfig(mode="pipelined", batch=4)),
            ("vgg8_layer", net, hw, CycleConfig()),
            ("vgg8_pipelined", net, hw, CycleConfig(mode="pipelined", batch=4, duplication=4))]


def make(out: Path) -> str:
    """Write the PNGs and the markdown table into ``out``; return the table."""
    from codesign.sim.cycle.engine import CycleSimulator

    lines = ["| run | latency (µs) | analytic (µs) | inferences/s | energy/inference (µJ) | leakage share | "
             "stall cycles (dependency / buffer / bandwidth / busy / reload) | events |",
             "|---|---|---|---|---|---|---|---|"]
    for label, spec, hw, cfg in cases():
        rep = CycleSimulator(spec, hw, cfg).run()
        rep.plot_gantt(out / f"gantt_{label}.png")
        st = rep.stalls()
        leak = rep.leakage_energy_pj / rep.batch
        dup = f", duplication {cfg.duplication}" if cfg.duplication > 1 else ""
        lines.append(f"| {label} (batch {cfg.batch}{dup}) | {rep.latency_ns / 1e3:,.2f} | "
                     f"{rep.analytic.latency_ns / 1e3:,.2f} | {rep.throughput_inf_s:,.0f} "
                     f"| {rep.energy_pj / 1e6:,.3f} | {leak / rep.energy_pj:.0%} | "
                     f"{' / '.join(f'{v:,.0f}' for v in st.values())} | {rep.events_simulated:,} |")
    table = "\n".join(lines) + "\n"
    write_text(out / "cycle_table.md", table)
    return table


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-o", "--out", type=Path, default=Path("docs/cycle"), help="output folder (default docs/cycle)")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    print(make(args.out), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
