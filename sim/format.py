"""The HDF5 exchange format: the contract between ``codesign.models`` and the simulator.

Readable with plain h5py. Layout (format_version 1.x)::

    /                      attrs: format_version, model_name, producer, input_shape (int[]),
                                  num_classes, im2col_order, metadata_json, checksums (1.1+)
    /layers/<name>/        attrs: type, inputs (str[]; "input" = the model input), index,
                                  plus the type's attributes; datasets: the type's arrays
    /golden/{inputs,logits,predictions,labels}    PyTorch's outputs for a batch (self-check)
    /testset/{inputs,labels}                       optional evaluation set

Layers are stored in topological order (``index`` attribute); the last layer is the output.
``checksums`` is a JSON object HDF5 path -> SHA-256 of every dataset (dtype, shape and bytes), verified
on read: a changed, deleted or added array is an error (format 1.0 files have none and load unverified).
The schema of every layer type lives in :mod:`codesign.sim.layer_schema`. Writes are
atomic (temp file + rename); reads validate everything and raise :class:`FormatError`
naming the file, the HDF5 path and what was expected.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from codesign.atomic import json_default, replacing
from codesign.sim.layer_schema import LAYER_SCHEMAS, FormatError, check_array, infer_output_shape

FORMAT_VERSION = "1.1"
#: oldest minor version that carries the ``checksums`` attribute (1.0 files load without verification)
CHECKSUM_SINCE = (1, 1)
#: im2col column order used by every conv-like layer: input channel slowest, then kernel
#: row, then kernel column (PyTorch ``weight.view(co, -1)`` / ``F.unfold`` order).
IM2COL_ORDER = "ci_kh_kw"

__all__ = [
    "FORMAT_VERSION",
    "IM2COL_ORDER",
    "FormatError",
    "LayerSpec",
    "ModelSpec",
    "read_model",
    "write_model",
    "validate_model",
]


@dataclass
class LayerSpec:
    """One node of the layer graph: its type, its inputs, scalar attributes and arrays."""

    name: str
    type: str
    inputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class ModelSpec:
    """A whole exported model. ``input_shape`` excludes the batch dimension."""

    name: str
    input_shape: tuple[int, ...]
    num_classes: int
    layers: list[LayerSpec]
    golden_inputs: np.ndarray | None = None
    golden_logits: np.ndarray | None = None
    golden_predictions: np.ndarray | None = None
    golden_labels: np.ndarray | None = None
    test_inputs: np.ndarray | None = None
    test_labels: np.ndarray | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    producer: str = "codesign"

    def layer(self, name: str) -> LayerSpec:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def shapes(self, source: str = "<model>") -> dict[str, tuple[int, ...]]:
        """Output shape (no batch dim) of every layer, checking the whole graph."""
        return validate_model(self, source)


# ----------------------------------------------------------------------------- validation


def validate_model(spec: ModelSpec, source: str = "<model>") -> dict[str, tuple[int, ...]]:
    """Check every layer against its schema and the graph's shapes; return output shapes."""
    if not spec.layers:
        raise FormatError(f"{source}: /layers: expected at least one layer, found none")
    shapes: dict[str, tuple[int, ...]] = {"input": tuple(int(s) for s in spec.input_shape)}
    seen: set[str] = set()
    for layer in spec.layers:
        where = f"{source}: /layers/{layer.name}"
        if layer.name in seen or layer.name == "input":
            raise FormatError(f"{where}: duplicate or reserved layer name")
        schema = LAYER_SCHEMAS.get(layer.type)
        if schema is None:
            known = ", ".join(sorted(LAYER_SCHEMAS))
            raise FormatError(f"{where}: unknown layer type {layer.type!r}; expected one of: {known}")
        if not layer.inputs:
            raise FormatError(f"{where}: attribute 'inputs' is empty; expected the names of its input layers")
        for src in layer.inputs:
            if src not in shapes:
                raise FormatError(
                    f"{where}: input {src!r} is not an earlier layer (layers must be stored in topological order)"
                )
        schema.check(layer, where)
        in_shapes = [shapes[s] for s in layer.inputs]
        shapes[layer.name] = infer_output_shape(layer, in_shapes, where)
        seen.add(layer.name)
    out = shapes[spec.layers[-1].name]
    if out != (spec.num_classes,):
        raise FormatError(
            f"{source}: /layers/{spec.layers[-1].name}: output shape {out} does not match "
            f"num_classes={spec.num_classes}; expected ({spec.num_classes},)"
        )
    _check_golden(spec, source)
    return shapes


def _check_golden(spec: ModelSpec, source: str) -> None:
    n_cls = spec.num_classes
    ishape = tuple(spec.input_shape)
    if spec.golden_inputs is not None:
        gi = spec.golden_inputs
        check_array(gi, f"{source}: /golden/inputs", None, "f")
        if tuple(gi.shape[1:]) != ishape:
            raise FormatError(f"{source}: /golden/inputs: shape {gi.shape}, expected (N, {', '.join(map(str, ishape))})")
        n = gi.shape[0]
        for name, arr, shape, kind in (
            ("logits", spec.golden_logits, (n, n_cls), "f"),
            ("predictions", spec.golden_predictions, (n,), "i"),
            ("labels", spec.golden_labels, (n,), "i"),
        ):
            if arr is None:
                raise FormatError(f"{source}: /golden/{name}: missing; expected a dataset of shape {shape}")
            check_array(arr, f"{source}: /golden/{name}", shape, kind)
    if spec.test_inputs is not None:
        ti = spec.test_inputs
        check_array(ti, f"{source}: /testset/inputs", None, "f")
        if tuple(ti.shape[1:]) != ishape:
            raise FormatError(f"{source}: /testset/inputs: shape {ti.shape}, expected (N, {', '.join(map(str, ishape))})")
        if spec.test_labels is None:
            raise FormatError(f"{source}: /testset/labels: missing; expected shape ({ti.shape[0]},)")
        check_array(spec.test_labels, f"{source}: /testset/labels", (ti.shape[0],), "i")
        if spec.test_labels.size and (spec.test_labels.min() < 0 or spec.test_labels.max() >= n_cls):
            raise FormatError(f"{source}: /testset/labels: values must lie in [0, {n_cls})")


# ----------------------------------------------------------------------------- writing


def _attr_value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, str) for v in value):
            return np.array(value, dtype=h5py.string_dtype())
        return np.asarray(value)
    if isinstance(value, bool):
        return np.bool_(value)
    return value


def array_sha256(arr: np.ndarray) -> str:
    """SHA-256 of an array's dtype, shape and bytes (C order)."""
    arr = np.ascontiguousarray(arr)
    h = hashlib.sha256(f"{arr.dtype.str}{arr.shape}".encode())
    h.update(arr.tobytes())
    return h.hexdigest()


def _datasets(f: h5py.File) -> dict[str, h5py.Dataset]:
    """HDF5 path -> dataset of every dataset under /layers, /golden and /testset."""
    out: dict[str, h5py.Dataset] = {}
    for top in ("layers", "golden", "testset"):
        if top in f:
            f[top].visititems(lambda name, obj, top=top: out.__setitem__(f"/{top}/{name}", obj)
                              if isinstance(obj, h5py.Dataset) else None)
    return out


def write_model(path: str | os.PathLike, spec: ModelSpec) -> Path:
    """Validate ``spec`` and write it atomically to ``path`` (HDF5). Returns the path."""
    path = Path(path)
    validate_model(spec, str(path))
    with replacing(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["model_name"] = spec.name
        f.attrs["producer"] = spec.producer
        f.attrs["input_shape"] = np.asarray(spec.input_shape, dtype=np.int64)
        f.attrs["num_classes"] = int(spec.num_classes)
        f.attrs["im2col_order"] = IM2COL_ORDER
        f.attrs["metadata_json"] = json.dumps(spec.metadata, sort_keys=True, default=json_default)
        layers = f.create_group("layers")
        for idx, layer in enumerate(spec.layers):
            g = layers.create_group(layer.name)
            g.attrs["type"] = layer.type
            g.attrs["index"] = idx
            g.attrs["inputs"] = np.array(layer.inputs, dtype=h5py.string_dtype())
            for key, value in layer.attrs.items():
                g.attrs[key] = _attr_value(value)
            for key, arr in layer.arrays.items():
                g.create_dataset(key, data=np.ascontiguousarray(arr))
        if spec.golden_inputs is not None:
            g = f.create_group("golden")
            g.create_dataset("inputs", data=spec.golden_inputs)
            g.create_dataset("logits", data=spec.golden_logits)
            g.create_dataset("predictions", data=spec.golden_predictions)
            g.create_dataset("labels", data=spec.golden_labels)
        if spec.test_inputs is not None:
            g = f.create_group("testset")
            g.create_dataset("inputs", data=spec.test_inputs, compression="gzip")
            g.create_dataset("labels", data=spec.test_labels)
        f.attrs["checksums"] = json.dumps({k: array_sha256(ds[()]) for k, ds in sorted(_datasets(f).items())})
    return path


# ----------------------------------------------------------------------------- reading


def _decode(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "OS":
            return [v.decode() if isinstance(v, bytes) else str(v) for v in value.tolist()]
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _read_attr(obj: h5py.HLObject, key: str, where: str, expected: str) -> Any:
    if key not in obj.attrs:
        raise FormatError(f"{where}: missing attribute {key!r}; expected {expected}")
    return _decode(obj.attrs[key])


def read_model(path: str | os.PathLike) -> ModelSpec:
    """Read and fully validate a model file; raise :class:`FormatError` on any problem."""
    path = Path(path)
    src = str(path)
    if not path.exists():
        raise FormatError(f"{src}: no such file; expected an HDF5 model written by 'codesign' export")
    if path.is_dir():
        raise FormatError(f"{src}: is a folder; expected an HDF5 model file")
    try:
        f = h5py.File(path, "r")
    except (OSError, ValueError, RuntimeError) as exc:
        raise FormatError(f"{src}: not a readable HDF5 file (truncated or corrupt?): {exc}") from None
    try:
        with f:
            return _read_open(f, src)
    except FormatError:
        raise
    except (OSError, KeyError, ValueError, TypeError, RuntimeError, AttributeError) as exc:
        raise FormatError(f"{src}: unreadable content (truncated or corrupt?): {type(exc).__name__}: {exc}") from None


def _verify_checksums(f: h5py.File, src: str, version: str) -> None:
    """Every dataset must match its recorded SHA-256; none may be missing or added (format 1.1+)."""
    try:
        minor = tuple(int(v) for v in version.split(".")[:2])
    except ValueError:
        raise FormatError(f"{src}: /: format_version {version!r}; expected 'MAJOR.MINOR'") from None
    if minor < CHECKSUM_SINCE:
        return
    sums = json.loads(str(_read_attr(f, "checksums", f"{src}: /", "a JSON object of dataset SHA-256 sums")))
    if not isinstance(sums, dict):
        raise FormatError(f"{src}: /: attribute 'checksums' is not a JSON object")
    found = _datasets(f)
    for key in sorted(set(sums) | set(found)):
        if key not in found:
            raise FormatError(f"{src}: {key}: missing dataset (listed in the file's checksums)")
        if key not in sums:
            raise FormatError(f"{src}: {key}: dataset not covered by the file's checksums (added after export?)")
        if array_sha256(found[key][()]) != sums[key]:
            raise FormatError(f"{src}: {key}: checksum mismatch; the array changed after export (corrupt file)")


def _read_open(f: h5py.File, src: str) -> ModelSpec:
    version = str(_read_attr(f, "format_version", f"{src}: /", f"'{FORMAT_VERSION}'"))
    if version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise FormatError(
            f"{src}: /: format_version {version!r} is not supported; expected {FORMAT_VERSION!r} (major version 1)"
        )
    order = _read_attr(f, "im2col_order", f"{src}: /", repr(IM2COL_ORDER))
    if order != IM2COL_ORDER:
        raise FormatError(f"{src}: /: im2col_order {order!r}; expected {IM2COL_ORDER!r}")
    input_shape = tuple(int(v) for v in _read_attr(f, "input_shape", f"{src}: /", "a list of ints"))
    num_classes = int(_read_attr(f, "num_classes", f"{src}: /", "an int"))
    name = str(_read_attr(f, "model_name", f"{src}: /", "a string"))
    metadata = json.loads(f.attrs.get("metadata_json", "{}"))
    if "layers" not in f:
        raise FormatError(f"{src}: /layers: missing group; expected one sub-group per layer")
    groups = []
    for lname, g in f["layers"].items():
        where = f"{src}: /layers/{lname}"
        idx = int(_read_attr(g, "index", where, "the layer's position (int)"))
        groups.append((idx, lname, g))
    groups.sort()
    layers = []
    for _, lname, g in groups:
        where = f"{src}: /layers/{lname}"
        ltype = str(_read_attr(g, "type", where, "a layer type name"))
        inputs = _read_attr(g, "inputs", where, "a list of input layer names")
        if isinstance(inputs, str):
            inputs = [inputs]
        attrs = {k: _decode(v) for k, v in g.attrs.items() if k not in ("type", "inputs", "index")}
        arrays = {}
        for key, ds in g.items():
            if not isinstance(ds, h5py.Dataset):
                raise FormatError(f"{where}/{key}: expected a dataset, found a group")
            arrays[key] = ds[()]
        layers.append(LayerSpec(lname, ltype, list(inputs), attrs, arrays))

    def opt(group: str, key: str) -> np.ndarray | None:
        return f[group][key][()] if group in f and key in f[group] else None

    spec = ModelSpec(
        name=name,
        input_shape=input_shape,
        num_classes=num_classes,
        layers=layers,
        golden_inputs=opt("golden", "inputs"),
        golden_logits=opt("golden", "logits"),
        golden_predictions=opt("golden", "predictions"),
        golden_labels=opt("golden", "labels"),
        test_inputs=opt("testset", "inputs"),
        test_labels=opt("testset", "labels"),
        metadata=metadata,
        producer=str(f.attrs.get("producer", "")),
    )
    if "golden" in f and spec.golden_inputs is None:
        raise FormatError(f"{src}: /golden/inputs: missing; expected the golden input batch")
    validate_model(spec, src)
    _verify_checksums(f, src, version)  # after the schema, whose errors say more about what is wrong
    return spec
