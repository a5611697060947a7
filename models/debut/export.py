"""Export DeBut layers to the exchange format (``debut_linear`` / ``debut_conv2d``).

Layer attributes: in_features/out_features (linear) or in_channels, out_channels, kernel_size,
stride, padding, column_order="ci_kh_kw" (conv); n_factors; chain_order="input_first".
Datasets: ``chain`` int64 [n_factors, 5] rows [p, q, r, s, t]; ``factor_k`` float32
theta[a, r, s, t] (F_k[b·r·t+i·t+d, b·s·t+j·t+d] = theta[b,i,j,d]); ``bias`` float32 [out].

:func:`debut_layer_spec` is the per-module exporter (registered in ``models/export.py``'s
``EXPORTERS`` when that module exists). :func:`export_sequential` writes a plain
``nn.Sequential`` of conv/linear/DeBut/ReLU/pool/flatten layers, with golden outputs and a test
set — enough for the DeBut experiments.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from codesign.models.debut.layers import CHAIN_ORDER, COLUMN_ORDER, DeButConv2d, DeButLinear
from codesign.sim.format import LayerSpec, ModelSpec, write_model

__all__ = ["debut_layer_spec", "export_sequential", "sequential_spec", "register_exporters"]


def _f32(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float32)


def debut_layer_spec(name: str, mod: nn.Module, inputs: list[str]) -> LayerSpec:
    """LayerSpec of a DeButLinear / DeButConv2d."""
    arrays = {"chain": mod.chain_array}
    for k, th in enumerate(mod.thetas):
        arrays[f"factor_{k}"] = _f32(th)
    if mod.bias is not None:
        arrays["bias"] = _f32(mod.bias)
    attrs = {"n_factors": len(mod.chain), "chain_order": CHAIN_ORDER}
    if isinstance(mod, DeButLinear):
        attrs.update(in_features=mod.in_features, out_features=mod.out_features)
        return LayerSpec(name, "debut_linear", inputs, attrs, arrays)
    if isinstance(mod, DeButConv2d):
        attrs.update(in_channels=mod.in_channels, out_channels=mod.out_channels, kernel_size=list(mod.kernel_size),
                     stride=list(mod.stride), padding=list(mod.padding), column_order=COLUMN_ORDER)
        return LayerSpec(name, "debut_conv2d", inputs, attrs, arrays)
    raise TypeError(f"{name}: {type(mod).__name__} is not a DeBut layer")


def _pair(v) -> list[int]:
    return [int(v), int(v)] if isinstance(v, int) else [int(v[0]), int(v[1])]


def _plain_spec(name: str, mod: nn.Module, inputs: list[str]) -> LayerSpec:
    if isinstance(mod, (DeButLinear, DeButConv2d)):
        return debut_layer_spec(name, mod, inputs)
    if isinstance(mod, nn.Linear):
        arrays = {"weight": _f32(mod.weight)} | ({"bias": _f32(mod.bias)} if mod.bias is not None else {})
        return LayerSpec(name, "linear", inputs, {"in_features": mod.in_features, "out_features": mod.out_features}, arrays)
    if isinstance(mod, nn.Conv2d):
        arrays = {"weight": _f32(mod.weight)} | ({"bias": _f32(mod.bias)} if mod.bias is not None else {})
        attrs = {"in_channels": mod.in_channels, "out_channels": mod.out_channels, "kernel_size": list(mod.kernel_size),
                 "stride": list(mod.stride), "padding": _pair(mod.padding), "groups": mod.groups}
        return LayerSpec(name, "conv2d", inputs, attrs, arrays)
    if isinstance(mod, nn.ReLU):
        return LayerSpec(name, "relu", inputs)
    if isinstance(mod, nn.Flatten):
        return LayerSpec(name, "flatten", inputs)
    if isinstance(mod, (nn.MaxPool2d, nn.AvgPool2d)):
        kind = "maxpool2d" if isinstance(mod, nn.MaxPool2d) else "avgpool2d"
        return LayerSpec(name, kind, inputs, {"kernel_size": _pair(mod.kernel_size),
                                              "stride": _pair(mod.stride or mod.kernel_size), "padding": _pair(mod.padding)})
    if isinstance(mod, nn.Sequential):  # a low-rank pair etc. is flattened by the caller
        raise TypeError("nested Sequential")
    raise TypeError(f"{name}: cannot export {type(mod).__name__}")


def _flat_modules(model: nn.Sequential, prefix: str = ""):
    for name, mod in model.named_children():
        if isinstance(mod, nn.Sequential):
            yield from _flat_modules(mod, prefix + name + "_")
        else:
            yield prefix + name, mod


@torch.no_grad()
def sequential_spec(model: nn.Sequential, input_shape: tuple[int, ...], num_classes: int, name: str,
                    golden: torch.Tensor | None = None, golden_labels: torch.Tensor | None = None,
                    test_x: torch.Tensor | None = None, test_y: torch.Tensor | None = None,
                    metadata: dict | None = None) -> ModelSpec:
    """ModelSpec of a (possibly nested) nn.Sequential."""
    model.eval()
    layers, prev = [], "input"
    for lname, mod in _flat_modules(model):
        layers.append(_plain_spec(lname, mod, [prev]))
        prev = lname
    spec = ModelSpec(name=name, input_shape=tuple(input_shape), num_classes=num_classes, layers=layers,
                     metadata=metadata or {}, producer="codesign.models.debut.export")
    if golden is not None:
        logits = model(golden.float())
        spec.golden_inputs = golden.float().numpy()
        spec.golden_logits = logits.numpy().astype(np.float32)
        spec.golden_predictions = logits.argmax(1).numpy().astype(np.int64)
        spec.golden_labels = (golden_labels if golden_labels is not None else logits.argmax(1)).numpy().astype(np.int64)
    if test_x is not None:
        spec.test_inputs = test_x.float().numpy()
        spec.test_labels = test_y.numpy().astype(np.int64)
    return spec


def export_sequential(path, model: nn.Sequential, input_shape, num_classes: int, name: str = "model", **kw) -> Path:
    """Write ``model`` to ``path`` (atomic; validated by the format's reader rules)."""
    return write_model(path, sequential_spec(model, input_shape, num_classes, name, **kw))


def register_exporters(registry: dict) -> None:
    """Add the DeBut module exporters to a registry keyed by module class."""
    registry[DeButLinear] = debut_layer_spec
    registry[DeButConv2d] = debut_layer_spec


def _register_with_fx_exporter() -> None:
    """Add DeBut layers to ``models/export.py``'s ``EXPORTERS`` (fx leaves) when that module exists."""
    try:
        from codesign.models import export as fx_export
    except ImportError:  # pragma: no cover - exporter not available
        return
    for cls in (DeButLinear, DeButConv2d):
        fx_export.EXPORTERS.setdefault(cls, lambda m, name, inputs: [debut_layer_spec(name, m, inputs)])


_register_with_fx_exporter()
