"""Offline 3-D point-cloud classification: generated shapes ("shapes3d") and local ModelNet40 HDF5 files.

    make_pointcloud_dataset(n_train, n_test, seed=0, n_points=1024) -> (xtr, ytr, xte, yte)
    load_modelnet40(data_dir, n_points=1024) -> (xtr, ytr, xte, yte)
    to_model_input(points) -> float32 (N, 3, P, 1): channels = x, y, z; points along H

Point arrays are float32 (N, P, 3), labels int64 (N,). shapes3d classes (:data:`POINTCLOUD_CLASSES`):
six primitives (sphere, cube, cylinder, cone, torus, square pyramid) and four unions (snowman = two
spheres, house = cube + pyramid roof, rocket = cylinder + cone nose, dumbbell = two spheres on a
bar). One sample: points on the surface of the class shape, drawn non-uniformly (4·P uniform
candidates, kept with weight exp(k·x·u) for a random direction u and k ~ U(0, 2)), scaled per axis
by U(0.75, 1.25), rotated by a uniform angle about the up axis (z) and tilted by up to 30° about a
random horizontal axis, centred and scaled into the unit ball, jittered (Gaussian σ = 0.01, clipped
at 0.03), with 0–2 % of the points replaced by outliers uniform in [-1, 1]³, then shuffled.
Classes are balanced; train and test come from independent streams of ``seed`` (fixed split).

ModelNet40: the standard HDF5 release (``modelnet40_ply_hdf5_2048``): files ``ply_data_train*.h5`` and
``ply_data_test*.h5`` with datasets ``data`` float (N, 2048, 3) and ``label`` int (N, 1); the first
``n_points`` points of each cloud are kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from codesign.errors import CodesignError

__all__ = ["POINTCLOUD_CLASSES", "PointCloudDataError", "make_pointcloud_dataset", "load_modelnet40",
           "to_model_input", "sample_shape"]

POINTCLOUD_CLASSES = ("sphere", "cube", "cylinder", "cone", "torus", "pyramid",
                      "snowman", "house", "rocket", "dumbbell")


class PointCloudDataError(CodesignError, ValueError):
    """Bad point-cloud data request or data file; the message names the file/field."""


# -- surface samplers: rng, n -> (n, 3) points of a unit-sized shape centred near the origin ----

def _sphere(rng, n, r=0.5, c=(0.0, 0.0, 0.0)):
    v = rng.standard_normal((n, 3))
    return r * v / np.linalg.norm(v, axis=1, keepdims=True) + np.asarray(c)


def _cube(rng, n, h=0.5, c=(0.0, 0.0, 0.0)):
    p = rng.uniform(-h, h, (n, 3))
    axis = rng.integers(0, 3, n)
    p[np.arange(n), axis] = h * rng.choice([-1.0, 1.0], n)
    return p + np.asarray(c)


def _disc(rng, n, r, z):
    rad, ang = r * np.sqrt(rng.uniform(0, 1, n)), rng.uniform(0, 2 * np.pi, n)
    return np.stack([rad * np.cos(ang), rad * np.sin(ang), np.full(n, z)], 1)


def _cylinder(rng, n, r=0.4, z0=-0.5, z1=0.5, caps=True):
    side, cap = 2 * np.pi * r * (z1 - z0), np.pi * r * r
    k = rng.choice(3, n, p=np.array([side, cap, cap]) / (side + 2 * cap)) if caps else np.zeros(n, int)
    ang = rng.uniform(0, 2 * np.pi, n)
    p = np.stack([r * np.cos(ang), r * np.sin(ang), rng.uniform(z0, z1, n)], 1)
    p[k == 1] = _disc(rng, int((k == 1).sum()), r, z0)
    p[k == 2] = _disc(rng, int((k == 2).sum()), r, z1)
    return p


def _cone(rng, n, r=0.5, z0=-0.5, z1=0.5, base=True):
    slant = np.hypot(r, z1 - z0)
    side, cap = np.pi * r * slant, np.pi * r * r
    on_base = rng.uniform(0, 1, n) < (cap / (side + cap) if base else 0.0)
    u = np.sqrt(rng.uniform(0, 1, n))  # area grows linearly from the apex
    ang = rng.uniform(0, 2 * np.pi, n)
    p = np.stack([u * r * np.cos(ang), u * r * np.sin(ang), z1 - u * (z1 - z0)], 1)
    p[on_base] = _disc(rng, int(on_base.sum()), r, z0)
    return p


def _torus(rng, n, big=0.45, small=0.15):
    u = rng.uniform(0, 2 * np.pi, 3 * n)
    v = rng.uniform(0, 2 * np.pi, 3 * n)
    keep = rng.uniform(0, 1, 3 * n) < (big + small * np.cos(v)) / (big + small)  # area weighting
    u, v = u[keep][:n], v[keep][:n]
    ring = big + small * np.cos(v)
    return np.stack([ring * np.cos(u), ring * np.sin(u), small * np.sin(v)], 1)


def _pyramid(rng, n, h=0.5, z0=-0.5, z1=0.5, base=True):
    apex = np.array([0.0, 0.0, z1])
    corners = np.array([[-h, -h, z0], [h, -h, z0], [h, h, z0], [-h, h, z0]])
    side_area = h * np.hypot(h, z1 - z0) * 2  # each face: base 2h, slant height
    areas = np.array([side_area] * 4 + ([4 * h * h] if base else []))
    face = rng.choice(len(areas), n, p=areas / areas.sum())
    a, b = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    flip = a + b > 1
    a[flip], b[flip] = 1 - a[flip], 1 - b[flip]
    c0, c1 = corners[face % 4], corners[(face + 1) % 4]
    p = apex + a[:, None] * (c0 - apex) + b[:, None] * (c1 - apex)
    on_base = face == 4
    p[on_base] = np.stack([rng.uniform(-h, h, on_base.sum()), rng.uniform(-h, h, on_base.sum()),
                           np.full(on_base.sum(), z0)], 1)
    return p


def _parts(rng, n, parts: list[tuple[float, Callable]]):
    w = np.array([p[0] for p in parts])
    counts = rng.multinomial(n, w / w.sum())
    return np.concatenate([fn(rng, int(k)) for (_, fn), k in zip(parts, counts)])


_SHAPES: dict[str, Callable] = {
    "sphere": _sphere,
    "cube": _cube,
    "cylinder": _cylinder,
    "cone": _cone,
    "torus": _torus,
    "pyramid": _pyramid,
    "snowman": lambda rng, n: _parts(rng, n, [(0.25, lambda g, k: _sphere(g, k, 0.5, (0, 0, -0.35))),
                                              (0.12, lambda g, k: _sphere(g, k, 0.35, (0, 0, 0.5)))]),
    "house": lambda rng, n: _parts(rng, n, [(5.0, lambda g, k: _cube(g, k, 0.4, (0, 0, -0.2))),
                                            (1.8, lambda g, k: _pyramid(g, k, 0.5, 0.2, 0.7, base=False))]),
    "rocket": lambda rng, n: _parts(rng, n, [(2.2, lambda g, k: _cylinder(g, k, 0.25, -0.8, 0.4)),
                                             (0.5, lambda g, k: _cone(g, k, 0.25, 0.4, 0.9, base=False))]),
    "dumbbell": lambda rng, n: _parts(rng, n, [(1.0, lambda g, k: _sphere(g, k, 0.3, (0, 0, -0.65))),
                                               (1.0, lambda g, k: _sphere(g, k, 0.3, (0, 0, 0.65))),
                                               (0.4, lambda g, k: _cylinder(g, k, 0.08, -0.4, 0.4, caps=False))]),
}


def _rotation(rng) -> np.ndarray:
    yaw = rng.uniform(0, 2 * np.pi)
    cz, sz = np.cos(yaw), np.sin(yaw)
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1.0]])
    axis_ang, tilt = rng.uniform(0, 2 * np.pi), np.radians(rng.uniform(0, 30))
    k = np.array([np.cos(axis_ang), np.sin(axis_ang), 0.0])
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    tilt_m = np.eye(3) + np.sin(tilt) * kx + (1 - np.cos(tilt)) * kx @ kx  # Rodrigues
    return tilt_m @ rz


def sample_shape(label: int, rng: np.random.Generator, n_points: int = 1024) -> np.ndarray:
    """One augmented cloud (n_points, 3) float32 of class ``label`` (see the module docstring)."""
    fn = _SHAPES[POINTCLOUD_CLASSES[label]]
    cand = fn(rng, 4 * n_points)
    u = rng.standard_normal(3)
    w = np.exp(rng.uniform(0, 2) * cand @ (u / np.linalg.norm(u)))
    pts = cand[rng.choice(len(cand), n_points, replace=False, p=w / w.sum())]
    pts = (pts * rng.uniform(0.75, 1.25, 3)) @ _rotation(rng).T
    pts -= pts.mean(0)
    pts /= np.linalg.norm(pts, axis=1).max()
    pts += np.clip(rng.normal(0, 0.01, pts.shape), -0.03, 0.03)
    n_out = int(rng.integers(0, n_points // 50 + 1))
    pts[:n_out] = rng.uniform(-1, 1, (n_out, 3))
    return pts[rng.permutation(n_points)].astype(np.float32)


def _split(n: int, rng: np.random.Generator, n_points: int) -> tuple[np.ndarray, np.ndarray]:
    k = len(POINTCLOUD_CLASSES)
    labels = rng.permutation(np.arange(n) % k).astype(np.int64)
    x = np.stack([sample_shape(int(lab), rng, n_points) for lab in labels]) if n else np.zeros((0, n_points, 3), np.float32)
    return x, labels


def make_pointcloud_dataset(n_train: int, n_test: int, seed: int = 0, n_points: int = 1024):
    """shapes3d: ``(xtr, ytr, xte, yte)``; points float32 (N, n_points, 3), labels int64; same seed, same arrays."""
    for name, v in (("n_train", n_train), ("n_test", n_test), ("n_points", n_points)):
        if int(v) < 0 or (name == "n_points" and int(v) < 1):
            raise PointCloudDataError(f"{name} = {v}; expected a positive integer")
    train_rng, test_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(2))
    xtr, ytr = _split(int(n_train), train_rng, int(n_points))
    xte, yte = _split(int(n_test), test_rng, int(n_points))
    return xtr, ytr, xte, yte


def to_model_input(points) -> np.ndarray:
    """(N, P, 3) points -> float32 (N, 3, P, 1), the layout of the PointNet and the exchange format."""
    p = np.asarray(points, dtype=np.float32)
    if p.ndim != 3 or p.shape[2] != 3:
        raise PointCloudDataError(f"points of shape {p.shape}; expected (N, P, 3)")
    return np.ascontiguousarray(p.transpose(0, 2, 1)[..., None])


def _read_h5(path: Path, n_points: int) -> tuple[np.ndarray, np.ndarray]:
    import h5py

    try:
        with h5py.File(path, "r") as f:
            for key in ("data", "label"):
                if key not in f:
                    raise PointCloudDataError(f"{path}: missing dataset /{key}; expected /data (N, P, 3) and /label (N, 1)")
            data, label = np.asarray(f["data"]), np.asarray(f["label"])
    except OSError as exc:
        raise PointCloudDataError(f"{path}: not a readable HDF5 file ({exc})") from None
    if data.ndim != 3 or data.shape[2] != 3 or data.shape[1] < n_points:
        raise PointCloudDataError(f"{path}/data: shape {data.shape}; expected (N, P >= {n_points}, 3)")
    label = label.reshape(-1)
    if len(label) != len(data) or label.dtype.kind not in "iu" or (len(label) and (label.min() < 0 or label.max() > 39)):
        raise PointCloudDataError(f"{path}/label: shape {label.shape}, dtype {label.dtype}; "
                                  f"expected {len(data)} integer labels in 0..39")
    return data[:, :n_points].astype(np.float32), label.astype(np.int64)


def load_modelnet40(data_dir, n_points: int = 1024):
    """ModelNet40 from the standard HDF5 release in ``data_dir`` -> ``(xtr, ytr, xte, yte)``."""
    folder = Path(data_dir)
    if not folder.is_dir():
        raise PointCloudDataError(f"{folder}: not a folder; expected the ModelNet40 HDF5 release (ply_data_*.h5)")
    out = []
    for split in ("train", "test"):
        files = sorted(folder.glob(f"ply_data_{split}*.h5"))
        if not files:
            raise PointCloudDataError(f"{folder}: no ply_data_{split}*.h5 files; expected the ModelNet40 HDF5 release")
        parts = [_read_h5(f, int(n_points)) for f in files]
        out += [np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])]
    return tuple(out)
