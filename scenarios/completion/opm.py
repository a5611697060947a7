"""OPM telemetry with gaps: reconstruction error and tap-detector accuracy (raw / interpolated / completed).

``run_opm`` simulates a normal-operation data set (to fit :class:`codesign.optics.TapDetector`)
and a test data set with taps (``scenarios/optics/optics_default.toml``), drops monitor readings at
random and in one-hour bursts (a monitor offline), fills the gaps by linear interpolation in
time or by low-rank tensor completion (monitors x channels x time), and writes ``opm.csv``,
``opm.md`` and ``opm.png``.  Used by ``codesign complete opm``.
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from codesign.atomic import write_text
from codesign.optics import TapDetector, TapLocalizer, load_scenario, simulate_dataset
from codesign.optics.completion import HaLRTC
from codesign.optics.completion.opm import (complete_opm, dataset_from_tensor, drop_bursts, drop_random,
                                            interpolate_gaps, opm_tensor)
from codesign.optics.evaluate import scenario_variant, score_run
from codesign.scenarios.completion.images import _csv, _save_fig

BURST_S = 3600


def gap_cases(shape, n_monitors: int, samples_per_hour: int, rng) -> dict:
    """Keep-masks of the experiment: random loss 20 %, bursts (1 h outages, half at the receiver)."""
    hours = shape[2] / samples_per_hour
    n = max(1, int(round(hours / 3)))  # one receiver and one other outage per 3 h
    rx = drop_bursts(shape, n_monitors, n, samples_per_hour, rng, monitors=[n_monitors - 1])
    other = drop_bursts(shape, n_monitors, n, samples_per_hour, rng, monitors=np.arange(n_monitors - 1))
    return {"random 20%": drop_random(shape, n_monitors, 0.2, rng), "1 h bursts": rx & other,
            "random 20% + bursts": drop_random(shape, n_monitors, 0.2, rng) & rx & other}


def solvers(quick: bool) -> dict:
    """Completion methods: HaLRTC, low rank over monitors x channels (time mode weight 0).

    LRTC-TV (TV along time) and C2F work on these tensors too but cost 5-10x more; they are not in
    the default run (docs/completion.md).
    """
    return {"HaLRTC": HaLRTC(alpha=[1.0, 1.0, 0.0], max_iter=40 if quick else 80, tol=1e-5)}


def run_opm(out_dir, *, scenario=None, quick: bool = False, seed: int = 0,
            progress=None) -> list[dict]:
    """Run the experiment and write the outputs into ``out_dir``; returns the table rows."""
    from pathlib import Path

    from codesign.optics.completion._base import progress_bar

    from codesign.scenarios.shipped import OPTICS_DEFAULT_NAME, resolve_scenario

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    scenario = resolve_scenario(scenario, default=OPTICS_DEFAULT_NAME)
    sc = load_scenario(scenario)
    dur = 3 * 3600 if quick else 6 * 3600
    train = simulate_dataset(load_scenario(scenario_variant(sc.raw, dur), sc.source), seed=seed + 1)
    test = simulate_dataset(load_scenario(scenario_variant(sc.raw, dur, {"tap_count": 2 if quick else 4}, 1.0), sc.source),
                            seed=seed + 100)
    det, loc = TapDetector().fit(train), TapLocalizer().fit(train)
    x = opm_tensor(test)
    n_mon = test.power_dbm.shape[0]
    per_hour = int(round(BURST_S / float(np.median(np.diff(test.time_s)))))
    rng = np.random.default_rng(seed)
    cases = gap_cases(x.shape, n_mon, per_hour, rng)
    methods = solvers(quick)
    rows = [{"gaps": "none", "method": "full data", "missing": 0.0, "rmse_power_db": 0.0, "rmse_osnr_db": 0.0,
             **_det(test, det, loc)}]
    bar = progress_bar(len(cases) * (2 + len(methods)), "complete opm", progress)
    filled = {}
    for gname, keep in cases.items():
        gapped = np.where(keep, x, np.nan)
        fills = {"raw gaps": gapped, "interpolation": interpolate_gaps(gapped, keep)}
        bar.update(2)
        for mname, solver in methods.items():
            # one BLAS thread: on a busy 2-core machine threaded OpenBLAS calls on these wide
            # unfoldings were seen to stall for ~1 s each
            with threadpool_limits(1):
                fills[mname] = complete_opm(gapped, keep, solver, progress=False)
            bar.update(1)
        for mname, xf in fills.items():
            rows.append({"gaps": gname, "method": mname, "missing": float(1 - keep.mean()),
                         **_rmse(x, xf, keep, n_mon), **_det(dataset_from_tensor(test, xf), det, loc)})
        filled[gname] = (keep, fills)
    bar.close()
    write_text(out / "opm.csv", _csv(rows))
    write_text(out / "opm.md", opm_table(rows))
    _plot(x, filled, test, n_mon, out / "opm.png")
    return rows


def _rmse(x, xf, keep, n_mon) -> dict:
    gap = ~keep & np.isfinite(x)
    res = {}
    for name, rows in (("rmse_power_db", slice(0, n_mon)), ("rmse_osnr_db", slice(n_mon, 2 * n_mon))):
        g = gap[rows]
        d = (xf[rows] - x[rows])[g]
        res[name] = float(np.sqrt(np.mean(d**2))) if d.size and np.all(np.isfinite(d)) else float("nan")
    return res


def _det(ds, det, loc) -> dict:
    s = score_run(ds, det, loc)
    return {k: s[k] for k in ("detection", "false_alarm", "event_detection")}


def opm_table(rows) -> str:
    """Markdown table of the experiment."""
    lines = ["| gaps | missing | method | RMSE power (dB) | RMSE OSNR (dB) | tap detection | false alarms | taps found |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        rp = "n/a" if np.isnan(r["rmse_power_db"]) else f"{r['rmse_power_db']:.3f}"
        ro = "n/a" if np.isnan(r["rmse_osnr_db"]) else f"{r['rmse_osnr_db']:.3f}"
        lines.append(f"| {r['gaps']} | {r['missing']:.1%} | {r['method']} | {rp} | {ro} | {r['detection']:.3f} | "
                     f"{r['false_alarm']:.4f} | {r['event_detection']:.2f} |")
    return "\n".join(lines) + "\n"


def _plot(x, filled, test, n_mon, path) -> None:
    """Receiver power of one channel around the first receiver outage: truth vs each fill."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keep, fills = filled["1 h bursts"]
    row, ch = n_mon - 1, x.shape[1] // 2
    gap_t = np.flatnonzero(~keep[row, ch])
    t0 = max(0, (gap_t[0] if gap_t.size else 0) - 180)
    sl = slice(t0, t0 + 720)
    th = test.time_s[sl] / 3600.0
    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.plot(th, x[row, ch, sl], color="0.6", lw=0.8, label="truth")
    for name, xf in fills.items():
        if name != "raw gaps":
            ax.plot(th, xf[row, ch, sl], lw=1.0, label=name)
    ax.set(xlabel="time (h)", ylabel="rx power (dBm)", title=f"receiver offline for 1 h, channel {ch}")
    ax.legend(fontsize=7)
    _save_fig(fig, path)
