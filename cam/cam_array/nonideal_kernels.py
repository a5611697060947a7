"""Numba kernels of the non-ideal nearest-prototype search and its distance table
(model: :mod:`codesign.cam.cam_array.nonideal`).

Per vector and subspace: the row distances are gathered from the distance table (programming
deviations included), sensing noise is added from the pool at a hashed offset, the sensed distance is
rounded to the sensing step, and the smallest wins (ties to the lowest row). The ideal integer L1
distances are accumulated beside them on every :data:`TRACK_EVERY`-th vector to count wrong winners
(searches whose winner is farther from the query than the true nearest prototype; a tie-equivalent
pick is not wrong): an unbiased sample that keeps the search cost close to the exact search's.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)


@njit(cache=True, inline="always")
def mix64(x):
    """splitmix64 finaliser of a uint64."""
    x = (x ^ (x >> np.uint64(30))) * _M2
    x = (x ^ (x >> np.uint64(27))) * _M3
    return x ^ (x >> np.uint64(31))


@njit(cache=True, inline="always")
def noisy_nearest(q, qoff, j, T, pt, pool, key, sigma, inv_lsb, top, track, dist, ideal):
    """(winner, wrong) of subspace j for value codes q[qoff:qoff+d] (unsigned, < V).

    ``dist``/``ideal`` are float32[K] work buffers. With ``track``, wrong is 1 when the winner's ideal L1
    distance exceeds the smallest one (else 0 and the ideal distances are not computed)."""
    D, d, V, K = T.shape
    dist[:] = 0.0
    for i in range(d):
        v = q[qoff + i]
        for k in range(K):
            dist[k] += T[j, i, v, k]
    if track:
        ideal[:] = 0.0
        for i in range(d):
            fv = np.float32(q[qoff + i])
            for k in range(K):
                ideal[k] += abs(fv - pt[j, i, k])
    off = np.int64(0)
    if sigma > 0.0:
        off = np.int64(((mix64(key + np.uint64(j) * _M1) >> np.uint64(32)) * np.uint64(pool.shape[0] - K))
                       >> np.uint64(32))  # uniform in [0, pool - K) without a division
    # noise and sensing step as branch-free loops (vectorized), then the winner (ties to the lowest row)
    if sigma > 0.0 and inv_lsb > 0.0:
        for k in range(K):
            dist[k] = min(max(np.floor((dist[k] + sigma * pool[off + k]) * inv_lsb + np.float32(0.5)),
                              np.float32(0.0)), top)
    elif sigma > 0.0:
        for k in range(K):
            dist[k] += sigma * pool[off + k]
    elif inv_lsb > 0.0:
        for k in range(K):
            dist[k] = min(max(np.floor(dist[k] * inv_lsb + np.float32(0.5)), np.float32(0.0)), top)
    best = 0
    bd = dist[0]
    for k in range(1, K):
        if dist[k] < bd:
            bd = dist[k]
            best = k
    if not track:
        return best, 0
    bi = ideal[0]
    for k in range(1, K):
        if ideal[k] < bi:
            bi = ideal[k]
    return best, 1 if ideal[best] > bi else 0


#: wrong winners are counted on the vectors whose global index is a multiple of this (a sample)
TRACK_EVERY = 8


def tracked(start: int, stop: int) -> int:
    """Vectors with global index in [start, stop) on which wrong winners are counted."""
    return (stop + TRACK_EVERY - 1) // TRACK_EVERY - (start + TRACK_EVERY - 1) // TRACK_EVERY


@njit(cache=True)
def vector_key(seed, index):
    """Noise key of the vector with global ``index`` (same vector, same noise, whatever the batch)."""
    return mix64(mix64(np.uint64(seed) * _M1 + np.uint64(12345)) ^ (np.uint64(index) * _M2))


@njit(cache=True)
def fill_distance_table(cells, cap, out):
    """out[j, i, v, k] = sum_c |clip(v - c cap, 0, cap) - cells[j, k, i, c]| (thermometer-coded query v).

    Query v fills its first v // cap cells, puts r = v mod cap in the next and leaves the rest empty, so
    T = (sum of |cap - s| below) + |r - s_cell| + (sum of |s| above): prefix/suffix sums per stored word.
    """
    D, K, d, cpv = cells.shape
    V = out.shape[2]
    icap = int(cap)
    below = np.empty(cpv + 1)
    above = np.empty(cpv)
    for j in range(D):
        for i in range(d):
            for k in range(K):
                below[0] = 0.0
                for c in range(cpv):
                    below[c + 1] = below[c] + abs(cap - cells[j, k, i, c])
                above[cpv - 1] = 0.0
                for c in range(cpv - 2, -1, -1):
                    above[c] = above[c + 1] + abs(cells[j, k, i, c + 1])
                for v in range(V):
                    cv = v // icap
                    if cv >= cpv:
                        out[j, i, v, k] = below[cpv]
                    else:
                        r = v - cv * icap
                        out[j, i, v, k] = below[cv] + abs(r - cells[j, k, i, cv]) + above[cv]
