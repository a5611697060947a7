"""Frequency analysis of natural vs adversarially trained models (``codesign robust frequency``).

Accuracy vs kept band b for low-pass (central b×b kept) and high-pass (central b×b removed)
inputs, clean and under PGD (the attacker differentiates through the filter), and the spectra of
PGD perturbations of each model (on unfiltered inputs). Models come from a previous
``robust train-eval`` run in the same output folder, else they are trained here (seed 0).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from codesign.atomic import write_text
from codesign.models.robustness.attacks import AttackConfig, pgd
from codesign.models.robustness.frequency import accuracy_vs_band, perturbation_spectrum, plot_accuracy_vs_band, plot_spectra, radial_profile
from codesign.scenarios.robustness.table import (
    ExperimentConfig,
    _write_csv,
    load_task,
    load_trained,
    train_methods,
)

__all__ = ["run_frequency", "FREQ_METHODS"]

FREQ_METHODS = ("natural", "AT", "AT-FR-SWA")


def get_models(cfg: ExperimentConfig, out: Path, methods=FREQ_METHODS, log=print):
    """Saved models from ``out`` if a train-eval run left them there, else train them now (seed 0)."""
    got = load_trained(out, methods, seed=0)
    if got is not None:
        log(f"using models saved in {out / 'models'} (seed 0)")
        return got
    log("no saved models found: training natural, AT(-SWA), AT-FR(-SWA) for seed 0")
    xtr, ytr, _, _ = load_task(cfg)
    models = train_methods(cfg, xtr, ytr, seed=0, log=log)
    from codesign.scenarios.robustness.table import save_models

    save_models(models, cfg, 0, out)
    return {m: models[m] for m in methods}, cfg


def run_frequency(cfg: ExperimentConfig, out: Path, n_eval: int = 200, pgd_steps: int = 10,
                  low_bands=(32, 28, 24, 20, 16, 12, 8), high_bands=(0, 2, 4, 8, 16), log=print) -> dict:
    """Write freq_table.{md,csv}, freq_lowpass.png, freq_highpass.png, perturbation_spectra.png to ``out``."""
    torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", "1"))))
    models, cfg = get_models(cfg, out, log=log)
    _, _, xte, yte = load_task(cfg)
    x, y = xte[:n_eval], yte[:n_eval]
    acfg = AttackConfig(eps=cfg.eps, alpha=2 / 255, steps=pgd_steps)

    def attack(m, xb, yb):
        return pgd(m, xb, yb, acfg)

    results: dict[str, dict] = {"low": {}, "high": {}}
    spectra: dict[str, np.ndarray] = {}
    rows = []
    for name, model in models.items():
        torch.manual_seed(0)
        for mode, bands in (("low", low_bands), ("high", high_bands)):
            r = accuracy_vs_band(model, x, y, list(bands), mode=mode, attack=attack)
            results[mode][name] = r
            for b, c, a in zip(r["band"], r["clean"], r["adv"]):
                rows.append({"model": name, "filter": f"{mode}-pass", "band": b, "clean": 100 * c, f"pgd{pgd_steps}": 100 * a})
            log(f"  {name} {mode}-pass: " + ", ".join(f"b={b}: {100 * c:.1f}/{100 * a:.1f}"
                                                      for b, c, a in zip(r["band"], r["clean"], r["adv"])))
        delta = attack(model, x, y) - x
        spectra[name] = perturbation_spectrum(delta)
    for name, s in spectra.items():
        radii, prof = radial_profile(s)
        share = prof / prof.sum()
        low = float(share[: len(share) // 2].sum())
        rows.append({"model": name, "filter": "perturbation spectrum", "band": -1, "clean": float("nan"),
                     f"pgd{pgd_steps}": float("nan"), "low_freq_share": 100 * low})
        log(f"  {name}: share of mean |FFT(δ)| at L∞ radius < {len(share) // 2}: {100 * low:.1f}%")
    plot_accuracy_vs_band(results["low"], out / "freq_lowpass.png",
                          f"low-pass (central b×b kept), {n_eval} images, PGD-{pgd_steps} through the filter")
    plot_accuracy_vs_band(results["high"], out / "freq_highpass.png",
                          f"high-pass (central b×b removed), {n_eval} images, PGD-{pgd_steps} through the filter")
    plot_spectra(spectra, out / "perturbation_spectra.png")
    _write_csv(out / "freq_table.csv", rows)
    write_text(out / "freq_table.md", format_freq_markdown(results, spectra, pgd_steps) + "\n")
    return {"results": results, "spectra": spectra}


def format_freq_markdown(results: dict, spectra: dict, pgd_steps: int) -> str:
    lines = []
    for mode, label in (("low", "low-pass: central b×b kept"), ("high", "high-pass: central b×b removed")):
        models = list(results[mode])
        bands = results[mode][models[0]]["band"]
        lines.append(f"{label}; cells: clean / PGD-{pgd_steps} accuracy (%)\n")
        lines.append("| model | " + " | ".join(f"b={b}" for b in bands) + " |")
        lines.append("|---|" + "---|" * len(bands))
        for m in models:
            r = results[mode][m]
            lines.append(f"| {m} | " + " | ".join(f"{100 * c:.1f} / {100 * a:.1f}" for c, a in zip(r["clean"], r["adv"])) + " |")
        lines.append("")
    lines.append("share of the perturbation's mean |FFT| in the low half of L∞ radii (radius < 8 of 16):\n")
    lines.append("| model | low-frequency share (%) |\n|---|---|")
    for m, s in spectra.items():
        _, prof = radial_profile(s)
        share = prof / prof.sum()
        lines.append(f"| {m} | {100 * share[: len(share) // 2].sum():.1f} |")
    return "\n".join(lines)
