"""Hardware cost of the compression variants: export → HDF5 → crossbar simulator.

Every conv2d and linear runs on analog crossbars (``HardwareConfig.targets``), everything else
(ReLU, add, pooling) on the digital unit. Mapping (``sim/crossbar_mapping.py``): a layer is its
im2col filter matrix [co, ci/g·k²] block-diagonal over groups; with ``group_mapping="packed"``
each group's block (k² rows × co/g outputs; a depthwise 3×3 conv has 9 rows × 1 output per
channel) is packed diagonally into shared tiles, pointwise convs are dense [ci × co] tiles.
Utilization = cells holding weights / cells of all allocated crossbars.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from codesign.models.compression.export import export_compressed
from codesign.models.compression.training import count_macs, count_params, evaluate
from codesign.sim.engine import Simulator
from codesign.sim.format import read_model
from codesign.sim.hardware import crossbar_hw


def _kind(layer) -> str:
    a = layer.attrs
    if layer.type == "linear":
        return "linear"
    k = int(np.prod(a["kernel_size"]))
    g = int(a.get("groups", 1))
    if g > 1:  # depthwise (one input per group) or grouped (PD/DP with m > 1)
        return "depthwise"
    return "pointwise" if k == 1 else "dense kxk"


def _utilization(spec, report) -> dict[str, float]:
    """Tile-weighted utilization overall and per layer kind (conv/linear on crossbars)."""
    by_name = {layer.name: layer for layer in spec.layers}
    acc: dict[str, list[float]] = {}
    for c in report.layers:
        if c.target != "crossbar":
            continue
        tiles = float(c.mapping.get("tiles", 1))
        for key in ("all", _kind(by_name[c.layer])):
            a = acc.setdefault(key, [0.0, 0.0])
            a[0] += c.utilization * tiles
            a[1] += tiles
    return {k: v[0] / v[1] for k, v in acc.items() if v[1] > 0} | {"tiles": acc.get("all", [0, 0])[1]}


def hw_table(models: dict, data, n_eval: int = 64, out_dir: Path | None = None, group_mapping: str = "packed",
             adc_bits: int = 8, ideal: bool = False, log=print) -> list[dict]:
    """One row per variant: PyTorch acc, crossbar acc (on ``n_eval`` test images), cost, utilization."""
    xte, yte = data[4], data[5]
    hw = crossbar_hw(group_mapping=group_mapping, adc_bits=int(adc_bits), ideal=bool(ideal))
    rows = []
    tmp = None
    if out_dir is None:
        tmp = tempfile.TemporaryDirectory()
        out_dir = Path(tmp.name)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        for name, model in models.items():
            log(f"simulating {name}")
            fname = name.replace(" ", "_").replace("=", "").replace(".", "")
            path = export_compressed(model, out_dir / f"{fname}.h5", name, xte[:32], yte[:32],
                                     test_x=xte[:n_eval], test_y=yte[:n_eval])
            spec = read_model(path)
            sim = Simulator(spec, hw=hw)
            rep = sim.cost()
            ev = sim.evaluate("testset", progress=False)
            util = _utilization(spec, rep)
            rows.append({"variant": name, "acc_torch": evaluate(model, xte, yte),
                         "acc_crossbar": 100.0 * ev.accuracy, "n_eval": ev.n, "params": count_params(model),
                         "macs": count_macs(model), "energy_uj": rep.total_energy_pj / 1e6,
                         "latency_us": rep.latency_ns / 1e3, "area_mm2": rep.area_mm2,
                         "area_arrays_mm2": rep.area_mm2 - rep.area_by_component_mm2.get("digital_unit", 0.0),
                         "tiles": int(util.pop("tiles")), "util": util, "file": str(path),
                         "adc_bits": adc_bits, "ideal": ideal})
    finally:
        if tmp is not None:
            tmp.cleanup()
    return rows


def format_hw(rows) -> str:
    lines = ["| variant | acc % (torch, full test) | acc % (crossbar) | params | MACs | energy µJ | latency µs | "
             "area mm² (crossbar part) | tiles | util all | util depthwise/grouped | util pointwise | util dense k×k |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        u = r["util"]
        f = (lambda k: f"{100 * u[k]:.0f} %" if k in u else "–")
        lines.append(f"| {r['variant']} | {r['acc_torch']:.1f} | {r['acc_crossbar']:.1f} | {r['params']:,} | "
                     f"{r['macs']:,} | {r['energy_uj']:.2f} | {r['latency_us']:.1f} | {r['area_mm2']:.3f} ({r['area_arrays_mm2']:.4f}) | "
                     f"{r['tiles']} | {f('all')} | {f('depthwise')} | {f('pointwise')} | {f('dense kxk')} |")
    n, adc, ideal = (rows[0]["n_eval"], rows[0]["adc_bits"], rows[0]["ideal"]) if rows else (0, 8, False)
    num = "ideal numerics" if ideal else f"8-bit weights and inputs, 2-bit cells, {adc}-bit ADC"
    lines.append(f"\ncrossbar accuracy on the first {n} test images (128×128 ReRAM crossbars, {num}). "
                 "Area in brackets excludes the shared digital unit.")
    return "\n".join(lines)
