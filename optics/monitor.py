"""OPM measurement model: static calibration errors + per-reading noise + resolution.

Static errors (drawn once per monitor/channel, they do not average out):
absolute power accuracy +-abs_accuracy_db (uniform, per monitor), relative accuracy rel_accuracy_db
(peak-to-peak across channels, uniform), OSNR accuracy +-osnr_accuracy_db (uniform, per monitor x
channel). Per-reading noise: Gaussian power_noise_db / osnr_noise_db / gsnr_noise_db divided by
sqrt(averaging). Readings are rounded to resolution_db. Static errors come from ``calibration_seed`` (the installed
monitors), so runs with different seeds share them, as a deployed line does. Figures and sources:
data/optics/opm.json (the scenario defaults).
"""

from __future__ import annotations

import numpy as np

from .receiver import ber_from_snr


def _quantize(x, res):
    return np.round(x / res) * res if res > 0 else x


def measure(truth: dict, channel_on: np.ndarray | None, opm: dict, rng) -> dict:
    """Noisy readings from the true values of ``Line.evaluate``; returns arrays shaped (M, C, T) / (C, T)."""
    p = truth["mon_power_dbm"]  # (M, S, C)
    m, s, c = p.shape
    avg = max(float(opm["averaging"]), 1.0)
    cal = np.random.default_rng(int(opm["calibration_seed"]))  # the installed hardware, not the run
    bias_abs = cal.uniform(-opm["abs_accuracy_db"], opm["abs_accuracy_db"], (m, 1, 1))
    bias_rel = cal.uniform(-opm["rel_accuracy_db"] / 2, opm["rel_accuracy_db"] / 2, (m, 1, c))
    pm = p + bias_abs + bias_rel + rng.normal(0, opm["power_noise_db"] / np.sqrt(avg), p.shape)
    pm = _quantize(pm, opm["resolution_db"])
    o = truth["mon_osnr_db"]
    bias_o = cal.uniform(-opm["osnr_accuracy_db"], opm["osnr_accuracy_db"], (m, 1, c))
    om = _quantize(o + bias_o + rng.normal(0, opm["osnr_noise_db"] / np.sqrt(avg), o.shape), opm["resolution_db"])
    g_noise = rng.normal(0, opm["gsnr_noise_db"], truth["gsnr_db"].shape)
    gm = truth["gsnr_db"] + g_noise
    ber = ber_from_snr(truth["gsnr_bw_db"] + g_noise, truth["modulation"])
    off = np.zeros((s, c), bool) if channel_on is None else ~np.asarray(channel_on, bool)
    low = p < opm["min_power_dbm"] - 30.0  # far below any OPM range: no reading
    pm[:, off] = np.nan
    om[:, off] = np.nan
    pm[low] = np.nan
    gm[off] = np.nan
    ber = np.where(off, np.nan, ber)
    return {"power_dbm": pm.transpose(0, 2, 1), "osnr_db": om.transpose(0, 2, 1),
            "rx_gsnr_db": gm.T.copy(), "rx_ber": ber.T.copy()}
