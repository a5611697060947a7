"""SRAM rows: the capacity model (``data/tech/sram_lut.json``) vs Horowitz and CACTI 7.0 at 45 nm."""

from __future__ import annotations

from codesign.cam.memory import SramModel
from codesign.cam.technology import load_technology
from codesign.scenarios.validation.rows import Row, published

#: Horowitz read energies (issue 16)
HOROWITZ = 0.15
#: CACTI 7.0 access time and area: the points the power laws are fitted to
CACTI_FIT = 0.15
#: CACTI 7.0 read energy is 0.6-0.85x Horowitz: agreement within 2x is what to expect
CACTI_ENERGY = 1.0


def _size(kib: str) -> str:
    return f"{int(kib) // 1024} MB" if int(kib) >= 1024 else f"{kib} KB"


def rows() -> list[Row]:
    sram = SramModel(load_technology("sram_lut"))
    h, c = published()["horowitz_sram"], published()["cacti7_sram"]
    out = [Row("Horowitz SRAM 45 nm", f"{_size(k)} read (64 bit)", sram.read_energy_pj(int(k) * 1024), v, "pJ", HOROWITZ)
           for k, v in h["read_pj"].items()]
    out += [Row("CACTI 7.0 SRAM 45 nm", f"{_size(k)} access time", sram.access_latency_ns(int(k) * 1024), v, "ns", CACTI_FIT)
            for k, v in c["access_ns"].items()]
    out += [Row("CACTI 7.0 SRAM 45 nm", f"{_size(k)} area", sram.area_mm2(int(k) * 1024), v, "mm^2", CACTI_FIT)
            for k, v in c["area_mm2"].items()]
    out += [Row("CACTI 7.0 SRAM 45 nm", f"{_size(k)} read (64 bit)", sram.read_energy_pj(int(k) * 1024), v, "pJ",
                CACTI_ENERGY, "our energy follows Horowitz; CACTI is 0.6-0.85x Horowitz")
            for k, v in c["read_pj"].items()]
    return out
