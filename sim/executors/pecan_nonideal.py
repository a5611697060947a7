"""PECAN-D on non-ideal CAM arrays (model: :mod:`codesign.cam.cam_array.nonideal`).

One :class:`NoisyCamLayer` per executor holds the layer's programmed device instance (distance table,
sensing-noise pool, seeded by ``cam.noise_seed`` + crc32(layer name)) and counts searches and wrong
winners. Vectors are numbered across the batches of one run, so results do not depend on the batch size.
With column tiles read out separately, each tile's sensing adds its own noise (sigma x sqrt(tiles)) and the
sum is resolved in the tiles' steps (first-order model, docs/nonideal.md).
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np

from codesign.cam.cam_array.nonideal import CamNonideal, distance_table, noise_pool, program_cells, sense_lsb
from codesign.cam.cam_array.nonideal_kernels import tracked
from codesign.sim.executors.pecan_nonideal_kernels import noisy_conv, noisy_vectors
from codesign.sim.layer_schema import _pair, pecan_act_range


#: programmed devices kept per layer (different settings, e.g. during a sweep)
MAX_DEVICES = 4


class NoisyCamLayer:
    """A PECAN layer's prototypes programmed into non-ideal CAM cells."""

    def __init__(self, ex: Any, ni: CamNonideal):
        a = ex.layer.attrs
        m = ex.mapping()
        lo, _ = pecan_act_range(a)
        self.offset = -int(lo)  # the arrays store unsigned values: code - lo
        bits, bpc = int(a["act_bits"]), int(m.bits_per_cell)
        # the programmed device is deterministic (seed, layer, settings): kept on the layer across runs
        devices = ex.layer.__dict__.setdefault("_cam_devices", {})
        key = (ni, bits, bpc)
        if key not in devices:
            if len(devices) >= MAX_DEVICES:
                devices.pop(next(iter(devices)))
            protos = np.asarray(ex.layer.arrays["prototypes"], np.int64) + self.offset
            rng = np.random.default_rng((int(ni.seed) + zlib.crc32(ex.layer.name.encode())) % 2**32)
            devices[key] = (distance_table(program_cells(protos, bits, bpc, ni, rng), bits, bpc),
                            np.ascontiguousarray(protos.transpose(0, 2, 1).astype(np.float32)), noise_pool(rng),
                            int(rng.integers(0, 2**62)))
        self.table, self.pt, self.pool, self.seed = devices[key]
        self.lut = np.ascontiguousarray(ex.layer.arrays["lut"], dtype=np.int32)
        tiles = m.col_tiles if m.column_merge == "readout" else 1
        width = m.subvector_dim * m.cells_per_value
        cols_used = min(m.cols, width) if tiles > 1 else width
        self.sigma = ni.sense_sigma * math.sqrt(tiles)
        lsb = sense_lsb(ni, cols_used, bpc)
        self.inv_lsb = 1.0 / lsb if lsb > 0 else 0.0
        self.top = float(tiles * (2**ni.sense_bits - 1)) if ni.sense_bits else 0.0
        self.rows_seen = 0
        self.searches = 0
        self.wrong = 0

    def forward(self, ex: Any, x: np.ndarray) -> np.ndarray:
        ex._check_mode()
        a = ex.layer.attrs
        q = np.ascontiguousarray(ex._quantize(x), dtype=np.int32)
        args = (self.seed, self.table, self.pt, self.pool, self.sigma, self.inv_lsb, self.top, self.lut)
        n = x.shape[0]
        if ex.layer.type == "pecan_conv2d":
            oh, ow = ex.out_shape[1:]
            geo = np.array([*_pair(a["kernel_size"]), *_pair(a["stride"]), *_pair(a["padding"]), oh, ow], np.int64)
            acc, wrong = noisy_conv(q, self.offset, geo, self.rows_seen, *args)
            y = ex._scale_out(acc, (1, -1, 1)).reshape(n, *ex.out_shape)
            positions = oh * ow
        else:
            acc, wrong = noisy_vectors(q + self.offset, self.rows_seen, *args)
            y = ex._scale_out(acc, (-1,))
            positions = 1
        first = self.rows_seen * positions
        self.rows_seen += n
        self.searches += tracked(first, self.rows_seen * positions) * self.table.shape[0]
        self.wrong += int(wrong.sum())
        return y

    def stats(self) -> dict[str, float]:
        """Searches counted so far (every TRACK_EVERY-th vector x subspaces) and the fraction of them whose
        winner was not a nearest prototype."""
        return {"searches": float(self.searches), "wrong_winners": float(self.wrong),
                "wrong_winner_rate": self.wrong / self.searches if self.searches else 0.0}
