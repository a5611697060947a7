"""DeBut factor/chain algebra: entry formula, support, forward vs to_dense(), validity errors."""

import numpy as np
import pytest
import torch

from codesign.errors import CodesignError
from codesign.models.debut.layers import (ChainError, DeButConv2d, DeButLinear, Factor, bipolar_test, chain_dense,
                                   chain_is_dense, check_chain, factor_dense, factor_support)

PAPER_FC1 = [[256, 400, 16, 25, 1], [256, 256, 2, 2, 16], [128, 256, 1, 2, 32], [128, 128, 2, 2, 32],
             [128, 128, 2, 2, 64]]


def test_factor_entry_formula_and_support():
    f = Factor(12, 18, 2, 3, 2)  # a = 3 blocks
    rng = np.random.default_rng(0)
    th = rng.standard_normal(f.theta_shape)
    m = factor_dense(f, th)
    for b in range(f.a):
        for i in range(f.r):
            for j in range(f.s):
                for d in range(f.t):
                    assert m[b * f.r * f.t + i * f.t + d, b * f.s * f.t + j * f.t + d] == th[b, i, j, d]
    assert np.array_equal(m != 0, factor_support(f))
    assert np.count_nonzero(m) == f.params == f.p * f.s == f.q * f.r


def test_paper_fc1_chain():
    ch = check_chain(PAPER_FC1, 400, 128)
    assert sum(f.params for f in ch) == 7680
    assert chain_is_dense(ch) and bipolar_test(ch)


def test_chain_dense_matches_factor_product():
    ch = check_chain(PAPER_FC1)
    rng = np.random.default_rng(1)
    ths = [rng.standard_normal(f.theta_shape) for f in ch]
    ref = np.eye(400)
    for f, th in zip(ch, ths):
        ref = factor_dense(f, th) @ ref
    assert np.allclose(chain_dense(ch, ths), ref)


@pytest.mark.parametrize("fused", [True, False])
def test_linear_forward_equals_to_dense(fused):
    torch.manual_seed(0)
    m = DeButLinear(400, 128, PAPER_FC1, fused=fused, seed=3)
    x = torch.randn(7, 400)
    ref = x @ torch.from_numpy(chain_dense(m.chain, [t.detach().double().numpy() for t in m.thetas])).float().T + m.bias
    assert torch.allclose(m(x), ref, atol=1e-4)
    assert torch.allclose(m(x), m.to_dense()(x), atol=1e-4)
    assert m.num_params() == 7680 + 128 and "input first" in m.extra_repr()


def test_conv_forward_equals_dense_conv_ci_kh_kw_order():
    chain = [[6, 45, 2, 15, 1], [6, 6, 3, 3, 2]]  # 5 channels · 3×3 = 45 columns -> 6 outputs
    m = DeButConv2d(5, 6, 3, chain, stride=2, padding=1, seed=0)
    x = torch.randn(2, 5, 9, 9)
    dense = m.to_dense()
    assert torch.allclose(m(x), dense(x), atol=1e-5)
    # columns in ci, kh, kw order: the dense matrix is weight.view(co, -1)
    assert torch.allclose(dense.weight.reshape(6, -1), m.dense_matrix())
    assert m.macs(9, 9) == m.macs_per_vector() * 25


def test_non_dense_chain_detected():
    broken = [[8, 8, 2, 2, 1], [8, 8, 2, 2, 1], [8, 8, 2, 2, 4]]  # t-rule broken in factor 1
    assert not chain_is_dense(broken) and not bipolar_test(broken)


@pytest.mark.parametrize("chain, msg", [
    ([[8, 8, 0, 2, 1]], "positive"),
    ([[8, 6, 2, 4, 1]], "divide"),
    ([[6, 8, 2, 2, 1]], "q·r/s"),
    ([[8, 8, 2, 2, 1], [4, 6, 2, 3, 1]], "must equal p"),
    ([[8.5, 8, 2, 2, 1]], "integers"),
    ([], "empty"),
])
def test_bad_chains_rejected(chain, msg):
    with pytest.raises(ChainError, match=msg):
        check_chain(chain)
    assert issubclass(ChainError, CodesignError)


def test_layer_rejects_too_small_chain():
    with pytest.raises(ChainError, match="at least"):
        DeButLinear(10, 8, [[8, 8, 2, 2, 1], [8, 8, 2, 2, 2], [8, 8, 2, 2, 4]])
