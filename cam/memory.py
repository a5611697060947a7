"""On-chip SRAM and off-chip DRAM costs as a function of capacity and word width.

SRAM (technology kind ``sram``): the file tabulates published points by capacity,
``read_energy_pj_<N>kib`` (per ``word_bits``-bit read), ``access_latency_ns_<N>kib`` and
``area_mm2_<N>kib``. Each quantity is fitted with a power law ``y = a * C**b`` in capacity ``C``
(least squares in log-log over the points); capacities outside the points are extrapolated on the
same law. A read of a ``w``-bit word costs ``w / word_bits`` times the tabulated-width read (our
assumption: bit-line and sense energy dominate and grow with the bits read); a write costs
``write_read_energy_ratio`` times a read. Latency and area depend on capacity only.

DRAM (kind ``dram``): energy per ``word_bits``-bit access (the file gives a published low/high
range; we charge the mean) and a channel bandwidth for transfer time.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from codesign.cam.technology import Technology, TechnologyError

_POINT = re.compile(r"^(read_energy_pj|access_latency_ns|area_mm2)_(\d+)kib$")


@dataclass(frozen=True)
class PowerLaw:
    """``y = a * x**b`` fitted in log-log space."""

    a: float
    b: float

    def __call__(self, x: float) -> float:
        return self.a * float(x) ** self.b

    @classmethod
    def fit(cls, points: dict[float, float]) -> "PowerLaw":
        xs = [math.log(x) for x in points]
        ys = [math.log(y) for y in points.values()]
        n = len(xs)
        mx, my = sum(xs) / n, sum(ys) / n
        sxx = sum((x - mx) ** 2 for x in xs)
        b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
        return cls(math.exp(my - b * mx), b)


class SramModel:
    """Per-access energy (pJ), access time (ns) and area (mm²) of an SRAM of a given capacity (bytes)."""

    def __init__(self, tech: Technology):
        if tech.kind != "sram":
            raise TechnologyError(f"{tech.path or tech.name}: kind {tech.kind!r}; expected 'sram'")
        self.tech = tech
        self.word_bits = int(tech.get("word_bits"))
        self.write_ratio = tech.get("write_read_energy_ratio")
        tables: dict[str, dict[float, float]] = {}
        for key, p in tech.params.items():
            m = _POINT.match(key)
            if m:
                if p.value <= 0:
                    raise TechnologyError(f"{tech.path or tech.name}: params/{key}/value: {p.value}; expected > 0")
                tables.setdefault(m.group(1), {})[int(m.group(2)) * 1024.0] = p.value
        self.points = tables
        self.laws = {}
        for q in ("read_energy_pj", "access_latency_ns", "area_mm2"):
            pts = tables.get(q, {})
            if len(pts) < 2:
                raise TechnologyError(f"{tech.path or tech.name}: params/{q}_<N>kib: {len(pts)} point(s); the capacity "
                                      "model needs at least two (e.g. read_energy_pj_8kib, read_energy_pj_32kib)")
            self.laws[q] = PowerLaw.fit(pts)

    @staticmethod
    def _capacity(capacity_bytes: float) -> float:
        c = float(capacity_bytes)
        if not math.isfinite(c) or c <= 0:
            raise ValueError(f"SRAM capacity {capacity_bytes!r} bytes; expected a positive number")
        return max(c, 8.0)  # at least one 64-bit word

    def read_energy_pj(self, capacity_bytes: float, word_bits: float | None = None) -> float:
        """Energy of one read of ``word_bits`` bits (default: the table's word) from a memory of this capacity."""
        w = self.word_bits if word_bits is None else float(word_bits)
        return self.laws["read_energy_pj"](self._capacity(capacity_bytes)) * w / self.word_bits

    def write_energy_pj(self, capacity_bytes: float, word_bits: float | None = None) -> float:
        return self.read_energy_pj(capacity_bytes, word_bits) * self.write_ratio

    def access_latency_ns(self, capacity_bytes: float) -> float:
        return self.laws["access_latency_ns"](self._capacity(capacity_bytes))

    def area_mm2(self, capacity_bytes: float) -> float:
        return self.laws["area_mm2"](self._capacity(capacity_bytes))


class DramModel:
    """Off-chip DRAM: energy per access of ``word_bits`` bits and transfer time at the channel bandwidth."""

    def __init__(self, tech: Technology):
        if tech.kind != "dram":
            raise TechnologyError(f"{tech.path or tech.name}: kind {tech.kind!r}; expected 'dram'")
        self.tech = tech
        self.word_bits = int(tech.get("word_bits"))
        self.bandwidth_gb_s = tech.get("bandwidth_gb_s")

    def access_energy_pj(self, word_bits: float | None = None) -> float:
        """Mean of the published low/high energies per access, per ``word_bits`` (linear in bits)."""
        w = self.word_bits if word_bits is None else float(word_bits)
        mean = 0.5 * (self.tech.get("access_energy_pj_low") + self.tech.get("access_energy_pj_high"))
        return mean * w / self.word_bits

    def transfer_ns(self, nbytes: float) -> float:
        """Time to move ``nbytes`` over one channel (GB/s = bytes/ns)."""
        return float(nbytes) / self.bandwidth_gb_s
