"""Robustness on simulated analog hardware (``codesign robust hardware``).

Natural, AT and AT-FR-SWA models are exported to HDF5 (``models/export.py``, BN folded) and run in the crossbar
simulator (``sim/executors/crossbar.py``: conv2d and linear on ReRAM crossbars, 8-bit weights on
2-bit cells, 8-bit bit-serial inputs, column ADCs) with programming noise σ and ADC bits swept.
Adversarial examples (PGD-20, ε = 8/255) are generated ONCE on the float software model
(white box) and replayed unchanged on the simulated hardware: a transfer setting — the attacker
does not know the programming noise of the chip.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import torch

from codesign.models.robustness.adversarial import accuracy
from codesign.models.robustness.attacks import AttackConfig, pgd
from codesign.scenarios.robustness.frequency import get_models
from codesign.scenarios.robustness.table import ExperimentConfig, _write_csv, load_task
from codesign.sim.atomic import save_figure, write_text

__all__ = ["run_hardware", "HW_METHODS"]

HW_METHODS = ("natural", "AT", "AT-FR-SWA")


def export(model, name: str, x: torch.Tensor, y: torch.Tensor, path: Path) -> Path:
    """HDF5 export with the shared exporter (``models/export.py``; BN folded into the convs)."""
    from codesign.models.export import export_model

    return Path(export_model(model, path, golden_inputs=x[:16], golden_labels=y[:16], name=name,
                             metadata={"producer_area": "robustness", "method": name}))


def run_hardware(cfg: ExperimentConfig, out: Path, n_eval: int = 200, noise=(0.0, 0.02, 0.05, 0.1),
                 adc_bits=(4, 6, 8), noise_seeds: int = 1, log=print) -> list[dict]:
    """Sweep σ × ADC bits for each model, clean and replayed-adversarial; write hw_table.*, hw_accuracy.png."""
    from codesign.sim.engine import Simulator
    from codesign.sim.hardware import crossbar_hw
    from codesign.sim.format import read_model

    torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", "1"))))
    models, cfg = get_models(cfg, out, methods=HW_METHODS, log=log)
    _, _, xte, yte = load_task(cfg)
    x, y = xte[:n_eval], yte[:n_eval]
    rows: list[dict] = []
    h5_dir = out / "hdf5"
    for name, model in models.items():
        torch.manual_seed(0)
        x_adv = pgd(model, x, y, AttackConfig(eps=cfg.eps, alpha=2 / 255, steps=20))
        sw_clean, sw_adv = accuracy(model, x, y), accuracy(model, x_adv, y)
        rows.append({"model": name, "target": "software (float)", "adc_bits": "", "noise_sigma": "",
                     "clean": 100 * sw_clean, "pgd20_replayed": 100 * sw_adv})
        path = export(model, name, x, y, h5_dir / f"{name}.h5")
        spec = read_model(path)
        log(f"  {name}: software clean {100 * sw_clean:.1f}%, PGD-20 {100 * sw_adv:.1f}%; exported {path}")
        xn, xa = x.numpy(), x_adv.numpy()
        yn = y.numpy()
        for bits in adc_bits:
            for sigma in noise:
                accs_c, accs_a = [], []
                t0 = time.perf_counter()
                for s in range(noise_seeds if sigma > 0 else 1):
                    sim = Simulator(spec, hw=crossbar_hw(adc_bits=int(bits), prog_noise_sigma=float(sigma), seed=s))
                    accs_c.append(float(np.mean(sim.run(xn, progress=False).predictions == yn)))
                    accs_a.append(float(np.mean(sim.run(xa, progress=False).predictions == yn)))
                row = {"model": name, "target": "crossbar", "adc_bits": int(bits), "noise_sigma": float(sigma),
                       "clean": 100 * float(np.mean(accs_c)), "pgd20_replayed": 100 * float(np.mean(accs_a))}
                rows.append(row)
                log(f"    ADC {bits} bit, σ={sigma}: clean {row['clean']:.1f}%, replayed PGD-20 "
                    f"{row['pgd20_replayed']:.1f}% ({time.perf_counter() - t0:.0f} s)")
    _write_csv(out / "hw_table.csv", rows)
    write_text(out / "hw_table.md", format_hw_markdown(rows, n_eval) + "\n")
    plot_hw(rows, out / "hw_accuracy.png", n_eval)
    return rows


def format_hw_markdown(rows: list[dict], n_eval: int) -> str:
    lines = [f"accuracy (%) on {n_eval} test images; adversarial = PGD-20 examples made on the float model, "
             "replayed on the hardware\n",
             "| model | target | ADC bits | noise σ | clean | PGD-20 (replayed) |", "|---|---|---|---|---|---|"]
    for r in rows:
        sig = "" if r["noise_sigma"] == "" else f"{r['noise_sigma']:g}"
        lines.append(f"| {r['model']} | {r['target']} | {r['adc_bits']} | {sig} | {r['clean']:.1f} | {r['pgd20_replayed']:.1f} |")
    return "\n".join(lines)


def plot_hw(rows: list[dict], path: Path, n_eval: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hw = [r for r in rows if r["target"] == "crossbar"]
    bits = sorted({r["adc_bits"] for r in hw})
    models = list(dict.fromkeys(r["model"] for r in hw))
    fig, axes = plt.subplots(1, len(bits), figsize=(4 * len(bits), 3.6), sharey=True, squeeze=False)
    for ax, b in zip(axes[0], bits):
        for i, m in enumerate(models):
            rs = sorted((r for r in hw if r["model"] == m and r["adc_bits"] == b), key=lambda r: r["noise_sigma"])
            s = [r["noise_sigma"] for r in rs]
            ax.plot(s, [r["clean"] for r in rs], "-o", color=f"C{i}", label=f"{m} clean")
            ax.plot(s, [r["pgd20_replayed"] for r in rs], "--s", color=f"C{i}", label=f"{m} PGD-20 (replayed)")
        ax.set_title(f"ADC {b} bit", fontsize=9)
        ax.set_xlabel("programming noise σ (of the level range)")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(f"accuracy (%), {n_eval} images")
    axes[0][-1].legend(fontsize=6)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
