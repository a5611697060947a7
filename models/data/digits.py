"""scikit-learn's 8×8 digits, and the split/error types every data loader here shares.

No downloads: digits ship with scikit-learn. MNIST: :mod:`codesign.models.data.mnist`;
CIFAR-10: :mod:`codesign.models.data.cifar`.
Images are float32 NCHW in [0, 1]; labels int64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codesign.errors import CodesignError


class DatasetError(CodesignError, FileNotFoundError):
    """A dataset file is missing or malformed."""


@dataclass(frozen=True)
class Split:
    """A train/test split: x float32 (N, C, H, W) in [0, 1], y int64 (N,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str = ""

    @property
    def num_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1


def load_digits_split(seed: int = 0, test_fraction: float = 0.2) -> Split:
    """scikit-learn's 1797 8×8 digits, pixel/16, stratified train/test split (deterministic in ``seed``)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction={test_fraction}; expected a value in (0, 1)")
    ds = load_digits()
    x = (ds.images.astype(np.float32) / np.float32(16.0))[:, None, :, :]
    y = ds.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=test_fraction, random_state=seed, stratify=y)
    return Split(np.ascontiguousarray(xtr), ytr, np.ascontiguousarray(xte), yte, name="digits")



def load_digits_tensors(seed: int = 0) -> tuple:
    """:func:`load_digits_split` as torch tensors ``(x_train, y_train, x_test, y_test)``."""
    import torch

    sp = load_digits_split(seed=seed)
    return (torch.from_numpy(sp.x_train), torch.from_numpy(sp.y_train),
            torch.from_numpy(sp.x_test), torch.from_numpy(sp.y_test))
