"""TapDetector: clustering-based eavesdrop detection on receiver OPM data (scikit-learn style).

``fit`` learns a per-channel baseline and clusters the normal-operation feature vectors
(Gaussian mixture, or k-means). ``score_samples`` is the negative log-likelihood under the
mixture (or the standardized distance to the nearest k-means centroid); samples scoring above
the ``1 - false_alarm`` quantile of the normal data are alarms. Features: see features.py.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture

from .features import adaptive_residual, causal_mean, drift_sd_per_sample, rx_baseline, rx_features, span_loss_db


class TapDetector:
    """Unsupervised tap detector.

    Parameters: n_clusters (int), method ('gmm' | 'kmeans'), window (samples averaged, causal),
    false_alarm (target false-alarm rate used to place the threshold), use_inline (also use the
    in-line span-loss changes), margin (threshold multiplier on the score quantile), tau_samples
    (time constant of the slow drift-tracking baseline, samples; inf disables it), k_latch (the
    baseline freezes while a feature deviates by more than k_latch sigma), init_samples (samples
    averaged for the starting baseline; series start in normal operation), random_state, reanchor (re-anchor the
    frozen baseline once an event has ended: a step back to within noise + accumulated drift; False: no
    re-anchoring, so the baseline can stay frozen after an event).
    """

    def __init__(self, n_clusters=3, method="gmm", window=6, false_alarm=0.002, use_inline=False,
                 margin=1.0, tau_samples=60.0, k_latch=4.0, init_samples=30, covariance_type="diag", random_state=0,
                 reanchor=True):
        self.n_clusters = n_clusters
        self.method = method
        self.window = window
        self.false_alarm = false_alarm
        self.use_inline = use_inline
        self.margin = margin
        self.tau_samples = tau_samples
        self.k_latch = k_latch
        self.init_samples = init_samples
        self.covariance_type = covariance_type
        self.random_state = random_state
        self.reanchor = reanchor

    def _features(self, ds) -> np.ndarray:
        f = rx_features(ds, self.baseline_)
        if self.use_inline:
            d = np.nan_to_num(span_loss_db(ds) - self.span_base_[None, :])
            f = np.hstack([f, d])
        f = causal_mean(f, self.window)
        if hasattr(self, "latch_sd_"):
            return adaptive_residual(f, self.latch_sd_, self.tau_samples, self.k_latch, self.init_samples,
                                     getattr(self, "drift_sd_", None),
                                     self.window if self.reanchor else 0)
        return f

    def fit(self, ds, y=None):
        """Learn baseline, clusters and threshold from normal-operation samples (label 0 if labeled)."""
        normal = np.flatnonzero(ds.label_type == 0) if ds.label_type is not None else np.arange(ds.n_samples)
        ds = ds.select(normal)
        self.baseline_ = rx_baseline(ds)
        if self.use_inline:
            self.span_base_ = np.nan_to_num(np.nanmedian(span_loss_db(ds), axis=0))
        if hasattr(self, "latch_sd_"):
            del self.latch_sd_
        raw = self._features(ds)
        self.drift_sd_ = drift_sd_per_sample(raw, 2 * self.window, 2 * self.window + 360) if self.reanchor else None
        self.latch_sd_ = adaptive_residual(raw, np.ones(raw.shape[1]), self.tau_samples, np.inf, self.init_samples)[self.window:].std(0) + 1e-6
        f = self._features(ds)[self.window:]
        self.mu_ = f.mean(0)
        self.sd_ = f.std(0) + 1e-6
        z = (f - self.mu_) / self.sd_
        if self.method == "gmm":
            self.model_ = GaussianMixture(self.n_clusters, covariance_type=self.covariance_type, reg_covar=1e-3,
                                          random_state=self.random_state).fit(z)
        elif self.method == "kmeans":
            self.model_ = KMeans(self.n_clusters, n_init=4, random_state=self.random_state).fit(z)
        else:
            raise ValueError(f"method must be 'gmm' or 'kmeans', got {self.method!r}")
        s = self._score_z(z)
        self.threshold_ = float(np.quantile(s, 1 - self.false_alarm)) * self.margin
        return self

    def _score_z(self, z):
        if self.method == "gmm":
            return -self.model_.score_samples(z)
        return np.min(self.model_.transform(z), axis=1)

    def score_samples(self, ds) -> np.ndarray:
        """(T,) anomaly score (higher = less like normal operation)."""
        z = (self._features(ds) - self.mu_) / self.sd_
        return self._score_z(z)

    def predict(self, ds) -> np.ndarray:
        """(T,) 1 = tap alarm, 0 = normal."""
        return (self.score_samples(ds) > self.threshold_).astype(int)
