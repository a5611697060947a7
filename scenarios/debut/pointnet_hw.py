"""Dense vs All-DeBut PointNet on the simulated digital unit and crossbars (``codesign debut pointnet``).

Both trained networks (seed 0, :mod:`codesign.scenarios.debut.pointnet`) are exported at 1,024 points per
cloud — input (3, 1024, 1), shared MLP as 1×1 ``conv2d`` / ``debut_conv2d`` (BatchNorm folded into them),
``global_maxpool``, then ``linear`` / ``debut_linear`` — with golden vectors. Costs are per inference (one
cloud) from :meth:`codesign.sim.engine.Simulator.cost`: the digital unit (fp32, 64 MAC lanes), and the
crossbars (default CrossbarParams and ``tech``: 128×128 tiles with DeBut factors under the dense / block /
diagonal mappings, and 32×32 tiles with the diagonal mapping). Functional checks: the digital run reproduces the golden logits within float tolerance; the
crossbar run (analog, quantized) reports how many golden predictions it keeps.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import torch

from codesign.models.data.pointclouds import to_model_input

#: points per cloud of the exported networks (the data set's full clouds)
HW_POINTS = 1024


def export_models(models: dict[str, Any], clouds: np.ndarray, labels: np.ndarray, folder: Path,
                  n_golden: int = 8) -> dict[str, Path]:
    """Export each model (BatchNorm after DeBut convs folded) with ``n_golden`` golden clouds."""
    from codesign.models.debut.alldebut import fold_batchnorm_debut
    from codesign.models.export import export_model

    x = torch.from_numpy(to_model_input(clouds[:n_golden, :HW_POINTS]))
    paths = {}
    for name, model in models.items():
        m = fold_batchnorm_debut(copy.deepcopy(model).eval())
        path = Path(folder) / f"pointnet-{name}.h5"
        export_model(m, path, golden_inputs=x, golden_labels=labels[:n_golden], name=f"pointnet-{name}",
                     metadata={"network": "PointNet", "points": HW_POINTS, "variant": name})
        paths[name] = path
    return paths


def _configs(debut: bool, tech: str) -> list[tuple[str, str, Any]]:
    """(target label, DeBut mapping, HardwareConfig): digital; 128×128 crossbars (every DeBut mapping);
    32×32 crossbars (diagonal mapping: small tiles suit the small r×s blocks of sparse factors)."""
    from codesign.sim.hardware import CROSSBAR_LAYER_TYPES, HardwareConfig, crossbar_hw

    types = (*CROSSBAR_LAYER_TYPES, "debut_linear", "debut_conv2d")
    out = [("digital fp32", "-", HardwareConfig())]
    for size, mappings in ((128, ("dense", "block", "diagonal")), (32, ("diagonal",))):
        for m in (mappings if debut else ("-",)):
            out.append((f"crossbar {size}×{size}", m, crossbar_hw(layer_types=types, technology=tech, rows=size,
                                                                 cols=size, debut_mapping=m if debut else "diagonal")))
    return out


def _summary(rep) -> dict[str, Any]:
    xb = [c for c in rep.layers if c.target == "crossbar"]
    tiles = sum(int(c.mapping.get("tiles", 0)) for c in xb)
    util = sum(c.utilization * int(c.mapping.get("tiles", 0)) for c in xb) / max(tiles, 1)
    return {"energy_uj": rep.total_energy_pj / 1e6, "latency_us": rep.latency_ns / 1e3, "area_mm2": rep.area_mm2,
            "tiles": tiles if xb else None, "utilization": util if xb else None}


def hw_rows(paths: dict[str, Path], params: dict[str, int], tech: str = "reram_1t1r", functional: int = 2) -> list[dict]:
    """One row per (model, target, mapping): costs per cloud, golden check on ``functional`` clouds."""
    from codesign.sim.engine import Simulator
    from codesign.sim.format import read_model

    rows = []
    for name, path in paths.items():
        spec = read_model(path)
        for target, mapping, hw in _configs(name != "dense", tech):
            sim = Simulator(spec, hw=hw)
            row = {"model": name, "target": target, "mapping": mapping, "params": params[name],
                   **_summary(sim.cost()), "golden_match": None, "max_abs_diff": None}
            if functional:
                n = min(int(functional), len(spec.golden_inputs))
                res = sim.run(spec.golden_inputs[:n], progress=False)
                row["golden_match"] = float(np.mean(res.predictions == spec.golden_predictions[:n]))
                row["max_abs_diff"] = float(np.max(np.abs(res.logits - spec.golden_logits[:n])))
                row["golden_n"] = n
            rows.append(row)
    return rows


def layer_rows(paths: dict[str, Path], tech: str = "reram_1t1r") -> list[dict]:
    """Per-layer crossbar energy (nJ/cloud) and tiles on 128×128 crossbars, dense vs All-DeBut (diagonal)."""
    from codesign.sim.engine import Simulator

    out: dict[str, list] = {}
    for name, path in paths.items():
        hw = [c for c in _configs(name != "dense", tech) if c[0] == "crossbar 128×128"][-1][2]
        rep = Simulator(path, hw=hw).cost()
        out[name] = [(c.layer, c.total_energy_pj / 1e3, int(c.mapping.get("tiles", 0)))
                     for c in rep.layers if c.target == "crossbar"]
    return [{"layer": d[0], "dense_nj": d[1], "dense_tiles": d[2], "debut_nj": b[1], "debut_tiles": b[2]}
            for d, b in zip(out["dense"], out["debut"])]


def format_hw_table(rows: list[dict]) -> str:
    lines = ["| model | target | DeBut mapping | params | energy (µJ/cloud) | latency (µs) | area (mm²) | tiles | "
             "utilization | golden check |", "|---|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        tiles = "–" if r["tiles"] is None else str(r["tiles"])
        util = "–" if r["utilization"] is None else f"{r['utilization']:.3f}"
        check = "–" if r["golden_match"] is None else (
            f"{r['golden_n']} clouds: {100 * r['golden_match']:.0f} % same class, max |Δlogit| {r['max_abs_diff']:.2g}")
        lines.append(f"| {r['model']} | {r['target']} | {r['mapping']} | {r['params']:,} | {r['energy_uj']:.2f} | "
                     f"{r['latency_us']:.1f} | {r['area_mm2']:.3f} | {tiles} | {util} | {check} |")
    return "\n".join(lines)


def format_layer_table(rows: list[dict]) -> str:
    lines = ["| layer | dense energy (nJ) | dense tiles | All-DeBut energy (nJ) | All-DeBut tiles | DeBut / dense energy |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['layer']} | {r['dense_nj']:.1f} | {r['dense_tiles']} | {r['debut_nj']:.1f} | "
                     f"{r['debut_tiles']} | {r['debut_nj'] / max(r['dense_nj'], 1e-12):.2f} |")
    return "\n".join(lines)


def run_study(s, tech: str = "reram_1t1r", out_dir: Path | None = None, functional: int = 2,
              log=print) -> tuple[str, dict]:
    """Accuracy table (all seeds), hardware table and per-layer table as Markdown, and the raw rows."""
    import tempfile

    from codesign.models.metrics import accuracy, count_params
    from codesign.scenarios.debut.pointnet import format_table, run_pointnet, trained_model

    rows, info = run_pointnet(s, log)
    data = info.pop("data")
    models = {"dense": trained_model("dense", 0, s, data, log)[0], "debut": trained_model("debut-als", 0, s, data, log)[0]}
    clouds, labels = data["test_clouds"], data["yte"].numpy()
    x_full = torch.from_numpy(to_model_input(clouds[:, :HW_POINTS]))
    acc_full = {k: accuracy(m, x_full, labels, batch_size=16) for k, m in models.items()}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(out_dir) if out_dir else Path(tmp)
        paths = export_models(models, clouds, labels, folder)
        hw = hw_rows(paths, {k: count_params(m) for k, m in models.items()}, tech, functional)
        per_layer = layer_rows(paths, tech)
    text = "\n\n".join([
        format_table(rows),
        f"Seed-0 models scored on the full {HW_POINTS}-point test clouds (PyTorch): dense "
        f"{100 * acc_full['dense']:.2f} %, All-DeBut {100 * acc_full['debut']:.2f} %.",
        format_hw_table(hw),
        format_layer_table(per_layer)])
    return text, {"rows": rows, "info": info, "accuracy_1024_points": acc_full, "hardware": hw, "layers": per_layer}
