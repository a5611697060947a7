"""Reduced-scale reproduction of FR/SAR + weight averaging (``codesign robust train-eval``).

Methods: natural, AT (PGD-AT), AT-SWA, AT-FR, AT-FR-SWA. Three training runs per seed: natural,
AT-SWA (its non-averaged model is AT) and AT-FR-SWA (its non-averaged model is AT-FR).
Evaluation (white box, L∞ ε = 8/255): clean, PGD-20 (torchattacks, α = 2/255, random start),
C&W∞ (our 30-step PGD on the CW margin loss), AutoAttack (torchattacks, see ``autoattack_label``)
on the first ``n_aa`` test images. Accuracies are means (± std) over training seeds; the data set
is the same for every seed (data seed 0).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from codesign.models.metrics import accuracy
from codesign.models.nets.small_cnn import small_cnn
from codesign.models.robustness.adversarial import RobustTrainConfig, train_robust
from codesign.models.robustness.attacks import AttackConfig, autoattack, autoattack_label, cw_linf, pgd
from codesign.atomic import replacing, save_figure, write_csv, write_text
from codesign.errors import CodesignError

__all__ = ["ExperimentConfig", "load_task", "train_methods", "evaluate_model", "run_train_eval",
           "load_trained", "METHOD_ORDER"]

METHOD_ORDER = ("natural", "AT", "AT-SWA", "AT-FR", "AT-FR-SWA")


class RobustExperimentError(CodesignError, ValueError):
    """Bad robustness experiment setup (dataset, data folder)."""


@dataclass
class ExperimentConfig:
    """Sizes of one reproduction. ``preset(full)`` gives the default (minutes) or ``--full`` sizes."""

    dataset: str = "shapes10"
    cifar_dir: str | None = None
    n_train: int = 3000
    n_test: int = 400
    n_aa: int = 100
    epochs: int = 10
    width: int = 8
    train_steps: int = 5  # PGD steps of the training attack (the paper: 10)
    train_alpha: float = 2 / 255
    eps: float = 8 / 255
    fr_lambda: float = 0.1
    seeds: int = 2
    eval_pgd_steps: int = 20
    cw_steps: int = 30
    aa_version: str = "standard"
    eval_alpha: float = 2 / 255  # PGD-20 and C&W∞ step size
    extra: dict = field(default_factory=dict)

    @classmethod
    def preset(cls, full: bool = False, **over) -> "ExperimentConfig":
        base = cls(n_train=10000, n_test=1000, n_aa=500, epochs=30, width=16, train_steps=10, seeds=3) if full else cls()
        for k, v in over.items():
            if v is not None:
                setattr(base, k, v)
        return base

    def train_config(self, method: str, seed: int) -> RobustTrainConfig:
        atk = AttackConfig(eps=self.eps, alpha=self.train_alpha, steps=self.train_steps, random_start=True)
        return RobustTrainConfig(method=method, epochs=self.epochs, width=self.width, attack=atk,
                                 fr_lambda=self.fr_lambda, seed=seed)


def load_task(cfg: ExperimentConfig):
    """(xtr, ytr, xte, yte) as torch tensors: shapes10 (procedural) or CIFAR-10 from local pickles."""
    if cfg.dataset == "shapes10":
        from codesign.models.data.shapes import make_shapes_dataset

        arrs = make_shapes_dataset(cfg.n_train, cfg.n_test, seed=0)
    elif cfg.dataset == "cifar10":
        from codesign.models.data.cifar import load_cifar10

        if not cfg.cifar_dir:
            raise RobustExperimentError("dataset cifar10 needs --cifar DIR (the extracted cifar-10-batches-py folder)")
        c = load_cifar10(cfg.cifar_dir)
        xtr, ytr, xte, yte = c.x_train, c.y_train, c.x_test, c.y_test
        arrs = (xtr[: cfg.n_train], ytr[: cfg.n_train], xte[: cfg.n_test], yte[: cfg.n_test])
    else:
        raise RobustExperimentError(f"unknown dataset {cfg.dataset!r}; expected 'shapes10' or 'cifar10'")
    return tuple(torch.from_numpy(np.ascontiguousarray(a)) for a in arrs)


def train_methods(cfg: ExperimentConfig, xtr, ytr, seed: int, progress: bool = False, log=print) -> dict:
    """Train natural, AT(-SWA) and AT-FR(-SWA) for one seed → {method: model}."""
    models: dict[str, torch.nn.Module] = {}
    for run in ("natural", "AT-SWA", "AT-FR-SWA"):
        t0 = time.perf_counter()
        snaps: dict = {}
        model, hist = train_robust(cfg.train_config(run, seed), xtr, ytr, progress=progress, snapshots=snaps)
        models[run] = model
        models.update(snaps)
        log(f"  seed {seed} {run}: {time.perf_counter() - t0:.0f} s, final train acc {hist[-1]['train_acc']:.3f}")
    return {m: models[m] for m in METHOD_ORDER}


def evaluate_model(model, x, y, cfg: ExperimentConfig, seed: int = 0, autoattack_on: bool = True) -> dict:
    """Accuracies (fractions): clean, pgd20, cw, autoattack (first ``n_aa`` images; also clean_aa_subset)."""
    model.eval()
    torch.manual_seed(10_000 + seed)  # torchattacks' random start uses the global RNG
    gen = torch.Generator().manual_seed(20_000 + seed)
    pgd_cfg = AttackConfig(eps=cfg.eps, alpha=cfg.eval_alpha, steps=cfg.eval_pgd_steps)
    out = {"clean": accuracy(model, x, y)}
    out["pgd20"] = accuracy(model, pgd(model, x, y, pgd_cfg), y)
    out["cw"] = accuracy(model, cw_linf(model, x, y, eps=cfg.eps, alpha=cfg.eval_alpha, steps=cfg.cw_steps, generator=gen), y)
    if autoattack_on and cfg.n_aa > 0:
        xa, ya = x[: cfg.n_aa], y[: cfg.n_aa]
        out["autoattack"] = accuracy(model, autoattack(model, xa, ya, eps=cfg.eps, version=cfg.aa_version, seed=seed), ya)
        out["clean_aa_subset"] = accuracy(model, xa, ya)
    return out


METRICS = ("clean", "pgd20", "cw", "autoattack")


def summarize(per_seed: list[dict]) -> list[dict]:
    """Mean/std over seeds per method (percent)."""
    rows = []
    for m in METHOD_ORDER:
        rs = [r for r in per_seed if r["method"] == m]
        if not rs:
            continue
        row = {"method": m, "seeds": len(rs)}
        for k in METRICS:
            vals = [100 * r[k] for r in rs if k in r]
            if vals:
                row[k] = float(np.mean(vals))
                row[k + "_std"] = float(np.std(vals))
        rows.append(row)
    return rows


def format_markdown(rows: list[dict]) -> str:
    head = "| method | clean | PGD-20 | C&W∞ | AutoAttack |\n|---|---|---|---|---|"
    lines = [head]
    for r in rows:
        cells = [f"{r[k]:.1f} ± {r[k + '_std']:.1f}" if k in r else "–" for k in METRICS]
        lines.append(f"| {r['method']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _write_csv(path: Path, rows: list[dict]) -> None:
    """Rows as CSV (columns: every key, in order of first appearance), written atomically."""
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    write_csv(path, rows, keys)


def plot_bars(rows: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.8))
    w = 0.8 / len(METRICS)
    for j, k in enumerate(METRICS):
        xs = np.arange(len(rows)) + (j - (len(METRICS) - 1) / 2) * w
        ax.bar(xs, [r.get(k, np.nan) for r in rows], w, yerr=[r.get(k + "_std", 0) for r in rows],
               label={"pgd20": "PGD-20", "cw": "C&W∞", "autoattack": "AutoAttack"}.get(k, k), capsize=2)
    ax.set_xticks(np.arange(len(rows)), [r["method"] for r in rows])
    ax.set_ylabel("accuracy (%)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


def save_models(models: dict, cfg: ExperimentConfig, seed: int, out: Path) -> None:
    d = out / "models"
    for m, model in models.items():
        with replacing(d / f"{m}_s{seed}.pt") as tmp:
            torch.save(model.state_dict(), tmp)
    write_text(d / "config.json", json.dumps(asdict(cfg), indent=2))


def load_trained(out: Path, methods, seed: int = 0) -> tuple[dict, ExperimentConfig] | None:
    """Models saved by ``run_train_eval`` in ``out`` (None if any is missing)."""
    d = Path(out) / "models"
    if not (d / "config.json").is_file():
        return None
    cfg = ExperimentConfig(**json.loads((d / "config.json").read_text()))
    models = {}
    for m in methods:
        f = d / f"{m}_s{seed}.pt"
        if not f.is_file():
            return None
        model = small_cnn(cfg.width)
        model.load_state_dict(torch.load(f, map_location="cpu"))
        models[m] = model.eval()
    return models, cfg


def run_train_eval(cfg: ExperimentConfig, out: Path, progress: bool = False, log=print) -> list[dict]:
    """Train and evaluate every method for ``cfg.seeds`` seeds; write tables, plot and models to ``out``."""
    torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", "1"))))
    xtr, ytr, xte, yte = load_task(cfg)
    log(f"{cfg.dataset}: {len(xtr)} train / {len(xte)} test images; {cfg.epochs} epochs, width {cfg.width}, "
        f"training attack PGD-{cfg.train_steps}; AutoAttack on {cfg.n_aa} images: {autoattack_label(cfg.aa_version)}")
    per_seed = []
    for seed in range(cfg.seeds):
        models = train_methods(cfg, xtr, ytr, seed, progress=progress, log=log)
        save_models(models, cfg, seed, out)
        for m, model in models.items():
            t0 = time.perf_counter()
            r = evaluate_model(model, xte, yte, cfg, seed)
            per_seed.append({"method": m, "seed": seed, **r})
            log(f"  seed {seed} {m}: " + ", ".join(f"{k} {100 * v:.1f}" for k, v in r.items())
                + f" ({time.perf_counter() - t0:.0f} s)")
    rows = summarize(per_seed)
    _write_csv(out / "robust_per_seed.csv", per_seed)
    _write_csv(out / "robust_table.csv", rows)
    md = format_markdown(rows)
    write_text(out / "robust_table.md", md + "\n")
    plot_bars(rows, out / "robust_accuracy.png",
              f"{cfg.dataset}, mean over {cfg.seeds} seed(s), ε = 8/255 (AutoAttack on {cfg.n_aa} images)")
    return rows
