"""shapes10 generator (CIFAR-10 batches: tests/test_data_loaders.py)."""


import numpy as np
import pytest

from codesign.models.data.shapes import make_shapes_dataset


def test_shapes_deterministic_balanced_in_range():
    a = make_shapes_dataset(50, 20, seed=3)
    b = make_shapes_dataset(50, 20, seed=3)
    c = make_shapes_dataset(50, 20, seed=4)
    for u, v in zip(a, b):
        assert np.array_equal(u, v)
    assert not np.array_equal(a[0], c[0])
    xtr, ytr, xte, yte = a
    assert xtr.shape == (50, 3, 32, 32) and xtr.dtype == np.float32 and ytr.dtype == np.int64
    assert xtr.min() >= 0 and xtr.max() <= 1 and np.all(np.bincount(ytr, minlength=10) == 5)
    assert xte.shape == (20, 3, 32, 32) and not np.array_equal(xtr[:20], xte)


