"""Schema of every layer type in the exchange format, and output-shape inference.

Each entry of :data:`LAYER_SCHEMAS` states the attributes a layer of that type must carry
(with their kind), the datasets it must hold (dtype kind and shape as a function of the
attributes) and how its output shape follows from its input shapes. Shapes exclude the
batch dimension: images are (C, H, W), vectors (F,).

Adding a layer type = adding one :class:`LayerSchema` here (see the existing ones).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from codesign.errors import CodesignError


class FormatError(CodesignError, ValueError):
    """A model file or spec does not follow the exchange format."""


Shape = tuple[int, ...]
ShapeFn = Callable[[dict[str, Any]], Shape]
OutFn = Callable[[Any, list[Shape], str], Shape]

_KINDS = {
    "int": lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float, np.integer, np.floating)) and np.isfinite(v),
    "str": lambda v: isinstance(v, str),
    "ints": lambda v: isinstance(v, (list, tuple)) and all(isinstance(x, (int, np.integer)) for x in v),
    "bool": lambda v: isinstance(v, (bool, np.bool_, int, np.integer)),
}


@dataclass
class LayerSchema:
    """Required attributes (name -> kind), datasets (name -> (dtype kind, shape fn)) and output shape."""

    attrs: dict[str, str]
    datasets: dict[str, tuple[str, ShapeFn | None]]
    output: OutFn
    optional: set[str] = field(default_factory=set)
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    n_inputs: int = 1
    extra_check: Callable[[Any, str], None] | None = None
    #: datasets whose names/shapes follow from the layer (e.g. DeBut factor_0..): fn(layer, where)
    dynamic_datasets: Callable[[Any, str], dict[str, tuple[str, Shape | None]]] | None = None

    def check(self, layer: Any, where: str) -> None:
        for key, kind in self.attrs.items():
            if key not in layer.attrs:
                raise FormatError(f"{where}: missing attribute {key!r}; expected a value of kind {kind}")
            value = layer.attrs[key]
            if isinstance(value, np.ndarray):
                value = value.tolist()
            if not _KINDS[kind](value):
                raise FormatError(f"{where}: attribute {key!r} = {value!r}; expected kind {kind}")
            if key in self.choices and value not in self.choices[key]:
                raise FormatError(f"{where}: attribute {key!r} = {value!r}; expected one of {self.choices[key]}")
            if kind in ("int",) and key not in ("padding",) and int(value) < 0:
                raise FormatError(f"{where}: attribute {key!r} = {value}; expected a non-negative int")
        if len(layer.inputs) != self.n_inputs:
            raise FormatError(f"{where}: has {len(layer.inputs)} inputs; expected {self.n_inputs}")
        for key, (kind, shape_fn) in self.datasets.items():
            arr = layer.arrays.get(key)
            if arr is None:
                if key in self.optional:
                    continue
                raise FormatError(f"{where}/{key}: missing dataset")
            shape = shape_fn(layer.attrs) if shape_fn is not None else None
            check_array(np.asarray(arr), f"{where}/{key}", shape, kind)
        dynamic = self.dynamic_datasets(layer, where) if self.dynamic_datasets is not None else {}
        for key, (kind, shape) in dynamic.items():
            arr = layer.arrays.get(key)
            if arr is None:
                raise FormatError(f"{where}/{key}: missing dataset")
            check_array(np.asarray(arr), f"{where}/{key}", shape, kind)
        unknown = set(layer.arrays) - set(self.datasets) - set(dynamic)
        if unknown:
            expected = sorted(set(self.datasets) | set(dynamic))
            raise FormatError(f"{where}: unexpected datasets {sorted(unknown)}; expected only {expected}")
        if self.extra_check is not None:
            self.extra_check(layer, where)


def check_array(arr: np.ndarray, where: str, shape: Shape | None, kind: str) -> None:
    """Raise FormatError unless ``arr`` has ``shape`` (if given) and dtype kind ``kind`` ('f' finite floats, 'i' ints)."""
    if shape is not None and tuple(arr.shape) != tuple(int(s) for s in shape):
        raise FormatError(f"{where}: shape {tuple(arr.shape)}, expected {tuple(int(s) for s in shape)}")
    if kind == "f":
        if arr.dtype.kind != "f":
            raise FormatError(f"{where}: dtype {arr.dtype}, expected a float dtype")
        if not np.all(np.isfinite(arr)):
            raise FormatError(f"{where}: contains NaN or inf values")
    elif kind == "i" and arr.dtype.kind not in "iu":
        raise FormatError(f"{where}: dtype {arr.dtype}, expected an integer dtype")


def _pair(v: Any) -> tuple[int, int]:
    v = list(v) if isinstance(v, (list, tuple, np.ndarray)) else [v, v]
    return int(v[0]), int(v[1])


def conv_out_hw(h: int, w: int, attrs: dict[str, Any]) -> tuple[int, int]:
    """Output (H, W) of a conv/pool window with attrs kernel_size, stride, padding."""
    kh, kw = _pair(attrs["kernel_size"])
    sh, sw = _pair(attrs["stride"])
    ph, pw = _pair(attrs["padding"])
    return (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1


def _expect(cond: bool, where: str, msg: str) -> None:
    if not cond:
        raise FormatError(f"{where}: {msg}")


def _out_conv(layer: Any, ins: list[Shape], where: str) -> Shape:
    a = layer.attrs
    _expect(len(ins[0]) == 3, where, f"input shape {ins[0]}; expected (C, H, W)")
    c, h, w = ins[0]
    _expect(c == int(a["in_channels"]), where, f"input has {c} channels; expected in_channels={a['in_channels']}")
    oh, ow = conv_out_hw(h, w, a)
    _expect(oh > 0 and ow > 0, where, f"output size {oh}x{ow} from input {h}x{w}; expected positive")
    return (int(a["out_channels"]), oh, ow)


def _out_pool(layer: Any, ins: list[Shape], where: str) -> Shape:
    _expect(len(ins[0]) == 3, where, f"input shape {ins[0]}; expected (C, H, W)")
    c, h, w = ins[0]
    oh, ow = conv_out_hw(h, w, layer.attrs)
    _expect(oh > 0 and ow > 0, where, f"pool output {oh}x{ow} from input {h}x{w}; expected positive")
    return (c, oh, ow)


def _out_linear(layer: Any, ins: list[Shape], where: str) -> Shape:
    n = int(layer.attrs["in_features"])
    _expect(ins[0] == (n,), where, f"input shape {ins[0]}; expected ({n},) (insert a flatten layer?)")
    return (int(layer.attrs["out_features"]),)


def _out_same(layer: Any, ins: list[Shape], where: str) -> Shape:
    return ins[0]


def _out_flatten(layer: Any, ins: list[Shape], where: str) -> Shape:
    return (int(np.prod(ins[0])),)


def _out_gap(layer: Any, ins: list[Shape], where: str) -> Shape:
    _expect(len(ins[0]) == 3, where, f"input shape {ins[0]}; expected (C, H, W)")
    return (ins[0][0],)


def _out_add(layer: Any, ins: list[Shape], where: str) -> Shape:
    _expect(all(s == ins[0] for s in ins), where, f"inputs have different shapes {ins}; expected equal shapes")
    return ins[0]


def _out_bn(layer: Any, ins: list[Shape], where: str) -> Shape:
    _expect(ins[0][0] == int(layer.attrs["num_features"]), where,
            f"input has {ins[0][0]} channels; expected num_features={layer.attrs['num_features']}")
    return ins[0]


def _kk(a: dict[str, Any]) -> int:
    kh, kw = _pair(a["kernel_size"])
    return kh * kw


def _conv_weight_shape(a: dict[str, Any]) -> Shape:
    kh, kw = _pair(a["kernel_size"])
    return (int(a["out_channels"]), int(a["in_channels"]) // int(a["groups"]), kh, kw)


def _check_groups(layer: Any, where: str) -> None:
    a = layer.attrs
    g = int(a["groups"])
    _expect(g >= 1 and int(a["in_channels"]) % g == 0 and int(a["out_channels"]) % g == 0, where,
            f"groups={g} must divide in_channels={a['in_channels']} and out_channels={a['out_channels']}")


# -- PECAN: prototypes/LUT as integer codes; see docs/format.md for the arithmetic --------


def _pecan_in(a: dict[str, Any]) -> int:
    if "in_features" in a:
        return int(a["in_features"])
    return int(a["in_channels"]) * _kk(a)


def _pecan_out(a: dict[str, Any]) -> int:
    return int(a["out_features"]) if "out_features" in a else int(a["out_channels"])


def _check_pecan(layer: Any, where: str) -> None:
    a = layer.attrs
    d, n_sub = int(a["subvector_dim"]), int(a["num_subspaces"])
    _expect(d * n_sub == _pecan_in(a), where,
            f"num_subspaces*subvector_dim = {n_sub}*{d} = {n_sub * d}; expected the input vector length {_pecan_in(a)}")
    _expect(int(a["num_prototypes"]) >= 1, where, "num_prototypes must be >= 1")
    _expect(float(a["act_scale"]) > 0 and float(a["lut_scale"]) > 0, where, "act_scale and lut_scale must be > 0")
    for key in ("act_bits", "lut_bits"):
        _expect(1 <= int(a[key]) <= 16, where, f"{key}={a[key]}; expected 1..16")
    lo, hi = pecan_act_range(a)
    p = np.asarray(layer.arrays["prototypes"])
    _expect(p.min() >= lo and p.max() <= hi, where,
            f"prototype codes span [{p.min()}, {p.max()}]; expected within the activation range [{lo}, {hi}]")
    lim = 2 ** (int(a["lut_bits"]) - 1)
    lut = np.asarray(layer.arrays["lut"])
    _expect(lut.min() >= -lim and lut.max() <= lim - 1, where,
            f"LUT codes span [{lut.min()}, {lut.max()}]; expected signed {a['lut_bits']}-bit values")


def pecan_act_range(a: dict[str, Any]) -> tuple[int, int]:
    """Integer range of quantized activations: unsigned [0, 2^b-1] or signed [-2^(b-1), 2^(b-1)-1]."""
    b = int(a["act_bits"])
    if int(a["act_signed"]):
        return -(2 ** (b - 1)), 2 ** (b - 1) - 1
    return 0, 2**b - 1


_PECAN_ATTRS = {
    "mode": "str",
    "num_subspaces": "int",
    "num_prototypes": "int",
    "subvector_dim": "int",
    "act_bits": "int",
    "act_signed": "bool",
    "act_scale": "float",
    "lut_bits": "int",
    "lut_scale": "float",
}
_PECAN_DATA = {
    "prototypes": ("i", lambda a: (int(a["num_subspaces"]), int(a["num_prototypes"]), int(a["subvector_dim"]))),
    "lut": ("i", lambda a: (int(a["num_subspaces"]), int(a["num_prototypes"]), _pecan_out(a))),
    "bias": ("f", lambda a: (_pecan_out(a),)),
}
# -- DeBut: chain [n_factors, 5] rows [p, q, r, s, t], input side first; see docs/debut.md ----


def debut_in_out(a: dict[str, Any]) -> tuple[int, int]:
    """(vector length in, out) of a DeBut layer: linear in/out features, conv ci·kh·kw and co."""
    if "in_features" in a:
        return int(a["in_features"]), int(a["out_features"])
    return int(a["in_channels"]) * _kk(a), int(a["out_channels"])


def debut_chain_rows(layer: Any, where: str) -> list[tuple[int, int, int, int, int]]:
    """Validate a DeBut layer's ``chain`` dataset; return its rows (p, q, r, s, t)."""
    chain = np.asarray(layer.arrays["chain"])
    n_in, n_out = debut_in_out(layer.attrs)
    rows = [tuple(int(v) for v in row) for row in chain.reshape(-1, 5)]
    _expect(len(rows) >= 1, f"{where}/chain", "expected at least one factor row [p, q, r, s, t]")
    for k, (p, q, r, s, t) in enumerate(rows):
        w = f"{where}/chain[{k}]"
        _expect(min(p, q, r, s, t) >= 1, w, f"[p,q,r,s,t] = {[p, q, r, s, t]}; expected positive integers")
        _expect(q % (s * t) == 0, w, f"[p,q,r,s,t] = {[p, q, r, s, t]}; s·t = {s * t} must divide q = {q}")
        _expect(p * s == q * r, w, f"[p,q,r,s,t] = {[p, q, r, s, t]}; expected p = q·r/s = {q * r / s:g}")
        if k:
            _expect(q == rows[k - 1][0], w, f"q = {q}; expected p = {rows[k - 1][0]} of factor {k - 1} (q_k+1 = p_k)")
    _expect(rows[0][1] >= n_in, f"{where}/chain[0]", f"q = {rows[0][1]}; expected ≥ the input length {n_in} (= it, or zero-padded)")
    _expect(rows[-1][0] >= n_out, f"{where}/chain[{len(rows) - 1}]",
            f"p = {rows[-1][0]}; expected ≥ the output length {n_out} (= it, or cropped)")
    return rows


def _debut_factors(layer: Any, where: str) -> dict[str, tuple[str, Shape | None]]:
    rows = debut_chain_rows(layer, where)
    _expect(len(rows) == int(layer.attrs["n_factors"]), where,
            f"n_factors = {layer.attrs['n_factors']} but /chain has {len(rows)} rows")
    return {f"factor_{k}": ("f", (q // (s * t), r, s, t)) for k, (p, q, r, s, t) in enumerate(rows)}


_DEBUT_ATTRS = {"n_factors": "int", "chain_order": "str"}
_DEBUT_DATA = {
    "chain": ("i", lambda a: (int(a["n_factors"]), 5)),
    "bias": ("f", lambda a: (debut_in_out(a)[1],)),
}

_CONV_ATTRS = {"in_channels": "int", "out_channels": "int", "kernel_size": "ints", "stride": "ints", "padding": "ints"}
_POOL_ATTRS = {"kernel_size": "ints", "stride": "ints", "padding": "ints"}

LAYER_SCHEMAS: dict[str, LayerSchema] = {
    "conv2d": LayerSchema(
        attrs={**_CONV_ATTRS, "groups": "int"},
        datasets={"weight": ("f", _conv_weight_shape), "bias": ("f", lambda a: (int(a["out_channels"]),))},
        optional={"bias"},
        output=_out_conv,
        extra_check=_check_groups,
    ),
    "linear": LayerSchema(
        attrs={"in_features": "int", "out_features": "int"},
        datasets={
            "weight": ("f", lambda a: (int(a["out_features"]), int(a["in_features"]))),
            "bias": ("f", lambda a: (int(a["out_features"]),)),
        },
        optional={"bias"},
        output=_out_linear,
    ),
    "batchnorm2d": LayerSchema(
        attrs={"num_features": "int"},
        datasets={
            "scale": ("f", lambda a: (int(a["num_features"]),)),
            "shift": ("f", lambda a: (int(a["num_features"]),)),
        },
        output=_out_bn,
    ),
    "relu": LayerSchema(attrs={}, datasets={}, output=_out_same),
    "maxpool2d": LayerSchema(attrs=dict(_POOL_ATTRS), datasets={}, output=_out_pool),
    "avgpool2d": LayerSchema(attrs=dict(_POOL_ATTRS), datasets={}, output=_out_pool),
    "global_avgpool": LayerSchema(attrs={}, datasets={}, output=_out_gap),
    "global_maxpool": LayerSchema(attrs={}, datasets={}, output=_out_gap),
    "flatten": LayerSchema(attrs={}, datasets={}, output=_out_flatten),
    "add": LayerSchema(attrs={}, datasets={}, output=_out_add, n_inputs=2),
    "pecan_linear": LayerSchema(
        attrs={"in_features": "int", "out_features": "int", **_PECAN_ATTRS},
        datasets=dict(_PECAN_DATA),
        output=_out_linear,
        choices={"mode": ("angle", "distance")},
        extra_check=_check_pecan,
    ),
    "pecan_conv2d": LayerSchema(
        attrs={**_CONV_ATTRS, **_PECAN_ATTRS},
        datasets=dict(_PECAN_DATA),
        output=_out_conv,
        choices={"mode": ("angle", "distance")},
        extra_check=_check_pecan,
    ),
    "debut_linear": LayerSchema(
        attrs={"in_features": "int", "out_features": "int", **_DEBUT_ATTRS},
        datasets=dict(_DEBUT_DATA),
        optional={"bias"},
        output=_out_linear,
        choices={"chain_order": ("input_first",)},
        dynamic_datasets=_debut_factors,
    ),
    "debut_conv2d": LayerSchema(
        attrs={**_CONV_ATTRS, **_DEBUT_ATTRS, "column_order": "str"},
        datasets=dict(_DEBUT_DATA),
        optional={"bias"},
        output=_out_conv,
        choices={"chain_order": ("input_first",), "column_order": ("ci_kh_kw",)},
        dynamic_datasets=_debut_factors,
    ),
}


def infer_output_shape(layer: Any, in_shapes: list[Shape], where: str) -> Shape:
    """Output shape of ``layer`` given its input shapes (raises FormatError on mismatch)."""
    return tuple(int(s) for s in LAYER_SCHEMAS[layer.type].output(layer, in_shapes, where))
