"""Compression experiments on the shapes10 task (or local CIFAR-10): kernel tensor view
(DP/PD/PDP), ShiftResNet with shift-layer pruning, and EZCrop vs rank/L1/random pruning.

Trained models are cached under ``cache_dir`` (keyed by the configuration), so
``codesign compress hw`` reuses what ``codesign compress tensor-view`` trained.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from codesign.atomic import replacing
from codesign.models.compression import ezcrop as ez
from codesign.models.compression.training import fine_tune, train
from codesign.models.nets.resnets import SmallResNet
from codesign.models.data.cifar import load_cifar10
from codesign.models.data.shapes import make_shapes_dataset
from codesign.models.metrics import accuracy, count_macs, count_params
from codesign.models.compression.shift import ShiftResNet, prune_shifts, select_shifts
from codesign.models.compression.tensor_view import decompose_model


@dataclass
class CompressConfig:
    n_train: int = 4000
    n_test: int = 1000
    n_val: int = 256          # held-out batch for shift selection (not used for training)
    epochs: int = 10          # base training
    ft_epochs: int = 2        # fine-tuning after each structural change
    seed: int = 0
    widths: tuple = (16, 32, 64)
    blocks: tuple = (1, 1, 1)
    shift_expansion: int = 3
    shift_saving: float = 0.5  # target fraction of ShiftResNet params removed by shift pruning
    cifar_dir: str | None = None

    @classmethod
    def full(cls, **kw) -> "CompressConfig":
        base = dict(n_train=10000, n_test=2000, epochs=30, ft_epochs=5, blocks=(2, 2, 2))
        base.update(kw)
        return cls(**base)

    def key(self) -> str:
        return hashlib.sha1(json.dumps(asdict(self), sort_keys=True, default=str).encode()).hexdigest()[:10]


def load_data(cfg: CompressConfig):
    """(xtr, ytr, xval, yval, xte, yte) for the configuration."""
    if cfg.cifar_dir:
        c = load_cifar10(cfg.cifar_dir)
        xtr, ytr, xte, yte = c.x_train, c.y_train, c.x_test, c.y_test
        rng = np.random.default_rng(cfg.seed)
        idx = rng.permutation(len(xtr))[: cfg.n_train + cfg.n_val]
        xtr, ytr = xtr[idx], ytr[idx]
        xte, yte = xte[: cfg.n_test], yte[: cfg.n_test]
    else:
        xtr, ytr, xte, yte = make_shapes_dataset(cfg.n_train + cfg.n_val, cfg.n_test, seed=cfg.seed)
    n = cfg.n_train
    return xtr[:n], ytr[:n], xtr[n:], ytr[n:], xte, yte


def _cached(cache_dir: Path | None, name: str, cfg: CompressConfig, build):
    """Return a cached trained module or build + cache it (torch.save of the whole module)."""
    path = None if cache_dir is None else Path(cache_dir) / f"{name}-{cfg.key()}.pt"
    if path is not None and path.is_file():
        return torch.load(path, weights_only=False)
    model = build()
    if path is not None:
        with replacing(path) as tmp:
            torch.save(model, tmp)
    return model


def dense_model(cfg: CompressConfig, data, cache_dir: Path | None, log=print):
    def build():
        log(f"training dense ResNet ({cfg.epochs} epochs, {len(data[0])} images)")
        torch.manual_seed(cfg.seed)
        return train(SmallResNet(cfg.widths, cfg.blocks), data[0], data[1], epochs=cfg.epochs, seed=cfg.seed)
    return _cached(cache_dir, "dense", cfg, build)


def shift_model(cfg: CompressConfig, data, cache_dir: Path | None, log=print):
    def build():
        log(f"training ShiftResNet ({cfg.epochs} epochs)")
        torch.manual_seed(cfg.seed)
        return train(ShiftResNet(cfg.widths, cfg.blocks, cfg.shift_expansion), data[0], data[1],
                     epochs=cfg.epochs, seed=cfg.seed)
    return _cached(cache_dir, "shift", cfg, build)


#: tensor-view variants: (name, form, rank) — PDP rank is a multiple of each conv's out_channels
TV_VARIANTS = [("DP m=1", "dp", 1), ("DP m=2", "dp", 2), ("PD m=1", "pd", 1), ("PD m=2", "pd", 2),
               ("PDP R=0.25co", "pdp", 0.25), ("PDP R=0.5co", "pdp", 0.5), ("PDP R=1co", "pdp", 1.0)]


def _row(name, model, data, acc_before=None, **extra):
    xte, yte = data[4], data[5]
    row = {"variant": name, "acc": 100 * accuracy(model, xte, yte), "acc_no_ft": acc_before,
           "params": count_params(model), "macs": count_macs(model, xte.shape[1:])}
    row.update(extra)
    return row


def tensor_view_variants(cfg: CompressConfig, cache_dir: Path | None = None, log=print):
    """Rows (accuracy/params/MACs) and trained modules for dense, DP, PD, PDP, ShiftResNet (pruned)."""
    data = load_data(cfg)
    xtr, ytr, xval, yval = data[:4]
    dense = dense_model(cfg, data, cache_dir, log)
    shift = shift_model(cfg, data, cache_dir, log)
    rows, models = [_row("dense ResNet", dense, data)], {"dense ResNet": dense}
    for name, form, rank in TV_VARIANTS:
        def build(form=form, rank=rank, name=name):
            log(f"decomposing: {name}")
            m = decompose_model(copy.deepcopy(dense), form, rank, seed=cfg.seed)
            m.acc_no_ft = 100 * accuracy(m, data[4], data[5])
            return fine_tune(m, xtr, ytr, epochs=cfg.ft_epochs, seed=cfg.seed + 1)
        m = _cached(cache_dir, name.replace(" ", "_").replace("=", ""), cfg, build)
        rows.append(_row(name, m, data, getattr(m, "acc_no_ft", None)))
        models[name] = m
    rows.append(_row("ShiftResNet", shift, data))
    models["ShiftResNet"] = shift

    def pruned():
        log("shift-layer pruning")
        m = copy.deepcopy(shift)
        sel = select_shifts(m, xval, yval, target_saving=cfg.shift_saving)
        prune_shifts(m, [r["index"] for r in sel if r["selected"]])
        m.shift_selection = sel
        m.acc_no_ft = 100 * accuracy(m, data[4], data[5])
        return fine_tune(m, xtr, ytr, epochs=cfg.ft_epochs, seed=cfg.seed + 1)

    sp = _cached(cache_dir, "shift_pruned", cfg, pruned)
    sel = sp.shift_selection
    rows.append(_row("ShiftResNet pruned", sp, data, sp.acc_no_ft,
                     shifts_removed=f"{sum(r['selected'] for r in sel)}/{len(sel)}"))
    models["ShiftResNet pruned"] = sp
    return rows, models, data


def ezcrop_experiment(cfg: CompressConfig, ratios=(0.5,), seeds=(0, 1, 2), n_score: int = 256,
                      cache_dir: Path | None = None, log=print):
    """Accuracy after fine-tuning per (ratio, method) over seeds, and score timings."""
    data = load_data(cfg)
    xtr, ytr, _, _, xte, yte = data
    dense = dense_model(cfg, data, cache_dir, log)
    xs = xtr[:n_score]
    timing = {}
    scores = {}
    for method in ez.METHODS:
        if method == "random":
            continue
        s, secs = ez.collect_scores(dense, xs, method)
        scores[method] = s
        timing[method] = secs
    rows = []
    for ratio in ratios:
        for method in ez.METHODS:
            accs, accs0 = [], []
            for seed in seeds:
                m = copy.deepcopy(dense)
                convs_old = list(scores["l1"])  # same block order in every copy
                s = scores.get(method) if method != "random" else ez.collect_scores(dense, xs, "random", seed=seed)[0]
                mapping = dict(zip(convs_old, [mm.conv1 for mm in ez._block_convs(m)]))
                ez.prune_channels(m, {mapping[c]: v for c, v in s.items()}, ratio)
                accs0.append(100 * accuracy(m, xte, yte))
                fine_tune(m, xtr, ytr, epochs=cfg.ft_epochs, seed=cfg.seed + 100 + seed)
                accs.append(100 * accuracy(m, xte, yte))
            log(f"ratio {ratio} {method}: {np.mean(accs):.2f}")
            rows.append({"ratio": ratio, "method": method, "acc_mean": float(np.mean(accs)),
                         "acc_std": float(np.std(accs)), "acc_no_ft_mean": float(np.mean(accs0)),
                         "params": count_params(m), "macs": count_macs(m, xte.shape[1:]), "seeds": len(seeds)})
    base = {"acc": 100 * accuracy(dense, xte, yte), "params": count_params(dense),
            "macs": count_macs(dense, xte.shape[1:])}
    timing = {"n_images": len(xs), "ezcrop_s": timing["ezcrop"], "rank_s": timing["rank"],
              "ezcrop_faster_pct": 100.0 * (1 - timing["ezcrop"] / timing["rank"])}
    return rows, base, timing


def ezcrop_variant(cfg: CompressConfig, dense, data, ratio: float, cache_dir: Path | None = None, log=print):
    """The dense model pruned by EZCrop at ``ratio`` and fine-tuned (cached)."""
    def build():
        log(f"EZCrop pruning {ratio:.2f}")
        m = copy.deepcopy(dense)
        s, _ = ez.collect_scores(m, data[0][:256], "ezcrop")
        ez.prune_channels(m, s, ratio)
        return fine_tune(m, data[0], data[1], epochs=cfg.ft_epochs, seed=cfg.seed + 1)
    return _cached(cache_dir, f"ezcrop{int(round(ratio * 100))}", cfg, build)


def format_tv(rows) -> str:
    lines = ["| variant | acc % (after FT) | acc % before FT | params | MACs | note |", "|---|---:|---:|---:|---:|---|"]
    for r in rows:
        b = "–" if r.get("acc_no_ft") is None else f"{r['acc_no_ft']:.1f}"
        note = f"shifts removed {r['shifts_removed']}" if "shifts_removed" in r else ""
        lines.append(f"| {r['variant']} | {r['acc']:.1f} | {b} | {r['params']:,} | {r['macs']:,} | {note} |")
    return "\n".join(lines)


def format_ez(rows, base, timing) -> str:
    lines = [f"base: acc {base['acc']:.1f} %, params {base['params']:,}, MACs {base['macs']:,}", "",
             "| ratio | method | acc % after FT (mean ± std) | acc % before FT | params | MACs | seeds |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['ratio']:.2f} | {r['method']} | {r['acc_mean']:.2f} ± {r['acc_std']:.2f} | "
                     f"{r['acc_no_ft_mean']:.1f} | {r['params']:,} | {r['macs']:,} | {r['seeds']} |")
    lines += ["", f"score time on {timing['n_images']} images (same run): EZCrop {timing['ezcrop_s']:.3f} s, "
              f"rank (SVD) {timing['rank_s']:.3f} s → EZCrop {timing['ezcrop_faster_pct']:.0f} % faster"]
    return "\n".join(lines)

