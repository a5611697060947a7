"""OPM telemetry as a tensor: gaps (random and burst), naive interpolation, low-rank completion.

Tensor layout (``Q x C x T``): the rows are power_dbm of every monitor, osnr_db of every
monitor, then the receiver's DSP GSNR (dB) and log10 pre-FEC BER; ``C`` channels; ``T`` time
samples.  Each (row, channel) series is standardised (median and row-wise spread removed)
before completion, so dB readings of different kinds share one scale.  Channels that are off
(NaN in the data set) stay NaN.
"""

from __future__ import annotations

import numpy as np

from ._base import CompletionInputError, Completer


def opm_tensor(ds) -> np.ndarray:
    """``(2M + 2, C, T)`` tensor of an :class:`codesign.optics.OpmDataset` (NaN: no reading)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logber = np.log10(ds.rx_ber)
    return np.concatenate([ds.power_dbm, ds.osnr_db, ds.rx_gsnr_db[None], logber[None]], axis=0)


def dataset_from_tensor(ds, x: np.ndarray):
    """Copy of ``ds`` with its readings taken from the tensor ``x`` (inverse of :func:`opm_tensor`)."""
    m = ds.power_dbm.shape[0]
    if x.shape != (2 * m + 2,) + ds.power_dbm.shape[1:]:
        raise CompletionInputError(f"tensor: expected shape {(2 * m + 2,) + ds.power_dbm.shape[1:]}, got {x.shape}")
    return ds.replace(power_dbm=x[:m], osnr_db=x[m:2 * m], rx_gsnr_db=x[2 * m], rx_ber=10.0 ** x[2 * m + 1])


def monitor_rows(n_monitors: int, monitor: int) -> list[int]:
    """Tensor rows that go dark when ``monitor`` is offline (the receiver takes its DSP rows too)."""
    rows = [monitor, n_monitors + monitor]
    if monitor == n_monitors - 1:
        rows += [2 * n_monitors, 2 * n_monitors + 1]
    return rows


def drop_random(shape, n_monitors: int, ratio: float, rng: np.random.Generator) -> np.ndarray:
    """Keep-mask (True = kept) losing whole monitor readings (all channels) at random times."""
    keep = np.ones(shape, bool)
    lost = rng.random((n_monitors, shape[2])) < ratio
    for mon in range(n_monitors):
        keep[np.ix_(monitor_rows(n_monitors, mon), np.arange(shape[1]), np.flatnonzero(lost[mon]))] = False
    return keep


def drop_bursts(shape, n_monitors: int, n_bursts: int, burst_samples: int, rng: np.random.Generator,
                monitors=None) -> np.ndarray:
    """Keep-mask with ``n_bursts`` outages of ``burst_samples`` each (a monitor offline), random monitor/start."""
    keep = np.ones(shape, bool)
    cand = np.arange(n_monitors) if monitors is None else np.asarray(monitors)
    for _ in range(int(n_bursts)):
        mon = int(rng.choice(cand))
        t0 = int(rng.integers(0, max(1, shape[2] - burst_samples)))
        keep[monitor_rows(n_monitors, mon), :, t0:t0 + burst_samples] = False
    return keep


def interpolate_gaps(x: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Naive fill: linear interpolation in time of every (row, channel) series (ends held)."""
    out = x.copy()
    t = np.arange(x.shape[-1])
    for idx in np.ndindex(*x.shape[:-1]):
        k = keep[idx] & np.isfinite(x[idx])
        if k.any() and not k.all():
            out[idx] = np.where(k, x[idx], np.interp(t, t[k], x[idx][k]))
    return out


def complete_opm(x: np.ndarray, keep: np.ndarray, solver: Completer, *, window: int | None = None,
                 progress=None) -> np.ndarray:
    """Complete the gaps of an OPM tensor with ``solver`` (any completer or C2F).

    Series are standardised first; entries that are NaN in ``x`` everywhere they are kept
    (channels that are off) stay NaN.  ``window`` splits the time axis into chunks of that many
    samples completed one by one (None: all at once).
    """
    if x.shape != keep.shape or x.ndim != 3:
        raise CompletionInputError(f"keep: expected a (rows, channels, time) mask of shape {x.shape}, got {keep.shape}")
    obs = keep & np.isfinite(x)
    dead = ~obs.any(axis=2)  # (row, channel) series with no reading at all
    import warnings

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN series (channels off)
        xo = np.where(obs, x, np.nan)
        med = np.nan_to_num(np.nanmedian(xo, axis=2, keepdims=True))  # all-NaN series: 0
        dev = np.abs(xo - med)
        sd = np.nan_to_num(np.nanmedian(dev, axis=(1, 2), keepdims=True)) * 1.4826 + 1e-6
    z = np.where(obs, (x - med) / sd, 0.0)
    live = ~dead
    zl, ol = z, obs.copy()
    ol[dead] = True  # dead series: pinned at 0 (their median) so they do not disturb the rest
    out = np.empty_like(z)
    w = x.shape[2] if window is None else int(window)
    for t0 in range(0, x.shape[2], w):
        sl = slice(t0, t0 + w)
        out[:, :, sl] = solver.complete(zl[:, :, sl], ol[:, :, sl], progress=progress)
    res = out * sd + med
    res[~live] = np.nan
    res[keep & ~np.isfinite(x)] = np.nan  # channel off at a kept sample: stays off
    return np.where(obs, x, res)
