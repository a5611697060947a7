"""PyTorch -> HDF5 -> simulator equivalence on real digits networks (PECAN-A and PECAN-D, conv + linear).

The networks are built, their prototypes seeded from digit images and frozen exactly as training
leaves them (training only moves the values; the arithmetic under test is the same), exported,
and executed by the simulator on the CAM/digital targets. PECAN arithmetic is integer-exact, so
logits must be bit-identical and predictions identical on every test image.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from codesign.models.data.digits import load_digits_split
from codesign.models.export import export_model
from codesign.models.nets.digits import NetConfig, build_digits_net
from codesign.models.pecan.layers import PecanConv2d, PecanLinear
from codesign.models.pecan.network import calibrate, freeze_model
from codesign.sim.engine import Simulator
from codesign.sim.format import read_model


def _frozen(variant: str, seed: int = 0):
    split = load_digits_split(seed=0)
    torch.manual_seed(seed)
    model = build_digits_net(variant, NetConfig())
    x = torch.from_numpy(split.x_train[:256])
    model.train()
    with torch.no_grad():
        model(x)  # prototypes seeded from data on the first training batch
    calibrate(model, x)
    freeze_model(model)
    model.eval()
    return model, split


@pytest.mark.parametrize("variant", ["pecan_d", "pecan_a"])
def test_simulator_reproduces_pytorch_bit_exactly(tmp_path, variant):
    model, split = _frozen(variant)
    kinds = {type(m) for m in model.modules()}
    assert PecanConv2d in kinds and PecanLinear in kinds  # both conv and linear PECAN layers are covered
    path = export_model(model, tmp_path / f"{variant}.h5", golden_inputs=split.x_test[:64],
                        golden_labels=split.y_test[:64], test_inputs=split.x_test, test_labels=split.y_test,
                        name=variant)
    spec = read_model(path)
    modes = {l.attrs["mode"] for l in spec.layers if l.type.startswith("pecan")}
    assert modes == {"distance" if variant == "pecan_d" else "angle"}
    sim = Simulator(spec)
    res = sim.run(spec.test_inputs, progress=False)
    with torch.no_grad():
        ref = model(torch.from_numpy(spec.test_inputs)).numpy()
    np.testing.assert_array_equal(res.logits, ref)  # bit-exact
    assert np.array_equal(res.predictions, ref.argmax(1))
    ev = sim.evaluate(which="testset", progress=False)
    assert ev.golden_match == 1.0 and ev.golden_max_abs_diff == 0.0
    targets = {c.layer_type: c.target for c in ev.report.layers}
    expected = "cam" if variant == "pecan_d" else "digital"  # PECAN-A's dot products cannot run on a CAM
    assert targets["pecan_conv2d"] == targets["pecan_linear"] == expected


def test_baseline_network_agrees_to_float_rounding(tmp_path):
    split = load_digits_split(seed=0)
    torch.manual_seed(0)
    model = build_digits_net("baseline", NetConfig()).eval()
    path = export_model(model, tmp_path / "b.h5", golden_inputs=split.x_test[:64], golden_labels=split.y_test[:64])
    spec = read_model(path)
    res = Simulator(spec).run(spec.golden_inputs, progress=False)
    np.testing.assert_allclose(res.logits, spec.golden_logits, rtol=1e-4, atol=1e-5)
    assert np.array_equal(res.predictions, spec.golden_predictions)
