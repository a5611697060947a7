"""The paper's unsupervised method (Song et al., arXiv 2309.14541 and its 2024 journal version), scikit-learn style.

All estimators work on unlabeled OPM data (normal operation and events mixed, no labels at fit time), cut into
non-overlapping windows of ``window`` samples. Each feature is taken relative to a robust local baseline (a
centred rolling median over ``baseline_windows`` windows, then one over half as many with the events left out:
slow drift and wandering monitor offsets are removed, events shorter than about half that span are not) and scaled by its median absolute deviation (robust: most windows are
normal). Window features (:func:`window_features`): receiver dP, dOSNR, dGSNR, channel spread sdP, dropped
channel fraction; in-line span-loss changes per span; measured amplifier gain changes; span-loss sustained rise and
receiver-power sustained fall (:func:`sustained_rise`, the temporal signature of a ramp).

- :class:`ClusterTapDetector`: Gaussian-mixture clustering of the windows into normal and event clusters.
- :class:`CoarseLocalizer`: which span, from receiver data alone. With constant-gain EDFAs a tap of L dB in span
  k lowers the signal and the ASE of the amplifiers before it by L dB but not the ASE of amplifier k and those
  after it, so the OSNR drop per dB of power drop falls from ~1 (first span) towards 1/n (last span). The
  localizer matches (dP, dOSNR) against these curves computed with the line model.
- :class:`SpanLocalizer`: span level from in-line power monitors; flags every span whose loss rose, so two or
  more simultaneous taps on different spans are found.
:func:`label_matching_accuracy`: accuracy after the optimal cluster-to-class matching (Hungarian).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.ndimage import median_filter
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture

from .errors import OpticsInputError
from .features import _nanmean, _nanstd, amp_gain_db, span_loss_db
from .state import LineState

RX_COLUMNS = ("dP", "dOSNR", "dGSNR", "sdP", "dropped")


def _check(est, **kw):
    for name, (v, lo) in kw.items():
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not v >= lo:
            raise OpticsInputError(type(est).__name__, name, f"must be a number >= {lo}, got {v!r}")


def _wmean(x: np.ndarray, w: int) -> np.ndarray:
    n = x.shape[0] // w
    return np.nanmean(x[: n * w].reshape(n, w, *x.shape[1:]), axis=1) if n else np.zeros((0,) + x.shape[1:])


def _rolling_median(x: np.ndarray, size: int) -> np.ndarray:
    size = max(1, min(int(size), x.shape[0]) | 1)
    return median_filter(x, size=(size,) + (1,) * (x.ndim - 1), mode="nearest")


def _nan_rolling_median(x: np.ndarray, size: int) -> np.ndarray:
    """Centred rolling median along axis 0 of a 2-D array, ignoring NaN (edges: the available rows)."""
    h = max(int(size), 1) // 2
    pad = np.pad(x, ((h, h), (0, 0)), constant_values=np.nan)
    win = np.lib.stride_tricks.sliding_window_view(pad, 2 * h + 1, axis=0)  # (T, d, size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(win, axis=2)


def _detrend(x: np.ndarray, size: int, k_mask: float = 4.0) -> np.ndarray:
    """``x`` minus a robust local baseline along axis 0 (NaN-free input).

    Pass 1: centred rolling median over ``size`` rows. Rows deviating by more than ``k_mask`` robust sigma
    (events) are then left out, and pass 2 takes the rolling median of the normal rows over ``size // 2`` rows: it
    follows wandering offsets more closely without learning the events.
    """
    if x.size == 0:
        return x
    x2 = x.reshape(x.shape[0], -1)
    r = x2 - _rolling_median(x2, size)
    y = np.where(np.abs(r) > k_mask * robust_scale(r), np.nan, x2)
    base = _nan_rolling_median(y, max(size // 2, 1))
    base = np.where(np.isnan(base), _rolling_median(x2, size), base)
    return (x2 - base).reshape(x.shape)


def window_features(ds, window: int = 6, baseline_windows: int = 241) -> dict:
    """Per-window features (dB, relative to the rolling-median baseline); see the module docstring."""
    with np.errstate(all="ignore"):
        prx = ds.power_dbm[-1]
        pc = prx - np.nanmedian(prx, axis=1, keepdims=True)
        oc = ds.osnr_db[-1] - np.nanmedian(ds.osnr_db[-1], axis=1, keepdims=True)
        gc = ds.rx_gsnr_db - np.nanmedian(ds.rx_gsnr_db, axis=1, keepdims=True)
        rx = np.stack([_nanmean(pc, 0), _nanmean(oc, 0), _nanmean(gc, 0), _nanstd(pc, 0),
                       np.isnan(prx).mean(0)], axis=1)
    span = np.nan_to_num(span_loss_db(ds))
    gain = np.nan_to_num(amp_gain_db(ds))
    rx, span, gain = (np.nan_to_num(_wmean(a, window)) for a in (rx, span, gain))
    rx[:, :4] = _detrend(rx[:, :4], baseline_windows)
    span, gain = _detrend(span, baseline_windows), _detrend(gain, baseline_windows)
    return {"rx": rx, "span": span, "gain": gain, "slope": sustained_rise(span), "rx_fall": sustained_rise(-rx[:, :1]),
            "start": np.arange(rx.shape[0]) * window}


def sustained_rise(x: np.ndarray, h: int = 6) -> np.ndarray:
    """min(x[i] - x[i-h], x[i+h] - x[i]) / h along axis 0: > 0 only where ``x`` keeps rising on both sides (a
    ramp), ~0 on and around a step (a tap), per row (dB per window)."""
    pad = np.pad(x, ((h, h),) + ((0, 0),) * (x.ndim - 1), mode="edge")
    n = x.shape[0]
    return np.minimum(x - pad[:n], pad[2 * h:2 * h + n] - x) / h


def robust_scale(x: np.ndarray) -> np.ndarray:
    """Per-column 1.4826 * median absolute deviation (the noise sigma when most rows are normal)."""
    return 1.4826 * np.median(np.abs(x - np.median(x, axis=0)), axis=0) + 1e-9


def window_truth(ds, window: int) -> dict:
    """Per-window truth: class code (-1 where the window mixes classes) and the set of tapped spans (bool)."""
    n = ds.n_samples // window
    lab = ds.label_type[: n * window].reshape(n, window)
    pure = (lab == lab[:, :1]).all(axis=1)
    taps = np.zeros((ds.n_samples, len(ds.span_length_km)), bool)
    for e in ds.events:
        if e["type"] == "tap":
            taps[(ds.time_s >= e["time_s"]) & (ds.time_s < e["time_s"] + e["duration_s"]), int(e["span"])] = True
    tw = taps[: n * window].reshape(n, window, -1)
    pure &= (tw == tw[:, :1]).all(axis=(1, 2))
    return {"type": np.where(pure, lab[:, 0], -1), "tap_spans": tw[:, 0]}


def label_matching_accuracy(y_true, clusters) -> float:
    """Accuracy after the optimal one-to-one cluster-to-class matching (Hungarian; unmatched clusters count wrong)."""
    y_true, clusters = np.asarray(y_true), np.asarray(clusters)
    if y_true.size == 0:
        return float("nan")
    ct, ti = np.unique(y_true, return_inverse=True)
    cc, ci = np.unique(clusters, return_inverse=True)
    m = np.zeros((cc.size, ct.size))
    np.add.at(m, (ci, ti), 1)
    r, c = linear_sum_assignment(-m)
    return float(m[r, c].sum() / y_true.size)


class ClusterTapDetector:
    """Clusters unlabeled OPM windows into normal and event windows (no labels at fit time).

    Parameters: window (samples per window), baseline_windows (rolling-median span, windows), use_inline (add the
    in-line span-loss changes to the receiver features), n_clusters (mixture components; the one nearest the
    baseline is normal, the others are events), onset_sigma (windows beyond this many robust sigma seed the
    event component), random_state.
    """

    def __init__(self, window=6, baseline_windows=241, use_inline=False, n_clusters=2, onset_sigma=6.0,
                 random_state=0):
        self.window = window
        self.baseline_windows = baseline_windows
        self.use_inline = use_inline
        self.n_clusters = n_clusters
        self.onset_sigma = onset_sigma
        self.random_state = random_state

    def _raw(self, ds):
        f = window_features(ds, self.window, self.baseline_windows)
        x = f["rx"][:, :3]
        return np.hstack([x, f["span"]]) if self.use_inline else x

    def _g(self, x):
        z = x / self.scale_
        return np.sign(z) * np.log1p(np.abs(z)), z

    def fit(self, ds, y=None):
        """Fit on unlabeled data (``y`` is ignored)."""
        _check(self, window=(self.window, 1), baseline_windows=(self.baseline_windows, 1),
               n_clusters=(self.n_clusters, 2), onset_sigma=(self.onset_sigma, 0))
        x = self._raw(ds)
        if x.shape[0] < 2 * self.n_clusters:
            raise OpticsInputError(type(self).__name__, "ds", f"{x.shape[0]} windows; need >= {2 * self.n_clusters}")
        self.scale_ = robust_scale(x)
        g, z = self._g(x)
        far = np.abs(z).max(axis=1) > self.onset_sigma
        means = [np.zeros(g.shape[1])]
        if far.sum() >= self.n_clusters - 1:  # seed the event components from the far windows
            km = KMeans(self.n_clusters - 1, n_init=4, random_state=self.random_state).fit(g[far])
            means += list(km.cluster_centers_)
        else:
            means += [g[np.argsort(-np.abs(z).max(axis=1))[i]] for i in range(self.n_clusters - 1)]
        self.model_ = GaussianMixture(self.n_clusters, covariance_type="full", reg_covar=1e-3,
                                      means_init=np.array(means), random_state=self.random_state).fit(g)
        self.normal_cluster_ = int(np.argmin(np.linalg.norm(self.model_.means_, axis=1)))
        self.labels_ = self.model_.predict(g)
        return self

    def cluster(self, ds) -> np.ndarray:
        """(n_windows,) mixture component of each window."""
        return self.model_.predict(self._g(self._raw(ds))[0])

    def predict(self, ds) -> np.ndarray:
        """(n_windows,) 1 = event window, 0 = normal."""
        return (self.cluster(ds) != self.normal_cluster_).astype(int)

    def fit_predict(self, ds, y=None) -> np.ndarray:
        return self.fit(ds).predict(ds)


class SpanLocalizer:
    """Span-level localization from in-line power monitors: every span whose loss rose by more than
    max(n_sigma robust sigma, min_loss_db). Parameters: window, baseline_windows, n_sigma, min_loss_db (dB)."""

    def __init__(self, window=6, baseline_windows=241, n_sigma=6.0, min_loss_db=0.05):
        self.window = window
        self.baseline_windows = baseline_windows
        self.n_sigma = n_sigma
        self.min_loss_db = min_loss_db

    def fit(self, ds, y=None):
        """Noise scale of each span's loss from unlabeled data (``y`` is ignored)."""
        _check(self, window=(self.window, 1), baseline_windows=(self.baseline_windows, 1),
               n_sigma=(self.n_sigma, 0), min_loss_db=(self.min_loss_db, 0))
        span = window_features(ds, self.window, self.baseline_windows)["span"]
        self.threshold_db_ = np.maximum(self.n_sigma * robust_scale(span), self.min_loss_db)
        return self

    def loss_change_db(self, ds) -> np.ndarray:
        """(n_windows, n_spans) span-loss increase relative to the rolling baseline (dB)."""
        return window_features(ds, self.window, self.baseline_windows)["span"]

    def predict(self, ds) -> np.ndarray:
        """(n_windows, n_spans) True where the span shows an abnormal loss increase (a tap, bend or connector)."""
        return self.loss_change_db(ds) > self.threshold_db_[None, :]


def _runs(mask: np.ndarray) -> np.ndarray:
    """Run id of each True element (contiguous runs numbered from 0; -1 where False)."""
    start = mask & ~np.r_[False, mask[:-1]]
    return np.where(mask, np.cumsum(start) - 1, -1)


class CoarseLocalizer:
    """Which span from receiver data alone (constant-gain EDFAs): the window's (dP, dOSNR) is matched to the curves a
    loss in each span produces on ``line`` (a :class:`~codesign.optics.Line`). The GSNR is left out: its NLI part
    depends on where inside the span the tap sits, which the curves cannot know.

    Parameters: line, window, baseline_windows, n_sigma (windows with |dP| or |dOSNR| beyond this many robust sigma
    are events), max_loss_db (largest loss on the model curves), per_event (average the features over each run of
    consecutive event windows before matching: one decision per event, less noise).
    """

    def __init__(self, line, window=6, baseline_windows=241, n_sigma=6.0, max_loss_db=6.0, per_event=True):
        self.line = line
        self.window = window
        self.baseline_windows = baseline_windows
        self.n_sigma = n_sigma
        self.max_loss_db = max_loss_db
        self.per_event = per_event

    def _curves(self):
        n = len(self.line.spans)
        losses = np.linspace(0.0, self.max_loss_db, 121)
        extra = np.zeros((n * losses.size, n))
        for k in range(n):
            extra[k * losses.size:(k + 1) * losses.size, k] = losses
        out = self.line.evaluate(LineState(extra.shape[0], span_extra_loss_db=extra), ber=False)
        c = np.stack([out["mon_power_dbm"][-1].mean(-1), out["mon_osnr_db"][-1].mean(-1)])
        return (c - c[:, :1]).reshape(2, n, -1)

    def _x(self, ds):
        return window_features(ds, self.window, self.baseline_windows)["rx"][:, :2]

    def fit(self, ds, y=None):
        """Model curves from ``line`` and the noise scale of the features from unlabeled data (``y`` is ignored)."""
        _check(self, window=(self.window, 1), baseline_windows=(self.baseline_windows, 1),
               n_sigma=(self.n_sigma, 0), max_loss_db=(self.max_loss_db, 0.01))
        if len(self.line.spans) != len(ds.span_length_km):
            raise OpticsInputError(type(self).__name__, "line",
                                   f"{len(self.line.spans)} spans; the data set has {len(ds.span_length_km)}")
        self.curves_db_ = self._curves()  # (dP, dOSNR) x span x loss
        self.scale_ = robust_scale(self._x(ds))
        return self

    def predict(self, ds) -> np.ndarray:
        """(n_windows,) index of the span whose curve is nearest (-1: no event in the window)."""
        x = self._x(ds) / self.scale_
        event = np.abs(x[:, :2]).max(axis=1) > self.n_sigma
        if self.per_event and event.any():
            run = _runs(event)
            sums = np.zeros((run.max() + 1, x.shape[1]))
            np.add.at(sums, run[event], x[event])
            x = x.copy()
            x[event] = (sums / np.bincount(run[event])[:, None])[run[event]]
        c = self.curves_db_ / self.scale_[:, None, None]
        d = ((x.T[:, :, None, None] - c[:, None]) ** 2).sum(axis=0)  # (W, n_spans, n_loss)
        k = np.argmin(d.min(axis=2), axis=1)
        return np.where(event, k, -1)
