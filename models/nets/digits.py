"""Small CNNs for 8×8 digits in three variants with one topology.

Topology (input 1×8×8; module names in brackets)::

    conv3x3(1→c1, pad 1) [conv1] · BN [bn1] · ReLU [relu1] · maxpool2 [pool1]
    → conv3x3(c1→c2, pad 1) [conv2] · BN [bn2] · ReLU [relu2] · maxpool2 [pool2]
    → flatten (c2·2·2) [flatten] → linear(→10) [fc]

``baseline`` uses nn.Conv2d/nn.Linear; ``pecan_a`` / ``pecan_d`` replace *every* conv and
linear by :class:`PecanConv2d` / :class:`PecanLinear` (angle / distance mode), as the paper does.
Conv subspaces are one input channel each (d = 9, D = in_channels); the classifier uses
d = 8 (two channels' 2×2 maps per subspace). The optional BatchNorm is folded after training
(:func:`codesign.models.export.fold_batchnorm`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from torch import nn

from codesign.models.pecan.layers import PecanConv2d, PecanLinear, PECAN_TYPES

VARIANTS = ("baseline", "pecan_a", "pecan_d")


@dataclass
class NetConfig:
    """Architecture and PECAN hyper-parameters of the digits CNN."""

    channels: tuple[int, int] = (32, 64)
    num_prototypes: int | tuple[int, int, int] = (32, 16, 16)  # K per layer (conv1, conv2, linear) or one K
    subvector_dim: int | None = None  # one d for every layer whose input length it divides (else the default)
    linear_subvector_dim: int = 8  # default d of the classifier (two channels' 2×2 maps)
    conv1_subvector_dim: int | None = None  # default d of conv1; None: k² (one subspace per input channel)
    conv2_subvector_dim: int | None = None  # default d of conv2; None: k²
    temperature: float = 1.0
    act_bits: int = 8
    lut_bits: int = 8
    batchnorm: bool = False
    null_prototype: bool = False  # PECAN-A: prototype 0 of every subspace is the zero vector ("nothing here")
    num_classes: int = 10
    in_channels: int = 1
    image_size: int = 8


def build_digits_net(variant: str, cfg: NetConfig | None = None) -> nn.Sequential:
    """Build the digits CNN (``variant`` in ``VARIANTS``)."""
    cfg = cfg or NetConfig()
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {VARIANTS}")
    c1, c2 = cfg.channels
    mode = {"pecan_a": "angle", "pecan_d": "distance"}.get(variant)
    common = dict(mode=mode, temperature=cfg.temperature, act_bits=cfg.act_bits, lut_bits=cfg.lut_bits)

    def dim(length: int, default: int | None) -> int | None:
        s = cfg.subvector_dim
        return s if s and length % s == 0 else default

    def conv(ci: int, co: int, k: int, d: int | None = None) -> nn.Module:
        if mode is None:
            return nn.Conv2d(ci, co, 3, padding=1)
        return PecanConv2d(ci, co, 3, padding=1, num_prototypes=k, subvector_dim=dim(ci * 9, d), **common)

    feat = cfg.image_size // 4
    n_flat = c2 * feat * feat
    kp = cfg.num_prototypes
    k1, k2, k3 = (kp, kp, kp) if isinstance(kp, int) else tuple(kp)
    layers: list[tuple[str, nn.Module]] = [("conv1", conv(cfg.in_channels, c1, k1, cfg.conv1_subvector_dim))]
    layers += [("bn1", nn.BatchNorm2d(c1))] if cfg.batchnorm else []
    layers += [("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)), ("conv2", conv(c1, c2, k2, cfg.conv2_subvector_dim))]
    layers += [("bn2", nn.BatchNorm2d(c2))] if cfg.batchnorm else []
    layers += [("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)), ("flatten", nn.Flatten())]
    if mode is None:
        layers.append(("fc", nn.Linear(n_flat, cfg.num_classes)))
    else:
        layers.append(("fc", PecanLinear(n_flat, cfg.num_classes, subvector_dim=dim(n_flat, cfg.linear_subvector_dim),
                                         num_prototypes=k3, **common)))
    for _, m in layers:
        if isinstance(m, PECAN_TYPES):
            m.null_prototype = cfg.null_prototype
    return nn.Sequential(OrderedDict(layers))
