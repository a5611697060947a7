"""Evaluation of TapDetector / TapLocalizer on held-out simulated days.

Detection rate = fraction of tap samples (after the first ``window`` samples of the tap) flagged;
false-alarm rate = fraction of normal samples flagged, excluding a guard of ``window`` samples
after any event (the causal average still contains the event there). Event detection = fraction
of taps with at least one alarm while present. Localization = fraction of detected tap samples
whose located span is the tapped span.
"""

from __future__ import annotations

import copy

import numpy as np

from .detect import TapDetector
from .localize import TapLocalizer
from .scenario import LABEL_CODES, load_scenario
from .simulate import simulate_dataset

TAP_LOSSES_DB = (0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
NOISE_LEVELS_DB = (0.05, 0.1, 0.2, 0.5, 1.0)


def scenario_variant(raw: dict, duration_s=None, counts=None, tap_loss=None, amp_mode=None) -> dict:
    """A copy of a raw optics scenario with no scripted events: the random-event ``counts`` given
    (others 0), taps of exactly ``tap_loss`` dB, and optionally another duration (s) / amplifier mode."""
    r = copy.deepcopy(raw)
    r["events"] = []
    ev = r.setdefault("random_events", {})
    for k in list(ev):
        if k.endswith("_count"):
            ev[k] = 0
    ev.update(counts or {})
    if tap_loss is not None:
        ev["tap_loss_db"] = [tap_loss, tap_loss]
    if duration_s:
        r["time"]["duration_s"] = duration_s
    if amp_mode:
        r["line"]["amp_mode"] = amp_mode
    return r


def guard_normal(label_type: np.ndarray, w: int) -> np.ndarray:
    """Normal samples at least ``w`` samples after the end of any event."""
    ev = (label_type != 0).astype(float)
    recent = np.convolve(ev, np.ones(w + 1), mode="full")[: ev.size] > 0
    return (label_type == 0) & ~recent


def settled(label_type, code, w):
    """Samples of class ``code`` that have been in that class for at least ``w`` samples."""
    m = label_type == code
    run = np.zeros(m.size, int)
    for i in range(m.size):
        run[i] = run[i - 1] + 1 if m[i] and i > 0 else int(m[i])
    return m & (run >= w)


def score_run(ds, det: TapDetector, loc: TapLocalizer) -> dict:
    """Metrics of one held-out run."""
    w = det.window
    pred = det.predict(ds)
    span = loc.predict(ds)
    tap = settled(ds.label_type, LABEL_CODES["tap"], w)
    normal = guard_normal(ds.label_type, w)
    taps = [e for e in ds.events if e["type"] == "tap"]
    hit = 0
    for e in taps:
        sel = (ds.time_s >= e["time_s"]) & (ds.time_s < e["time_s"] + e["duration_s"])
        hit += int(pred[sel].any())
    det_tap = tap & (pred == 1)
    return {"detection": float(pred[tap].mean()) if tap.any() else np.nan,
            "false_alarm": float(pred[normal].mean()) if normal.any() else np.nan,
            "event_detection": hit / len(taps) if taps else np.nan,
            "span_accuracy": float((span[det_tap] == ds.label_span[det_tap]).mean()) if det_tap.any() else np.nan,
            "n_tap_samples": int(tap.sum()), "n_normal_samples": int(normal.sum())}


def run_evaluation(scenario, quick=False, seed=0, progress=False, amp_modes=("gain", "power")) -> dict:
    """All sweeps; returns {'loss': rows, 'noise': rows, 'confusion': rows}."""
    sc = load_scenario(scenario)
    raw = sc.raw
    dur = 6 * 3600 if quick else 24 * 3600
    n_taps = 4 if quick else 10
    out = {"loss": [], "noise": [], "confusion": []}
    steps = [(m, L) for m in amp_modes for L in TAP_LOSSES_DB]
    bar = _bar(len(steps) + len(NOISE_LEVELS_DB) + 1, progress)
    for mode in amp_modes:
        train = simulate_dataset(load_scenario(scenario_variant(raw, dur, amp_mode=mode), sc.source), seed=seed + 1)
        dets = {"rx": TapDetector().fit(train), "rx+inline": TapDetector(use_inline=True).fit(train)}
        loc = TapLocalizer().fit(train)
        for i, L in enumerate(TAP_LOSSES_DB):
            test = simulate_dataset(load_scenario(scenario_variant(raw, dur, {"tap_count": n_taps}, L, mode), sc.source),
                                    seed=seed + 100 + i)
            for name, det in dets.items():
                out["loss"].append({"amp_mode": mode, "features": name, "tap_loss_db": L,
                                    **score_run(test, det, loc)})
            bar.update(1)
        if mode == amp_modes[0]:
            for j, nz in enumerate(NOISE_LEVELS_DB):
                ov = {"power_noise_db": nz, "osnr_noise_db": 3 * nz, "gsnr_noise_db": nz}
                tr = simulate_dataset(load_scenario(scenario_variant(raw, dur, amp_mode=mode), sc.source), seed + 2,
                                      opm_overrides=ov)
                te = simulate_dataset(load_scenario(scenario_variant(raw, dur, {"tap_count": n_taps}, 1.0, mode),
                                                    sc.source), seed + 200 + j, opm_overrides=ov)
                d, lo = TapDetector().fit(tr), TapLocalizer().fit(tr)
                out["noise"].append({"amp_mode": mode, "power_noise_db": nz, "osnr_noise_db": 3 * nz,
                                     "tap_loss_db": 1.0, **score_run(te, d, lo)})
                bar.update(1)
            counts = {f"{t}_count": (2 if quick else 4) for t in LABEL_CODES if t != "normal"}
            te = simulate_dataset(load_scenario(scenario_variant(raw, 2 * dur, counts, None, mode), sc.source), seed + 300)
            out["confusion"] = confusion(te, dets["rx"], loc)
            bar.update(1)
    bar.close()
    return out


def confusion(ds, det, loc) -> list[dict]:
    """Per true class: alarm rate, rate of a span-loss localization, rate of an amplifier-event flag."""
    pred, span, amp = det.predict(ds), loc.predict(ds), loc.amp_event(ds)
    rows = []
    for name, code in LABEL_CODES.items():
        sel = guard_normal(ds.label_type, det.window) if code == 0 else settled(ds.label_type, code, min(det.window, 2))
        if not sel.any():
            continue
        rows.append({"true_class": name, "n_samples": int(sel.sum()), "alarm_rate": float(pred[sel].mean()),
                     "span_loss_flag": float((span[sel] >= 0).mean()), "amp_event_flag": float((amp[sel] >= 0).mean())})
    return rows


class _bar:
    def __init__(self, n, on):
        from tqdm.auto import tqdm
        self.t = tqdm(total=n, desc="evaluate", disable=not on)

    def update(self, k):
        self.t.update(k)

    def close(self):
        self.t.close()
