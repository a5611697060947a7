"""Kernel tensor view decompositions and exact shift-layer merging."""

import numpy as np
import pytest
import torch
import torch.nn as nn

from codesign.models.compression.shift import ShiftConv, ShiftResNet, merge_shift_conv, prune_shifts, select_shifts, shift_convs
from codesign.models.compression.tensor_view import decompose_conv, decompose_model, reconstruct_kernel
from codesign.models.nets.resnets import SmallResNet
from codesign.models.metrics import count_macs, count_params

torch.set_num_threads(1)


@pytest.mark.parametrize("form,rank", [("dp", 9), ("pd", 9)])
def test_slicewise_full_rank_is_exact(form, rank):
    torch.manual_seed(0)
    conv = nn.Conv2d(8, 12, 3, 2, 1, bias=True)
    block = decompose_conv(conv, rank, form)
    assert torch.allclose(reconstruct_kernel(block, form), conv.weight, atol=1e-5)
    x = torch.randn(2, 8, 9, 9)
    assert torch.allclose(block(x), conv(x), atol=1e-4)


def test_pdp_reconstructs_kernel_at_its_cp_rank():
    torch.manual_seed(1)
    r = 5
    conv = nn.Conv2d(8, 12, 3, 1, 1, bias=False)
    a, b, c = torch.randn(12, r), torch.randn(8, r), torch.randn(9, r)
    with torch.no_grad():
        conv.weight.copy_(torch.einsum("or,ir,sr->ois", a, b, c).reshape(12, 8, 3, 3))
    block = decompose_conv(conv, r, "pdp")
    assert [type(m) for m in block] == [nn.Conv2d] * 3 and block[1].groups == r
    rel = (reconstruct_kernel(block, "pdp") - conv.weight).norm() / conv.weight.norm()
    assert rel < 1e-4
    # a lower rank cannot be exact
    low = decompose_conv(conv, 2, "pdp")
    assert (reconstruct_kernel(low, "pdp") - conv.weight).norm() / conv.weight.norm() > 1e-2


def test_dp_rank1_is_depthwise_separable_and_smaller():
    m = SmallResNet()
    p0, mac0 = count_params(m), count_macs(m, (3, 32, 32))
    decompose_model(m, "dp", 1)
    assert count_params(m) < p0 / 2 and count_macs(m, (3, 32, 32)) < mac0 / 2
    assert m(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


@pytest.mark.parametrize("stride", [1, 2])
def test_merged_1x1_equals_block_without_shift(stride):
    torch.manual_seed(2)
    sc = ShiftConv(6, 10, stride, expansion=3)
    for bn in (sc.bn_a, sc.bn_b):  # non-trivial BN statistics
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.5, 0.5)
    sc.eval()
    x = torch.randn(3, 6, 8, 8)
    with torch.no_grad():
        ref = sc.bn_b(sc.conv_b(sc.bn_a(sc.conv_a(x))[:, :, ::stride, ::stride]))
        merged = merge_shift_conv(sc)
        assert torch.allclose(merged(x), ref, atol=1e-5)
        assert not torch.allclose(sc(x), ref, atol=1e-3)  # the shift really did something


def test_shift_pruning_selects_and_compresses():
    torch.manual_seed(3)
    m = ShiftResNet().eval()
    x = np.random.default_rng(0).random((32, 3, 32, 32), dtype=np.float32)
    y = np.arange(32) % 10
    rows = select_shifts(m, x, y, target_saving=0.3)
    n = len(shift_convs(m))
    assert len(rows) == n and any(r["selected"] for r in rows)
    p0 = count_params(m)
    saved = sum(r["saved_params"] for r in rows if r["selected"])
    assert 0.2 * p0 <= saved <= 0.4 * p0  # target 0.3 ± tolerance 0.1
    prune_shifts(m, [r["index"] for r in rows if r["selected"]])
    assert count_params(m) == p0 - saved and len(shift_convs(m)) < n
    assert m(torch.as_tensor(x[:2])).shape == (2, 10)


def test_shiftnet_relu_option_sits_between_bn_and_shift():
    """ShiftNet's module: conv1×1 → BN → ReLU → shift → conv1×1 → BN; the merge drops shift and ReLU."""
    torch.manual_seed(4)
    plain, paper = ShiftConv(4, 6, 1, expansion=3), ShiftConv(4, 6, 1, expansion=3, relu=True)
    paper.load_state_dict(plain.state_dict())
    plain.eval(), paper.eval()
    x = torch.randn(2, 4, 7, 7)
    with torch.no_grad():
        ref = paper.bn_b(paper.conv_b(paper.shift(torch.relu(paper.bn_a(paper.conv_a(x))))))
        assert torch.allclose(paper(x), ref, atol=1e-6)
        assert not torch.allclose(paper(x), plain(x), atol=1e-3)
        assert torch.allclose(merge_shift_conv(paper)(x), merge_shift_conv(plain)(x), atol=1e-6)
    m = ShiftResNet(widths=(4, 8, 8), in_channels=1, relu=True)
    assert all(sc.relu for _, _, sc in shift_convs(m)) and not any(sc.relu for _, _, sc in shift_convs(ShiftResNet()))
    assert m(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
