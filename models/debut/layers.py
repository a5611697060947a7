"""DeBut (deformable butterfly) factors, chains and layers.

Convention (used everywhere in codesign): a chain is listed **input side first**.
``chain[0]`` is applied to the input vector first, so the dense matrix is
``W = F[n-1] @ ... @ F[1] @ F[0]`` (the paper writes chains right to left).

A factor ``[p, q, r, s, t]`` is a p×q matrix, block-diagonal with ``a = q/(s·t) = p/(r·t)``
blocks, each an r×s grid of t×t diagonal matrices: support ``I_a ⊗ 1_{r×s} ⊗ I_t``.
Its parameters are stored as ``theta[a, r, s, t]`` with the entry formula::

    F[b·r·t + i·t + d, b·s·t + j·t + d] = theta[b, i, j, d]

Parameters = MACs per input vector = p·s = q·r. A chain multiplies out to a fully dense
matrix when ``t_0 = 1``, ``t_{k+1} = r_k·t_k`` and ``∏ s_k = in`` (then ``∏ r_k = out``).
A chain may be *padded* (``q_0 > in`` or ``p_last > out``): the input gets zero columns
appended and the extra output rows are dropped (used for sizes with large prime factors).
Conv layers use the exchange format's im2col column order ``ci, kh, kw`` (input channel
slowest; ``F.unfold`` / ``weight.view(co, -1)`` order), so ``in = ci·kh·kw``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from codesign.errors import CodesignError

__all__ = [
    "ChainError",
    "Factor",
    "as_chain",
    "check_chain",
    "chain_is_dense",
    "chain_params",
    "factor_support",
    "factor_dense",
    "chain_dense",
    "apply_chain_np",
    "bipolar_test",
    "DeButLinear",
    "DeButConv2d",
    "COLUMN_ORDER",
    "CHAIN_ORDER",
]

#: im2col column order of DeButConv2d (same as the exchange format's).
COLUMN_ORDER = "ci_kh_kw"
#: chain listing convention: factor 0 touches the input.
CHAIN_ORDER = "input_first"


class ChainError(CodesignError, ValueError):
    """A DeBut factor or chain is invalid (non-integer sizes, mismatched shapes, r = 0 ...)."""


@dataclass(frozen=True)
class Factor:
    """One DeBut factor [p, q, r, s, t] (p×q matrix)."""

    p: int
    q: int
    r: int
    s: int
    t: int

    @property
    def a(self) -> int:
        return self.q // (self.s * self.t)

    @property
    def params(self) -> int:
        return self.p * self.s

    @property
    def theta_shape(self) -> tuple[int, int, int, int]:
        return (self.a, self.r, self.s, self.t)

    def as_list(self) -> list[int]:
        return [self.p, self.q, self.r, self.s, self.t]

    def check(self, where: str = "factor") -> None:
        p, q, r, s, t = self.p, self.q, self.r, self.s, self.t
        if min(p, q, r, s, t) < 1:
            raise ChainError(f"{where} {self.as_list()}: every entry of [p,q,r,s,t] must be a positive integer")
        if q % (s * t):
            raise ChainError(f"{where} {self.as_list()}: s·t = {s * t} must divide q = {q}")
        if p != self.a * r * t:
            raise ChainError(f"{where} {self.as_list()}: p must equal q·r/s = {q * r / s:g}")


def as_chain(chain: Iterable[Sequence[int] | Factor]) -> list[Factor]:
    """Normalise a chain given as Factors, lists or an int array [n, 5]."""
    out = []
    for f in chain:
        if isinstance(f, Factor):
            out.append(f)
            continue
        vals = [int(v) for v in f]
        if len(vals) != 5 or any(float(v) != float(w) for v, w in zip(vals, f)):
            raise ChainError(f"factor {list(f)}: expected 5 integers [p, q, r, s, t]")
        out.append(Factor(*vals))
    return out


def check_chain(chain, in_size: int | None = None, out_size: int | None = None) -> list[Factor]:
    """Validate every factor and the shape links; return the chain as Factors."""
    ch = as_chain(chain)
    if not ch:
        raise ChainError("empty chain: expected at least one factor")
    for k, f in enumerate(ch):
        f.check(f"factor {k}")
        if k and f.q != ch[k - 1].p:
            raise ChainError(f"factor {k} {f.as_list()}: q = {f.q} must equal p = {ch[k - 1].p} of factor {k - 1}")
    if in_size is not None and ch[0].q != in_size:
        raise ChainError(f"factor 0 {ch[0].as_list()}: q = {ch[0].q}; expected the input size {in_size}")
    if out_size is not None and ch[-1].p != out_size:
        raise ChainError(f"factor {len(ch) - 1} {ch[-1].as_list()}: p = {ch[-1].p}; expected the output size {out_size}")
    return ch


def chain_params(chain) -> int:
    return int(sum(f.params for f in as_chain(chain)))


def chain_is_dense(chain) -> bool:
    """Structural density: t-rule (t_0 = 1, t_{k+1} = r_k·t_k) and a single output block."""
    ch = as_chain(chain)
    t = 1
    for f in ch:
        if f.t != t:
            return False
        t *= f.r
    return ch[-1].a == 1


def factor_support(f: Factor) -> np.ndarray:
    """Boolean p×q support I_a ⊗ 1_{r×s} ⊗ I_t."""
    return np.kron(np.kron(np.eye(f.a, dtype=bool), np.ones((f.r, f.s), dtype=bool)), np.eye(f.t, dtype=bool))


def factor_dense(f: Factor, theta: np.ndarray) -> np.ndarray:
    """Dense p×q matrix of a factor from theta[a, r, s, t] (entry formula)."""
    a, r, s, t = f.theta_shape
    th = np.asarray(theta).reshape(a, r, s, t)
    m = np.zeros((a, r, t, a, s, t), dtype=th.dtype)
    b, d = np.arange(a)[:, None], np.arange(t)[None, :]
    # m[b, i, d, b, j, d] = theta[b, i, j, d]
    m[b, :, d, b, :, d] = th.transpose(0, 3, 1, 2)
    return m.reshape(f.p, f.q)


def apply_chain_np(chain, thetas: Sequence[np.ndarray], x: np.ndarray) -> np.ndarray:
    """Apply the chain to the columns of x (in, m) with the reshape formula (NumPy); returns (out, m)."""
    for f, th in zip(as_chain(chain), thetas):
        m = x.shape[1]
        xb = x.reshape(f.a, f.s, f.t, m).transpose(0, 2, 1, 3)  # (a, t, s, m)
        w = np.asarray(th).reshape(f.theta_shape).transpose(0, 3, 1, 2)  # (a, t, r, s)
        x = np.matmul(w, xb).transpose(0, 2, 1, 3).reshape(f.p, m)
    return x


def chain_dense(chain, thetas: Sequence[np.ndarray]) -> np.ndarray:
    """Dense out×in product F[n-1] @ ... @ F[0] (input side first), without dense factors."""
    ch = as_chain(chain)
    dtype = np.result_type(*[np.asarray(t).dtype for t in thetas])
    return apply_chain_np(ch, thetas, np.eye(ch[0].q, dtype=dtype))


def bipolar_test(chain, seed: int = 0, max_cols: int | None = None) -> bool:
    """Set every nonzero to ±1 at random, multiply out; True iff no entry is zero.

    ``max_cols`` tests that many random input columns only (for very large layers).
    """
    rng = np.random.default_rng(seed)
    ch = as_chain(chain)
    thetas = [rng.choice(np.array([-1.0, 1.0]), size=f.theta_shape) for f in ch]
    n = ch[0].q
    if max_cols is None or max_cols >= n:
        x = np.eye(n)
    else:
        x = np.eye(n)[:, np.sort(rng.choice(n, size=max_cols, replace=False))]
    return bool(np.all(apply_chain_np(ch, thetas, x) != 0))


# ----------------------------------------------------------------------------- torch layers


def factor_forward(x: torch.Tensor, f: Factor, theta: torch.Tensor) -> torch.Tensor:
    """y = F x for x (B, q): reshape to (B, a, s, t), multiply by theta (a, r, s, t), sum over s."""
    xb = x.reshape(-1, f.a, 1, f.s, f.t)
    return (xb * theta.unsqueeze(0)).sum(dim=3).reshape(-1, f.p)


def factor_forward_einsum(x: torch.Tensor, f: Factor, theta: torch.Tensor) -> torch.Tensor:
    """Same as :func:`factor_forward` with the product-and-sum fused (no (B,a,r,s,t) temporary)."""
    return torch.einsum("bajd,aijd->baid", x.reshape(-1, f.a, f.s, f.t), theta).reshape(-1, f.p)


class _DeButChain(nn.Module):
    """Shared parts: the chain, one Parameter per factor, random init, dense view, counts."""

    def __init__(self, chain, in_size: int, out_size: int, bias: bool, fused: bool, seed: int | None):
        super().__init__()
        self.chain = check_chain(chain)
        if self.chain[0].q < in_size or self.chain[-1].p < out_size:
            raise ChainError(f"chain maps {self.chain[0].q} -> {self.chain[-1].p}; expected at least "
                             f"{in_size} -> {out_size} (a padded chain may be larger, never smaller)")
        #: zero columns appended to the input / rows dropped from the output (padded chains)
        self.in_pad, self.out_crop = self.chain[0].q - in_size, self.chain[-1].p - out_size
        self.in_size, self.out_size = in_size, out_size
        self.thetas = nn.ParameterList([nn.Parameter(torch.empty(f.theta_shape)) for f in self.chain])
        self.bias = nn.Parameter(torch.empty(out_size)) if bias else None
        self.fused = fused
        self.reset_parameters(seed)

    def reset_parameters(self, seed: int | None = None) -> None:
        """theta_k ~ N(0, 1/s_k): each dense entry of a t-rule chain then has variance 1/in."""
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        with torch.no_grad():
            for f, th in zip(self.chain, self.thetas):
                th.copy_(torch.randn(f.theta_shape, generator=gen) / math.sqrt(f.s))
            if self.bias is not None:
                bound = 1.0 / math.sqrt(self.in_size)
                self.bias.copy_((torch.rand(self.bias.shape, generator=gen) * 2 - 1) * bound)

    def chain_apply(self, x: torch.Tensor) -> torch.Tensor:
        fwd = factor_forward_einsum if self.fused else factor_forward
        if self.in_pad:
            x = F.pad(x, (0, self.in_pad))
        for f, th in zip(self.chain, self.thetas):
            x = fwd(x, f, th)
        return x[:, : self.out_size] if self.out_crop else x

    def dense_matrix(self) -> torch.Tensor:
        """out×in dense product (for checks/export only; forward never builds it)."""
        w = chain_dense(self.chain, [t.detach().cpu().double().numpy() for t in self.thetas])
        return torch.from_numpy(w[: self.out_size, : self.in_size].copy()).to(self.thetas[0].dtype)

    @property
    def chain_array(self) -> np.ndarray:
        return np.array([f.as_list() for f in self.chain], dtype=np.int64)

    def num_params(self) -> int:
        return chain_params(self.chain) + (self.bias.numel() if self.bias is not None else 0)

    def macs_per_vector(self) -> int:
        return chain_params(self.chain)

    def _chain_repr(self) -> str:
        ch = ", ".join("[" + ",".join(map(str, f.as_list())) + "]" for f in self.chain)
        return f"chain(input first)=[{ch}], params={chain_params(self.chain)}, bias={self.bias is not None}"


class DeButLinear(_DeButChain):
    """y = W x + b with W a DeBut chain (in_features -> out_features)."""

    def __init__(self, in_features: int, out_features: int, chain, bias: bool = True,
                 fused: bool = True, seed: int | None = None):
        self.in_features, self.out_features = int(in_features), int(out_features)
        super().__init__(chain, self.in_features, self.out_features, bias, fused, seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lead = x.shape[:-1]
        y = self.chain_apply(x.reshape(-1, self.in_features))
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(*lead, self.out_features)

    def to_dense(self) -> nn.Linear:
        lin = nn.Linear(self.in_features, self.out_features, bias=self.bias is not None)
        with torch.no_grad():
            lin.weight.copy_(self.dense_matrix())
            if self.bias is not None:
                lin.bias.copy_(self.bias)
        return lin

    def macs(self) -> int:
        return self.macs_per_vector()

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, " + self._chain_repr()


def _pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


class DeButConv2d(_DeButChain):
    """Conv2d (groups=1) whose im2col filter matrix (co × ci·kh·kw, ci_kh_kw order) is a DeBut chain."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, chain, stride=1, padding=0,
                 bias: bool = True, fused: bool = True, seed: int | None = None):
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size, self.stride, self.padding = _pair(kernel_size), _pair(stride), _pair(padding)
        k = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
        super().__init__(chain, k, self.out_channels, bias, fused, seed)

    def out_hw(self, h: int, w: int) -> tuple[int, int]:
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        return (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        oh, ow = self.out_hw(h, w)
        cols = F.unfold(x, self.kernel_size, padding=self.padding, stride=self.stride)  # (N, K, L)
        y = self.chain_apply(cols.transpose(1, 2).reshape(n * oh * ow, -1))  # (N·L, co)
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(n, oh * ow, self.out_channels).transpose(1, 2).reshape(n, self.out_channels, oh, ow)

    def to_dense(self) -> nn.Conv2d:
        conv = nn.Conv2d(self.in_channels, self.out_channels, self.kernel_size, self.stride, self.padding,
                         bias=self.bias is not None)
        with torch.no_grad():
            conv.weight.copy_(self.dense_matrix().reshape(conv.weight.shape))
            if self.bias is not None:
                conv.bias.copy_(self.bias)
        return conv

    def macs(self, h: int, w: int) -> int:
        """MACs for one (C, h, w) input image (bias adds excluded)."""
        oh, ow = self.out_hw(h, w)
        return self.macs_per_vector() * oh * ow

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, columns={COLUMN_ORDER}, " + self._chain_repr())
