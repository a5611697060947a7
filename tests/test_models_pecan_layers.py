"""PECAN layers: shapes, soft→hard behaviour, bit-exact quantized arithmetic vs a NumPy reference."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from _pecan_reference import pecan_conv, pecan_vectors
from codesign.models.pecan.layers import PecanConv2d, PecanError, PecanLinear
from codesign.models.pecan.network import calibrate, freeze_model, seed_prototypes, set_hard, set_temperature

torch.set_num_threads(1)


def _trained_like(layer, x, steps=3):
    """Initialise prototypes from data and take a few optimiser steps so codes are non-trivial."""
    opt = torch.optim.Adam(layer.parameters(), lr=1e-2)
    layer.train()
    for _ in range(steps):
        loss = layer(x).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return layer


@pytest.mark.parametrize("mode", ["angle", "distance"])
def test_shapes_and_repr(mode):
    torch.manual_seed(0)
    conv = PecanConv2d(3, 5, 3, stride=2, padding=1, num_prototypes=4, mode=mode)
    assert (conv.num_subspaces, conv.subvector_dim) == (3, 9)
    assert conv(torch.rand(2, 3, 9, 7)).shape == (2, 5, 5, 4)
    lin = PecanLinear(12, 7, subvector_dim=3, num_prototypes=5, mode=mode)
    assert lin(torch.rand(4, 12)).shape == (4, 7)
    assert lin.lut().shape == (4, 5, 7)
    assert f"mode={mode}" in repr(conv) and "K=5" in repr(lin)
    with pytest.raises(PecanError):
        PecanLinear(10, 2, subvector_dim=3)
    with pytest.raises(PecanError):
        PecanLinear(9, 2, subvector_dim=3, mode="cosine")


@pytest.mark.parametrize("mode", ["angle", "distance"])
def test_soft_to_hard(mode):
    torch.manual_seed(1)
    lin = PecanLinear(8, 3, subvector_dim=4, num_prototypes=6, mode=mode)
    x = torch.randn(32, 8)
    lin.train()
    lin(x)  # initialises prototypes from data
    lin.eval()
    hard = lin(x)
    lin.train()
    set_temperature(lin, 1e-4)
    assert torch.allclose(lin(x), hard, atol=1e-4)  # T→0: softmax → argmax
    set_temperature(lin, 100.0)
    assert not torch.allclose(lin(x), hard, atol=1e-3)  # high T: mixture of prototypes
    set_hard(lin, True)
    out = lin(x)
    assert torch.allclose(out, hard, atol=1e-5)  # straight-through: forward equals hard
    out.sum().backward()
    assert lin.prototypes.grad is not None and lin.prototypes.grad.abs().sum() > 0


@pytest.mark.parametrize("mode", ["angle", "distance"])
@pytest.mark.parametrize("signed", [False, True])
def test_quantized_linear_matches_numpy(mode, signed):
    torch.manual_seed(2)
    lin = PecanLinear(12, 5, subvector_dim=4, num_prototypes=7, mode=mode, act_bits=6, lut_bits=9)
    x = torch.randn(64, 12) if signed else torch.rand(64, 12) * 3
    _trained_like(lin, x)
    calibrate(lin, x)
    freeze_model(lin)
    assert lin.act_signed == signed
    x_eval = torch.cat([x, x * 2.0, torch.zeros(1, 12)])  # includes clipping and an all-zero vector
    y = lin(x_eval).numpy()
    ref = pecan_vectors(x_eval.numpy(), lin.pecan_attrs(), lin.proto_codes.numpy(), lin.lut_codes.numpy(),
                        lin.qbias.numpy())
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, ref)


@pytest.mark.parametrize("mode", ["angle", "distance"])
def test_quantized_conv_matches_numpy(mode):
    torch.manual_seed(3)
    conv = PecanConv2d(2, 4, (3, 2), stride=(1, 2), padding=(1, 0), num_prototypes=5, mode=mode)
    x = torch.relu(torch.randn(3, 2, 6, 7))
    _trained_like(conv, x)
    calibrate(conv, x)
    freeze_model(conv)
    y = conv(x).numpy()
    attrs = {**conv.pecan_attrs(), "kernel_size": list(conv.kernel_size), "stride": list(conv.stride),
             "padding": list(conv.padding)}
    ref = pecan_conv(x.numpy(), attrs, conv.proto_codes.numpy(), conv.lut_codes.numpy(), conv.qbias.numpy())
    np.testing.assert_array_equal(y, ref)


def test_quantized_close_to_float_hard():
    torch.manual_seed(4)
    lin = PecanLinear(16, 4, subvector_dim=4, num_prototypes=8, mode="distance", act_bits=8, lut_bits=12)
    x = torch.rand(128, 16)
    _trained_like(lin, x)
    lin.eval()
    with torch.no_grad():
        float_out = lin(x)
        calibrate(lin, x)
        freeze_model(lin)
        q_out = lin(x)
    close = (q_out - float_out).abs().amax(1) <= 0.02 * float(float_out.abs().max())
    assert float(close.float().mean()) > 0.8  # rows with a flipped winner differ; most agree


def test_freeze_rejects_nan_and_uncalibrated():
    lin = PecanLinear(4, 2, subvector_dim=2, num_prototypes=3)
    with pytest.raises(PecanError, match="activation range"):
        lin.freeze()
    with pytest.raises(PecanError, match="before quantized"):
        lin.quantized_forward(torch.zeros(1, 4))
    with torch.no_grad():
        lin.weight[0, 0] = float("nan")
    with pytest.raises(PecanError, match="NaN"):
        lin.freeze(act_min=0.0, act_max=1.0)


@pytest.mark.parametrize("mode", ["angle", "distance"])
def test_null_prototype_matches_numpy(mode):
    torch.manual_seed(5)
    lin = PecanLinear(8, 3, subvector_dim=4, num_prototypes=6, mode=mode)
    lin.null_prototype = True
    x = torch.relu(torch.randn(64, 8))
    _trained_like(lin, x)
    assert lin.prototypes.grad[:, 0].abs().sum() == 0  # prototype 0 is held at zero
    calibrate(lin, x)
    freeze_model(lin)
    assert not lin.proto_codes[:, 0].any() and not lin.lut_codes[:, 0].any()
    x_eval = torch.cat([x, torch.zeros(1, 8)])
    ref = pecan_vectors(x_eval.numpy(), lin.pecan_attrs(), lin.proto_codes.numpy(), lin.lut_codes.numpy(),
                        lin.qbias.numpy())
    np.testing.assert_array_equal(lin(x_eval).numpy(), ref)
    assert torch.equal(lin(torch.zeros(1, 8)), lin.qbias[None])  # zero input → the zero prototype


def test_seed_prototypes_layer_by_layer():
    torch.manual_seed(6)
    model = torch.nn.Sequential(PecanConv2d(1, 4, 3, padding=1, num_prototypes=4, mode="angle"), torch.nn.ReLU(),
                                torch.nn.Flatten(), PecanLinear(64, 3, subvector_dim=4, num_prototypes=5))
    x = torch.rand(20, 1, 4, 4)
    seed_prototypes(model, x, max_vectors=100)
    assert all(bool(m.initialized) and not m.dense and m.capture is None for m in (model[0], model[3]))
    assert model.training
    # conv prototypes are k-means means of the input patches: inside their range
    assert 0 <= float(model[0].prototypes.detach().min()) + 1e-2 and float(model[0].prototypes.detach().max()) <= 1 + 1e-2
