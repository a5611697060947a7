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

RX_FEATURES = ("dP", "dOSNR", "dGSNR", "sdP", "dlogBER")


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
def _adaptive_residual(f, sd, alpha, k_latch, init):
    t, d = f.shape
    out = np.empty_like(f)
    n0 = min(max(init, 1), t)
    b = np.zeros(d)
    for i in range(n0):  # start from the mean of the first ``init`` samples
        for j in range(d):
            b[j] += f[i, j] / n0
    for i in range(t):
        big = False
        for j in range(d):
            out[i, j] = f[i, j] - b[j]
            if abs(out[i, j]) > k_latch * sd[j]:
                big = True
        if not big:  # latch: an alarm freezes the baseline so a tap is not learned away
            for j in range(d):
                b[j] += alpha * out[i, j]
    return out


def adaptive_residual(f: np.ndarray, sd: np.ndarray, tau_samples: float, k_latch: float = np.inf,
                      init: int = 0) -> np.ndarray:
    """Features minus a slow exponential baseline (time constant ``tau_samples``) that tracks drift.

    The baseline starts at the mean of the first ``init`` samples (the series must start in normal operation) and is not
    updated while any feature deviates by more than ``k_latch`` * ``sd``.
    """
    f = np.ascontiguousarray(f, dtype=np.float64)
    sd = np.ascontiguousarray(np.broadcast_to(sd, (f.shape[1],)), dtype=np.float64)
    alpha = 0.0 if not np.isfinite(tau_samples) else 1.0 / max(tau_samples, 1.0)
    return _adaptive_residual(f, sd, alpha, float(k_latch), int(init))
