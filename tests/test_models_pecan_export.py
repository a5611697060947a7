"""Export → read_model round trip, golden vectors, BN folding, corrupt models rejected."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from _pecan_reference import pecan_conv, pecan_vectors
from codesign.models.export import ExportError, export_model, fold_batchnorm, model_to_layers
from codesign.models.nets.digits import NetConfig, build_digits_net
from codesign.models.pecan.layers import PECAN_TYPES
from codesign.models.pecan.network import calibrate, freeze_model
from codesign.sim.format import FormatError, read_model

torch.set_num_threads(1)


def _numpy_forward(spec, x):
    """Run the exported layer list in NumPy (PECAN bit-exact reference + simple float layers)."""
    vals = {"input": x}
    for layer in spec.layers:
        h = vals[layer.inputs[0]]
        a, arr = layer.attrs, layer.arrays
        if layer.type == "pecan_conv2d":
            h = pecan_conv(h, a, arr["prototypes"], arr["lut"], arr["bias"])
        elif layer.type == "pecan_linear":
            h = pecan_vectors(h, a, arr["prototypes"], arr["lut"], arr["bias"])
        elif layer.type == "relu":
            h = np.maximum(h, np.float32(0))
        elif layer.type == "maxpool2d":
            k = a["kernel_size"][0]
            n, c, hh, ww = h.shape
            h = h.reshape(n, c, hh // k, k, ww // k, k).max(axis=(3, 5))
        elif layer.type == "flatten":
            h = h.reshape(len(h), -1)
        else:
            raise AssertionError(layer.type)
        vals[layer.name] = h
    return vals[spec.layers[-1].name]


def _small_model(variant, batchnorm=False):
    torch.manual_seed(0)
    model = build_digits_net(variant, NetConfig(channels=(4, 8), num_prototypes=(4, 4, 4), batchnorm=batchnorm))
    x = torch.rand(16, 1, 8, 8)
    model.train()
    model(x)  # initialises prototypes, BN statistics
    model.eval()
    fold_batchnorm(model, into=(nn.Conv2d, *PECAN_TYPES))
    if variant != "baseline":
        calibrate(model, x)
        freeze_model(model)
    return model, x


@pytest.mark.parametrize("variant", ["pecan_a", "pecan_d"])
def test_export_roundtrip_bit_exact(tmp_path, variant):
    model, x = _small_model(variant, batchnorm=True)
    labels = torch.arange(16) % 10
    path = export_model(model, tmp_path / "m.h5", golden_inputs=x, golden_labels=labels, test_inputs=x,
                        test_labels=labels, name=variant, metadata={"acc": 0.5})
    assert not (tmp_path / "m.h5.tmp").exists()
    spec = read_model(path)
    assert [layer.type for layer in spec.layers] == ["pecan_conv2d", "relu", "maxpool2d", "pecan_conv2d", "relu",
                                                     "maxpool2d", "flatten", "pecan_linear"]
    assert spec.input_shape == (1, 8, 8) and spec.num_classes == 10 and spec.metadata["acc"] == 0.5
    with torch.no_grad():
        torch_logits = model(x).numpy()
    np.testing.assert_array_equal(spec.golden_logits, torch_logits)
    np.testing.assert_array_equal(_numpy_forward(spec, x.numpy()), torch_logits)  # bit-exact
    np.testing.assert_array_equal(spec.golden_predictions, torch_logits.argmax(1))


def test_export_baseline_folds_batchnorm(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
                          nn.Linear(3 * 64, 10))
    model.train()
    model(torch.rand(8, 1, 8, 8) * 2)  # non-trivial running stats
    model.eval()
    layers = model_to_layers(model)
    assert [layer.type for layer in layers] == ["conv2d", "relu", "flatten", "linear"]
    x = torch.rand(4, 1, 8, 8)
    spec = read_model(export_model(model, tmp_path / "b.h5", golden_inputs=x, golden_labels=torch.zeros(4)))
    conv = spec.layers[0]
    y = torch.nn.functional.conv2d(x, torch.from_numpy(conv.arrays["weight"]), torch.from_numpy(conv.arrays["bias"]),
                                   padding=1)
    with torch.no_grad():
        np.testing.assert_allclose(y.numpy(), model[1](model[0](x)).numpy(), rtol=1e-5, atol=1e-5)


def test_export_rejects_nan_unfrozen_and_unknown(tmp_path):
    model, x = _small_model("baseline")
    with torch.no_grad():
        model[0].weight[0, 0, 0, 0] = float("nan")
    with pytest.raises(FormatError, match="NaN"):
        export_model(model, tmp_path / "n.h5", golden_inputs=x, golden_labels=torch.zeros(16))
    assert not (tmp_path / "n.h5").exists() and not (tmp_path / "n.h5.tmp").exists()
    torch.manual_seed(0)
    raw = build_digits_net("pecan_d", NetConfig(channels=(4, 8), num_prototypes=(4, 4, 4)))
    with pytest.raises(ExportError, match="not frozen"):
        export_model(raw, tmp_path / "u.h5", golden_inputs=x, golden_labels=torch.zeros(16))
    with pytest.raises(ExportError, match="no exporter"):
        model_to_layers(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Sigmoid()))
