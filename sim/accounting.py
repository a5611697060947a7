"""Energy accounting: (component, action) event counts x per-action energies from the technology tables.

Executors count events; they never compute energy. Each (component, action) pair has a registered
function ``fn(hw, techs) -> pJ per event``; :class:`EnergyTable` evaluates them once per hardware
configuration, so costing many layers/points stays cheap. Memories (LUT SRAM, buffers) are charged
by their capacity: their functions take ``(hw, techs, capacity_bytes)`` and each layer states the
capacity of the memory that serves it in ``LayerCost.memory_bytes``. Every technology is brought to
``hw.node_nm`` on loading (:mod:`codesign.cam.scaling`).
"""

from __future__ import annotations

from typing import Any, Callable

from codesign.cam.cam_array.array import CamArray
from codesign.cam.memory import DramModel, SramModel
from codesign.cam.scaling import scale_technology, scaling_record
from codesign.cam.technology import Technology, load_technology

ActionFn = Callable[[Any, "TechSet"], float]
MemoryFn = Callable[[Any, "TechSet", float], float]
_ACTIONS: dict[tuple[str, str], ActionFn] = {}
_MEMORY_ACTIONS: dict[tuple[str, str], MemoryFn] = {}

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


def register_action(component: str, action: str, fn: ActionFn) -> None:
    """Declare the energy (pJ per event) of ``action`` on ``component``."""
    _ACTIONS[(component, action)] = fn


def register_memory_action(component: str, action: str, fn: MemoryFn) -> None:
    """Declare the energy (pJ per event) of ``action`` on a memory ``component`` as a function of its
    capacity (bytes); layers emitting it state the capacity in ``LayerCost.memory_bytes[component]``."""
    _MEMORY_ACTIONS[(component, action)] = fn


def registered_actions() -> list[tuple[str, str]]:
    return sorted({*_ACTIONS, *_MEMORY_ACTIONS})


class EnergyTable:
    """pJ per event for every registered action, for one hardware configuration (lazy, cached)."""

    def __init__(self, hw: Any, techs: TechSet | None = None):
        self.hw = hw
        self.techs = techs or TechSet(hw)
        self._pj: dict[tuple[str, str, float | None], float] = {}

    def pj(self, component: str, action: str, capacity_bytes: float | None = None) -> float:
        """pJ per event; memory components need the ``capacity_bytes`` of the memory charged."""
        key = (component, action, capacity_bytes)
        val = self._pj.get(key)
        if val is None:
            mem = _MEMORY_ACTIONS.get((component, action))
            if mem is not None:
                if capacity_bytes is None:
                    raise LookupError(f"event {component}.{action} is a memory access: it needs the memory's "
                                      f"capacity (LayerCost.memory_bytes[{component!r}])")
                val = float(mem(self.hw, self.techs, float(capacity_bytes)))
            else:
                fn = _ACTIONS.get((component, action))
                if fn is None:
                    raise LookupError(
                        f"no energy registered for event {component}.{action}; use "
                        f"codesign.sim.accounting.register_action (registered: {len(registered_actions())} actions)"
                    )
                val = float(fn(self.hw, self.techs))
            self._pj[key] = val
        return val

    def fill(self, cost: Any) -> Any:
        """Set ``cost.energy_pj`` (component -> pJ) from ``cost.events``; return ``cost``."""
        energy: dict[str, float] = {}
        sizes = getattr(cost, "memory_bytes", {})
        for (comp, action), count in cost.events.items():
            try:
                pj = self.pj(comp, action, sizes.get(comp) if (comp, action) in _MEMORY_ACTIONS else None)
            except LookupError as exc:
                raise LookupError(f"layer {cost.layer!r}: {exc}") from None
            energy[comp] = energy.get(comp, 0.0) + count * pj
        cost.energy_pj = energy
        return cost


def _d(param: str) -> ActionFn:
    return lambda hw, t: t["digital"].get(param)


# -- CAM side --------------------------------------------------------------------------------
register_action("cam_array", "search", lambda hw, t: t.cam_array().matchline_energy_pj())
register_action("cam_periphery", "sense", lambda hw, t: t.cam_array().sense_energy_pj())
register_action("interconnect", "transfer", lambda hw, t: t.cam_array().interconnect_energy_pj())
register_action("cam_array", "write_row", lambda hw, t: t.cam_array().write_row_energy_pj())
register_action("merge", "add", _d("int32_add_energy_pj"))
register_action("merge", "compare", _d("int32_add_energy_pj"))
register_memory_action("lut_sram", "read", lambda hw, t, cap: t.sram("lut").read_energy_pj(cap))
register_action("accumulator", "add", _d("int32_add_energy_pj"))
# -- quantizer / output scaling (fp32 on the digital side) -------------------------------------
register_action("quantizer", "scale", _d("fp32_mult_energy_pj"))
register_action("quantizer", "clip", lambda hw, t: 2 * t["digital"].get("int32_add_energy_pj"))
register_action("scaler", "mult", _d("fp32_mult_energy_pj"))
register_action("scaler", "add", _d("fp32_add_energy_pj"))
# -- digital unit --------------------------------------------------------------------------------
register_action("mac", "fp32", lambda hw, t: t["digital"].get("fp32_mult_energy_pj") + t["digital"].get("fp32_add_energy_pj"))
register_action("mac", "int8", lambda hw, t: t["digital"].get("int8_mult_energy_pj") + t["digital"].get("int32_add_energy_pj"))
register_action("alu", "fp32_add", _d("fp32_add_energy_pj"))
register_action("alu", "fp32_mult", _d("fp32_mult_energy_pj"))
register_action("alu", "compare", _d("fp32_add_energy_pj"))
register_action("alu", "int_compare", _d("int32_add_energy_pj"))
register_action("alu", "int_add", _d("int32_add_energy_pj"))
# buffers move 32-bit words; DRAM 64-bit words (one access each)
register_memory_action("buffer", "read", lambda hw, t, cap: t.sram("buffer").read_energy_pj(cap, 32))
register_memory_action("buffer", "write", lambda hw, t, cap: t.sram("buffer").write_energy_pj(cap, 32))
register_action("dram", "read", lambda hw, t: t.dram().access_energy_pj())
register_action("dram", "write", lambda hw, t: t.dram().access_energy_pj())
register_action("register", "access", _d("register_energy_pj"))
