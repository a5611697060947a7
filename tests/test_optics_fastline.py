"""Fused kernel (Line.evaluate) vs the element-by-element numpy reference (Line.evaluate_reference)."""

import numpy as np
import pytest

from codesign.optics import ChannelPlan, Edfa, Fiber, Line, LineState, Transmitter, Voa, load_scenario
from codesign.optics.evaluate import scenario_variant
from codesign.optics.fastline_kernel import db_inplace, exp_inplace, launch

SCEN = "scenarios/optics/optics_default.toml"


def _random_state(line, n, rng, big=False):
    c, k, a = line.plan.n_channels, len(line.spans), len(line.amps)
    return LineState(n, tx_power_offset_db=rng.normal(0, 0.5 if big else 0.05, (n, c)),
                     channel_on=rng.random((n, c)) > 0.1,
                     span_extra_loss_db=np.where(rng.random((n, k)) < 0.3, rng.uniform(0, 3, (n, k)), 0.0),
                     tap_position_km=rng.uniform(0, 80, (n, k)), amp_gain_offset_db=rng.normal(0, 0.7 if big else 0.05, (n, a)))


def _tilted_line():
    plan = ChannelPlan.grid(191.35e12, 191.35e12 + 50e9 * 39, 50e9, power_dbm=2.0)
    el = []
    for i in range(6):
        f = Fiber(f"s{i}", 60.0 + 7 * i, con_in_db=0.5, con_out_db=0.5, dispersion_ps_nm_km=16.7 if i % 2 else 4.0)
        el += [f, Edfa(f"a{i}", gain_db=f.loss_db, tilt_db=0.8, p_max_dbm=20.0,
                       nf_model={"gain_min_db": 15, "gain_max_db": 26, "nf_min_db": 6, "nf_max_db": 10})]
    el.insert(3, Voa("v", 1.0))
    return Line(Transmitter(plan), el)


@pytest.mark.parametrize("which", ["gain", "power", "tilt_vg_voa"])
def test_fast_matches_reference(which):
    if which == "tilt_vg_voa":
        line = _tilted_line()
    else:
        sc = load_scenario(SCEN)
        line = load_scenario(scenario_variant(sc.raw, amp_mode=which), sc.source).line
    rng = np.random.default_rng(3)
    for big, tol in ((False, 0.005), (True, 0.05)):
        st = _random_state(line, 300, rng, big)
        f, r = line.evaluate(st), line.evaluate_reference(st)
        for key in ("mon_power_dbm", "mon_osnr_db", "power_dbm", "osnr_db", "gsnr_db", "gsnr_bw_db", "q_db"):
            a, b = f[key], r[key]
            assert a.shape == b.shape, key
            np.testing.assert_array_equal(np.isfinite(a), np.isfinite(b), err_msg=key)
            ok = np.isfinite(a)
            assert np.max(np.abs(a[ok] - b[ok])) < tol, (key, big)
    nominal = line.evaluate()
    np.testing.assert_allclose(nominal["gsnr_db"], line.evaluate_reference()["gsnr_db"], atol=1e-4)  # float32 NLI sums
    np.testing.assert_allclose(nominal["cd_ps_nm"], line.evaluate_reference()["cd_ps_nm"])
    no_mon = line.evaluate(st, monitors=False)
    assert "mon_power_dbm" not in no_mon
    np.testing.assert_array_equal(no_mon["gsnr_db"], f["gsnr_db"])


def test_recompiles_when_an_element_changes():
    line = _tilted_line()
    g0 = line.evaluate()["gsnr_db"]
    line.amps[0].nf_model = None
    line.amps[0].nf_db = 15.0
    g1 = line.evaluate()["gsnr_db"]
    np.testing.assert_allclose(g1, line.evaluate_reference()["gsnr_db"], atol=1e-4)
    assert np.all(g1 < g0)


def test_fast_db_matches_log10_including_special_values():
    x = np.concatenate([10.0 ** np.random.default_rng(0).uniform(-300, 300, 1000),
                        [0.0, -1.0, np.inf, np.nan, 5e-324, 1.0, 2.0, np.sqrt(2.0)]])
    out = x.copy()[None, None, :]
    db_inplace(out[0, 0], 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ref = 10 * np.log10(x)
    np.testing.assert_array_equal(np.isnan(out[0, 0]), np.isnan(ref))
    ok = np.isfinite(ref)
    np.testing.assert_array_equal(out[0, 0][~ok & ~np.isnan(ref)], ref[~ok & ~np.isnan(ref)])
    assert np.max(np.abs(out[0, 0][ok] - ref[ok])) < 1e-9


@pytest.mark.parametrize("v", [0.0, -0.0, -1.0, -np.inf, np.inf, np.nan, 5e-324, 2.225073858507201e-308,
                               -np.finfo(float).max, np.finfo(float).max, np.finfo(float).tiny])
def test_fast_db_row_detects_a_single_special_value(v):
    """The fast path checks its inputs with one branch-free reduction: one special value among
    ordinary ones must still reach the exact fallback."""
    x = np.linspace(0.5, 3.0, 76)
    x[37] = v
    out = x.copy()[None, None, :]
    db_inplace(out[0, 0], -1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ref = -10 * np.log10(x)
    np.testing.assert_array_equal(np.isnan(out[0, 0]), np.isnan(ref))
    ok = np.isfinite(ref)
    np.testing.assert_array_equal(out[0, 0][~ok & ~np.isnan(ref)], ref[~ok & ~np.isnan(ref)])
    assert np.max(np.abs(out[0, 0][ok] - ref[ok])) < 1e-9


def test_fast_exp_and_launch_match_numpy_including_special_values():
    rng = np.random.default_rng(1)
    y = np.concatenate([rng.uniform(-700, 700, 2000), rng.normal(0, 1, 2000),
                        [0.0, -0.0, 700.0, -700.0, 701.0, -745.5, 710.0, np.inf, -np.inf, np.nan]])
    v = y.copy()
    exp_inplace(v)
    with np.errstate(over="ignore"):
        ref = np.exp(y)
    np.testing.assert_array_equal(np.isnan(v), np.isnan(ref))
    ok = ~np.isnan(ref)
    np.testing.assert_allclose(v[ok], ref[ok], rtol=1e-14, atol=0)
    # launch: x = 10^(off/10) * on (on may be a float factor), 1/x (inf where dark), x^2 in float32
    off = rng.normal(0, 3, (4, 76))
    off[1, 5], off[2, 7], off[3, 9] = np.nan, 1e4, -1e4
    on = np.ones((4, 76))
    on[0, :3] = [0.0, 0.5, 2.0]
    x, ix, q = np.empty((4, 76)), np.empty((4, 76)), np.empty((4, 76), np.float32)
    launch(off, on, x, ix, q)
    with np.errstate(over="ignore", divide="ignore"):
        ref = 10 ** (off / 10) * on
        np.testing.assert_allclose(x, ref, rtol=1e-14)
        np.testing.assert_allclose(ix, 1 / ref, rtol=1e-14)
    np.testing.assert_allclose(q, (ref ** 2).astype(np.float32), rtol=1e-6)
