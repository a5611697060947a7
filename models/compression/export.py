"""Export the compression networks (SmallResNet, decomposed/pruned variants, ShiftResNet) to the
HDF5 exchange format (docs/format.md).

Mapping: every ``nn.Conv2d`` → ``conv2d`` (groups kept; depthwise/grouped convs of the tensor-view
forms export as they are); a BatchNorm right after a conv (directly, or after the last conv of a
decomposed ``nn.Sequential``) is folded into that conv's weight/bias; a :class:`Shift` exports as
a depthwise ``conv2d`` (3×3, pad 1, its stride) with its one-hot kernels; residual sums → ``add``;
ReLU → ``relu``; global pooling → ``global_avgpool`` + ``flatten``; the classifier → ``linear``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from codesign.errors import CodesignError
from codesign.models.nets.resnets import BasicBlock, ResNetBase
from codesign.models.compression.shift import Shift, ShiftBlock, ShiftConv
from codesign.sim.format import LayerSpec, ModelSpec, write_model

__all__ = ["to_model_spec", "export_compressed"]


class ExportError(CodesignError, ValueError):
    """A compressed model cannot be exported to the exchange format."""


class _Builder:
    def __init__(self):
        self.layers: list[LayerSpec] = []
        self.count = 0

    def add(self, kind: str, inputs: list[str], attrs=None, arrays=None) -> str:
        self.count += 1
        name = f"{kind}_{self.count}"
        self.layers.append(LayerSpec(name, kind, list(inputs), dict(attrs or {}), dict(arrays or {})))
        return name

    def conv(self, conv: nn.Conv2d, x: str, bn: nn.BatchNorm2d | None = None) -> str:
        w = conv.weight.detach().double()
        b = conv.bias.detach().double() if conv.bias is not None else torch.zeros(conv.out_channels, dtype=torch.float64)
        if bn is not None:
            scale = bn.weight.detach().double() / torch.sqrt(bn.running_var.double() + bn.eps)
            w = w * scale[:, None, None, None]
            b = b * scale + bn.bias.detach().double() - bn.running_mean.double() * scale
        attrs = {"in_channels": conv.in_channels, "out_channels": conv.out_channels,
                 "kernel_size": list(conv.kernel_size), "stride": list(conv.stride),
                 "padding": list(conv.padding), "groups": conv.groups}
        if conv.dilation != (1, 1):
            raise ExportError(f"conv2d export: dilation {conv.dilation} unsupported (expected 1)")
        return self.add("conv2d", [x], attrs, {"weight": w.float().numpy(), "bias": b.float().numpy()})

    def module(self, m: nn.Module, x: str, bn: nn.BatchNorm2d | None = None) -> str:
        """Emit ``m`` (optionally followed by ``bn``, folded into its last conv)."""
        if isinstance(m, nn.Conv2d):
            return self.conv(m, x, bn)
        if isinstance(m, nn.Sequential):
            mods = list(m)
            i = 0
            while i < len(mods):
                nxt = mods[i + 1] if i + 1 < len(mods) else None
                if isinstance(mods[i], (nn.Conv2d, nn.Sequential)) and isinstance(nxt, nn.BatchNorm2d):
                    x, i = self.module(mods[i], x, nxt), i + 2
                    continue
                x = self.module(mods[i], x, bn if i == len(mods) - 1 else None)
                i += 1
            return x
        if bn is not None:
            raise ExportError(f"cannot fold BatchNorm into {type(m).__name__}")
        if isinstance(m, nn.ReLU):
            return self.add("relu", [x])
        if isinstance(m, nn.Identity):
            return x
        if isinstance(m, nn.BatchNorm2d):
            scale = m.weight.detach() / torch.sqrt(m.running_var + m.eps)
            return self.add("batchnorm2d", [x], {"num_features": m.num_features},
                            {"scale": scale.float().numpy(), "shift": (m.bias.detach() - m.running_mean * scale).float().numpy()})
        if isinstance(m, Shift):
            c = m.channels
            attrs = {"in_channels": c, "out_channels": c, "kernel_size": [3, 3], "stride": [m.stride, m.stride],
                     "padding": [1, 1], "groups": c}
            return self.add("conv2d", [x], attrs, {"weight": m.kernel.detach().float().numpy().copy()})
        if isinstance(m, ShiftConv):
            x = self.module(m.conv_a, x, m.bn_a)
            x = self.module(m.shift, x)
            return self.module(m.conv_b, x, m.bn_b)
        if isinstance(m, BasicBlock):
            y = self.module(m.conv1, x, m.bn1)
            y = self.add("relu", [y])
            y = self.module(m.conv2, y, m.bn2)
            return self._residual(m.shortcut, x, y)
        if isinstance(m, ShiftBlock):
            y = self.add("relu", [self.module(m.sc1, x)])
            return self._residual(m.shortcut, x, self.module(m.sc2, y))
        raise ExportError(f"export: unsupported module {type(m).__name__}")

    def _residual(self, shortcut: nn.Module, x: str, y: str) -> str:
        s = self.module(shortcut, x)
        return self.add("relu", [self.add("add", [y, s])])


@torch.no_grad()
def to_model_spec(model: ResNetBase, name: str, golden_x: np.ndarray, golden_y: np.ndarray,
                  test_x: np.ndarray | None = None, test_y: np.ndarray | None = None,
                  metadata: dict | None = None) -> ModelSpec:
    """Build a validated :class:`ModelSpec` (with golden vectors) from one of our ResNets."""
    model.eval()
    b = _Builder()
    x = b.module(model.stem, "input")
    for blk in model.layers:
        x = b.module(blk, x)
    x = b.add("flatten", [b.add("global_avgpool", [x])])
    fc = model.fc
    b.add("linear", [x], {"in_features": fc.in_features, "out_features": fc.out_features},
          {"weight": fc.weight.detach().float().numpy(), "bias": fc.bias.detach().float().numpy()})
    gx = np.ascontiguousarray(golden_x, dtype=np.float32)
    logits = model(torch.as_tensor(gx)).numpy().astype(np.float32)
    spec = ModelSpec(name=name, input_shape=tuple(gx.shape[1:]), num_classes=fc.out_features, layers=b.layers,
                     golden_inputs=gx, golden_logits=logits, golden_predictions=logits.argmax(1).astype(np.int64),
                     golden_labels=np.asarray(golden_y, np.int64), metadata=dict(metadata or {}),
                     producer="codesign.models.compression.export")
    if test_x is not None:
        spec.test_inputs = np.ascontiguousarray(test_x, dtype=np.float32)
        spec.test_labels = np.asarray(test_y, np.int64)
    spec.shapes(name)
    return spec


def export_compressed(model: ResNetBase, path: str | os.PathLike, name: str, golden_x, golden_y, **kw) -> Path:
    """Write the model to HDF5 (atomic); returns the path."""
    return write_model(path, to_model_spec(model, name, golden_x, golden_y, **kw))
