"""Chain generator: validity (bipolar test) over many random sizes, budgets, modes and clear errors."""

import random

import numpy as np
import pytest
import torch

from codesign.errors import CodesignError
from codesign.models.debut.layers import DeButLinear, bipolar_test, chain_is_dense, check_chain
from codesign.models.debut.chain import NoChainError, generate_chains, smooth_size


def _check(res, out_size, in_size, budget, mode):
    ch = check_chain(res.chain)
    assert ch[0].q >= in_size and ch[-1].p >= out_size
    assert chain_is_dense(ch) and bipolar_test(ch, seed=7)
    assert res.params == sum(f.params for f in ch)
    if budget is not None:
        assert res.params <= budget
    w = res.widths
    lo = min(ch[0].q, ch[-1].p)
    assert min(w) >= lo
    if mode == "mono":
        diffs = np.diff(w)
        assert (diffs <= 0).all() or (diffs >= 0).all()
    if mode == "bulge":
        assert max(w[1:-1]) > max(w[0], w[-1])


def test_generator_random_sizes():
    rng = random.Random(0)
    ok = 0
    for _ in range(120):
        in_size, out_size = rng.randint(2, 700), rng.randint(2, 700)
        mode = rng.choice(["mono", "bulge", "any"])
        shrink = rng.randint(0, 4)
        budget = (in_size * out_size) >> shrink
        try:
            results = generate_chains(out_size, in_size, shrink=shrink, mode=mode, n=2, pad=True)
        except NoChainError as exc:
            assert str(exc)  # a reason is given
            continue
        for res in results:
            _check(res, out_size, in_size, budget, mode)
        ok += 1
    assert ok >= 60


@pytest.mark.parametrize("out_size, in_size", [(128, 400), (10, 64), (16, 72), (64, 576), (100, 300), (24, 90)])
def test_non_power_of_two_any_cout(out_size, in_size):
    for mode in ("mono", "bulge"):
        res = generate_chains(out_size, in_size, shrink=1, mode=mode)[0]
        _check(res, out_size, in_size, (in_size * out_size) >> 1, mode)


def test_fc1_budget_uses_budget_and_fewest_params():
    res = generate_chains(128, 400, budget=7680)[0]
    assert res.params == 7680 and len(res.chain) == 2
    fewest = generate_chains(128, 400)[0]
    assert fewest.params < 3000 and chain_is_dense(fewest.chain)


def test_prime_sizes_error_or_pad():
    with pytest.raises(NoChainError, match="prime factor 997.*1000"):
        generate_chains(997, 997, budget=100_000)
    res = generate_chains(997, 997, budget=100_000, pad=True)[0]
    assert res.padded and res.chain[0].q == smooth_size(997) and res.params <= 100_000
    layer = DeButLinear(997, 997, res.chain, seed=0)
    x = torch.randn(3, 997)
    assert torch.allclose(layer(x), layer.to_dense()(x), atol=1e-4)


def test_impossible_requests_explain():
    with pytest.raises(NoChainError, match="bulg"):
        generate_chains(1, 64, mode="bulge")
    with pytest.raises(NoChainError, match="smallest has"):
        generate_chains(64, 64, budget=10)
    with pytest.raises(NoChainError, match="not both"):
        generate_chains(64, 64, budget=10, shrink=2)
    assert issubclass(NoChainError, CodesignError)
