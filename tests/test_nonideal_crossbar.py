"""Crossbar non-idealities: bit-identical when off, each effect in its physical direction, seeds, errors."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from codesign.cam.crossbar.calibration import calibrate
from codesign.cam.crossbar.model import mvm, program
from codesign.cam.crossbar.params import CrossbarError, CrossbarParams
from codesign.sim.crossbar_mapping import plan_blocks
from codesign.sim.engine import Simulator
from codesign.sim.hardware import crossbar_hw

from _nonideal_models import accuracy, digits_mlp


def _case(**kw):
    rng = np.random.default_rng(7)
    w, x = rng.normal(size=(40, 300)), rng.normal(size=(64, 300))
    p = CrossbarParams(rows=128, cols=128, **kw)
    plan = plan_blocks([(np.arange(300), np.arange(40))], 300, 40, p, "dense")
    return p, plan, w, x


def test_all_off_is_bit_identical_to_the_ideal_model():
    # hash of the integer-exact default configuration before the non-idealities were added (commit b4d05c1)
    p, plan, w, x = _case()
    y = mvm(program(plan, w, p, np.random.default_rng(1)), x)
    assert hashlib.sha256(np.ascontiguousarray(y).tobytes()).hexdigest()[:16] == "f0bcf2ade4fdb6c8"
    off = dict(nonideal="off", read_noise_sigma=0.0, drift_time_s=0.0, stuck_on_rate=0.0, stuck_off_rate=0.0,
               wire_res_ohm=0.0, rows_per_adc=0, adc_calibration="none")
    for kw in ({}, {"prog_noise_sigma": 0.05}, {"adc_bits": None}):
        a = mvm(program(plan, w, CrossbarParams(rows=128, cols=128, **kw), np.random.default_rng(1)), x)
        b = mvm(program(plan, w, CrossbarParams(rows=128, cols=128, **kw, **off), np.random.default_rng(1)), x)
        assert np.array_equal(a, b)


def test_same_seed_same_bits_other_seed_other_device():
    path = digits_mlp()
    kw = dict(prog_noise_sigma=0.05, read_noise_sigma=0.05, stuck_on_rate=0.01)
    runs = [Simulator(path, crossbar_hw(seed=s, **kw)).evaluate(progress=False) for s in (3, 3, 4)]
    sim = Simulator(path, crossbar_hw(seed=3, **kw))
    x = sim.spec.test_inputs
    assert np.array_equal(sim.run(x, batch_size=7).logits, sim.run(x, batch_size=256).logits)  # batch-independent
    a, b = (Simulator(path, crossbar_hw(seed=s, **kw)).run(x).logits for s in (3, 4))
    assert np.array_equal(a, Simulator(path, crossbar_hw(seed=3, **kw)).run(x).logits)
    assert not np.array_equal(a, b)
    assert runs[0].accuracy == runs[1].accuracy


@pytest.mark.parametrize("knob,small,large", [
    ("prog_noise_sigma", 0.02, 0.3), ("read_noise_sigma", 0.02, 0.4), ("stuck_on_rate", 0.001, 0.1),
    ("drift_nu_sigma", 0.01, 0.3), ("wire_res_ohm", 1.0, 2000.0)])
def test_each_effect_costs_accuracy(knob, small, large):
    path = digits_mlp()
    extra = {"drift_time_s": 1e6} if knob.startswith("drift") else {}
    assert accuracy(path, **{knob: small}, **extra) > accuracy(path, **{knob: large}, **extra)


def test_more_rows_per_conversion_cost_accuracy_at_low_adc_resolution_and_calibration_recovers():
    path = digits_mlp()
    few, many = accuracy(path, (0,), adc_bits=3, rows_per_adc=8), accuracy(path, (0,), adc_bits=3, rows_per_adc=64)
    assert few > many
    assert accuracy(path, (0,), adc_bits=4, adc_calibration="percentile") > accuracy(path, (0,), adc_bits=4)
    assert accuracy(path, (0,), adc_bits=8) >= accuracy(path, (0,), adc_bits=3) + 0.05


def test_calibration_is_stored_and_reused():
    path = digits_mlp()
    sim = Simulator(path, crossbar_hw(adc_bits=4, adc_calibration="max"))
    cal = sim.calibrate(sim.spec.golden_inputs)
    assert set(cal) and all(all(fs > 0 for fs in v) for v in cal.values())
    first = sim.run(sim.spec.test_inputs).logits
    assert sim.calibration is cal
    assert np.array_equal(first, sim.run(sim.spec.test_inputs).logits)
    p, plan, w, x = _case(adc_bits=4)
    prog = program(plan, w, p, np.random.default_rng(0))
    fs = calibrate(prog, x, method="max")
    assert prog.calibration == fs and fs[0] < prog.tiles[0].adc.full_scale * 10


def test_rows_per_adc_multiplies_conversions_in_the_cost_model():
    path = digits_mlp()
    rep = {r: Simulator(path, crossbar_hw(rows_per_adc=r)).cost() for r in (0, 16)}
    conv = {r: sum(lc.events.get(("adc", "convert"), 0) for lc in rep[r].layers) for r in rep}
    assert conv[16] > conv[0] and rep[16].total_energy_pj > rep[0].total_energy_pj


@pytest.mark.parametrize("field,value,word", [
    ("read_noise_sigma", -0.1, "read_noise_sigma"), ("prog_noise_sigma", -1.0, "prog_noise_sigma"),
    ("stuck_on_rate", 1.5, "stuck_on_rate"), ("stuck_off_rate", -0.1, "stuck_off_rate"),
    ("drift_time_s", -1.0, "drift_time_s"), ("drift_t0_s", 0.0, "drift_t0_s"), ("rows_per_adc", -2, "rows_per_adc"),
    ("adc_calibration", "median", "adc_calibration"), ("adc_percentile", 120.0, "adc_percentile")])
def test_bad_crossbar_parameters_name_the_field(field, value, word):
    with pytest.raises(CrossbarError, match=word):
        CrossbarParams(**{field: value})


def test_knobs_reachable_from_sweeps_and_checked():
    from codesign.scenarios.scenario import apply_hardware_overrides
    from codesign.scenarios.shipped import ScenarioError
    from codesign.sim.hardware import HardwareConfig

    hw = apply_hardware_overrides(HardwareConfig(), {"cam": {"level_sigma": 0.3, "sense_bits": 6},
                                                     "crossbar": {"read_noise_sigma": 0.02, "rows_per_adc": 16}}, "s.toml")
    assert hw.cam.level_sigma == 0.3 and hw.crossbar.rows_per_adc == 16
    for over, word in (({"crossbar": {"read_noise_sigma": -1.0}}, "read_noise_sigma"),
                       ({"cam": {"stuck_rate": 2.0}}, "stuck_rate"), ({"crossbar": {"drift_time_s": -5.0}}, "drift_time_s")):
        with pytest.raises(ScenarioError, match=word):
            apply_hardware_overrides(HardwareConfig(), over, "s.toml")
