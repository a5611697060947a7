"""Numba CAM kernels vs plain NumPy brute force (tiling, ties, Hamming, dot, LUT accumulation)."""

import numpy as np
import pytest

from codesign.cam.cam_array.kernels import hamming_nearest, l1_nearest
from codesign.sim.executors.pecan_kernels import lut_accumulate, pecan_dot_search, pecan_l1_search


def _brute_l1(Q, P):
    d = np.abs(Q[:, None, :].astype(np.int64) - P[None, :, :].astype(np.int64)).sum(-1)
    return d.argmin(1), d.min(1)  # argmin returns the first (lowest) index on ties


@pytest.mark.parametrize("row_tile,col_tile", [(1000, 1000), (4, 3), (1, 1), (7, 5)])
def test_l1_nearest_matches_bruteforce_with_tiling(row_tile, col_tile):
    rng = np.random.default_rng(0)
    Q = rng.integers(0, 4, size=(200, 11)).astype(np.int32)   # few levels -> many ties
    P = rng.integers(0, 4, size=(23, 11)).astype(np.int32)
    w, d = l1_nearest(Q, P, row_tile, col_tile)
    bw, bd = _brute_l1(Q, P)
    np.testing.assert_array_equal(w, bw)
    np.testing.assert_array_equal(d, bd)


def test_ties_go_to_lowest_index_across_row_tiles():
    P = np.array([[5, 5], [0, 0], [1, 1], [0, 0], [0, 0]], np.int32)
    Q = np.array([[0, 0]], np.int32)
    for rt in (1, 2, 3, 10):
        w, d = l1_nearest(Q, P, rt, 1)
        assert w[0] == 1 and d[0] == 0


def test_hamming_nearest_with_dont_care():
    rng = np.random.default_rng(1)
    Q = rng.integers(0, 2, size=(100, 17)).astype(np.uint8)
    P = rng.integers(0, 3, size=(30, 17)).astype(np.uint8)  # 2 = don't care
    w, d = hamming_nearest(Q, P, 8, 5)
    dist = ((P[None] != 2) & (P[None] != Q[:, None])).sum(-1)
    np.testing.assert_array_equal(w, dist.argmin(1))
    np.testing.assert_array_equal(d, dist.min(1))


def test_pecan_l1_search_per_subspace():
    rng = np.random.default_rng(2)
    D, K, d = 3, 9, 4
    protos = rng.integers(-8, 8, size=(D, K, d)).astype(np.int32)
    Q = rng.integers(-8, 8, size=(50, D * d)).astype(np.int32)
    win = pecan_l1_search(Q, protos, 4, 3)
    for j in range(D):
        np.testing.assert_array_equal(win[:, j], _brute_l1(Q[:, j * d:(j + 1) * d], protos[j])[0])


def test_pecan_dot_search_cosine_and_zero_prototype():
    rng = np.random.default_rng(3)
    D, K, d = 2, 6, 5
    protos = rng.integers(-4, 4, size=(D, K, d)).astype(np.int32)
    protos[0, 2] = 0  # zero prototype scores 0
    Q = rng.integers(0, 8, size=(80, D * d)).astype(np.int32)
    win = pecan_dot_search(Q, protos)
    for j in range(D):
        P = protos[j].astype(np.float64)
        dots = (Q[:, j * d:(j + 1) * d].astype(np.int64) @ protos[j].T.astype(np.int64)).astype(np.float64)
        norms = np.sqrt((protos[j].astype(np.int64) ** 2).sum(1).astype(np.float64))
        sc = np.where(norms > 0, dots / np.where(norms > 0, norms, 1), 0.0)
        np.testing.assert_array_equal(win[:, j], sc.argmax(1))
    assert P.shape == (K, d)


def test_lut_accumulate_exact():
    rng = np.random.default_rng(4)
    lut = rng.integers(-128, 128, size=(5, 7, 3)).astype(np.int32)
    win = rng.integers(0, 7, size=(20, 5)).astype(np.int64)
    ref = sum(lut[j, win[:, j], :].astype(np.int64) for j in range(5))
    np.testing.assert_array_equal(lut_accumulate(win, lut), ref)
