"""DeBut at reduced scale: a LeNet-like CNN on scikit-learn digits (the MNIST stand-in).

Network (the paper's LeNet shapes on 8×8 digits): conv1 1→8 3×3 pad 2 (10×10) · ReLU ·
conv2 8→16 3×3 pad 1 · ReLU · maxpool 2 → 16×5×5 = 400 · fc1 400→128 · ReLU · fc2 128→64 ·
ReLU · fc3 64→10 (61.5K parameters, like the paper's 61.5K).

Rows: baseline; FC1 → DeBut (85% of FC1 removed, ALS warm start, and random init);
conv2+FC1+FC2 → DeBut; each DeBut row next to a truncated-SVD low-rank swap with the largest
rank that does not exceed the DeBut layer's parameter count; an all-DeBut network whose every
conv/linear chain comes from the generator alone (trained from random init).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, asdict

import numpy as np
import torch
from torch import nn

from codesign.models.debut.layers import DeButConv2d, DeButLinear, chain_params
from codesign.models.debut.chain import NoChainError, generate_chain
from codesign.models.debut.swap import (count_params, evaluate, finetune, lowrank_rank_for, swap_layers,
                                  swap_lowrank)

__all__ = ["lenet_digits", "count_macs", "load_digits_tensors", "run_table", "format_table", "DEBUT_PLAN",
           "all_debut_lenet"]

#: chains for the swapped layers, by generator options (input side first)
DEBUT_PLAN = {
    "fc1": {"budget": 7680},          # 15% of 51,200 (85% removed), as in the paper
    "conv2": {"budget": 576},         # 50% of 16×72
    "fc2": {"budget": 2048},          # 25% of 64×128
}


def lenet_digits(conv=nn.Conv2d, linear=nn.Linear, seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(OrderedDict([
        ("conv1", conv(1, 8, 3, padding=2)), ("relu1", nn.ReLU()),
        ("conv2", conv(8, 16, 3, padding=1)), ("relu2", nn.ReLU()),
        ("pool", nn.MaxPool2d(2)), ("flatten", nn.Flatten()),
        ("fc1", linear(400, 128)), ("relu3", nn.ReLU()),
        ("fc2", linear(128, 64)), ("relu4", nn.ReLU()),
        ("fc3", linear(64, 10)),
    ]))


def _gen_or_smallest(out_size: int, in_size: int, shrink: int) -> list:
    """Generator alone: a mono chain at the shrink level, else the fewest-parameter chain of any mode."""
    try:
        return generate_chain(out_size, in_size, shrink=shrink, mode="mono", pad=True)
    except NoChainError:
        return generate_chain(out_size, in_size, mode="any")


def all_debut_lenet(shrink: int = 2, seed: int = 0) -> nn.Sequential:
    """Every conv/linear of the LeNet is a DeBut layer with a generated chain (random init)."""
    torch.manual_seed(seed)
    def conv(ci, co, k, padding=0):
        return DeButConv2d(ci, co, k, _gen_or_smallest(co, ci * k * k, shrink), padding=padding, seed=seed)
    def linear(i, o):
        return DeButLinear(i, o, _gen_or_smallest(o, i, shrink), seed=seed)
    return lenet_digits(conv, linear, seed)


@torch.no_grad()
def count_macs(model: nn.Module, input_shape=(1, 8, 8)) -> int:
    """Multiply-accumulates of conv/linear (dense or DeBut) layers for one input."""
    total = [0]

    def hook(mod, inp, out):
        if isinstance(mod, (DeButLinear, DeButConv2d)):
            total[0] += mod.macs_per_vector() * (out[0, 0].numel() if out.dim() == 4 else 1)
        elif isinstance(mod, nn.Linear):
            total[0] += mod.in_features * mod.out_features
        elif isinstance(mod, nn.Conv2d):
            total[0] += out[0].numel() * mod.in_channels // mod.groups * mod.kernel_size[0] * mod.kernel_size[1]

    hooks = [m.register_forward_hook(hook) for m in model.modules()
             if isinstance(m, (nn.Linear, nn.Conv2d, DeButLinear, DeButConv2d))]
    model.eval()
    model(torch.zeros(1, *input_shape))
    for h in hooks:
        h.remove()
    return total[0]


def load_digits_tensors(seed: int = 0):
    from codesign.models.data.digits import load_digits_split

    sp = load_digits_split(seed=seed)
    return (torch.from_numpy(sp.x_train), torch.from_numpy(sp.y_train),
            torch.from_numpy(sp.x_test), torch.from_numpy(sp.y_test))


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
        acc.setdefault(key, []).append(evaluate(model, xte, yte))
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
                    acc.setdefault(f"{tag}-debut-{init}-noft", []).append(evaluate(m, xte, yte))
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
    rows = [Row(lbl, rep, ini, count_params(models[k]), count_macs(models[k]), float(np.mean(acc[k])), len(acc[k]))
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
