"""Numba kernels: nearest-prototype search as tiled CAM arrays compute it, and LUT accumulation.

Tiling mirrors the hardware: prototypes (rows) beyond ``row_tile`` go to further arrays whose winners
are merged by a comparator tree; a subvector wider than ``col_tile`` is split into column tiles whose
partial distances are added per row before the winner is picked. Integer arithmetic is exact, so tiling
never changes the result; ties always go to the lowest prototype index (strict ``<``/``>`` in row order).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_BIG = np.int64(2**62)


@njit(cache=True)
def _l1_one(q, qoff, P, row_tile, col_tile):
    """Winner and distance of one query slice q[qoff:qoff+d] against P[K, d] (tiled)."""
    K, d = P.shape
    best_k = -1
    best_d = _BIG
    for r0 in range(0, K, row_tile):                 # one CAM array (row tile) after another
        r1 = min(r0 + row_tile, K)
        tile_k = -1
        tile_d = _BIG
        for k in range(r0, r1):
            dist = np.int64(0)
            for c0 in range(0, d, col_tile):          # column tiles: partial distances added
                c1 = min(c0 + col_tile, d)
                part = np.int64(0)
                for i in range(c0, c1):
                    v = np.int64(q[qoff + i]) - np.int64(P[k, i])
                    part += v if v >= 0 else -v
                dist += part
            if dist < tile_d:                         # sense amp / WTA inside the array
                tile_d = dist
                tile_k = k
        if tile_d < best_d:                           # merge across arrays (lower tile wins ties)
            best_d = tile_d
            best_k = tile_k
    return best_k, best_d


@njit(cache=True)
def l1_nearest(Q, P, row_tile, col_tile):
    """Q int[N, d], P int[K, d] -> (winner int64[N], L1 distance int64[N])."""
    N = Q.shape[0]
    win = np.empty(N, np.int64)
    dist = np.empty(N, np.int64)
    for n in range(N):
        k, dd = _l1_one(Q[n], 0, P, row_tile, col_tile)
        win[n] = k
        dist[n] = dd
    return win, dist


@njit(cache=True)
def hamming_nearest(Q, P, row_tile, col_tile):
    """Binary/ternary search: Q uint8[N, n] bits, P uint8[K, n] with 0/1 or 2 = don't care.

    Returns (winner int64[N], Hamming distance int64[N]) with the same tiling/ties as :func:`l1_nearest`.
    """
    N, n = Q.shape
    K = P.shape[0]
    win = np.empty(N, np.int64)
    dist = np.empty(N, np.int64)
    for m in range(N):
        best_k = -1
        best_d = _BIG
        for r0 in range(0, K, row_tile):
            r1 = min(r0 + row_tile, K)
            tile_k = -1
            tile_d = _BIG
            for k in range(r0, r1):
                dd = np.int64(0)
                for c0 in range(0, n, col_tile):
                    c1 = min(c0 + col_tile, n)
                    for i in range(c0, c1):
                        s = P[k, i]
                        if s != 2 and s != Q[m, i]:
                            dd += 1
                if dd < tile_d:
                    tile_d = dd
                    tile_k = k
            if tile_d < best_d:
                best_d = tile_d
                best_k = tile_k
        win[m] = best_k
        dist[m] = best_d
    return win, dist


@njit(cache=True)
def pecan_l1_search(Q, protos, row_tile, col_tile):
    """PECAN-D winners: Q int32[N, D*d], protos int32[D, K, d] -> int64[N, D] (max of -L1, ties low)."""
    N = Q.shape[0]
    D, K, d = protos.shape
    win = np.empty((N, D), np.int64)
    for n in range(N):
        for j in range(D):
            k, _ = _l1_one(Q[n], j * d, protos[j], row_tile, col_tile)
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


# -- fused, parallel forms used by the simulator's functional run (same winners as above) ----------
# Tiling never changes an exact integer nearest match (partial distances add up to the full one and
# tiles are merged in row order with strict comparisons), so these scan all K prototypes of a
# subspace at once, vectorized over k with prototypes stored transposed [D, d, K], then gather the
# LUT rows of the winners. Queries run in parallel (``prange``); ties go to the lowest k.


@njit(cache=True)
def _l1_lut_row(n, Q, protos_t, lut, acc, dist):
    D, d, K = protos_t.shape
    out = lut.shape[2]
    for j in range(D):
        dist[:] = 0
        base = j * d
        for i in range(d):
            qv = Q[n, base + i]
            for k in range(K):
                dist[k] += abs(qv - protos_t[j, i, k])
        best = 0
        bd = dist[0]
        for k in range(1, K):
            if dist[k] < bd:
                bd = dist[k]
                best = k
        for o in range(out):
            acc[n, o] += lut[j, best, o]


@njit(cache=True)
def _dot_lut_row(n, Q, protos_t, norm, lut, acc, dot):
    D, d, K = protos_t.shape
    out = lut.shape[2]
    for j in range(D):
        dot[:] = 0
        base = j * d
        for i in range(d):
            qv = np.int64(Q[n, base + i])
            for k in range(K):
                dot[k] += qv * protos_t[j, i, k]
        best = 0
        bs = -np.inf
        for k in range(K):
            sc = 0.0 if norm[j, k] == 0.0 else np.float64(dot[k]) / norm[j, k]
            if sc > bs:
                bs = sc
                best = k
        for o in range(out):
            acc[n, o] += lut[j, best, o]


@njit(cache=True)
def proto_norms(protos_t):
    """sqrt(float64(sum_i P[j,k,i]^2)) per prototype, from prototypes stored [D, d, K]."""
    D, d, K = protos_t.shape
    norm = np.empty((D, K), np.float64)
    for j in range(D):
        for k in range(K):
            s = np.int64(0)
            for i in range(d):
                s += np.int64(protos_t[j, i, k]) * np.int64(protos_t[j, i, k])
            norm[j, k] = np.sqrt(np.float64(s))
    return norm


@njit(cache=True, parallel=True)
def _l1_lut_par(Q, protos_t, lut):
    acc = np.zeros((Q.shape[0], lut.shape[2]), np.int64)
    for n in prange(Q.shape[0]):
        _l1_lut_row(n, Q, protos_t, lut, acc, np.empty(protos_t.shape[2], np.int32))
    return acc


@njit(cache=True)
def _l1_lut_ser(Q, protos_t, lut):
    acc = np.zeros((Q.shape[0], lut.shape[2]), np.int64)
    dist = np.empty(protos_t.shape[2], np.int32)
    for n in range(Q.shape[0]):
        _l1_lut_row(n, Q, protos_t, lut, acc, dist)
    return acc


@njit(cache=True, parallel=True)
def _dot_lut_par(Q, protos_t, lut):
    norm = proto_norms(protos_t)
    acc = np.zeros((Q.shape[0], lut.shape[2]), np.int64)
    for n in prange(Q.shape[0]):
        _dot_lut_row(n, Q, protos_t, norm, lut, acc, np.empty(protos_t.shape[2], np.int64))
    return acc


@njit(cache=True)
def _dot_lut_ser(Q, protos_t, lut):
    norm = proto_norms(protos_t)
    acc = np.zeros((Q.shape[0], lut.shape[2]), np.int64)
    dot = np.empty(protos_t.shape[2], np.int64)
    for n in range(Q.shape[0]):
        _dot_lut_row(n, Q, protos_t, norm, lut, acc, dot)
    return acc


#: below this many element operations a parallel region costs more than it saves
PARALLEL_MIN_OPS = 1 << 20


def pecan_l1_lut(Q, protos_t, lut):
    """PECAN-D search + LUT accumulation: Q int32[N, D*d], protos_t int32[D, d, K], lut int32[D, K, out]
    -> acc int64[N, out] = sum_j lut[j, argmin_k L1(q_j, P[j,k]), :]. Needs d·(value range) < 2^31."""
    fn = _l1_lut_par if Q.shape[0] * protos_t.size >= PARALLEL_MIN_OPS else _l1_lut_ser
    return fn(Q, protos_t, lut)


def pecan_dot_lut(Q, protos_t, lut):
    """PECAN-A search (as :func:`pecan_dot_search`) + LUT accumulation; shapes as :func:`pecan_l1_lut`."""
    fn = _dot_lut_par if Q.shape[0] * protos_t.size >= PARALLEL_MIN_OPS else _dot_lut_ser
    return fn(Q, protos_t, lut)
