"""Energy accounting: (component, action) event counts x per-action energies from the technology tables.

Executors count events; they never compute energy. Each (component, action) pair has a registered
function ``fn(hw, techs) -> pJ per event``; :class:`EnergyTable` evaluates them once per hardware
configuration, so costing many layers/points stays cheap.
"""

from __future__ import annotations

from typing import Any, Callable

from codesign.cam.cam_array.array import CamArray
from codesign.cam.technology import Technology, load_technology

ActionFn = Callable[[Any, "TechSet"], float]
_ACTIONS: dict[tuple[str, str], ActionFn] = {}

#: components whose area is one shared unit (counted once in totals, not per layer)
SHARED_AREA_COMPONENTS = {"digital_unit"}


class TechSet:
    """Technologies named by a HardwareConfig, loaded lazily by role: cam, lut, digital, crossbar."""

    _ROLES = {
        "cam": lambda hw: hw.cam.technology,
        "lut": lambda hw: hw.cam.lut_technology,
        "digital": lambda hw: hw.digital.technology,
        "crossbar": lambda hw: hw.crossbar.technology,
    }
    _cache: dict[str, Technology] = {}

    def __init__(self, hw: Any):
        self.hw = hw

    def __getitem__(self, role: str) -> Technology:
        if role not in self._ROLES:
            raise KeyError(f"unknown technology role {role!r}; expected one of {sorted(self._ROLES)}")
        name = self._ROLES[role](self.hw)
        tech = TechSet._cache.get(name)
        if tech is None:
            tech = load_technology(name)
            TechSet._cache[name] = tech
        return tech

    def cam_array(self, mode: str | None = None) -> CamArray:
        c = self.hw.cam
        tech = self["cam"]
        if mode is None:
            mode = "tcam" if int(tech.get("bits_per_cell")) == 1 else "mcam"
        return CamArray(tech, int(c.rows), int(c.cols), mode)


def register_action(component: str, action: str, fn: ActionFn) -> None:
    """Declare the energy (pJ per event) of ``action`` on ``component``."""
    _ACTIONS[(component, action)] = fn


def registered_actions() -> list[tuple[str, str]]:
    return sorted(_ACTIONS)


class EnergyTable:
    """pJ per event for every registered action, for one hardware configuration (lazy, cached)."""

    def __init__(self, hw: Any, techs: TechSet | None = None):
        self.hw = hw
        self.techs = techs or TechSet(hw)
        self._pj: dict[tuple[str, str], float] = {}

    def pj(self, component: str, action: str) -> float:
        key = (component, action)
        val = self._pj.get(key)
        if val is None:
            fn = _ACTIONS.get(key)
            if fn is None:
                raise LookupError(
                    f"no energy registered for event {component}.{action}; use "
                    f"codesign.sim.accounting.register_action (registered: {len(_ACTIONS)} actions)"
                )
            val = float(fn(self.hw, self.techs))
            self._pj[key] = val
        return val

    def fill(self, cost: Any) -> Any:
        """Set ``cost.energy_pj`` (component -> pJ) from ``cost.events``; return ``cost``."""
        energy: dict[str, float] = {}
        for (comp, action), count in cost.events.items():
            energy[comp] = energy.get(comp, 0.0) + count * self.pj(comp, action)
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
register_action("lut_sram", "read", lambda hw, t: t["lut"].get("read_energy_pj"))
register_action("accumulator", "add", _d("int32_add_energy_pj"))
# -- quantizer / output scaling on the digital side, by hw.digital.scales -------------------------
# float: fp32 multiply / add. pow2: a shift, charged as an int32 add (assumption: a barrel shifter costs
# about an int32 adder; Horowitz lists no shifter). int: a 16 x 32-bit multiplier, charged as the int32
# multiply (an upper bound). Clipping is two int32 compares; finding a tensor's largest magnitude is one
# int32 compare per element (IEEE magnitudes compare as integers).
_SHIFT = "int32_add_energy_pj"
register_action("quantizer", "scale", lambda hw, t: t["digital"].get(
    "fp32_mult_energy_pj" if hw.digital.scales == "float" else _SHIFT))
register_action("quantizer", "clip", lambda hw, t: 2 * t["digital"].get("int32_add_energy_pj"))
register_action("quantizer", "range", _d("int32_add_energy_pj"))
register_action("scaler", "mult", lambda hw, t: t["digital"].get(
    {"float": "fp32_mult_energy_pj", "int": "int32_mult_energy_pj"}.get(hw.digital.scales, _SHIFT)))
register_action("scaler", "add", lambda hw, t: t["digital"].get(
    "fp32_add_energy_pj" if hw.digital.scales == "float" else "int32_add_energy_pj"))
# -- digital unit --------------------------------------------------------------------------------
register_action("mac", "fp32", lambda hw, t: t["digital"].get("fp32_mult_energy_pj") + t["digital"].get("fp32_add_energy_pj"))
register_action("mac", "int8", lambda hw, t: t["digital"].get("int8_mult_energy_pj") + t["digital"].get("int32_add_energy_pj"))
register_action("alu", "fp32_add", _d("fp32_add_energy_pj"))
register_action("alu", "fp32_mult", _d("fp32_mult_energy_pj"))
register_action("alu", "compare", _d("fp32_add_energy_pj"))
register_action("alu", "int_compare", _d("int32_add_energy_pj"))
register_action("alu", "int_add", _d("int32_add_energy_pj"))
register_action("buffer", "read", _d("buffer_read_energy_pj_per_32b"))
register_action("buffer", "write", _d("buffer_write_energy_pj_per_32b"))
register_action("register", "access", _d("register_energy_pj"))
