"""Small CIFAR-style ResNets for 32×32 inputs.

``SmallResNet(widths=(16, 32, 64), blocks=(1, 1, 1))`` is a ResNet-8: stem conv3×3-BN-ReLU,
3 stages of basic blocks (conv3×3-BN-ReLU-conv3×3-BN + shortcut, ReLU; first block of stages
2 and 3 has stride 2 and a 1×1 projection shortcut), global average pool, linear.
:class:`ResNetBase` builds the same skeleton from any block factory (ShiftResNet uses it).
"""

from __future__ import annotations

import torch
import torch.nn as nn

__all__ = ["BasicBlock", "ResNetBase", "SmallResNet", "make_shortcut"]


def make_shortcut(ci: int, co: int, stride: int) -> nn.Module:
    if stride == 1 and ci == co:
        return nn.Identity()
    return nn.Sequential(nn.Conv2d(ci, co, 1, stride, bias=False), nn.BatchNorm2d(co))


class BasicBlock(nn.Module):
    def __init__(self, ci: int, co: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(ci, co, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(co)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(co, co, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(co)
        self.shortcut = make_shortcut(ci, co, stride)
        self.relu2 = nn.ReLU()

    def forward(self, x):
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu2(out + self.shortcut(x))


class ResNetBase(nn.Module):
    """Stem conv3×3 → stages of blocks → global average pool → linear."""

    def __init__(self, block_fn, widths, blocks, num_classes: int, in_channels: int):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU())
        layers, ci = [], widths[0]
        for s, (w, nb) in enumerate(zip(widths, blocks)):
            for b in range(nb):
                layers.append(block_fn(ci, w, 2 if (s > 0 and b == 0) else 1))
                ci = w
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(ci, num_classes)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.fc(torch.flatten(self.pool(x), 1))


class SmallResNet(ResNetBase):
    def __init__(self, widths=(16, 32, 64), blocks=(1, 1, 1), num_classes: int = 10, in_channels: int = 3):
        super().__init__(BasicBlock, widths, blocks, num_classes, in_channels)
