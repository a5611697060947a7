"""Mutated HDF5 model files: one FormatError line naming the file (checksums catch silent changes);
golden mismatches fail ``codesign simulate``; sweep state corruption and failed-point retries."""

from __future__ import annotations

import json
import shutil

import h5py
import numpy as np
import pytest

from codesign.scenarios.cli import main
from codesign.sim.format import FormatError, read_model, write_model
from test_format import _spec

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def model(tmp_path):
    """A tiny model whose golden logits are the simulator's own (so a clean file matches 100 %)."""
    from codesign.sim.engine import Simulator

    spec = _spec()
    res = Simulator(spec).run(spec.golden_inputs, progress=False)
    spec.golden_logits = res.logits.astype(np.float32)
    spec.golden_predictions = res.predictions.astype(np.int64)
    return write_model(tmp_path / "m.h5", spec)


def _cli(capsys, argv):
    try:
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err
    return rc, cap


def _mutated(path, mutate):
    with h5py.File(path, "a") as f:
        mutate(f)
    return path


def _set(f, key, value):
    data = f[key][()]
    del f[key]
    f[key] = value(data)


MUTATIONS = {
    "lut entry changed": lambda f: f["layers/fc/lut"].__setitem__((0, 0, 0), -91),
    "bias deleted": lambda f: f["layers/fc"].__delitem__("bias"),
    "dataset added": lambda f: f["layers/fc"].create_dataset("extra", data=np.zeros(3)),
    "weight retyped": lambda f: _set(f, "layers/conv1/weight", lambda d: d.astype(np.float64)),
    "weight reshaped": lambda f: _set(f, "layers/conv1/weight", lambda d: d.reshape(4, 9)),
    "bias NaN": lambda f: f["layers/fc/bias"].__setitem__(0, np.nan),
    "bias inf": lambda f: f["layers/fc/bias"].__setitem__(0, np.inf),
    "golden logits changed": lambda f: f["golden/logits"].__setitem__((0, 0), 1e9),
    "checksums deleted": lambda f: f.attrs.__delitem__("checksums"),
    "checksums garbage": lambda f: f.attrs.__setitem__("checksums", "{not json"),
    "num_classes absurd": lambda f: f.attrs.__setitem__("num_classes", 10 ** 12),
    "input_shape retyped": lambda f: f.attrs.__setitem__("input_shape", "abc"),
    "type attr retyped": lambda f: f["layers/fc"].attrs.__setitem__("type", 5),
    "layer turned into a dangling link": lambda f: (f["layers"].__delitem__("fc"),
                                                    f["layers"].__setitem__("fc", h5py.SoftLink("/nowhere"))),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutated_model_is_one_format_error(model, capsys, tmp_path, name):
    path = _mutated(model, MUTATIONS[name])
    with pytest.raises(FormatError) as err:
        read_model(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    out = tmp_path / "out"
    rc, cap = _cli(capsys, ["simulate", str(path), "-o", str(out), "--no-progress"])
    assert rc == 2 and str(path) in cap.err.strip().splitlines()[-1]
    assert not out.exists()


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9])
def test_truncated_model(model, cut):
    data = model.read_bytes()
    model.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(FormatError, match=str(model)):
        read_model(model)


@pytest.mark.parametrize("seed", range(12))
def test_bit_flips_never_escape_as_other_errors(model, seed):
    rng = np.random.default_rng(seed)
    data = bytearray(model.read_bytes())
    for pos in rng.integers(0, len(data), 4):
        data[pos] ^= 1 << int(rng.integers(0, 8))
    model.write_bytes(bytes(data))
    try:
        spec = read_model(model)
    except FormatError as exc:
        assert str(model) in str(exc)
        return
    clean = _spec()  # a flip read back without error must have left every array as written
    np.testing.assert_array_equal(spec.layer("fc").arrays["lut"], clean.layer("fc").arrays["lut"])


def test_golden_mismatch_fails_simulate_unless_allowed(tmp_path, capsys):
    path = write_model(tmp_path / "g.h5", _spec())  # random golden logits: the simulator disagrees
    out = tmp_path / "out"
    rc, cap = _cli(capsys, ["simulate", str(path), "-o", str(out), "--no-progress"])
    assert rc == 2 and "golden" in cap.err and "--allow-golden-mismatch" in cap.err
    assert (out / "report.json").is_file()  # reported either way
    rc, cap = _cli(capsys, ["simulate", str(path), "-o", str(out), "--no-progress", "--allow-golden-mismatch"])
    assert rc == 0 and "warning" in cap.err and "golden" in cap.err


def test_clean_simulate_writes_a_manifest(model, tmp_path, capsys):
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "stale.json.tmp").write_text("x")
    (out / "sub" / "old.png.tmp").write_text("x")
    rc, cap = _cli(capsys, ["simulate", str(model), "-o", str(out), "--no-progress"])
    assert rc == 0, cap.err
    man = json.loads((out / "manifest.json").read_text())
    assert man["command"] == "simulate" and man["inputs"][str(model)] == _sha(model)
    assert man["options"]["out"] == str(out) and man["codesign_version"]
    assert not list(out.rglob("*.tmp"))


def _sha(path):
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_format_1_0_files_load_without_checksums(model):
    with h5py.File(model, "a") as f:
        f.attrs["format_version"] = "1.0"
        del f.attrs["checksums"]
    assert read_model(model).name == "tiny"


def test_corrupt_sweep_state_is_one_error(tmp_path):
    from codesign.sim.sweep import ResultStore
    from codesign.sim.sweep.store import StoreError

    store = ResultStore(tmp_path)
    store.create({"fingerprint": "a"}, resume=False)
    (tmp_path / "sweep.json").write_bytes(b"\x00{garbage")
    with pytest.raises(StoreError, match="sweep.json: sweep state file is unreadable or corrupt"):
        ResultStore(tmp_path).create({"fingerprint": "a"}, resume=True)
    (tmp_path / "sweep.json").write_text("{}")
    (tmp_path / "parts" / "part-000000.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(StoreError, match="part-000000.h5: unreadable result part"):
        ResultStore(tmp_path).records()


def _flaky(point, settings):
    if point["x"] == 2 and not settings["fixed"]:
        raise RuntimeError("transient")
    return {"y": point["x"] * 10}


def test_resume_retries_failed_points(tmp_path):
    from codesign.sim.sweep import ResultStore, run_sweep

    points = [{"x": i} for i in range(4)]
    ref = f"{__name__}:_flaky"
    store = ResultStore(tmp_path)
    run_sweep(points, ref, {"fixed": False}, store, meta={"fingerprint": "f"}, workers=1, progress=False)
    _, rows = store.table()
    assert [r["status"] for r in sorted(rows, key=lambda r: r["x"])] == ["ok", "ok", "error", "ok"]
    stats = run_sweep(points, ref, {"fixed": True}, store, meta={"fingerprint": "f"}, resume=True, workers=1,
                      progress=False)
    assert stats["evaluated"] == 1 and stats["skipped"] == 3
    _, rows = store.table()
    assert len(rows) == 4 and all(r["status"] == "ok" for r in rows)
    assert {r["x"]: r["y"] for r in rows} == {0: 0, 1: 10, 2: 20, 3: 30}
    shutil.rmtree(tmp_path / "parts")
