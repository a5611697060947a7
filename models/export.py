"""Export a PyTorch model to the HDF5 exchange format (``docs/format.md``).

The model is traced with ``torch.fx`` (modules in :data:`EXPORTERS` are leaves); every node
becomes one or more :class:`LayerSpec`. Extend it by registering converters::

    @register_module(MyLayer)
    def _my_layer(mod: MyLayer, name: str, inputs: list[str]) -> list[LayerSpec]: ...

    @register_function(torch.mul)   # for call_function / call_method nodes (by target)
    def _mul(node, name, inputs) -> list[LayerSpec]: ...

BatchNorm2d right after a conv2d whose output feeds only the BN is folded into that conv
(float layers; PECAN layers must be folded before freezing, see ``nets.fold_batchnorm``).
Golden logits/predictions are the model's eval-mode outputs on ``golden_inputs``.
"""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.fx
import torch.nn.functional as F
from torch import nn

from codesign.errors import CodesignError
from codesign.models.pecan.layers import PecanConv2d, PecanLinear, calibrate, freeze_model
from codesign.sim.format import LayerSpec, ModelSpec, write_model


class ExportError(CodesignError, ValueError):
    """The model cannot be expressed in the exchange format."""


ModuleFn = Callable[[nn.Module, str, list[str]], list[LayerSpec]]
FunctionFn = Callable[[torch.fx.Node, str, list[str]], list[LayerSpec]]
EXPORTERS: dict[type[nn.Module], ModuleFn] = {}
FUNCTION_EXPORTERS: dict[Any, FunctionFn] = {}


def register_module(cls: type[nn.Module]) -> Callable[[ModuleFn], ModuleFn]:
    def deco(fn: ModuleFn) -> ModuleFn:
        EXPORTERS[cls] = fn
        return fn
    return deco


def register_function(*targets: Any) -> Callable[[FunctionFn], FunctionFn]:
    def deco(fn: FunctionFn) -> FunctionFn:
        for t in targets:
            FUNCTION_EXPORTERS[t] = fn
        return fn
    return deco


def _f32(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().to(torch.float32).numpy().copy()


def _pair(v: Any) -> list[int]:
    return [int(v), int(v)] if isinstance(v, int) else [int(x) for x in v]


def _simple(kind: str) -> Callable[..., list[LayerSpec]]:
    return lambda obj, name, inputs: [LayerSpec(name, kind, inputs)]


# -- module converters -------------------------------------------------------------------

@register_module(nn.Conv2d)
def _conv(m: nn.Conv2d, name: str, inputs: list[str]) -> list[LayerSpec]:
    if _pair(m.dilation) != [1, 1] or not isinstance(m.padding, (tuple, int)) or m.padding_mode != "zeros":
        raise ExportError(f"{name}: Conv2d with dilation {m.dilation}, padding {m.padding!r}/{m.padding_mode}; "
                          "expected dilation 1 and explicit zero padding")
    arrays = {"weight": _f32(m.weight)}
    if m.bias is not None:
        arrays["bias"] = _f32(m.bias)
    attrs = {"in_channels": m.in_channels, "out_channels": m.out_channels, "kernel_size": _pair(m.kernel_size),
             "stride": _pair(m.stride), "padding": _pair(m.padding), "groups": m.groups}
    return [LayerSpec(name, "conv2d", inputs, attrs, arrays)]


@register_module(nn.Linear)
def _linear(m: nn.Linear, name: str, inputs: list[str]) -> list[LayerSpec]:
    arrays = {"weight": _f32(m.weight)}
    if m.bias is not None:
        arrays["bias"] = _f32(m.bias)
    return [LayerSpec(name, "linear", inputs, {"in_features": m.in_features, "out_features": m.out_features}, arrays)]


@register_module(nn.BatchNorm2d)
def _bn(m: nn.BatchNorm2d, name: str, inputs: list[str]) -> list[LayerSpec]:
    with torch.no_grad():
        scale = 1.0 / torch.sqrt(m.running_var.double() + m.eps)
        if m.affine:
            scale = scale * m.weight.double()
        shift = (m.bias.double() if m.affine else 0.0) - m.running_mean.double() * scale
    return [LayerSpec(name, "batchnorm2d", inputs, {"num_features": m.num_features},
                      {"scale": _f32(scale), "shift": _f32(shift)})]


def _pecan(m: PecanLinear | PecanConv2d, name: str, inputs: list[str]) -> list[LayerSpec]:
    if not m.frozen:
        raise ExportError(f"{name}: PECAN layer is not frozen; call codesign.models.pecan.layers.freeze_model(model) "
                          "(after calibrate()) before export")
    attrs: dict[str, Any] = m.pecan_attrs()
    if isinstance(m, PecanConv2d):
        kind = "pecan_conv2d"
        attrs.update(in_channels=m.in_channels, out_channels=m.out_channels, kernel_size=list(m.kernel_size),
                     stride=list(m.stride), padding=list(m.padding))
    else:
        kind = "pecan_linear"
        attrs.update(in_features=m.in_features, out_features=m.out_features)
    arrays = {"prototypes": m.proto_codes.cpu().numpy().astype(np.int32),
              "lut": m.lut_codes.cpu().numpy().astype(np.int32),
              "bias": m.qbias.cpu().numpy().astype(np.float32)}
    return [LayerSpec(name, kind, inputs, attrs, arrays)]


EXPORTERS[PecanLinear] = _pecan
EXPORTERS[PecanConv2d] = _pecan
EXPORTERS[nn.ReLU] = _simple("relu")
EXPORTERS[nn.Flatten] = lambda m, name, inputs: _flatten_checked(m.start_dim, m.end_dim, name, inputs)
EXPORTERS[nn.Identity] = lambda m, name, inputs: []
EXPORTERS[nn.AdaptiveAvgPool2d] = lambda m, name, inputs: _gap(m.output_size, name, inputs)


def _flatten_checked(start: int, end: int, name: str, inputs: list[str]) -> list[LayerSpec]:
    if start != 1 or end != -1:
        raise ExportError(f"{name}: flatten(start_dim={start}, end_dim={end}); expected start_dim=1, end_dim=-1")
    return [LayerSpec(name, "flatten", inputs)]


def _gap(size: Any, name: str, inputs: list[str]) -> list[LayerSpec]:
    if _pair(size) != [1, 1]:
        raise ExportError(f"{name}: AdaptiveAvgPool2d({size}); only output size 1 (global average pool) is supported")
    return [LayerSpec(name, "global_avgpool", inputs)]


def _pool(kind: str) -> ModuleFn:
    def fn(m: nn.Module, name: str, inputs: list[str]) -> list[LayerSpec]:
        if getattr(m, "ceil_mode", False) or _pair(getattr(m, "dilation", 1)) != [1, 1]:
            raise ExportError(f"{name}: pooling with ceil_mode/dilation is not supported")
        if kind == "avgpool2d" and not m.count_include_pad:
            raise ExportError(f"{name}: AvgPool2d(count_include_pad=False) is not supported")
        stride = m.stride if m.stride is not None else m.kernel_size
        attrs = {"kernel_size": _pair(m.kernel_size), "stride": _pair(stride), "padding": _pair(m.padding)}
        return [LayerSpec(name, kind, inputs, attrs)]
    return fn


EXPORTERS[nn.MaxPool2d] = _pool("maxpool2d")
EXPORTERS[nn.AvgPool2d] = _pool("avgpool2d")

# -- function / method converters -------------------------------------------------------
register_function(operator.add, torch.add, "add", "add_")(_simple("add"))
register_function(F.relu, torch.relu, "relu", "relu_")(_simple("relu"))


@register_function(torch.flatten, "flatten")
def _flatten_fn(node: torch.fx.Node, name: str, inputs: list[str]) -> list[LayerSpec]:
    start = node.args[1] if len(node.args) > 1 else node.kwargs.get("start_dim", 0)
    end = node.args[2] if len(node.args) > 2 else node.kwargs.get("end_dim", -1)
    return _flatten_checked(start, end, name, inputs)


# -- graph walk ---------------------------------------------------------------------------

class _Tracer(torch.fx.Tracer):
    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return type(m) in EXPORTERS or super().is_leaf_module(m, qualname)


def model_to_layers(model: nn.Module) -> list[LayerSpec]:
    """Convert ``model`` to exchange-format layers (topological order, BN folded where possible)."""
    graph = _Tracer().trace(model)
    modules = dict(model.named_modules())
    alias: dict[str, str] = {}  # fx node name -> layer name producing its value
    layers: list[LayerSpec] = []
    for node in graph.nodes:
        if node.op == "placeholder":
            alias[node.name] = "input"
            continue
        if node.op == "output":
            continue
        inputs = [alias[a.name] for a in node.all_input_nodes]
        name = node.target.replace(".", "_") if node.op == "call_module" else node.name
        name = f"l{name}" if name[:1].isdigit() else name
        if node.op == "call_module":
            mod = modules[node.target]
            fn = EXPORTERS.get(type(mod))
            what = type(mod).__name__
        elif node.op in ("call_function", "call_method"):
            fn = FUNCTION_EXPORTERS.get(node.target)
            what = getattr(node.target, "__name__", str(node.target))
        else:
            fn, what = None, f"{node.op} {node.target}"
        if fn is None:
            raise ExportError(f"{name}: no exporter for {what}; register one in codesign.models.export.EXPORTERS "
                              "(modules) or FUNCTION_EXPORTERS (functions)")
        produced = fn(mod if node.op == "call_module" else node, name, inputs)
        layers.extend(produced)
        alias[node.name] = produced[-1].name if produced else inputs[0]
    return fold_batchnorm_specs(layers)


def fold_batchnorm_specs(layers: list[LayerSpec]) -> list[LayerSpec]:
    """Fold ``batchnorm2d`` into a preceding ``conv2d`` used only by it (float64 arithmetic)."""
    users: dict[str, int] = {}
    for layer in layers:
        for src in layer.inputs:
            users[src] = users.get(src, 0) + 1
    by_name = {layer.name: layer for layer in layers}
    out: list[LayerSpec] = []
    for layer in layers:
        src = by_name.get(layer.inputs[0]) if layer.type == "batchnorm2d" else None
        if src is not None and src.type == "conv2d" and users.get(src.name) == 1:
            scale = layer.arrays["scale"].astype(np.float64)
            shift = layer.arrays["shift"].astype(np.float64)
            w = src.arrays["weight"].astype(np.float64) * scale[:, None, None, None]
            b = src.arrays.get("bias", np.zeros_like(scale)).astype(np.float64) * scale + shift
            src.arrays.update(weight=w.astype(np.float32), bias=b.astype(np.float32))
            for other in layers:  # consumers of the BN now read the conv
                other.inputs = [src.name if s == layer.name else s for s in other.inputs]
            continue
        out.append(layer)
    return out


@torch.no_grad()
def architecture_spec(variant: str, seed: int = 0, **knobs: Any) -> ModelSpec:
    """An *untrained* digits net of ``variant`` with the given :class:`NetConfig` knobs, frozen and
    converted to a :class:`ModelSpec` (no golden data) — for analytic cost sweeps (costs depend on
    shapes and mapping only, not on trained values)."""
    from codesign.models.nets.digits import NetConfig, build_digits_net

    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = build_digits_net(variant, NetConfig(**knobs))
        x = torch.rand(64, 1, 8, 8, generator=gen)
        model.train()
        model(x)  # prototypes seeded from data
        calibrate(model, x)
        freeze_model(model)
    layers = model_to_layers(model)
    return ModelSpec(name=f"digits-{variant}-untrained", input_shape=(1, 8, 8), num_classes=10, layers=layers,
                     metadata={"variant": variant, "trained": False, **knobs}, producer="codesign.models.export")


def _np(a: Any, dtype: Any) -> np.ndarray:
    return (a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)).astype(dtype)


@torch.no_grad()
def export_model(model: nn.Module, path: str | Path, *, golden_inputs: Any, golden_labels: Any,
                 test_inputs: Any = None, test_labels: Any = None, name: str = "model",
                 metadata: dict | None = None) -> Path:
    """Write ``model`` (eval mode; PECAN layers frozen) to ``path`` atomically; return the path."""
    model.eval()
    gi = np.ascontiguousarray(_np(golden_inputs, np.float32))
    gl = _np(golden_labels, np.int64)
    if gi.ndim < 2 or len(gi) != len(gl):
        raise ExportError(f"{path}: golden_inputs {gi.shape} / golden_labels {gl.shape}; expected (N, ...) and (N,)")
    layers = model_to_layers(model)
    logits = model(torch.from_numpy(gi)).float().numpy()
    if logits.ndim != 2:
        raise ExportError(f"{path}: model output shape {logits.shape}; expected (N, num_classes)")
    spec = ModelSpec(
        name=name, input_shape=tuple(gi.shape[1:]), num_classes=int(logits.shape[1]), layers=layers,
        golden_inputs=gi, golden_logits=np.ascontiguousarray(logits), golden_predictions=logits.argmax(1).astype(np.int64),
        golden_labels=gl, metadata=dict(metadata or {}), producer="codesign.models.export",
    )
    if test_inputs is not None:
        spec.test_inputs = np.ascontiguousarray(_np(test_inputs, np.float32))
        spec.test_labels = _np(test_labels, np.int64) if test_labels is not None else None
    return write_model(path, spec)


import codesign.models.debut.export  # noqa: E402,F401  (registers the DeBut exporters)
