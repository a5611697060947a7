"""Training, evaluation and cost counting shared by the compression modules.

``train(model, xtr, ytr, epochs, lr, seed)`` — SGD + momentum, cosine LR, random-crop (pad 2)
and horizontal-flip augmentation; ``evaluate`` → accuracy in %; ``count_params``;
``count_macs`` (multiply-accumulates of conv/linear for one 32×32 input, via forward hooks;
a depthwise k×k conv counts k²·C·H·W, a shift counts 0 because it is not a Conv2d).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["train", "evaluate", "count_params", "count_macs", "fine_tune"]


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    n, _, h, w = x.shape
    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    xp = F.pad(x, (2, 2, 2, 2))
    dy, dx = torch.randint(0, 5, (2,), generator=gen).tolist()  # one crop offset per batch (cheap)
    return xp[:, :, dy:dy + h, dx:dx + w]


def train(model: nn.Module, xtr: np.ndarray, ytr: np.ndarray, epochs: int = 10, lr: float = 0.1,
          seed: int = 0, batch_size: int = 128, weight_decay: float = 5e-4, augment: bool = True,
          clip: float = 2.0, progress: bool = False) -> nn.Module:
    """Train in place with SGD(momentum 0.9), a cosine schedule and gradient-norm clipping."""
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
        for i in range(0, len(x), batch_size):
            idx = perm[i:i + batch_size]
            xb = _augment(x[idx], gen) if augment else x[idx]
            loss = F.cross_entropy(model(xb), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            sched.step()
    model.eval()
    return model


def fine_tune(model: nn.Module, xtr, ytr, epochs: int = 2, lr: float = 0.01, seed: int = 0, **kw) -> nn.Module:
    """Short low-LR training after a structural change (decomposition, merge, pruning)."""
    return train(model, xtr, ytr, epochs=epochs, lr=lr, seed=seed, **kw)


@torch.no_grad()
def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray, batch_size: int = 500) -> float:
    """Top-1 accuracy in percent (model in eval mode)."""
    model.eval()
    xt, yt = torch.as_tensor(x), torch.as_tensor(y)
    correct = 0
    for i in range(0, len(xt), batch_size):
        correct += int((model(xt[i:i + batch_size]).argmax(1) == yt[i:i + batch_size]).sum())
    return 100.0 * correct / max(1, len(xt))


def count_params(model: nn.Module) -> int:
    """Trainable parameters (BN affine included; buffers such as shift kernels excluded)."""
    return int(sum(p.numel() for p in model.parameters()))


@torch.no_grad()
def count_macs(model: nn.Module, input_shape=(3, 32, 32)) -> int:
    """MACs of Conv2d and Linear layers for one input (BN/ReLU/add/shift counted as 0)."""
    total = [0]

    def conv_hook(m, inp, out):
        total[0] += out[0].numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def lin_hook(m, inp, out):
        total[0] += m.in_features * m.out_features

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(lin_hook))
    was_training = model.training
    model.eval()
    try:
        model(torch.zeros(1, *input_shape))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return int(total[0])
