"""Training shared by the compression modules.

``train(model, xtr, ytr, epochs, lr, seed)`` — SGD + momentum, cosine LR, random-crop (pad 2)
and horizontal-flip augmentation; ``fine_tune`` after a structural change. Accuracy, parameter
and MAC counts (a depthwise k×k conv counts k²·C·H·W, a shift 0): :mod:`codesign.models.metrics`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["train", "fine_tune"]


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    n, _, h, w = x.shape
    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    xp = F.pad(x, (2, 2, 2, 2))
    dy, dx = torch.randint(0, 5, (2,), generator=gen).tolist()  # one crop offset per batch (cheap)
    return xp[:, :, dy:dy + h, dx:dx + w]


def train(model: nn.Module, xtr: np.ndarray, ytr: np.ndarray, epochs: int = 10, lr: float = 0.1,
          seed: int = 0, batch_size: int = 128, weight_decay: float = 5e-4, augment: bool = True,
          clip: float = 2.0, progress: bool = False, losses: list | None = None) -> nn.Module:
    """Train in place with SGD(momentum 0.9), a cosine schedule and gradient-norm clipping.

    ``losses``, if given, receives the mean training cross-entropy of every epoch (to check convergence).
    """
    gen = torch.Generator().manual_seed(seed)
    x, y = torch.as_tensor(xtr), torch.as_tensor(ytr)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay, nesterov=True)
    steps = max(1, epochs * math.ceil(len(x) / batch_size))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    it = range(epochs)
    if progress:
        from tqdm import tqdm
        it = tqdm(it, desc="train", leave=False)
    model.train()
    for _ in it:
        perm = torch.randperm(len(x), generator=gen)
        total = 0.0
        for i in range(0, len(x), batch_size):
            idx = perm[i:i + batch_size]
            xb = _augment(x[idx], gen) if augment else x[idx]
            loss = F.cross_entropy(model(xb), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        if losses is not None:
            losses.append(total / len(x))
    model.eval()
    return model


def fine_tune(model: nn.Module, xtr, ytr, epochs: int = 2, lr: float = 0.01, seed: int = 0, **kw) -> nn.Module:
    """Short low-LR training after a structural change (decomposition, merge, pruning)."""
    return train(model, xtr, ytr, epochs=epochs, lr=lr, seed=seed, **kw)
