"""CAM non-idealities: programmed-level variation, stuck cells, match-line sensing noise and resolution.

Model (docs/nonideal.md), per PECAN subspace j, prototype k, dimension i and cell c of the multi-level
thermometer code (:func:`codesign.cam.cam_array.array.encode_levels`):

* programming: the stored level of every cell is ``level + N(0, level_sigma)`` (in level spacings; a
  FeFET's threshold-voltage spread divided by the spacing of its levels), drawn once per array;
* stuck cells: a fraction ``stuck_rate`` of the cells hold level 0 or the top level (half each) whatever
  was written;
* the match line turns the row's mismatch sum_c |query level - stored level| into a discharge time; the
  sensed distance gets ``N(0, sense_sigma)`` (one-level mismatches) per row and search, and is resolved in
  steps of ``full_scale / (2^sense_bits - 1)`` (``sense_bits`` 0: exact). The winner is the row with the
  smallest sensed distance, ties to the lowest row (priority encoder), so near-ties can pick a wrong one.

Programming deviations are folded into a distance table ``T[j, i, v, k]`` (mismatch of query value v
against the stored cells of prototype k): the search kernel then costs what the ideal one does.
Sensing noise comes from a seeded pool of standard normals read at a hashed offset per (vector, subspace),
so a vector's result does not depend on the batch it ran in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from numbers import Integral, Real
from typing import Any

import numpy as np

from codesign.errors import CodesignError

#: field -> technology parameter that supplies it (``CamNonideal.from_tech``)
TECH_PARAMS = {"level_sigma": "prog_level_sigma", "stuck_rate": "stuck_cell_rate",
               "sense_sigma": "sense_noise_sigma", "sense_bits": "sense_bits"}
#: standard normals in the sensing-noise pool of one layer
POOL_SIZE = 1 << 16


class CamNonidealError(CodesignError, ValueError):
    """A CAM non-ideality parameter is out of range; the message names it."""


@dataclass(frozen=True)
class CamNonideal:
    """Non-ideality settings of the CAM arrays of one design (all zero = ideal, exact search)."""

    #: sigma of a programmed cell level (level spacings)
    level_sigma: float = 0.0
    #: fraction of cells stuck at level 0 or at the top level (half each), in [0, 1]
    stuck_rate: float = 0.0
    #: sigma of a sensed match-line distance per row and search (one-level mismatches)
    sense_sigma: float = 0.0
    #: resolution (bits) of the distance-to-time conversion over a row's full scale; 0 = exact
    sense_bits: int = 0
    #: seed of the device instance (each layer derives its own from it and its name)
    seed: int = 0

    def __post_init__(self) -> None:
        check_values({f.name: getattr(self, f.name) for f in fields(self)}, "cam")

    @property
    def active(self) -> bool:
        return bool(self.level_sigma or self.stuck_rate or self.sense_sigma or self.sense_bits)

    @classmethod
    def from_tech(cls, tech: Any, seed: int = 0, **explicit: float) -> "CamNonideal":
        """Technology defaults for every field not given as a non-zero ``explicit`` value."""
        vals = {}
        for name, key in TECH_PARAMS.items():
            given = explicit.get(name, 0)
            vals[name] = given if given else tech.get(key)
        vals["sense_bits"] = int(vals["sense_bits"])
        return cls(**vals, seed=seed)

    def with_seed(self, seed: int) -> "CamNonideal":
        return replace(self, seed=int(seed))


def check_values(values: dict[str, Any], prefix: str) -> None:
    """Raise :class:`CamNonidealError` naming the first field out of range (``prefix.field``)."""
    for key, v in values.items():
        if key.endswith("seed") or key == "sense_bits":
            if not isinstance(v, Integral) or isinstance(v, bool) or v < 0 or (key == "sense_bits" and v > 24):
                raise CamNonidealError(f"{prefix}.{key}={v!r}; expected an integer >= 0"
                                       + (" and <= 24 (0 = exact sensing)" if key == "sense_bits" else ""))
            continue
        if not isinstance(v, Real) or isinstance(v, bool) or not math.isfinite(v):
            raise CamNonidealError(f"{prefix}.{key}={v!r}; expected a finite number")
        if key.endswith("rate") and not 0 <= v <= 1:
            raise CamNonidealError(f"{prefix}.{key}={v!r}; expected a rate in [0, 1]")
        if v < 0:
            raise CamNonidealError(f"{prefix}.{key}={v!r}; expected a standard deviation >= 0")


def program_cells(protos: np.ndarray, value_bits: int, bits_per_cell: int, ni: CamNonideal,
                  rng: np.random.Generator) -> np.ndarray:
    """Stored cell levels float64[D, K, d, cells] of prototypes int[D, K, d] after programming."""
    from codesign.cam.cam_array.array import cells_per_value

    cpv = cells_per_value(value_bits, bits_per_cell)
    cap = 2**bits_per_cell - 1 if cpv > 1 else 2**value_bits - 1
    seg = np.arange(cpv, dtype=np.int64) * cap
    lv = np.clip(np.asarray(protos, np.int64)[..., None] - seg, 0, cap).astype(np.float64)
    if ni.level_sigma > 0:
        lv = lv + rng.normal(0.0, ni.level_sigma, size=lv.shape)
    if ni.stuck_rate > 0:
        stuck = rng.random(lv.shape) < ni.stuck_rate
        high = rng.random(lv.shape) < 0.5
        lv = np.where(stuck, np.where(high, float(2**bits_per_cell - 1), 0.0), lv)
    return lv


def distance_table(cells: np.ndarray, value_bits: int, bits_per_cell: int) -> np.ndarray:
    """T float32[D, d, V, K]: match-line mismatch of query value v (0..V-1) against stored cells [D, K, d, c]."""
    from codesign.cam.cam_array.nonideal_kernels import fill_distance_table

    cpv = cells.shape[-1]
    cap = 2**bits_per_cell - 1 if cpv > 1 else 2**value_bits - 1
    D, K, d, _ = cells.shape
    t = np.empty((D, d, 2**value_bits, K), dtype=np.float32)
    fill_distance_table(np.ascontiguousarray(cells, dtype=np.float64), float(cap), t)
    return t


def sense_lsb(ni: CamNonideal, cols_used: int, bits_per_cell: int) -> float:
    """Distance step the match-line sensing resolves: a row's full scale / (2^sense_bits - 1); 0 = exact."""
    if not ni.sense_bits:
        return 0.0
    return cols_used * (2**bits_per_cell - 1) / (2**ni.sense_bits - 1)


def noise_pool(rng: np.random.Generator) -> np.ndarray:
    """Standard normals float32[POOL_SIZE] of one layer's sensing noise."""
    return rng.standard_normal(POOL_SIZE).astype(np.float32)
