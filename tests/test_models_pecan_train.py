"""Training: smoke test, determinism, divergence error, data loaders; accuracy targets are slow tests."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from codesign.models.data.digits import load_digits_split
from codesign.models.nets.digits import build_digits_net
from codesign.models.train import TrainConfig, TrainingError, train_digits, train_model

torch.set_num_threads(1)
SMALL = dict(channels=(8, 16), num_prototypes=8, warmup_epochs=2)


def test_digits_split_deterministic_and_stratified():
    a, b = load_digits_split(seed=3), load_digits_split(seed=3)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    assert a.x_train.shape[1:] == (1, 8, 8) and a.x_train.dtype == np.float32
    assert 0.0 <= a.x_train.min() and a.x_train.max() <= 1.0
    assert len(a.x_train) + len(a.x_test) == 1797
    counts = np.bincount(a.y_test, minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37
    assert not np.array_equal(load_digits_split(seed=4).y_test, a.y_test)


def test_training_smoke_and_determinism():
    m1, r1 = train_digits("pecan_d", epochs=4, seed=5, progress=False, **SMALL)
    m2, r2 = train_digits("pecan_d", epochs=4, seed=5, progress=False, **SMALL)
    assert r1["quantized"] and r1["test_accuracy"] == r2["test_accuracy"]
    assert r1["test_accuracy"] > 0.2 and r1["train_time_s"] > 0
    x = torch.from_numpy(load_digits_split().x_test[:32])
    with torch.no_grad():
        assert torch.equal(m1(x), m2(x))
    assert all(p.frozen for p in m1.modules() if hasattr(p, "frozen"))


def test_baseline_smoke():
    _, r = train_digits("baseline", epochs=3, progress=False, channels=(4, 8), augment_shift=0)
    assert r["test_accuracy"] > 0.6 and not r["quantized"]


def test_bad_config_and_divergence():
    with pytest.raises(TrainingError, match="unknown hyper"):
        train_digits("pecan_a", epochs=1, progress=False, learning_rate=1.0)
    with pytest.raises(ValueError, match="unknown variant"):
        train_digits("pecan_x", epochs=1, progress=False)
    model = build_digits_net("baseline")
    with torch.no_grad():
        model[0].weight.fill_(float("nan"))
    with pytest.raises(TrainingError, match="loss became nan"):
        train_model(model, load_digits_split(), TrainConfig(epochs=1), progress=False)


@pytest.mark.slow
@pytest.mark.parametrize("variant,target", [("baseline", 0.97), ("pecan_a", 0.97), ("pecan_d", 0.95)])
def test_accuracy_targets(variant, target):
    _, r = train_digits(variant, seed=0, progress=False)
    assert r["test_accuracy"] >= target, r
