"""Numba kernels: nearest-prototype search as tiled CAM arrays compute it.

Tiling mirrors the hardware: prototypes (rows) beyond ``row_tile`` go to further arrays whose winners
are merged by a comparator tree; a subvector wider than ``col_tile`` is split into column tiles whose
partial distances are added per row before the winner is picked. Integer arithmetic is exact, so tiling
never changes the result; ties always go to the lowest prototype index (strict ``<``/``>`` in row order).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_BIG = np.int64(2**62)


@njit(cache=True)
def l1_nearest_one(q, qoff, P, row_tile, col_tile):
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
        k, dd = l1_nearest_one(Q[n], 0, P, row_tile, col_tile)
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
