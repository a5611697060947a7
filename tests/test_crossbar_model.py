"""Crossbar array model: ideal = matmul, ADC bits, noise determinism, tiling invariance, cost scaling."""

from __future__ import annotations

import json

import numpy as np
import pytest

from codesign.bench.crossbar_mvm import integer_reference
from codesign.cam.adc import ADCSpec, adc_energy_pj
from codesign.cam.crossbar.model import mvm, program
from codesign.cam.crossbar.params import CrossbarError, CrossbarParams, TilePlan, plan_dense
from codesign.cam.crossbar.cost import plan_cost
from codesign.cam.technology import TechnologyError, load_technology

TECH = load_technology("reram_1t1r")


def _run(p, w, x, seed=0):
    plan = TilePlan(w.shape[1], w.shape[0], plan_dense(w.shape[0], w.shape[1], p))
    return mvm(program(plan, w, p, np.random.default_rng(seed)), x)


@pytest.fixture
def wx():
    rng = np.random.default_rng(1)
    return rng.normal(size=(24, 200)), rng.normal(size=(16, 200))


def test_ideal_equals_matmul(wx):
    w, x = wx
    y = _run(CrossbarParams(rows=64, cols=64, ideal=True), w, x)
    ref = x @ w.T
    assert np.allclose(y, ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())


def test_quantized_weights_inputs_exact_with_lossless_adc(wx):
    """Integer codes, G_min = 0, enough ADC bits: crossbar = integer matmul of the codes exactly."""
    w, x = wx
    p = CrossbarParams(rows=64, cols=64, adc_bits=16, g_min_us=0.0)
    y = _run(p, w, x)
    y_noadc = _run(CrossbarParams(rows=64, cols=64, adc_bits=None, g_min_us=0.0), w, x)
    assert np.allclose(y, y_noadc, rtol=1e-12, atol=1e-12)
    assert np.abs(y - x @ w.T).max() < 0.05 * np.abs(x @ w.T).max()  # 8-bit weight/input quantization


def test_adc_bits_reduce_error_monotonically(wx):
    w, x = wx
    ref = x @ w.T
    errs = [np.sqrt(np.mean((_run(CrossbarParams(rows=64, cols=64, adc_bits=b), w, x) - ref) ** 2))
            for b in (4, 6, 8, 10, 12)]
    assert all(a > b for a, b in zip(errs, errs[1:])), errs


def test_noise_determinism(wx):
    w, x = wx
    p0 = CrossbarParams(rows=64, cols=64)
    assert np.array_equal(_run(p0, w, x, seed=1), _run(p0, w, x, seed=2))  # sigma 0: seed irrelevant
    p = CrossbarParams(rows=64, cols=64, prog_noise_sigma=0.05)
    a, b, c = _run(p, w, x, seed=3), _run(p, w, x, seed=3), _run(p, w, x, seed=4)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    ref = x @ w.T
    e_lo = np.abs(_run(CrossbarParams(rows=64, cols=64, prog_noise_sigma=0.01, adc_bits=None), w, x) - ref).mean()
    e_hi = np.abs(_run(CrossbarParams(rows=64, cols=64, prog_noise_sigma=0.1, adc_bits=None), w, x) - ref).mean()
    assert e_hi > e_lo


@pytest.mark.parametrize("ideal", [True, False])
def test_many_tiles_equal_one_tile(wx, ideal):
    w, x = wx
    kw = dict(ideal=True) if ideal else dict(adc_bits=None, g_min_us=0.0)
    big = CrossbarParams(rows=256, cols=512, **kw)
    small = CrossbarParams(rows=16, cols=16, **kw)
    plan_small = TilePlan(200, 24, plan_dense(24, 200, small))
    assert len(plan_small.tiles) > 50
    y1, y2 = _run(big, w, x), _run(small, w, x)
    assert np.allclose(y1, y2, rtol=1e-10, atol=1e-10 * np.abs(y1).max())


def test_cost_scales_with_shape():
    p = CrossbarParams(rows=128, cols=128)
    c1 = plan_cost(TilePlan(128, 16, plan_dense(16, 128, p)), p, TECH)
    c2 = plan_cost(TilePlan(256, 16, plan_dense(16, 256, p)), p, TECH)
    c3 = plan_cost(TilePlan(256, 32, plan_dense(32, 256, p)), p, TECH)
    assert (c1.tiles, c2.tiles, c3.tiles) == (1, 2, 4)
    k = p.cycles(True)
    assert c1.events[("adc", "convert")] == 16 * 8 * k  # 16 outputs x 4 slices x 2 polarities x cycles
    assert c2.events[("adc", "convert")] == 2 * c1.events[("adc", "convert")]
    assert c3.events[("xbar", "cell_read")] == 4 * c1.events[("xbar", "cell_read")]
    assert c3.area_mm2["adc"] == pytest.approx(4 * c1.area_mm2["adc"])
    c1b = plan_cost(TilePlan(128, 16, plan_dense(16, 128, p)), p, TECH, vectors=10)
    assert c1b.latency_ns == pytest.approx(10 * c1.latency_ns)
    assert c1.utilization == pytest.approx(1.0)


def test_adc_model():
    a = ADCSpec(4, 30.0)
    assert a.convert(1000.0) == pytest.approx(15 * 2.0)  # clipped at the top code
    assert ADCSpec(8, 100.0, integer_currents=True).convert(37.0) == 37.0  # lossless
    assert ADCSpec(None, 1.0).convert(3.3) == 3.3
    assert adc_energy_pj(TECH, 8) == pytest.approx(2.0 * 100 / 128, rel=1e-6)  # ISAAC: 2 mW x 100 ns / 128 conversions
    assert adc_energy_pj(TECH, 4) < adc_energy_pj(TECH, 6) < adc_energy_pj(TECH, 12)


def test_bad_params_and_tech(tmp_path, monkeypatch):
    with pytest.raises(CrossbarError):
        CrossbarParams(adc_bits=1)
    with pytest.raises(CrossbarError, match="cell_bits_max"):
        CrossbarParams(cell_bits=4).with_tech(TECH)
    raw = json.loads(TECH.path.read_text())
    del raw["params"]["g_min_us"]["source"]
    (tmp_path / "bad_xbar.json").write_text(json.dumps(raw))
    monkeypatch.setenv("CODESIGN_TECH_DIR", str(tmp_path))
    with pytest.raises(TechnologyError, match="g_min_us/source"):
        load_technology("bad_xbar")
    raw = json.loads(TECH.path.read_text())
    del raw["params"]["dac_energy_pj"]
    (tmp_path / "bad2.json").write_text(json.dumps(raw))
    from codesign.cam.crossbar.cost import action_energy_pj
    with pytest.raises(TechnologyError, match="dac_energy_pj"):
        action_energy_pj(load_technology("bad2"), CrossbarParams())


@pytest.mark.parametrize("field, value", [("rows", 0), ("cols", 2.5), ("cell_bits", True), ("weight_bits", 1),
                                          ("adc_bits", 25), ("seed", -1), ("adc_range", 0.0), ("ideal", 1),
                                          ("group_mapping", "diagonal"), ("debut_mapping", "packed"), ("technology", "")])
def test_each_bad_field_is_named(field, value):
    with pytest.raises(CrossbarError, match=f"{field}="):
        CrossbarParams(**{field: value})


@pytest.mark.parametrize("bipolar", [False, True])
@pytest.mark.parametrize("subtract", [False, True])
@pytest.mark.parametrize("dac_bits", [2, 3, 8])
@pytest.mark.parametrize("signed", [True, False])
def test_dac_and_differential_modes_compute_the_code_matmul(wx, bipolar, subtract, dac_bits, signed):
    """Every DAC / subtraction mode, noise-free with a lossless ADC, equals the integer-code matmul exactly."""
    w, x = wx
    p = CrossbarParams(rows=64, cols=64, g_min_us=0.0, adc_bits=24, dac_bits=dac_bits, bipolar_dac=bipolar,
                       subtract_in_analog=subtract)
    plan = TilePlan(200, 24, plan_dense(24, 200, p))
    stats: dict = {}
    y = mvm(program(plan, w, p), x, signed=signed, stats=stats)
    ref = integer_reference(w, x, p, signed)
    assert np.allclose(y, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())
    cost = plan_cost(plan, p, TECH, vectors=len(x), signed=signed)
    assert stats["adc_conversions"] == cost.events[("adc", "convert")]  # functional count = analytic count


def test_cycles_and_conversions_per_mode():
    assert CrossbarParams().cycles(True) == 8  # 7 magnitude bits on a 1-bit DAC + sign cycle
    assert CrossbarParams(dac_bits=8, bipolar_dac=True).cycles(True) == 1  # sign x 7-bit magnitude
    assert CrossbarParams(dac_bits=2, bipolar_dac=True).cycles(True) == 7
    assert CrossbarParams(dac_bits=8, bipolar_dac=True).cycles(False) == 2  # 8 unsigned bits, 7 per cycle
    with pytest.raises(CrossbarError, match="bipolar_dac"):
        CrossbarParams(dac_bits=1, bipolar_dac=True)
    p, q = CrossbarParams(), CrossbarParams(subtract_in_analog=True)
    c_p = plan_cost(TilePlan(128, 16, plan_dense(16, 128, p)), p, TECH)
    c_q = plan_cost(TilePlan(128, 16, plan_dense(16, 128, q)), q, TECH)
    assert c_q.events[("adc", "convert")] * 2 == c_p.events[("adc", "convert")]
    assert c_q.events[("xbar", "cell_read")] == c_p.events[("xbar", "cell_read")]  # both devices still read
    assert c_q.latency_ns <= c_p.latency_ns  # half the conversions on the shared ADC (here read-limited: equal)


def test_analog_subtraction_with_noise_is_seeded_and_close(wx):
    w, x = wx
    p = CrossbarParams(rows=64, cols=64, cell_bits=7, dac_bits=8, bipolar_dac=True, subtract_in_analog=True,
                       adc_bits=10, prog_noise_sigma=0.01)
    a, b = _run(p, w, x, seed=5), _run(p, w, x, seed=5)
    assert np.array_equal(a, b)
    ref = x @ w.T
    assert 0 < np.sqrt(np.mean((a - ref) ** 2)) / np.sqrt(np.mean(ref**2)) < 0.15


def test_technology_base_inheritance(tmp_path, monkeypatch):
    ml = load_technology("reram_multilevel")
    assert ml.get("cell_bits_max") == 11 and ml.get("adc_energy_pj_8b") == TECH.get("adc_energy_pj_8b")
    assert "Rao" in ml.source("cell_bits_max") and "ISAAC" in ml.source("adc_latency_ns")
    CrossbarParams(cell_bits=7).with_tech(ml)  # allowed here, refused on reram_1t1r (cell_bits_max 2)
    monkeypatch.setenv("CODESIGN_TECH_DIR", str(tmp_path))
    (tmp_path / "a.json").write_text(json.dumps({"name": "a", "kind": "crossbar", "base": "b", "params": {}}))
    (tmp_path / "b.json").write_text(json.dumps({"name": "b", "kind": "crossbar", "base": "a", "params": {}}))
    with pytest.raises(TechnologyError, match="circular"):
        load_technology("a")
    (tmp_path / "c.json").write_text(json.dumps({"name": "c", "kind": "crossbar", "base": "nope", "params": {}}))
    with pytest.raises(TechnologyError, match="nope"):
        load_technology("c")
    (tmp_path / "d.json").write_text(json.dumps({"name": "d", "kind": "sram", "params": {}, "base": "e"}))
    node = {k: {"value": v, "unit": u, "source": "test fixture node"} for k, v, u in (("node_nm", 32, "nm"), ("vdd_v", 0.9, "V"))}
    (tmp_path / "e.json").write_text(json.dumps({"name": "e", "kind": "crossbar", "params": node}))
    with pytest.raises(TechnologyError, match="expected 'sram'"):
        load_technology("d")
