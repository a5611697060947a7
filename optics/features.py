"""Features relative to a learned per-channel baseline (used by TapDetector/TapLocalizer).

Receiver features per time sample (mean over the channels that are lit):
  dP    - change of received channel power (dB): a tap is an extra loss, seen 1:1 with constant-gain EDFAs
  dOSNR - change of OSNR (0.1 nm, dB): remains visible when constant-output-power EDFAs hide dP
  dGSNR - change of DSP-estimated GSNR (dB): same information, independent (lower-noise) estimator
  sdP   - spread of dP across channels (dB): near 0 for a flat tap loss, large for tilt/add-drop/ripple
  dlogBER - change of log10 pre-FEC BER
Averaging across channels divides per-reading noise by ~sqrt(n_channels); static calibration errors
cancel because everything is relative to the baseline. A causal moving average over ``window``
samples adds time averaging.
"""

from __future__ import annotations

import warnings

import numpy as np
from numba import njit


def causal_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Moving average over the last ``window`` samples along axis 0 (NaN-free input)."""
    if window <= 1:
        return x
    c = np.cumsum(np.vstack([np.zeros((1,) + x.shape[1:]), x]), axis=0)
    n = x.shape[0]
    idx = np.arange(1, n + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo).reshape(-1, *([1] * (x.ndim - 1)))


def _nanmean(a, axis):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(a, axis=axis)


def _nanstd(a, axis):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanstd(a, axis=axis)


def rx_baseline(ds) -> dict:
    """Per-channel medians of the receiver readings (C,)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {"p": np.nanmedian(ds.power_dbm[-1], axis=1), "o": np.nanmedian(ds.osnr_db[-1], axis=1),
                "g": np.nanmedian(ds.rx_gsnr_db, axis=1), "b": np.nanmedian(np.log10(ds.rx_ber), axis=1)}


def rx_features(ds, base: dict) -> np.ndarray:
    """(T, 5) receiver features, see module docstring."""
    dp = ds.power_dbm[-1] - base["p"][:, None]
    do = ds.osnr_db[-1] - base["o"][:, None]
    dg = ds.rx_gsnr_db - base["g"][:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        db = np.log10(ds.rx_ber) - base["b"][:, None]
    f = np.stack([_nanmean(dp, 0), _nanmean(do, 0), _nanmean(dg, 0), _nanstd(dp, 0), _nanmean(db, 0)], axis=1)
    return np.nan_to_num(f)


def span_loss_db(ds) -> np.ndarray:
    """(T, n_spans) span loss from in-line monitors: P(before span) - P(after span), channel mean.

    Only channels lit at both monitors count; -1 monitor indices give NaN.
    """
    out = np.full((ds.n_samples, len(ds.span_monitors)), np.nan)
    for k, (a, b) in enumerate(ds.span_monitors):
        if a >= 0 and b >= 0:
            out[:, k] = _nanmean(ds.power_dbm[a] - ds.power_dbm[b], 0)
    return out


def amp_gain_db(ds) -> np.ndarray:
    """(T, n_amps) measured EDFA gain, P(out) - P(in), channel mean."""
    names = ds.monitor_names
    ins = [i for i, n in enumerate(names) if n.endswith(":in")]
    return np.stack([_nanmean(ds.power_dbm[i + 1] - ds.power_dbm[i], 0) for i in ins], axis=1) \
        if ins else np.zeros((ds.n_samples, 0))


@njit(cache=True)
def _adaptive_residual(f, sd, drift_sd, alpha, k_latch, init, lag):
    t, d = f.shape
    out = np.empty_like(f)
    n0 = min(max(init, 1), t)
    b = np.zeros(d)
    for i in range(n0):  # start from the mean of the first ``init`` samples
        for j in range(d):
            b[j] += f[i, j] / n0
    n_frozen = 0
    returned = False
    for i in range(t):
        big = False
        for j in range(d):
            out[i, j] = f[i, j] - b[j]
            if abs(out[i, j]) > k_latch * sd[j]:
                big = True
        if lag > 0 and n_frozen > lag and i >= lag:
            for j in range(d):  # a step back towards the frozen baseline: the event has ended
                if abs(out[i - lag, j]) - abs(out[i, j]) > k_latch * np.sqrt(2.0) * sd[j]:
                    returned = True
        if returned:
            ok = True
            for j in range(d):  # within noise + the drift accumulated while frozen, and settled (the causal
                # window has left the event: no more step between consecutive samples): re-anchor
                band = k_latch * np.sqrt(sd[j] ** 2 + n_frozen * drift_sd[j] ** 2)
                if abs(out[i, j]) > band or abs(out[i - 1, j]) > band or abs(out[i, j] - out[i - 1, j]) > 1.5 * sd[j]:
                    ok = False
            if ok:
                for j in range(d):
                    b[j] = f[i, j]
                    out[i, j] = 0.0
                n_frozen = 0
                returned = False
            else:
                n_frozen += 1
            continue
        if not big:  # track drift
            for j in range(d):
                b[j] += alpha * out[i, j]
            n_frozen = 0
            continue
        n_frozen += 1  # latch: an alarm freezes the baseline so a tap is not learned away
    return out


def drift_sd_per_sample(f: np.ndarray, short: int, long: int) -> np.ndarray:
    """Random-walk drift of each feature, per sqrt(sample): (var(f[t+long]-f[t]) - var(f[t+short]-f[t])) / (long-short)."""
    if f.shape[0] <= long + 1:
        return np.zeros(f.shape[1])
    v_long = np.var(f[long:] - f[:-long], axis=0)
    v_short = np.var(f[short:] - f[:-short], axis=0)
    return np.sqrt(np.maximum(v_long - v_short, 0.0) / (long - short))


def adaptive_residual(f: np.ndarray, sd: np.ndarray, tau_samples: float, k_latch: float = np.inf,
                      init: int = 0, drift_sd=None, lag: int = 6) -> np.ndarray:
    """Features minus a slow exponential baseline (time constant ``tau_samples``) that tracks drift.

    The baseline starts at the mean of the first ``init`` samples (the series must start in normal operation) and is
    frozen while any feature deviates by more than ``k_latch`` * ``sd`` (an event). It is re-anchored to the current
    features once the event has ended: a step back towards the frozen baseline (over ``lag`` samples, larger than
    k_latch * sqrt(2) * sd) followed by all features within k_latch * sqrt(sd^2 + n_frozen * drift_sd^2) on two
    consecutive samples that differ by less than 1.5 sd (settled): the noise plus the drift accumulated while frozen (``drift_sd`` per sqrt(sample); None: 0). A persistent tap makes no step
    back, so it stays flagged. ``lag`` <= 0 disables re-anchoring (the baseline can then stay frozen after an event).
    """
    f = np.ascontiguousarray(f, dtype=np.float64)
    sd = np.ascontiguousarray(np.broadcast_to(sd, (f.shape[1],)), dtype=np.float64)
    dsd = np.zeros(f.shape[1]) if drift_sd is None else np.asarray(drift_sd, float)
    dsd = np.ascontiguousarray(np.broadcast_to(dsd, (f.shape[1],)), dtype=np.float64)
    alpha = 0.0 if not np.isfinite(tau_samples) else 1.0 / max(tau_samples, 1.0)
    return _adaptive_residual(f, sd, dsd, alpha, float(k_latch), int(init), int(lag))
