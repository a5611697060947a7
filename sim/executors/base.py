"""Base class of layer executors: the unit the engine schedules.

An executor maps one layer onto a hardware target and (1) states its cost analytically
from shapes and mapping alone (:meth:`Executor.cost`, used by fast design-space sweeps),
and (2) executes it functionally on a batch (:meth:`Executor.forward`), counting the same
events. Energies come from per-action tables (``cam.technology``), never from the executor: each
executor class declares in ``actions`` the energy function of every event it emits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from codesign.sim.accounting import Actions
from codesign.sim.format import LayerSpec


@dataclass
class LayerCost:
    """Cost of one layer for ONE inference (one input sample).

    ``events`` maps (component, action) -> count, e.g. ("cam", "search"), ("lut_sram", "read"),
    ("adder", "add"), ("adc", "convert"). ``energy_pj`` maps component -> pJ (filled by the
    accounting step from the technology tables). ``cycles`` is the layer's latency in clock
    cycles of the target; ``latency_ns`` = cycles / clock. ``area_mm2`` maps component -> mm².
    ``utilization`` is the fraction of mapped array cells that hold useful data (0..1).
    ``memory_bytes`` maps a memory component (``lut_sram``, ``buffer``) -> the capacity (bytes) of
    the memory serving this layer, which sets its per-access energy (``cam.memory``).
    """

    layer: str
    layer_type: str
    target: str
    events: dict[tuple[str, str], float] = field(default_factory=dict)
    cycles: float = 0.0
    latency_ns: float = 0.0
    energy_pj: dict[str, float] = field(default_factory=dict)
    area_mm2: dict[str, float] = field(default_factory=dict)
    utilization: float = 1.0
    mapping: dict[str, Any] = field(default_factory=dict)
    memory_bytes: dict[str, float] = field(default_factory=dict)

    @property
    def total_energy_pj(self) -> float:
        return float(sum(self.energy_pj.values()))

    @property
    def total_area_mm2(self) -> float:
        return float(sum(self.area_mm2.values()))

    def add_event(self, component: str, action: str, count: float) -> None:
        key = (component, action)
        self.events[key] = self.events.get(key, 0.0) + float(count)


class Executor:
    """Maps one layer to a target. Subclasses set ``target`` and implement cost/forward.

    ``in_shapes``/``out_shape`` exclude the batch dimension. ``hw`` is a
    :class:`codesign.sim.hardware.HardwareConfig`; ``tech`` the loaded technology tables.
    """

    target: str = "digital"
    #: (component, action) -> ``fn(hw, techs)`` pJ per event, for every event :meth:`cost` emits
    actions: ClassVar[Actions] = {}

    def __init__(self, layer: LayerSpec, in_shapes: list[tuple[int, ...]], out_shape: tuple[int, ...], hw: Any, tech: Any):
        self.layer = layer
        self.in_shapes = in_shapes
        self.out_shape = out_shape
        self.hw = hw
        self.tech = tech

    def cost(self) -> LayerCost:
        """Analytic per-inference cost (events, cycles, area, utilization): no data needed."""
        raise NotImplementedError

    def forward(self, xs: list[np.ndarray]) -> np.ndarray:
        """Functional execution of a batch: ``xs`` are the input batches (N, *in_shape)."""
        raise NotImplementedError

    def needs_calibration(self) -> bool:
        """True when the layer's converters take their range from a calibration batch (:meth:`calibrate`)."""
        return False

    def calibrate(self, xs: list[np.ndarray]) -> Any:
        """Set converter ranges from calibration inputs ``xs``; returns the state to store (None: nothing)."""
        return None

    def load_calibration(self, state: Any) -> None:
        """Re-apply a state returned by :meth:`calibrate` (same hardware, same layer)."""

    def nonideal_stats(self) -> dict[str, float] | None:
        """Device non-ideality counters of the run so far (e.g. wrong CAM winners), None when ideal."""
        return None
