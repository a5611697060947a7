"""ALS warm start lowers the fit error below random init; swap + low-rank utilities."""

import numpy as np
import torch
from torch import nn

from codesign.models.debut.chain import generate_chain
from codesign.models.debut.initialization import als_fit, random_thetas, relative_error
from codesign.models.debut.swap import lowrank_like, swap_layers


def test_als_beats_random_and_decreases():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((64, 6)) @ rng.standard_normal((6, 96)) + 0.2 * rng.standard_normal((64, 96))
    chain = generate_chain(64, 96, budget=1536)
    th0 = random_thetas(chain, seed=1)
    d = relative_error(np.zeros_like(w), chain, th0)  # noqa: F841 (shape check)
    thetas, hist = als_fit(w, chain, sweeps=6, seed=1)
    # best scalar multiple of the random product is hist[0]
    assert hist[-1] < 0.8 * hist[0]
    assert all(b <= a + 1e-9 for a, b in zip(hist, hist[1:]))
    assert abs(relative_error(w, chain, thetas) - hist[-1]) < 1e-6


def test_als_recovers_realizable_target():
    chain = generate_chain(24, 36, shrink=1)
    from codesign.models.debut.layers import chain_dense
    w = chain_dense(chain, random_thetas(chain, seed=5))
    _, hist = als_fit(w, chain, sweeps=10, seed=0)
    assert hist[-1] < 1e-5


def test_swap_layers_als_close_to_dense_and_lowrank():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 16, 12))
    x = torch.randn(4, 2, 4, 4)
    swapped = swap_layers(model, {"0": {"budget": 120, "mode": "any"}, "3": {"shrink": 2}}, init="als")
    assert type(swapped[0]).__name__ == "DeButConv2d" and type(swapped[3]).__name__ == "DeButLinear"
    assert swapped(x).shape == model(x).shape
    full = lowrank_like(model[3], rank=12)  # full rank SVD = same map
    assert torch.allclose(full(x.new_ones(1, 128)), model[3](x.new_ones(1, 128)), atol=1e-4)
