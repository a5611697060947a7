"""Numba kernels for DeBut layers on the digital unit: input gather + whole factor chain + bias in one pass.

Activations are processed *feature-major* in column blocks: a block holds many vectors (samples of a
linear layer, output positions of a conv layer) as a ``[features, columns]`` float32 array, so every
multiply-accumulate of a factor, ``y[b·r·t+i·t+d, :] += theta[b,i,j,d] · x[b·s·t+j·t+d, :]``
(docs/debut.md entry formula), runs over contiguous columns (SIMD). Only the nonzeros of each factor
are multiplied (p·s MACs per vector, as the cost report counts); every sum starts at 0 and runs over
j in order, in float32, so each path below gives bit-identical results at any batch size.

* linear, fewer than ``SMALL_BATCH`` samples: one vector at a time, SIMD over a factor's r outputs;
* linear: blocks of ``CHUNK`` samples;
* conv, stride 1: per sample, the zero-padded image is the im2col matrix without copying it: feature
  (ci, ky, kx) of output position (oy, ox) sits at ``ci·Hp·Wp + (oy+ky)·Wp + (ox+kx)``, so the first
  factor reads contiguous slices of the padded image over a grid of ``Wp`` (not ``OW``) columns per
  output row; the ``kw − 1`` extra columns per row are computed and dropped;
* conv, other strides: im2col columns gathered per block of whole output rows (ci, kh, kw order).

Padded chains (q_0 > input length) read zero inputs, extra outputs are dropped. Blocks (samples for
conv) run in parallel (``prange``) when the layer's work is large enough.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

#: samples per feature-major block of a linear layer
CHUNK = 64
#: conv blocks: whole output rows, about this many columns (at least one row)
CONV_COLUMNS = 128
#: linear layers with fewer vectors than this run one vector at a time (SIMD over a factor's r outputs)
SMALL_BATCH = 8
#: below this many multiply-accumulates a parallel region costs more than it saves
PARALLEL_MIN_MACS = 1 << 20


class DeButTables:
    """One layer's constants in kernel form: chain rows, flat factors, bias (built once per executor)."""

    def __init__(self, rows: list[tuple[int, ...]], thetas: list[np.ndarray], bias: np.ndarray | None,
                 n_in: int, n_out: int):
        self.rows = np.ascontiguousarray(np.asarray(rows, dtype=np.int64).reshape(-1, 5))
        th = [np.asarray(t, dtype=np.float32).reshape(-1, r[2], r[3], r[4]) for t, r in zip(thetas, rows)]
        self.offsets = np.concatenate([[0], np.cumsum([t.size for t in th])]).astype(np.int64)
        #: factors flat in [a, r, s, t] order (feature-major chunks) and in [a, t, s, r] order (single vectors)
        self.theta = np.ascontiguousarray(np.concatenate([t.ravel() for t in th]))
        self.theta_t = np.ascontiguousarray(np.concatenate([t.transpose(0, 3, 2, 1).ravel() for t in th]))
        self.has_bias = bias is not None
        self.bias = np.ascontiguousarray(bias if bias is not None else np.zeros(n_out), dtype=np.float32)
        self.n_in, self.n_out = int(n_in), int(n_out)
        self.max_width = int(max(max(r[0], r[1]) for r in rows))
        self.macs_per_vector = int(sum(r[0] * r[3] for r in rows))

    def _parallel(self, vectors: int) -> bool:
        return vectors * self.macs_per_vector >= PARALLEL_MIN_MACS

    def linear(self, x: np.ndarray) -> np.ndarray:
        """x float32 [N, n_in] -> [N, n_out]."""
        x = np.ascontiguousarray(x, dtype=np.float32).reshape(x.shape[0], -1)
        y = np.empty((x.shape[0], self.n_out), np.float32)
        if x.shape[0] < SMALL_BATCH:
            _linear_vec(x, self.rows, self.offsets, self.theta_t, self.bias, self.has_bias, self.max_width, y)
            return y
        fn = _linear_par if self._parallel(x.shape[0]) else _linear_ser
        fn(x, self.rows, self.offsets, self.theta, self.bias, self.has_bias, self.max_width, y)
        return y

    def conv(self, x: np.ndarray, kernel, stride, padding, out_hw) -> np.ndarray:
        """x float32 [N, C, H, W] -> [N, n_out, OH, OW] (im2col order ci, kh, kw)."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        n, oh, ow = x.shape[0], int(out_hw[0]), int(out_hw[1])
        geo = np.array([kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1], oh, ow], np.int64)
        y = np.empty((n, self.n_out, oh, ow), np.float32)
        par = self._parallel(n * oh * ow)
        args = (x, geo, self.rows, self.offsets, self.theta, self.bias, self.has_bias, self.max_width, y)
        if stride[0] == stride[1] == 1:
            (_conv_s1_par if par else _conv_s1_ser)(*args)
        else:
            (_conv_par if par else _conv_ser)(*args, conv_chunks(n, oh, ow))
        return y


@njit(cache=True)
def _chain(buf_a, buf_b, w, rows, offsets, theta, k0):
    """Apply factors k0, k0+1, ... to the first ``w`` columns of buf_a; return the buffer holding the result."""
    src, dst = buf_a, buf_b
    for k in range(k0, rows.shape[0]):
        r, s, t = rows[k, 2], rows[k, 3], rows[k, 4]
        a = rows[k, 1] // (s * t)
        off = offsets[k]
        for b in range(a):
            for i in range(r):
                for d in range(t):
                    orow = dst[(b * r + i) * t + d]
                    for m in range(w):
                        orow[m] = 0.0
                    for j in range(s):
                        wv = theta[off + ((b * r + i) * s + j) * t + d]
                        irow = src[(b * s + j) * t + d]
                        for m in range(w):
                            orow[m] += wv * irow[m]
        src, dst = dst, src
    return src


@njit(cache=True)
def _chain_vec(src, dst, rows, offsets, theta_t, acc):
    """Apply every factor to one vector src[:q_0] (theta_t in [a, t, s, r] order); return the result buffer."""
    for k in range(rows.shape[0]):
        r, s, t = rows[k, 2], rows[k, 3], rows[k, 4]
        a = rows[k, 1] // (s * t)
        off = offsets[k]
        for b in range(a):
            for d in range(t):
                for i in range(r):
                    acc[i] = 0.0
                for j in range(s):
                    xv = src[(b * s + j) * t + d]
                    base = off + ((b * t + d) * s + j) * r
                    for i in range(r):
                        acc[i] += theta_t[base + i] * xv
                for i in range(r):
                    dst[(b * r + i) * t + d] = acc[i]
        src, dst = dst, src
    return src


@njit(cache=True)
def _linear_vec(x, rows, offsets, theta_t, bias, has_bias, width, y):
    n, n_in = x.shape
    n_out = y.shape[1]
    buf_a = np.zeros(width, np.float32)
    buf_b = np.empty(width, np.float32)
    acc = np.empty(width, np.float32)
    for m in range(n):
        for f in range(n_in):
            buf_a[f] = x[m, f]
        for f in range(n_in, rows[0, 1]):
            buf_a[f] = 0.0
        res = _chain_vec(buf_a, buf_b, rows, offsets, theta_t, acc)
        for o in range(n_out):
            y[m, o] = res[o] + bias[o] if has_bias else res[o]


@njit(cache=True)
def _linear_chunk(c, x, rows, offsets, theta, bias, has_bias, width, y):
    n, n_in = x.shape
    n_out = y.shape[1]
    m0 = c * CHUNK
    w = min(CHUNK, n - m0)
    buf_a = np.empty((width, CHUNK), np.float32)
    buf_b = np.empty((width, CHUNK), np.float32)
    for f in range(rows[0, 1]):
        for m in range(w):
            buf_a[f, m] = x[m0 + m, f] if f < n_in else 0.0
    res = _chain(buf_a, buf_b, w, rows, offsets, theta, 0)
    for m in range(w):
        for o in range(n_out):
            y[m0 + m, o] = res[o, m] + bias[o] if has_bias else res[o, m]


@njit(cache=True)
def _linear_ser(x, rows, offsets, theta, bias, has_bias, width, y):
    for c in range((x.shape[0] + CHUNK - 1) // CHUNK):
        _linear_chunk(c, x, rows, offsets, theta, bias, has_bias, width, y)


@njit(cache=True, parallel=True)
def _linear_par(x, rows, offsets, theta, bias, has_bias, width, y):
    for c in prange((x.shape[0] + CHUNK - 1) // CHUNK):
        _linear_chunk(c, x, rows, offsets, theta, bias, has_bias, width, y)


@njit(cache=True)
def _conv_chunk(c, x, geo, rows, offsets, theta, bias, has_bias, width, y):
    """Chunk c: output rows [oy0, oy1) of one sample (whole rows, contiguous positions)."""
    kh, kw, sh, sw, ph, pw, oh, ow = geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6], geo[7]
    n, ch, hh, ww = x.shape
    n_out = y.shape[1]
    per = max(1, CONV_COLUMNS // ow)  # output rows per chunk
    groups = (oh + per - 1) // per
    smp = c // groups
    oy0 = (c - smp * groups) * per
    oy1 = min(oh, oy0 + per)
    w = (oy1 - oy0) * ow
    buf_a = np.empty((width, per * ow), np.float32)
    buf_b = np.empty((width, per * ow), np.float32)
    n_in = ch * kh * kw
    xs = x[smp]
    for f in range(rows[0, 1]):
        row = buf_a[f]
        if f >= n_in:
            for m in range(w):
                row[m] = 0.0
            continue
        ci = f // (kh * kw)
        ky = (f // kw) % kh
        kx = f % kw
        # valid output columns: 0 <= ox*sw - pw + kx < ww
        lo = max(0, (pw - kx + sw - 1) // sw)
        hi = min(ow, (ww - 1 + pw - kx) // sw + 1) if ww - 1 + pw - kx >= 0 else 0
        for oy in range(oy0, oy1):
            base = (oy - oy0) * ow
            iy = oy * sh - ph + ky
            if iy < 0 or iy >= hh or hi <= lo:
                for ox in range(ow):
                    row[base + ox] = 0.0
                continue
            src = xs[ci, iy]
            for ox in range(lo):
                row[base + ox] = 0.0
            ix = lo * sw - pw + kx
            for ox in range(lo, hi):
                row[base + ox] = src[ix]
                ix += sw
            for ox in range(hi, ow):
                row[base + ox] = 0.0
    res = _chain(buf_a, buf_b, w, rows, offsets, theta, 0)
    ys = y[smp]
    for o in range(n_out):
        dst = ys[o].reshape(oh * ow)[oy0 * ow:oy1 * ow]
        src = res[o]
        if has_bias:
            bo = bias[o]
            for m in range(w):
                dst[m] = src[m] + bo
        else:
            for m in range(w):
                dst[m] = src[m]


def conv_chunks(n: int, oh: int, ow: int) -> int:
    """Number of blocks of a strided conv layer: per sample, groups of whole output rows."""
    per = max(1, CONV_COLUMNS // ow)
    return n * ((oh + per - 1) // per)


@njit(cache=True)
def _conv_ser(x, geo, rows, offsets, theta, bias, has_bias, width, y, chunks):
    for c in range(chunks):
        _conv_chunk(c, x, geo, rows, offsets, theta, bias, has_bias, width, y)


@njit(cache=True, parallel=True)
def _conv_par(x, geo, rows, offsets, theta, bias, has_bias, width, y, chunks):
    for c in prange(chunks):
        _conv_chunk(c, x, geo, rows, offsets, theta, bias, has_bias, width, y)


@njit(cache=True)
def _conv_s1_sample(smp, x, geo, rows, offsets, theta, bias, has_bias, width, y):
    """Stride-1 conv of sample ``smp``: the first factor reads the padded image directly (module doc)."""
    kh, kw, ph, pw, oh, ow = geo[0], geo[1], geo[4], geo[5], geo[6], geo[7]
    ch, hh, ww = x.shape[1], x.shape[2], x.shape[3]
    hp, wp = hh + 2 * ph, ww + 2 * pw
    n_out = y.shape[1]
    n_in = ch * kh * kw
    xp = np.zeros((ch, hp, wp), np.float32)
    for c in range(ch):
        for i in range(hh):
            src = x[smp, c, i]
            dst = xp[c, ph + i]
            for j in range(ww):
                dst[pw + j] = src[j]
    xf = xp.reshape(ch * hp * wp)
    per = max(1, CONV_COLUMNS // wp)  # output rows per block
    buf_a = np.empty((width, per * wp), np.float32)
    buf_b = np.empty((width, per * wp), np.float32)
    r, s, t = rows[0, 2], rows[0, 3], rows[0, 4]
    a = rows[0, 1] // (s * t)
    for oy0 in range(0, oh, per):
        oy1 = min(oh, oy0 + per)
        w = (oy1 - oy0) * wp
        span = w - kw + 1  # columns up to the last valid output of the block's last row
        for b in range(a):
            for i in range(r):
                for d in range(t):
                    orow = buf_a[(b * r + i) * t + d]
                    for m in range(w):
                        orow[m] = 0.0
                    for j in range(s):
                        f = (b * s + j) * t + d
                        if f >= n_in:  # zero-padded input of a padded chain
                            continue
                        wv = theta[((b * r + i) * s + j) * t + d]
                        ci, ky, kx = f // (kh * kw), (f // kw) % kh, f % kw
                        o0 = ci * hp * wp + (oy0 + ky) * wp + kx
                        irow = xf[o0:o0 + span]
                        for m in range(span):
                            orow[m] += wv * irow[m]
        res = _chain(buf_a, buf_b, w, rows, offsets, theta, 1)
        for o in range(n_out):
            bo = bias[o] if has_bias else np.float32(0.0)
            src = res[o]
            for oy in range(oy0, oy1):
                dst = y[smp, o, oy]
                base = (oy - oy0) * wp
                if has_bias:
                    for ox in range(ow):
                        dst[ox] = src[base + ox] + bo
                else:
                    for ox in range(ow):
                        dst[ox] = src[base + ox]


@njit(cache=True)
def _conv_s1_ser(x, geo, rows, offsets, theta, bias, has_bias, width, y):
    for smp in range(x.shape[0]):
        _conv_s1_sample(smp, x, geo, rows, offsets, theta, bias, has_bias, width, y)


@njit(cache=True, parallel=True)
def _conv_s1_par(x, geo, rows, offsets, theta, bias, has_bias, width, y):
    for smp in prange(x.shape[0]):
        _conv_s1_sample(smp, x, geo, rows, offsets, theta, bias, has_bias, width, y)
