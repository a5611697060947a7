"""Swap chosen layers of a trained model for DeBut (or truncated-SVD low-rank) layers, and fine-tune.

``swap_layers(model, {"fc1": {"budget": 7680}, "conv2": {"shrink": 2}}, init="als")`` returns a
copy of the model whose named ``nn.Linear``/``nn.Conv2d`` modules are DeBut layers; a value may
also be an explicit chain (list of [p,q,r,s,t]). ``init`` is ``"als"`` (warm start from the
trained weight) or ``"random"``. The bias is copied from the dense layer either way.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from torch import nn

from codesign.models.debut.layers import ChainError, DeButConv2d, DeButLinear
from codesign.models.debut.chain import generate_chain
from codesign.models.debut.initialization import als_init

__all__ = ["debut_like", "swap_layers", "lowrank_like", "swap_lowrank", "lowrank_rank_for", "finetune"]

def _sizes(mod: nn.Module) -> tuple[int, int]:
    if isinstance(mod, nn.Linear):
        return mod.out_features, mod.in_features
    if isinstance(mod, nn.Conv2d):
        if mod.groups != 1:
            raise ChainError(f"conv with groups={mod.groups}: DeBut swap supports groups=1 only")
        return mod.out_channels, mod.in_channels * mod.kernel_size[0] * mod.kernel_size[1]
    raise ChainError(f"cannot swap a {type(mod).__name__}: expected nn.Linear or nn.Conv2d")


def debut_like(mod: nn.Module, chain_or_opts: Any, init: str = "als", sweeps: int = 6, seed: int = 0) -> nn.Module:
    """A DeBut layer replacing ``mod`` (nn.Linear / nn.Conv2d)."""
    out_size, in_size = _sizes(mod)
    if isinstance(chain_or_opts, dict):
        chain = generate_chain(out_size, in_size, **chain_or_opts)
    else:
        chain = chain_or_opts
    bias = mod.bias is not None
    if isinstance(mod, nn.Linear):
        new = DeButLinear(mod.in_features, mod.out_features, chain, bias=bias, seed=seed)
    else:
        new = DeButConv2d(mod.in_channels, mod.out_channels, mod.kernel_size, chain, stride=mod.stride,
                          padding=mod.padding, bias=bias, seed=seed)
    if init == "als":
        als_init(new, mod.weight, sweeps=sweeps, seed=seed)
    elif init != "random":
        raise ValueError(f"init {init!r}: expected 'als' or 'random'")
    if bias:
        with torch.no_grad():
            new.bias.copy_(mod.bias)
    return new.to(mod.weight.dtype)


def swap_layers(model: nn.Module, plan: dict[str, Any], init: str = "als", sweeps: int = 6,
                seed: int = 0) -> nn.Module:
    """Copy of ``model`` with each ``plan`` entry (module name -> chain or generator options) swapped."""
    model = copy.deepcopy(model)
    for k, (name, spec) in enumerate(plan.items()):
        try:
            mod = model.get_submodule(name)
        except AttributeError:
            raise ChainError(f"model has no sub-module {name!r}") from None
        model.set_submodule(name, debut_like(mod, spec, init=init, sweeps=sweeps, seed=seed + k))
    return model


def lowrank_rank_for(out_size: int, in_size: int, params: int) -> int:
    """Largest rank r with r·(in + out) ≤ params (at least 1)."""
    return max(1, int(params // (in_size + out_size)))


def lowrank_like(mod: nn.Module, rank: int) -> nn.Module:
    """Truncated-SVD replacement: Linear(in, r) → Linear(r, out) or Conv(ci, r, k) → Conv1x1(r, co)."""
    out_size, _ = _sizes(mod)
    w = mod.weight.detach().reshape(out_size, -1).double()
    u, s, vt = torch.linalg.svd(w, full_matrices=False)
    rank = int(min(rank, s.numel()))
    root = s[:rank].sqrt()
    first, second = (vt[:rank] * root[:, None]), (u[:, :rank] * root[None, :])
    bias = mod.bias is not None
    if isinstance(mod, nn.Linear):
        a, b = nn.Linear(mod.in_features, rank, bias=False), nn.Linear(rank, out_size, bias=bias)
        with torch.no_grad():
            a.weight.copy_(first)
            b.weight.copy_(second)
    else:
        a = nn.Conv2d(mod.in_channels, rank, mod.kernel_size, mod.stride, mod.padding, bias=False)
        b = nn.Conv2d(rank, out_size, 1, bias=bias)
        with torch.no_grad():
            a.weight.copy_(first.reshape(a.weight.shape))
            b.weight.copy_(second.reshape(b.weight.shape))
    if bias:
        with torch.no_grad():
            b.bias.copy_(mod.bias)
    return nn.Sequential(a, b).to(mod.weight.dtype)


def swap_lowrank(model: nn.Module, ranks: dict[str, int]) -> nn.Module:
    model = copy.deepcopy(model)
    for name, rank in ranks.items():
        model.set_submodule(name, lowrank_like(model.get_submodule(name), rank))
    return model


def finetune(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int = 10, lr: float = 3e-3,
             batch: int = 64, seed: int = 0, weight_decay: float = 0.0) -> list[float]:
    """Adam + cosine schedule on (x, y); returns the mean training loss per epoch."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    steps = epochs * int(np.ceil(len(x) / batch))
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(steps, 1))
    losses = []
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(x), generator=gen)
        total = 0.0
        for i in range(0, len(x), batch):
            idx = perm[i:i + batch]
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        losses.append(total / len(x))
    return losses
