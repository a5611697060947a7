"""A lookup table of stored words spread over CAM arrays: nearest-match search with event counting.

``CamTable(stored, ...)`` tiles K stored words of d values over arrays of ``rows`` × ``cols``
cells: ceil(K / rows) row tiles × ceil(d · cells_per_value / cols) column tiles. One query
searches every array; with one column tile each array's sense amplifier / winner-take-all
reports its best row and a comparator tree merges the row tiles; with several column tiles every
row's partial mismatch is read out and added digitally before a comparator picks the winner.
Functional results come from the bit-packed kernels in :mod:`codesign.cam.cam_array.packed` (exact, ties to
the lowest row); energy (pJ), latency (ns) and area (mm²) from the technology tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from codesign.cam.cam_array.array import CamArray, cells_per_value
from codesign.cam.cam_array.packed import binary_bits, pack_bits, packed_nearest, thermometer_bits
from codesign.cam.technology import Technology


@dataclass
class SearchStats:
    """Events and costs of a batch of searches."""

    queries: int = 0
    events: dict[str, float] = field(default_factory=dict)
    energy_pj: dict[str, float] = field(default_factory=dict)
    latency_ns: float = 0.0

    @property
    def total_energy_pj(self) -> float:
        return float(sum(self.energy_pj.values()))


class CamTable:
    """Stored words ``int[K, d]`` with ``value_bits``-bit unsigned values on CAM arrays.

    ``metric``: ``"l1"`` (multi-bit CAM / thermometer-coded TCAM) or ``"hamming"`` (binary
    code on a TCAM). ``tech`` is a CAM technology; ``digital`` (optional) prices the comparator
    tree and partial-distance adders. ``parallel_arrays`` arrays search at the same time.
    """

    def __init__(self, stored: np.ndarray, tech: Technology, *, value_bits: int = 3, metric: str = "l1",
                 rows: int = 64, cols: int = 64, parallel_arrays: int = 16, digital: Technology | None = None):
        stored = np.asarray(stored)
        if stored.ndim != 2 or stored.shape[0] < 1 or stored.shape[1] < 1:
            raise ValueError(f"stored words must be a non-empty 2-D array (K, d), got shape {stored.shape}")
        if metric not in ("l1", "hamming"):
            raise ValueError(f"metric {metric!r}; expected 'l1' or 'hamming'")
        if parallel_arrays < 1:
            raise ValueError("parallel_arrays must be >= 1")
        self.metric, self.value_bits = metric, value_bits
        self.array = CamArray(tech, rows=rows, cols=cols, mode="mcam" if tech.get("bits_per_cell") > 1 else "tcam")
        self.digital = digital
        self.parallel_arrays = parallel_arrays
        self.k, self.d = stored.shape
        bpc = int(tech.get("bits_per_cell"))
        per_value = value_bits if metric == "hamming" else cells_per_value(value_bits, bpc)
        if metric == "hamming" and bpc > 1:
            per_value = math.ceil(value_bits / bpc)
        self.cells_per_word = self.d * per_value
        self.row_tiles = math.ceil(self.k / rows)
        self.col_tiles = math.ceil(self.cells_per_word / cols)
        self._words = pack_bits(self._code(stored))

    def _code(self, values: np.ndarray) -> np.ndarray:
        if self.metric == "l1":
            return thermometer_bits(values, self.value_bits)
        return binary_bits(values, self.value_bits)

    @property
    def arrays(self) -> int:
        return self.row_tiles * self.col_tiles

    @property
    def utilization(self) -> float:
        """Fraction of the arrays' cells that hold stored data."""
        return (self.k * self.cells_per_word) / (self.arrays * self.array.rows * self.array.cols)

    def area_mm2(self) -> float:
        return self.arrays * self.array.area_mm2()

    def search(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray, SearchStats]:
        """Nearest stored word for every query ``int[N, d]``: (winner, distance, stats)."""
        q = np.asarray(queries)
        if q.ndim != 2 or q.shape[1] != self.d:
            raise ValueError(f"queries must have shape (N, {self.d}), got {q.shape}")
        win, dist = packed_nearest(pack_bits(self._code(q)), self._words, self.array.rows)
        return win, dist, self.cost(q.shape[0])

    def cost(self, n_queries: int) -> SearchStats:
        """Events, energy (pJ) and latency (ns) of ``n_queries`` searches (data-independent)."""
        a, n = self.array, n_queries
        st = SearchStats(queries=n)
        st.events["cam.search"] = float(n * self.arrays)
        st.events["cam.matchline_eval"] = float(n * self.arrays * a.rows)
        if self.col_tiles > 1:
            st.events["cam.distance_readout"] = float(n * self.row_tiles * self.col_tiles * a.rows)
            st.events["adder.add"] = float(n * self.row_tiles * (self.col_tiles - 1) * a.rows)
            st.events["comparator.compare"] = float(n * max(self.k - 1, 0))
        else:
            st.events["comparator.compare"] = float(n * (self.row_tiles - 1))
        st.energy_pj["cam"] = st.events["cam.search"] * a.search_energy_pj()
        if self.digital is not None:
            st.energy_pj["comparator"] = st.events["comparator.compare"] * self.digital.get("comparator_energy_pj")
            if "adder.add" in st.events:
                st.energy_pj["adder"] = st.events["adder.add"] * self.digital.get("int32_add_energy_pj")
        waves = math.ceil(self.arrays / self.parallel_arrays)
        merge_levels = math.ceil(math.log2(self.row_tiles)) if self.row_tiles > 1 else 0
        if self.col_tiles > 1:
            merge_levels = math.ceil(math.log2(max(self.k, 2)))
        cmp_ns = 0.0
        if self.digital is not None and "comparator_latency_ns" in self.digital.params:
            cmp_ns = self.digital.get("comparator_latency_ns")
        per_query = waves * a.search_latency_ns() + merge_levels * cmp_ns
        st.latency_ns = n * per_query
        return st
