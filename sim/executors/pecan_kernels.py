"""PECAN kernels for functional simulation: patch gather + nearest-prototype search + LUT sum.

The fused path (:class:`PecanTables`) gives the same winners as :func:`pecan_l1_search` /
:func:`pecan_dot_search` followed by :func:`lut_accumulate` (the reference kernels at the end of this
module), in one pass per sample:

* tiling never changes an exact integer nearest match (partial distances add up to the full one and
  tiles merge in row order with strict comparisons), so all K prototypes of a subspace are scanned at
  once, vectorized over k with prototypes stored transposed ``[D, d, K]``; ties go to the lowest k;
* distances and dot products accumulate in float32 (8 lanes per AVX2 op), exact while every partial
  sum stays below 2^24 (:meth:`PecanTables.exact`; the caller checks); angle scores are then
  ``float64(dot) / norm`` in float64, bit-identical to the reference; a zero prototype has dot 0 and
  norm replaced by 1 (score 0, as docs/format.md specifies);
* conv layers gather each output position's im2col vector (order ci, kh, kw; zero padding = code 0)
  straight from the quantized input, and write ``acc[n, out, position]`` (NCHW order).

Samples run in parallel (``prange``) when the work is large enough; small batches run serially.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from codesign.cam.cam_array.kernels import l1_nearest_one

#: below this many element operations a parallel region costs more than it saves
PARALLEL_MIN_OPS = 1 << 20


@njit(cache=True)
def _search(q, pt, norm1, lut, angle, accrow, acc32, sc):
    """accrow[:] += sum_j lut[j, winner_j(q), :] for one vector q float32[D*d] of integer codes."""
    D, d, K = pt.shape
    out = lut.shape[2]
    for j in range(D):
        base = j * d
        best = 0
        acc32[:] = 0.0
        if angle:
            for i in range(d):
                qv = q[base + i]
                for k in range(K):
                    acc32[k] += qv * pt[j, i, k]
            for k in range(K):
                sc[k] = np.float64(acc32[k]) / norm1[j, k]
            bs = -np.inf
            for k in range(K):
                if sc[k] > bs:
                    bs = sc[k]
                    best = k
        else:
            for i in range(d):
                qv = q[base + i]
                for k in range(K):
                    acc32[k] += abs(qv - pt[j, i, k])
            bd = acc32[0]
            for k in range(1, K):
                if acc32[k] < bd:
                    bd = acc32[k]
                    best = k
        for o in range(out):
            accrow[o] += lut[j, best, o]


@njit(cache=True)
def _vec_one(n, Q, pt, norm1, lut, angle, acc):
    K = pt.shape[2]
    q = Q[n].astype(np.float32)
    _search(q, pt, norm1, lut, angle, acc[n], np.empty(K, np.float32), np.empty(K, np.float64))


@njit(cache=True)
def _conv_one(n, x, geo, pt, norm1, lut, angle, acc):
    kh, kw, sh, sw, ph, pw, oh, ow = geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6], geo[7]
    C, H, W = x.shape[1], x.shape[2], x.shape[3]
    D, d, K = pt.shape
    out = lut.shape[2]
    vec = np.empty(D * d, np.float32)
    accrow = np.empty(out, np.int64)
    acc32 = np.empty(K, np.float32)
    sc = np.empty(K, np.float64)
    for oy in range(oh):
        for ox in range(ow):
            t = 0
            for c in range(C):
                for a in range(kh):
                    iy = oy * sh - ph + a
                    for b in range(kw):
                        ix = ox * sw - pw + b
                        vec[t] = np.float32(x[n, c, iy, ix]) if (0 <= iy < H and 0 <= ix < W) else np.float32(0)
                        t += 1
            accrow[:] = 0
            _search(vec, pt, norm1, lut, angle, accrow, acc32, sc)
            pos = oy * ow + ox
            for o in range(out):
                acc[n, o, pos] = accrow[o]


@njit(cache=True, parallel=True)
def _vec_par(Q, pt, norm1, lut, angle):
    acc = np.zeros((Q.shape[0], lut.shape[2]), np.int64)
    for n in prange(Q.shape[0]):
        _vec_one(n, Q, pt, norm1, lut, angle, acc)
    return acc


@njit(cache=True)
def _vec_ser(Q, pt, norm1, lut, angle):
    acc = np.zeros((Q.shape[0], lut.shape[2]), np.int64)
    for n in range(Q.shape[0]):
        _vec_one(n, Q, pt, norm1, lut, angle, acc)
    return acc


@njit(cache=True, parallel=True)
def _conv_par(x, geo, pt, norm1, lut, angle):
    acc = np.empty((x.shape[0], lut.shape[2], geo[6] * geo[7]), np.int64)
    for n in prange(x.shape[0]):
        _conv_one(n, x, geo, pt, norm1, lut, angle, acc)
    return acc


@njit(cache=True)
def _conv_ser(x, geo, pt, norm1, lut, angle):
    acc = np.empty((x.shape[0], lut.shape[2], geo[6] * geo[7]), np.int64)
    for n in range(x.shape[0]):
        _conv_one(n, x, geo, pt, norm1, lut, angle, acc)
    return acc


class PecanTables:
    """Prototype tables in the kernels' layout (built once per layer).

    Distances and dot products are accumulated in float32, exact for integer codes while every
    partial sum stays below 2^24: :meth:`exact` says whether a layer qualifies (else use the
    reference kernels). Angle scores are then divided in float64, as the reference does.
    """

    def __init__(self, protos: np.ndarray, lut: np.ndarray, angle: bool):
        p = np.asarray(protos, dtype=np.int32)
        self.pt = np.ascontiguousarray(p.transpose(0, 2, 1).astype(np.float32))
        self.lut = np.ascontiguousarray(lut, dtype=np.int32)
        self.angle = bool(angle)
        norm = np.sqrt((p.astype(np.int64) ** 2).sum(-1).astype(np.float64))
        self.norm1 = np.where(norm == 0.0, 1.0, norm)  # zero prototype: dot 0 / 1 = score 0

    @staticmethod
    def exact(d: int, lo: int, hi: int, angle: bool) -> bool:
        """float32 accumulation exact for codes in [lo, hi] and subvectors of length d?"""
        bound = d * max(-lo, hi) ** 2 if angle else d * (hi - lo)
        return bound < 2**24

    def _args(self):
        return self.pt, self.norm1, self.lut, self.angle

    def vectors(self, q: np.ndarray) -> np.ndarray:
        """q int32[N, D*d] -> acc int64[N, out]."""
        q = np.ascontiguousarray(q, dtype=np.int32)
        fn = _vec_par if q.shape[0] * self.pt.size >= PARALLEL_MIN_OPS else _vec_ser
        return fn(q, *self._args())

    def conv(self, x: np.ndarray, kernel, stride, padding, out_hw) -> np.ndarray:
        """x int32[N, C, H, W] (quantized, unpadded) -> acc int64[N, out, OH*OW]."""
        x = np.ascontiguousarray(x, dtype=np.int32)
        geo = np.array([*kernel, *stride, *padding, *out_hw], dtype=np.int64)
        work = x.shape[0] * int(out_hw[0]) * int(out_hw[1]) * self.pt.size
        fn = _conv_par if work >= PARALLEL_MIN_OPS else _conv_ser
        return fn(x, geo, *self._args())


# Unfused reference kernels (winners, then LUT gather-accumulate), used for checks and small batches.

@njit(cache=True)
def pecan_l1_search(Q, protos, row_tile, col_tile):
    """PECAN-D winners: Q int32[N, D*d], protos int32[D, K, d] -> int64[N, D] (max of -L1, ties low)."""
    N = Q.shape[0]
    D, K, d = protos.shape
    win = np.empty((N, D), np.int64)
    for n in range(N):
        for j in range(D):
            k, _ = l1_nearest_one(Q[n], j * d, protos[j], row_tile, col_tile)
            win[n, j] = k
    return win


@njit(cache=True)
def pecan_dot_search(Q, protos):
    """PECAN-A winners: argmax_k float64(q·P)/sqrt(float64(|P|^2)) (zero prototype scores 0), ties low."""
    N = Q.shape[0]
    D, K, d = protos.shape
    inv = np.empty((D, K), np.float64)
    for j in range(D):
        for k in range(K):
            s = np.int64(0)
            for i in range(d):
                s += np.int64(protos[j, k, i]) * np.int64(protos[j, k, i])
            inv[j, k] = np.sqrt(np.float64(s))
    win = np.empty((N, D), np.int64)
    for n in range(N):
        for j in range(D):
            best = -np.inf
            bk = 0
            for k in range(K):
                dot = np.int64(0)
                for i in range(d):
                    dot += np.int64(Q[n, j * d + i]) * np.int64(protos[j, k, i])
                sc = 0.0 if inv[j, k] == 0.0 else np.float64(dot) / inv[j, k]
                if sc > best:
                    best = sc
                    bk = k
            win[n, j] = bk
    return win


@njit(cache=True)
def lut_accumulate(win, lut):
    """Gather-accumulate: acc[n, :] = sum_j lut[j, win[n, j], :] in int64 (exact)."""
    N, D = win.shape
    out = lut.shape[2]
    acc = np.zeros((N, out), np.int64)
    for n in range(N):
        for j in range(D):
            k = win[n, j]
            for o in range(out):
                acc[n, o] += lut[j, k, o]
    return acc
