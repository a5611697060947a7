"""Dense vs DeBut LeNet (digits) on the same simulated crossbar technology.

Trains the baseline and the DeBut variants of :mod:`codesign.scenarios.debut.table`,
exports each to HDF5, routes every conv/linear (dense or DeBut) to the crossbars (default
CrossbarParams: 128×128 ReRAM 1T1R, 2-bit cells, 8-bit weights, 8-bit inputs with a 1-bit DAC,
8-bit ADC), and runs the test set through the simulator. DeBut layers are evaluated under the
three factor mappings (dense tiles / packed blocks / packed diagonals).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch

from codesign.models.debut.export import export_sequential
from codesign.models.debut.swap import count_params, evaluate, finetune, swap_layers
from codesign.scenarios.debut.table import DEBUT_PLAN, all_debut_lenet, count_macs, lenet_digits, load_digits_tensors

__all__ = ["run_hw", "format_hw_table"]


def train_models(quick: bool) -> tuple[dict, tuple]:
    torch.set_num_threads(1)
    ep_base, ep_ft = (15, 8) if quick else (30, 15)
    xtr, ytr, xte, yte = load_digits_tensors(0)
    base = lenet_digits(seed=0)
    finetune(base, xtr, ytr, epochs=ep_base, seed=0)
    models = {"dense LeNet": base}
    for tag, names in (("FC1 → DeBut", ["fc1"]), ("CONV2+FC1+FC2 → DeBut", ["conv2", "fc1", "fc2"])):
        m = swap_layers(base, {n: DEBUT_PLAN[n] for n in names}, init="als", seed=0)
        finetune(m, xtr, ytr, epochs=ep_ft, lr=2e-3, seed=0)
        models[tag] = m
    alld = all_debut_lenet(seed=0)
    finetune(alld, xtr, ytr, epochs=ep_base, seed=0)
    models["all-DeBut"] = alld
    return models, (xte, yte)


def run_hw(quick: bool = False, limit: int | None = None, tech: str = "reram_1t1r",
           out_dir: Path | None = None) -> list[dict]:
    from codesign.sim.engine import Simulator
    from codesign.sim.hardware import CROSSBAR_LAYER_TYPES, crossbar_hw

    models, (xte, yte) = train_models(quick)
    if limit:
        xte, yte = xte[:limit], yte[:limit]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(out_dir) if out_dir else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for name, model in models.items():
            path = folder / (name.replace(" ", "_").replace("→", "to").replace("+", "_") + ".h5")
            export_sequential(path, model, (1, 8, 8), 10, name=name, golden=xte[:32], golden_labels=yte[:32],
                              test_x=xte, test_y=yte)
            has_debut = name != "dense LeNet"
            for mapping in (("dense", "block", "diagonal") if has_debut else ("-",)):
                hw = crossbar_hw(layer_types=(*CROSSBAR_LAYER_TYPES, "debut_linear", "debut_conv2d"), technology=tech,
                                 debut_mapping=mapping if has_debut else "diagonal")
                ev = Simulator(path, hw=hw).evaluate(which="testset", progress=False)
                rep = ev.report
                xb = [c for c in rep.layers if c.target == "crossbar"]
                tiles = sum(int(c.mapping.get("tiles", 0)) for c in xb)
                util = sum(c.utilization * int(c.mapping.get("tiles", 0)) for c in xb) / max(tiles, 1)
                rows.append({
                    "model": name, "mapping": mapping, "params": count_params(model), "macs": count_macs(model),
                    "tiles": tiles, "utilization": util, "energy_nj": rep.total_energy_pj / 1e3,
                    "latency_us": rep.latency_ns / 1e3, "area_mm2": rep.area_mm2,
                    "acc_pytorch": evaluate(model, xte, yte), "acc_crossbar": ev.accuracy,
                })
    return rows


def format_hw_table(rows: list[dict]) -> str:
    lines = ["| model | factor mapping | params | MACs | tiles | utilization | energy (nJ) | latency (µs) | "
             "area (mm²) | acc PyTorch (%) | acc crossbar (%) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['mapping']} | {r['params']:,} | {r['macs']:,} | {r['tiles']} | "
                     f"{r['utilization']:.3f} | {r['energy_nj']:.1f} | {r['latency_us']:.1f} | {r['area_mm2']:.4f} | "
                     f"{100 * r['acc_pytorch']:.2f} | {100 * r['acc_crossbar']:.2f} |")
    return "\n".join(lines)
