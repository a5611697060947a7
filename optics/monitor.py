"""OPM measurement model: static calibration errors + per-reading noise + resolution.

Static errors (drawn once per monitor/channel, they do not average out):
absolute power accuracy +-abs_accuracy_db (uniform, per monitor), relative accuracy rel_accuracy_db
(peak-to-peak across channels, uniform), OSNR accuracy +-osnr_accuracy_db (uniform, per monitor x
channel). Per-reading noise: Gaussian power_noise_db / osnr_noise_db / gsnr_noise_db divided by
sqrt(averaging) (``noise_model = "iid"``, independent readings), or with ``noise_model = "ar1"`` AR(1) noise of
the same standard deviation correlated over ``noise_corr_time_s`` plus per-monitor power offsets wandering at
``offset_wander_db_per_sqrt_h`` within +-``offset_max_db`` (:mod:`.opm_noise`; an OSNR is a ratio of two powers
read by the same monitor, so the offset cancels there). Readings are rounded to resolution_db. Static errors come from ``calibration_seed`` (the installed
monitors), so runs with different seeds share them, as a deployed line does. Figures and sources:
data/optics/opm.json (the scenario defaults).
"""

from __future__ import annotations

import numpy as np

from .opm_noise import ar1_noise, ar1_rho, time_correlated
from .receiver import ber_from_snr


def _quantize(x, res):
    return np.round(x / res) * res if res > 0 else x


def measure(truth: dict, channel_on: np.ndarray | None, opm: dict, rng, sample_period_s: float = 10.0,
            source: str = "[opm]") -> dict:
    """Noisy readings from the true values of ``Line.evaluate``; returns arrays shaped (M, C, T) / (C, T)."""
    if opm.get("noise_model", "iid") == "ar1":
        return _measure_ar1(truth, channel_on, opm, rng, sample_period_s, source)
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
    return _finish(truth, channel_on, opm, pm, om, gm, ber)


def _measure_ar1(truth, channel_on, opm, rng, period, source):
    p = truth["mon_power_dbm"]
    m, _, c = p.shape
    cal = np.random.default_rng(int(opm["calibration_seed"]))
    bias_abs = cal.uniform(-opm["abs_accuracy_db"], opm["abs_accuracy_db"], (m, 1, 1))
    bias_rel = cal.uniform(-opm["rel_accuracy_db"] / 2, opm["rel_accuracy_db"] / 2, (m, 1, c))
    bias_o = cal.uniform(-opm["osnr_accuracy_db"], opm["osnr_accuracy_db"], (m, 1, c))
    pm = _quantize(p + bias_abs + bias_rel + time_correlated(opm, p.shape, rng, period, source), opm["resolution_db"])
    rho = ar1_rho(period, opm["noise_corr_time_s"], source)
    o = truth["mon_osnr_db"]
    om = o + bias_o + ar1_noise(rng, o.shape, opm["osnr_noise_db"], rho, axis=1, source=source)
    om = _quantize(om, opm["resolution_db"])
    g_noise = ar1_noise(rng, truth["gsnr_db"].shape, opm["gsnr_noise_db"], rho, axis=0, source=source)
    gm = truth["gsnr_db"] + g_noise
    ber = ber_from_snr(truth["gsnr_bw_db"] + g_noise, truth["modulation"])
    return _finish(truth, channel_on, opm, pm, om, gm, ber)


def _finish(truth, channel_on, opm, pm, om, gm, ber):
    p = truth["mon_power_dbm"]
    s, c = p.shape[1:]
    off = np.zeros((s, c), bool) if channel_on is None else ~np.asarray(channel_on, bool)
    low = p < opm["min_power_dbm"] - 30.0  # far below any OPM range: no reading
    pm[:, off] = np.nan
    om[:, off] = np.nan
    pm[low] = np.nan
    gm[off] = np.nan
    ber = np.where(off, np.nan, ber)
    return {"power_dbm": pm.transpose(0, 2, 1), "osnr_db": om.transpose(0, 2, 1),
            "rx_gsnr_db": gm.T.copy(), "rx_ber": ber.T.copy()}
