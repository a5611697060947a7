"""The DeBut paper's LeNet on 28×28 MNIST, its DeBut chains and a power-of-two butterfly for comparison.

Network (module names in brackets): conv 1→8 3×3 [conv1] · ReLU [relu1] · maxpool 2 [pool1] (8×13×13)
· conv 8→16 3×3 [conv2] · ReLU [relu2] · maxpool 2 [pool2] (16×5×5) · flatten 400 [flatten]
· 400→128 [fc1] · ReLU [relu3] · 128→64 [fc2] · ReLU [relu4] · 64→10 [fc3]: 61,482 parameters
(the paper's 61.5K).

:data:`DEBUT_PLAN_MNIST` holds generator options for the swapped layers: FC1 keeps 15 % (the paper's
85 % removed, 17,962 parameters for the FC1 → DeBut net, paper 17.96K); CONV2 50 %, FC2 12.5 %
(10,218 for CONV2+FC1+FC2 → DeBut, paper 10.19K). :func:`butterfly_chain` is the classic
power-of-two butterfly as a DeBut chain (size padded up to 2^m, m factors of 2×2 blocks).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from codesign.models.debut.chain import NoChainError, generate_chain
from codesign.models.debut.layers import DeButConv2d, DeButLinear

__all__ = ["INPUT_SHAPE", "DEBUT_PLAN_MNIST", "lenet_mnist", "all_debut_lenet_mnist", "butterfly_chain"]

#: one MNIST image (C, H, W)
INPUT_SHAPE = (1, 28, 28)

#: generator options of the swapped layers (chains input side first)
DEBUT_PLAN_MNIST = {
    "conv2": {"budget": 576},   # 50 % of 16×72
    "fc1": {"budget": 7680},    # 15 % of 128×400 (85 % removed, as in the paper)
    "fc2": {"budget": 1024},    # 12.5 % of 64×128
}


def lenet_mnist(conv=nn.Conv2d, linear=nn.Linear, seed: int = 0) -> nn.Sequential:
    """The LeNet with ``conv(ci, co, k)`` / ``linear(i, o)`` layers (init seeded by ``seed``)."""
    torch.manual_seed(seed)
    return nn.Sequential(OrderedDict([
        ("conv1", conv(1, 8, 3)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", conv(8, 16, 3)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", linear(400, 128)), ("relu3", nn.ReLU()),
        ("fc2", linear(128, 64)), ("relu4", nn.ReLU()),
        ("fc3", linear(64, 10)),
    ]))


def butterfly_chain(out_size: int, in_size: int) -> list[list[int]]:
    """Power-of-two butterfly N×N (N = 2^m ≥ max(in, out)) as factors [N, N, 2, 2, 2^k], k = 0..m-1.

    The input is zero-padded to N and the output cropped to ``out_size``; parameters 2·N·m.
    """
    n = 1
    while n < max(out_size, in_size, 2):
        n *= 2
    return [[n, n, 2, 2, 2 ** k] for k in range(n.bit_length() - 1)]


def _generated(out_size: int, in_size: int, shrink: int) -> list:
    try:
        return generate_chain(out_size, in_size, shrink=shrink, mode="mono", pad=True)
    except NoChainError:
        return generate_chain(out_size, in_size, mode="any")


def all_debut_lenet_mnist(shrink: int = 2, seed: int = 0) -> nn.Sequential:
    """Every conv/linear a DeBut layer with a generated chain (shrink level ``shrink``, random init)."""
    torch.manual_seed(seed)

    def conv(ci, co, k):
        return DeButConv2d(ci, co, k, _generated(co, ci * k * k, shrink), seed=seed)

    def linear(i, o):
        return DeButLinear(i, o, _generated(o, i, shrink), seed=seed)

    return lenet_mnist(conv, linear, seed)
