"""Export a PyTorch model to the HDF5 exchange format (``docs/format.md``): the one exporter of every method.

The model is traced with ``torch.fx`` (modules with a registered exporter are leaves); every node
becomes zero or more :class:`LayerSpec`. A layer is named after its module's qualified name
(``conv1``, ``layers_0_conv1``: dots become ``_``, a leading digit gets an ``l``, so an unnamed
``nn.Sequential`` child ``0`` is ``l0``) or, for a function, after its fx node (``add_1``).
Exporters of torch's own layers are here; each method registers its own layer types in its
sub-package's ``export`` module (:data:`METHOD_EXPORTERS`, all imported before the first lookup,
so no import order matters)::

    @register_module(MyLayer)
    def _my_layer(mod: MyLayer, name: str, inputs: list[str]) -> list[LayerSpec]: ...

    @register_function(torch.mul)   # for call_function / call_method nodes (by target)
    def _mul(node, name, inputs) -> list[LayerSpec]: ...

BatchNorm (:func:`fold_batchnorm`, :func:`bn_affine`): at export, a BatchNorm2d that alone reads
an ``nn.Conv2d`` is folded into that conv's exported weight and bias (float64, then float32; the
model is not changed); PECAN layers are folded in place before freezing (training).
Golden logits/predictions are the model's eval-mode outputs on ``golden_inputs``.
"""

from __future__ import annotations

import importlib
import operator
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.fx
import torch.nn.functional as F
from torch import nn

from codesign.errors import CodesignError
from codesign.sim.format import LayerSpec, ModelSpec, write_model

PRODUCER = "codesign.models.export"
#: modules registering the exporters of each method's own layer types
METHOD_EXPORTERS = ("codesign.models.pecan.export", "codesign.models.debut.export",
                    "codesign.models.compression.export")


class ExportError(CodesignError, ValueError):
    """The model cannot be expressed in the exchange format."""


ModuleFn = Callable[[nn.Module, str, list[str]], list[LayerSpec]]
FunctionFn = Callable[[torch.fx.Node, str, list[str]], list[LayerSpec]]
EXPORTERS: dict[type[nn.Module], ModuleFn] = {}
FUNCTION_EXPORTERS: dict[Any, FunctionFn] = {}


def register_module(*classes: type[nn.Module]) -> Callable[[ModuleFn], ModuleFn]:
    def deco(fn: ModuleFn) -> ModuleFn:
        for cls in classes:
            EXPORTERS[cls] = fn
        return fn
    return deco


def register_function(*targets: Any) -> Callable[[FunctionFn], FunctionFn]:
    def deco(fn: FunctionFn) -> FunctionFn:
        for t in targets:
            FUNCTION_EXPORTERS[t] = fn
        return fn
    return deco


def _load_method_exporters() -> None:
    for module in METHOD_EXPORTERS:
        importlib.import_module(module)


def f32(t: torch.Tensor) -> np.ndarray:
    """A tensor as a float32 NumPy array (a copy)."""
    return t.detach().cpu().to(torch.float32).numpy().copy()


def pair(v: Any) -> list[int]:
    """An int or a 2-sequence as ``[a, b]``."""
    return [int(v), int(v)] if isinstance(v, int) else [int(x) for x in v]


def _simple(kind: str) -> Callable[..., list[LayerSpec]]:
    return lambda obj, name, inputs: [LayerSpec(name, kind, inputs)]


# -- torch module converters ---------------------------------------------------------------

@register_module(nn.Conv2d)
def _conv(m: nn.Conv2d, name: str, inputs: list[str]) -> list[LayerSpec]:
    if pair(m.dilation) != [1, 1] or not isinstance(m.padding, (tuple, int)) or m.padding_mode != "zeros":
        raise ExportError(f"{name}: Conv2d with dilation {m.dilation}, padding {m.padding!r}/{m.padding_mode}; "
                          "expected dilation 1 and explicit zero padding")
    arrays = {"weight": f32(m.weight)}
    if m.bias is not None:
        arrays["bias"] = f32(m.bias)
    attrs = {"in_channels": m.in_channels, "out_channels": m.out_channels, "kernel_size": pair(m.kernel_size),
             "stride": pair(m.stride), "padding": pair(m.padding), "groups": m.groups}
    return [LayerSpec(name, "conv2d", inputs, attrs, arrays)]


@register_module(nn.Linear)
def _linear(m: nn.Linear, name: str, inputs: list[str]) -> list[LayerSpec]:
    arrays = {"weight": f32(m.weight)}
    if m.bias is not None:
        arrays["bias"] = f32(m.bias)
    return [LayerSpec(name, "linear", inputs, {"in_features": m.in_features, "out_features": m.out_features}, arrays)]


@register_module(nn.BatchNorm2d)
def _bn(m: nn.BatchNorm2d, name: str, inputs: list[str]) -> list[LayerSpec]:
    scale, shift = bn_affine(m)
    return [LayerSpec(name, "batchnorm2d", inputs, {"num_features": m.num_features},
                      {"scale": f32(scale), "shift": f32(shift)})]


def _flatten_checked(start: int, end: int, name: str, inputs: list[str]) -> list[LayerSpec]:
    if start != 1 or end != -1:
        raise ExportError(f"{name}: flatten(start_dim={start}, end_dim={end}); expected start_dim=1, end_dim=-1")
    return [LayerSpec(name, "flatten", inputs)]


def _gap(size: Any, name: str, inputs: list[str]) -> list[LayerSpec]:
    if pair(size) != [1, 1]:
        raise ExportError(f"{name}: AdaptiveAvgPool2d({size}); only output size 1 (global average pool) is supported")
    return [LayerSpec(name, "global_avgpool", inputs)]


def _gmp(size: Any, name: str, inputs: list[str]) -> list[LayerSpec]:
    if pair(size) != [1, 1]:
        raise ExportError(f"{name}: AdaptiveMaxPool2d({size}); only output size 1 (global max pool) is supported")
    return [LayerSpec(name, "global_maxpool", inputs)]


def _pool(kind: str) -> ModuleFn:
    def fn(m: nn.Module, name: str, inputs: list[str]) -> list[LayerSpec]:
        if getattr(m, "ceil_mode", False) or pair(getattr(m, "dilation", 1)) != [1, 1]:
            raise ExportError(f"{name}: pooling with ceil_mode/dilation is not supported")
        if kind == "avgpool2d" and not m.count_include_pad:
            raise ExportError(f"{name}: AvgPool2d(count_include_pad=False) is not supported")
        stride = m.stride if m.stride is not None else m.kernel_size
        attrs = {"kernel_size": pair(m.kernel_size), "stride": pair(stride), "padding": pair(m.padding)}
        return [LayerSpec(name, kind, inputs, attrs)]
    return fn


register_module(nn.ReLU)(_simple("relu"))
register_module(nn.Flatten)(lambda m, name, inputs: _flatten_checked(m.start_dim, m.end_dim, name, inputs))
register_module(nn.Identity)(lambda m, name, inputs: [])
register_module(nn.AdaptiveAvgPool2d)(lambda m, name, inputs: _gap(m.output_size, name, inputs))
register_module(nn.AdaptiveMaxPool2d)(lambda m, name, inputs: _gmp(m.output_size, name, inputs))
register_module(nn.Dropout)(lambda m, name, inputs: [])  # identity in eval mode
register_module(nn.MaxPool2d)(_pool("maxpool2d"))
register_module(nn.AvgPool2d)(_pool("avgpool2d"))

# -- function / method converters -------------------------------------------------------
register_function(operator.add, torch.add, "add", "add_")(_simple("add"))
register_function(F.relu, torch.relu, "relu", "relu_")(_simple("relu"))


@register_function(torch.flatten, "flatten")
def _flatten_fn(node: torch.fx.Node, name: str, inputs: list[str]) -> list[LayerSpec]:
    start = node.args[1] if len(node.args) > 1 else node.kwargs.get("start_dim", 0)
    end = node.args[2] if len(node.args) > 2 else node.kwargs.get("end_dim", -1)
    return _flatten_checked(start, end, name, inputs)


# -- BatchNorm folding ----------------------------------------------------------------------

def bn_affine(bn: nn.BatchNorm2d, dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel ``(scale, shift)`` with eval-mode ``bn(x) = scale·x + shift``, computed in ``dtype``."""
    with torch.no_grad():
        root = torch.sqrt(bn.running_var.to(dtype) + bn.eps)
        scale = bn.weight.detach().to(dtype) / root if bn.affine else 1 / root
        shift = (bn.bias.detach().to(dtype) if bn.affine else 0) - bn.running_mean.to(dtype) * scale
    return scale, shift


def _folded(layer: nn.Module, bn: nn.BatchNorm2d, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Weight and bias of ``layer`` followed by ``bn``, computed in ``dtype``."""
    scale, shift = bn_affine(bn, dtype)
    w = layer.weight.detach().to(dtype) * scale.reshape(-1, *([1] * (layer.weight.dim() - 1)))
    b = layer.bias.detach().to(dtype) if layer.bias is not None else torch.zeros_like(shift)
    return w, b * scale + shift


def _bn_pairs(graph: torch.fx.Graph, modules: dict[str, nn.Module], into: tuple[type, ...]) -> dict[str, str]:
    """{BatchNorm2d name: layer name} for each BN whose input is a layer of type ``into`` read by
    nothing else (both called once)."""
    calls = Counter(n.target for n in graph.nodes if n.op == "call_module")
    pairs = {}
    for node in graph.nodes:
        if node.op != "call_module" or not isinstance(modules[node.target], nn.BatchNorm2d) or not node.args:
            continue
        src = node.args[0]
        if (isinstance(src, torch.fx.Node) and src.op == "call_module" and isinstance(modules[src.target], into)
                and len(src.users) == 1 and calls[src.target] == calls[node.target] == 1):
            pairs[node.target] = src.target
    return pairs


@torch.no_grad()
def fold_batchnorm(model: nn.Module, into: tuple[type[nn.Module], ...] = (nn.Conv2d,),
                   dtype: torch.dtype | None = None) -> nn.Module:
    """Fold every eval-mode BatchNorm2d into the layer of a type in ``into`` (e.g. ``nn.Conv2d``,
    the PECAN convs) whose output only it reads, in place; the BN becomes ``nn.Identity``.

    Arithmetic in ``dtype`` (default: the layer weight's own), stored in the weight's dtype. For a
    PECAN layer the per-channel scale goes into W (so into the LUT): fold before freezing (a
    frozen layer is frozen again). Returns ``model``.
    """
    graph = _Tracer().trace(model)
    modules = dict(model.named_modules())
    for bn_name, name in _bn_pairs(graph, modules, tuple(into)).items():
        layer = modules[name]
        w, b = _folded(layer, modules[bn_name], dtype or layer.weight.dtype)
        layer.weight.copy_(w)
        if layer.bias is None:
            layer.bias = nn.Parameter(b.to(layer.weight.dtype))
        else:
            layer.bias.copy_(b)
        if getattr(layer, "frozen", False):
            layer.freeze()
        model.set_submodule(bn_name, nn.Identity())
    return model


# -- graph walk ---------------------------------------------------------------------------

class _Tracer(torch.fx.Tracer):
    def trace(self, root: Any, concrete_args: Any = None) -> torch.fx.Graph:
        _load_method_exporters()
        return super().trace(root, concrete_args)

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return type(m) in EXPORTERS or super().is_leaf_module(m, qualname)


def model_to_layers(model: nn.Module, *, zero_bias: bool = False) -> list[LayerSpec]:
    """Convert ``model`` (eval mode) to exchange-format layers in topological order, a BatchNorm2d
    that alone reads an ``nn.Conv2d`` folded into it. ``zero_bias``: every ``nn.Conv2d`` /
    ``nn.Linear`` without a bias gets a zero ``bias`` dataset (so the cost models count its adds)."""
    graph = _Tracer().trace(model)
    modules = dict(model.named_modules())
    folds = _bn_pairs(graph, modules, (nn.Conv2d,))
    folded_into = {conv: bn for bn, conv in folds.items()}
    alias: dict[str, str] = {}  # fx node name -> layer name producing its value
    layers: list[LayerSpec] = []
    for node in graph.nodes:
        if node.op == "placeholder":
            alias[node.name] = "input"
            continue
        if node.op == "output":
            continue
        inputs = [alias[a.name] for a in node.all_input_nodes]
        if node.op == "call_module" and node.target in folds:
            alias[node.name] = inputs[0]  # the conv it is folded into
            continue
        name = node.target.replace(".", "_") if node.op == "call_module" else node.name
        name = f"l{name}" if name[:1].isdigit() else name
        mod = modules[node.target] if node.op == "call_module" else None
        if mod is not None:
            fn, what = EXPORTERS.get(type(mod)), type(mod).__name__
        elif node.op in ("call_function", "call_method"):
            fn, what = FUNCTION_EXPORTERS.get(node.target), getattr(node.target, "__name__", str(node.target))
        else:
            fn, what = None, f"{node.op} {node.target}"
        if fn is None:
            raise ExportError(f"{name}: no exporter for {what}; register one with codesign.models.export."
                              "register_module (modules) or register_function (functions)")
        produced = fn(node if mod is None else mod, name, inputs)
        if mod is not None and node.target in folded_into:
            w, b = _folded(mod, modules[folded_into[node.target]], torch.float64)
            produced[-1].arrays.update(weight=f32(w), bias=f32(b))
        if zero_bias and isinstance(mod, (nn.Conv2d, nn.Linear)):
            out = mod.out_channels if isinstance(mod, nn.Conv2d) else mod.out_features
            produced[-1].arrays.setdefault("bias", np.zeros(out, np.float32))
        layers.extend(produced)
        alias[node.name] = produced[-1].name if produced else inputs[0]
    return layers


def _np(a: Any, dtype: Any) -> np.ndarray:
    return (a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)).astype(dtype)


@torch.no_grad()
def model_spec(model: nn.Module, *, golden_inputs: Any = None, golden_labels: Any = None, test_inputs: Any = None,
               test_labels: Any = None, input_shape: tuple[int, ...] | None = None, name: str = "model",
               metadata: dict | None = None, zero_bias: bool = False) -> ModelSpec:
    """The :class:`ModelSpec` of ``model`` (eval mode; PECAN layers frozen).

    Golden vectors are the model's outputs on ``golden_inputs`` (``golden_labels`` default to its
    predictions); without golden inputs give ``input_shape`` (no batch dimension).
    ``zero_bias``: see :func:`model_to_layers`.
    """
    model.eval()
    layers = model_to_layers(model, zero_bias=zero_bias)
    meta = dict(metadata or {})
    if golden_inputs is None:
        if input_shape is None:
            raise ExportError(f"{name}: neither golden_inputs nor input_shape given; expected one of them")
        logits = model(torch.zeros(1, *input_shape))
        spec = ModelSpec(name=name, input_shape=tuple(int(s) for s in input_shape), num_classes=int(logits.shape[-1]),
                         layers=layers, metadata=meta, producer=PRODUCER)
    else:
        gi = np.ascontiguousarray(_np(golden_inputs, np.float32))
        gl = None if golden_labels is None else _np(golden_labels, np.int64)
        if gi.ndim < 2 or (gl is not None and len(gi) != len(gl)):
            raise ExportError(f"{name}: golden_inputs {gi.shape} / golden_labels {None if gl is None else gl.shape}; "
                              "expected (N, ...) and (N,)")
        logits = model(torch.from_numpy(gi)).float().numpy()
        if logits.ndim != 2:
            raise ExportError(f"{name}: model output shape {logits.shape}; expected (N, num_classes)")
        pred = logits.argmax(1).astype(np.int64)
        gl = pred.copy() if gl is None else gl
        spec = ModelSpec(name=name, input_shape=tuple(gi.shape[1:]), num_classes=int(logits.shape[1]), layers=layers,
                         golden_inputs=gi, golden_logits=np.ascontiguousarray(logits), golden_predictions=pred,
                         golden_labels=gl, metadata=meta, producer=PRODUCER)
    if test_inputs is not None:
        spec.test_inputs = np.ascontiguousarray(_np(test_inputs, np.float32))
        spec.test_labels = _np(test_labels, np.int64) if test_labels is not None else None
    return spec


def export_model(model: nn.Module, path: str | Path, **kw: Any) -> Path:
    """Write ``model`` to ``path`` atomically (keywords of :func:`model_spec`); return the path."""
    return write_model(path, model_spec(model, **kw))


@torch.no_grad()
def architecture_spec(variant: str, seed: int = 0, **knobs: Any) -> ModelSpec:
    """An *untrained* digits net of ``variant`` with the given :class:`NetConfig` knobs, frozen and
    converted to a :class:`ModelSpec` (no golden data) — for analytic cost sweeps (costs depend on
    shapes and mapping only, not on trained values)."""
    from codesign.models.nets.digits import NetConfig, build_digits_net
    from codesign.models.pecan.network import calibrate, freeze_model

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
                     metadata={"variant": variant, "trained": False, **knobs}, producer=PRODUCER)
