"""The paper's unsupervised method: label matching, coarse/span/two-tap localization, AR(1) OPM noise, benign events."""

import numpy as np
import pytest

from codesign.optics import OpticsInputError, load_scenario, simulate_dataset
from codesign.optics.benign import CAUSES, EventAttributor, window_classes
from codesign.optics.evaluate import scenario_variant
from codesign.optics.opm_noise import ar1_noise, ar1_rho, offset_wander
from codesign.optics.scenario import LABEL_CODES
from codesign.optics.unsup_eval import score_single, score_two_taps, two_tap_scenario, with_noise
from codesign.optics.unsupervised import ClusterTapDetector, label_matching_accuracy, window_truth

SCEN = "scenarios/optics/optics_default.toml"
LINE3 = "scenarios/optics/line_3x40km.toml"


@pytest.fixture(scope="module")
def clean_taps():
    raw = with_noise(load_scenario(SCEN).raw, "iid")
    sc = load_scenario(scenario_variant(raw, 12 * 3600, {"tap_count": 6}, 1.0))
    return sc, simulate_dataset(sc, seed=21)


def test_label_matching_is_hungarian():
    y = np.array([0, 0, 0, 1, 1, 2])
    assert label_matching_accuracy(y, np.array([5, 5, 5, 3, 3, 9])) == 1.0  # any renaming of clusters
    assert label_matching_accuracy(y, np.array([1, 1, 1, 1, 1, 1])) == pytest.approx(0.5)
    assert label_matching_accuracy(np.array([0, 0, 1, 1]), np.array([0, 1, 2, 3])) == pytest.approx(0.5)


def test_unsupervised_clean_single_taps(clean_taps):
    sc, ds = clean_taps
    r = score_single(ds, sc.line)
    assert r["tap_windows"] > 100
    assert r["label_matching_rx"] >= 0.99 and r["label_matching_rx+inline"] >= 0.99
    assert r["span"] >= 0.99 and r["false_span_flags"] <= 0.01
    assert r["coarse"] >= 0.95  # receiver data alone name the span (constant-gain EDFAs)
    det = ClusterTapDetector().fit(ds)  # fit() never looks at labels
    assert det.predict(ds).shape == window_truth(ds, 6)["type"].shape


def test_two_simultaneous_taps_found_on_their_spans():
    raw = with_noise(load_scenario(LINE3).raw, "iid")
    raw["random_events"]["tap_loss_db"] = [0.5, 2.0]
    ds = simulate_dataset(load_scenario(two_tap_scenario(raw, 12 * 3600, 3, seed=2)), seed=22)
    assert {e["span"] for e in ds.events} and len(ds.events) == 6
    r = score_two_taps(ds)
    assert r["two_tap_windows"] > 50 and r["two_taps"] >= 0.95


def test_ar1_noise_has_the_configured_autocorrelation():
    rho = ar1_rho(10.0, 60.0)
    assert rho == pytest.approx(np.exp(-10 / 60))
    x = ar1_noise(np.random.default_rng(0), (40, 4000), 0.2, rho, axis=1)
    lag = lambda k: np.mean([np.corrcoef(a[:-k], a[k:])[0, 1] for a in x])  # noqa: E731
    assert x.std() == pytest.approx(0.2, rel=0.03)
    assert lag(1) == pytest.approx(rho, abs=0.02) and lag(5) == pytest.approx(rho ** 5, abs=0.03)
    w = offset_wander(np.random.default_rng(1), 3, 20000, 10.0, 0.5, 0.25)
    assert np.abs(w).max() <= 0.25 + 1e-12 and w.std() > 0.05


def test_ar1_scenario_readings_are_time_correlated():
    raw = load_scenario(LINE3).raw
    raw = {**raw, "opm": {"noise_model": "ar1", "offset_wander_db_per_sqrt_h": 0.0, "noise_corr_time_s": 100.0}}
    ds = simulate_dataset(load_scenario(scenario_variant(raw, 4 * 3600)), seed=3)
    err = (ds.power_dbm - ds.true_power_dbm)[-1]
    err = err - err.mean(axis=1, keepdims=True)
    lag1 = np.mean([np.corrcoef(a[:-1], a[1:])[0, 1] for a in err])
    assert lag1 == pytest.approx(np.exp(-10 / 100), abs=0.05)
    iid = simulate_dataset(load_scenario(scenario_variant(with_noise(raw, "iid"), 4 * 3600)), seed=3)
    e2 = (iid.power_dbm - iid.true_power_dbm)[-1]
    assert abs(np.mean([np.corrcoef(a[:-1], a[1:])[0, 1] for a in e2 - e2.mean(1, keepdims=True)])) < 0.05


@pytest.mark.parametrize("opm, field", [
    ({"noise_model": "pink"}, "opm.noise_model"),
    ({"noise_model": "ar1", "averaging": 4.0}, "opm.averaging"),
    ({"noise_model": "ar1", "noise_corr_time_s": 0.0}, "opm.noise_corr_time_s"),
    ({"noise_model": "ar1", "offset_max_db": -0.1}, "opm.offset_max_db"),
    ({"noise_model": "ar1", "offset_wander_db_per_sqrt_h": "fast"}, "opm.offset_wander_db_per_sqrt_h"),
])
def test_bad_noise_parameters_give_one_clear_error(opm, field):
    raw = {**load_scenario(LINE3).raw, "opm": opm}
    with pytest.raises(OpticsInputError) as exc:
        load_scenario(raw, "bad.toml")
    assert exc.value.field == field and "bad.toml" in str(exc.value)


@pytest.mark.parametrize("kw, field", [({"rho": 1.0}, "rho"), ({"rho": -0.2}, "rho"), ({"sigma": -1.0}, "sigma")])
def test_bad_ar1_arguments(kw, field):
    args = {"sigma": 0.1, "rho": 0.5, **kw}
    with pytest.raises(OpticsInputError) as exc:
        ar1_noise(np.random.default_rng(0), (2, 10), **args)
    assert exc.value.field == field


def test_benign_events_attributed_by_physics():
    raw = with_noise(load_scenario(SCEN).raw, "iid")
    counts = {"tap_count": 2, "connector_count": 2, "gain_change_count": 2, "add_drop_count": 2}
    ds = simulate_dataset(load_scenario(scenario_variant(raw, 12 * 3600, counts)), seed=5)
    y, c = window_classes(ds, 6), EventAttributor().fit(ds).predict(ds)
    main = lambda name: CAUSES[np.bincount(c[y == LABEL_CODES[name]]).argmax()]  # noqa: E731
    assert main("tap") == "tap-like loss" and main("connector") == "ramp"
    assert main("gain_change") == "amplifier" and main("add_drop") == "channels"
    assert np.mean(c[y == 0] > 0) < 0.01


def test_cli_bad_scenario_is_one_error(tmp_path, capsys):
    from codesign.scenarios.cli import main

    bad = tmp_path / "bad.toml"
    bad.write_text('[line]\nn_spans = 3\n[time]\nduration_s = 3600\n[opm]\nnoise_model = "pink"\n')
    assert main(["optics", "unsupervised", str(bad), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "opm.noise_model" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
