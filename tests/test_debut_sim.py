"""DeBut export (schema validation) and simulation: digital and ideal crossbars equal PyTorch."""

from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from codesign.models.debut.layers import DeButConv2d, DeButLinear
from codesign.models.debut.chain import generate_chain
from codesign.models.debut.export import sequential_spec
from codesign.sim.format import FormatError, read_model, validate_model, write_model


def _net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(
        DeButConv2d(2, 6, 3, generate_chain(6, 18, mode="any", budget=90), padding=1, seed=seed), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(),
        DeButLinear(6 * 3 * 3, 20, generate_chain(20, 54, shrink=1, pad=True), seed=seed + 1), nn.ReLU(),
        DeButLinear(20, 5, generate_chain(5, 20, mode="any"), seed=seed + 2),
    )


@pytest.fixture(scope="module")
def spec_and_model():
    model = _net()
    x = torch.randn(16, 2, 6, 6)
    spec = sequential_spec(model, (2, 6, 6), 5, "debut_test", golden=x, test_x=x, test_y=model(x).argmax(1))
    return spec, model, x


def test_export_roundtrip(tmp_path, spec_and_model):
    spec, _, _ = spec_and_model
    path = write_model(tmp_path / "m.h5", spec)
    back = read_model(path)
    lay = back.layer("0")
    assert lay.type == "debut_conv2d" and lay.attrs["column_order"] == "ci_kh_kw"
    assert lay.arrays["chain"].shape == (lay.attrs["n_factors"], 5)


@pytest.mark.parametrize("mutate, msg", [
    (lambda a: a["chain"].__setitem__((0, 2), 0), "positive"),
    (lambda a: a["chain"].__setitem__((0, 0), a["chain"][0, 0] + 1), "q·r/s|p = |expected p"),
    (lambda a: a.pop("factor_0"), "factor_0: missing"),
    (lambda a: a.__setitem__("factor_0", a["factor_0"][:1]), "factor_0: shape"),
])
def test_bad_chain_rejected(spec_and_model, mutate, msg):
    spec, _, _ = spec_and_model
    import copy
    bad = copy.deepcopy(spec)
    mutate(bad.layers[4].arrays)
    with pytest.raises(FormatError, match=msg):
        validate_model(bad, "bad.h5")


@pytest.mark.parametrize("target, mapping", [("digital", None), ("crossbar", "diagonal"), ("crossbar", "block"),
                                             ("crossbar", "dense")])
def test_simulator_equals_pytorch(spec_and_model, target, mapping):
    from codesign.sim.engine import Simulator
    from codesign.sim.hardware import HardwareConfig, crossbar_hw

    spec, model, x = spec_and_model
    hw = HardwareConfig()
    if target == "crossbar":
        hw = crossbar_hw(ideal=True, debut_mapping=mapping)
    hw = replace(hw, targets={**hw.targets, "debut_linear": target, "debut_conv2d": target})
    res = Simulator(spec, hw=hw).run(x.numpy(), progress=False)
    ref = model(x).detach().numpy()
    assert np.array_equal(res.predictions, ref.argmax(1))
    assert np.allclose(res.logits, ref, atol=1e-4, rtol=1e-4)
    rep = res.report
    assert rep.total_energy_pj > 0 and rep.latency_ns > 0
    costs = {c.layer: c for c in rep.layers}
    assert costs["4"].target == target and 0 < costs["4"].utilization <= 1


def test_packed_mappings_use_fewer_tiles(spec_and_model):
    from codesign.sim.hardware import crossbar_hw
    from codesign.cam.technology import load_technology
    from codesign.sim.executors.debut import utilization_table

    hw = crossbar_hw()
    p = hw.crossbar.with_tech(load_technology(hw.crossbar.technology))
    rows = utilization_table([(256, 256, 2, 2, 16), (160, 400, 16, 40, 1)], p)
    by = {(tuple(r["factor"]), r["mapping"]): r for r in rows}
    for f in ((256, 256, 2, 2, 16), (160, 400, 16, 40, 1)):
        assert by[(f, "diagonal")]["tiles"] <= by[(f, "dense")]["tiles"]
        assert by[(f, "diagonal")]["utilization"] >= by[(f, "dense")]["utilization"]


def test_fx_exporter_registry(tmp_path):
    import codesign.models.debut.export  # noqa: F401  (registers DeBut in EXPORTERS)
    from codesign.models.export import EXPORTERS, export_model

    assert DeButLinear in EXPORTERS and DeButConv2d in EXPORTERS
    model = _net()
    x = torch.randn(4, 2, 6, 6)
    back = read_model(export_model(model, tmp_path / "fx.h5", golden_inputs=x, golden_labels=torch.zeros(4, dtype=torch.long)))
    assert [l.type for l in back.layers if l.type.startswith("debut")] == ["debut_conv2d", "debut_linear", "debut_linear"]
