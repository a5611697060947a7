"""Fast many-sample line evaluation: precomputed GN-model terms + one fused Numba kernel.

Factorization used (between ROADMs; a ROADM restarts it, see ``fastline_kernel._roadm``): every element scales
all channels of a sample by the same factor except the static EDFA tilt, so the signal at the input of span k is
``P_tx[s, c] * a_k[s] * T_k[c]`` (a_k: product of all flat gains/losses so far, per sample; T_k: product of
the tilts so far, static). The GN sum ``sum_j eta_ij P_j^2`` therefore equals
``a_k^2 * (P_tx^2 @ (eta_k * T_k^2).T)[s, i]`` (the kernel keeps ASE and NLI in the same normalized units:
``fastline_kernel``); spans whose matrices ``eta_k * T_k^2`` are proportional
(same fiber type: eta scales with L_eff^2) share one BLAS product for all samples (float32: the NLI
sums carry ~1e-6 relative error, < 1e-5 dB in GSNR). GNPy (and
``Line.evaluate_reference``) use the total power (signal + ASE + NLI) as pump; the extra pump from ASE + NLI
is folded in as a per-span, per-channel factor computed at the nominal operating point (exact there,
second-order error elsewhere; tests compare with the reference path). The channel under test uses the
exact per-sample total power. Everything per sample and per element (gains, saturation, NF, ASE, taps,
monitor readings in dB) runs in ``fastline_kernel.propagate``.
"""

from __future__ import annotations

import numpy as np

from .elements import Edfa, Fiber, Roadm, Voa, variable_gain_nf_params
from .fastline_kernel import launch, propagate
from .nli import effective_length_m
from .spectrum import H_PLANCK, REF_BW_HZ, db2lin, dbm2w
from .state import LineState

OP_FIBER, OP_EDFA, OP_VOA, OP_ROADM = 0, 1, 2, 3
CHUNK = 1024  # samples per kernel call


def supported(line) -> bool:
    """The kernel handles Fiber, Edfa, Voa and Roadm elements and the NF models of :class:`Edfa`."""
    return all(isinstance(e, (Fiber, Edfa, Voa, Roadm)) for e in line.elements)


class CompiledLine:
    """Time-independent precomputation for one line; ``run(state)`` evaluates all samples."""

    def __init__(self, line):
        if not supported(line):
            raise TypeError("CompiledLine needs Fiber/Edfa/Voa/Roadm elements only")
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
        fib, amp, voa, roadm, roadm_tin, roadm_after = [], [], [], [], [], []
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
                if roadm_after:
                    roadm_after[-1].append(len(mats) - 1)  # spans between this ROADM and the next
                tilts_at_span.append(tilt_acc.copy())
            elif isinstance(e, Edfa):
                ops.append(OP_EDFA)
                idx.append(len(amp))
                span = max(f[-1] - f[0], 1.0)
                tl = db2lin(e.tilt_db * (f - f.mean()) / span)
                if e.nf_model:  # two-stage variable-gain model, after a fixed preamplifier if dual stage
                    m = dict(e.nf_model)
                    g1, pre = m.pop("pre_gain_db", None), m.pop("pre_nf_db", None)
                    nf1, nf2, dp = variable_gain_nf_params(**m)
                    vg = (1.0, db2lin(nf1), db2lin(nf2), dp, m["gain_min_db"], m["gain_max_db"])
                    vg += (0.0, 0.0, 1.0) if g1 is None else (g1, db2lin(pre), db2lin(-g1))
                else:
                    vg = (0.0, db2lin(e.nf_db), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)
                amp.append((1.0 if e.mode == "power" else 0.0, e.gain_db, e.p_max_dbm,
                            e.target_pch_out_dbm + 10 * np.log10(c), e.out_voa_db, *vg,
                            tilt_acc.copy(), H_PLANCK * f * b / tilt_acc, tilt_acc * tl))
                tilt_acc = tilt_acc * tl
            elif isinstance(e, Voa):
                ops.append(OP_VOA)
                idx.append(len(voa))
                voa.append(db2lin(-e.loss_db))
            elif isinstance(e, Roadm):
                ops.append(OP_ROADM)
                idx.append(len(roadm))
                roadm.append((db2lin(-e.loss_db), float(dbm2w(e.target_pch_out_dbm))))
                roadm_tin.append(tilt_acc.copy())
                roadm_after.append([])
                tilt_acc = np.ones(c)  # equalized: the flat path restarts here
        self.ops = np.asarray(ops, np.int64)
        self.idx = np.asarray(idx, np.int64)
        self.n_spans, self.n_amps = len(fib), len(amp)
        self.fib = np.asarray(fib, float).reshape(-1, 6)  # in/out factor, alpha 1/m, L m, L_eff m, L/2 km
        self.amp_par = np.asarray([x[:14] for x in amp], float).reshape(-1, 14)
        self.amp_tin = np.asarray([x[14] for x in amp], float).reshape(-1, c)  # tilt product at the input
        self.amp_ase_n = np.asarray([x[15] for x in amp], float).reshape(-1, c)  # h f B / T_in, W
        self.amp_tout = np.asarray([x[16] for x in amp], float).reshape(-1, c)  # tilt product at the output
        self.t_rx = tilt_acc
        self.voa = np.asarray(voa, float)
        self.roadm = np.asarray(roadm, float).reshape(-1, 2)  # loss factor, target W
        self.roadm_tin = np.asarray(roadm_tin, float).reshape(-1, c)
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
        self.roadm_groups = np.zeros((len(roadm), len(groups)), np.bool_)  # groups used behind each ROADM
        for r, spans in enumerate(roadm_after):
            self.roadm_groups[r, [self.group[k] for k in spans]] = True
        (self.pump_k1, pump_w, self.pump_rho0), self.static = _nominal_pump_correction(line, c)
        self.pump_wt = pump_w * np.asarray(tilts_at_span).reshape(-1, c) ** 2  # weights on normalized powers

    def run(self, state, monitors: bool = True) -> dict:
        """Evaluate all samples of ``state`` (a LineState). Returns arrays: mon_power_dbm, mon_osnr_db (M, S, C)
        (only if ``monitors``); power_dbm, osnr_db, gsnr_db (0.1 nm) and osnr_bw_db, gsnr_bw_db (S, C)."""
        s, c = state.n_samples, self.n_channels
        off = None if state.tx_power_offset_db is None else \
            np.broadcast_to(np.asarray(state.tx_power_offset_db, float), (s, c))
        on = None if state.channel_on is None else np.broadcast_to(np.asarray(state.channel_on), (s, c))
        ext = _per_sample(state.span_extra_loss_db, s, self.n_spans, 0.0)  # (n_spans, S)
        pos = _per_sample(state.tap_position_km, s, self.n_spans, np.nan)
        gof = _per_sample(state.amp_gain_offset_db, s, self.n_amps, 0.0)  # (n_amps, S)
        m = 2 + 2 * self.n_amps if monitors else 1
        mon_p = np.empty((m, s if monitors else 0, c))
        mon_o = np.empty((m, s if monitors else 0, c))
        rx = np.empty((5, s, c))
        ch = min(s, CHUNK)
        xs, ixs, q = np.empty((ch, c)), np.empty((ch, c)), np.empty((ch, c), np.float32)
        zeros, ones = (np.zeros((ch, c)) if off is None else None), (np.ones((ch, c), bool) if on is None else None)
        y = np.empty((self.groups_t.shape[0], ch, c), np.float32)  # NLI sums: float32 (~1e-7 relative) is plenty
        with _one_blas_thread():  # (S, C) x (C, C): threads only add overhead
            for a in range(0, s, ch):  # chunks keep the temporaries in cache
                b = min(a + ch, s)
                n = b - a
                x = xs[:n]
                launch(zeros[:n] if off is None else np.ascontiguousarray(off[a:b]),
                       ones[:n] if on is None else np.ascontiguousarray(on[a:b]), x, ixs[:n], q[:n])
                for g in range(y.shape[0]):
                    np.matmul(q[:n], self.groups_t32[g], out=y[g, :n])
                propagate(x, ixs[:n], y, a, self.p0_w, ext, pos, gof, self.ops, self.idx, self.fib, self.group,
                          self.scale, self.pump_k1, self.pump_wt, self.pump_rho0, self.amp_par, self.amp_tin,
                          self.amp_tout, self.amp_ase_n, self.t_rx, self.voa, self.roadm, self.roadm_tin,
                          self.roadm_groups, self.groups_t32, self.ref_over_b, self.to01_db,
                          self.inv_tx, self.inv_rx_extra, bool(monitors), mon_p, mon_o, rx)
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
    """Per-sample, per-element values (S, n) or broadcastable -> contiguous (n, S)."""
    if n == 0:
        return np.zeros((0, s))
    if x is None:
        return np.full((n, s), fill)
    return np.ascontiguousarray(np.broadcast_to(np.asarray(x, float), (s, n)).T)


def _nominal_pump_correction(line, c):
    """Pump power from ASE + NLI (GNPy's pump is the total power). Per span k: kap1_k,i = nominal
    sum_j eta_ij (P_tot,j^2 - P_sig,j^2) / sum_j eta_ij P_sig,j^2, column weights w_k,j = sum_i eta_ij and
    rho0_k = sum_j w_j (P_tot^2 - P_sig^2) / sum_j w_j P_sig^2. Per sample the kernel scales kap1 by
    rho_k[s] / rho0_k (exact for a flat change of the noise-to-signal ratio; per-channel signal changes
    enter exactly through the signal term)."""

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
