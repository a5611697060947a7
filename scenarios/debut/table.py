"""DeBut at reduced scale: a LeNet-like CNN on scikit-learn digits (the MNIST stand-in).

Network: :func:`codesign.models.nets.lenet.lenet_digits` (the paper's LeNet shapes on 8×8 digits,
61.5K parameters, like the paper's 61.5K); swapped layers' chains: ``DEBUT_PLAN`` there.

Rows: baseline; FC1 → DeBut (85% of FC1 removed, ALS warm start, and random init);
conv2+FC1+FC2 → DeBut; each DeBut row next to a truncated-SVD low-rank swap with the largest
rank that does not exceed the DeBut layer's parameter count; an all-DeBut network whose every
conv/linear chain comes from the generator alone (trained from random init).
"""

from __future__ import annotations

from dataclasses import dataclass, asdict

import numpy as np
import torch
from torch import nn

from codesign.models.data.digits import load_digits_tensors
from codesign.models.debut.layers import DeButConv2d, DeButLinear, chain_params
from codesign.models.debut.swap import finetune, lowrank_rank_for, swap_layers, swap_lowrank
from codesign.models.metrics import accuracy, count_macs, count_params
from codesign.models.nets.lenet import DEBUT_PLAN, INPUT_SHAPE, all_debut_lenet, lenet_digits

__all__ = ["run_table", "format_table", "rows_as_dicts"]


@dataclass
class Row:
    model: str
    replaced: str
    init: str
    params: int
    macs: int
    accuracy: float
    seeds: int


def _layer_params(model: nn.Module, names) -> int:
    return sum(count_params(model.get_submodule(n)) for n in names)


def run_table(quick: bool = False, seeds: int | None = None, progress: bool = False) -> tuple[list[Row], dict]:
    """Train/swap/fine-tune every variant; accuracy is the mean over seeds (data split fixed)."""
    torch.set_num_threads(1)
    n_seeds = seeds or (1 if quick else 3)
    ep_base, ep_ft = (15, 8) if quick else (30, 15)
    xtr, ytr, xte, yte = load_digits_tensors(0)
    acc: dict[str, list[float]] = {}
    models: dict[str, nn.Module] = {}
    info: dict = {}

    def record(key, model):
        acc.setdefault(key, []).append(accuracy(model, xte, yte))
        models[key] = model

    for seed in range(n_seeds):
        base = lenet_digits(seed=seed)
        finetune(base, xtr, ytr, epochs=ep_base, seed=seed)
        record("baseline", base)
        for tag, names in (("fc1", ["fc1"]), ("c2f1f2", ["conv2", "fc1", "fc2"])):
            plan = {n: DEBUT_PLAN[n] for n in names}
            for init in ("als", "random") if tag == "fc1" else ("als",):
                m = swap_layers(base, plan, init=init, seed=seed)
                if seed == 0:
                    acc.setdefault(f"{tag}-debut-{init}-noft", []).append(accuracy(m, xte, yte))
                finetune(m, xtr, ytr, epochs=ep_ft, lr=2e-3, seed=seed)
                record(f"{tag}-debut-{init}", m)
            d = models[f"{tag}-debut-als"]
            ranks = {}
            for n in names:
                mod = base.get_submodule(n)
                o, i = (mod.out_features, mod.in_features) if isinstance(mod, nn.Linear) else \
                    (mod.out_channels, mod.weight[0].numel())
                ranks[n] = lowrank_rank_for(o, i, chain_params(d.get_submodule(n).chain))
            info[f"{tag}-ranks"] = ranks
            m = swap_lowrank(base, ranks)
            finetune(m, xtr, ytr, epochs=ep_ft, lr=2e-3, seed=seed)
            record(f"{tag}-lowrank", m)
        alld = all_debut_lenet(seed=seed)
        finetune(alld, xtr, ytr, epochs=ep_base, seed=seed)
        record("all-debut", alld)

    labels = {
        "baseline": ("LeNet baseline", "-", "-"),
        "fc1-debut-als": ("FC1 → DeBut", "fc1", "ALS + fine-tune"),
        "fc1-debut-random": ("FC1 → DeBut", "fc1", "random + fine-tune"),
        "fc1-lowrank": ("FC1 → low-rank SVD", "fc1", "SVD + fine-tune"),
        "c2f1f2-debut-als": ("CONV2+FC1+FC2 → DeBut", "conv2,fc1,fc2", "ALS + fine-tune"),
        "c2f1f2-lowrank": ("CONV2+FC1+FC2 → low-rank SVD", "conv2,fc1,fc2", "SVD + fine-tune"),
        "all-debut": ("all-DeBut (generator only)", "all", "random, trained"),
    }
    rows = [Row(lbl, rep, ini, count_params(models[k]), count_macs(models[k], INPUT_SHAPE), float(np.mean(acc[k])),
                len(acc[k]))
            for k, (lbl, rep, ini) in labels.items()]
    base = models["baseline"]
    info["fc1_removed_pct"] = 100.0 * (1 - _layer_params(models["fc1-debut-als"], ["fc1"]) / _layer_params(base, ["fc1"]))
    info["fc1_chain"] = [f.as_list() for f in models["fc1-debut-als"].fc1.chain]
    info["no_finetune_acc"] = {k: float(np.mean(v)) for k, v in acc.items() if k.endswith("noft")}
    info["all_debut_chains"] = {n: [f.as_list() for f in m.chain] for n, m in models["all-debut"].named_modules()
                                if isinstance(m, (DeButLinear, DeButConv2d))}
    info["epochs"] = {"baseline": ep_base, "finetune": ep_ft}
    info["models"] = models
    return rows, info


def format_table(rows: list[Row]) -> str:
    base = rows[0]
    lines = ["| model | replaced | init | params | MACs | accuracy (%) | Δ vs baseline (pts) |",
             "|---|---|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.model} | {r.replaced} | {r.init} | {r.params:,} | {r.macs:,} | "
                     f"{100 * r.accuracy:.2f} | {100 * (r.accuracy - base.accuracy):+.2f} |")
    return "\n".join(lines)


def rows_as_dicts(rows: list[Row]) -> list[dict]:
    return [asdict(r) for r in rows]
