"""Rebuild the PyTorch eval module of an exported chain model (the reference the simulator is timed against).

Cached models are HDF5 files (docs/format.md); the benchmark needs the PyTorch module they came from.
Instead of retraining, :func:`torch_from_spec` rebuilds it from the file with the models' own layer
classes: PECAN layers are :class:`codesign.models.pecan.layers.PecanConv2d` / ``PecanLinear`` in the frozen
state ``freeze()`` leaves them in (integer prototype codes, integer LUT, scales, bias), so their
forward is the models' ``quantized_forward``; DeBut layers are :class:`codesign.models.debut.layers.DeButLinear`
/ ``DeButConv2d`` with the stored chain, factors and bias (their fused einsum forward, as at export);
float layers are ``nn.Conv2d``/``nn.Linear``/... with the stored weights. :func:`check_golden` proves
the rebuilt module is the trained one: its logits on the file's golden inputs must equal the golden
logits PyTorch wrote at export time.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from codesign.errors import CodesignError
from codesign.sim.format import LayerSpec, ModelSpec


class RebuildError(CodesignError, ValueError):
    """A model spec cannot be rebuilt in PyTorch."""


def _pecan(layer: LayerSpec) -> nn.Module:
    from codesign.models.pecan.layers import PecanConv2d, PecanLinear

    a, arr = layer.attrs, layer.arrays
    common = dict(subvector_dim=int(a["subvector_dim"]), num_prototypes=int(a["num_prototypes"]), mode=str(a["mode"]),
                  act_bits=int(a["act_bits"]), lut_bits=int(a["lut_bits"]))
    out = int(arr["lut"].shape[2])
    if layer.type == "pecan_conv2d":
        m = PecanConv2d(int(a["in_channels"]), out, tuple(a["kernel_size"]), stride=tuple(a["stride"]),
                        padding=tuple(a["padding"]), **common)
    else:
        m = PecanLinear(int(a["in_features"]), out, **common)
    m.proto_codes = torch.from_numpy(np.ascontiguousarray(arr["prototypes"], dtype=np.int32))
    m.lut_codes = torch.from_numpy(np.ascontiguousarray(arr["lut"], dtype=np.int32))
    m.qbias = torch.from_numpy(np.ascontiguousarray(arr["bias"], dtype=np.float32))
    m.act_scale, m.lut_scale = float(a["act_scale"]), float(a["lut_scale"])
    m.act_signed = bool(a["act_signed"])
    m.frozen = True
    return m


def _debut(layer: LayerSpec) -> nn.Module:
    from codesign.models.debut.layers import CHAIN_ORDER, COLUMN_ORDER, DeButConv2d, DeButLinear

    a, arr = layer.attrs, layer.arrays
    where = f"layer {layer.name!r} ({layer.type})"
    if str(a.get("chain_order", CHAIN_ORDER)) != CHAIN_ORDER:
        raise RebuildError(f"{where}: chain_order {a['chain_order']!r}; expected {CHAIN_ORDER!r}")
    chain = np.asarray(arr["chain"], dtype=np.int64).tolist()
    bias = "bias" in arr
    if layer.type == "debut_conv2d":
        if str(a.get("column_order", COLUMN_ORDER)) != COLUMN_ORDER:
            raise RebuildError(f"{where}: column_order {a['column_order']!r}; expected {COLUMN_ORDER!r}")
        m = DeButConv2d(int(a["in_channels"]), int(a["out_channels"]), _pair(a["kernel_size"]), chain,
                        stride=_pair(a["stride"]), padding=_pair(a["padding"]), bias=bias)
    else:
        m = DeButLinear(int(a["in_features"]), int(a["out_features"]), chain, bias=bias)
    with torch.no_grad():
        for k, (f, th) in enumerate(zip(m.chain, m.thetas)):
            th.copy_(torch.from_numpy(np.asarray(arr[f"factor_{k}"], np.float32).reshape(f.theta_shape)))
        if bias:
            m.bias.copy_(torch.from_numpy(np.asarray(arr["bias"], np.float32)))
    return m


def _pair(v) -> tuple[int, int]:
    v = list(np.atleast_1d(v))
    return (int(v[0]), int(v[-1]))


def _float(layer: LayerSpec) -> nn.Module:
    a, arr = layer.attrs, layer.arrays
    t = layer.type
    if t == "conv2d":
        w = arr["weight"]
        m = nn.Conv2d(int(a["in_channels"]), w.shape[0], _pair(a["kernel_size"]), stride=_pair(a["stride"]),
                      padding=_pair(a["padding"]), groups=int(a["groups"]), bias="bias" in arr)
    elif t == "linear":
        w = arr["weight"]
        m = nn.Linear(w.shape[1], w.shape[0], bias="bias" in arr)
    elif t == "relu":
        return nn.ReLU()
    elif t == "flatten":
        return nn.Flatten()
    elif t == "maxpool2d":
        return nn.MaxPool2d(_pair(a["kernel_size"]), _pair(a["stride"]), _pair(a["padding"]))
    elif t == "avgpool2d":
        return nn.AvgPool2d(_pair(a["kernel_size"]), _pair(a["stride"]), _pair(a["padding"]))
    elif t == "global_avgpool":
        return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
    else:
        raise RebuildError(f"layer {layer.name!r}: type {layer.type!r} cannot be rebuilt in PyTorch here")
    with torch.no_grad():
        m.weight.copy_(torch.from_numpy(np.asarray(w, np.float32)))
        if "bias" in arr:
            m.bias.copy_(torch.from_numpy(np.asarray(arr["bias"], np.float32)))
    return m


def torch_from_spec(spec: ModelSpec) -> nn.Sequential:
    """The eval-mode ``nn.Sequential`` equivalent of a chain model (each layer reads the previous one)."""
    mods = []
    prev = "input"
    for layer in spec.layers:
        if list(layer.inputs) != [prev]:
            raise RebuildError(f"{spec.name}: layer {layer.name!r} reads {layer.inputs}; only chains are rebuilt")
        build = _pecan if layer.type.startswith("pecan_") else _debut if layer.type.startswith("debut_") else _float
        mods.append(build(layer))
        prev = layer.name
    return nn.Sequential(*mods).eval()


@torch.inference_mode()
def torch_logits(model: nn.Module, x: np.ndarray, batch_size: int) -> np.ndarray:
    xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    return torch.cat([model(xt[i:i + batch_size]) for i in range(0, len(xt), batch_size)]).numpy()


def check_golden(model: nn.Module, spec: ModelSpec) -> tuple[bool, float]:
    """(golden predictions reproduced, max |logit − golden logit|) of the rebuilt module."""
    if spec.golden_inputs is None:
        raise RebuildError(f"{spec.name}: no /golden vectors to check the rebuilt module against")
    logits = torch_logits(model, spec.golden_inputs, 256)
    same = bool(np.array_equal(logits.argmax(1), spec.golden_predictions))
    return same, float(np.max(np.abs(logits - spec.golden_logits)))
