"""Model metrics shared by every method: top-1 accuracy, parameter count, multiply-accumulates.

``accuracy`` is a fraction in [0, 1] (multiply by 100 for percent). ``count_macs`` counts the
conv/linear layers (dense or DeBut) for one input of ``input_shape`` (C, H, W); BatchNorm, ReLU,
pooling, residual adds and shifts (a buffer-kernel ``F.conv2d``) count 0.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from codesign.models.debut.layers import DeButConv2d, DeButLinear

__all__ = ["accuracy", "count_params", "count_macs"]


@torch.no_grad()
def accuracy(model: nn.Module, x: Any, y: Any, batch_size: int = 512) -> float:
    """Top-1 accuracy (0..1) of ``model`` in eval mode on inputs ``x`` and labels ``y`` (tensors or arrays)."""
    model.eval()
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    correct = 0
    for i in range(0, len(x), batch_size):
        correct += int((model(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum())
    return correct / max(len(x), 1)


def count_params(model: nn.Module) -> int:
    """Trainable parameters (BN affine included; buffers such as shift kernels excluded)."""
    return int(sum(p.numel() for p in model.parameters()))


@torch.no_grad()
def count_macs(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of the conv/linear (dense or DeBut) layers for one input of shape ``input_shape``."""
    total = 0

    def hook(mod: nn.Module, inp: Any, out: torch.Tensor) -> None:
        nonlocal total
        if isinstance(mod, (DeButLinear, DeButConv2d)):
            total += mod.macs_per_vector() * (out[0, 0].numel() if out.dim() == 4 else 1)
        elif isinstance(mod, nn.Linear):
            total += mod.in_features * mod.out_features
        else:  # nn.Conv2d: k² · C_in/groups MACs per output element
            total += out[0].numel() * (mod.in_channels // mod.groups) * mod.kernel_size[0] * mod.kernel_size[1]

    hooks = [m.register_forward_hook(hook) for m in model.modules()
             if isinstance(m, (nn.Linear, nn.Conv2d, DeButLinear, DeButConv2d))]
    was_training = model.training
    model.eval()
    try:
        model(torch.zeros(1, *input_shape))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return int(total)
