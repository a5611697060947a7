"""Time-correlated OPM noise: AR(1) reading noise and slowly wandering monitor offsets.

Real OPM/OCM readings are not independent from one sample to the next (polarization, temperature and
the instrument's own filtering correlate them over tens of seconds to minutes), and a monitor's calibration
offset wanders with temperature. ``ar1_noise`` draws stationary AR(1) noise along the time axis:
x[t] = rho * x[t-1] + sqrt(1 - rho^2) * sigma * e[t], so every reading keeps the standard deviation
``sigma`` and the lag-k autocorrelation is rho^k, with rho = exp(-sample_period_s / corr_time_s).
``offset_wander`` is a random walk of ``rate`` dB/sqrt(h) per monitor, reflected at +-``limit`` dB.
Figures and sources: data/optics/opm.json, section ``time_correlation``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import lfilter

from .errors import OpticsInputError

NOISE_MODELS = ("iid", "ar1")


def ar1_rho(sample_period_s: float, corr_time_s: float, source: str = "<arguments>") -> float:
    """Lag-1 autocorrelation of AR(1) noise with correlation time ``corr_time_s`` sampled every ``sample_period_s``."""
    for name, v in (("sample_period_s", sample_period_s), ("noise_corr_time_s", corr_time_s)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            raise OpticsInputError(source, name, f"must be a positive finite number of seconds, got {v!r}")
    return math.exp(-sample_period_s / corr_time_s)


def ar1_noise(rng, shape: tuple, sigma: float, rho: float, axis: int = -1, source: str = "<arguments>") -> np.ndarray:
    """Stationary AR(1) noise of standard deviation ``sigma`` and lag-1 correlation ``rho`` along ``axis``."""
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not math.isfinite(sigma) or sigma < 0:
        raise OpticsInputError(source, "sigma", f"must be a finite number >= 0 dB, got {sigma!r}")
    if isinstance(rho, bool) or not isinstance(rho, (int, float)) or not 0 <= rho < 1:
        raise OpticsInputError(source, "rho", f"must be in [0, 1) (lag-1 autocorrelation), got {rho!r}")
    e = rng.normal(0.0, sigma, shape)
    if rho == 0 or e.shape[axis] == 0:
        return e
    e = np.moveaxis(e, axis, -1)
    e[..., 0] /= math.sqrt(1 - rho * rho)  # the first reading is drawn from the stationary distribution
    x = lfilter([math.sqrt(1 - rho * rho)], [1.0, -rho], e, axis=-1)
    return np.moveaxis(x, -1, axis)


def offset_wander(rng, n_monitors: int, n_samples: int, sample_period_s: float, rate_db_per_sqrt_h: float,
                  limit_db: float, source: str = "<arguments>") -> np.ndarray:
    """(n_monitors, n_samples) random-walk offsets (dB), starting at 0, reflected at +-``limit_db``."""
    for name, v in (("offset_wander_db_per_sqrt_h", rate_db_per_sqrt_h), ("offset_max_db", limit_db)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise OpticsInputError(source, name, f"must be a finite number >= 0 dB, got {v!r}")
    if rate_db_per_sqrt_h == 0 or limit_db == 0 or n_samples == 0:
        return np.zeros((n_monitors, n_samples))
    step = rng.normal(0.0, rate_db_per_sqrt_h * math.sqrt(sample_period_s / 3600.0), (n_monitors, n_samples))
    step[:, 0] = 0.0
    w = np.cumsum(step, axis=1)
    # reflection at +-limit: fold the free walk into [-limit, limit] (a triangle wave of period 4 * limit)
    u = np.mod(w + limit_db, 4 * limit_db)
    return np.where(u <= 2 * limit_db, u, 4 * limit_db - u) - limit_db


def time_correlated(opm: dict, shape_mst: tuple, rng, sample_period_s: float, source: str) -> np.ndarray:
    """(M, S, C) power-reading errors of the 'ar1' model: AR(1) noise + per-monitor wandering offsets (dB)."""
    rho = ar1_rho(sample_period_s, opm["noise_corr_time_s"], source)
    m, s, _ = shape_mst
    off = offset_wander(rng, m, s, sample_period_s, opm["offset_wander_db_per_sqrt_h"], opm["offset_max_db"], source)
    return ar1_noise(rng, shape_mst, opm["power_noise_db"], rho, axis=1, source=source) + off[:, :, None]
