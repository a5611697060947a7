"""Benign events against taps: an unsupervised attribution of each event, and how often each type is confused with
a tap when only some monitors are available.

Physics per event type (what a monitor can see):
- ``bend``: a lumped loss in a span, exactly like a tap (a clip-on tap *is* a bend); power, OSNR, span loss and
  their time course are the same, so no OPM feature separates them.
- ``connector``: a loss at the span end that ramps up over ~30 min: a span loss (in-line) or a receiver power
  (constant-gain EDFAs) that keeps changing on both sides of a window -- the temporal signature -- separates it
  from a tap's step.
- ``gain_change`` / ``transient``: the measured amplifier gain P(out) - P(in) changes (amplifier telemetry); the span
  losses do not. From the receiver alone a gain drop looks like a loss; a gain rise (more received power) cannot
  be a tap.
- ``add_drop``: channels disappear at the receiver (dropped-channel fraction).
"""

from __future__ import annotations

import numpy as np

from .errors import OpticsInputError
from .unsupervised import _check, _runs, robust_scale, window_features

CAUSES = ("normal", "tap-like loss", "amplifier", "channels", "ramp", "power rise")
#: monitor sets of :func:`confusion_with_tap`: (use_inline, use_temporal)
MONITOR_SETS = {"rx": (False, False), "rx + temporal": (False, True), "rx + in-line + temporal": (True, True)}


def window_classes(ds, window: int) -> np.ndarray:
    """(n_windows,) class code: 0 for all-normal windows, else the one event class present in >= 2 samples of the
    window (or in all of a shorter event) with no other event class (-1: mixed)."""
    n = ds.n_samples // window
    lab = ds.label_type[: n * window].reshape(n, window)
    ev = np.where(lab > 0, lab, 0)
    top = ev.max(axis=1)
    other = (ev > 0) & (ev != top[:, None])
    return np.where(top == 0, 0, np.where(~other.any(axis=1), top, -1))


class EventAttributor:
    """Assigns a cause (:data:`CAUSES`) to each window without labels: ``channels`` (channels disappeared at the
    receiver), ``amplifier`` (a measured EDFA gain moved; in-line only), ``ramp`` (a loss still growing: connector
    degradation; temporal only), ``power rise`` (the received power went up: a tap only removes power),
    ``tap-like loss`` (a receiver or span-loss change with none of these: a tap, or a
    bend, which no monitor tells apart), ``normal``.

    Parameters: window, baseline_windows, n_sigma (robust-sigma thresholds), ramp_fraction (a loss growing by more
    than this fraction of its change per window is a ramp), use_inline (in-line power monitors and amplifier
    gains), use_temporal (the ramp signature), per_event (one cause per run of consecutive event windows: the most
    specific one seen in at least two of its windows).
    """

    def __init__(self, window=6, baseline_windows=241, n_sigma=6.0, ramp_fraction=0.05, use_inline=True,
                 use_temporal=True, per_event=True):
        self.window = window
        self.baseline_windows = baseline_windows
        self.n_sigma = n_sigma
        self.ramp_fraction = ramp_fraction
        self.use_inline = use_inline
        self.use_temporal = use_temporal
        self.per_event = per_event

    def fit(self, ds, y=None):
        """Robust noise scales from unlabeled data (``y`` is ignored)."""
        _check(self, window=(self.window, 1), baseline_windows=(self.baseline_windows, 1),
               n_sigma=(self.n_sigma, 0), ramp_fraction=(self.ramp_fraction, 0))
        f = window_features(ds, self.window, self.baseline_windows)
        self.scales_ = {k: robust_scale(f[k]) for k in ("rx", "span", "gain", "slope", "rx_fall")}
        return self

    def predict(self, ds) -> np.ndarray:
        """(n_windows,) index into :data:`CAUSES`."""
        if not hasattr(self, "scales_"):
            raise OpticsInputError(type(self).__name__, "fit", "call fit(ds) before predict")
        f = window_features(ds, self.window, self.baseline_windows)
        z = {k: f[k] / self.scales_[k] for k in self.scales_}
        k, none = self.n_sigma, np.zeros(f["rx"].shape[0], bool)
        event = (np.abs(z["rx"][:, :2]) > k).any(axis=1)
        ramp = (f["rx_fall"][:, 0] > -self.ramp_fraction * f["rx"][:, 0]) & (z["rx_fall"][:, 0] > k / 2) & \
            (-z["rx"][:, 0] > k)
        amp = none
        if self.use_inline:
            event |= (z["span"] > k).any(axis=1)
            ramp |= ((f["slope"] > self.ramp_fraction * np.abs(f["span"])) & (z["slope"] > k / 2) &
                     (z["span"] > k)).any(axis=1)
            amp = (np.abs(z["gain"]) > k).any(axis=1) if z["gain"].shape[1] else none
        out = np.where(event, 1, 0)
        if self.use_temporal:
            out[ramp & event] = 4
        out[event & (z["rx"][:, 0] > k)] = 5  # more power at the receiver: a tap only removes power
        out[amp] = 2
        out[f["rx"][:, 4] > 0] = 3
        if not self.per_event:
            return out
        run = _runs(out > 0)
        for r in range(run.max() + 1):
            idx = run == r
            counts = np.bincount(out[idx], minlength=len(CAUSES))
            need = min(2, int(idx.sum()))
            out[idx] = next((c for c in (3, 2, 5, 4) if counts[c] >= need), 1)
        return out


def confusion_with_tap(ds, label_codes: dict, window: int = 6, baseline_windows: int = 241) -> list[dict]:
    """Per true class: windows, and for each monitor set of :data:`MONITOR_SETS` the fraction attributed to a
    ``tap-like loss`` (for taps: found; for benign types: confused with a tap) and the most frequent cause."""
    y = window_classes(ds, window)
    preds = {name: EventAttributor(window, baseline_windows, use_inline=inl, use_temporal=tmp).fit(ds).predict(ds)
             for name, (inl, tmp) in MONITOR_SETS.items()}
    rows = []
    for name, code in label_codes.items():
        sel = y == code
        if code == 0 or not sel.any():
            continue
        row = {"event": name, "windows": int(sel.sum())}
        for ms, p in preds.items():
            row[f"tap-like ({ms})"] = float((p[sel] == 1).mean())
        row["main cause (all monitors)"] = CAUSES[int(np.bincount(preds[list(MONITOR_SETS)[-1]][sel]).argmax())]
        rows.append(row)
    return rows
