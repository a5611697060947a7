"""Line evaluations per second: codesign.optics vs GNPy ``propagate`` (same run, same machine, same line).

Run: .venv/bin/python -m codesign.bench.optics_vs_gnpy [--quick]

What is measured, per line (both read from the same GNPy topology + equipment JSON files): GNPy's
``edfa_example_network.json`` (1 span) and a 32-span chain with the gains written in the topology (GNPy's
power mode off), and the 97-element path trx Abilene -> trx Albany of ``CORONET_Global_Topology.json``
(48 EDFAs, 13 ROADMs, 36 spans) with each simulator's own network design (GNPy's equipment as shipped).
Times are CPU seconds of this process (``time.process_time``; our BLAS is limited to one thread, GNPy is
single-threaded), because wall time on the shared 2-core machine is inflated by other jobs by a varying factor.
- GNPy: CPU seconds per ``propagate(path, request, equipment)`` call (one spectral state, 76 channels), mean over
  ``repeat`` calls after one warm-up call.
- ours: CPU seconds per time sample of ``Line.evaluate(state, ber=False, monitors=...)`` on a batch of
  N = 10,000 samples (best of 5 batches, after one warm-up batch) with a time-varying state like the
  simulator's (per-channel transmitter drift, per-span extra loss, per-amplifier gain offset). Two output sets:
  "rx": receiver signal power, OSNR and GSNR (0.1 nm and symbol bandwidth) of every channel -- what GNPy's
  propagate reports at the receiver (the headline ratio);
  "all monitors": in addition total power (dBm) and OSNR (0.1 nm) of every channel at every monitor (tx, each
  EDFA input and output, receiver) -- what the OPM simulator needs (2 + 2 x n_amps monitors x 76 values).
- "numpy path": the same batch through ``Line.evaluate_reference`` (the element-by-element numpy code, i.e. the
  implementation before the fused kernel), for the before/after ratio in the same run.
- warm-up: first ``evaluate`` of the batch on a fresh line object (precompute of GN eta groups + pump
  correction + Numba dispatch, JIT code from the on-disk cache after the first ever run, first touch of the
  output memory), reported separately and not part of the timed batches.
ratio = (GNPy seconds per propagate) / (our seconds per sample). Accuracy: max |ours - GNPy| over channels of
signal power, OSNR and GSNR (0.1 nm) at the nominal state, dB; fast vs numpy path: max |difference| of GSNR
over the whole random batch, dB.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

GOAL = 1000.0


def _state(line, n: int, seed: int = 0):
    from codesign.optics import LineState

    rng = np.random.default_rng(seed)
    c, k, a = line.plan.n_channels, len(line.spans), len(line.amps)
    common = np.cumsum(rng.normal(0, 0.003, n))[:, None]
    return LineState(n, tx_power_offset_db=common + rng.normal(0, 0.02, (n, c)),
                     channel_on=np.ones((n, c), bool),
                     span_extra_loss_db=np.clip(np.cumsum(rng.normal(0, 0.002, (n, k)), axis=0), -0.1, 0.1),
                     tap_position_km=np.full((n, k), 10.0), amp_gain_offset_db=rng.normal(0, 0.01, (n, a)))


def _best_per_sample(fn, n: int, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best / n


def run(quick: bool = False) -> list[dict]:
    """Rows {workload, ours, reference, unit, ratio, goal, passed, max_abs_err_db, ...}."""
    from codesign.optics import load_gnpy_line
    from codesign.optics.gnpy_compare import (gain_mode_equipment, gnpy_design_runs, gnpy_example_dir,
                                              gnpy_propagate, write_chain_topology)

    rows = []
    n = 2000 if quick else 10000
    with tempfile.TemporaryDirectory() as tmp:
        eq = gain_mode_equipment(Path(tmp) / "eq.json")
        ex = gnpy_example_dir()
        lines = {"1-span 76-ch (GNPy edfa example)": (ex / "edfa_example_network.json", eq, None),
                 "32-span 76-ch": (write_chain_topology(Path(tmp) / "chain.json",
                                                        [60 + (7 * i) % 40 for i in range(32)]), eq, None),
                 "CORONET path 97 elements (48 EDFAs, 13 ROADMs), 76-ch, both designed":
                     (ex / "CORONET_Global_Topology.json", ex / "eqpt_config.json", ("trx Abilene", "trx Albany"))}
        for name, (topo, eqf, pair) in lines.items():
            line = load_gnpy_line(topo, eqf, *(pair or ()))
            st = _state(line, n)
            t0 = time.perf_counter()
            line.evaluate(st, ber=False)  # warm-up: precompute, JIT specializations, first touch of the outputs
            warm = time.perf_counter() - t0  # wall time, first call on this line object
            ours = line.evaluate()
            repeat = 3 if quick else 10
            if pair is None:
                ref = gnpy_propagate(topo, eqf, repeat=repeat, clock=time.process_time)
            else:
                ref = gnpy_design_runs(topo, eqf, [pair], repeat=repeat, clock=time.process_time)[0]
            rows.append(_row(name, line, st, n, ours, ref, warm, quick))
    return rows


def _row(name, line, st, n, ours, ref, warm, quick) -> dict:
    """Timings (ours: rx only, all monitors, numpy path) and accuracy for one line."""
    err = max(float(np.max(np.abs(ours["power_dbm"][0] - ref["signal_dbm"]))),
              float(np.max(np.abs(ours["osnr_db"][0] - ref["osnr_db"]))),
              float(np.max(np.abs(ours["gsnr_db"][0] - ref["gsnr_db"]))))
    rep = 3 if quick else 5
    t_ours = _best_per_sample(lambda: line.evaluate(st, ber=False, monitors=False), n, rep)
    t_all = _best_per_sample(lambda: line.evaluate(st, ber=False), n, rep)
    m = max(n // 10, 200)
    st_small = _state(line, m)
    t_np = _best_per_sample(lambda: line.evaluate_reference(st_small), m, 1)
    fast, slow = line.evaluate(st_small, ber=False), line.evaluate_reference(st_small)
    d_fast = float(np.max(np.abs(fast["gsnr_db"] - slow["gsnr_db"])))
    ratio = ref["seconds"] / t_ours
    return {"workload": f"{name}, batch of {n} time samples", "ours": 1.0 / t_ours,
            "reference": 1.0 / ref["seconds"], "numpy_path": 1.0 / t_np, "unit": "line evaluations/s",
            "ratio": ratio, "ratio_numpy_path": ref["seconds"] / t_np, "speedup_vs_numpy": t_np / t_all,
            "ours_all_monitors": 1.0 / t_all, "ratio_all_monitors": ref["seconds"] / t_all,
            "warmup_s": warm, "goal": f">= {GOAL:,.0f}x GNPy", "max_abs_err_db": err, "fast_vs_numpy_db": d_fast,
            "passed": bool(ratio >= GOAL and err <= 0.2)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller batch, fewer repetitions")
    a = ap.parse_args(argv)
    for r in run(a.quick):
        print(f"{r['workload']}: GNPy {r['reference']:.3g} propagates/s; ours rx {r['ours']:.3g} samples/s, "
              f"ratio {r['ratio']:.0f}x (goal {r['goal']}); ours all monitors {r['ours_all_monitors']:.3g}/s, "
              f"ratio {r['ratio_all_monitors']:.0f}x; numpy path (all monitors) {r['numpy_path']:.3g}/s, ratio "
              f"{r['ratio_numpy_path']:.0f}x (kernel {r['speedup_vs_numpy']:.0f}x faster), "
              f"warm-up {r['warmup_s']:.2f} s, max |err vs GNPy| {r['max_abs_err_db']:.3f} dB, "
              f"fast vs numpy path {r['fast_vs_numpy_db']:.1e} dB, passed={r['passed']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
