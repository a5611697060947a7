"""CAM non-idealities on PECAN-D: direction of each effect, wrong-winner report, seeds, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from codesign.cam.cam_array.nonideal import CamNonideal, CamNonidealError, distance_table, program_cells
from codesign.cam.technology import TechnologyError, load_technology
from codesign.sim.engine import Simulator
from codesign.sim.hardware import CamConfig, HardwareConfig, HardwareError
from codesign.sim.synthetic import pecan_cnn

SPEC = pecan_cnn(mode="distance", K=16, act_bits=4)
X = np.random.default_rng(0).normal(size=(96, *SPEC.input_shape)).astype(np.float32)


def _run(**cam):
    return Simulator(SPEC, HardwareConfig(cam=CamConfig(**cam))).run(X, batch_size=32)


def _wrong(**cam) -> float:
    st = _run(**cam).report.extra["nonideal"]
    return sum(v["wrong_winners"] for v in st.values()) / sum(v["searches"] for v in st.values())


def test_ideal_cam_reports_nothing_and_matches_exact_search():
    r = _run()
    assert "nonideal" not in r.report.extra
    assert np.array_equal(r.logits, Simulator(SPEC).run(X).logits)


@pytest.mark.parametrize("knob,small,large", [("level_sigma", 0.05, 0.6), ("sense_sigma", 0.1, 2.0),
                                              ("stuck_rate", 0.002, 0.1), ("sense_bits", 10, 4)])
def test_each_effect_raises_the_wrong_winner_rate(knob, small, large):
    lo, hi = _wrong(**{knob: small}), _wrong(**{knob: large})
    assert lo < hi and hi > 0.02


def test_programming_table_equals_l1_without_variation():
    protos = np.random.default_rng(1).integers(0, 16, size=(2, 5, 3))
    ni = CamNonideal()
    for bpc in (1, 2, 3, 4):
        t = distance_table(program_cells(protos, 4, bpc, ni, np.random.default_rng(0)), 4, bpc)
        v = np.arange(16)
        ref = np.abs(v[None, None, :, None] - protos.transpose(0, 2, 1)[:, :, None, :])
        assert np.array_equal(t, ref.astype(np.float32))


def test_seeds_and_batch_independence():
    a = _run(level_sigma=0.3, sense_sigma=0.5, noise_seed=1)
    b = Simulator(SPEC, HardwareConfig(cam=CamConfig(level_sigma=0.3, sense_sigma=0.5, noise_seed=1))).run(X, batch_size=5)
    c = _run(level_sigma=0.3, sense_sigma=0.5, noise_seed=2)
    assert np.array_equal(a.logits, b.logits)
    assert not np.array_equal(a.logits, c.logits)


def test_technology_defaults_are_used_with_nonideal_tech():
    tech = load_technology("fefet_mcam_2bit")
    ni = CamNonideal.from_tech(tech, sense_sigma=0.9)
    assert ni.level_sigma == tech.get("prog_level_sigma") and ni.sense_sigma == 0.9
    assert "nonideal" in _run(nonideal="tech", technology="fefet_mcam_2bit").report.extra


@pytest.mark.parametrize("field,value", [("level_sigma", -0.1), ("stuck_rate", 1.2), ("sense_sigma", -1.0),
                                         ("sense_bits", -1), ("nonideal", "maybe")])
def test_bad_cam_parameters_name_the_field(field, value):
    with pytest.raises((CamNonidealError, HardwareError), match=field):
        CamConfig(**{field: value})


@pytest.mark.parametrize("key,value", [("prog_level_sigma", -0.2), ("stuck_cell_rate", 1.5), ("sense_noise_sigma", -1)])
def test_bad_technology_values_name_the_parameter(tmp_path, key, value):
    raw = json.loads(load_technology("fefet_mcam").path.read_text())
    raw["params"][key]["value"] = value
    f = tmp_path / "t.json"
    f.write_text(json.dumps(raw))
    with pytest.raises(TechnologyError, match=key):
        load_technology(f)


def test_write_verify_lowers_wrong_winners_and_costs_programming_energy():
    assert _wrong(level_sigma=0.6, write_verify=8) < _wrong(level_sigma=0.6)
    cost = {wv: Simulator(SPEC, HardwareConfig(cam=CamConfig(write_verify=wv))).cost() for wv in (0, 4)}
    prog = {wv: sum(lc.mapping["programming"]["energy_pj"] for lc in cost[wv].layers if lc.target == "cam")
            for wv in cost}
    assert prog[4] > 4 * prog[0] > 0
