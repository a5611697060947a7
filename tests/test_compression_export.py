"""Every compression variant exports to HDF5 and the simulator reproduces PyTorch's logits."""

import copy
import functools

import numpy as np
import pytest
import torch

from codesign.models.compression.export import export_compressed
from codesign.models.compression.ezcrop import collect_scores, prune_channels
from codesign.models.nets.resnets import SmallResNet
from codesign.models.compression.shift import ShiftResNet, prune_shifts
from codesign.models.compression.tensor_view import decompose_model
from codesign.sim.hardware import crossbar_hw
from codesign.sim.engine import Simulator
from codesign.sim.format import read_model

torch.set_num_threads(1)
W = (8, 16, 16)


def _randomize_bn(m):
    g = torch.Generator().manual_seed(0)
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.copy_(torch.rand(mod.num_features, generator=g) * 0.2 - 0.1)
            mod.running_var.copy_(torch.rand(mod.num_features, generator=g) + 0.5)
    return m.eval()


@functools.lru_cache(maxsize=1)
def _variants():
    torch.manual_seed(0)
    dense = _randomize_bn(SmallResNet(W))
    x = np.random.default_rng(0).random((8, 3, 32, 32), dtype=np.float32)
    pruned = copy.deepcopy(dense)
    prune_channels(pruned, collect_scores(pruned, x, "ezcrop")[0], 0.5)
    return {
        "dense": dense,
        "dp": decompose_model(copy.deepcopy(dense), "dp", 2),
        "pd": decompose_model(copy.deepcopy(dense), "pd", 1),
        "pdp": decompose_model(copy.deepcopy(dense), "pdp", 0.5),
        "ezcrop": pruned,
        "shift": _randomize_bn(ShiftResNet(W)),
        "shift_pruned": prune_shifts(_randomize_bn(ShiftResNet(W)), [0, 3, 5]),
    }


@pytest.mark.parametrize("name", ["dense", "dp", "pd", "pdp", "ezcrop", "shift", "shift_pruned"])
def test_variant_exports_and_simulates(name, tmp_path):
    model = _variants()[name]
    x = np.random.default_rng(1).random((4, 3, 32, 32), dtype=np.float32)
    path = export_compressed(model, tmp_path / f"{name}.h5", name, x, np.zeros(4, np.int64))
    spec = read_model(path)
    ev = Simulator(spec).evaluate("golden", progress=False)  # float layers on the digital unit
    assert ev.golden_max_abs_diff < 1e-4 and ev.golden_match == 1.0
    rep = Simulator(spec, hw=crossbar_hw()).cost()
    assert rep.total_energy_pj > 0 and all(0 < c.utilization <= 1 for c in rep.layers if c.target == "crossbar")
