"""CIFAR-10 from the user's "python version" batches (``data_batch_1..5``, ``test_batch``); no downloads.

Each batch is a pickled dict with ``b"data"`` (N, 3072) uint8 (1,024 red, then green, then blue
pixels, rows first) and ``b"labels"`` (N ints 0..9). The folder may be ``cifar-10-batches-py``
itself or the one holding it. Only open batches you trust: the format is Python pickle.
Images float32 (N, 3, 32, 32) = pixel/255; labels int64.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from codesign.models.data.digits import DatasetError, Split

__all__ = ["load_cifar10", "read_cifar_batch", "CIFAR10_TRAIN", "CIFAR10_TEST"]

CIFAR10_TRAIN = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR10_TEST = "test_batch"


def read_cifar_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """One batch file -> (x float32 (N, 3, 32, 32) in [0, 1], y int64 (N,))."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            d = pickle.load(f, encoding="bytes")
    except (OSError, EOFError, pickle.UnpicklingError, ValueError) as exc:
        raise DatasetError(f"{path}: unreadable CIFAR-10 batch: {exc}") from None
    if not isinstance(d, dict) or b"data" not in d or b"labels" not in d:
        raise DatasetError(f"{path}: expected a pickled dict with keys b'data' and b'labels'")
    data = np.asarray(d[b"data"])
    labels = np.asarray(d[b"labels"], dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise DatasetError(f"{path}: field data: {data.dtype} {data.shape}; expected uint8 (N, 3072)")
    if labels.shape != (len(data),) or (labels.size and (labels.min() < 0 or labels.max() > 9)):
        raise DatasetError(f"{path}: field labels: shape {labels.shape}; expected {len(data)} labels in 0..9")
    x = (data.reshape(-1, 3, 32, 32).astype(np.float32) / np.float32(255.0))
    return np.ascontiguousarray(x), labels


def load_cifar10(directory: str | Path) -> Split:
    """The five training batches and the test batch from ``directory`` (or its ``cifar-10-batches-py``)."""
    directory = Path(directory)
    if (directory / "cifar-10-batches-py").is_dir():
        directory = directory / "cifar-10-batches-py"
    if not directory.is_dir():
        raise DatasetError(f"{directory}: --data-dir: not a folder; expected one holding the CIFAR-10 batches")
    names = (*CIFAR10_TRAIN, CIFAR10_TEST)
    missing = [n for n in names if not (directory / n).is_file()]
    if missing:
        raise DatasetError(f"{directory}: missing CIFAR-10 batch file(s) {', '.join(missing)}; expected "
                           f"{', '.join(names)} of the python version (no downloads are attempted)")
    parts = [read_cifar_batch(directory / n) for n in CIFAR10_TRAIN]
    x_test, y_test = read_cifar_batch(directory / CIFAR10_TEST)
    return Split(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                 x_test, y_test, name="cifar10")
