"""Sweep axes -> design points (dicts of knob -> value), grid or seeded random sampling."""

from __future__ import annotations

import hashlib
import itertools
import json
from typing import Any

import numpy as np

Point = dict[str, Any]


def point_key(point: Point, salt: str = "") -> str:
    """Content hash of a point (plus ``salt``, e.g. the evaluator and fixed settings)."""
    blob = json.dumps(point, sort_keys=True, default=str) + "|" + salt
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def grid_points(axes: dict[str, list[Any]]) -> list[Point]:
    """Cartesian product of the axes, in axis order (last axis fastest)."""
    names = list(axes)
    return [dict(zip(names, combo)) for combo in itertools.product(*(axes[n] for n in names))]


def random_points(axes: dict[str, list[Any]], n: int, seed: int) -> list[Point]:
    """``n`` points drawn uniformly from the grid, without repeats while the grid has room."""
    names = list(axes)
    sizes = [len(axes[name]) for name in names]
    total = int(np.prod(sizes, dtype=np.float64))
    rng = np.random.default_rng(seed)
    if n >= total:
        return grid_points(axes)
    flat = rng.choice(total, size=n, replace=False) if total < 10**7 else rng.integers(0, total, size=n)
    points = []
    for f in np.asarray(flat, dtype=np.int64):
        idx = np.unravel_index(int(f), sizes)
        points.append({name: axes[name][int(i)] for name, i in zip(names, idx)})
    return points
