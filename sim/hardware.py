"""Architecture description (what hardware, how many, which technology) — separate from the
per-action energy/latency/area tables in ``data/tech`` (Timeloop/Accelergy style).

``HardwareConfig.targets`` says where each layer type runs: e.g. PECAN-D layers on CAM,
PECAN-A similarity on the digital MAC unit or on crossbars, dense conv/linear on the digital
unit or on crossbars, element-wise layers on the digital unit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, asdict, replace
from typing import Any

from codesign.cam.cam_array.nonideal import CamNonideal, check_values
from codesign.cam.crossbar.params import TECHNOLOGY_FIELDS, CrossbarParams
from codesign.errors import CodesignError

#: arithmetic of the digital unit's MACs (``DigitalConfig.precision``)
PRECISIONS = ("fp32", "int8")
#: arithmetic of quantizers and output scalers (``DigitalConfig.scales``): float32 scales, power-of-two
#: scales (shifts), or power-of-two input scales and 16-bit integer output multipliers
SCALES = ("float", "pow2", "int")
#: how a CAM row split over column tiles is merged (``CamConfig.column_merge``)
COLUMN_MERGES = ("readout", "matchline")
#: where device non-idealities come from (``CamConfig.nonideal``, ``CrossbarParams.nonideal``): "off" = only
#: the fields set explicitly; "tech" = the technology file's values for every field left at 0
NONIDEAL_MODES = ("off", "tech")


class HardwareError(CodesignError, ValueError):
    """A hardware setting has a value the simulator does not know; the message names the field."""


@dataclass
class CamConfig:
    """CAM arrays for prototype search. ``technology`` names a file in ``data/tech``; the bits per
    cell are a property of the technology (e.g. ``fefet_mcam`` 3-bit, ``fefet_mcam_2bit``, ``sram_tcam`` 1-bit)."""

    #: CAM technology: a file in ``data/tech`` (name) or a path to a JSON file
    technology: str = "fefet_mcam"
    #: rows (stored prototypes) per CAM array
    rows: int = 64
    #: cells per CAM row
    cols: int = 64
    #: CAM arrays searched at once
    parallel_arrays: int = 16
    #: SRAM technology of the PECAN look-up tables
    lut_technology: str = "sram_lut"
    #: independent LUT SRAM banks (64-bit word each per cycle) and accumulator adders per CAM layer
    lut_banks: int = 16
    adders: int = 64
    #: how the column tiles of a row are combined, one of :data:`COLUMN_MERGES`: "readout" converts every
    #: row's partial distance and adds them digitally; "matchline" joins the tiles' match-line segments
    #: into one row (one sense, no conversion; latency of the full width)
    column_merge: str = "readout"
    #: device non-idealities (docs/nonideal.md), one of :data:`NONIDEAL_MODES`
    nonideal: str = "off"
    #: sigma of a programmed cell level (level spacings)
    level_sigma: float = 0.0
    #: fraction of cells stuck at level 0 or at the top level, in [0, 1]
    stuck_rate: float = 0.0
    #: sigma of a sensed match-line distance (one-level mismatches) per row and search
    sense_sigma: float = 0.0
    #: match-line sensing resolution (bits over a row's full scale); 0 = exact
    sense_bits: int = 0
    #: seed of the CAM device instance (programming and sensing noise)
    noise_seed: int = 0
    #: write-verify iterations per programmed row: level sigma / sqrt(1 + n) (our assumption), write
    #: energy and time x (1 + n) plus n verify searches (the programming cost in the layer mapping)
    write_verify: int = 0

    def __post_init__(self) -> None:
        if self.column_merge not in COLUMN_MERGES:
            raise HardwareError(f"cam.column_merge={self.column_merge!r}; expected one of {COLUMN_MERGES}")
        if self.nonideal not in NONIDEAL_MODES:
            raise HardwareError(f"cam.nonideal={self.nonideal!r}; expected one of {NONIDEAL_MODES}")
        if not isinstance(self.write_verify, int) or isinstance(self.write_verify, bool) or self.write_verify < 0:
            raise HardwareError(f"cam.write_verify={self.write_verify!r}; expected an integer >= 0 (verify iterations)")
        check_values({"level_sigma": self.level_sigma, "stuck_rate": self.stuck_rate, "sense_sigma": self.sense_sigma,
                      "sense_bits": self.sense_bits, "noise_seed": self.noise_seed}, "cam")

    def nonideal_for(self, tech) -> CamNonideal:
        """The non-idealities of arrays built in ``tech`` (technology values where ``nonideal="tech"``)."""
        given = {"level_sigma": self.level_sigma, "stuck_rate": self.stuck_rate, "sense_sigma": self.sense_sigma,
                 "sense_bits": self.sense_bits}
        ni = (CamNonideal.from_tech(tech, seed=self.noise_seed, **given) if self.nonideal == "tech"
              else CamNonideal(**given, seed=self.noise_seed))
        if self.write_verify:
            ni = replace(ni, level_sigma=ni.level_sigma / (1 + self.write_verify) ** 0.5)
        return ni


@dataclass
class DigitalConfig:
    """Digital MAC/ALU unit for dense and element-wise layers. ``technology`` names a data/tech file."""

    #: digital-logic technology (per-operation energies and areas)
    technology: str = "cmos_digital_45nm"
    #: lanes of the MAC/ALU unit (multiply-accumulates per cycle)
    macs_per_cycle: int = 64
    #: SRAM technology (capacity model, ``cam.memory``) of the activation/weight buffers
    buffer_technology: str = "sram_lut"
    #: MAC arithmetic: "fp32" (float32 multiply-add) or "int8" (int8 multiply, int32 accumulate; dense
    #: layers are then quantized per tensor, see docs/simulator.md); PECAN-A's dot products follow it
    precision: str = "fp32"
    #: quantizer/scaler arithmetic, one of :data:`SCALES` (fixed-point variants round the scales)
    scales: str = "float"

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise HardwareError(f"digital.precision={self.precision!r}; expected one of {PRECISIONS}")
        if self.scales not in SCALES:
            raise HardwareError(f"digital.scales={self.scales!r}; expected one of {SCALES}")


@dataclass
class HardwareConfig:
    #: CAM arrays for PECAN-D prototype search
    cam: CamConfig = field(default_factory=CamConfig)
    #: analog IMC crossbars (``technology`` names a file in ``data/tech``)
    crossbar: CrossbarParams = field(default_factory=CrossbarParams)
    #: digital MAC/ALU unit and buffers
    digital: DigitalConfig = field(default_factory=DigitalConfig)
    #: clock frequency (GHz) of every unit
    clock_ghz: float = 1.0
    #: process node (nm) every technology is scaled to (cam.scaling: 45, 32 or 20). 45 nm is where the
    #: default design's files already are (Horowitz digital and SRAM, CAMASim/Eva-CAM FeFET CAM).
    node_nm: int = 45
    #: off-chip DRAM technology (``cam.memory.DramModel``) for data that does not fit on chip
    dram_technology: str = "dram_ddr4"
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
        """Plain dict of the settings (the crossbar's technology-derived fields left out)."""
        d = asdict(self)
        for key in TECHNOLOGY_FIELDS:
            del d["crossbar"][key]
        return d


#: layer types :func:`crossbar_hw` routes to the crossbars unless told otherwise
CROSSBAR_LAYER_TYPES = ("conv2d", "linear")


def crossbar_hw(hw: HardwareConfig | None = None, layer_types: Iterable[str] = CROSSBAR_LAYER_TYPES,
                **crossbar: Any) -> HardwareConfig:
    """``hw`` (default ``HardwareConfig()``) with ``layer_types`` routed to the crossbars and the
    given :class:`CrossbarParams` fields replaced (checked like any CrossbarParams)."""
    hw = hw or HardwareConfig()
    return replace(hw, crossbar=replace(hw.crossbar, **crossbar),
                   targets={**hw.targets, **dict.fromkeys(layer_types, "crossbar")})
