"""Mapping PECAN layers onto CAM arrays and LUT SRAM banks (pure arithmetic, no data).

Each subspace j stores its K prototypes as K CAM rows of d·cpv cells (cpv = cells per activation
value, see :func:`codesign.cam.cam_array.array.cells_per_value`). Prototypes beyond ``rows`` spill into more
arrays (row tiles, merged by comparators); subvectors wider than ``cols`` are cut into column tiles
whose partial distances are added per row. One array holds one (subspace, row tile, column tile):
arrays = D · row_tiles · col_tiles, all resident (weight-stationary).

A distance that leaves an array as a number (every row's partial distance when there are column
tiles; each array's winning distance when there are row tiles) is converted by the array's
readout converter at :func:`readout_bits` resolution (one converter per array, our assumption).
With ``column_merge="matchline"`` the column tiles of a row share one joined match line instead: no
partial distance is converted, the row is sensed once (our assumption: the sense amplifier resolves
the full width).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, asdict
from typing import Any

from codesign.cam.cam_array.array import cells_per_value


@dataclass
class CamMapping:
    num_subspaces: int
    num_prototypes: int
    subvector_dim: int
    out_features: int
    positions: int           # im2col vectors per inference (output pixels; 1 for linear)
    value_bits: int          # activation bits
    bits_per_cell: int
    cells_per_value: int
    rows: int
    cols: int
    row_tiles: int
    col_tiles: int
    arrays: int
    parallel_arrays: int
    search_rounds: int       # per position: ceil(arrays / concurrently searchable arrays)
    utilization: float       # useful cells / mapped cells
    lut_bits: int
    lut_words_per_entry: int  # 64-bit SRAM words per LUT row (out · lut_bits bits)
    lut_bits_total: int
    readouts_per_search: int  # distances converted per position (all arrays): 0 without tiling
    readout_bits: int         # resolution that reads a partial distance exactly (0: no readout)
    column_merge: str         # "readout" or "matchline" (CamConfig.column_merge)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def positions_of(out_shape: tuple[int, ...]) -> int:
    """im2col vectors per inference: H·W of a conv output, 1 for a vector output."""
    return int(out_shape[1] * out_shape[2]) if len(out_shape) == 3 else 1


def readout_bits(cols_used: int, bits_per_cell: int) -> int:
    """Bits to read an array's row distance exactly: up to cols_used·(2^c − 1) level mismatches."""
    return max(1, math.ceil(math.log2(cols_used * (2**bits_per_cell - 1) + 1)))


def map_pecan(attrs: dict[str, Any], out_shape: tuple[int, ...], cam_cfg: Any, bits_per_cell: int,
              word_bits: int = 64) -> CamMapping:
    """Map one PECAN layer (attrs per docs/format.md) onto arrays of ``cam_cfg.rows x cam_cfg.cols``."""
    D = int(attrs["num_subspaces"])
    K = int(attrs["num_prototypes"])
    d = int(attrs["subvector_dim"])
    out = int(out_shape[0])
    b = int(attrs["act_bits"])
    rows, cols = int(cam_cfg.rows), int(cam_cfg.cols)
    cpv = cells_per_value(b, bits_per_cell)
    width = d * cpv
    rt = math.ceil(K / rows)
    ct = math.ceil(width / cols)
    arrays = D * rt * ct
    par = max(1, min(int(cam_cfg.parallel_arrays), arrays))
    lut_bits = int(attrs["lut_bits"])
    words = math.ceil(out * lut_bits / word_bits)
    merge = getattr(cam_cfg, "column_merge", "readout")
    joined = merge == "matchline"
    if ct > 1 and not joined:  # every row's partial distance of every column tile
        readouts, read_cols = D * K * ct, min(cols, width)
    elif rt > 1:  # each row tile's winning distance (over the whole row), compared across row tiles
        readouts, read_cols = D * rt, (width if joined else min(cols, width))
    else:
        readouts, read_cols = 0, 0
    return CamMapping(
        num_subspaces=D, num_prototypes=K, subvector_dim=d, out_features=out,
        positions=positions_of(out_shape), value_bits=b, bits_per_cell=bits_per_cell, cells_per_value=cpv,
        rows=rows, cols=cols, row_tiles=rt, col_tiles=ct, arrays=arrays, parallel_arrays=par,
        search_rounds=math.ceil(arrays / par),
        utilization=(D * K * width) / (arrays * rows * cols),
        lut_bits=lut_bits, lut_words_per_entry=words, lut_bits_total=D * K * out * lut_bits,
        readouts_per_search=readouts, readout_bits=readout_bits(read_cols, bits_per_cell) if readouts else 0,
        column_merge=merge,
    )
