"""Dense vs All-DeBut PointNet on the simulated digital unit and crossbars (``codesign debut pointnet``).

The seed-0 dense and All-DeBut (random init) networks (:mod:`codesign.scenarios.debut.pointnet`) are exported at the point count
they were trained and scored at (``train_points``) — input (3, P, 1), shared MLP as 1×1 ``conv2d`` /
``debut_conv2d`` (BatchNorm folded into them), ``global_maxpool``, then ``linear`` / ``debut_linear`` — with
golden vectors and the first ``n_eval`` test clouds. Costs are per inference (one cloud) from
:meth:`codesign.sim.engine.Simulator.cost`: the digital unit (fp32, 64 MAC lanes) and the crossbars (default
CrossbarParams and ``tech``: 128×128 tiles with DeBut factors under the dense / block / diagonal mappings,
and 32×32 tiles with the diagonal mapping); energy and latency are also given for full 1,024-point clouds
(the same weights exported with input (3, 1024, 1), costs only). Functional runs: accuracy of every target
on the exported test clouds, and the golden check (same class, largest logit difference).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import torch

from codesign.models.data.pointclouds import to_model_input

#: points per cloud of the full clouds (cost-only columns)
FULL_POINTS = 1024


def _prepare(model):
    from codesign.models.debut.alldebut import fold_batchnorm_debut

    return fold_batchnorm_debut(copy.deepcopy(model).eval())


def export_models(models: dict[str, Any], clouds: np.ndarray, labels: np.ndarray, folder: Path, points: int,
                  n_golden: int = 8, n_eval: int = 100) -> dict[str, Path]:
    """Export each model at ``points`` points per cloud with golden and ``n_eval`` test clouds."""
    from codesign.models.export import export_model

    x = torch.from_numpy(to_model_input(clouds[:, :points]))
    paths = {}
    for name, model in models.items():
        path = Path(folder) / f"pointnet-{name}.h5"
        export_model(_prepare(model), path, golden_inputs=x[:n_golden], golden_labels=labels[:n_golden],
                     test_inputs=x[:n_eval], test_labels=labels[:n_eval], name=f"pointnet-{name}",
                     metadata={"network": "PointNet", "points": points, "variant": name})
        paths[name] = path
    return paths


def full_cloud_specs(models: dict[str, Any]) -> dict[str, Any]:
    """The same networks as ModelSpecs with (3, 1024, 1) inputs (no golden data; for costs)."""
    from codesign.models.export import model_spec

    return {name: model_spec(_prepare(m), input_shape=(3, FULL_POINTS, 1), name=f"pointnet-{name}-{FULL_POINTS}")
            for name, m in models.items()}


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


def _by_component(rep) -> dict[str, float]:
    out: dict[str, float] = {}
    for c in rep.layers:
        for comp, pj in c.energy_pj.items():
            out[comp] = out.get(comp, 0.0) + pj / 1e6
    return out


def _summary(rep) -> dict[str, Any]:
    xb = [c for c in rep.layers if c.target == "crossbar"]
    tiles = sum(int(c.mapping.get("tiles", 0)) for c in xb)
    util = sum(c.utilization * int(c.mapping.get("tiles", 0)) for c in xb) / max(tiles, 1)
    return {"energy_uj": rep.total_energy_pj / 1e6, "latency_us": rep.latency_ns / 1e3, "area_mm2": rep.area_mm2,
            "tiles": tiles if xb else None, "utilization": util if xb else None}


def hw_rows(paths: dict[str, Path], params: dict[str, int], full: dict[str, Any] | None = None,
            tech: str = "reram_1t1r", functional: bool = True) -> list[dict]:
    """One row per (model, target, mapping): costs per cloud (and per full cloud), accuracy on the test clouds."""
    from codesign.sim.engine import Simulator
    from codesign.sim.format import read_model

    rows = []
    for name, path in paths.items():
        spec = read_model(path)
        for target, mapping, hw in _configs(name != "dense", tech):
            sim = Simulator(spec, hw=hw)
            row = {"model": name, "target": target, "mapping": mapping, "params": params[name],
                   **_summary(sim.cost()), "accuracy": None, "golden_match": None, "max_abs_diff": None}
            if full is not None:
                big = Simulator(full[name], hw=hw).cost()
                row.update(energy_full_uj=big.total_energy_pj / 1e6, latency_full_us=big.latency_ns / 1e3,
                           energy_full_by_component_uj=_by_component(big))
            if functional:
                ev = sim.evaluate("testset", progress=False)
                row.update(accuracy=ev.accuracy, n_eval=ev.n, golden_match=ev.golden_match,
                           max_abs_diff=ev.golden_max_abs_diff)
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


def format_hw_table(rows: list[dict], points: int) -> str:
    lines = [f"| model | target | DeBut mapping | params | energy (µJ/cloud) | latency (µs) | area (mm²) | tiles | "
             f"utilization | energy, {FULL_POINTS} pts (µJ) | latency, {FULL_POINTS} pts (µs) | accuracy on target (%) | "
             "golden check |", "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        tiles = "–" if r["tiles"] is None else str(r["tiles"])
        util = "–" if r["utilization"] is None else f"{r['utilization']:.3f}"
        big = ("–", "–") if "energy_full_uj" not in r else (f"{r['energy_full_uj']:.1f}", f"{r['latency_full_us']:.0f}")
        acc = "–" if r["accuracy"] is None else f"{100 * r['accuracy']:.1f} ({r['n_eval']} clouds)"
        check = "–" if r["golden_match"] is None else (
            f"{100 * r['golden_match']:.0f} % same class, max abs(Δlogit) {r['max_abs_diff']:.2g}")
        lines.append(f"| {r['model']} | {r['target']} | {r['mapping']} | {r['params']:,} | {r['energy_uj']:.2f} | "
                     f"{r['latency_us']:.1f} | {r['area_mm2']:.3f} | {tiles} | {util} | {big[0]} | {big[1]} | {acc} | "
                     f"{check} |")
    return "\n".join(lines) + f"\n\n(energy, latency, area: per {points}-point cloud unless marked)"


def format_layer_table(rows: list[dict]) -> str:
    lines = ["| layer | dense energy (nJ) | dense tiles | All-DeBut energy (nJ) | All-DeBut tiles | DeBut / dense energy |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['layer']} | {r['dense_nj']:.1f} | {r['dense_tiles']} | {r['debut_nj']:.1f} | "
                     f"{r['debut_tiles']} | {r['debut_nj'] / max(r['dense_nj'], 1e-12):.2f} |")
    return "\n".join(lines)


def _train_seed(s, seed: int, cache_dir: str) -> int:
    """Worker: train (or find cached) every kind of one seed."""
    from codesign.scenarios.cache import set_cache_root
    from codesign.scenarios.debut.pointnet import KINDS, load_data, trained_model

    set_cache_root(cache_dir)
    data = load_data(s)
    for kind in KINDS:
        trained_model(kind, seed, s, data, log=lambda msg: None)
    return seed


def train_parallel(s, jobs: int, log=print) -> None:
    """Train the seeds in ``jobs`` worker processes (one thread each); results land in the cache."""
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing

    from codesign.scenarios.cache import cache_root

    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        for seed in pool.map(_train_seed, [s] * s.seeds, range(s.seeds), [str(cache_root())] * s.seeds):
            log(f"[pointnet] seed {seed}: every model trained")


def run_study(s, tech: str = "reram_1t1r", out_dir: Path | None = None, functional: bool = True,
              log=print, jobs: int = 1, n_eval: int = 100) -> tuple[str, dict]:
    """Accuracy table (all seeds), hardware table and per-layer table as Markdown, and the raw rows.
    ``jobs`` > 1 trains the seeds in that many processes first."""
    import tempfile

    from codesign.models.metrics import accuracy, count_params
    from codesign.scenarios.debut.pointnet import format_table, run_pointnet, trained_model

    if jobs > 1 and s.seeds > 1:
        train_parallel(s, min(jobs, s.seeds), log)
    rows, info = run_pointnet(s, log)
    data = info.pop("data")
    # All-DeBut from random init: the better All-DeBut recipe at this training budget
    models = {"dense": trained_model("dense", 0, s, data, log)[0], "debut": trained_model("debut-random", 0, s, data, log)[0]}
    clouds, labels = data["test_clouds"], data["yte"].numpy()
    x_full = torch.from_numpy(to_model_input(clouds[:, :FULL_POINTS]))
    acc_full = {k: accuracy(m, x_full, labels, batch_size=16) for k, m in models.items()}
    log("[pointnet] simulating dense and All-DeBut ...")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(out_dir) if out_dir else Path(tmp)
        paths = export_models(models, clouds, labels, folder, s.train_points, n_eval=n_eval)
        hw = hw_rows(paths, {k: count_params(m) for k, m in models.items()}, full_cloud_specs(models), tech, functional)
        per_layer = layer_rows(paths, tech)
    from codesign.scenarios.debut.pointnet import KINDS

    loss = {k: np.mean([trained_model(k, sd, s, data, log)[1]["final_loss"] for sd in range(s.seeds)]) for k in KINDS}
    digital = {r["model"]: r.get("energy_full_by_component_uj", {}) for r in hw if r["target"] == "digital fp32"}
    text = "\n\n".join([
        format_table(rows),
        "Final training loss (mean over seeds): " + ", ".join(f"{k} {v:.2f}" for k, v in loss.items()) + ".",
        f"Seed-0 models (dense; All-DeBut random init) scored on the full {FULL_POINTS}-point test clouds (PyTorch): "
        f"dense {100 * acc_full['dense']:.2f} %, All-DeBut {100 * acc_full['debut']:.2f} % (trained at {s.train_points}).",
        format_hw_table(hw, s.train_points),
        f"Digital unit, {FULL_POINTS}-point cloud, energy by component (µJ): " + "; ".join(
            f"{m}: " + ", ".join(f"{c} {v:.1f}" for c, v in sorted(comp.items())) for m, comp in digital.items()) + ".",
        format_layer_table(per_layer)])
    return text, {"rows": rows, "info": info, "accuracy_full_clouds": acc_full, "hardware": hw, "layers": per_layer}
