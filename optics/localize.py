"""TapLocalizer: which span (and, where possible, where in it) from in-line OPM power data.

A tap in span k raises the measured span loss P(before span k) - P(after span k) by its
insertion loss, whatever the EDFA gain-control mode (constant output power hides the drop
downstream, but not at the next amplifier input). A change of the measured EDFA gain
P(out) - P(in) instead points to an amplifier event (benign). Position inside the span is not
observable from channel-power / OSNR monitoring (the lumped loss is the same wherever it sits;
the GN-model NLI signature of a tap in the first ~20 km is far below OPM noise), so
``position_km`` returns the span midpoint and ``position_uncertainty_km`` half the span length.
"""

from __future__ import annotations

import warnings

import numpy as np

from .features import amp_gain_db, causal_mean, span_loss_db


class TapLocalizer:
    """Span-level localization. Parameters: window (samples averaged), n_sigma (threshold in
    standard deviations of normal-operation span-loss noise), min_loss_db (absolute floor)."""

    def __init__(self, window=6, n_sigma=6.0, min_loss_db=0.05):
        self.window = window
        self.n_sigma = n_sigma
        self.min_loss_db = min_loss_db

    def _deltas(self, ds):
        dl = np.nan_to_num(span_loss_db(ds) - self.span_base_[None, :])
        dg = np.nan_to_num(amp_gain_db(ds) - self.gain_base_[None, :])
        return causal_mean(dl, self.window), causal_mean(dg, self.window)

    def fit(self, ds, y=None):
        """Baselines and thresholds from normal-operation samples (label 0 if labeled)."""
        ds = ds.select(np.flatnonzero(ds.label_type == 0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            self.span_base_ = np.nan_to_num(np.nanmedian(span_loss_db(ds), axis=0))
            self.gain_base_ = np.nan_to_num(np.nanmedian(amp_gain_db(ds), axis=0))
        dl, dg = self._deltas(ds)
        self.span_thr_ = np.maximum(self.n_sigma * dl[self.window:].std(0), self.min_loss_db)
        self.gain_thr_ = np.maximum(self.n_sigma * dg[self.window:].std(0), self.min_loss_db)
        self.span_length_km_ = np.asarray(ds.span_length_km, float)
        return self

    def predict(self, ds) -> np.ndarray:
        """(T,) index of the span with an abnormal loss increase (-1: none)."""
        dl, _ = self._deltas(ds)
        z = dl / self.span_thr_[None, :]
        k = np.argmax(z, axis=1)
        return np.where(z[np.arange(len(k)), k] > 1.0, k, -1)

    def amp_event(self, ds) -> np.ndarray:
        """(T,) index of an amplifier whose measured gain changed abnormally (-1: none)."""
        _, dg = self._deltas(ds)
        if dg.shape[1] == 0:
            return np.full(ds.n_samples, -1)
        z = np.abs(dg) / self.gain_thr_[None, :]
        k = np.argmax(z, axis=1)
        return np.where(z[np.arange(len(k)), k] > 1.0, k, -1)

    def loss_db(self, ds) -> np.ndarray:
        """(T,) estimated insertion loss in the located span (NaN where none)."""
        dl, _ = self._deltas(ds)
        k = self.predict(ds)
        return np.where(k >= 0, dl[np.arange(len(k)), np.maximum(k, 0)], np.nan)

    def position_km(self, ds) -> np.ndarray:
        """(T,) position estimate in the located span: its midpoint (see module docstring)."""
        k = self.predict(ds)
        return np.where(k >= 0, self.span_length_km_[np.maximum(k, 0)] / 2, np.nan)

    def position_uncertainty_km(self, ds) -> np.ndarray:
        """(T,) +- uncertainty of :meth:`position_km` (half the span length)."""
        return self.position_km(ds)
