"""Work items, resources and dependencies of a model, derived from the analytic executors' costs.

A **work item** is one output position of a layer (an im2col row / output pixel with all its channels;
a vector layer has one). Each item passes through the layer's **stages**, each served by a **resource**:
the stage times are the analytic model's own per-position figures (``LayerCost.mapping["stage_cycles"]``
of PECAN layers, ``LayerCost.cycles / positions`` of the others), so no cost formula is repeated here.
A **dependency** says which producer items a consumer item needs (the receptive field, in raster order).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from codesign.sim.cam_mapping import positions_of
from codesign.sim.layer_schema import _pair

#: the shared digital unit and the shared links (names of resources that are not per layer)
DIGITAL_UNIT, INTERCONNECT, DRAM = "digital_unit", "noc_link", "dram"
#: PECAN stage name -> (resource suffix, per-layer?) on each target
_PECAN_STAGES = {
    "cam": {"search": "cam_arrays", "lut": "lut_banks", "accumulate": "adders"},
    "digital": {"similarity": DIGITAL_UNIT, "lut": "lut_banks", "accumulate": "accumulator"},
}
#: layer types whose output position (y, x) reads a k x k window of input rows (line buffer)
WINDOW_TYPES = ("conv2d", "pecan_conv2d", "debut_conv2d", "maxpool2d", "avgpool2d")
#: layer types whose position j reads position j of each input
ELEMENTWISE_TYPES = ("relu", "batchnorm2d", "add")
#: bytes per stored activation value moved between layers (32-bit words, as the buffer events count)
ACT_BYTES = 4


@dataclass
class LayerWork:
    """One layer as the engine sees it: ``items`` positions, each through ``stages`` (resource, cycles)."""

    name: str
    type: str
    target: str
    items: int
    stages: list[tuple[str, float]]
    #: weights/prototypes/LUT bytes the layer keeps on chip (one copy)
    weight_bytes: float
    #: bytes of one output position (all channels)
    out_bytes: float
    #: producer layer names (``"input"`` for the model input), with per consumer item the highest and
    #: lowest producer item (raster order) it reads
    inputs: list[tuple[str, np.ndarray, np.ndarray]] = field(default_factory=list)
    #: resources the layer owns (duplicated with its weights); the digital unit is shared
    dedicated: bool = False


def _window_deps(in_shape: tuple[int, ...], out_shape: tuple[int, ...], attrs: dict[str, Any]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Highest and lowest input position (raster) each output position of a k x k window reads."""
    _, h, w = in_shape
    _, oh, ow = out_shape
    (kh, kw), (sh, sw), (ph, pw) = (_pair(attrs[k]) for k in ("kernel_size", "stride", "padding"))
    oy, ox = np.divmod(np.arange(oh * ow, dtype=np.int64), ow)
    r1 = np.clip(oy * sh - ph + kh - 1, 0, h - 1)
    c1 = np.clip(ox * sw - pw + kw - 1, 0, w - 1)
    r0 = np.clip(oy * sh - ph, 0, h - 1)
    c0 = np.clip(ox * sw - pw, 0, w - 1)
    return r1 * w + c1, r0 * w + c0


def dependencies(layer: Any, in_shapes: list[tuple[int, ...]], out_shape: tuple[int, ...]
                 ) -> list[tuple[np.ndarray, np.ndarray]]:
    """(need, low) per input of ``layer``: arrays over its output positions (see :class:`LayerWork`)."""
    p_out = positions_of(out_shape)
    out = []
    for shp in in_shapes:
        p_in = positions_of(shp)
        if layer.type in WINDOW_TYPES and len(shp) == 3 and len(out_shape) == 3:
            out.append(_window_deps(shp, out_shape, layer.attrs))
        elif layer.type in ELEMENTWISE_TYPES and p_in == p_out:
            idx = np.arange(p_out, dtype=np.int64)
            out.append((idx, idx.copy()))
        else:  # a vector layer (linear, flatten, global pooling) reads its whole input
            out.append((np.full(p_out, p_in - 1, np.int64), np.zeros(p_out, np.int64)))
    return out


def _value_bits(layer: Any, ex: Any, key: str) -> int:
    """Bits per stored value of array ``key`` of ``layer`` on its target."""
    a = layer.attrs
    if key == "prototypes":
        return int(a["act_bits"])
    if key == "lut":
        return int(a["lut_bits"])
    if ex.target == "crossbar":
        return int(ex.hw.crossbar.weight_bits or 32)
    return 8 if ex.hw.digital.precision == "int8" and layer.type in ("conv2d", "linear") else 32


def weight_bytes(ex: Any) -> float:
    """On-chip bytes of the layer's stored arrays (bias excluded: it lives with the output scaler)."""
    layer = ex.layer
    return float(sum(arr.size * _value_bits(layer, ex, k) / 8 for k, arr in layer.arrays.items() if k != "bias"))


def stages_of(ex: Any, cost: Any, items: int) -> tuple[list[tuple[str, float]], bool]:
    """(resource, cycles per item) of each stage, and whether the layer owns its resources."""
    name = ex.layer.name
    stage_cycles = cost.mapping.get("stage_cycles") if isinstance(cost.mapping, dict) else None
    if stage_cycles and ex.target in _PECAN_STAGES:
        table = _PECAN_STAGES[ex.target]
        out = []
        for stage, cyc in stage_cycles.items():
            res = table[stage]
            out.append((res if res == DIGITAL_UNIT else f"{name}:{res}", float(cyc)))
        return out, True
    if ex.target == "crossbar":
        return [(f"{name}:crossbar_tiles", float(cost.cycles) / items)], True
    if ex.target == "cam":  # a CAM executor without stage figures
        return [(f"{name}:cam_arrays", float(cost.cycles) / items)], True
    return [(DIGITAL_UNIT, float(cost.cycles) / items)], False


def build(executors: list[Any], costs: list[Any], shapes: dict[str, tuple[int, ...]]) -> list[LayerWork]:
    """One :class:`LayerWork` per executor, in model order."""
    work = []
    for ex, c in zip(executors, costs):
        layer = ex.layer
        items = positions_of(tuple(ex.out_shape))
        stages, dedicated = stages_of(ex, c, items)
        channels = int(ex.out_shape[0]) if len(ex.out_shape) == 3 else int(math.prod(ex.out_shape))
        moved = 0.0 if layer.type == "flatten" else float(channels * ACT_BYTES)  # flatten is a view
        deps = dependencies(layer, [tuple(s) for s in ex.in_shapes], tuple(ex.out_shape))
        inputs = [(src, need, low) for src, (need, low) in zip(layer.inputs, deps)]
        work.append(LayerWork(layer.name, layer.type, ex.target, items, stages, weight_bytes(ex), moved,
                              inputs, dedicated))
    return work


def balance_copies(work: list[LayerWork], duplication: int) -> list[int]:
    """Weight copies per layer (ISAAC-style): the bottleneck layer gets ``duplication`` copies, every other
    layer with its own arrays as many as bring its busy time down to the bottleneck's new time."""
    busy = [w.items * max((t for _, t in w.stages), default=0.0) for w in work]
    own = [b for w, b in zip(work, busy) if w.dedicated]
    if duplication <= 1 or not own or max(own) <= 0:
        return [1] * len(work)
    target = max(own) / duplication
    return [min(duplication, max(1, math.ceil(b / target - 1e-9))) if w.dedicated else 1
            for w, b in zip(work, busy)]
