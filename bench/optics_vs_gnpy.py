"""Line evaluations per second: codesign.optics vs GNPy ``propagate`` (same run, same machine).

Run: .venv/bin/python -m codesign.bench.optics_vs_gnpy [--quick]
Ours evaluates many time samples in one vectorized call (the simulator's use); GNPy propagates
one spectral state per call. Accuracy column: max |ours - GNPy| over channels of signal power,
OSNR and GSNR (0.1 nm), dB.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

GOAL = 1000.0


def _ours_rate(line, n_samples: int, repeat: int) -> float:
    from codesign.optics import LineState

    st = LineState(n_samples, span_extra_loss_db=np.zeros((n_samples, len(line.spans))))
    line.evaluate(LineState(2))  # warm caches (GN eta matrices)
    t0 = time.perf_counter()
    for _ in range(repeat):
        line.evaluate(st)
    return n_samples * repeat / (time.perf_counter() - t0)


def run(quick: bool = False) -> list[dict]:
    """Rows {workload, ours, reference, unit, ratio, goal, passed, max_abs_err_db}."""
    from codesign.optics import load_gnpy_line
    from codesign.optics.gnpy_compare import (gain_mode_equipment, gnpy_example_dir, gnpy_propagate,
                                              write_chain_topology)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        eq = gain_mode_equipment(Path(tmp) / "eq.json")
        lines = {"1-span 76-ch (GNPy edfa example)": gnpy_example_dir() / "edfa_example_network.json",
                 "32-span 76-ch": write_chain_topology(Path(tmp) / "chain.json",
                                                       [60 + (7 * i) % 40 for i in range(32)])}
        for name, topo in lines.items():
            line = load_gnpy_line(topo, eq)
            ref = gnpy_propagate(topo, eq, repeat=3 if quick else 10)
            ours = line.evaluate()
            err = max(float(np.max(np.abs(ours["power_dbm"][0] - ref["signal_dbm"]))),
                      float(np.max(np.abs(ours["osnr_db"][0] - ref["osnr_db"]))),
                      float(np.max(np.abs(ours["gsnr_db"][0] - ref["gsnr_db"]))))
            n = 2000 if quick else 20000
            r_ours = _ours_rate(line, n, 1 if quick else 3)
            r_ref = 1.0 / ref["seconds"]
            ratio = r_ours / r_ref
            rows.append({"workload": f"{name}, {n} time samples/call", "ours": r_ours, "reference": r_ref,
                         "unit": "line evaluations/s", "ratio": ratio, "goal": GOAL,
                         "passed": bool(ratio >= GOAL and err <= 0.2), "max_abs_err_db": err})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    a = ap.parse_args(argv)
    for r in run(a.quick):
        print(f"{r['workload']}: ours {r['ours']:.3g} /s, GNPy {r['reference']:.3g} /s, ratio {r['ratio']:.0f}x "
              f"(goal {r['goal']:.0f}x), max |err| {r['max_abs_err_db']:.3f} dB, passed={r['passed']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
