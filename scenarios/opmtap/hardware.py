"""Export the trained OPM classifiers to HDF5 and run them on the simulated hardware.

PECAN-D runs on the scenario's CAM (prototype search) + LUT/adders; the CNN on the digital MAC unit and on
analog crossbars. Per target: golden-prediction match and the prediction match vs PyTorch on held-out
windows, energy and latency per decision, and the average power of a monitoring node that makes one
decision per line every sampling period (one window covers all C channels of the line, so that is one
inference per period; dynamic energy only: leakage/idle power is not modelled). ``classifier_energy_pj``
leaves out the first layer, the average over the C channels, which every target runs on the digital unit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from codesign.models.export import export_model
from codesign.models.opm.windows import features, windows
from codesign.sim.engine import Simulator
from codesign.sim.hardware import HardwareConfig, crossbar_hw

#: variant -> [(target label, hardware transform)]
TARGETS = {"pecan_d": [("cam", lambda hw: hw)],
           "cnn": [("digital", lambda hw: hw), ("crossbar", crossbar_hw)]}


def pick_windows(label: np.ndarray, window: int, n: int, seed: int) -> np.ndarray:
    """``n`` decision times, as many per class as possible (round robin over the classes present)."""
    rng = np.random.default_rng(seed)
    pools = [rng.permutation(np.flatnonzero(label[window - 1:] == c) + window - 1) for c in np.unique(label)]
    out: list[int] = []
    i = 0
    while len(out) < n and any(i < len(p) for p in pools):
        out += [int(p[i]) for p in pools if i < len(p)][: n - len(out)]
        i += 1
    return np.sort(np.asarray(out, np.int64))


def run_hardware(models: dict, day, base, window: int, golden: int, n_windows: int, hw: HardwareConfig,
                 period_s: float, n_channels: int, outdir: Path, seed: int = 0, log=print) -> list[dict]:
    """Export every model, simulate it on its targets and return one row per (variant, target)."""
    feat = features(day, base)
    t_gold = pick_windows(day.label, window, golden, seed)
    t_test = pick_windows(day.label, window, n_windows, seed + 1)
    xg, xt = windows(feat, t_gold, window), windows(feat, t_test, window)
    rows = []
    for variant, model in models.items():
        path = outdir / f"{variant}.h5"
        export_model(model, path, golden_inputs=xg, golden_labels=day.label[t_gold], test_inputs=xt,
                     test_labels=day.label[t_test], name=f"opm-tap-{variant}",
                     metadata={"variant": variant, "window": window, "label_names": list(day.label_names)})
        with torch.no_grad():
            torch_pred = model.eval()(torch.from_numpy(xt)).argmax(1).numpy()
        for target, make_hw in TARGETS[variant]:
            sim = Simulator(path, hw=make_hw(hw))
            ev = sim.evaluate(which="golden", progress=False)
            res = sim.run(xt, progress=False)
            rep = res.report
            e_pj = float(rep.total_energy_pj)
            rows.append({"variant": variant, "target": target, "model_file": str(path),
                         "runs_on": "+".join(sorted({lc.target for lc in rep.layers})),
                         "golden_match": float(ev.golden_match), "golden_max_abs_logit_diff": float(ev.golden_max_abs_diff),
                         "test_match_vs_torch": float(np.mean(res.predictions == torch_pred)), "n_test": int(len(xt)),
                         "sim_accuracy": float(np.mean(res.predictions == day.label[t_test])),
                         "energy_pj": e_pj, "classifier_energy_pj": float(sum(
                             lc.total_energy_pj for lc in rep.layers if lc.layer_type != "avgpool2d")),
                         "latency_ns": float(rep.latency_ns), "area_mm2": float(rep.area_mm2),
                         "period_s": period_s, "n_channels": n_channels,
                         "node_power_nw": e_pj * 1e-3 / period_s,
                         "energy_by_component_pj": {k: float(v) for k, v in rep.energy_by_component_pj.items()}})
            log(f"  {variant} on {target}: golden match {100 * ev.golden_match:.0f}%, "
                f"{e_pj / 1e3:.2f} nJ/decision")
    return rows
