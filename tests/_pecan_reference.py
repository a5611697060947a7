"""Test-only NumPy re-implementation of the PECAN inference arithmetic of docs/format.md."""

from __future__ import annotations

import numpy as np


def quantize(x: np.ndarray, act_scale: float, act_bits: int, act_signed: bool) -> np.ndarray:
    b = act_bits
    lo, hi = (-(2 ** (b - 1)), 2 ** (b - 1) - 1) if act_signed else (0, 2**b - 1)
    q = np.clip(np.round(x.astype(np.float32) / np.float32(act_scale)), lo, hi)  # float32, half-even
    return q.astype(np.int64)


def pecan_vectors(x: np.ndarray, attrs: dict, protos: np.ndarray, lut: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """x float32 (B, L) -> float32 (B, out), written loop-by-loop from the spec."""
    n_sub, k, d = protos.shape
    q = quantize(x, attrs["act_scale"], attrs["act_bits"], bool(attrs["act_signed"]))
    p = protos.astype(np.int64)
    out = np.empty((x.shape[0], lut.shape[2]), dtype=np.float32)
    for b in range(x.shape[0]):
        acc = np.zeros(lut.shape[2], dtype=np.int64)
        for j in range(n_sub):
            qj = q[b, j * d:(j + 1) * d]
            if attrs["mode"] == "distance":
                score = -np.abs(qj[None, :] - p[j]).sum(1)
            else:
                dots = (qj[None, :] * p[j]).sum(1).astype(np.float64)
                norms = np.sqrt((p[j] * p[j]).sum(1).astype(np.float64))
                score = np.where(norms > 0, dots / np.where(norms > 0, norms, 1.0), 0.0)
            acc += lut[j, int(np.argmax(score))].astype(np.int64)
        out[b] = acc.astype(np.float32) * np.float32(attrs["lut_scale"]) + bias.astype(np.float32)
    return out


def im2col(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int]) -> np.ndarray:
    """(N, C, H, W) -> (N*OH*OW, C*kh*kw) in ci, kh, kw order (rows: n, oh, ow)."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
    xp[:, :, ph:ph + h, pw:pw + w] = x
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    rows = []
    for i in range(n):
        for r in range(oh):
            for s in range(ow):
                rows.append(xp[i, :, r * sh:r * sh + kh, s * sw:s * sw + kw].reshape(-1))
    return np.stack(rows)


def pecan_conv(x: np.ndarray, attrs: dict, protos, lut, bias) -> np.ndarray:
    n, _, h, w = x.shape
    ks, st, pd = attrs["kernel_size"], attrs["stride"], attrs["padding"]
    cols = im2col(x, tuple(ks), tuple(st), tuple(pd))
    y = pecan_vectors(cols, attrs, protos, lut, bias)
    oh, ow = (h + 2 * pd[0] - ks[0]) // st[0] + 1, (w + 2 * pd[1] - ks[1]) // st[1] + 1
    return y.reshape(n, oh, ow, -1).transpose(0, 3, 1, 2)
