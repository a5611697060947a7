"""Crossbar parameters, tile specs and tile plans (geometry only; no weights).

Conventions (see docs/crossbar.md): a logical weight matrix W [n_out, n_in] computes y = W x.
Inputs drive crossbar rows (word lines), outputs are read on columns. A :class:`TileSpec` places a
dense sub-block W[out_idx][:, in_idx] on one physical crossbar: its rows are ``in_idx``, its columns
hold, for each output j, ``n_slices`` bit-slices x 2 polarities (positive / negative column of a
differential pair): column ``(j * n_slices + s) * 2 + p``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class CrossbarError(ValueError):
    """Bad crossbar parameters or a mapping that does not fit."""

    user_error = True


@dataclass(frozen=True)
class CrossbarParams:
    """Array geometry, precision and non-idealities. ``None`` bits = ideal (numerics only)."""

    rows: int = 128
    cols: int = 128
    cell_bits: int = 2
    weight_bits: int | None = 8
    input_bits: int | None = 8
    dac_bits: int = 1
    adc_bits: int | None = 8
    adc_range: float = 1.0
    prog_noise_sigma: float = 0.0
    g_min_us: float = 2.0
    g_max_us: float = 20.0
    parallel_tiles: int = 64
    seed: int = 0
    ideal: bool = False
    cost_bits_default: int = 8
    bipolar_dac: bool = False
    subtract_in_analog: bool = False

    def __post_init__(self) -> None:
        for key in ("rows", "cols", "cell_bits", "dac_bits", "parallel_tiles"):
            if int(getattr(self, key)) < 1:
                raise CrossbarError(f"crossbar parameter {key}={getattr(self, key)}; expected >= 1")
        for key in ("weight_bits", "input_bits", "adc_bits"):
            v = getattr(self, key)
            if v is not None and not 2 <= int(v) <= 24:
                raise CrossbarError(f"crossbar parameter {key}={v}; expected None (ideal) or 2..24")
        if self.prog_noise_sigma < 0 or not 0 < self.adc_range <= 1.0:
            raise CrossbarError(f"crossbar: prog_noise_sigma={self.prog_noise_sigma} must be >= 0 and "
                                f"adc_range={self.adc_range} in (0, 1]")
        if self.bipolar_dac and self.dac_bits < 2:
            raise CrossbarError(f"crossbar: bipolar_dac needs dac_bits >= 2 (sign + magnitude), got {self.dac_bits}")
        if not 0 <= self.g_min_us < self.g_max_us:
            raise CrossbarError(f"crossbar: expected 0 <= g_min_us < g_max_us, got {self.g_min_us}, {self.g_max_us}")

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
        wb = self.weight_bits or self.cost_bits_default
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

    def cycles(self, signed: bool = True) -> int:
        """Input cycles per vector (used by the cost model; configured bits)."""
        b = self.input_bits or self.cost_bits_default
        mag = b - 1 if signed else b
        return math.ceil(mag / self.chunk_bits) + (1 if signed and not self.bipolar_dac else 0)

    @classmethod
    def from_tech(cls, tech: Any, **kw: Any) -> "CrossbarParams":
        """Take G_min/G_max from a technology table; the rest from ``kw``."""
        p = cls(g_min_us=float(tech.get("g_min_us")), g_max_us=float(tech.get("g_max_us")), **kw)
        cmax = int(tech.get("cell_bits_max")) if "cell_bits_max" in getattr(tech, "params", {}) else 99
        if p.cell_bits > cmax:
            raise CrossbarError(f"{getattr(tech, 'path', tech)}: cell_bits={p.cell_bits} exceeds the technology's "
                                f"cell_bits_max={cmax}")
        return p


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
