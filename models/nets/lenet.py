"""LeNet-like CNN on 8×8 digits (the DeBut study's MNIST stand-in), dense or DeBut.

Network (the DeBut paper's LeNet shapes on 8×8 digits; module names in brackets): conv 1→8 3×3
pad 2 (10×10) [conv1] · ReLU [relu1] · conv 8→16 3×3 pad 1 [conv2] · ReLU [relu2] · maxpool 2
[pool] → 16×5×5 = 400 [flatten] · 400→128 [fc1] · ReLU [relu3] · 128→64 [fc2] · ReLU [relu4] ·
64→10 [fc3] (61.5K parameters, like the paper's 61.5K).

:data:`DEBUT_PLAN` gives the DeBut chains of the layers the study swaps (generator options, see
:func:`codesign.models.debut.swap.swap_layers`); :func:`all_debut_lenet` makes every conv/linear a
generated DeBut chain.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from codesign.models.debut.chain import NoChainError, generate_chain
from codesign.models.debut.layers import DeButConv2d, DeButLinear

__all__ = ["INPUT_SHAPE", "DEBUT_PLAN", "lenet_digits", "all_debut_lenet"]

#: input shape (C, H, W): one 8×8 digits image
INPUT_SHAPE = (1, 8, 8)

#: chains for the swapped layers, by generator options (input side first)
DEBUT_PLAN = {
    "fc1": {"budget": 7680},          # 15% of 51,200 (85% removed), as in the paper
    "conv2": {"budget": 576},         # 50% of 16×72
    "fc2": {"budget": 2048},          # 25% of 64×128
}


def lenet_digits(conv=nn.Conv2d, linear=nn.Linear, seed: int = 0) -> nn.Sequential:
    """The LeNet with ``conv(ci, co, k, padding=)`` / ``linear(i, o)`` layers (seeded init)."""
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
