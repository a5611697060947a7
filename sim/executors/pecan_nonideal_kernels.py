"""Fused PECAN-D kernels on non-ideal CAM arrays: gather, noisy search, LUT sum in one pass per sample.

Same structure as the ideal fused kernels (:mod:`codesign.sim.executors.pecan_kernels`); the search is
:func:`codesign.cam.cam_array.nonideal_kernels.noisy_nearest`. Every vector's noise key comes from its
global index (first sample of the batch ``n0`` + sample, times positions, plus position).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from codesign.cam.cam_array.nonideal_kernels import TRACK_EVERY, noisy_nearest, vector_key
from codesign.sim.executors.pecan_kernels import PARALLEL_MIN_OPS


#: vectors searched together, subspace by subspace (keeps one subspace's distance table in cache)
BLOCK = 64


@njit(cache=True)
def _vec_block(b, Q, n0, seed, T, pt, pool, sigma, inv_lsb, top, lut, acc, wrong):
    D, d, V, K = T.shape
    out = lut.shape[2]
    lo = b * BLOCK
    hi = min(lo + BLOCK, Q.shape[0])
    dist = np.empty(K, np.float32)
    ideal = np.empty(K, np.float32)
    for j in range(D):
        for n in range(lo, hi):
            index = n0 + n
            best, w = noisy_nearest(Q[n], j * d, j, T, pt, pool, vector_key(seed, index), np.float32(sigma),
                                    np.float32(inv_lsb), np.float32(top), index % TRACK_EVERY == 0, dist, ideal)
            wrong[n] += w
            for o in range(out):
                acc[n, o] += lut[j, best, o]


@njit(cache=True)
def _conv_one(n, x, offset, geo, n0, seed, T, pt, pool, sigma, inv_lsb, top, lut, acc, wrong):
    """One sample: gather every position's vector, then search subspace by subspace (keeps T[j] in cache)."""
    kh, kw, sh, sw, ph, pw, oh, ow = geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6], geo[7]
    C, H, W = x.shape[1], x.shape[2], x.shape[3]
    D, d, V, K = T.shape
    out = lut.shape[2]
    P = oh * ow
    vecs = np.empty((P, D * d), np.int32)
    keys = np.empty(P, np.uint64)
    track = np.empty(P, np.bool_)
    for oy in range(oh):
        for ox in range(ow):
            pos = oy * ow + ox
            t = 0
            for c in range(C):
                for a in range(kh):
                    iy = oy * sh - ph + a
                    for b in range(kw):
                        ix = ox * sw - pw + b
                        vecs[pos, t] = (x[n, c, iy, ix] if (0 <= iy < H and 0 <= ix < W) else 0) + offset
                        t += 1
            index = (n0 + n) * P + pos
            keys[pos] = vector_key(seed, index)
            track[pos] = index % TRACK_EVERY == 0
    dist = np.empty(K, np.float32)
    ideal = np.empty(K, np.float32)
    wr = 0
    for pos in range(P):
        for o in range(out):
            acc[n, o, pos] = 0
    for j in range(D):
        for pos in range(P):
            best, w = noisy_nearest(vecs[pos], j * d, j, T, pt, pool, keys[pos], np.float32(sigma),
                                    np.float32(inv_lsb), np.float32(top), track[pos], dist, ideal)
            wr += w
            for o in range(out):
                acc[n, o, pos] += lut[j, best, o]
    wrong[n] = wr


@njit(cache=True, parallel=True)
def _vec_par(Q, n0, seed, T, pt, pool, sigma, inv_lsb, top, lut):
    acc = np.zeros((Q.shape[0], lut.shape[2]), np.int64)
    wrong = np.zeros(Q.shape[0], np.int64)
    for b in prange((Q.shape[0] + BLOCK - 1) // BLOCK):
        _vec_block(b, Q, n0, seed, T, pt, pool, sigma, inv_lsb, top, lut, acc, wrong)
    return acc, wrong


@njit(cache=True)
def _vec_ser(Q, n0, seed, T, pt, pool, sigma, inv_lsb, top, lut):
    acc = np.zeros((Q.shape[0], lut.shape[2]), np.int64)
    wrong = np.zeros(Q.shape[0], np.int64)
    for b in range((Q.shape[0] + BLOCK - 1) // BLOCK):
        _vec_block(b, Q, n0, seed, T, pt, pool, sigma, inv_lsb, top, lut, acc, wrong)
    return acc, wrong


@njit(cache=True, parallel=True)
def _conv_par(x, offset, geo, n0, seed, T, pt, pool, sigma, inv_lsb, top, lut):
    acc = np.empty((x.shape[0], lut.shape[2], geo[6] * geo[7]), np.int64)
    wrong = np.zeros(x.shape[0], np.int64)
    for n in prange(x.shape[0]):
        _conv_one(n, x, offset, geo, n0, seed, T, pt, pool, sigma, inv_lsb, top, lut, acc, wrong)
    return acc, wrong


@njit(cache=True)
def _conv_ser(x, offset, geo, n0, seed, T, pt, pool, sigma, inv_lsb, top, lut):
    acc = np.empty((x.shape[0], lut.shape[2], geo[6] * geo[7]), np.int64)
    wrong = np.zeros(x.shape[0], np.int64)
    for n in range(x.shape[0]):
        _conv_one(n, x, offset, geo, n0, seed, T, pt, pool, sigma, inv_lsb, top, lut, acc, wrong)
    return acc, wrong


def noisy_vectors(Q, n0, seed, T, pt, pool, sigma, inv_lsb, top, lut):
    """Q int32[N, D*d] unsigned codes -> (acc int64[N, out], wrong winners int64[N])."""
    fn = _vec_par if Q.shape[0] * T.shape[0] * T.shape[1] * T.shape[3] >= PARALLEL_MIN_OPS else _vec_ser
    return fn(Q, n0, seed, T, pt, pool, sigma, inv_lsb, top, lut)


def noisy_conv(x, offset, geo, n0, seed, T, pt, pool, sigma, inv_lsb, top, lut):
    """x int32[N, C, H, W] signed codes (unpadded; padding = code 0) -> (acc int64[N, out, OH*OW], wrong[N])."""
    work = x.shape[0] * int(geo[6] * geo[7]) * T.shape[0] * T.shape[1] * T.shape[3]
    fn = _conv_par if work >= PARALLEL_MIN_OPS else _conv_ser
    return fn(x, offset, geo, n0, seed, T, pt, pool, sigma, inv_lsb, top, lut)
