"""Energy accounting: (component, action) event counts x per-action energies from the technology tables.

Executors count events; they never compute energy. Each executor class declares, in its ``actions``
table, a function ``fn(hw, techs) -> pJ per event`` for every (component, action) it emits;
:class:`EnergyTable` evaluates them once per hardware configuration, so costing many layers/points
stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable

from codesign.cam.cam_array.array import CamArray
from codesign.cam.technology import Technology, load_technology

ActionFn = Callable[[Any, "TechSet"], float]
#: (component, action) -> energy function; what an executor declares as its ``actions``
Actions = Mapping[tuple[str, str], ActionFn]

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


class EnergyTable:
    """pJ per event of declared actions, for one hardware configuration (lazy, cached per function)."""

    def __init__(self, hw: Any, techs: TechSet | None = None):
        self.hw = hw
        self.techs = techs or TechSet(hw)
        self._pj: dict[ActionFn, float] = {}

    def pj(self, component: str, action: str, actions: Actions) -> float:
        """Energy of one ``component.action`` event, from the emitting executor's ``actions``."""
        fn = actions.get((component, action))
        if fn is None:
            raise LookupError(f"no energy declared for event {component}.{action}; add it to the executor's "
                              f"`actions` (declared: {', '.join(f'{c}.{a}' for c, a in sorted(actions))})")
        val = self._pj.get(fn)
        if val is None:
            val = self._pj[fn] = float(fn(self.hw, self.techs))
        return val

    def fill(self, cost: Any, actions: Actions) -> Any:
        """Set ``cost.energy_pj`` (component -> pJ) from ``cost.events``; return ``cost``."""
        energy: dict[str, float] = {}
        for (comp, action), count in cost.events.items():
            energy[comp] = energy.get(comp, 0.0) + count * self.pj(comp, action, actions)
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
