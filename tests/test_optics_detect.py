"""Data set determinism/HDF5 round trip, detector and localizer on held-out seeds."""

import numpy as np
import pytest

from codesign.optics import TapDetector, TapLocalizer, load_dataset, load_scenario, save_dataset, simulate_dataset
from codesign.optics.evaluate import scenario_variant, score_run

SCEN = "scenarios/optics/optics_default.toml"


@pytest.fixture(scope="module")
def raw():
    return load_scenario(SCEN).raw


def test_dataset_deterministic_and_roundtrip(tmp_path, raw):
    sc = load_scenario(scenario_variant(raw, 3600, {"tap_count": 1, "gain_change_count": 1}))
    a, b = simulate_dataset(sc, seed=5), simulate_dataset(sc, seed=5)
    np.testing.assert_array_equal(a.power_dbm, b.power_dbm)
    assert a.power_dbm.shape == (len(a.monitor_names), 40, 360)
    assert set(np.unique(a.label_type)) >= {0, 1, 4}
    p = save_dataset(a, tmp_path / "d.h5")
    c = load_dataset(p)
    np.testing.assert_array_equal(c.osnr_db, a.osnr_db)
    assert c.events == [dict(e) for e in a.events] and c.monitor_names == a.monitor_names
    assert not (tmp_path / "d.h5.tmp").exists()


@pytest.mark.parametrize("mode", ["gain", "power"])
def test_detector_held_out_seeds(raw, mode):
    train = simulate_dataset(load_scenario(scenario_variant(raw, 6 * 3600, amp_mode=mode)), seed=11)
    det = TapDetector(use_inline=(mode == "power")).fit(train)
    loc = TapLocalizer().fit(train)
    test = simulate_dataset(load_scenario(scenario_variant(raw, 4 * 3600, {"tap_count": 3}, 1.0, mode)), seed=12)
    r = score_run(test, det, loc)
    assert r["detection"] >= 0.95
    assert r["false_alarm"] <= 0.03
    assert r["span_accuracy"] >= 0.9
    assert det.predict(test).shape == test.label_type.shape


def test_baseline_reanchors_after_an_event_but_not_during_a_tap():
    from codesign.optics.features import adaptive_residual

    rng = np.random.default_rng(0)
    t = 3000
    f = rng.normal(0, 1, (t, 2)) + np.linspace(0, 75, t)[:, None] * np.array([1.0, 0.0])  # slow drift in feature 0
    f[1000:1200] += np.array([-50.0, 10.0])  # an event that ends (the drift continues meanwhile)
    f[2000:] += np.array([-80.0, 0.0])  # a tap that stays
    sd, dsd = np.ones(2), np.array([0.12, 0.0])
    old = adaptive_residual(f, sd, 60.0, 4.0, 30, dsd, lag=0)
    new = adaptive_residual(f, sd, 60.0, 4.0, 30, dsd, lag=6)
    after = slice(1220, 1990)
    assert np.mean(np.abs(new[after]).max(axis=1) > 4) < 0.01  # re-anchored once the event ended
    assert np.all(np.abs(new[1010:1195, 0]) > 20)  # the event itself stays flagged
    assert np.all(np.abs(new[2010:, 0]) > 20)  # a persistent tap is not learned away
    assert np.mean(np.abs(old[after]).max(axis=1) > 4) > 0.5  # the old latch stays frozen after the event
