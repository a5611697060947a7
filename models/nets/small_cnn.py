"""The robustness study's small CNNs: 32×32 colour images (CIFAR-10 / shapes) and 28×28 digits (MNIST)."""

from __future__ import annotations

from torch import nn

__all__ = ["small_cnn", "mnist_cnn"]


def small_cnn(width: int = 8, num_classes: int = 10, in_channels: int = 3, image_size: int = 32) -> nn.Sequential:
    """conv-BN-ReLU-maxpool stages (width, 2·width, 4·width), one more conv-BN-ReLU, global average
    pool, linear. ``image_size`` is accepted for API symmetry (global pooling makes it irrelevant).

    Plain ``nn.Sequential`` of standard modules so the HDF5 exporter can fold BN into the convs.
    Its children keep their indices (exported layers ``l0``, ``l1``, ...): crossbar programming
    noise is seeded per layer name, and the shipped robustness tables and cached state dicts use them.
    """
    w = int(width)
    layers: list[nn.Module] = []
    c = in_channels
    for out, pool in ((w, True), (2 * w, True), (4 * w, True), (4 * w, False)):
        layers += [nn.Conv2d(c, out, 3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU()]
        if pool:
            layers.append(nn.MaxPool2d(2))
        c = out
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, num_classes)]
    return nn.Sequential(*layers)


def mnist_cnn(width: int = 8, num_classes: int = 10, in_channels: int = 1, image_size: int = 28) -> nn.Sequential:
    """28×28 digits: two conv-BN-ReLU-maxpool stages (width, 2·width), flatten, linear 64, ReLU, linear.

    Keeps the spatial layout the digits need (no global pooling); ≈ 52 k parameters at width 8.
    """
    w = int(width)
    side = int(image_size) // 4
    return nn.Sequential(
        nn.Conv2d(in_channels, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(w, 2 * w, 3, padding=1, bias=False), nn.BatchNorm2d(2 * w), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(2 * w * side * side, 64), nn.ReLU(), nn.Linear(64, num_classes),
    )
