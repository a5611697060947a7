"""CAM array models: geometry, encoding, match-line/sense behaviour and per-action costs.

An array has ``rows`` stored words of ``cols`` cells, each cell holding ``bits_per_cell`` bits
(TCAM: 1 ternary bit; MCAM: multi-level). A search drives the query on the search lines; every
match line discharges at a rate proportional to its mismatch (Hamming for TCAM, L1 over levels for
MCAM), and the sense amplifier / winner-take-all circuit reports the row that discharges slowest
(the nearest one; ties resolved to the lowest row by the priority encoder).

Multi-bit values on cells with fewer levels use a multi-level thermometer code: a b-bit value
occupies ceil((2^b-1)/(2^c-1)) cells of c bits, and the L1 distance of two values equals the sum
of their per-cell L1 distances (for c = 1 this is the classic thermometer code on a TCAM).

Cost scaling from a technology's reference array (ref_rows x ref_cols), ours:
match-line energy ∝ rows·cols, sense/periphery energy ∝ rows; search latency and interconnect
energy/latency linear in cols through the reference and 2× reference width points (interconnect
constant where a file gives no 2× point). Values are at the technology's node (``cam.scaling``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from codesign.cam.cam_array.kernels import hamming_nearest, l1_nearest
from codesign.cam.technology import Technology, TechnologyError


def cells_per_value(value_bits: int, bits_per_cell: int) -> int:
    """Cells a ``value_bits``-bit unsigned value needs so that L1 distance is preserved."""
    if bits_per_cell >= value_bits:
        return 1
    return math.ceil((2**value_bits - 1) / (2**bits_per_cell - 1))


def encode_levels(values: np.ndarray, value_bits: int, bits_per_cell: int) -> np.ndarray:
    """Multi-level thermometer code: int[..., n] in [0, 2^b) -> int32[..., n*cells] cell levels."""
    cpv = cells_per_value(value_bits, bits_per_cell)
    v = np.asarray(values, dtype=np.int64)
    if cpv == 1:
        return v.astype(np.int32)
    cap = 2**bits_per_cell - 1
    seg = np.arange(cpv, dtype=np.int64) * cap
    lv = np.clip(v[..., None] - seg, 0, cap)
    return lv.reshape(*v.shape[:-1], v.shape[-1] * cpv).astype(np.int32)


@dataclass
class CamArray:
    """One CAM array of ``rows`` x ``cols`` cells built in technology ``tech`` (kind 'cam')."""

    tech: Technology
    rows: int = 64
    cols: int = 64
    mode: str = "mcam"  # "tcam" (Hamming / exact match) or "mcam" (L1)

    def __post_init__(self) -> None:
        if self.tech.kind != "cam":
            raise TechnologyError(f"{self.tech.path or self.tech.name}: kind {self.tech.kind!r}; expected 'cam'")
        if self.rows < 1 or self.cols < 1:
            raise ValueError(f"CAM array needs rows, cols >= 1, got {self.rows}x{self.cols}")
        if self.mode not in ("tcam", "mcam"):
            raise ValueError(f"CAM mode {self.mode!r}; expected 'tcam' or 'mcam'")

    @property
    def bits_per_cell(self) -> int:
        return int(self.tech.get("bits_per_cell"))

    @property
    def _size_ratio(self) -> float:
        return (self.rows * self.cols) / (self.tech.get("ref_rows") * self.tech.get("ref_cols"))

    # -- per-action costs ------------------------------------------------------------------
    def matchline_energy_pj(self) -> float:
        """Search-line drive + match-line charge/discharge of one search (∝ rows·cols)."""
        return self.tech.get("search_energy_pj") * self._size_ratio

    def sense_energy_pj(self) -> float:
        """Sense amplifiers + winner-take-all/priority encoder of one search (∝ rows)."""
        return self.tech.get("peripheral_energy_pj") * self.rows / self.tech.get("ref_rows")

    def _in_width(self, key: str, key_2x: str, default_2x: float | None = None) -> float:
        """Parameter at this width: linear in cols through the 1x and 2x reference-width points."""
        t = self.tech
        v1 = t.get(key)
        v2 = t.params[key_2x].value if key_2x in t.params else (v1 if default_2x is None else default_2x)
        ref = t.get("ref_cols")
        return max(v1 + (v2 - v1) * (self.cols - ref) / ref, 0.1 * v1)

    def interconnect_energy_pj(self) -> float:
        return self._in_width("interconnect_energy_pj", "interconnect_energy_2x_pj")

    def interconnect_latency_ns(self) -> float:
        return self._in_width("interconnect_latency_ns", "interconnect_latency_2x_ns")

    def search_energy_pj(self) -> float:
        return self.matchline_energy_pj() + self.sense_energy_pj() + self.interconnect_energy_pj()

    def search_latency_ns(self) -> float:
        """Match-line evaluation (linear in width) + periphery + interconnect."""
        ml = self._in_width("search_latency_ns", "search_latency_2x_ns", 2 * self.tech.get("search_latency_ns"))
        return ml + self.tech.get("peripheral_latency_ns") + self.interconnect_latency_ns()

    def write_row_energy_pj(self) -> float:
        return self.tech.get("write_energy_pj") * self.cols / self.tech.get("ref_cols")

    def area_mm2(self) -> float:
        cells = self.rows * self.cols * self.tech.get("cell_area_um2")
        return cells * (1.0 + self.tech.get("array_periphery_area_frac")) * 1e-6

    # -- functional behaviour -----------------------------------------------------------
    def distances(self, stored: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Mismatch per stored row (what sets each match line's discharge rate)."""
        stored = np.asarray(stored)
        self._check_fit(stored)
        q = np.asarray(query)
        if self.mode == "tcam":
            care = stored != 2
            return np.sum(care & (stored != q[None, :]), axis=1).astype(np.int64)
        return np.abs(stored.astype(np.int64) - q[None, :].astype(np.int64)).sum(axis=1)

    def discharge_time_ns(self, stored: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Time for each match line to fall below the sense threshold: inf on a full match,
        otherwise ∝ 1/distance (more mismatching cells discharge faster)."""
        d = self.distances(stored, query).astype(np.float64)
        with np.errstate(divide="ignore"):
            return np.where(d > 0, self.search_latency_ns() / d, np.inf)

    def search(self, stored: np.ndarray, query: np.ndarray) -> tuple[int, int]:
        """Winner row (slowest discharge = nearest; ties -> lowest row) and its distance."""
        stored = np.ascontiguousarray(stored)
        self._check_fit(stored)
        q = np.ascontiguousarray(np.asarray(query)[None, :])
        if self.mode == "tcam":
            w, d = hamming_nearest(q.astype(np.uint8), stored.astype(np.uint8), self.rows, self.cols)
        else:
            w, d = l1_nearest(q.astype(np.int32), stored.astype(np.int32), self.rows, self.cols)
        return int(w[0]), int(d[0])

    def _check_fit(self, stored: np.ndarray) -> None:
        if stored.ndim != 2 or stored.shape[0] > self.rows or stored.shape[1] > self.cols:
            raise ValueError(f"stored words {stored.shape} do not fit a {self.rows}x{self.cols} array")
        hi = 2 if self.mode == "tcam" else 2**self.bits_per_cell - 1
        if stored.size and (stored.min() < 0 or stored.max() > hi):
            raise ValueError(f"stored cell values must lie in [0, {hi}] for {self.mode} cells")
