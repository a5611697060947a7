"""Offline 32×32 colour image task: procedural shapes/textures ("shapes10"); CIFAR-10 is models/data/cifar.py.

Stable API (reused by other areas; do not change signatures)::

    make_shapes_dataset(n_train, n_test, seed=0, noise=0.05) -> (xtr, ytr, xte, yte)
    SHAPES_CLASSES  # tuple of the 10 class names, index = label

Images are float32 NCHW (N, 3, 32, 32) in [0, 1]; labels are int64 (N,). Classes are balanced
(label i appears ⌈n/10⌉ or ⌊n/10⌋ times, shuffled). Same seed → identical arrays; train and
test come from independent streams spawned from ``seed``.

shapes10 generation (one image): a random background (base colour + low-frequency linear
gradient), 0–2 small distractor blobs, one foreground object of the class drawn with
anti-aliased edges (signed-distance masks) at a random centre (±4 px), size (radius 8–12 px),
rotation (classes 5/6 only ±15° so "plus" and "x-cross" stay distinct), with a random colour
whose contrast to the background is 0.4–0.8 per image, then Gaussian pixel noise (σ =
``noise``) and clipping to [0, 1]. Classes: 0 disc, 1 ring, 2 square, 3 square frame,
4 triangle, 5 plus, 6 x-cross, 7 striped disc, 8 checkered disc, 9 crescent. A small CNN
reaches roughly 85–95 % test accuracy (not 100 %): low contrast, noise, distractors and
small sizes make some images ambiguous.
"""

from __future__ import annotations


import numpy as np

from codesign.errors import CodesignError

__all__ = ["SHAPES_CLASSES", "DataError", "make_shapes_dataset"]

SHAPES_CLASSES = (
    "disc", "ring", "square", "square_frame", "triangle",
    "plus", "x_cross", "striped_disc", "checkered_disc", "crescent",
)
_SIZE = 32


class DataError(CodesignError, ValueError):
    """Bad or missing dataset input (reported by the CLI as one line)."""


def _sdf(cls: np.ndarray, u: np.ndarray, v: np.ndarray, r: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Signed distance (px, negative inside) of each image's object; u, v: (N, H, W) rotated coords."""
    n = u.shape[0]
    r3 = r[:, None, None]
    d = np.sqrt(u * u + v * v)
    box = np.maximum(np.abs(u), np.abs(v))
    out = np.empty_like(u)
    w = np.maximum(1.2, 0.22 * r3)  # stroke half-width
    sel = {k: cls == k for k in range(10)}
    out[sel[0]] = (d - r3)[sel[0]]
    out[sel[1]] = (np.abs(d - 0.7 * r3) - w)[sel[1]]
    out[sel[2]] = (box - 0.8 * r3)[sel[2]]
    out[sel[3]] = (np.abs(box - 0.65 * r3) - w)[sel[3]]
    # triangle: three half-planes at 120° (apex up), inradius 0.5 r
    tri = np.full_like(u, -np.inf)
    for ang in (np.pi / 2, np.pi / 2 + 2 * np.pi / 3, np.pi / 2 + 4 * np.pi / 3):
        tri = np.maximum(tri, -(u * np.cos(ang) + v * np.sin(ang)) - 0.5 * r3)
    out[sel[4]] = tri[sel[4]]
    plus = np.minimum(np.maximum(np.abs(u) - w, np.abs(v) - r3), np.maximum(np.abs(v) - w, np.abs(u) - r3))
    out[sel[5]] = plus[sel[5]]
    out[sel[6]] = plus[sel[6]]  # rotated by 45° by the caller
    # textured discs: disc ∩ pattern (stripe period 4–6 px)
    period = rng.uniform(4.0, 6.0, size=n)[:, None, None]
    stripes = (np.abs(((u / period) % 1.0) - 0.5) - 0.25) * period
    out[sel[7]] = np.maximum(d - r3, stripes)[sel[7]]
    a, b = (u / period) % 1.0 - 0.5, (v / period) % 1.0 - 0.5  # checks: inside where a·b > 0
    checks = -np.sign(a * b) * np.minimum(np.abs(a), np.abs(b)) * period
    out[sel[8]] = np.maximum(d - r3, checks)[sel[8]]
    d2 = np.sqrt((u - 0.55 * r3) ** 2 + v * v)
    out[sel[9]] = np.maximum(d - r3, 0.8 * r3 - d2)[sel[9]]
    return out


def _generate(labels: np.ndarray, rng: np.random.Generator, noise: float) -> np.ndarray:
    n = len(labels)
    yy, xx = np.mgrid[0:_SIZE, 0:_SIZE].astype(np.float32) + 0.5
    cx = (_SIZE / 2 + rng.uniform(-4, 4, n)).astype(np.float32)[:, None, None]
    cy = (_SIZE / 2 + rng.uniform(-4, 4, n)).astype(np.float32)[:, None, None]
    r = rng.uniform(8.0, 12.0, n).astype(np.float32)
    theta = rng.uniform(-np.pi, np.pi, n)
    theta = np.where((labels == 5) | (labels == 6), rng.uniform(-np.pi / 12, np.pi / 12, n), theta)
    theta = theta + np.where(labels == 6, np.pi / 4, 0.0)
    c, s = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
    dx, dy = xx[None] - cx, yy[None] - cy
    u, v = c * dx + s * dy, -s * dx + c * dy
    alpha = np.clip(0.5 - _sdf(labels, u, v, r, rng), 0.0, 1.0)  # anti-aliased coverage

    bg = rng.uniform(0.15, 0.85, (n, 3, 1, 1))
    grad = rng.normal(0, 0.15, (n, 3, 2, 1, 1))
    bg = bg + grad[:, :, 0] * (xx / _SIZE - 0.5) + grad[:, :, 1] * (yy / _SIZE - 0.5)
    contrast = rng.uniform(0.4, 0.8, (n, 1, 1, 1))
    direction = rng.normal(size=(n, 3, 1, 1))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True) / np.sqrt(3)
    fg = np.clip(bg.mean(axis=(2, 3), keepdims=True) + contrast * direction, 0.0, 1.0)
    img = bg * (1 - alpha[:, None]) + fg * alpha[:, None]

    for _ in range(2):  # distractor blobs (radius 1.5–3 px), each present with p = 0.3
        on = rng.random(n) < 0.3
        bx = rng.uniform(0, _SIZE, n)[:, None, None]
        by = rng.uniform(0, _SIZE, n)[:, None, None]
        br = rng.uniform(1.5, 3.0, n)[:, None, None]
        a = np.clip(br + 0.5 - np.sqrt((xx - bx) ** 2 + (yy - by) ** 2), 0, 1) * on[:, None, None]
        col = rng.uniform(0, 1, (n, 3, 1, 1))
        img = img * (1 - a[:, None]) + col * a[:, None]

    img = img + rng.normal(0, noise, img.shape)
    return np.clip(img, 0.0, 1.0).astype(np.float32)


def make_shapes_dataset(n_train: int, n_test: int, seed: int = 0, noise: float = 0.05):
    """Procedural 10-class 32×32 colour task; returns (xtr, ytr, xte, yte), float32 NCHW in [0, 1]."""
    if n_train < 0 or n_test < 0:
        raise DataError(f"make_shapes_dataset: n_train/n_test must be >= 0, got {n_train}/{n_test}")
    s_train, s_test = np.random.SeedSequence(seed).spawn(2)
    out: list[np.ndarray] = []
    for n, ss in ((n_train, s_train), (n_test, s_test)):
        rng = np.random.default_rng(ss)
        y = rng.permutation(np.arange(n) % 10).astype(np.int64)
        x = np.empty((n, 3, _SIZE, _SIZE), np.float32)
        for start in range(0, n, 2000):  # chunks keep peak memory small
            x[start:start + 2000] = _generate(y[start:start + 2000], rng, noise)
        out += [x, y]
    return tuple(out)
