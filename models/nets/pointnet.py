"""PointNet (Qi et al., CVPR 2017) for point clouds laid out as (N, 3, P, 1).

The shared per-point MLP is a stack of 1×1 convolutions over the points (``nn.Conv2d`` with a 1×1
kernel on a (C, P, 1) map: the same arithmetic as PointNet's Conv1d, and a layer type the exchange
format and every executor already know), each followed by BatchNorm and ReLU; a global max pool over
the points (the symmetric function) gives the global feature; the classifier is Linear–ReLU–Dropout
layers and a final Linear. Default widths are PointNet's: per-point 64-64-64-128-1024, classifier
512-256. The input (3×3) and feature (64×64) transform nets are options (``input_transform``,
``feature_transform``); they multiply the points by a predicted matrix (``torch.bmm``), which the
exchange format cannot express, so exported models are built without them.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["PointNet", "TNet", "POINTNET_WIDTHS", "POINTNET_HEAD"]

POINTNET_WIDTHS = (64, 64, 64, 128, 1024)
POINTNET_HEAD = (512, 256)


def _point_mlp(widths: tuple[int, ...], c_in: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for w in widths:
        layers += [nn.Conv2d(c_in, w, 1), nn.BatchNorm2d(w), nn.ReLU()]
        c_in = w
    return nn.Sequential(*layers)


class TNet(nn.Module):
    """Predicts a k×k transform (identity + learned residual) from a (N, k, P, 1) cloud."""

    def __init__(self, k: int):
        super().__init__()
        self.k = k
        self.mlp = _point_mlp((64, 128, 1024), k)
        self.head = nn.Sequential(nn.Linear(1024, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, k * k))
        nn.init.zeros_(self.head[-1].weight)
        nn.init.zeros_(self.head[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = torch.amax(self.mlp(x), dim=(2, 3))
        return self.head(g).view(-1, self.k, self.k) + torch.eye(self.k, device=x.device)


def _apply(m: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """x (N, k, P, 1) -> each point multiplied by m (N, k, k)."""
    return torch.bmm(m, x.squeeze(3)).unsqueeze(3)


class PointNet(nn.Module):
    """PointNet classifier; input (N, 3, P, 1) float, output (N, num_classes) logits."""

    def __init__(self, num_classes: int = 10, widths: tuple[int, ...] = POINTNET_WIDTHS,
                 head: tuple[int, ...] = POINTNET_HEAD, dropout: float = 0.3, input_transform: bool = False,
                 feature_transform: bool = False, seed: int | None = None):
        if seed is not None:
            torch.manual_seed(seed)
        super().__init__()
        widths = tuple(int(w) for w in widths)
        self.input_tnet = TNet(3) if input_transform else None
        split = 1 if feature_transform else len(widths)
        self.feature_tnet = TNet(widths[0]) if feature_transform else None
        self.mlp1 = _point_mlp(widths[:split], 3)
        self.mlp2 = _point_mlp(widths[split:], widths[split - 1]) if split < len(widths) else nn.Identity()
        self.pool = nn.AdaptiveMaxPool2d(1)
        self.flatten = nn.Flatten()
        layers: list[nn.Module] = []
        c = widths[-1]
        for w in head:
            layers += [nn.Linear(c, w), nn.ReLU(), nn.Dropout(dropout)]
            c = w
        layers.append(nn.Linear(c, num_classes))
        self.classifier = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.input_tnet is not None:
            x = _apply(self.input_tnet(x), x)
        x = self.mlp1(x)
        if self.feature_tnet is not None:
            x = _apply(self.feature_tnet(x), x)
        x = self.mlp2(x)
        return self.classifier(self.flatten(self.pool(x)))
