"""LRTC-TV: low-rank tensor completion with anisotropic total variation (ADMM).

Problem (after Li, Zhao, Wang, Yang, "Low-rank tensor completion with total variation for
visual data inpainting", AAAI 2017; our own splitting)::

    min_X  sum_n alpha_n ||X_(n)||_*  +  lam * sum_a ||D_a X||_1   s.t.  X_Omega = T_Omega

``D_a`` is the forward difference along axis ``a`` (Neumann boundary, last difference 0).
Splitting ``M_n = X`` and ``Z_a = D_a X``: singular-value thresholding for ``M_n``,
soft-thresholding for ``Z_a``, and a linear solve for ``X`` 
(``(N + sum_a D_a^T D_a) X = rhs``) restricted to the missing entries, solved by a few
warm-started conjugate-gradient steps (observed entries stay fixed).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._base import CompletionInputError, Completer
from .halrtc import fold, mode_weights, svt, unfold


def diff_fwd(x: np.ndarray, axis: int) -> np.ndarray:
    """Forward difference along ``axis`` with a zero last entry (Neumann boundary)."""
    d = np.zeros_like(x)
    n = x.shape[axis]
    hi = [slice(None)] * x.ndim
    lo = [slice(None)] * x.ndim
    hi[axis], lo[axis] = slice(1, n), slice(0, n - 1)
    d[tuple(lo)] = x[tuple(hi)] - x[tuple(lo)]
    return d


def diff_adj(z: np.ndarray, axis: int) -> np.ndarray:
    """Adjoint of :func:`diff_fwd`: ``(D^T z)_j = z_{j-1} - z_j`` with ``z_{-1} = z_{n-1} = 0``."""
    n = z.shape[axis]
    zz = z.copy()
    last = [slice(None)] * z.ndim
    last[axis] = n - 1
    zz[tuple(last)] = 0.0
    out = -zz
    hi = [slice(None)] * z.ndim
    lo = [slice(None)] * z.ndim
    hi[axis], lo[axis] = slice(1, n), slice(0, n - 1)
    out[tuple(hi)] += zz[tuple(lo)]
    return out


@njit(cache=True)
def _shrink(d, w, z, rho, thr):
    """Fused ``z = soft(d + w / rho, thr)`` on flat arrays (the Z-step)."""
    for j in range(d.size):
        v = d[j] + w[j] / rho
        if v > thr:
            v -= thr
        elif v < -thr:
            v += thr
        else:
            v = 0.0
        z[j] = v


def _apply_normal(x: np.ndarray, n_modes: int, axes) -> np.ndarray:
    """``(n_modes * I + sum_a D_a^T D_a) x``."""
    out = n_modes * x
    for a in axes:
        out = out + diff_adj(diff_fwd(x, a), a)
    return out


def _masked_cg(x0: np.ndarray, rhs: np.ndarray, m: np.ndarray, n_modes: int, axes, n_iter: int) -> np.ndarray:
    """Solve ``A x = rhs`` for the missing entries only (observed ones fixed), by warm-started CG.

    ``A`` is symmetric positive definite with eigenvalues in ``[n_modes, n_modes + 4 len(axes)]``,
    so a few iterations suffice.
    """
    free = ~m
    x = x0.copy()
    r = np.where(free, rhs - _apply_normal(x, n_modes, axes), 0.0)
    p = r.copy()
    rr = float(np.vdot(r, r))
    for _ in range(n_iter):
        if rr <= 1e-30:
            break
        ap = np.where(free, _apply_normal(p, n_modes, axes), 0.0)
        step = rr / float(np.vdot(p, ap))
        x += step * p
        r -= step * ap
        rr_new = float(np.vdot(r, r))
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x


class LRTCTV(Completer):
    """Low-rank + total-variation completion.

    Parameters as :class:`~.halrtc.HaLRTC` plus ``lam`` (TV weight relative to the normalised
    nuclear-norm weights) and ``tv_axes`` (axes that carry TV, default the first two: image
    rows/columns; use the time axis for telemetry) and ``cg_iter`` (conjugate-gradient steps
    of the X-step, which is solved exactly on the missing entries).
    """

    name = "LRTC-TV"

    def __init__(self, lam: float = 0.05, tv_axes=(0, 1), rho: float = 1.0, rho_growth: float = 1.05,
                 rho_max: float = 1e5, alpha=None, max_iter: int = 300, tol: float = 1e-6, ssim_every: int = 1,
                 cg_iter: int = 10):
        self.lam = lam
        self.cg_iter = cg_iter
        self.tv_axes = tv_axes
        self.rho = rho
        self.rho_growth = rho_growth
        self.rho_max = rho_max
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.ssim_every = ssim_every

    def _solve(self, t, m, x, step):
        shape = t.shape
        raw = [int(a) for a in np.atleast_1d(self.tv_axes)]
        axes = tuple(a % t.ndim for a in raw)
        if not raw or len(set(axes)) != len(axes) or any(not -t.ndim <= a < t.ndim for a in raw):
            raise CompletionInputError(f"tv_axes: expected distinct axes of a {t.ndim}-axis tensor, got {self.tv_axes!r}")
        alpha = mode_weights(self.alpha, t.ndim)
        modes = [n for n in range(t.ndim) if alpha[n] > 0]
        ys = [np.zeros(shape) for _ in modes]
        ms = [np.zeros(shape) for _ in modes]
        zs = [np.zeros(x.size) for _ in axes]
        ws = [np.zeros(x.size) for _ in axes]
        rho = float(self.rho)
        for _ in range(int(self.max_iter)):
            for i, n in enumerate(modes):
                ms[i] = fold(svt(unfold(x + ys[i] / rho, n), alpha[n] / rho), n, shape)
            for k, a in enumerate(axes):
                d = diff_fwd(x, a).ravel()
                _shrink(d, ws[k], zs[k], rho, float(self.lam) / rho)
            rhs = sum(ms[i] - ys[i] / rho for i in range(len(modes)))
            for k, a in enumerate(axes):
                rhs = rhs + diff_adj((zs[k] - ws[k] / rho).reshape(shape), a)
            x_new = _masked_cg(x, rhs, m, len(modes), axes, int(self.cg_iter))
            scale = max(np.linalg.norm(x), 1e-300)
            change = np.linalg.norm(x_new - x) / scale
            x = x_new
            res2 = 0.0
            for i in range(len(modes)):
                r = x - ms[i]
                res2 += float(np.vdot(r, r))
                ys[i] += rho * r
            for k, a in enumerate(axes):
                r = diff_fwd(x, a).ravel() - zs[k]
                res2 += float(np.vdot(r, r))
                ws[k] += rho * r
            change = max(change, np.sqrt(res2 / (len(modes) + len(axes))) / scale)
            rho = min(rho * float(self.rho_growth), float(self.rho_max))
            if step(x, change):
                break
        return x
