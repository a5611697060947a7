"""Numba kernels of the bit-sliced, bit-serial crossbar MVM.

Per tile and block of input vectors: ``build_planes`` turns integer-coded inputs into the per-cycle
DAC values (rows of ``XB``, one row per (vector, cycle)); the analog column currents of all cycles
are one product ``XB @ G`` (done with BLAS by the caller); ``adc_accumulate`` converts every
column current with the column ADC, shifts it by its cycle and slice weight, adds it into the
output accumulator and counts conversions and clipped conversions.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def quantize_inputs(x, bits, signed, out_q, out_scale):
    """Per-vector dynamic quantization: ``out_q[n] = round(x[n] / scale[n])`` clipped to the code range.

    signed: codes in [-(2^(b-1)-1), 2^(b-1)-1]; unsigned: [0, 2^b-1] (negatives clip to 0).
    ``bits`` 0 = analog (no rounding): codes are x / scale with scale = max|x| (in [-1, 1]).
    """
    n, f = x.shape
    if bits == 0:
        qmax = 1.0
    elif signed:
        qmax = float(2 ** (bits - 1) - 1)
    else:
        qmax = float(2**bits - 1)
    for i in range(n):
        m = 0.0
        for j in range(f):
            a = abs(x[i, j])
            if a > m:
                m = a
        s = m / qmax if m > 0.0 else 1.0
        out_scale[i] = s
        lo = -qmax if signed or bits == 0 else 0.0
        for j in range(f):
            v = x[i, j] / s
            if bits != 0:
                v = np.rint(v)
            if v > qmax:
                v = qmax
            elif v < lo:
                v = lo
            out_q[i, j] = v


@njit(cache=True)
def build_planes(xq, n0, nb, in_idx, bits, chunk_bits, k_mag, signed, bipolar, analog, xb):
    """Fill ``xb[j*K + k, r]`` with the DAC value of cycle k for vector n0+j on tile row r.

    Unipolar DAC: magnitude cycles carry ``chunk_bits``-bit chunks (LSB first) of the unsigned part
    m = x + s*2^(b-1) (s = sign bit); a final 1-bit cycle carries s when signed.
    Bipolar DAC: cycles carry sign(x) times ``chunk_bits``-bit chunks of |x|; no sign cycle.
    Analog: one cycle with the (unrounded) code.
    """
    rows = in_idx.shape[0]
    k_tot = k_mag + (1 if signed and not bipolar else 0)
    if analog:
        k_tot = 1
    mask = (1 << chunk_bits) - 1
    half = 1 << (bits - 1) if bits > 0 else 0
    for j in range(nb):
        base = j * k_tot
        for r in range(rows):
            v = xq[n0 + j, in_idx[r]]
            if analog:
                xb[base, r] = v
                continue
            iv = np.int64(v)
            if bipolar:
                sgn = 1
                if iv < 0:
                    sgn = -1
                    iv = -iv
                for k in range(k_mag):
                    xb[base + k, r] = sgn * ((iv >> (k * chunk_bits)) & mask)
                continue
            s = 0
            if signed and iv < 0:
                s = 1
                iv += half
            for k in range(k_mag):
                xb[base + k, r] = (iv >> (k * chunk_bits)) & mask
            if signed:
                xb[base + k_mag, r] = s


@njit(cache=True)
def _cycle_col_weights(cyc_w, col_w, k_tot):
    """wc[k, c] = cyc_w[k] x col_w[c]: the weight of column c's conversion in input cycle k."""
    wc = np.empty((k_tot, col_w.shape[0]))
    for k in range(k_tot):
        for c in range(col_w.shape[0]):
            wc[k, c] = cyc_w[k] * col_w[c]
    return wc


@njit(cache=True, inline="always")
def _convert_row(v, lsb, inv, lo, hi, wc, tmp):
    """tmp[c] = wc[c] x ADC(v[c]) for one row of column currents; returns the clipped conversions.

    Branch-free (clamp and count as min/max and a comparison), so the loop vectorizes; the arithmetic is
    that of the plain loop it replaces (q = rint(v / lsb) clamped to [lo, hi], then q x lsb)."""
    clipped = 0
    if lsb > 0.0:
        for c in range(v.shape[0]):
            q = np.rint(v[c] * inv)
            qc = min(max(q, lo), hi)
            clipped += q != qc
            tmp[c] = wc[c] * (qc * lsb)
    else:
        for c in range(v.shape[0]):
            tmp[c] = wc[c] * v[c]
    return clipped


@njit(cache=True)
def adc_accumulate(cur, n0, nb, k_tot, col_out, col_w, cyc_w, lsb, lo, hi, acc, counts):
    """ADC-convert ``cur[j*K+k, c]``, weight by cycle and column, add into ``acc[n0+j, col_out[c]]``.

    ``lsb`` 0 = ideal ADC. counts[0] += conversions, counts[1] += clipped conversions.
    Serial on purpose: a parallel loop right after the BLAS product fights BLAS's spinning threads
    for the cores (measured 10x slower on 2 cores).
    """
    ncol = cur.shape[1]
    inv = 1.0 / lsb if lsb > 0.0 else 0.0
    clipped = 0
    wc = _cycle_col_weights(cyc_w, col_w, k_tot)
    tmp = np.empty(ncol)
    for j in range(nb):
        out = acc[n0 + j]
        for k in range(k_tot):
            clipped += _convert_row(cur[j * k_tot + k], lsb, inv, lo, hi, wc[k], tmp)
            for c in range(ncol):
                out[col_out[c]] += tmp[c]
    counts[0] += nb * k_tot * ncol
    counts[1] += clipped


@njit(cache=True)
def _mix(x):
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@njit(cache=True)
def adc_accumulate_noisy(cur, n0, nb, k_tot, col_out, col_w, cyc_w, lsb, lo, hi, acc, counts, rstd, pool, seed,
                         vec0):
    """:func:`adc_accumulate` with read noise: column current += rstd[row] x pool[offset + c], the offset
    hashed from (seed, global vector vec0 + n0 + j, cycle k), so a vector's noise does not depend on its batch."""
    ncol = cur.shape[1]
    span = np.uint64(pool.shape[0] - ncol)
    inv = 1.0 / lsb if lsb > 0.0 else 0.0
    clipped = 0
    wc = _cycle_col_weights(cyc_w, col_w, k_tot)
    tmp = np.empty(ncol)
    v = np.empty(ncol)
    s = _mix(np.uint64(seed) + np.uint64(0x9E3779B97F4A7C15))
    for j in range(nb):
        out = acc[n0 + j]
        kv = _mix(s ^ (np.uint64(vec0 + n0 + j) * np.uint64(0xBF58476D1CE4E5B9)))
        for k in range(k_tot):
            row = j * k_tot + k
            sd = rstd[row]
            off = np.int64(((_mix(kv + np.uint64(k)) >> np.uint64(32)) * span) >> np.uint64(32))
            for c in range(ncol):
                v[c] = cur[row, c] + sd * pool[off + c]
            clipped += _convert_row(v, lsb, inv, lo, hi, wc[k], tmp)
            for c in range(ncol):
                out[col_out[c]] += tmp[c]
    counts[0] += nb * k_tot * ncol
    counts[1] += clipped


@njit(cache=True, fastmath=True)
def scaled_row_norms(a, scale, out):
    """out[i] = scale * ||a[i, :]||_2 (read-noise std per vector and cycle). ``fastmath`` lets the sum of
    squares vectorize (its order then follows the SIMD width, as BLAS's products already do)."""
    for i in range(a.shape[0]):
        s = 0.0
        for j in range(a.shape[1]):
            v = np.float64(a[i, j])
            s += v * v
        out[i] = scale * np.sqrt(s)
