"""The HDF5 exchange format: round trip, atomic writes, and one clear error per bad input."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from codesign.sim.format import FormatError, LayerSpec, ModelSpec, read_model, write_model


def _spec(rng: np.random.Generator | None = None) -> ModelSpec:
    rng = rng or np.random.default_rng(0)
    layers = [
        LayerSpec("conv1", "conv2d", ["input"],
                  dict(in_channels=1, out_channels=4, kernel_size=[3, 3], stride=[1, 1], padding=[1, 1], groups=1),
                  dict(weight=rng.normal(size=(4, 1, 3, 3)).astype(np.float32), bias=np.zeros(4, np.float32))),
        LayerSpec("relu1", "relu", ["conv1"]),
        LayerSpec("pool1", "maxpool2d", ["relu1"], dict(kernel_size=[2, 2], stride=[2, 2], padding=[0, 0])),
        LayerSpec("flat", "flatten", ["pool1"]),
        LayerSpec("fc", "pecan_linear", ["flat"],
                  dict(in_features=64, out_features=10, mode="distance", num_subspaces=4, num_prototypes=8,
                       subvector_dim=16, act_bits=4, act_signed=0, act_scale=0.125, lut_bits=8, lut_scale=0.01),
                  dict(prototypes=rng.integers(0, 16, (4, 8, 16)).astype(np.int32),
                       lut=rng.integers(-128, 128, (4, 8, 10)).astype(np.int32),
                       bias=np.zeros(10, np.float32))),
    ]
    n = 3
    return ModelSpec("tiny", (1, 8, 8), 10, layers,
                     golden_inputs=rng.random((n, 1, 8, 8)).astype(np.float32),
                     golden_logits=rng.normal(size=(n, 10)).astype(np.float32),
                     golden_predictions=np.arange(n, dtype=np.int64),
                     golden_labels=np.arange(n, dtype=np.int64),
                     metadata={"accuracy": 0.5})


def test_round_trip(tmp_path):
    spec = _spec()
    path = write_model(tmp_path / "m.h5", spec)
    back = read_model(path)
    assert back.name == "tiny" and back.input_shape == (1, 8, 8) and back.num_classes == 10
    assert [l.name for l in back.layers] == [l.name for l in spec.layers]
    assert back.layer("fc").attrs["mode"] == "distance"
    np.testing.assert_array_equal(back.layer("fc").arrays["lut"], spec.layer("fc").arrays["lut"])
    np.testing.assert_array_equal(back.golden_inputs, spec.golden_inputs)
    assert back.metadata == {"accuracy": 0.5}
    assert back.shapes()["pool1"] == (4, 4, 4)
    assert not list(tmp_path.glob("*.tmp"))


def _corrupt(tmp_path, mutate):
    path = write_model(tmp_path / "m.h5", _spec())
    with h5py.File(path, "a") as f:
        mutate(f)
    return path


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda f: f.attrs.__setitem__("format_version", "2.0"), "format_version '2.0' is not supported"),
        (lambda f: f.attrs.__delitem__("num_classes"), "missing attribute 'num_classes'"),
        (lambda f: f["layers/fc"].attrs.__setitem__("type", "quantum_layer"), "unknown layer type 'quantum_layer'"),
        (lambda f: f["layers/fc"].__delitem__("lut"), "/layers/fc/lut: missing dataset"),
        (lambda f: f["layers/fc"].attrs.__delitem__("act_scale"), "/layers/fc: missing attribute 'act_scale'"),
        (lambda f: f["layers/fc"].attrs.__setitem__("mode", "cosine"), "expected one of ('angle', 'distance')"),
        (lambda f: f["layers/conv1/weight"].__setitem__((0, 0, 0, 0), np.nan), "conv1/weight: contains NaN"),
        (lambda f: f["layers/conv1"].attrs.__setitem__("in_channels", 3), "conv1/weight: shape (4, 1, 3, 3), expected (4, 3, 3, 3)"),
        (lambda f: f["layers/fc"].attrs.__setitem__("inputs", np.array(["ghost"], dtype=h5py.string_dtype())),
         "input 'ghost' is not an earlier layer"),
        (lambda f: f["golden"].__delitem__("logits"), "/golden/logits: missing"),
        (lambda f: f.__delitem__("layers"), "/layers: missing group"),
    ],
)
def test_bad_files_give_one_clear_error(tmp_path, mutate, fragment):
    path = _corrupt(tmp_path, mutate)
    with pytest.raises(FormatError) as err:
        read_model(path)
    assert fragment in str(err.value)
    assert str(path) in str(err.value)


def test_wrong_dataset_shape_and_dtype(tmp_path):
    def reshape(f):
        del f["layers/fc/lut"]
        f["layers/fc"].create_dataset("lut", data=np.zeros((4, 8, 9), np.int32))

    with pytest.raises(FormatError, match=r"fc/lut: shape \(4, 8, 9\), expected \(4, 8, 10\)"):
        read_model(_corrupt(tmp_path, reshape))

    def float_codes(f):
        del f["layers/fc/prototypes"]
        f["layers/fc"].create_dataset("prototypes", data=np.zeros((4, 8, 16), np.float32))

    with pytest.raises(FormatError, match="prototypes: dtype float32, expected an integer dtype"):
        read_model(_corrupt(tmp_path, float_codes))


def test_truncated_and_missing_files(tmp_path):
    path = write_model(tmp_path / "m.h5", _spec())
    data = path.read_bytes()
    trunc = tmp_path / "trunc.h5"
    trunc.write_bytes(data[: len(data) // 3])
    with pytest.raises(FormatError, match="truncated or corrupt"):
        read_model(trunc)
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all")
    with pytest.raises(FormatError, match="not a readable HDF5 file"):
        read_model(junk)
    with pytest.raises(FormatError, match="no such file"):
        read_model(tmp_path / "absent.h5")


def test_write_validates_and_is_atomic(tmp_path):
    spec = _spec()
    spec.layers[-1].arrays["lut"] = spec.layers[-1].arrays["lut"] * 1000  # exceeds 8-bit codes
    target = tmp_path / "bad.h5"
    with pytest.raises(FormatError, match="LUT codes span"):
        write_model(target, spec)
    assert not target.exists() and not list(tmp_path.iterdir())


def test_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    spec = _spec()
    spec.metadata = {"bad": object()}  # fails while writing, after the temp file is opened
    target = tmp_path / "m.h5"
    with pytest.raises(TypeError):
        write_model(target, spec)
    assert not target.exists() and not list(tmp_path.iterdir())


def test_output_shape_must_match_classes():
    spec = _spec()
    spec.num_classes = 7
    with pytest.raises(FormatError, match="does not match num_classes=7"):
        spec.shapes()
