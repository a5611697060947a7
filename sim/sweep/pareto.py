"""Pareto fronts (non-dominated points) for any number of objectives."""

from __future__ import annotations

import numpy as np


def _as_minimization(values: np.ndarray, maximize: list[bool] | None) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"objective values must be 2-D (points x objectives), got shape {v.shape}")
    if maximize is not None:
        if len(maximize) != v.shape[1]:
            raise ValueError(f"maximize has {len(maximize)} flags for {v.shape[1]} objectives")
        v = np.where(np.asarray(maximize, dtype=bool)[None, :], -v, v)
    return v


def pareto_mask(values: np.ndarray, maximize: list[bool] | None = None) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``values`` (points x objectives).

    Objectives are minimized unless flagged in ``maximize``. A point is dominated when another
    is no worse in every objective and strictly better in one. Rows with NaN are never on the
    front. Duplicated points are all kept. O(n·f) per front point after a lexicographic sort.
    """
    v = _as_minimization(values, maximize)
    n = v.shape[0]
    mask = np.zeros(n, dtype=bool)
    valid = ~np.isnan(v).any(axis=1)
    idx = np.flatnonzero(valid)
    if idx.size == 0:
        return mask
    order = idx[np.lexsort(v[idx].T[::-1])]
    front: list[int] = []
    for i in order:
        p = v[i]
        if front:
            f = v[front]
            dominated = np.any(np.all(f <= p, axis=1) & np.any(f < p, axis=1))
            if dominated:
                continue
        front.append(i)
    mask[front] = True
    return mask


def pareto_front(values: np.ndarray, maximize: list[bool] | None = None) -> np.ndarray:
    """Indices of the non-dominated rows, sorted by the first objective."""
    mask = pareto_mask(values, maximize)
    idx = np.flatnonzero(mask)
    v = _as_minimization(values, maximize)
    return idx[np.argsort(v[idx, 0], kind="stable")]
