"""Crossbar parameters, tile specs and tile plans (geometry only; no weights).

Conventions (see docs/crossbar.md): a logical weight matrix W [n_out, n_in] computes y = W x.
Inputs drive crossbar rows (word lines), outputs are read on columns. A :class:`TileSpec` places a
dense sub-block W[out_idx][:, in_idx] on one physical crossbar: its rows are ``in_idx``, its columns
hold, for each output j, ``n_slices`` bit-slices x 2 polarities (positive / negative column of a
differential pair): column ``(j * n_slices + s) * 2 + p``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from numbers import Integral, Real
from typing import Any

import numpy as np

from codesign.errors import CodesignError


class CrossbarError(CodesignError, ValueError):
    """Bad crossbar parameters or a mapping that does not fit."""


#: tile-plan strategies for grouped/depthwise convs (``group_mapping``)
GROUP_MAPPINGS = ("packed", "dense")
#: DeBut factor mappings (``debut_mapping``): whole factor dense, one tile block per block, packed diagonals
DEBUT_MAPPINGS = ("dense", "block", "diagonal")
#: fields :meth:`CrossbarParams.with_tech` takes from the technology table (not hardware settings)
TECHNOLOGY_FIELDS = ("g_min_us", "g_max_us")
#: bits the cost model charges where a bits field is None (ideal numerics)
COST_BITS = 8

_POSITIVE_INTS = ("rows", "cols", "cell_bits", "dac_bits", "parallel_tiles")
_COUNTS = ("seed", "cols_per_adc", "rows_per_adc")
#: where non-idealities come from: "off" = the fields as set; "tech" = the technology's value for every
#: field of :data:`NONIDEAL_TECH` left at 0
NONIDEAL_MODES = ("off", "tech")
#: field -> technology parameter (``nonideal="tech"``)
NONIDEAL_TECH = {"prog_noise_sigma": "prog_noise_sigma", "read_noise_sigma": "read_noise_sigma",
                 "drift_nu": "drift_nu", "drift_nu_sigma": "drift_nu_sigma", "stuck_on_rate": "stuck_on_rate",
                 "stuck_off_rate": "stuck_off_rate", "wire_res_ohm": "wire_res_ohm"}
#: ADC range calibration from a calibration batch (``adc_calibration``)
ADC_CALIBRATIONS = ("none", "max", "percentile")
_SIGMAS = ("prog_noise_sigma", "read_noise_sigma", "drift_nu_sigma")
_RATES = ("stuck_on_rate", "stuck_off_rate")
_BITS = ("weight_bits", "input_bits", "adc_bits")
_FLAGS = ("ideal", "bipolar_dac", "subtract_in_analog")


@dataclass(frozen=True)
class CrossbarParams:
    """Analog IMC crossbars: technology, array geometry, precision, non-idealities and mapping.

    The one description used by the functional model, the cost model and ``HardwareConfig.crossbar``.
    ``None`` bits = ideal (numerics only; costs charge :data:`COST_BITS`). Values are checked on
    construction: a bad one raises :class:`CrossbarError` naming the field.
    """

    #: names a file in ``data/tech`` (used by the simulator; the model itself takes a loaded table)
    technology: str = "reram_1t1r"
    #: word lines (inputs) per crossbar
    rows: int = 128
    #: bit lines (outputs x slices x 2 polarities) per crossbar
    cols: int = 128
    #: bits stored per cell (a weight spans ceil((weight_bits - 1) / cell_bits) slices)
    cell_bits: int = 2
    #: weight quantization bits incl. sign
    weight_bits: int | None = 8
    #: activation bits fed bit-serially (sign cycle added for signed inputs)
    input_bits: int | None = 8
    #: input magnitude bits applied per cycle
    dac_bits: int = 1
    #: ADC resolution (bits); None: ideal conversion
    adc_bits: int | None = 8
    #: ADC inputs (columns, or column pairs with analog subtraction) sharing one ADC; 0: the technology's
    #: ``adcs_per_xbar`` ADCs per crossbar
    cols_per_adc: int = 0
    #: ADC full scale as a fraction of the largest possible column current (<1: finer LSB, clipping)
    adc_range: float = 1.0
    #: programming noise sigma, relative to the conductance range
    prog_noise_sigma: float = 0.0
    #: conductance range (µS); the simulator takes it from the technology table (:meth:`with_tech`)
    g_min_us: float = 2.0
    g_max_us: float = 20.0
    #: crossbars running at once
    parallel_tiles: int = 64
    #: seed of the programming noise (each simulated layer derives its own from it and its name)
    seed: int = 0
    #: ideal numerics: no quantization, no noise (costs still charge the configured bits)
    ideal: bool = False
    #: read voltages of either sign: signed inputs as sign x (dac_bits-1)-bit magnitude chunks, no sign cycle
    bipolar_dac: bool = False
    #: subtract the differential pair's currents before the ADC (one conversion per output and slice)
    subtract_in_analog: bool = False
    #: grouped/depthwise conv mapping, one of :data:`GROUP_MAPPINGS` (block-diagonal packed or dense)
    group_mapping: str = "packed"
    #: DeBut factor mapping, one of :data:`DEBUT_MAPPINGS`; see sim/executors/debut.py
    debut_mapping: str = "diagonal"
    # -- non-idealities (docs/nonideal.md); all zero = today's model, bit for bit
    #: one of :data:`NONIDEAL_MODES`
    nonideal: str = "off"
    #: read noise sigma per cell and MVM, relative to the conductance range
    read_noise_sigma: float = 0.0
    #: time since programming (s); drift G(t) = G0 (t / drift_t0_s)^-nu for t > drift_t0_s (0 = no drift)
    drift_time_s: float = 0.0
    drift_t0_s: float = 1.0
    #: drift exponent: mean and spread (sigma) over cells
    drift_nu: float = 0.0
    drift_nu_sigma: float = 0.0
    #: fractions of cells stuck at G_max (on) / G_min (off)
    stuck_on_rate: float = 0.0
    stuck_off_rate: float = 0.0
    #: wire resistance per cell segment (ohm) of word and bit lines: first-order IR drop
    wire_res_ohm: float = 0.0
    #: rows activated per ADC conversion (partial word-line activation); 0 = all rows of a tile
    rows_per_adc: int = 0
    #: per-layer ADC range from a calibration batch, one of :data:`ADC_CALIBRATIONS`
    adc_calibration: str = "none"
    #: percentile (of |column current|) that sets the calibrated full scale (``adc_calibration="percentile"``)
    adc_percentile: float = 99.99

    def __post_init__(self) -> None:
        def bad(key: str, expected: str) -> CrossbarError:
            return CrossbarError(f"crossbar parameter {key}={getattr(self, key)!r}; expected {expected}")

        if not isinstance(self.technology, str) or not self.technology:
            raise bad("technology", "the name of a file in data/tech")
        for key in _POSITIVE_INTS:
            if not _is_int(getattr(self, key)) or getattr(self, key) < 1:
                raise bad(key, "an integer >= 1")
        for key in _BITS:
            v = getattr(self, key)
            if v is not None and not (_is_int(v) and 2 <= v <= 24):
                raise bad(key, "None (ideal) or an integer 2..24")
        for key in _COUNTS:
            if not _is_int(getattr(self, key)) or getattr(self, key) < 0:
                raise bad(key, "an integer >= 0")
        for key in _FLAGS:
            if not isinstance(getattr(self, key), bool):
                raise bad(key, "true or false")
        for key in ("adc_range", "adc_percentile", "drift_time_s", "drift_t0_s", "drift_nu", "wire_res_ohm",
                    *_SIGMAS, *_RATES, *TECHNOLOGY_FIELDS):
            if not isinstance(getattr(self, key), Real) or isinstance(getattr(self, key), bool):
                raise bad(key, "a number")
        for key in _SIGMAS:
            if getattr(self, key) < 0:
                raise bad(key, "a standard deviation >= 0")
        for key in _RATES:
            if not 0 <= getattr(self, key) <= 1:
                raise bad(key, "a rate in [0, 1]")
        if self.stuck_on_rate + self.stuck_off_rate > 1:
            raise bad("stuck_on_rate", "stuck_on_rate + stuck_off_rate <= 1")
        if self.drift_time_s < 0:
            raise bad("drift_time_s", "a time since programming >= 0 (s)")
        if self.drift_t0_s <= 0:
            raise bad("drift_t0_s", "a reference time > 0 (s)")
        if self.drift_nu < 0:
            raise bad("drift_nu", "a drift exponent >= 0")
        if self.wire_res_ohm < 0:
            raise bad("wire_res_ohm", "a resistance >= 0 (ohm)")
        if not 0 < self.adc_percentile <= 100:
            raise bad("adc_percentile", "a percentile in (0, 100]")
        if self.nonideal not in NONIDEAL_MODES:
            raise bad("nonideal", f"one of {NONIDEAL_MODES}")
        if self.adc_calibration not in ADC_CALIBRATIONS:
            raise bad("adc_calibration", f"one of {ADC_CALIBRATIONS}")
        if not 0 < self.adc_range <= 1.0:
            raise bad("adc_range", "a fraction in (0, 1]")
        if self.bipolar_dac and self.dac_bits < 2:
            raise CrossbarError(f"crossbar: bipolar_dac needs dac_bits >= 2 (sign + magnitude), got {self.dac_bits}")
        if not 0 <= self.g_min_us < self.g_max_us:
            raise CrossbarError(f"crossbar: expected 0 <= g_min_us < g_max_us, got {self.g_min_us}, {self.g_max_us}")
        if self.group_mapping not in GROUP_MAPPINGS:
            raise bad("group_mapping", f"one of {GROUP_MAPPINGS}")
        if self.debut_mapping not in DEBUT_MAPPINGS:
            raise bad("debut_mapping", f"one of {DEBUT_MAPPINGS}")

    # numerics (None = ideal); the cost model uses the configured bits
    @property
    def nwb(self) -> int | None:
        return None if self.ideal else self.weight_bits

    @property
    def nib(self) -> int | None:
        return None if self.ideal else self.input_bits

    @property
    def nab(self) -> int | None:
        return None if self.ideal else self.adc_bits

    @property
    def noise(self) -> float:
        return 0.0 if self.ideal else float(self.prog_noise_sigma)

    @property
    def read_noise(self) -> float:
        return 0.0 if self.ideal else float(self.read_noise_sigma)

    @property
    def drift_factor_on(self) -> bool:
        """Drift changes conductances (time past t0 and a non-zero exponent or spread)."""
        return not self.ideal and self.drift_time_s > self.drift_t0_s and bool(self.drift_nu or self.drift_nu_sigma)

    @property
    def perturbed(self) -> bool:
        """Programmed conductances differ from their ideal levels (noise, stuck cells, drift, IR drop)."""
        return not self.ideal and bool(self.noise or self.stuck_on_rate or self.stuck_off_rate or self.wire_res_ohm
                                       or self.drift_factor_on)

    @property
    def levels(self) -> int:
        return 2**self.cell_bits

    @property
    def n_slices(self) -> int:
        """Cells per weight polarity (bit-slices); 1 for float weights."""
        if self.nwb is None:
            return 1
        return max(1, math.ceil((self.nwb - 1) / self.cell_bits))

    @property
    def cost_slices(self) -> int:
        wb = self.weight_bits or COST_BITS
        return max(1, math.ceil((wb - 1) / self.cell_bits))

    @property
    def outs_per_tile(self) -> int:
        return self.cols // (2 * self.cost_slices)

    @property
    def g0(self) -> float:
        return (self.levels - 1) * self.g_min_us / (self.g_max_us - self.g_min_us)

    @property
    def chunk_bits(self) -> int:
        """Input magnitude bits applied per cycle (a bipolar DAC spends one bit on the sign)."""
        return self.dac_bits - 1 if self.bipolar_dac else self.dac_bits

    @property
    def adc_cols_per_slice(self) -> int:
        """ADC conversions per output, slice and cycle: 1 with analog subtraction, else 2 polarities."""
        return 1 if self.subtract_in_analog else 2

    def adc_inputs(self) -> int:
        """ADC inputs of a full crossbar: its columns, or column pairs with analog subtraction."""
        return self.cols * self.adc_cols_per_slice // 2

    def adcs_per_xbar(self, tech: Any) -> int:
        """ADCs per crossbar: ceil(ADC inputs / ``cols_per_adc``), or the technology's ``adcs_per_xbar``."""
        if self.cols_per_adc:
            return math.ceil(self.adc_inputs() / self.cols_per_adc)
        return max(1, int(tech.get("adcs_per_xbar")))

    def cycles(self, signed: bool = True) -> int:
        """Input cycles per vector (used by the cost model; configured bits)."""
        b = self.input_bits or COST_BITS
        mag = b - 1 if signed else b
        return math.ceil(mag / self.chunk_bits) + (1 if signed and not self.bipolar_dac else 0)

    def with_tech(self, tech: Any) -> "CrossbarParams":
        """These parameters with G_min/G_max from a technology table (checks its ``cell_bits_max``)."""
        p = replace(self, **{key: float(tech.get(key)) for key in TECHNOLOGY_FIELDS})
        if p.nonideal == "tech":
            try:
                p = replace(p, **{f: getattr(p, f) or float(tech.get(k)) for f, k in NONIDEAL_TECH.items()})
            except ValueError as exc:
                raise CrossbarError(f"crossbar nonideal='tech': {exc}") from None
        cmax = int(tech.get("cell_bits_max")) if "cell_bits_max" in getattr(tech, "params", {}) else 99
        if p.cell_bits > cmax:
            raise CrossbarError(f"{getattr(tech, 'path', tech)}: cell_bits={p.cell_bits} exceeds the technology's "
                                f"cell_bits_max={cmax}")
        return p


def _is_int(v: Any) -> bool:
    return isinstance(v, Integral) and not isinstance(v, bool)


@dataclass
class TileSpec:
    """One physical crossbar: logical input indices on its rows, logical outputs on its columns."""

    in_idx: np.ndarray
    out_idx: np.ndarray
    useful_cells: int = -1  # structural weights on it (x slices x 2 counted by utilization); -1 = all

    @property
    def shape(self) -> tuple[int, int]:
        return int(len(self.in_idx)), int(len(self.out_idx))


@dataclass
class TilePlan:
    """A logical matrix [n_out, n_in] placed on crossbar tiles (any mapping strategy)."""

    n_in: int
    n_out: int
    tiles: list[TileSpec]
    strategy: str = "dense"
    info: dict[str, Any] = field(default_factory=dict)

    def check(self, p: CrossbarParams) -> None:
        for t in self.tiles:
            r, o = t.shape
            if r > p.rows or o * 2 * p.cost_slices > p.cols:
                raise CrossbarError(f"tile with {r} rows x {o} outputs does not fit a {p.rows}x{p.cols} crossbar "
                                    f"({2 * p.cost_slices} columns per output)")

    def utilization(self, p: CrossbarParams) -> float:
        """Cells holding structural weights / cells of all allocated crossbars."""
        used = sum((t.useful_cells if t.useful_cells >= 0 else t.shape[0] * t.shape[1]) for t in self.tiles)
        return used * 2 * p.cost_slices / max(1, len(self.tiles) * p.rows * p.cols)


def plan_dense(n_out: int, n_in: int, p: CrossbarParams, in_idx: np.ndarray | None = None,
               out_idx: np.ndarray | None = None) -> list[TileSpec]:
    """Tile a dense [n_out, n_in] matrix: row bands of ``rows`` inputs x column bands of outputs."""
    in_idx = np.arange(n_in, dtype=np.int64) if in_idx is None else np.asarray(in_idx, np.int64)
    out_idx = np.arange(n_out, dtype=np.int64) if out_idx is None else np.asarray(out_idx, np.int64)
    opt = p.outs_per_tile
    if opt < 1:
        raise CrossbarError(f"a {p.cols}-column crossbar cannot hold one output ({2 * p.cost_slices} columns needed)")
    return [TileSpec(in_idx[r:r + p.rows].copy(), out_idx[o:o + opt].copy())
            for r in range(0, len(in_idx), p.rows) for o in range(0, len(out_idx), opt)]
