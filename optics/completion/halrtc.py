"""HaLRTC: high-accuracy low-rank tensor completion (ADMM over the mode-unfolding nuclear norms).

Problem (Liu, Musialski, Wonka, Ye, IEEE TPAMI 2013)::

    min_X  sum_n alpha_n ||X_(n)||_*   s.t.  X_Omega = T_Omega

split as ``M_n = X`` for every mode ``n``; each ADMM sweep shrinks the singular values of
every unfolding (singular-value thresholding), averages the ``M_n`` back into ``X``, resets
the observed entries and updates the multipliers.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._base import CompletionInputError, Completer


def unfold(x: np.ndarray, mode: int) -> np.ndarray:
    """Mode-``mode`` unfolding: the ``mode`` axis becomes the rows."""
    return np.moveaxis(x, mode, 0).reshape(x.shape[mode], -1)


def fold(mat: np.ndarray, mode: int, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of :func:`unfold`."""
    moved = (shape[mode],) + tuple(s for i, s in enumerate(shape) if i != mode)
    return np.moveaxis(mat.reshape(moved), 0, mode)


def svt(mat: np.ndarray, tau: float) -> np.ndarray:
    """Singular-value thresholding: proximal operator of ``tau * ||.||_*``.

    Uses the eigen-decomposition of the small Gram matrix ``A A^T`` (2-3x faster than an SVD
    for the wide unfoldings here); singular values below ``tau`` are discarded anyway, so the
    Gram matrix's loss of accuracy for tiny singular values does not matter.
    """
    transpose = mat.shape[0] > mat.shape[1]
    a = mat.T if transpose else mat
    w, u = np.linalg.eigh(a @ a.T)
    s = np.sqrt(np.clip(w, 0.0, None))
    keep = s > tau
    if not keep.any():
        return np.zeros_like(mat)
    u, s = u[:, keep], s[keep]
    out = (u * ((s - tau) / s)) @ (u.T @ a)
    return out.T if transpose else out


@njit(cache=True)
def _average_and_dual(ms, ys, rho, obs, mask, x):
    """Fused X and multiplier update on flat arrays.

    ``x = mean_n(M_n - Y_n / rho)`` with observed entries reset, then
    ``Y_n += rho * (X - M_n)``; returns ``||x_new - x_old||^2``, ``||x_old||^2`` and the
    primal residual ``sum_n ||x_new - M_n||^2``.
    """
    n_modes, size = ms.shape
    diff2 = 0.0
    norm2 = 0.0
    res2 = 0.0
    for j in range(size):
        if mask[j]:
            v = obs[j]
        else:
            acc = 0.0
            for n in range(n_modes):
                acc += ms[n, j] - ys[n, j] / rho
            v = acc / n_modes
        d = v - x[j]
        diff2 += d * d
        norm2 += x[j] * x[j]
        x[j] = v
        for n in range(n_modes):
            r = v - ms[n, j]
            res2 += r * r
            ys[n, j] += rho * r
    return diff2, norm2, res2


def mode_weights(alpha, ndim: int) -> np.ndarray:
    """Normalised per-mode weights (equal when ``alpha`` is None)."""
    a = np.full(ndim, 1.0) if alpha is None else np.asarray(alpha, dtype=np.float64).ravel()
    if a.shape != (ndim,) or np.any(a < 0) or a.sum() <= 0:
        raise CompletionInputError(f"alpha: expected {ndim} non-negative weights (one per tensor axis), got {alpha!r}")
    return a / a.sum()


class HaLRTC(Completer):
    """HaLRTC solver.

    Parameters: ``rho`` (initial ADMM penalty, for data scaled to unit Frobenius norm), ``rho_growth`` (factor per iteration, 1 = fixed
    penalty), ``rho_max``, ``alpha`` (per-mode weights, default equal), ``max_iter``, ``tol``
    (stop when both the relative change of X and the relative primal residual
    ``||X - M_n|| / ||X||`` drop below it; ``history_["change"]`` holds the larger), ``ssim_every`` (SSIM tracking stride).
    Use ``HaLRTC().complete(tensor, mask)``.
    """

    name = "HaLRTC"

    def __init__(self, rho: float = 1.0, rho_growth: float = 1.05, rho_max: float = 1e5, alpha=None,
                 max_iter: int = 300, tol: float = 1e-6, ssim_every: int = 1):
        self.rho = rho
        self.rho_growth = rho_growth
        self.rho_max = rho_max
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.ssim_every = ssim_every

    def _solve(self, t, m, x, step):
        shape = t.shape
        alpha = mode_weights(self.alpha, t.ndim)
        modes = [n for n in range(t.ndim) if alpha[n] > 0]
        ms = np.zeros((len(modes), x.size))
        ys = np.zeros_like(ms)
        xf = x.ravel().copy()
        obs, mf = t.ravel(), m.ravel()
        rho = float(self.rho)
        for _ in range(int(self.max_iter)):
            xt = xf.reshape(shape)
            for i, n in enumerate(modes):
                z = xt + ys[i].reshape(shape) / rho
                ms[i] = fold(svt(unfold(z, n), alpha[n] / rho), n, shape).ravel()
            diff2, norm2, res2 = _average_and_dual(ms, ys, rho, obs, mf, xf)
            rho = min(rho * float(self.rho_growth), float(self.rho_max))
            norm2 = max(norm2, 1e-300)
            if step(xf.reshape(shape), np.sqrt(max(diff2, res2 / len(modes)) / norm2)):
                break
        return xf.reshape(shape)
