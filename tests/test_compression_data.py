"""shapes10 generator and the local CIFAR-10 pickle loader."""

import pickle

import numpy as np
import pytest

from codesign.models.data.shapes import DataError, load_cifar10_pickles, make_shapes_dataset


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


def test_cifar_pickles(tmp_path):
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        d = {b"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8), b"labels": list(range(4))}
        (tmp_path / name).write_bytes(pickle.dumps(d))
    xtr, ytr, xte, yte = load_cifar10_pickles(tmp_path)
    assert xtr.shape == (20, 3, 32, 32) and xte.shape == (4, 3, 32, 32) and xtr.max() <= 1.0
    (tmp_path / "test_batch").unlink()
    with pytest.raises(DataError, match="test_batch"):
        load_cifar10_pickles(tmp_path)
