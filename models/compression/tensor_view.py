"""Kernel tensor view: a conv kernel [co, ci, k, k] as a 3-D tensor T[co, ci, k²].

Forms returned by :func:`decompose_conv` (all ``nn.Sequential`` of plain ``nn.Conv2d``):

- ``"pdp"`` — rank-R CP decomposition T[o,i,s] ≈ Σ_r A[o,r]·B[i,r]·C[s,r] (TensorLy
  ``parafac``): pointwise ci→R (weight Bᵀ) · depthwise k×k on R channels (kernel C[:, r],
  carries stride/padding/dilation) · pointwise R→co (weight A, original bias).
- ``"dp"`` — slice-wise over input channels: T[:, i, :] ([co, k²]) ≈ rank-m SVD → depthwise
  k×k with channel multiplier m (ci·m channels, groups=ci) · pointwise ci·m→co. m = 1 is the
  depthwise-separable conv; m = min(co, k²) is exact.
- ``"pd"`` — slice-wise over output channels: T[o, :, :] ([ci, k²]) ≈ rank-m SVD → pointwise
  ci→co·m · grouped k×k conv (groups=co, m inputs per group) → co. m = 1 is a pure depthwise conv.

``rank`` is R for "pdp" and the per-slice rank m for "dp"/"pd". :func:`decompose_model`
replaces every k×k (k > 1) conv of a model; :func:`fine_tune` re-exports the training helper.
"""

from __future__ import annotations

import numpy as np
import tensorly as tl
import torch
import torch.nn as nn
from tensorly.decomposition import parafac

from codesign.errors import CodesignError
from codesign.models.compression.training import fine_tune

__all__ = ["FORMS", "decompose_conv", "decompose_model", "reconstruct_kernel", "fine_tune"]

FORMS = ("pdp", "dp", "pd")


class DecompositionError(CodesignError, ValueError):
    """A convolution cannot be decomposed as asked (form, groups, rank)."""


def _conv(ci, co, k, conv: nn.Conv2d, groups=1, bias=False, spatial=False) -> nn.Conv2d:
    if not spatial:
        return nn.Conv2d(ci, co, 1, bias=bias)
    return nn.Conv2d(ci, co, k, conv.stride, conv.padding, conv.dilation, groups=groups, bias=bias)


def _cp(t: np.ndarray, rank: int, seed: int, n_iter: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tl.set_backend("numpy")
    init = "svd" if rank <= min(t.shape) else "random"
    cp = parafac(tl.tensor(t), rank=rank, init=init, n_iter_max=n_iter, tol=1e-10, random_state=seed)
    weights, (a, b, c) = cp
    a = a * weights[None, :]
    # balance the three factor norms per component (same product; better-conditioned fine-tuning)
    na, nb, nc = (np.linalg.norm(f, axis=0) + 1e-12 for f in (a, b, c))
    g = np.cbrt(na * nb * nc)
    return a * (g / na), b * (g / nb), c * (g / nc)


@torch.no_grad()
def decompose_conv(conv: nn.Conv2d, rank: int, form: str = "pdp", seed: int = 0, n_iter: int = 300) -> nn.Sequential:
    """Turn a trained ``nn.Conv2d`` (groups=1) into a lightweight ``nn.Sequential`` of convs."""
    if form not in FORMS:
        raise DecompositionError(f"decompose_conv: form must be one of {FORMS}, got {form!r}")
    if conv.groups != 1:
        raise DecompositionError(f"decompose_conv: only groups=1 convs, got groups={conv.groups}")
    if rank < 1:
        raise DecompositionError(f"decompose_conv: rank must be >= 1, got {rank}")
    co, ci, kh, kw = conv.weight.shape
    k = (kh, kw)
    w = conv.weight.detach().double().cpu().numpy()
    bias = conv.bias is not None
    if form == "pdp":
        a, b, c = _cp(w.reshape(co, ci, kh * kw), rank, seed, n_iter)
        p1, d, p2 = _conv(ci, rank, k, conv), _conv(rank, rank, k, conv, groups=rank, spatial=True), \
            _conv(rank, co, k, conv, bias=bias)
        p1.weight.copy_(torch.from_numpy(b.T.copy())[:, :, None, None])
        d.weight.copy_(torch.from_numpy(c.T.reshape(rank, 1, kh, kw).copy()))
        p2.weight.copy_(torch.from_numpy(a.copy())[:, :, None, None])
        out = nn.Sequential(p1, d, p2)
    elif form == "dp":
        m = min(rank, co, kh * kw)
        u, s, vt = np.linalg.svd(w.transpose(1, 0, 2, 3).reshape(ci, co, kh * kw), full_matrices=False)
        dw = _conv(ci, ci * m, k, conv, groups=ci, spatial=True)
        pw = _conv(ci * m, co, k, conv, bias=bias)
        dw.weight.copy_(torch.from_numpy(vt[:, :m, :].reshape(ci * m, 1, kh, kw).copy()))
        # pointwise weight [co, ci·m]: column i·m + j = σ_ij u_i[:, j]
        pw.weight.copy_(torch.from_numpy((u[:, :, :m] * s[:, None, :m]).transpose(1, 0, 2).reshape(co, ci * m).copy())[:, :, None, None])
        out = nn.Sequential(dw, pw)
    else:  # "pd"
        m = min(rank, ci, kh * kw)
        u, s, vt = np.linalg.svd(w.reshape(co, ci, kh * kw), full_matrices=False)
        pw = _conv(ci, co * m, k, conv)
        gw = _conv(co * m, co, k, conv, groups=co, bias=bias, spatial=True)
        # pointwise output channel o·m + j has weight σ_oj u_o[:, j]; group o maps its m channels to o
        pw.weight.copy_(torch.from_numpy((u[:, :, :m] * s[:, None, :m]).transpose(0, 2, 1).reshape(co * m, ci).copy())[:, :, None, None])
        gw.weight.copy_(torch.from_numpy(vt[:, :m, :].reshape(co, m, kh, kw).copy()))
        out = nn.Sequential(pw, gw)
    if bias:
        out[-1].bias.copy_(conv.bias)
    return out.to(conv.weight.dtype)


@torch.no_grad()
def reconstruct_kernel(block: nn.Sequential, form: str) -> torch.Tensor:
    """The dense [co, ci, k, k] kernel a decomposed block computes (for checks)."""
    if form == "pdp":
        p1, d, p2 = block
        b, c, a = p1.weight[:, :, 0, 0], d.weight[:, 0], p2.weight[:, :, 0, 0]  # [R,ci], [R,kh,kw], [co,R]
        return torch.einsum("or,ri,rhw->oihw", a, b, c)
    if form == "dp":
        dw, pw = block
        ci = dw.groups
        m = dw.out_channels // ci
        kd = dw.weight[:, 0].reshape(ci, m, *dw.kernel_size)
        p = pw.weight[:, :, 0, 0].reshape(pw.out_channels, ci, m)
        return torch.einsum("oij,ijhw->oihw", p, kd)
    pw, gw = block
    co = gw.groups
    m = gw.in_channels // co
    p = pw.weight[:, :, 0, 0].reshape(co, m, -1)
    return torch.einsum("ojw,ojhk->owhk", p, gw.weight.reshape(co, m, *gw.kernel_size))


def decompose_model(model: nn.Module, form: str, rank, min_in_channels: int = 8, seed: int = 0) -> nn.Module:
    """Replace every k×k conv (k > 1, groups 1, ≥ ``min_in_channels`` inputs) in place.

    ``rank``: for "pdp" a float multiplier of the conv's out_channels (R = round(rank·co)) or a
    callable conv → R; for "dp"/"pd" the per-slice rank m (int).
    """
    targets = [(p, n, c) for p in model.modules() for n, c in p.named_children()
               if isinstance(c, nn.Conv2d) and c.kernel_size[0] > 1 and c.groups == 1
               and c.in_channels >= min_in_channels]
    for parent, name, conv in targets:
        if form == "pdp":
            r = rank(conv) if callable(rank) else max(1, int(round(rank * conv.out_channels)))
        else:
            r = int(rank)
        setattr(parent, name, decompose_conv(conv, r, form, seed=seed))
    return model
