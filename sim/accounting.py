"""Energy accounting: (component, action) event counts x per-action energies from the technology tables.

Executors count events; they never compute energy. Each executor class declares, in its ``actions``
table, a function ``fn(hw, techs) -> pJ per event`` for every (component, action) it emits;
:class:`EnergyTable` evaluates them once per hardware configuration, so costing many layers/points
stays cheap. Memories (LUT SRAM, buffers) are charged by their capacity: their entries are
:class:`MemoryAction` functions ``fn(hw, techs, capacity_bytes)``, and each layer states the capacity of
the memory that serves it in ``LayerCost.memory_bytes``. Every technology is brought to ``hw.node_nm``
on loading (:mod:`codesign.cam.scaling`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable

from codesign.cam.cam_array.array import CamArray
from codesign.cam.memory import DramModel, SramModel
from codesign.cam.scaling import scale_technology, scaling_record
from codesign.cam.technology import Technology, load_technology

ActionFn = Callable[[Any, "TechSet"], float]


class MemoryAction:
    """An action on a memory whose energy depends on its capacity: ``fn(hw, techs, capacity_bytes) -> pJ``."""

    def __init__(self, fn: Callable[[Any, "TechSet", float], float]):
        self.fn = fn

    def __call__(self, hw: Any, techs: "TechSet", capacity_bytes: float) -> float:
        return self.fn(hw, techs, capacity_bytes)


#: (component, action) -> energy function; what an executor declares as its ``actions``
Actions = Mapping[tuple[str, str], "ActionFn | MemoryAction"]

#: components whose area is one shared unit (counted once in totals, not per layer)
SHARED_AREA_COMPONENTS = {"digital_unit"}


class TechSet:
    """Technologies named by a HardwareConfig, loaded lazily by role (cam, lut, buffer, digital,
    crossbar, dram) and scaled to ``hw.node_nm``; :meth:`node_report` says what was scaled."""

    _ROLES = {
        "cam": lambda hw: hw.cam.technology,
        "lut": lambda hw: hw.cam.lut_technology,
        "buffer": lambda hw: hw.digital.buffer_technology,
        "digital": lambda hw: hw.digital.technology,
        "crossbar": lambda hw: hw.crossbar.technology,
        "dram": lambda hw: hw.dram_technology,
    }
    _cache: dict[tuple[str, float], Technology] = {}
    _models: dict[tuple[str, float], Any] = {}

    def __init__(self, hw: Any):
        self.hw = hw
        self.used: dict[str, Technology] = {}

    @property
    def node_nm(self) -> float:
        return float(getattr(self.hw, "node_nm", 45))

    def __getitem__(self, role: str) -> Technology:
        if role not in self._ROLES:
            raise KeyError(f"unknown technology role {role!r}; expected one of {sorted(self._ROLES)}")
        name = self._ROLES[role](self.hw)
        key = (name, self.node_nm)
        tech = TechSet._cache.get(key)
        if tech is None:
            tech = scale_technology(load_technology(name), self.node_nm)
            TechSet._cache[key] = tech
        self.used[tech.name] = tech
        return tech

    def sram(self, role: str = "lut") -> SramModel:
        """Capacity model of the SRAM technology of ``role`` ("lut" or "buffer")."""
        return self._model(role, SramModel)

    def dram(self) -> DramModel:
        return self._model("dram", DramModel)

    def _model(self, role: str, cls: type) -> Any:
        tech = self[role]
        key = (tech.name, self.node_nm)
        model = TechSet._models.get(key)
        if model is None or model.tech is not tech:
            model = cls(tech)
            TechSet._models[key] = model
        return model

    def node_report(self) -> dict[str, Any]:
        """The report's node section: the node, and per technology used its source node and what was scaled."""
        return {"node_nm": self.node_nm,
                "technologies": {name: scaling_record(t) for name, t in sorted(self.used.items())}}

    def cam_array(self, mode: str | None = None) -> CamArray:
        c = self.hw.cam
        tech = self["cam"]
        if mode is None:
            mode = "tcam" if int(tech.get("bits_per_cell")) == 1 else "mcam"
        return CamArray(tech, int(c.rows), int(c.cols), mode)


class EnergyTable:
    """pJ per event of declared actions, for one hardware configuration (lazy, cached per function)."""

    def __init__(self, hw: Any, techs: TechSet | None = None):
        self.hw = hw
        self.techs = techs or TechSet(hw)
        self._pj: dict[tuple[Any, float | None], float] = {}

    def pj(self, component: str, action: str, actions: Actions, capacity_bytes: float | None = None) -> float:
        """Energy of one ``component.action`` event, from the emitting executor's ``actions``; a memory
        action needs the ``capacity_bytes`` of the memory charged."""
        fn = actions.get((component, action))
        if fn is None:
            raise LookupError(f"no energy declared for event {component}.{action}; add it to the executor's "
                              f"`actions` (declared: {', '.join(f'{c}.{a}' for c, a in sorted(actions))})")
        memory = isinstance(fn, MemoryAction)
        if memory and capacity_bytes is None:
            raise LookupError(f"event {component}.{action} is a memory access: it needs the memory's "
                              f"capacity (LayerCost.memory_bytes[{component!r}])")
        key = (fn, float(capacity_bytes) if memory else None)
        val = self._pj.get(key)
        if val is None:
            val = float(fn(self.hw, self.techs, float(capacity_bytes)) if memory else fn(self.hw, self.techs))
            self._pj[key] = val
        return val

    def fill(self, cost: Any, actions: Actions) -> Any:
        """Set ``cost.energy_pj`` (component -> pJ) from ``cost.events``; return ``cost``."""
        energy: dict[str, float] = {}
        sizes = getattr(cost, "memory_bytes", {})
        for (comp, action), count in cost.events.items():
            try:
                pj = self.pj(comp, action, actions, sizes.get(comp))
            except LookupError as exc:
                raise LookupError(f"layer {cost.layer!r}: {exc}") from None
            energy[comp] = energy.get(comp, 0.0) + count * pj
        cost.energy_pj = energy
        return cost


def digital_param(param: str) -> ActionFn:
    """Energy = parameter ``param`` (pJ) of the digital technology table."""
    return lambda hw, t: t["digital"].get(param)


# Quantizer / output-scaler energies on the digital side, by ``hw.digital.scales``. float: fp32 multiply /
# add. pow2: a shift, charged as an int32 add (assumption: a barrel shifter costs about an int32 adder;
# Horowitz lists no shifter). int: a 16 x 32-bit multiplier, charged as the int32 multiply (an upper
# bound). Clipping is two int32 compares; finding a tensor's largest magnitude is one int32 compare per
# element (IEEE magnitudes compare as integers).
_SHIFT = "int32_add_energy_pj"
SCALING_ACTIONS: Actions = {
    ("quantizer", "scale"): lambda hw, t: t["digital"].get(
        "fp32_mult_energy_pj" if hw.digital.scales == "float" else _SHIFT),
    ("quantizer", "clip"): lambda hw, t: 2 * t["digital"].get("int32_add_energy_pj"),
    ("quantizer", "range"): digital_param("int32_add_energy_pj"),
    ("scaler", "mult"): lambda hw, t: t["digital"].get(
        {"float": "fp32_mult_energy_pj", "int": "int32_mult_energy_pj"}.get(hw.digital.scales, _SHIFT)),
    ("scaler", "add"): lambda hw, t: t["digital"].get(
        "fp32_add_energy_pj" if hw.digital.scales == "float" else "int32_add_energy_pj"),
}
#: one multiply-accumulate on the digital unit, by precision (int8: int8 multiply + int32 accumulate)
MAC_ACTIONS: Actions = {
    ("mac", "fp32"): lambda hw, t: t["digital"].get("fp32_mult_energy_pj") + t["digital"].get("fp32_add_energy_pj"),
    ("mac", "int8"): lambda hw, t: t["digital"].get("int8_mult_energy_pj") + t["digital"].get("int32_add_energy_pj"),
}
#: activation/weight traffic through the on-chip buffer: 32-bit words, charged by the buffer's capacity
BUFFER_ACTIONS: Actions = {
    ("buffer", "read"): MemoryAction(lambda hw, t, cap: t.sram("buffer").read_energy_pj(cap, 32)),
    ("buffer", "write"): MemoryAction(lambda hw, t, cap: t.sram("buffer").write_energy_pj(cap, 32)),
}
#: one 64-bit word read from the LUT SRAM of the layer (charged by the whole LUT's capacity)
LUT_ACTIONS: Actions = {
    ("lut_sram", "read"): MemoryAction(lambda hw, t, cap: t.sram("lut").read_energy_pj(cap)),
}
