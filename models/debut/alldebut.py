"""All-DeBut: every ``nn.Conv2d`` / ``nn.Linear`` of a network as a DeBut chain, under a parameter ratio.

:func:`plan_for_ratio` picks one generated chain per layer (``models/debut/chain.py``, mono mode,
7-smooth padding allowed) so that the whole network — chains plus every parameter that stays
(biases, BatchNorm) — has at most ``ratio`` × the dense network's parameters: layer l gets the
budget ``max(smallest chain, f·out·in)`` and ``f`` is the largest value on a 1/1000 grid that fits.
Equal-parameter baselines for the same layers: :func:`lowrank_ranks` (truncated SVD, rank r with
r·(in+out) ≤ the chain's parameters) and :func:`prune_to` (keep the largest-magnitude weights, as
many as the chain has parameters). :func:`fold_batchnorm_debut` folds a BatchNorm2d that follows
a DeButConv2d into its last factor and bias (export).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import prune

from codesign.models.debut.chain import NoChainError, generate_chains
from codesign.models.debut.layers import DeButConv2d, Factor, chain_params
from codesign.models.debut.swap import _sizes

__all__ = ["dense_layers", "plan_for_ratio", "lowrank_ranks", "prune_to", "remove_pruning", "nonzero_params",
           "fold_batchnorm_debut"]


def dense_layers(model: nn.Module) -> dict[str, tuple[int, int]]:
    """{module name: (out, in)} of every nn.Conv2d / nn.Linear (conv: in = ci·kh·kw)."""
    return {n: _sizes(m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))}


def _chain(out_size: int, in_size: int, budget: int | None) -> list[Factor]:
    try:
        return generate_chains(out_size, in_size, budget=budget, mode="mono", pad=True)[0].chain
    except NoChainError:
        if budget is None:
            raise
        return generate_chains(out_size, in_size, mode="mono", pad=True)[0].chain  # the smallest chain


def plan_for_ratio(model: nn.Module, ratio: float = 0.05) -> dict[str, list[Factor]]:
    """{layer name: chain} with (chains + other parameters) ≤ ratio × parameters of ``model``."""
    layers = dense_layers(model)
    total = sum(p.numel() for p in model.parameters())
    kept = total - sum(o * i for o, i in layers.values())  # biases, BatchNorm
    target = ratio * total - kept

    def plan(f: float | None) -> dict[str, list[Factor]]:
        return {n: _chain(o, i, None if f is None else max(1, int(f * o * i))) for n, (o, i) in layers.items()}

    best = plan(None)
    if sum(chain_params(c) for c in best.values()) > target:
        raise NoChainError(f"even the smallest chains need {sum(chain_params(c) for c in best.values()):,} "
                           f"parameters; ratio {ratio} leaves {int(target):,} for the weights")
    lo, hi = 0, 1000  # f = k/1000; bisection on the (monotone) total
    while hi - lo > 1:
        mid = (lo + hi) // 2
        cand = plan(mid / 1000)
        if sum(chain_params(c) for c in cand.values()) <= target:
            lo, best = mid, cand
        else:
            hi = mid
    return best


def lowrank_ranks(model: nn.Module, plan: dict[str, list[Factor]]) -> dict[str, int]:
    """SVD rank per layer with r·(in + out) ≤ the chain's parameters (at least 1)."""
    sizes = dense_layers(model)
    return {n: max(1, chain_params(c) // (sizes[n][0] + sizes[n][1])) for n, c in plan.items()}


def prune_to(model: nn.Module, keep: dict[str, int]) -> nn.Module:
    """Magnitude pruning in place: layer ``name`` keeps its ``keep[name]`` largest |weights| (masked)."""
    for name, k in keep.items():
        mod = model.get_submodule(name)
        n = mod.weight.numel()
        prune.l1_unstructured(mod, "weight", amount=max(0, n - min(int(k), n)))
    return model


def remove_pruning(model: nn.Module) -> nn.Module:
    """Make the pruning masks permanent (weights with zeros; plain parameters again)."""
    for mod in model.modules():
        if prune.is_pruned(mod) and hasattr(mod, "weight_orig"):
            prune.remove(mod, "weight")
    return model


def nonzero_params(model: nn.Module) -> int:
    """Parameters that are not pruned away (masked weights count only their kept entries)."""
    total = 0
    for mod in model.modules():
        for name, p in mod.named_parameters(recurse=False):
            mask = getattr(mod, name.removesuffix("_orig") + "_mask", None) if name.endswith("_orig") else None
            total += int(mask.sum()) if mask is not None else p.numel()
    return total


@torch.no_grad()
def _fold_one(conv: DeButConv2d, bn: nn.BatchNorm2d) -> None:
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    shift = bn.bias - bn.running_mean * scale
    last, theta = conv.chain[-1], conv.thetas[-1]
    full = torch.ones(last.p, dtype=theta.dtype)
    full[: conv.out_channels] = scale
    theta.mul_(full.reshape(last.a, last.r, 1, last.t))  # output row b·r·t + i·t + d
    bias = conv.bias if conv.bias is not None else torch.zeros(conv.out_channels)
    conv.bias = nn.Parameter(bias * scale + shift)


def fold_batchnorm_debut(model: nn.Module) -> nn.Module:
    """In place: each eval-mode BatchNorm2d right after a DeButConv2d in an nn.Sequential is folded into it."""
    for seq in [m for m in model.modules() if isinstance(m, nn.Sequential)]:
        kids = list(seq.named_children())
        for (_, a), (name_b, b) in zip(kids, kids[1:]):
            if isinstance(a, DeButConv2d) and isinstance(b, nn.BatchNorm2d):
                _fold_one(a, b)
                setattr(seq, name_b, nn.Identity())
    return model
