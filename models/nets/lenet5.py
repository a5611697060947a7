"""LeNet-5 on 28×28 MNIST (the PECAN paper's network) as baseline, PECAN-A or PECAN-D.

Topology (module names in brackets)::

    conv5×5(1→6, pad 2) [conv1] · ReLU [relu1] · maxpool2 [pool1]      28×28 → 6×14×14
    conv5×5(6→16) [conv2] · ReLU [relu2] · maxpool2 [pool2]            → 16×5×5
    flatten 400 [flatten] · linear 400→120 [fc1] · ReLU [relu3] · linear 120→84 [fc2] · ReLU [relu4]
    · linear 84→10 [fc3]                                                (61,706 parameters)

``pecan_a`` / ``pecan_d`` make every conv and linear a PECAN layer, as the paper does: conv subspaces
are one input channel's k×k patch (d = 25, D = in_channels); fc1 one channel's 5×5 map (d = 25,
D = 16); fc2 and fc3 d = 4 (D = 30 and 21).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from torch import nn

from codesign.models.pecan.layers import PecanConv2d, PecanLinear

__all__ = ["VARIANTS", "INPUT_SHAPE", "Lenet5Config", "build_lenet5"]

VARIANTS = ("baseline", "pecan_a", "pecan_d")
#: one MNIST image (C, H, W)
INPUT_SHAPE = (1, 28, 28)


@dataclass(frozen=True)
class Lenet5Config:
    """PECAN settings of the LeNet-5 (ignored by the baseline)."""

    num_prototypes: int = 16  # K per subspace, every layer
    conv_subvector_dims: tuple[int, int] = (25, 25)  # d of conv1, conv2 (25 = one channel's 5×5 patch)
    fc_subvector_dims: tuple[int, int, int] = (25, 4, 4)  # d of fc1, fc2, fc3
    act_bits: int = 8
    lut_bits: int = 8
    temperature: float = 1.0


def build_lenet5(variant: str, cfg: Lenet5Config | None = None) -> nn.Sequential:
    """The LeNet-5 of ``variant`` (``baseline``, ``pecan_a``, ``pecan_d``); seed torch before calling."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown LeNet-5 variant {variant!r}; expected one of {VARIANTS}")
    cfg = cfg or Lenet5Config()
    mode = {"pecan_a": "angle", "pecan_d": "distance"}.get(variant)
    common = dict(mode=mode, num_prototypes=cfg.num_prototypes, temperature=cfg.temperature,
                  act_bits=cfg.act_bits, lut_bits=cfg.lut_bits)
    d1, d2, d3 = cfg.fc_subvector_dims

    def conv(ci: int, co: int, padding: int, d: int) -> nn.Module:
        if mode is None:
            return nn.Conv2d(ci, co, 5, padding=padding)
        return PecanConv2d(ci, co, 5, padding=padding, subvector_dim=d, **common)

    def linear(i: int, o: int, d: int) -> nn.Module:
        return nn.Linear(i, o) if mode is None else PecanLinear(i, o, subvector_dim=d, **common)

    return nn.Sequential(OrderedDict([
        ("conv1", conv(1, 6, 2, cfg.conv_subvector_dims[0])), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", conv(6, 16, 0, cfg.conv_subvector_dims[1])), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", linear(400, 120, d1)), ("relu3", nn.ReLU()),
        ("fc2", linear(120, 84, d2)), ("relu4", nn.ReLU()),
        ("fc3", linear(84, 10, d3)),
    ]))
