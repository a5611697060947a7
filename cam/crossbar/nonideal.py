"""Crossbar non-idealities applied to programmed conductances (levels) and column currents.

Conductances are in level units: ``g = g0 + level`` (``g0 = (L-1) G_min / (G_max - G_min)``), so a
physical conductance is ``g (G_max - G_min) / (L-1)``. Applied in this order (docs/nonideal.md):

1. programming noise N(0, sigma (L-1)) per cell (clipped at 0) -- :func:`codesign.cam.crossbar.model.program`;
2. stuck cells: ``stuck_on_rate`` at G_max (g0 + L-1), ``stuck_off_rate`` at G_min (g0);
3. drift ``g (t/t0)^-nu`` with nu ~ N(drift_nu, drift_nu_sigma) per cell (nu >= 0);
4. first-order IR drop: a cell at tile row r (of R) and column c sees the wire resistance of (c + 1)
   word-line and (R - r) bit-line segments in series, ``g / (1 + g G_level R_wire (c + 1 + R - r))``.

Read noise is drawn per MVM on the column currents (:func:`codesign.cam.crossbar.kernels.adc_accumulate_noisy`
with the std from ``scaled_row_norms``): the sum of independent
per-cell N(0, sigma (L-1)) read fluctuations times the applied DAC values has std
``sigma (L-1) sqrt(sum_r x_r^2)``, exact in distribution for each column.
"""

from __future__ import annotations

import numpy as np

from codesign.cam.crossbar.params import CrossbarParams

#: standard normals in the read-noise pool of one layer (read at a hashed offset per vector and cycle)
POOL_SIZE = 1 << 16


def perturb(g: np.ndarray, p: CrossbarParams, rng: np.random.Generator) -> np.ndarray:
    """Stuck cells, drift and IR drop on conductances g [R, C] (levels, programming noise included)."""
    L1 = p.levels - 1
    if p.stuck_on_rate or p.stuck_off_rate:
        u = rng.random(g.shape)
        g = np.where(u < p.stuck_on_rate, p.g0 + L1, np.where(u < p.stuck_on_rate + p.stuck_off_rate, p.g0, g))
    if p.drift_factor_on:
        nu = np.maximum(rng.normal(p.drift_nu, p.drift_nu_sigma, size=g.shape), 0.0)
        g = g * (p.drift_time_s / p.drift_t0_s) ** (-nu)
    if p.wire_res_ohm:
        R, C = g.shape
        g_level_s = (p.g_max_us - p.g_min_us) / L1 * 1e-6  # siemens per level
        segments = (np.arange(C)[None, :] + 1.0) + (R - np.arange(R)[:, None])
        g = g / (1.0 + g * g_level_s * p.wire_res_ohm * segments)
    return g


def row_groups(rows_used: int, p: CrossbarParams) -> list[slice]:
    """Row slices converted together: ``rows_per_adc`` rows per conversion (0 = all rows)."""
    step = p.rows_per_adc or rows_used
    return [slice(r, min(r + step, rows_used)) for r in range(0, rows_used, step)]


def noise_pool(p: CrossbarParams, rng: np.random.Generator, cols: int) -> np.ndarray:
    """Standard normals for the read noise (at least twice the widest band's columns)."""
    return rng.standard_normal(max(POOL_SIZE, 2 * cols)).astype(np.float64)


def calibrated_full_scale(currents: np.ndarray, method: str, percentile: float) -> float:
    """ADC full scale from calibration currents: the max or a percentile of |current| (> 0)."""
    a = np.abs(np.asarray(currents, dtype=np.float64)).ravel()
    if a.size == 0:
        return 1.0
    fs = float(a.max()) if method == "max" else float(np.percentile(a, percentile))
    return fs if fs > 0 else 1.0
