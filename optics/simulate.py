"""Time-domain simulation with SimPy: drift, amplifier noise, benign events and taps.

SimPy processes (generators on an explicit ``simpy.Environment``) change the line state;
a sampler process snapshots it every OPM sampling period. The line is then evaluated for all
snapshots at once (vectorized) and the OPM measurement model is applied.
"""

from __future__ import annotations

import numpy as np
import simpy
from tqdm.auto import tqdm

from .dataset import OpmDataset
from .state import LineState
from .monitor import measure
from .scenario import EVENT_TYPES, LABEL_CODES, Scenario, load_scenario

PRIORITY = ("tap", "bend", "connector", "gain_change", "transient", "add_drop")


class _State:
    """Mutable line state shared by the SimPy processes."""

    def __init__(self, n_spans, n_amps, n_ch, span_len_km):
        self.drift_span = np.zeros(n_spans)
        self.event_span = np.zeros(n_spans)
        self.tap_pos = np.asarray(span_len_km, float) / 2
        self.amp_gain = np.zeros(n_amps)
        self.drift_tx = np.zeros(n_ch)
        self.channel_on = np.ones(n_ch, bool)
        self.active: list[dict] = []


def _drift(env, st: _State, cfg: dict, rng):
    step = cfg["step_s"]
    k = np.sqrt(step / 3600.0)
    lim = cfg["max_drift_db"]
    while True:
        yield env.timeout(step)
        st.drift_span = np.clip(st.drift_span + rng.normal(0, cfg["span_loss_db_per_sqrt_h"] * k, st.drift_span.size), -lim, lim)
        common = rng.normal(0, cfg["tx_power_db_per_sqrt_h"] * k)
        st.drift_tx = np.clip(st.drift_tx + common + rng.normal(0, 0.3 * cfg["tx_power_db_per_sqrt_h"] * k,
                                                                st.drift_tx.size), -lim, lim)


def _event(env, st: _State, ev: dict, rng, sample_period: float):
    yield env.timeout(ev["time_s"])
    t, s, loss = ev["type"], ev["span"], ev["loss_db"]
    dur = ev["duration_s"]
    label = dict(ev)
    if t in ("tap", "bend"):
        pos = ev["position_km"] if ev["position_km"] is not None else float(rng.uniform(0, 2 * st.tap_pos[s]))
        label["position_km"] = pos
        st.event_span[s] += loss
        st.tap_pos[s] = pos
        undo = lambda: st.event_span.__setitem__(s, st.event_span[s] - loss)  # noqa: E731
    elif t == "connector":  # gradual degradation at the span output connector
        label["position_km"] = 2 * st.tap_pos[s]
        st.active.append(label)
        n = 10
        ramp = min(dur, 1800.0) if np.isfinite(dur) else 1800.0
        for _ in range(n):
            st.event_span[s] += loss / n
            yield env.timeout(ramp / n)
        st.active.remove(label)
        dur = dur - ramp
        undo = lambda: st.event_span.__setitem__(s, st.event_span[s] - loss)  # noqa: E731
    elif t in ("gain_change", "transient"):
        a = min(s, st.amp_gain.size - 1)
        st.amp_gain[a] += loss
        if t == "transient":
            dur = min(dur, 2 * sample_period)
        undo = lambda: st.amp_gain.__setitem__(a, st.amp_gain[a] - loss)  # noqa: E731
    else:  # add_drop: a quarter of the channels are dropped then re-added
        idx = rng.choice(st.channel_on.size, max(1, st.channel_on.size // 4), replace=False)
        st.channel_on[idx] = False
        undo = lambda: st.channel_on.__setitem__(idx, True)  # noqa: E731
    st.active.append(label)
    if np.isfinite(dur):
        yield env.timeout(dur)
        undo()
        st.active.remove(label)


def _sampler(env, st: _State, period: float, n: int, rec: dict):
    for _ in range(n):
        rec["span"].append(st.drift_span + st.event_span)
        rec["pos"].append(st.tap_pos.copy())
        rec["gain"].append(st.amp_gain.copy())
        rec["tx"].append(st.drift_tx.copy())
        rec["on"].append(st.channel_on.copy())
        lab = (0, -1, 0.0, np.nan)
        for t in PRIORITY:
            hit = [e for e in st.active if e["type"] == t]
            if hit:
                e = hit[0]
                lab = (LABEL_CODES[t], e["span"], e["loss_db"], e.get("position_km") or np.nan)
                break
        rec["label"].append(lab)
        yield env.timeout(period)


def random_events(sc: Scenario, rng) -> list[dict]:
    """Non-overlapping random events from ``[random_events]`` counts, in evenly spaced slots."""
    kinds = [t for t in EVENT_TYPES for _ in range(sc.random_events[f"{t}_count"])]
    rng.shuffle(kinds)
    if not kinds:
        return []
    dur_total = sc.time["duration_s"]
    slot = dur_total / (len(kinds) + 1)
    lo, hi = sc.random_events["tap_loss_db"]
    n_spans = len(sc.line.spans)
    out = []
    for i, t in enumerate(kinds):
        d = min(sc.random_events["event_duration_s"], 0.6 * slot)
        start = slot * (i + 1) - d / 2 + rng.uniform(-0.1, 0.1) * slot
        loss = {"tap": rng.uniform(lo, hi), "bend": rng.uniform(lo, hi), "connector": rng.uniform(0.3, 2.0),
                "gain_change": rng.choice([-1, 1]) * rng.uniform(0.3, 1.5),
                "transient": rng.choice([-1, 1]) * rng.uniform(1.0, 3.0), "add_drop": 0.0}[t]
        span = int(rng.integers(n_spans))
        pos = float(rng.uniform(0, sc.line.spans[span].length_km))
        out.append({"type": t, "time_s": max(start, 0.0), "duration_s": d, "span": span,
                    "loss_db": float(loss), "position_km": pos})
    return out


def simulate_dataset(scenario, seed: int = 0, progress: bool = False, opm_overrides: dict | None = None) -> OpmDataset:
    """Run a scenario and return the labeled OPM data set (deterministic for ``seed``)."""
    sc = load_scenario(scenario)
    rng = np.random.default_rng(seed)
    line = sc.line
    period = sc.time["sample_period_s"]
    n = int(sc.time["duration_s"] // period)
    spans = line.spans
    st = _State(len(spans), len(line.amps), line.plan.n_channels, [s.length_km for s in spans])
    events = sorted(sc.events + random_events(sc, rng), key=lambda e: e["time_s"])
    env = simpy.Environment()
    rec = {k: [] for k in ("span", "pos", "gain", "tx", "on", "label")}
    env.process(_drift(env, st, sc.drift, rng))
    for ev in events:
        env.process(_event(env, st, ev, rng, period))
    env.process(_sampler(env, st, period, n, rec))
    env.run(until=n * period)
    gain = np.asarray(rec["gain"]) + rng.normal(0, sc.drift["amp_gain_noise_db"], (n, len(line.amps)))
    state = LineState(n, tx_power_offset_db=np.asarray(rec["tx"]), channel_on=np.asarray(rec["on"]),
                      span_extra_loss_db=np.asarray(rec["span"]), tap_position_km=np.asarray(rec["pos"]),
                      amp_gain_offset_db=gain)
    truth = evaluate_chunked(line, state, progress=progress)
    opm = dict(sc.opm, **(opm_overrides or {}))
    lab = np.asarray(rec["label"], float).reshape(n, 4)
    meas = measure(truth, state.channel_on, opm, rng, period, f"{sc.source} [opm]")
    return OpmDataset(
        time_s=np.arange(n) * period, frequency_hz=line.plan.frequency_hz.copy(),
        monitor_names=line.monitor_names, span_monitors=line.span_monitors(),
        span_length_km=np.array([s.length_km for s in spans]), label_type=lab[:, 0].astype(int),
        label_span=lab[:, 1].astype(int), label_loss_db=lab[:, 2], label_position_km=lab[:, 3],
        events=events, attrs={"seed": seed, "scenario": sc.text, "source": sc.source,
                              "amp_mode": line.amps[0].mode if line.amps else "none", **{f"opm_{k}": v for k, v in opm.items()}},
        true_power_dbm=truth["mon_power_dbm"].transpose(0, 2, 1), rx_cd_ps_nm=truth["cd_ps_nm"],
        rx_dgd_ps=truth["dgd_ps"], **meas)


def evaluate_chunked(line, state: LineState, chunk: int = 4096, progress: bool = False) -> dict:
    """``line.evaluate`` in chunks of samples (bounded memory, progress bar)."""
    n = state.n_samples
    parts = []
    it = range(0, n, chunk)
    for a in tqdm(it, desc="propagate", disable=not progress, leave=False):
        b = min(a + chunk, n)
        sub = LineState(b - a, *[None if v is None else v[a:b] for v in
                                 (state.tx_power_offset_db, state.channel_on, state.span_extra_loss_db,
                                  state.tap_position_km, state.amp_gain_offset_db)])
        parts.append(line.evaluate(sub, ber=False))  # measure() derives the BER from the GSNR itself
    out = {}
    for k, v in parts[0].items():
        if isinstance(v, np.ndarray) and v.ndim >= 2:
            out[k] = np.concatenate([p[k] for p in parts], axis=1 if k.startswith("mon_") else 0)
        else:
            out[k] = v
    return out
