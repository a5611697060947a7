"""Event counts on what the hardware does, checked against values computed by hand on small layers."""

from __future__ import annotations

import numpy as np
import pytest

from codesign.cam.crossbar.cost import action_energy_pj, plan_cost, tile_area_um2
from codesign.cam.crossbar.params import CrossbarParams, TilePlan, plan_dense
from codesign.cam.technology import load_technology
from codesign.scenarios.validation.vgg8 import count_macs, run_vgg8
from codesign.sim.engine import Simulator
from codesign.sim.hardware import CamConfig, HardwareConfig
from codesign.sim.synthetic import pecan_layer, vgg8
from codesign.sim.format import ModelSpec

#: ISAAC (ISCA 2016) Table I, 1-bit DAC: 4 mW for 8 x 128 DACs, one drive per 100 ns cycle (0.39-0.42 pJ)
ISAAC_DAC_PJ = (0.39, 0.42)


def _xbar(**kw) -> tuple[CrossbarParams, object]:
    tech = load_technology("reram_1t1r")
    return CrossbarParams(**kw).with_tech(tech), tech


def _one_tile(p: CrossbarParams, n_in: int = 128, n_out: int = 16):
    return TilePlan(n_in, n_out, plan_dense(n_out, n_in, p))


def test_adc_conversions_are_macs_times_cells_times_cycles_over_rows():
    p, tech = _xbar()  # 8-bit weights on 2-bit cells: 4 slices x 2 polarities; 8-bit inputs: 7 + sign = 8 cycles
    c = plan_cost(_one_tile(p), p, tech)
    macs = 128 * 16
    assert c.events[("adc", "convert")] == macs * 8 * 8 / 128 == 1024
    assert c.events[("xbar", "cell_read")] == macs * 8 * 8
    assert c.events[("dac", "convert")] == 128 * 8  # every row driven once per cycle
    assert ("xbar", "subtract") not in c.events or c.events[("xbar", "subtract")] == 0
    ps, _ = _xbar(subtract_in_analog=True)  # one conversion per slice pair: 4 cells per conversion
    cs = plan_cost(_one_tile(ps), ps, tech)
    assert cs.events[("adc", "convert")] == macs * 4 * 8 / 128 == 512
    assert cs.events[("xbar", "subtract")] == 128 * 64 * 8  # each of 64 pairs mirrors 128 rows, 8 cycles
    # a half-full tile (64 rows) sums 64 rows per conversion: twice the conversions per MAC
    half = plan_cost(_one_tile(p, n_in=64), p, tech)
    assert half.events[("adc", "convert")] == 64 * 16 * 8 * 8 / 64


def test_dac_energy_per_magnitude_level_unipolar_and_bipolar():
    p1, tech = _xbar()
    one = action_energy_pj(tech, p1)[("dac", "convert")]
    assert ISAAC_DAC_PJ[0] <= one <= ISAAC_DAC_PJ[1]
    p8, _ = _xbar(dac_bits=8, bipolar_dac=True)  # sign + 7 magnitude bits: 127 levels
    p7, _ = _xbar(dac_bits=7)  # 7 magnitude bits, unipolar: the same 127 levels
    assert action_energy_pj(tech, p8)[("dac", "convert")] == pytest.approx(127 * one)
    assert action_energy_pj(tech, p7)[("dac", "convert")] == pytest.approx(127 * one)


def test_cols_per_adc_sets_adc_count_area_and_cycle():
    p, tech = _xbar(adc_bits=5, cols_per_adc=8)
    assert p.adcs_per_xbar(tech) == 128 // 8
    base, _ = _xbar(adc_bits=5)
    a16, a1 = tile_area_um2(tech, p)["adc"], tile_area_um2(tech, base)["adc"]
    assert a16 == pytest.approx(16 * a1)
    c = plan_cost(_one_tile(p), p, tech)
    # 128 columns over 16 ADCs: 8 conversions of 0.78 ns per cycle, hidden under the 100 ns read; 8 cycles
    assert c.latency_ns == pytest.approx(8 * 100.0)
    p_slow, _ = _xbar(adc_bits=5, cols_per_adc=256)  # one ADC for 128 columns: 128 x 0.78 ns = 100 ns
    assert plan_cost(_one_tile(p_slow), p_slow, tech).latency_ns == pytest.approx(8 * 128 * 0.78125)


def _pecan_spec(D: int, K: int, d: int, act_bits: int = 4) -> ModelSpec:
    rng = np.random.default_rng(0)
    layer = pecan_layer("fc", ["input"], rng, mode="distance", D=D, K=K, d=d, out=10, act_bits=act_bits)
    return ModelSpec("p", (D * d,), 10, [layer])


def test_cam_column_tiles_charge_one_readout_per_row_and_tile():
    # d = 9 four-bit values on 3-bit cells: 3 cells each, 27 cells; 16-column arrays -> 2 column tiles
    hw = HardwareConfig(cam=CamConfig(rows=64, cols=16))
    c = Simulator(_pecan_spec(D=2, K=8, d=9), hw=hw).cost().layers[0]
    # 2 subspaces x 8 rows x 2 tiles; a 16-cell tile row differs by at most 16 x 7 levels -> 7 bits
    assert c.events[("cam_readout", "convert_7b")] == 2 * 8 * 2
    assert c.events[("merge", "add")] == 2 * 8 * 1
    assert "cam_readout" in c.area_mm2 and c.energy_pj["cam_readout"] > 0


def test_cam_row_tiles_read_each_winner_and_no_tiles_read_nothing():
    hw = HardwareConfig(cam=CamConfig(rows=4, cols=64))  # K = 8 prototypes over 2 row tiles, 27 cells fit
    c = Simulator(_pecan_spec(D=2, K=8, d=9), hw=hw).cost().layers[0]
    assert c.events[("cam_readout", "convert_8b")] == 2 * 2  # 27 x 7 = 189 levels -> 8 bits
    big = Simulator(_pecan_spec(D=2, K=8, d=9), hw=HardwareConfig(cam=CamConfig(rows=64, cols=64))).cost()
    assert not any(comp == "cam_readout" for comp, _ in big.layers[0].events)


def test_vgg8_counts():
    spec = vgg8()
    macs = (32 * 32 * 128 * 27 + 32 * 32 * 128 * 1152 + 16 * 16 * 256 * 1152 + 16 * 16 * 256 * 2304
            + 8 * 8 * 512 * 2304 + 8 * 8 * 512 * 4608 + 8192 * 1024 + 1024 * 10)
    assert count_macs(spec) == macs
    assert 2 * macs / 1e9 == pytest.approx(1.23, abs=0.005)  # NeuroSim: 1.23e9 ops per VGG-8 image
    r = run_vgg8()
    # tiles: ceil(rows / 128) x ceil(outputs / 16) per layer (16 outputs of 8 columns per 128-column tile)
    tiles = [(27, 128), (1152, 128), (1152, 256), (2304, 256), (2304, 512), (4608, 512), (8192, 1024), (1024, 10)]
    assert r.tiles == sum(-(-n // 128) * -(-o // 16) for n, o in tiles) == 6344
    # conversions per vector: row bands x outputs x 8 columns x 8 cycles; vectors = output positions
    pos = [1024, 1024, 256, 256, 64, 64, 1, 1]
    conv = sum(v * -(-n // 128) * o * 64 for v, (n, o) in zip(pos, tiles))
    assert r.adc_conversions == conv
    assert 0 < r.adc_energy_share < 1 and 0 < r.adc_area_share < 1
    assert r.tops_per_w == pytest.approx(2 * macs / (r.energy_uj * 1e-6) / 1e12)


def test_cam_joined_matchline_senses_each_row_once_without_readout():
    hw = HardwareConfig(cam=CamConfig(rows=64, cols=16, column_merge="matchline"))
    c = Simulator(_pecan_spec(D=2, K=8, d=9), hw=hw).cost().layers[0]
    assert not any(comp in ("cam_readout", "merge") for comp, _ in c.events)
    assert c.events[("cam_array", "search")] == 2 * 2  # both 16-column segments of both subspaces
    assert c.events[("cam_periphery", "sense")] == 2  # one joined row group per subspace
    with pytest.raises(ValueError, match="cam.column_merge"):
        CamConfig(column_merge="wire")


def test_vgg8_command(tmp_path, capsys):
    import json

    from codesign.scenarios.cli import main

    assert main(["vgg8", "--subtract-in-analog", "--json", str(tmp_path / "v.json")]) == 0
    out = capsys.readouterr().out
    assert "| TOPS/W |" in out and "ADC share of energy" in out
    data = json.loads((tmp_path / "v.json").read_text())
    assert data["setup"]["subtract_in_analog"] is True and data["tiles"] == 6344
    assert main(["vgg8", "--cols-per-adc", "0"]) == 2
