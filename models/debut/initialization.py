"""Initialising DeBut chains: random, or ALS warm start from a trained dense weight.

ALS fits the chain product ``D = F[n-1] ··· F[0]`` (input side first) to the target W (out×in,
conv: ``weight.view(co, -1)``, ci_kh_kw columns) in Frobenius norm, one factor at a time. With
``L`` the product of the factors after k and ``R`` the product of those before, factor k solves
the least-squares problem ``min ||W − L F_k R||`` over its support: the normal equations
``mask ⊙ (LᵀL F RRᵀ) = mask ⊙ (Lᵀ W Rᵀ)`` are solved matrix-free by Jacobi-preconditioned
conjugate gradients (warm-started). Sweeps go left→right (input side first) then right→left.
Afterwards the factors are rescaled to equal Frobenius norms (same product), which keeps
fine-tuning well conditioned. Padded chains fit W embedded in zeros.
"""

from __future__ import annotations

import numpy as np
import torch

from codesign.models.debut.layers import Factor, as_chain, factor_dense, factor_support

__all__ = ["random_thetas", "als_fit", "als_init", "relative_error", "chain_product"]


def random_thetas(chain, seed: int = 0) -> list[np.ndarray]:
    """θ_k ~ N(0, 1/s_k) (reference: N(0,1)/√2, the s = 2 case): dense entries get variance 1/in."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(f.theta_shape) / np.sqrt(f.s) for f in as_chain(chain)]


def _dense_factors(chain: list[Factor], thetas) -> list[np.ndarray]:
    return [factor_dense(f, th) for f, th in zip(chain, thetas)]


def chain_product(mats: list[np.ndarray], lo: int, hi: int, size: int) -> np.ndarray:
    """mats[hi-1] @ ... @ mats[lo]; identity(size) when empty."""
    out = np.eye(size)
    for m in mats[lo:hi]:
        out = m @ out
    return out


def relative_error(w: np.ndarray, chain, thetas) -> float:
    ch = as_chain(chain)
    d = chain_product(_dense_factors(ch, thetas), 0, len(ch), ch[0].q)
    return float(np.linalg.norm(_target(w, ch) - d) / max(np.linalg.norm(w), 1e-30))


def _target(w: np.ndarray, ch: list[Factor]) -> np.ndarray:
    w = np.asarray(w, dtype=np.float64)
    out, inp = ch[-1].p, ch[0].q
    if w.shape == (out, inp):
        return w
    if w.shape[0] > out or w.shape[1] > inp:
        raise ValueError(f"weight of shape {w.shape} does not fit a chain mapping {inp} -> {out}")
    full = np.zeros((out, inp))
    full[: w.shape[0], : w.shape[1]] = w
    return full


def _solve_factor(gl: np.ndarray, gr: np.ndarray, rhs: np.ndarray, mask: np.ndarray, x0: np.ndarray,
                  iters: int) -> np.ndarray:
    """PCG for mask ⊙ (gl X gr) = mask ⊙ rhs over the support (X zero off the mask)."""
    ridge = 1e-10 * (np.trace(gl) / gl.shape[0]) * (np.trace(gr) / gr.shape[0]) + 1e-300
    diag = np.outer(np.diag(gl), np.diag(gr)) + ridge
    diag = np.where(mask, diag, 1.0)

    def op(x):
        return mask * (gl @ x @ gr) + ridge * x

    x = x0 * mask
    r = mask * rhs - op(x)
    z = r / diag
    p = z.copy()
    rz = float(np.sum(r * z))
    tol = 1e-20 * max(float(np.sum(rhs * rhs * mask)), 1e-300)
    for _ in range(iters):
        if float(np.sum(r * r)) <= tol:
            break
        ap = op(p)
        alpha = rz / max(float(np.sum(p * ap)), 1e-300)
        x += alpha * p
        r -= alpha * ap
        z = r / diag
        rz_new = float(np.sum(r * z))
        p = z + (rz_new / max(rz, 1e-300)) * p
        rz = rz_new
    return x


def _theta_from_dense(f: Factor, m: np.ndarray) -> np.ndarray:
    a, r, s, t = f.theta_shape
    blocks = m.reshape(a, r, t, a, s, t)
    b, d = np.arange(a)[:, None], np.arange(t)[None, :]
    return blocks[b, :, d, b, :, d].transpose(0, 2, 3, 1)  # (a, t, r, s) -> (a, r, s, t)


def _balance(chain: list[Factor], thetas: list[np.ndarray]) -> list[np.ndarray]:
    norms = np.array([max(np.linalg.norm(th), 1e-30) for th in thetas])
    g = float(np.exp(np.mean(np.log(norms))))
    return [th * (g / nrm) for th, nrm in zip(thetas, norms)]


def als_fit(w: np.ndarray, chain, sweeps: int = 6, seed: int = 0, thetas=None, cg_iters: int = 40,
            balance: bool = True) -> tuple[list[np.ndarray], list[float]]:
    """ALS fit of the chain to W; returns (thetas, relative error after each half-sweep, first = start)."""
    ch = as_chain(chain)
    target = _target(w, ch)
    thetas = [np.array(t, dtype=np.float64) for t in (thetas if thetas is not None else random_thetas(ch, seed))]
    mats = _dense_factors(ch, thetas)
    n = len(ch)
    # start: best scalar multiple of the random product
    d = chain_product(mats, 0, n, ch[0].q)
    scale = float(np.sum(d * target) / max(np.sum(d * d), 1e-300))
    thetas[0] *= scale
    mats[0] *= scale
    norm_w = max(np.linalg.norm(target), 1e-30)
    history = [float(np.linalg.norm(target - scale * d) / norm_w)]
    masks = [factor_support(f) for f in ch]
    order = list(range(n))
    for sweep in range(sweeps):
        for k in (order if sweep % 2 == 0 else order[::-1]):
            right = chain_product(mats, 0, k, ch[0].q)  # q_k × in
            left = chain_product(mats, k + 1, n, ch[k].p)  # out × p_k
            rhs = left.T @ target @ right.T
            mats[k] = _solve_factor(left.T @ left, right @ right.T, rhs, masks[k], mats[k], cg_iters)
            thetas[k] = _theta_from_dense(ch[k], mats[k])
        d = chain_product(mats, 0, n, ch[0].q)
        history.append(float(np.linalg.norm(target - d) / norm_w))
    if balance:
        thetas = _balance(ch, thetas)
    return thetas, history


@torch.no_grad()
def als_init(layer, weight: torch.Tensor | np.ndarray, sweeps: int = 6, seed: int = 0) -> list[float]:
    """Set a DeButLinear/DeButConv2d's factors by ALS to ``weight`` (dense or conv kernel); returns errors."""
    w = weight.detach().cpu().numpy() if isinstance(weight, torch.Tensor) else np.asarray(weight)
    w = w.reshape(w.shape[0], -1)
    thetas, hist = als_fit(w, layer.chain, sweeps=sweeps, seed=seed)
    for p, th in zip(layer.thetas, thetas):
        p.copy_(torch.from_numpy(th).to(p.dtype))
    return hist
