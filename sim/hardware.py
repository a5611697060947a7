"""Architecture description (what hardware, how many, which technology) — separate from the
per-action energy/latency/area tables in ``data/tech`` (Timeloop/Accelergy style).

``HardwareConfig.targets`` says where each layer type runs: e.g. PECAN-D layers on CAM,
PECAN-A similarity on the digital MAC unit or on crossbars, dense conv/linear on the digital
unit or on crossbars, element-wise layers on the digital unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, asdict
from typing import Any


@dataclass
class CamConfig:
    """CAM arrays for prototype search. ``technology`` names a file in ``data/tech``; the bits per
    cell are a property of the technology (e.g. ``fefet_mcam`` 3-bit, ``fefet_mcam_2bit``, ``sram_tcam`` 1-bit)."""

    technology: str = "fefet_mcam"
    rows: int = 64
    cols: int = 64
    parallel_arrays: int = 16
    lut_technology: str = "sram_lut"
    #: independent LUT SRAM banks (64-bit word each per cycle) and accumulator adders per CAM layer
    lut_banks: int = 16
    adders: int = 64


@dataclass
class CrossbarConfig:
    """Analog IMC crossbars. ``technology`` names a file in ``data/tech``."""

    technology: str = "reram_1t1r"
    rows: int = 128
    cols: int = 128
    cell_bits: int = 2
    weight_bits: int = 8
    dac_bits: int = 1
    adc_bits: int = 8
    prog_noise_sigma: float = 0.0
    parallel_tiles: int = 64
    ideal: bool = False
    #: activation bits fed bit-serially (sign cycle added for signed inputs)
    input_bits: int = 8
    #: ADC full scale as a fraction of the largest possible column current (<1: finer LSB, clipping)
    adc_range: float = 1.0
    #: seed of the programming noise (each layer derives its own from it and its name)
    seed: int = 0
    #: grouped/depthwise conv mapping: "packed" (groups share tiles, block-diagonal) or "dense"
    group_mapping: str = "packed"
    #: DeBut factor mapping: "dense" (whole factor as a dense matrix), "block" (each block a dense
    #: tile) or "diagonal" (packed diagonals); see sim/executors/debut.py
    debut_mapping: str = "diagonal"
    #: read voltages of either sign: signed inputs as sign x (dac_bits-1)-bit magnitude chunks, no sign cycle
    bipolar_dac: bool = False
    #: subtract the differential pair's currents before the ADC (one conversion per output and slice)
    subtract_in_analog: bool = False


@dataclass
class DigitalConfig:
    """Digital MAC/ALU unit for dense and element-wise layers. ``technology`` names a data/tech file."""

    technology: str = "cmos_digital_45nm"
    macs_per_cycle: int = 64


@dataclass
class HardwareConfig:
    cam: CamConfig = field(default_factory=CamConfig)
    crossbar: CrossbarConfig = field(default_factory=CrossbarConfig)
    digital: DigitalConfig = field(default_factory=DigitalConfig)
    clock_ghz: float = 1.0
    #: layer type -> target ("cam", "digital", "crossbar") or, for PECAN layers, a dict
    #: mode -> target. Unlisted types run on "digital". PECAN-D (distance) defaults to "cam";
    #: PECAN-A (angle) to "digital": a CAM cannot compute dot products.
    targets: dict[str, Any] = field(
        default_factory=lambda: {
            "pecan_linear": {"distance": "cam", "angle": "digital"},
            "pecan_conv2d": {"distance": "cam", "angle": "digital"},
        }
    )

    def target_for(self, layer_type: str, attrs: dict[str, Any] | None = None) -> str:
        t = self.targets.get(layer_type, "digital")
        if isinstance(t, dict):
            mode = (attrs or {}).get("mode", "distance")
            return t.get(mode, "digital")
        return t

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
