"""OPM data contract (read + validation), windows/day split, and the exported tap classifiers' golden
predictions on the simulator (PECAN-D on the CAM bit-exact; CNN on the digital unit)."""

from __future__ import annotations

import shutil

import h5py
import numpy as np
import pytest
import torch

from codesign.models.export import export_model
from codesign.models.opm.detector import DetectorShape, build_detector, train_detector
from codesign.models.opm.reader import LABEL_NAMES, OpmFormatError, read_opm
from codesign.models.opm.windows import Baseline, SplitError, check_split, day_windows, features, windows
from codesign.optics import load_scenario, save_dataset, simulate_dataset
from codesign.optics.evaluate import scenario_variant
from codesign.scenarios.opmtap.hardware import pick_windows
from codesign.sim.engine import Simulator

COUNTS = {"tap_count": 3, "bend_count": 1, "connector_count": 1, "gain_change_count": 1, "add_drop_count": 1}


@pytest.fixture(scope="module")
def day_files(tmp_path_factory):
    """Two short simulated days of the 3 x 40 km line (different seeds) as OPM data set files."""
    sc = load_scenario("scenarios/optics/line_3x40km.toml")
    raw = scenario_variant(sc.raw, 3 * 3600, COUNTS)
    raw["random_events"]["event_duration_s"] = 900
    d = tmp_path_factory.mktemp("opm")
    paths = []
    for seed in (1, 2):
        p = d / f"day{seed}.h5"
        save_dataset(simulate_dataset(load_scenario(raw, sc.source), seed=seed), p)
        paths.append(p)
    return paths


def test_reader_reads_contract(day_files):
    day = read_opm(day_files[0])
    m, c, t = day.power_dbm.shape
    assert (m, c, t) == (8, 40, 1080) and day.osnr_db.shape == (m, c, t) and day.rx_gsnr_db.shape == (c, t)
    assert day.label_names == LABEL_NAMES and day.seed == 1 and day.sample_period_s == 10.0
    assert set(np.unique(day.label)) >= {0, 1} and day.monitor_names[-1] == "rx"
    with h5py.File(day_files[0]) as f:
        assert f.attrs["format_version"] == "1.1" and '"dBm"' in f.attrs["units_json"]


def _corrupt(src, dst, fn):
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        fn(f)
    return dst


def _replace(name, data):
    def fn(f):
        del f[name]
        f.create_dataset(name, data=data)
    return fn


@pytest.mark.parametrize("case, fn, where", [
    ("format", lambda f: f.attrs.__setitem__("format", "something else"), "attribute 'format'"),
    ("version", lambda f: f.attrs.__setitem__("format_version", "2.0"), "attribute 'format_version'"),
    ("missing", lambda f: f.__delitem__("osnr_db"), "/osnr_db: missing"),
    ("shape", _replace("rx_gsnr_db", np.zeros((40, 7))), "/rx_gsnr_db: shape"),
    ("dtype", _replace("label_type", np.zeros(1080, np.float64)), "/label_type: dtype"),
    ("inf", _replace("power_dbm", np.full((8, 40, 1080), np.inf)), "/power_dbm: 345600 inf"),
    ("nan_time", _replace("time_s", np.full(1080, np.nan)), "/time_s: 1080 NaN/inf"),
    ("code", _replace("label_type", np.full(1080, 9)), "/label_type: codes 9..9"),
    ("labels", lambda f: f.attrs.__setitem__("label_names_json", "not json"), "label_names_json"),
])
def test_reader_rejects_broken_files(day_files, tmp_path, case, fn, where):
    bad = _corrupt(day_files[0], tmp_path / f"{case}.h5", fn)
    with pytest.raises(OpmFormatError) as exc:
        read_opm(bad)
    assert str(bad) in str(exc.value) and where in str(exc.value)


def test_reader_rejects_non_hdf5_and_missing(tmp_path):
    p = tmp_path / "x.h5"
    p.write_text("not hdf5")
    with pytest.raises(OpmFormatError, match="not a readable HDF5 file"):
        read_opm(p)
    with pytest.raises(OpmFormatError, match="file not found"):
        read_opm(tmp_path / "nope.h5")


def test_windows_labels_and_day_split(day_files):
    a, b = read_opm(day_files[0]), read_opm(day_files[1])
    base = Baseline.fit(a)
    w = day_windows(b, base, 32, stride=2)
    assert w.x.shape == (len(w.t), 11, 1, 32) and (w.y == b.label[w.t]).all() and w.t[0] == 31
    full = windows(features(b, base), w.t[:3], 32)
    assert full.shape == (3, 11, 40, 32)
    np.testing.assert_allclose(full.mean(axis=2, keepdims=True), w.x[:3], atol=1e-6)
    check_split([a], [b])
    with pytest.raises(SplitError, match="split by simulated day"):
        check_split([a], [read_opm(day_files[0])])


def test_exported_detector_golden_predictions_on_simulator(day_files, tmp_path):
    """Train tiny CNN and PECAN-D nets (seconds), export, and check the simulator reproduces PyTorch."""
    train, test = read_opm(day_files[0]), read_opm(day_files[1])
    base = Baseline.fit(train)
    tr, va = day_windows(train, base, 32, 2), day_windows(test, base, 32, 8)
    shape = DetectorShape(n_features=11, n_channels=40, window=32, width=8, num_prototypes=8)
    feat = features(test, base)
    t = pick_windows(test.label, 32, 48, seed=0)
    assert len(np.unique(test.label[t])) >= 3  # golden set spans several classes
    xg = windows(feat, t, 32)
    for variant, exact in (("pecan_d", True), ("cnn", False)):
        model, met = train_detector(variant, shape, tr.x, tr.y, va.x, va.y, epochs=3, seed=0)
        path = export_model(model, tmp_path / f"{variant}.h5", golden_inputs=xg, golden_labels=test.label[t],
                            name=f"opm-{variant}")
        sim = Simulator(path)
        ev = sim.evaluate(which="golden")
        assert ev.golden_match == 1.0
        if exact:
            assert ev.golden_max_abs_diff == 0.0
            assert {lc.target for lc in ev.report.layers} >= {"cam"}
        else:
            assert ev.golden_max_abs_diff < 1e-4
        with torch.no_grad():
            assert (sim.run(xg).predictions == model(torch.from_numpy(xg)).argmax(1).numpy()).all()


def test_build_detector_shapes():
    m = build_detector("pecan_d", DetectorShape(15, 40))
    assert m(torch.zeros(2, 15, 40, 32)).shape == (2, 7)
    with pytest.raises(ValueError, match="variant"):
        build_detector("lstm", DetectorShape(15, 40))


def test_optics_loader_checks_format_version(day_files, tmp_path):
    from codesign.optics import OpticsInputError, load_dataset

    assert load_dataset(day_files[0]).n_samples == 1080
    bad = _corrupt(day_files[0], tmp_path / "v2.h5", lambda f: f.attrs.__setitem__("format_version", "2.0"))
    with pytest.raises(OpticsInputError, match="format_version"):
        load_dataset(bad)
