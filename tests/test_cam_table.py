"""CamTable / packed kernels: exact nearest match vs brute force, ties, tiling, costs."""

from __future__ import annotations

import numpy as np
import pytest

from codesign.cam.cam_array.packed import binary_bits, pack_bits, packed_nearest, thermometer_bits
from codesign.cam.cam_array.table import CamTable
from codesign.cam.technology import load_technology


@pytest.fixture(scope="module")
def techs():
    return {n: load_technology(n) for n in ("fefet_mcam", "sram_tcam", "cmos_digital_45nm")}


def test_thermometer_hamming_equals_l1():
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 8, (50, 9)), rng.integers(0, 8, (50, 9))
    ta, tb = thermometer_bits(a, 3), thermometer_bits(b, 3)
    assert np.array_equal((ta != tb).sum(1), np.abs(a - b).sum(1))
    with pytest.raises(ValueError, match=r"\[0, 7\]"):
        thermometer_bits(np.array([[8]]), 3)


@pytest.mark.parametrize("metric", ["l1", "hamming"])
@pytest.mark.parametrize("rows", [16, 64, 1000])
def test_search_matches_brute_force(techs, metric, rows):
    rng = np.random.default_rng(2)
    stored, q = rng.integers(0, 8, (300, 20)), rng.integers(0, 8, (200, 20))
    table = CamTable(stored, techs["fefet_mcam"], metric=metric, rows=rows, digital=techs["cmos_digital_45nm"])
    win, dist, stats = table.search(q)
    if metric == "l1":
        full = np.abs(q[:, None, :] - stored[None]).sum(-1)
    else:
        full = (binary_bits(q, 3)[:, None, :] != binary_bits(stored, 3)[None]).sum(-1)
    assert np.array_equal(win, full.argmin(1))  # argmin: first minimum = lowest row
    assert np.array_equal(dist, full.min(1))
    assert stats.events["cam.search"] == 200 * table.arrays


def test_ties_go_to_lowest_row_across_tiles():
    stored = np.array([[1, 1], [0, 0], [1, 1], [0, 0]])
    w, d = packed_nearest(pack_bits(thermometer_bits(np.array([[0, 0], [1, 1]]), 1)),
                          pack_bits(thermometer_bits(stored, 1)), 1)
    assert w.tolist() == [1, 0] and d.tolist() == [0, 0]


def test_tiling_and_costs_scale(techs):
    stored = np.zeros((1024, 64), dtype=np.int64)
    t64 = CamTable(stored, techs["fefet_mcam"], rows=64, cols=64, parallel_arrays=4)
    t128 = CamTable(stored, techs["fefet_mcam"], rows=128, cols=64, parallel_arrays=4)
    assert (t64.row_tiles, t64.col_tiles) == (16, 1) and (t128.row_tiles, t128.col_tiles) == (8, 1)
    assert t64.utilization == pytest.approx(1.0)
    c = t64.cost(10)
    assert c.latency_ns == pytest.approx(10 * 4 * t64.array.search_latency_ns())  # 16 arrays, 4 at a time
    # a 1-bit TCAM needs 7 thermometer cells per 3-bit value: 7 column tiles, digital partial sums
    tc = CamTable(stored, techs["sram_tcam"], rows=64, cols=64, digital=techs["cmos_digital_45nm"])
    assert tc.col_tiles == 7 and tc.cost(1).events["adder.add"] == 16 * 6 * 64
    assert tc.cost(1).total_energy_pj > t64.cost(1).total_energy_pj


def test_bad_inputs(techs):
    with pytest.raises(ValueError, match="non-empty 2-D"):
        CamTable(np.zeros(5), techs["fefet_mcam"])
    table = CamTable(np.zeros((4, 3), dtype=int), techs["fefet_mcam"])
    with pytest.raises(ValueError, match=r"shape \(N, 3\)"):
        table.search(np.zeros((2, 4), dtype=int))
    with pytest.raises(ValueError, match="metric"):
        CamTable(np.zeros((4, 3), dtype=int), techs["fefet_mcam"], metric="cosine")
