"""Bit-packed nearest-match kernels: the search a binary (T)CAM array performs, 64 cells per word.

A stored row and a query are bit strings packed into uint64 words; the match-line mismatch count
is popcount(query XOR row). L1 distance between multi-bit values becomes a Hamming distance after
thermometer coding (a b-bit value -> 2^b − 1 bits, the first v of them set), which is how a
binary CAM evaluates L1 (see :mod:`codesign.cam.cam_array.array`). Ties go to the lowest row index, and row
tiles (one CAM array each) are merged in order, exactly as :func:`codesign.cam.cam_array.kernels.l1_nearest`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)


@njit(cache=True, inline="always")
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & _M1)
    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
    x = (x + (x >> np.uint64(4))) & _M4
    return (x * _H01) >> np.uint64(56)


@njit(cache=True, parallel=True)
def packed_nearest(Qw, Pw, row_tile):
    """Qw uint64[N, W], Pw uint64[K, W] -> (winner int64[N], Hamming distance int64[N]).

    Rows are scanned in tiles of ``row_tile`` (one CAM array each); a strictly smaller distance
    wins, so ties resolve to the lowest row index. Queries run in parallel (``prange``).
    """
    N, W = Qw.shape
    K = Pw.shape[0]
    win = np.empty(N, np.int64)
    dist = np.empty(N, np.int64)
    for n in prange(N):
        best_k = -1
        best_d = np.int64(1) << np.int64(62)
        for r0 in range(0, K, row_tile):
            r1 = min(r0 + row_tile, K)
            for k in range(r0, r1):
                d = np.uint64(0)
                for w in range(W):
                    d += _popcount(Qw[n, w] ^ Pw[k, w])
                di = np.int64(d)
                if di < best_d:
                    best_d = di
                    best_k = k
        win[n] = best_k
        dist[n] = best_d
    return win, dist


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """uint8/bool[..., n] of 0/1 -> uint64[..., ceil(n/64)] (zero padded; padding never mismatches)."""
    b = np.ascontiguousarray(np.asarray(bits, dtype=np.uint8))
    n = b.shape[-1]
    pad = (-n) % 64
    if pad:
        b = np.concatenate([b, np.zeros((*b.shape[:-1], pad), np.uint8)], axis=-1)
    by = np.packbits(b, axis=-1, bitorder="little")
    return np.ascontiguousarray(by).view(np.uint64)


def thermometer_bits(values: np.ndarray, value_bits: int) -> np.ndarray:
    """int[..., d] in [0, 2^b) -> uint8[..., d·(2^b−1)]; Hamming of codes = L1 of values."""
    v = np.asarray(values, dtype=np.int64)
    levels = 2**value_bits - 1
    if v.size and (v.min() < 0 or v.max() > levels):
        raise ValueError(f"values must lie in [0, {levels}] for {value_bits}-bit thermometer coding")
    return (v[..., None] > np.arange(levels)).reshape(*v.shape[:-1], v.shape[-1] * levels).astype(np.uint8)


def binary_bits(values: np.ndarray, value_bits: int) -> np.ndarray:
    """int[..., d] in [0, 2^b) -> uint8[..., d·b] plain binary code (MSB first)."""
    v = np.asarray(values, dtype=np.int64)
    shifts = np.arange(value_bits - 1, -1, -1)
    return ((v[..., None] >> shifts) & 1).reshape(*v.shape[:-1], v.shape[-1] * value_bits).astype(np.uint8)
