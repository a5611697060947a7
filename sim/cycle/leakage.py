"""Static (leakage) power: area of each component x the static power density of its technology.

Each technology file states ``leakage_mw_per_mm2`` (a modelling assumption, labelled as such in the file);
a component takes the density of the technology that builds it. Energy = power (mW) x runtime (ns) = pJ.
"""

from __future__ import annotations

from typing import Any

from codesign.cam.technology import TechnologyError

#: component (as in LayerCost.area_mm2) -> technology role (TechSet) whose density applies
COMPONENT_ROLE = {
    "cam_array": "cam", "cam_periphery": "cam", "cam_readout": "crossbar",
    "lut_sram": "lut", "weight_sram": "buffer",
    "digital_unit": "digital", "accumulator": "digital",
    "xbar": "crossbar", "dac": "crossbar", "adc": "crossbar", "sample_hold": "crossbar", "shift_add": "crossbar",
}
PARAM = "leakage_mw_per_mm2"


def leakage_power_mw(area_mm2: dict[str, float], techs: Any) -> dict[str, float]:
    """Static power (mW) by component; a component of unknown role takes the digital logic's density."""
    out = {}
    for comp, a in area_mm2.items():
        role = COMPONENT_ROLE.get(comp, "digital")
        try:
            out[comp] = float(a) * techs[role].get(PARAM)
        except TechnologyError as exc:
            raise TechnologyError(f"{exc} (the cycle engine's static power needs it; add it with its source, "
                                  "or turn leakage off: --no-leakage / [cycle] leakage = false)") from None
    return out
