"""Evaluation of the unsupervised method on a scenario: detection (label matching), coarse and span-level
localization, two simultaneous taps, OPM noise models, and the confusion of benign events with taps.

Every metric is over windows of ``window`` samples whose state does not change inside the window (windows that
straddle an event's start or end are left out). Detection: label-matching accuracy of the two-cluster
:class:`ClusterTapDetector` (normal vs tap) after Hungarian matching. Coarse: fraction of tap windows whose span the
receiver-only :class:`CoarseLocalizer` names. Span: fraction of tap windows where :class:`SpanLocalizer` flags
exactly the tapped span. Two taps: fraction of windows with taps on two spans where exactly those two are flagged.
Spread: robust sigma of normal windows' receiver power change and mean span-loss change (dB).
"""

from __future__ import annotations

import copy

import numpy as np

from .benign import confusion_with_tap
from .evaluate import scenario_variant
from .scenario import LABEL_CODES, load_scenario
from .simulate import simulate_dataset
from .unsupervised import (ClusterTapDetector, CoarseLocalizer, SpanLocalizer, label_matching_accuracy,
                           robust_scale, window_features, window_truth)

#: the paper's results (Song et al. 2024 journal version of arXiv 2309.14541)
PAPER = {"simulation label matching": 1.0, "experiment coarse": 0.9979, "experiment span": 1.0}
LOSS_SWEEP_DB = (0.1, 0.2, 0.3, 0.5, 1.0)


def with_noise(raw: dict, noise_model: str) -> dict:
    """Copy of a raw scenario with ``[opm] noise_model`` set."""
    r = copy.deepcopy(raw)
    r.setdefault("opm", {})["noise_model"] = noise_model
    return r


def two_tap_scenario(raw: dict, duration_s: float, n_pairs: int, seed: int) -> dict:
    """Scenario with ``n_pairs`` pairs of simultaneous taps on two different random spans (losses from the
    scenario's ``tap_loss_db`` range, each lasting the scenario's ``event_duration_s``), in evenly spaced slots."""
    sc = load_scenario(raw)
    n = len(sc.line.spans)
    lo, hi = sc.random_events["tap_loss_db"]
    rng = np.random.default_rng(seed)
    r = scenario_variant(raw, duration_s)
    slot = duration_s / (n_pairs + 1)
    for i in range(n_pairs):
        a, b = rng.choice(n, 2, replace=False)
        d = min(sc.random_events["event_duration_s"], 0.5 * slot)
        t0 = slot * (i + 1) - d / 2
        for s in (a, b):
            r["events"].append({"type": "tap", "time_s": float(t0), "duration_s": float(d), "span": int(s),
                                "loss_db": float(rng.uniform(lo, hi))})
    return r


def score_single(ds, line, window: int = 6) -> dict:
    """Detection, coarse and span metrics on a data set with single taps."""
    tr = window_truth(ds, window)
    typ, spans = tr["type"], tr["tap_spans"]
    ok, tap = typ >= 0, typ == LABEL_CODES["tap"]
    out = {}
    for name, inl in (("rx", False), ("rx+inline", True)):
        pred = ClusterTapDetector(window, use_inline=inl).fit(ds).predict(ds)
        out[f"label_matching_{name}"] = label_matching_accuracy((typ[ok] > 0).astype(int), pred[ok])
    mode = line.amps[0].mode if line.amps else "gain"
    if mode == "gain":
        k = CoarseLocalizer(line, window).fit(ds).predict(ds)
        out["coarse"] = float((k[tap] == spans[tap].argmax(axis=1)).mean()) if tap.any() else float("nan")
    else:  # constant output power hides dP at the receiver: one observable, two unknowns (span, loss)
        out["coarse"] = float("nan")
    flags = SpanLocalizer(window).fit(ds).predict(ds)
    out["span"] = float((flags[tap] == spans[tap]).all(axis=1).mean()) if tap.any() else float("nan")
    out["false_span_flags"] = float(flags[typ == 0].any(axis=1).mean())
    f = window_features(ds, window)
    normal = typ == 0
    out["spread_rx_db"] = float(robust_scale(f["rx"][normal, :1])[0])
    out["spread_span_db"] = float(robust_scale(f["span"][normal]).mean())
    out["tap_windows"] = int(tap.sum())
    return out


def score_two_taps(ds, window: int = 6) -> dict:
    """Fraction of two-tap windows where exactly the two tapped spans are flagged."""
    tr = window_truth(ds, window)
    spans = tr["tap_spans"]
    two = (tr["type"] >= 0) & (spans.sum(axis=1) == 2)
    flags = SpanLocalizer(window).fit(ds).predict(ds)
    return {"two_taps": float((flags[two] == spans[two]).all(axis=1).mean()) if two.any() else float("nan"),
            "two_tap_windows": int(two.sum())}


def run_unsupervised(scenario, quick: bool = False, seed: int = 0, noise_models=("iid", "ar1"),
                     loss_sweep: bool = True) -> dict:
    """{'summary': rows per noise model, 'loss': rows per noise model x tap loss, 'benign': rows}."""
    sc = load_scenario(scenario)
    raw, name = sc.raw, sc.line.name
    dur = 12 * 3600 if quick else 24 * 3600
    n_taps = 6 if quick else 12
    out = {"summary": [], "loss": [], "benign": []}
    for nm in noise_models:
        r = with_noise(raw, nm)
        single = simulate_dataset(load_scenario(scenario_variant(r, dur, {"tap_count": n_taps}), sc.source), seed)
        two = simulate_dataset(load_scenario(two_tap_scenario(r, dur, n_taps // 2, seed), sc.source), seed + 1)
        out["summary"].append({"line": name, "noise": nm, **score_single(single, sc.line), **score_two_taps(two)})
        for i, L in enumerate(LOSS_SWEEP_DB if loss_sweep else ()):
            ds = simulate_dataset(load_scenario(scenario_variant(r, dur, {"tap_count": n_taps}, L), sc.source),
                                  seed + 10 + i)
            out["loss"].append({"line": name, "noise": nm, "tap_loss_db": L, **score_single(ds, sc.line)})
    counts = {f"{t}_count": (3 if quick else 6) for t in LABEL_CODES if t != "normal"}
    counts["tap_count"] = 2 * counts["tap_count"]
    r = with_noise(raw, noise_models[-1])
    ds = simulate_dataset(load_scenario(scenario_variant(r, 2 * dur, counts), sc.source), seed + 2)
    out["benign"] = [{"line": name, "noise": noise_models[-1], **row} for row in confusion_with_tap(ds, LABEL_CODES)]
    return out
