"""OPM windows for the supervised tap classifier: features, windows, per-window labels, day splits.

Features per sample (F, C) relative to a per-monitor, per-channel baseline (medians of a normal-operation
reference day, the operator's commissioning data): the power change of every monitor (M rows, dB), the
receiver OSNR and GSNR changes (dB) and a receiver "dark" flag (1 where the channel has no reading, e.g.
dropped). NaN changes read 0; changes are clipped to +-``clip_db``. A window is the ``window`` samples
ending at the decision time t (F × C × window) and is labelled with the class at t. Windows never cross a
day (file) boundary, and :func:`check_split` refuses a train/test split that shares a day.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from codesign.errors import CodesignError

from .reader import OpmDay


class SplitError(CodesignError, ValueError):
    """A train/test split that would leak windows between them."""


@dataclass
class Baseline:
    """Per-monitor/channel medians of a normal-operation day: power (M, C) dBm, rx OSNR / GSNR (C,) dB."""

    power_dbm: np.ndarray
    rx_osnr_db: np.ndarray
    rx_gsnr_db: np.ndarray

    @classmethod
    def fit(cls, day: OpmDay) -> "Baseline":
        normal = day.label == 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            p = np.nanmedian(day.power_dbm[:, :, normal], axis=2)
            o = np.nanmedian(day.osnr_db[-1][:, normal], axis=1)
            g = np.nanmedian(day.rx_gsnr_db[:, normal], axis=1)
        return cls(np.nan_to_num(p), np.nan_to_num(o), np.nan_to_num(g))


def n_features(n_monitors: int) -> int:
    """Feature rows F for a line with ``n_monitors`` monitors."""
    return n_monitors + 3


def features(day: OpmDay, base: Baseline, clip_db: float = 5.0) -> np.ndarray:
    """(F, C, T) float32 feature tensor of a day (see module docstring)."""
    dp = day.power_dbm - base.power_dbm[:, :, None]
    do = day.osnr_db[-1] - base.rx_osnr_db[:, None]
    dg = day.rx_gsnr_db - base.rx_gsnr_db[:, None]
    dark = np.isnan(day.power_dbm[-1]).astype(np.float32)
    f = np.concatenate([dp, do[None], dg[None], dark[None]], axis=0)
    return np.clip(np.nan_to_num(f, nan=0.0), -clip_db, clip_db).astype(np.float32)


def channel_mean(feat: np.ndarray) -> np.ndarray:
    """(F, 1, T) mean over channels, computed by the same ``avg_pool2d`` the exported model starts with."""
    x = torch.from_numpy(np.ascontiguousarray(feat))[None]
    return F.avg_pool2d(x, (feat.shape[1], 1))[0].numpy()


def decision_times(n_samples: int, window: int, stride: int = 1) -> np.ndarray:
    """Sample indices t at which a full window [t - window + 1, t] exists."""
    return np.arange(window - 1, n_samples, stride)


def windows(feat: np.ndarray, ends: np.ndarray, window: int) -> np.ndarray:
    """(N, F, H, window) windows of ``feat`` (F, H, T) ending at sample indices ``ends``."""
    ends = np.asarray(ends, dtype=np.int64)
    if ends.size and (ends.min() < window - 1 or ends.max() >= feat.shape[-1]):
        raise SplitError(f"window ends {ends.min()}..{ends.max()} outside [{window - 1}, {feat.shape[-1] - 1}]")
    idx = ends[:, None] + np.arange(1 - window, 1)[None, :]
    return np.ascontiguousarray(feat[:, :, idx].transpose(2, 0, 1, 3))


@dataclass
class DayWindows:
    """One day's channel-averaged windows x (N, F, 1, window), labels y (N,), decision times t (N,)."""

    day: OpmDay
    feat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    t: np.ndarray


def day_windows(day: OpmDay, base: Baseline, window: int, stride: int = 1) -> DayWindows:
    feat = features(day, base)
    t = decision_times(day.n_samples, window, stride)
    return DayWindows(day, feat, windows(channel_mean(feat), t, window), day.label[t], t)


def check_split(train: list[OpmDay], test: list[OpmDay]) -> None:
    """Raise :class:`SplitError` if a test day is also a training day (same file or same seed)."""
    for d in test:
        for e in train:
            if d.path.resolve() == e.path.resolve() or (d.seed is not None and d.seed == e.seed):
                raise SplitError(f"{d.path}: test day shares {'file' if d.path == e.path else f'seed {d.seed}'} "
                                 f"with training day {e.path}; split by simulated day")
