"""All-DeBut PointNet: parameter ratio, equal-parameter baselines, BN folding, export and golden runs on the simulator."""

import numpy as np
import pytest
import torch
from torch import nn

from codesign.models.debut.alldebut import (fold_batchnorm_debut, lowrank_ranks, nonzero_params, plan_for_ratio,
                                            prune_to)
from codesign.models.debut.chain import NoChainError
from codesign.models.debut.layers import DeButConv2d, DeButLinear, chain_params
from codesign.models.debut.swap import swap_layers
from codesign.models.export import ExportError, model_spec
from codesign.models.metrics import count_params
from codesign.models.nets.pointnet import PointNet
from codesign.sim.engine import Simulator
from codesign.sim.hardware import crossbar_hw


@pytest.fixture(scope="module")
def full_plan():
    return plan_for_ratio(PointNet(10, seed=0), 0.05)


def test_all_debut_pointnet_is_at_most_5_percent(full_plan):
    dense = PointNet(10, seed=0)
    alld = swap_layers(dense, full_plan, init="random", seed=0)
    ratio = count_params(alld) / count_params(dense)
    assert count_params(dense) == 810_378 and ratio <= 0.05 and ratio > 0.04  # close to the budget, not far under
    assert not any(isinstance(m, (nn.Conv2d, nn.Linear)) for m in alld.modules())  # every layer replaced
    assert sum(isinstance(m, (DeButConv2d, DeButLinear)) for m in alld.modules()) == 8
    with pytest.raises(NoChainError, match="smallest chains"):
        plan_for_ratio(PointNet(10), 0.01)


def test_equal_parameter_baselines(full_plan):
    dense = PointNet(10, seed=0)
    sizes = {"mlp1.12": (1024, 128), "classifier.0": (512, 1024)}
    ranks = lowrank_ranks(dense, full_plan)
    for name, (o, i) in sizes.items():
        assert ranks[name] * (o + i) <= chain_params(full_plan[name]) < (ranks[name] + 1) * (o + i)
    keep = {n: chain_params(c) for n, c in full_plan.items()}
    pruned = prune_to(PointNet(10, seed=0), keep)
    others = count_params(dense) - sum(p.weight.numel() for p in dense.modules() if isinstance(p, (nn.Conv2d, nn.Linear)))
    assert nonzero_params(pruned) == others + sum(keep.values())
    w = pruned.get_submodule("mlp1.12").weight
    assert int((w != 0).sum()) == keep["mlp1.12"]


def _tiny(seed=0):
    """A narrow PointNet, all-DeBut, with random BatchNorm statistics (untrained but exportable)."""
    torch.manual_seed(seed)
    net = PointNet(5, widths=(16, 16, 32), head=(24,), seed=seed)
    plan = plan_for_ratio(net, 0.5)
    alld = swap_layers(net, plan, init="random", seed=seed)
    for m in alld.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.2)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.normal_(0, 0.2)
    return alld.eval()


def test_fold_batchnorm_into_debut_keeps_outputs():
    model = _tiny()
    x = torch.randn(3, 3, 40, 1)
    ref = model(x)
    fold_batchnorm_debut(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    torch.testing.assert_close(model(x), ref, rtol=1e-4, atol=1e-5)


@pytest.fixture(scope="module")
def tiny_spec():
    model = fold_batchnorm_debut(_tiny())
    x = torch.randn(6, 3, 48, 1, generator=torch.Generator().manual_seed(1))
    return model_spec(model, golden_inputs=x, name="pointnet-debut-tiny")


def test_all_debut_pointnet_golden_on_the_simulator(tiny_spec):
    types = [lay.type for lay in tiny_spec.layers]
    assert types.count("debut_conv2d") == 3 and types.count("debut_linear") == 2 and "global_maxpool" in types
    assert "batchnorm2d" not in types and tiny_spec.input_shape == (3, 48, 1)
    ev = Simulator(tiny_spec).evaluate("golden", progress=False)
    assert ev.golden_match == 1.0 and ev.golden_max_abs_diff < 1e-4
    hw = crossbar_hw(layer_types=("conv2d", "linear", "debut_conv2d", "debut_linear"), ideal=True)
    run = Simulator(tiny_spec, hw=hw).run(tiny_spec.golden_inputs, progress=False)
    np.testing.assert_allclose(run.logits, tiny_spec.golden_logits, atol=1e-3, rtol=1e-3)


def test_dense_pointnet_exports_with_global_maxpool():
    net = PointNet(4, widths=(8, 16), head=(12,), seed=2).eval()
    x = torch.randn(4, 3, 20, 1)
    spec = model_spec(net, golden_inputs=x, name="pointnet-tiny")
    assert [lay.type for lay in spec.layers].count("conv2d") == 2  # BatchNorm folded into the 1x1 convs
    assert spec.layer("pool").type == "global_maxpool"
    ev = Simulator(spec).evaluate("golden", progress=False)
    assert ev.golden_match == 1.0 and ev.golden_max_abs_diff < 1e-4
    with pytest.raises(ExportError, match="no exporter"):
        model_spec(PointNet(4, widths=(8, 16), head=(12,), input_transform=True).eval(), input_shape=(3, 20, 1))
