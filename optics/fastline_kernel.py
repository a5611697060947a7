"""Numba kernel of the fast line evaluation (driven by :class:`~codesign.optics.fastline.CompiledLine`).

State per time sample, in units normalized to the flat path (what makes the per-element work small):
every Fiber/Voa and the flat part of every EDFA gain scale all channels of a sample alike, so the
absolute powers are ``P[i] = a * T[i] * x[i]`` with ``a`` a per-sample scalar in W (launch power times
all flat gains/losses so far), ``T`` the static product of the EDFA tilts so far (precomputed) and ``x``
dimensionless per channel: ``x_sig = 10^(offset/10) * on`` (unchanged along the line), ``x_ase`` and
``x_nli`` (accumulated). Losses and flat gains therefore only update ``a``; an EDFA adds
``nf * hfB / (a * T_in)`` to ``x_ase``; a span adds ``(x_sig + x_ase + x_nli) * a^2 * eta-sum`` to
``x_nli``. Monitor powers are ``1e3 a T x_total`` mW, OSNRs use ``x_ase / x_sig`` (the ``a T`` factors
cancel), so no per-channel division or gain multiplication is left in the element loop.

Work is element-major over blocks of samples: per-sample scalars (``a``, gains, NF, tap factors) are
vectors over the block, so their exponentials and logarithms vectorize like the per-channel loops. The
exp/log used are branch-free polynomial versions (SIMD-friendly, unlike libm calls) accurate to < 1e-15
relative (exp) and < 1e-9 dB (log); inputs outside their range are found by an OR-reduced bit test and
redone with libm, so zero, negative, inf and NaN readings come out as NumPy's would.
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
BLOCK = 256  # samples per block inside a chunk: the per-block state (2 x BLOCK x C doubles) stays in L2


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
            x[i] = math.exp(LN10_10 * off[i]) * on[i]
    for i in range(n):
        v = x[i]
        ix[i] = 1.0 / v
        q[i] = v * v


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def exp_inplace(v):
    """v[j] <- exp(v[j]) over a 1-D array (vectorized; entries with |v| > 700 or NaN redone with libm)."""
    acc = 0
    for j in range(v.size):
        acc |= _exp_out_of_range(v[j])
    if acc < 0:
        for j in range(v.size):
            v[j] = math.exp(v[j])
        return
    for j in range(v.size):
        v[j] = _exp_core(v[j])


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _monitor(mon_p, mon_o, m, s0, a, t, xs, ixs, xa, xn, ref_over_b, inv_tx):
    """Readings at monitor m for samples s0.. of a block: total power (dBm) and OSNR (0.1 nm, with the
    transmitter's) of every channel; a (block,) W, t: tilt product (linear). Written linear, then
    converted to dB while the block is in cache."""
    n_b, n_c = xa.shape
    p, o = mon_p[m, s0:s0 + n_b], mon_o[m, s0:s0 + n_b]
    for j in range(n_b):
        a_mw = 1e3 * a[j]
        for i in range(n_c):
            p[j, i] = (xs[j, i] + xa[j, i] + xn[j, i]) * a_mw * t[i]
            o[j, i] = xa[j, i] * ixs[j, i] * ref_over_b[i] + inv_tx  # x_sig = 0: inf or NaN, as the reference
    db_inplace(p.reshape(-1), 1.0)
    db_inplace(o.reshape(-1), -1.0)


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _fiber(k, xs, xa, xn, yg, a, ext_k, pos_k, fib, scale_k, pump_k1, pump_wt, pump_rho0, w1, w2, w3):
    """Span k on one block: NLI added to xn, a (block,) scaled by the span's (per-sample) loss."""
    n_b, n_c = xa.shape
    alpha, length, leff, half = fib[k, 2], fib[k, 3], fib[k, 4], fib[k, 5] * 1e3
    for j in range(n_b):
        a[j] *= fib[k, 0]
        w1[j] = -LN10_10 * ext_k[j]  # lumped loss inside the span (tap, bend): its transmission
        z = pos_k[j] * 1e3
        z = half if z != z else z
        w2[j] = -alpha * min(max(z, 0.0), length)
    exp_inplace(w1)
    exp_inplace(w2)
    for j in range(n_b):  # NLI scales with the modified L_eff^2 (1 without a lumped loss)
        lz = (1.0 - w2[j]) / alpha
        tf = (lz + w1[j] * (leff - lz)) / leff
        w3[j] = a[j] * a[j] * scale_k * tf * tf
    rho0 = pump_rho0[k]
    for j in range(n_b):
        e_s = 0.0
        q_s = 0.0
        for i in range(n_c):  # pump from ASE + NLI relative to its nominal share
            nz = xa[j, i] + xn[j, i]
            e_s += pump_wt[k, i] * nz * (2.0 * xs[j, i] + nz)
            q_s += pump_wt[k, i] * xs[j, i] * xs[j, i]
        ce = e_s / (q_s * rho0) if rho0 > 0.0 and q_s > 0.0 else 0.0
        coef = w3[j]
        for i in range(n_c):
            xn[j, i] += (xs[j, i] + xa[j, i] + xn[j, i]) * coef * yg[j, i] * (1.0 + ce * pump_k1[k, i])
    for j in range(n_b):
        a[j] *= fib[k, 1] * w1[j]


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _edfa(k, xs, xa, xn, a, gof_k, amp_par, amp_tin, amp_ase_n, w1, w2, w3):
    """Amplifier k on one block: gain (gain or power mode, saturation), ASE added to xa, a scaled."""
    n_b, n_c = xa.shape
    for j in range(n_b):
        p = 0.0
        for i in range(n_c):
            p += amp_tin[k, i] * (xs[j, i] + xa[j, i] + xn[j, i])
        w1[j] = p * a[j] * 1e3
    db_inplace(w1, 1.0)  # input power, dBm
    power_mode, vg = amp_par[k, 0] > 0.5, amp_par[k, 5] > 0.5
    for j in range(n_b):
        p_in_dbm = w1[j]
        g_db = (amp_par[k, 3] - p_in_dbm if power_mode else amp_par[k, 1]) + gof_k[j]
        g_db = min(g_db, amp_par[k, 2] - p_in_dbm)
        w1[j] = g_db
        g_b = g_db - amp_par[k, 11]  # variable-gain two-stage NF model (if vg), after a dual-stage preamp
        pad = max(amp_par[k, 9] - g_b, 0.0)
        gg = g_b + pad
        w2[j] = -LN10_10 * (gg - amp_par[k, 8] - max(amp_par[k, 10] - gg, 0.0))
        w3[j] = LN10_10 * pad
    if vg:
        exp_inplace(w2)
        exp_inplace(w3)
    for j in range(n_b):
        nf = amp_par[k, 12] + amp_par[k, 13] * (amp_par[k, 6] + amp_par[k, 7] * w2[j]) * w3[j] if vg else amp_par[k, 6]
        w2[j] = nf / a[j]
        w3[j] = LN10_10 * (w1[j] - amp_par[k, 4])
    exp_inplace(w3)
    for j in range(n_b):
        c_ase = w2[j]
        for i in range(n_c):
            xa[j, i] += c_ase * amp_ase_n[k, i]
        a[j] *= w3[j]


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _roadm(k, xs, ixs, xa, xn, a, roadm, roadm_tin, roadm_groups, groups_t32, y, b0, q):
    """ROADM k on one block: insertion loss, then every channel attenuated to the target (never amplified).
    The block restarts from a flat path: a = target (W), x scaled by a_old T_in f / target with
    f = min(target / P_tot, 1); the NLI sums of the spans after it are recomputed from the new signal."""
    n_b, n_c = xa.shape
    tgt = roadm[k, 1]
    for j in range(n_b):
        av = a[j] * roadm[k, 0]
        for i in range(n_c):
            p = av * roadm_tin[k, i]
            tot = p * (xs[j, i] + xa[j, i] + xn[j, i])
            f = min(tgt / tot, 1.0) if tot > 0.0 else 0.0
            c = p * f / tgt
            xs[j, i] *= c
            xa[j, i] *= c
            xn[j, i] *= c
            ixs[j, i] = 1.0 / xs[j, i]
            q[j, i] = np.float32(xs[j, i] * xs[j, i])
        a[j] = tgt
    for g in range(roadm_groups.shape[1]):
        if roadm_groups[k, g]:
            y[g, b0:b0 + n_b] = np.dot(q, groups_t32[g])


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def propagate(xsig, ixsig, y, s0, a0, ext, pos, gof, ops, idx, fib, group, scale, pump_k1, pump_wt, pump_rho0,
              amp_par, amp_tin, amp_tout, amp_ase_n, t_rx, voa, roadm, roadm_tin, roadm_groups, groups_t32,
              ref_over_b, to01_db, inv_tx, inv_rx, want_mon, mon_p, mon_o, rx):
    """Evaluate one chunk of samples s0 .. s0 + len(xsig).

    xsig, ixsig (chunk, C): normalized launch powers and their reciprocals (inf for dark channels);
    y (groups, chunk, C): NLI sums ``xsig^2 @ (eta T^2)^T`` per span group (float32); a0: launch power
    per channel, W. ext/pos (n_spans, S), gof (n_amps, S): per-sample extra span loss (dB), tap position
    (km), gain offset (dB), indexed with the absolute sample. Outputs (all samples): mon_p/mon_o (M, S, C)
    dBm/dB if want_mon; rx (5, S, C) = power dBm, OSNR and GSNR (0.1 nm), OSNR and GSNR (symbol bandwidth).
    ROADMs (op 3; roadm (n, 2): loss factor, target W; roadm_tin: tilt product at its input) re-equalize the
    block's signal, so the block works on copies of xsig/ixsig and recomputes the NLI sums y behind each ROADM
    (groups in roadm_groups) with one float32 product.
    Element by element over blocks of BLOCK samples (per-sample scalars are vectors over the block, so the
    exponentials and logs of gains and losses vectorize too); readings are written linear, then converted
    to dB block by block while in cache (contiguous rows: long vectorized loops)."""
    n_s, n_c = xsig.shape
    xa = np.empty((BLOCK, n_c))
    xn = np.empty((BLOCK, n_c))
    a = np.empty(BLOCK)
    w1, w2, w3 = np.empty(BLOCK), np.empty(BLOCK), np.empty(BLOCK)
    ones = np.ones(n_c)
    m_last = mon_p.shape[0] - 1
    has_roadm = roadm.shape[0] > 0
    xs_buf, ixs_buf = np.empty((BLOCK, n_c)), np.empty((BLOCK, n_c))
    q = np.empty((BLOCK, n_c), np.float32)
    for b0 in range(0, n_s, BLOCK):
        nb = min(BLOCK, n_s - b0)
        sb = s0 + b0  # first absolute sample of the block
        xs, ixs = xsig[b0:b0 + nb], ixsig[b0:b0 + nb]
        if has_roadm:  # a ROADM changes the signal: work on copies
            xs_buf[:nb] = xs
            ixs_buf[:nb] = ixs
            xs, ixs = xs_buf[:nb], ixs_buf[:nb]
        ba, bn, bv = xa[:nb], xn[:nb], a[:nb]
        v1, v2, v3 = w1[:nb], w2[:nb], w3[:nb]
        ba[:] = 0.0
        bn[:] = 0.0
        bv[:] = a0
        if want_mon:
            _monitor(mon_p, mon_o, 0, sb, bv, ones, xs, ixs, ba, bn, ref_over_b, inv_tx)
        for e in range(ops.size):
            k = idx[e]
            if ops[e] == 0:
                _fiber(k, xs, ba, bn, y[group[k], b0:b0 + nb], bv, ext[k, sb:sb + nb], pos[k, sb:sb + nb], fib,
                       scale[k], pump_k1, pump_wt, pump_rho0, v1, v2, v3)
            elif ops[e] == 1:
                if want_mon:
                    _monitor(mon_p, mon_o, 1 + 2 * k, sb, bv, amp_tin[k], xs, ixs, ba, bn, ref_over_b, inv_tx)
                _edfa(k, xs, ba, bn, bv, gof[k, sb:sb + nb], amp_par, amp_tin, amp_ase_n, v1, v2, v3)
                if want_mon:
                    _monitor(mon_p, mon_o, 2 + 2 * k, sb, bv, amp_tout[k], xs, ixs, ba, bn, ref_over_b, inv_tx)
            elif ops[e] == 2:
                for j in range(nb):
                    bv[j] *= voa[k]
            else:
                _roadm(k, xs, ixs, ba, bn, bv, roadm, roadm_tin, roadm_groups, groups_t32, y, b0, q[:nb])
        r0, r1, r2 = rx[0, sb:sb + nb], rx[1, sb:sb + nb], rx[2, sb:sb + nb]
        r3, r4 = rx[3, sb:sb + nb], rx[4, sb:sb + nb]
        for j in range(nb):
            a_mw = 1e3 * bv[j]
            for i in range(n_c):
                r0[j, i] = xs[j, i] * a_mw * t_rx[i]
                r1[j, i] = ba[j, i] * ixs[j, i] * ref_over_b[i] + inv_rx
                r2[j, i] = (ba[j, i] + bn[j, i]) * ixs[j, i] * ref_over_b[i] + inv_rx
        db_inplace(r0.reshape(-1), 1.0)
        db_inplace(r1.reshape(-1), -1.0)
        db_inplace(r2.reshape(-1), -1.0)
        for j in range(nb):
            for i in range(n_c):
                r3[j, i] = r1[j, i] - to01_db[i]
                r4[j, i] = r2[j, i] - to01_db[i]
        if want_mon:
            rm = mon_p[m_last, sb:sb + nb]
            for j in range(nb):
                a_mw = 1e3 * bv[j]
                for i in range(n_c):
                    rm[j, i] = (xs[j, i] + ba[j, i] + bn[j, i]) * a_mw * t_rx[i]
            db_inplace(rm.reshape(-1), 1.0)
            mon_o[m_last, sb:sb + nb] = r1
