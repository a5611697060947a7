"""Offline datasets for the PECAN models: scikit-learn digits and local MNIST idx files.

No downloads: digits ship with scikit-learn; MNIST is read from idx files the user points at.
Images are float32 NCHW in [0, 1]; labels int64.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

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


_MNIST_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def read_idx(path: str | Path) -> np.ndarray:
    """Read one idx file (optionally gzipped) as a uint8 array with the shape from its header."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as exc:
        raise DatasetError(f"{path}: unreadable idx file: {exc}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DatasetError(f"{path}: header: expected an idx magic 0x0000 08 nd (unsigned byte data)")
    ndim = data[3]
    header = 4 + 4 * ndim
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    need = int(np.prod(dims)) if dims else 0
    if len(data) - header != need:
        raise DatasetError(f"{path}: payload has {len(data) - header} bytes; expected {need} for shape {dims}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def load_mnist_idx(directory: str | Path) -> Split:
    """MNIST from the four standard idx files in ``directory`` (``.gz`` or not); x = pixel/255."""
    directory = Path(directory)
    arrays = {}
    for key, stem in _MNIST_FILES.items():
        cands = [directory / stem, directory / (stem + ".gz"), directory / stem.replace("-idx", ".idx")]
        found = next((c for c in cands if c.exists()), None)
        if found is None:
            raise DatasetError(f"{directory}: missing MNIST file {stem}[.gz]; expected the four idx files "
                               f"{', '.join(_MNIST_FILES.values())} (no downloads are attempted)")
        arrays[key] = read_idx(found)
    for part in ("train", "test"):
        xs, ys = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if xs.ndim != 3 or ys.ndim != 1 or len(xs) != len(ys):
            raise DatasetError(f"{directory}: {part} images {xs.shape} / labels {ys.shape}; expected (N, H, W) and (N,)")
    conv = lambda a: (a.astype(np.float32) / np.float32(255.0))[:, None]  # noqa: E731
    return Split(conv(arrays["x_train"]), arrays["y_train"].astype(np.int64),
                 conv(arrays["x_test"]), arrays["y_test"].astype(np.int64), name="mnist")
