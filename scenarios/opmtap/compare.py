"""Supervised classifiers vs the clustering TapDetector on held-out simulated days of one line.

Per detector, one alarm per sample (the supervised nets: predicted class ``tap``, and in the
``(tap or bend)`` rows ``tap`` or ``bend``, which have the same signature in the simulator; the TapDetector: its
alarm); metrics as in ``codesign optics evaluate``: detection = alarm rate on tap samples present for at
least ``SETTLE`` samples, false alarms = alarm rate on normal samples at least the detector's memory
(its window) after any event, event detection = fraction of taps with an alarm while present. Per true
class the supervised nets give a full confusion row, the TapDetector an alarm rate.
"""

from __future__ import annotations

import numpy as np
import torch

from codesign.models.opm.detector import predict_pooled
from codesign.models.opm.reader import OpmDay
from codesign.models.opm.windows import Baseline, day_windows
from codesign.optics import TapDetector, load_dataset
from codesign.optics.evaluate import guard_normal, settled

SETTLE = 6  # samples (1 min at 10 s): a tap counts as settled after this long


def supervised_predictions(model: torch.nn.Sequential, day: OpmDay, base: Baseline, window: int) -> np.ndarray:
    """(T,) predicted class per sample (0 before the first full window)."""
    w = day_windows(day, base, window)
    out = np.zeros(day.n_samples, np.int64)
    out[w.t] = predict_pooled(model, w.x).numpy()
    return out


def metrics(label: np.ndarray, alarm: np.ndarray, events: list[dict], time_s: np.ndarray, memory: int) -> dict:
    tap = settled(label, 1, SETTLE)
    normal = guard_normal(label, memory)
    taps = [e for e in events if e["type"] == "tap"]
    hit = sum(int(alarm[(time_s >= e["time_s"]) & (time_s < e["time_s"] + e["duration_s"])].any()) for e in taps)
    return {"detection": float(alarm[tap].mean()) if tap.any() else float("nan"),
            "false_alarm": float(alarm[normal].mean()) if normal.any() else float("nan"),
            "event_detection": hit / len(taps) if taps else float("nan"),
            "n_tap_samples": int(tap.sum()), "n_normal_samples": int(normal.sum())}


def confusion_rows(label: np.ndarray, pred: np.ndarray, names: tuple[str, ...], memory: int) -> list[dict]:
    """Per true class: fraction predicted as each class (rows sum to 1)."""
    rows = []
    for code, name in enumerate(names):
        sel = guard_normal(label, memory) if code == 0 else settled(label, code, 2)
        if not sel.any():
            continue
        frac = np.bincount(pred[sel], minlength=len(names))[:len(names)] / sel.sum()
        rows.append({"true_class": name, "n_samples": int(sel.sum()), **{n: float(f) for n, f in zip(names, frac)}})
    return rows


def compare_line(days, models: dict, read, window: int, log=print) -> dict:
    """All comparison rows for one line. ``read``: path -> OpmDay; ``models``: variant -> trained net."""
    comm = read(days.commissioning)
    base = Baseline.fit(comm)
    normal_ds = load_dataset(days.commissioning)
    dets = {"TapDetector rx": TapDetector().fit(normal_ds),
            "TapDetector rx+inline": TapDetector(use_inline=True).fit(normal_ds)}
    out = {"tap_size": [], "mixed": [], "confusion": [], "tapdetector_confusion": []}
    held = [("mixed", None, days.mixed)] + [("tap", loss, p) for loss, p in days.taps.items()]
    for kind, loss, path in held:
        day = read(path)
        ds = load_dataset(path)
        for name, det in dets.items():
            alarm = det.predict(ds)
            row = {"detector": name, "tap_loss_db": loss, **metrics(day.label, alarm, day.events, day.time_s, det.window)}
            out["tap_size" if kind == "tap" else "mixed"].append(row)
            if kind == "mixed" and name == "TapDetector rx":
                for code, cls in enumerate(day.label_names):
                    sel = guard_normal(day.label, det.window) if code == 0 else settled(day.label, code, 2)
                    if sel.any():
                        out["tapdetector_confusion"].append({"true_class": cls, "n_samples": int(sel.sum()),
                                                             "alarm_rate": float(alarm[sel].mean())})
        for variant, model in models.items():
            pred = supervised_predictions(model, day, base, window)
            for name, alarm in ((variant, pred == 1), (f"{variant} (tap or bend)", (pred == 1) | (pred == 2))):
                row = {"detector": name, "tap_loss_db": loss,
                       **metrics(day.label, alarm.astype(int), day.events, day.time_s, window)}
                out["tap_size" if kind == "tap" else "mixed"].append(row)
            if kind == "mixed":
                rows = confusion_rows(day.label, pred, day.label_names, window)
                out["confusion"] += [{"detector": variant, **r} for r in rows]
                out["mixed"][-2]["accuracy"] = float((pred[window - 1:] == day.label[window - 1:]).mean())
        log(f"  scored {path.name}")
    return out
