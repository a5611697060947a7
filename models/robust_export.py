"""Export the robustness experiments' ``small_cnn`` (an ``nn.Sequential``) to the HDF5 format.

Uses ``codesign.models.export.export_model`` when that shared exporter exists and accepts the model;
otherwise this module's own walk: Conv2d followed by BatchNorm2d → one ``conv2d`` with the BN folded
into weight and bias (eval-mode running statistics), ReLU → ``relu``, MaxPool2d → ``maxpool2d``,
AdaptiveAvgPool2d(1) → ``global_avgpool`` (its output is already a vector, so the following
Flatten is dropped), Flatten → ``flatten``, Linear → ``linear``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from codesign.sim.format import LayerSpec, ModelSpec, write_model

__all__ = ["robust_model_spec", "export_robust_model"]


class ExportError(ValueError):
    user_error = True


def _f32(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float32)


def _pair(v) -> list[int]:
    return [int(v), int(v)] if isinstance(v, int) else [int(v[0]), int(v[1])]


def _fold(conv: nn.Conv2d, bn: nn.BatchNorm2d | None) -> tuple[np.ndarray, np.ndarray]:
    w = conv.weight.detach().double()
    b = conv.bias.detach().double() if conv.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64)
    if bn is not None:
        scale = bn.weight.detach().double() / torch.sqrt(bn.running_var.double() + bn.eps)
        w = w * scale[:, None, None, None]
        b = (b - bn.running_mean.double()) * scale + bn.bias.detach().double()
    return _f32(w), _f32(b)


@torch.no_grad()
def robust_model_spec(model: nn.Sequential, name: str, x_golden: torch.Tensor, y_golden: torch.Tensor,
                      x_test: torch.Tensor | None = None, y_test: torch.Tensor | None = None,
                      metadata: dict | None = None) -> ModelSpec:
    """ModelSpec of ``model`` with golden logits on ``x_golden`` and an optional test set."""
    model.eval()
    mods = list(model.children())
    layers: list[LayerSpec] = []
    prev, i, k = "input", 0, 0
    while i < len(mods):
        m = mods[i]
        lname = f"l{k}_{type(m).__name__.lower()}"
        if isinstance(m, nn.Conv2d):
            bn = mods[i + 1] if i + 1 < len(mods) and isinstance(mods[i + 1], nn.BatchNorm2d) else None
            w, b = _fold(m, bn)
            attrs = {"in_channels": m.in_channels, "out_channels": m.out_channels, "kernel_size": list(m.kernel_size),
                     "stride": list(m.stride), "padding": _pair(m.padding), "groups": m.groups}
            layers.append(LayerSpec(lname, "conv2d", [prev], attrs, {"weight": w, "bias": b}))
            i += 2 if bn is not None else 1
        elif isinstance(m, nn.ReLU):
            layers.append(LayerSpec(lname, "relu", [prev]))
            i += 1
        elif isinstance(m, nn.MaxPool2d):
            attrs = {"kernel_size": _pair(m.kernel_size), "stride": _pair(m.stride or m.kernel_size),
                     "padding": _pair(m.padding)}
            layers.append(LayerSpec(lname, "maxpool2d", [prev], attrs))
            i += 1
        elif isinstance(m, nn.AdaptiveAvgPool2d) and _pair(m.output_size) == [1, 1]:
            layers.append(LayerSpec(lname, "global_avgpool", [prev]))
            i += 2 if i + 1 < len(mods) and isinstance(mods[i + 1], nn.Flatten) else 1
        elif isinstance(m, nn.Flatten):
            layers.append(LayerSpec(lname, "flatten", [prev]))
            i += 1
        elif isinstance(m, nn.Linear):
            arrays = {"weight": _f32(m.weight)} | ({"bias": _f32(m.bias)} if m.bias is not None else {})
            layers.append(LayerSpec(lname, "linear", [prev], {"in_features": m.in_features,
                                                             "out_features": m.out_features}, arrays))
            i += 1
        else:
            raise ExportError(f"robust export of {name!r}: unsupported module {type(m).__name__} at position {i}")
        prev = lname
        k += 1
    logits = model(x_golden.float())
    spec = ModelSpec(name=name, input_shape=tuple(x_golden.shape[1:]), num_classes=int(logits.shape[1]),
                     layers=layers, metadata=metadata or {}, producer="codesign.models.robust_export")
    spec.golden_inputs = _f32(x_golden)
    spec.golden_logits = _f32(logits)
    spec.golden_predictions = logits.argmax(1).numpy().astype(np.int64)
    spec.golden_labels = y_golden.numpy().astype(np.int64)
    if x_test is not None:
        spec.test_inputs = _f32(x_test)
        spec.test_labels = y_test.numpy().astype(np.int64)
    return spec


def export_robust_model(path, model: nn.Sequential, name: str, x_golden, y_golden, **kw) -> Path:
    """Write ``model`` to ``path`` (atomic, validated)."""
    return write_model(Path(path), robust_model_spec(model, name, x_golden, y_golden, **kw))
