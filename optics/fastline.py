"""Fast many-sample line evaluation: precomputed GN-model terms + one fused Numba kernel.

Factorization used (lines of Fiber / Edfa / Voa, no ROADM): every element scales all channels of a
sample by the same factor except the static EDFA tilt, so the signal at the input of span k is
``P_tx[s, c] * a_k[s] * T_k[c]`` (a_k: product of all flat gains/losses so far, per sample; T_k: product of
the tilts so far, static). The GN sum ``sum_j eta_ij P_j^2`` therefore equals
``a_k^2 * (P_tx^2 @ (eta_k * T_k^2).T)[s, i]``; spans whose matrices ``eta_k * T_k^2`` are proportional
(same fiber type: eta scales with L_eff^2) share one BLAS product for all samples (float32: the NLI
sums carry ~1e-6 relative error, < 1e-5 dB in GSNR). GNPy (and
``Line.evaluate_reference``) use the total power (signal + ASE + NLI) as pump; the extra pump from ASE + NLI
is folded in as a per-span, per-channel factor computed at the nominal operating point (exact there,
second-order error elsewhere; tests compare with the reference path). The channel under test uses the
exact per-sample total power. Everything per sample and per element (gains, saturation, NF, ASE, taps,
monitor readings in dB) runs in ``_kernel``.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from .elements import Edfa, Fiber, Voa, variable_gain_nf_params
from .nli import effective_length_m
from .spectrum import H_PLANCK, REF_BW_HZ, db2lin, dbm2w

OP_FIBER, OP_EDFA, OP_VOA = 0, 1, 2
_LN10_10 = math.log(10.0) / 10.0
_DB_PER_LN = 10.0 / math.log(10.0)
CHUNK = 1024  # samples per kernel call
_FM = {"reassoc", "contract", "nsz"}  # vectorize sums; keep inf/NaN semantics (no nnan/ninf/arcp)


def supported(line) -> bool:
    """The kernel handles Fiber, Edfa and Voa elements (a ROADM equalizes per channel: reference path)."""
    return all(isinstance(e, (Fiber, Edfa, Voa)) for e in line.elements)


class CompiledLine:
    """Time-independent precomputation for one line; ``run(state)`` evaluates all samples."""

    def __init__(self, line):
        if not supported(line):
            raise TypeError("CompiledLine needs Fiber/Edfa/Voa elements only")
        plan = line.plan
        f = plan.frequency_hz
        c = f.size
        b = np.full(c, plan.baud_rate_hz)
        self.n_channels = c
        self.p0_w = float(dbm2w(plan.power_dbm))
        tx = plan.tx_osnr_db
        self.inv_tx = float(10 ** (-tx / 10)) if np.isfinite(tx) else 0.0
        extra = [x for x in (tx, *line.receiver.extra_osnr_db) if x is not None and np.isfinite(x)]
        self.inv_rx_extra = float(sum(10 ** (-x / 10) for x in extra))  # 0.1 nm reference
        self.ref_over_b = REF_BW_HZ / b
        self.to01_db = 10 * np.log10(b / REF_BW_HZ)
        ops, idx = [], []
        fib, amp, voa = [], [], []
        tilt_acc = np.ones(c)
        mats, tilts_at_span = [], []
        for e in line.elements:
            if isinstance(e, Fiber):
                ops.append(OP_FIBER)
                idx.append(len(fib))
                a = e.alpha_np_m
                L = e.length_km * 1e3
                fib.append((db2lin(-(e.con_in_db + e.att_in_db)), db2lin(-(e.loss_db_km * e.length_km + e.con_out_db)),
                            a, L, effective_length_m(a, L), e.length_km / 2))
                mats.append(e.eta_matrix(f, b) * (tilt_acc ** 2)[None, :])
                tilts_at_span.append(tilt_acc.copy())
            elif isinstance(e, Edfa):
                ops.append(OP_EDFA)
                idx.append(len(amp))
                span = max(f[-1] - f[0], 1.0)
                tl = db2lin(e.tilt_db * (f - f.mean()) / span)
                tilt_acc = tilt_acc * tl
                if e.nf_model:
                    nf1, nf2, dp = variable_gain_nf_params(**e.nf_model)
                    vg = (1.0, db2lin(nf1), db2lin(nf2), dp, e.nf_model["gain_min_db"], e.nf_model["gain_max_db"])
                else:
                    vg = (0.0, db2lin(e.nf_db), 0.0, 0.0, 0.0, 0.0)
                amp.append((1.0 if e.mode == "power" else 0.0, e.gain_db, e.p_max_dbm,
                            e.target_pch_out_dbm + 10 * np.log10(c), e.out_voa_db, *vg, tl, H_PLANCK * f * b))
            elif isinstance(e, Voa):
                ops.append(OP_VOA)
                idx.append(len(voa))
                voa.append(db2lin(-e.loss_db))
        self.ops = np.asarray(ops, np.int64)
        self.idx = np.asarray(idx, np.int64)
        self.n_spans, self.n_amps = len(fib), len(amp)
        self.fib = np.asarray([x for x in fib], float).reshape(-1, 6)
        self.amp_par = np.asarray([x[:11] for x in amp], float).reshape(-1, 11)
        self.amp_tilt = np.asarray([x[11] for x in amp], float).reshape(-1, c)
        self.amp_ase = np.asarray([x[12] for x in amp], float).reshape(-1, c)
        self.voa = np.asarray(voa, float)
        # group proportional matrices: span k uses scale[k] * Y[group[k]]
        groups, self.group, self.scale = [], [], []
        for m in mats:
            nrm = float(np.abs(m).max())
            u = m / nrm
            for gi, g in enumerate(groups):
                if np.allclose(u, g, rtol=1e-10, atol=1e-14):
                    break
            else:
                groups.append(u)
                gi = len(groups) - 1
            self.group.append(gi)
            self.scale.append(nrm)
        self.group = np.asarray(self.group, np.int64)
        self.scale = np.asarray(self.scale, float)
        self.groups_t = np.ascontiguousarray(np.stack(groups).transpose(0, 2, 1)) if groups else np.zeros((0, c, c))
        self.groups_t32 = self.groups_t.astype(np.float32)
        (self.pump_k1, self.pump_w, self.pump_rho0), self.static = _nominal_pump_correction(line, c)

    def run(self, state, monitors: bool = True) -> dict:
        """Evaluate all samples of ``state`` (a LineState). Returns arrays: mon_power_dbm, mon_osnr_db (M, S, C)
        (only if ``monitors``); power_dbm, osnr_db, gsnr_db (0.1 nm) and osnr_bw_db, gsnr_bw_db (S, C)."""
        s, c = state.n_samples, self.n_channels
        off = None if state.tx_power_offset_db is None else \
            np.broadcast_to(np.asarray(state.tx_power_offset_db, float), (s, c))
        on = None if state.channel_on is None else np.broadcast_to(np.asarray(state.channel_on), (s, c))
        ext = _per_sample(state.span_extra_loss_db, s, self.n_spans, 0.0)
        pos = _per_sample(state.tap_position_km, s, self.n_spans, np.nan)
        gof = _per_sample(state.amp_gain_offset_db, s, self.n_amps, 0.0)
        m = 2 + 2 * self.n_amps if monitors else 1
        mon_p = np.empty((m, s if monitors else 0, c))
        mon_o = np.empty((m, s if monitors else 0, c))
        rx = np.empty((5, s, c))
        ch = min(s, CHUNK)
        ptx, q = np.empty((ch, c)), np.empty((ch, c), np.float32)
        y = np.empty((self.groups_t.shape[0], ch, c), np.float32)  # NLI sums: float32 (~1e-7 relative) is plenty
        with _one_blas_thread():  # a (S, C) x (C, C) product: threads only add overhead on a busy machine
            for a in range(0, s, ch):  # chunks keep the temporaries in cache
                b = min(a + ch, s)
                n = b - a
                pt = ptx[:n]
                if off is None:
                    pt.fill(self.p0_w)
                else:
                    np.multiply(off[a:b], _LN10_10, out=pt)
                    np.exp(pt, out=pt)
                    pt *= self.p0_w
                if on is not None:
                    pt *= on[a:b]
                np.multiply(pt, pt, out=q[:n], casting="same_kind")
                for g in range(y.shape[0]):
                    np.matmul(q[:n], self.groups_t32[g], out=y[g, :n])
                _kernel(pt, y, a, ext, pos, gof, self.ops, self.idx, self.fib, self.group, self.scale, self.pump_k1,
                        self.pump_w, self.pump_rho0, self.amp_par, self.amp_tilt, self.amp_ase, self.voa,
                        self.ref_over_b, self.to01_db, self.inv_tx, self.inv_rx_extra, bool(monitors),
                        mon_p, mon_o, rx)
        out = {"power_dbm": rx[0], "osnr_db": rx[1], "gsnr_db": rx[2], "osnr_bw_db": rx[3], "gsnr_bw_db": rx[4]}
        if monitors:
            out.update(mon_power_dbm=mon_p, mon_osnr_db=mon_o)
        return out


_BLAS = []


def _one_blas_thread():
    """Context limiting BLAS to one thread (the threadpoolctl controller is built once: building it is slow)."""
    import contextlib

    if not _BLAS:
        try:
            from threadpoolctl import ThreadpoolController
            _BLAS.append(ThreadpoolController())
        except ImportError:  # pragma: no cover
            _BLAS.append(None)
    ctl = _BLAS[0]
    return contextlib.nullcontext() if ctl is None else ctl.limit(limits=1, user_api="blas")


def _per_sample(x, s, n, fill):
    if n == 0:
        return np.zeros((s, 0))
    if x is None:
        return np.full((s, n), fill)
    return np.ascontiguousarray(np.broadcast_to(np.asarray(x, float), (s, n)))


def _nominal_pump_correction(line, c):
    """Pump power from ASE + NLI (GNPy's pump is the total power). Per span k: kap1_k,i = nominal
    sum_j eta_ij (P_tot,j^2 - P_sig,j^2) / sum_j eta_ij P_sig,j^2, column weights w_k,j = sum_i eta_ij and
    rho0_k = sum_j w_j (P_tot^2 - P_sig^2) / sum_j w_j P_sig^2. Per sample the kernel scales kap1 by
    rho_k[s] / rho0_k (exact for a flat change of the noise-to-signal ratio; per-channel signal changes
    enter exactly through the signal term)."""
    from .line import LineState

    ref = line.evaluate_reference(LineState(1), record_span_inputs=True)
    taps = ref["span_inputs"]
    n = len(taps)
    kap1, w, rho0 = np.zeros((n, c)), np.zeros((n, c)), np.zeros(n)
    for k, (sig, tot) in enumerate(taps):
        eta = line.spans[k].eta_matrix(line.plan.frequency_hz, np.full(c, line.plan.baud_rate_hz))
        d = tot[0] ** 2 - sig[0] ** 2
        xs = eta @ sig[0] ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            kap1[k] = np.where(xs > 0, (eta @ d) / xs, 0.0)
        w[k] = eta.sum(axis=0)
        q0 = w[k] @ sig[0] ** 2
        rho0[k] = (w[k] @ d) / q0 if q0 > 0 else 0.0
    static = {"cd_ps_nm": ref["cd_ps_nm"], "dgd_ps": ref["dgd_ps"], "latency_ms": ref["latency_ms"]}
    return (kap1, w, rho0), static


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


@njit(cache=True)
def _db(x):
    return _DB_PER_LN * math.log(x) if x > 0.0 else (-np.inf if x == 0.0 else np.nan)


@njit(cache=True, error_model="numpy")
def _db_row(x, out, m, s, sign):
    """out[m, s, :] = sign * 10 log10(x): exponent from the bits + atanh series of the mantissa in
    [sqrt(1/2), sqrt(2)) (|error| < 1e-9 dB; SIMD-vectorizable, unlike libm log); zero, negative, inf,
    NaN and subnormal inputs fall back to math.log."""
    n = x.size
    for i in range(n):
        b = _f2i(x[i])
        ef = _i2f(0x4330000000000000 | (b >> 52)) - 4503599627371519.0  # unbiased exponent as float
        mnt = _i2f((b & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)
        big = mnt > 1.4142135623730951
        mnt = mnt * 0.5 if big else mnt
        ef = ef + 1.0 if big else ef
        t = (mnt - 1.0) / (mnt + 1.0)
        t2 = t * t
        p = 1.0 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7 + t2 * (1.0 / 9 + t2 * (1.0 / 11)))))
        out[m, s, i] = sign * _DB_PER_LN * (ef * 0.6931471805599453 + 2.0 * t * p)
    for i in range(n):
        v = x[i]
        if not (v >= 2.2250738585072014e-308 and v <= 1.7976931348623157e308):
            out[m, s, i] = sign * _db(v)


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _write_monitor(mon_p, mon_o, m, s, sig, ase, nli, ref_over_b, inv_tx, buf):
    n = sig.size
    for i in range(n):
        buf[i] = (sig[i] + ase[i] + nli[i]) * 1e3
    _db_row(buf, mon_p, m, s, 1.0)
    for i in range(n):  # sig = 0: inf (ASE only) or NaN (nothing), as the reference
        buf[i] = ase[i] / sig[i] * ref_over_b[i] + inv_tx
    _db_row(buf, mon_o, m, s, -1.0)


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _kernel(ptx, y, s0, ext, pos, gof, ops, idx, fib, group, scale, pump_k1, pump_w, pump_rho0, amp_par, amp_tilt, amp_ase, voa,
            ref_over_b, to01_db, inv_tx, inv_rx, want_mon, mon_p, mon_o, rx):
    n_s, n_c = ptx.shape  # chunk of samples s0 .. s0 + n_s (ptx, y: chunk rows; the rest: all samples)
    sig = np.empty(n_c)
    ase = np.empty(n_c)
    nli = np.empty(n_c)
    buf = np.empty(n_c)
    for sc in range(n_s):
        s = s0 + sc
        for i in range(n_c):
            sig[i] = ptx[sc, i]
            ase[i] = 0.0
            nli[i] = 0.0
        a = 1.0
        m = 0
        if want_mon:
            _write_monitor(mon_p, mon_o, m, s, sig, ase, nli, ref_over_b, inv_tx, buf)
        m += 1
        for e in range(ops.size):
            op = ops[e]
            k = idx[e]
            if op == 0:  # fiber
                f_in = fib[k, 0]
                a *= f_in
                el = ext[s, k]
                tf = 1.0
                if el != 0.0:
                    alpha, length, leff = fib[k, 2], fib[k, 3], fib[k, 4]
                    z = pos[s, k] * 1e3
                    if z != z:
                        z = fib[k, 5] * 1e3
                    z = min(max(z, 0.0), length)
                    lz = (1.0 - math.exp(-alpha * z)) / alpha
                    tf = (lz + math.exp(-_LN10_10 * el) * (leff - lz)) / leff
                    tf *= tf
                coef = a * a * scale[k] * tf
                g = group[k]
                loss = fib[k, 1] * math.exp(-_LN10_10 * el)
                e_s = 0.0
                q_s = 0.0
                for i in range(n_c):
                    sig[i] *= f_in
                    ase[i] *= f_in
                    nli[i] *= f_in
                    nz = ase[i] + nli[i]
                    e_s += pump_w[k, i] * nz * (2.0 * sig[i] + nz)
                    q_s += pump_w[k, i] * sig[i] * sig[i]
                ce = e_s / (q_s * pump_rho0[k]) if pump_rho0[k] > 0.0 and q_s > 0.0 else 0.0
                for i in range(n_c):
                    nl = nli[i]
                    nl += (sig[i] + ase[i] + nl) * coef * y[g, sc, i] * (1.0 + ce * pump_k1[k, i])
                    nli[i] = nl * loss
                    sig[i] *= loss
                    ase[i] *= loss
                a *= loss
            elif op == 1:  # edfa
                if want_mon:
                    _write_monitor(mon_p, mon_o, m, s, sig, ase, nli, ref_over_b, inv_tx, buf)
                m += 1
                p_in = 0.0
                for i in range(n_c):
                    p_in += sig[i] + ase[i] + nli[i]
                p_in_dbm = _db(p_in * 1e3)
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
                    nf = (amp_par[k, 6] + amp_par[k, 7] * math.exp(-_LN10_10 * g1a)) * math.exp(_LN10_10 * pad)
                else:
                    nf = amp_par[k, 6]
                gl = math.exp(_LN10_10 * (g_db - amp_par[k, 4]))
                a *= gl
                for i in range(n_c):
                    t = gl * amp_tilt[k, i]
                    sig[i] *= t
                    ase[i] = (ase[i] + amp_ase[k, i] * nf) * t
                    nli[i] *= t
                if want_mon:
                    _write_monitor(mon_p, mon_o, m, s, sig, ase, nli, ref_over_b, inv_tx, buf)
                m += 1
            else:  # voa
                v = voa[k]
                a *= v
                for i in range(n_c):
                    sig[i] *= v
                    ase[i] *= v
                    nli[i] *= v
        if want_mon:
            for i in range(n_c):
                buf[i] = (sig[i] + ase[i] + nli[i]) * 1e3
            _db_row(buf, mon_p, m, s, 1.0)
        for i in range(n_c):
            buf[i] = sig[i] * 1e3
        _db_row(buf, rx, 0, s, 1.0)
        for i in range(n_c):
            buf[i] = ase[i] / sig[i] * ref_over_b[i] + inv_rx
        _db_row(buf, rx, 1, s, -1.0)
        for i in range(n_c):
            buf[i] = (ase[i] + nli[i]) / sig[i] * ref_over_b[i] + inv_rx
        _db_row(buf, rx, 2, s, -1.0)
        if want_mon:
            for i in range(n_c):
                mon_o[m, s, i] = rx[1, s, i]
        for i in range(n_c):
            rx[3, s, i] = rx[1, s, i] - to01_db[i]
            rx[4, s, i] = rx[2, s, i] - to01_db[i]
