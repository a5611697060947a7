"""Numba kernel of the fast line evaluation (driven by :class:`~codesign.optics.fastline.CompiledLine`).

State per time sample, in units normalized to the flat path (what makes the per-element work small):
every Fiber/Voa and the flat part of every EDFA gain scale all channels of a sample alike, so the
absolute powers are ``P[i] = a * T[i] * x[i]`` with ``a`` a per-sample scalar in W (launch power times
all flat gains/losses so far), ``T`` the static product of the EDFA tilts so far (precomputed) and ``x``
dimensionless per channel: ``x_sig = 10^(offset/10) * on`` (unchanged along the line), ``x_ase`` and
``x_nli`` (accumulated). Losses and flat gains therefore only update ``a``; an EDFA adds
``nf * hfB / (a * T_in)`` to ``x_ase``; a span adds ``(x_sig + x_ase + x_nli) * a^2 * eta-sum`` to
``x_nli``. Monitor powers are ``10 log10(1e3 a) + T_dB + 10 log10(x_total)``, OSNRs use ``x_ase / x_sig``
(the ``a T`` factors cancel), so no per-channel division or gain multiplication is left in the loop.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

LN10_10 = math.log(10.0) / 10.0
DB_PER_LN = 10.0 / math.log(10.0)
FASTMATH = {"reassoc", "contract", "nsz"}  # vectorize sums; keep inf/NaN semantics (no nnan/ninf/arcp)


@intrinsic
def _f2i(typingctx, x):
    """float64 -> its IEEE-754 bits as int64 (no conversion)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def _i2f(typingctx, x):
    """int64 bits -> float64."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@njit(inline="always", fastmath=FASTMATH)
def _ln_bits(b):
    """ln(x) from the IEEE bits b of a positive normal x: exponent + atanh series of the mantissa in
    [sqrt(1/2), sqrt(2)) to t^11 (|error| < 3e-11, i.e. < 1e-9 dB; branch-free, SIMD-vectorizable)."""
    ef = _i2f(0x4330000000000000 | (b >> 52)) - 4503599627371519.0  # unbiased exponent as float
    mnt = _i2f((b & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)
    big = mnt > 1.4142135623730951
    mnt = mnt * 0.5 if big else mnt
    ef = ef + 1.0 if big else ef
    t = (mnt - 1.0) / (mnt + 1.0)
    t2 = t * t
    p = 1.0 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7 + t2 * (1.0 / 9 + t2 * (1.0 / 11)))))
    return ef * 0.6931471805599453 + 2.0 * t * p


@njit(inline="always", fastmath=FASTMATH)
def _not_normal(b):
    """Negative (sign bit set) iff the double with bits b is not a positive normal number (zero, negative,
    subnormal, inf, NaN); OR-reduce it over a loop to test a whole row without branches."""
    u = b - 0x0010000000000000
    return u | (0x7FDFFFFFFFFFFFFF - u)


@njit(inline="always", fastmath=FASTMATH)
def _exp_core(y):
    """exp(y) for |y| <= 700: 2^k * Taylor series of exp(r), |r| <= ln2/2, to r^13 (relative error
    < 1e-15; branch-free, SIMD-vectorizable)."""
    k = math.floor(y * 1.4426950408889634 + 0.5)
    r = (y - k * 0.6931471803691238) - k * 1.9082149292705877e-10  # ln 2 split: hi * k is exact
    p = 1.0 + r * (1.0 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (
        1.0 / 720 + r * (1.0 / 5040 + r * (1.0 / 40320 + r * (1.0 / 362880 + r * (
            1.0 / 3628800 + r * (1.0 / 39916800 + r * (1.0 / 479001600 + r / 6227020800.0))))))))))))
    return p * _i2f((np.int64(k) + 1023) << 52)


@njit(inline="always", fastmath=FASTMATH)
def _exp_out_of_range(y):
    """Negative iff |y| > 700 or y is NaN (OR-reducible like _not_normal)."""
    return 0x4085E00000000000 - (_f2i(y) & 0x7FFFFFFFFFFFFFFF)


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def db(x):
    """10 log10(x) for a scalar: -inf at 0, NaN below (libm only outside the positive normal range)."""
    b = _f2i(x)
    if _not_normal(b) >= 0:
        return DB_PER_LN * _ln_bits(b)
    return DB_PER_LN * math.log(x) if x > 0.0 else (-np.inf if x == 0.0 else np.nan)


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def exp(y):
    """exp(y) for a scalar (libm only for |y| > 700 and NaN)."""
    return _exp_core(y) if _exp_out_of_range(y) >= 0 else math.exp(y)


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def db_inplace(v, sign):
    """v[i] <- sign * 10 log10(v[i]) over a contiguous 1-D block (vectorized log; a block holding a number
    that is not positive normal is converted element by element with :func:`db`)."""
    n = v.size
    acc = 0
    for i in range(n):
        acc |= _not_normal(_f2i(v[i]))
    if acc < 0:
        for i in range(n):
            v[i] = sign * db(v[i])
        return
    for i in range(n):
        v[i] = sign * DB_PER_LN * _ln_bits(_f2i(v[i]))


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def launch(off, on, x, ix, q):
    """Normalized launch powers of one chunk: x = 10^(off/10) * on, ix = 1/x (inf where dark), q = x^2
    (float32, for the NLI product); off (n, C) dB, on (n, C) 0/1 (bool or float: a factor, as the
    reference's transmitter). Vectorized exponential; |off| > 3000 dB or NaN redone with libm."""
    n = x.size  # all arrays C-contiguous: one flat loop
    off, on, x, ix, q = off.reshape(n), on.reshape(n), x.reshape(n), ix.reshape(n), q.reshape(n)
    acc = 0
    for i in range(n):
        y = LN10_10 * off[i]
        acc |= _exp_out_of_range(y)
        x[i] = _exp_core(y) * on[i]
    if acc < 0:
        for i in range(n):
            x[i] = exp(LN10_10 * off[i]) * on[i]
    for i in range(n):
        v = x[i]
        ix[i] = 1.0 / v
        q[i] = v * v


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _monitor(mon_p, mon_o, m, s, a_mw, t, xs, ixs, xa, xn, ref_over_b, inv_tx):
    """Linear readings at monitor m (converted to dB per chunk): total power (mW) and the inverse OSNR
    (0.1 nm, with the transmitter's) of every channel; a_mw = 1e3 a, t: tilt product (linear)."""
    for i in range(xs.size):
        mon_p[m, s, i] = (xs[i] + xa[i] + xn[i]) * a_mw * t[i]
        mon_o[m, s, i] = xa[i] * ixs[i] * ref_over_b[i] + inv_tx  # x_sig = 0: inf or NaN, as the reference


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def propagate(xsig, ixsig, y, s0, a0, ext, pos, gof, ops, idx, fib, group, scale, pump_k1, pump_wt, pump_rho0,
              amp_par, amp_tin, amp_tout, amp_ase_n, t_rx, voa, ref_over_b, to01_neg, inv_tx, inv_rx,
              want_mon, mon_p, mon_o, rx):
    """Evaluate one chunk of samples s0 .. s0 + len(xsig).

    xsig, ixsig (chunk, C): normalized launch powers and their reciprocals (inf for dark channels);
    y (groups, chunk, C): NLI sums ``xsig^2 @ (eta T^2)^T`` per span group (float32); a0: launch power
    per channel, W. ext/pos/gof (S, ...): per-sample extra span loss (dB), tap position (km), gain
    offset (dB), indexed with the absolute sample. Outputs (all samples): mon_p/mon_o (M, S, C) dBm/dB
    if want_mon; rx (5, S, C) = power dBm, OSNR and GSNR (0.1 nm), OSNR and GSNR (symbol bandwidth).
    Readings are written linear per sample, then converted to dB block by block (contiguous rows of the
    chunk: long vectorized loops)."""
    n_s, n_c = xsig.shape
    xa = np.empty(n_c)
    xn = np.empty(n_c)
    ones = np.ones(n_c)
    m_last = mon_p.shape[0] - 1
    for sc in range(n_s):
        s = s0 + sc
        xs = xsig[sc]
        ixs = ixsig[sc]
        for i in range(n_c):
            xa[i] = 0.0
            xn[i] = 0.0
        a = a0
        if want_mon:
            _monitor(mon_p, mon_o, 0, s, 1e3 * a, ones, xs, ixs, xa, xn, ref_over_b, inv_tx)
        for e in range(ops.size):
            op = ops[e]
            k = idx[e]
            if op == 0:  # fiber
                a *= fib[k, 0]
                el = ext[s, k]
                tf = 1.0
                t_el = 1.0
                if el != 0.0:  # lumped loss inside the span: NLI scales with the modified L_eff^2
                    t_el = exp(-LN10_10 * el)
                    alpha, length, leff = fib[k, 2], fib[k, 3], fib[k, 4]
                    z = pos[s, k] * 1e3
                    if z != z:
                        z = fib[k, 5] * 1e3
                    z = min(max(z, 0.0), length)
                    lz = (1.0 - exp(-alpha * z)) / alpha
                    tf = (lz + t_el * (leff - lz)) / leff
                    tf *= tf
                coef = a * a * scale[k] * tf
                g = group[k]
                e_s = 0.0
                q_s = 0.0
                for i in range(n_c):  # pump from ASE + NLI relative to its nominal share
                    nz = xa[i] + xn[i]
                    e_s += pump_wt[k, i] * nz * (2.0 * xs[i] + nz)
                    q_s += pump_wt[k, i] * xs[i] * xs[i]
                ce = e_s / (q_s * pump_rho0[k]) if pump_rho0[k] > 0.0 and q_s > 0.0 else 0.0
                for i in range(n_c):
                    xn[i] += (xs[i] + xa[i] + xn[i]) * coef * y[g, sc, i] * (1.0 + ce * pump_k1[k, i])
                a *= fib[k, 1] * t_el
            elif op == 1:  # edfa
                if want_mon:
                    _monitor(mon_p, mon_o, 1 + 2 * k, s, 1e3 * a, amp_tin[k], xs, ixs, xa, xn, ref_over_b, inv_tx)
                p_in = 0.0
                for i in range(n_c):
                    p_in += amp_tin[k, i] * (xs[i] + xa[i] + xn[i])
                p_in_dbm = db(p_in * a * 1e3)
                if amp_par[k, 0] > 0.5:
                    g_db = amp_par[k, 3] - p_in_dbm
                else:
                    g_db = amp_par[k, 1]
                g_db += gof[s, k]
                g_db = min(g_db, amp_par[k, 2] - p_in_dbm)
                if amp_par[k, 5] > 0.5:  # variable-gain two-stage NF model
                    pad = max(amp_par[k, 9] - g_db, 0.0)
                    gg = g_db + pad
                    g1a = gg - amp_par[k, 8] - max(amp_par[k, 10] - gg, 0.0)
                    nf = (amp_par[k, 6] + amp_par[k, 7] * exp(-LN10_10 * g1a)) * exp(LN10_10 * pad)
                else:
                    nf = amp_par[k, 6]
                c_ase = nf / a
                for i in range(n_c):
                    xa[i] += c_ase * amp_ase_n[k, i]
                a *= exp(LN10_10 * (g_db - amp_par[k, 4]))
                if want_mon:
                    _monitor(mon_p, mon_o, 2 + 2 * k, s, 1e3 * a, amp_tout[k], xs, ixs, xa, xn, ref_over_b, inv_tx)
            else:  # voa
                a *= voa[k]
        a_mw = 1e3 * a
        for i in range(n_c):
            rx[0, s, i] = xs[i] * a_mw * t_rx[i]
            rx[1, s, i] = xa[i] * ixs[i] * ref_over_b[i] + inv_rx
            rx[2, s, i] = (xa[i] + xn[i]) * ixs[i] * ref_over_b[i] + inv_rx
        if want_mon:
            for i in range(n_c):
                mon_p[m_last, s, i] = (xs[i] + xa[i] + xn[i]) * a_mw * t_rx[i]
    e = s0 + n_s  # rows s0..e of each output block: contiguous (n_s, C), converted as one flat vector each
    db_inplace(rx[0, s0:e].reshape(-1), 1.0)
    db_inplace(rx[1, s0:e].reshape(-1), -1.0)
    db_inplace(rx[2, s0:e].reshape(-1), -1.0)
    r1, r2, r3, r4 = rx[1, s0:e], rx[2, s0:e], rx[3, s0:e], rx[4, s0:e]
    for sc in range(n_s):
        for i in range(n_c):
            r3[sc, i] = r1[sc, i] + to01_neg[i]
            r4[sc, i] = r2[sc, i] + to01_neg[i]
    if want_mon:
        for m in range(m_last + 1):
            db_inplace(mon_p[m, s0:e].reshape(-1), 1.0)
        for m in range(m_last):
            db_inplace(mon_o[m, s0:e].reshape(-1), -1.0)
        mon_o[m_last, s0:e] = r1
