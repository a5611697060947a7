"""Column ADC model: resolution, full-scale range, clipping, and per-conversion cost by resolution.

A conversion maps a column current ``i`` (in units of one conductance level times one input LSB)
to ``code = clip(round(i / lsb), lo, hi)`` and returns ``code * lsb``. With integer-valued currents
and ``2**bits - 1 >= full_scale`` the step is 1 and the conversion is lossless.

Energy/area per conversion come from the technology table (``adc_energy_pj_<b>b``,
``adc_area_um2_<b>b``); resolutions outside the table are extrapolated geometrically from the two
nearest table entries (documented as our assumption in docs/crossbar.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ADCSpec:
    """``bits`` None = ideal (no quantization). ``full_scale`` = largest current expected (>0).

    ``signed``: bipolar range [-full_scale, full_scale] (analog bipolar inputs), else [0, full_scale].
    ``integer_currents``: currents are integers when noise-free (lets ``lsb`` floor at 1: lossless).
    """

    bits: int | None
    full_scale: float
    signed: bool = False
    integer_currents: bool = False

    @property
    def lsb(self) -> float:
        if self.bits is None:
            return 0.0
        span = 2.0 * self.full_scale if self.signed else self.full_scale
        step = span / (2**self.bits - 1)
        return max(step, 1.0) if self.integer_currents else step

    @property
    def code_range(self) -> tuple[float, float]:
        if self.bits is None:
            return -math.inf, math.inf
        if self.signed:
            return -float(2 ** (self.bits - 1)), float(2 ** (self.bits - 1) - 1)
        return 0.0, float(2**self.bits - 1)

    def params(self) -> tuple[float, float, float]:
        """(lsb, lo_code, hi_code) for the Numba kernels; lsb 0 means ideal."""
        lo, hi = self.code_range
        return self.lsb, lo, hi

    def convert(self, current: float) -> float:
        """Reference (pure Python) conversion, used by tests."""
        lsb, lo, hi = self.params()
        if lsb == 0.0:
            return current
        return min(max(round(current / lsb), lo), hi) * lsb


def _table(tech: Any, prefix: str) -> dict[int, float]:
    out = {}
    for key in getattr(tech, "params", {}):
        if key.startswith(prefix) and key.endswith("b"):
            try:
                out[int(key[len(prefix):-1])] = float(tech.get(key))
            except ValueError:
                continue
    return out


def _lookup(tech: Any, prefix: str, bits: int) -> float:
    tab = _table(tech, prefix)
    if not tab:
        return float(tech.get(f"{prefix}8b"))  # raises the technology's own "missing" error
    if bits in tab:
        return tab[bits]
    keys = sorted(tab)
    if len(keys) == 1:
        return tab[keys[0]] * 2.0 ** (bits - keys[0])
    a, b = (keys[0], keys[1]) if bits < keys[0] else (keys[-2], keys[-1])
    if keys[0] < bits < keys[-1]:
        a = max(k for k in keys if k < bits)
        b = min(k for k in keys if k > bits)
    ratio = (tab[b] / tab[a]) ** (1.0 / (b - a))
    return tab[a] * ratio ** (bits - a)


def adc_energy_pj(tech: Any, bits: int) -> float:
    """Energy of one conversion at ``bits`` resolution (pJ)."""
    return _lookup(tech, "adc_energy_pj_", int(bits))


def adc_area_um2(tech: Any, bits: int) -> float:
    """Area of one ADC at ``bits`` resolution (µm²)."""
    return _lookup(tech, "adc_area_um2_", int(bits))
