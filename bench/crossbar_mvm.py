"""Workload — crossbar MVM: 256×256 weights, 1,000 input vectors, vs NumPy ``W @ X`` (same run).

Ours: :func:`codesign.cam.crossbar.mvm` on 128×128 ReRAM tiles with accounting on (input quantization,
the tiled kernel, ADC conversion counting, plus the analytic event/energy/latency/area accounting of
:mod:`codesign.cam.crossbar_cost`); weights are programmed once, outside the timing (weight-stationary).
Two configurations: ideal (float weights, analog inputs, ideal ADC: tiles fold into one matrix) and
8-bit weights/inputs, 2-bit cells, 1-bit DACs, 8-bit ADC, 5% programming noise (bit-serial: 8 input
cycles × 4 slices × 2 polarities = 64× the analog MACs of the matmul, each column current ADC-converted).
Goal: ≤ 1.5× NumPy's time (throughput ratio ≥ 0.667).
"""

from __future__ import annotations

import numpy as np

from codesign.bench.common import best_time, row
from codesign.cam.crossbar import CrossbarParams, TilePlan, mvm, plan_dense, program
from codesign.cam.crossbar_cost import energy_pj, plan_cost
from codesign.cam.technology import load_technology

N_OUT = N_IN = 256


def run(quick: bool = False) -> list[dict]:
    n = 200 if quick else 1000
    rng = np.random.default_rng(0)
    w = rng.normal(size=(N_OUT, N_IN))
    x = rng.normal(size=(n, N_IN))
    tech = load_technology("reram_1t1r")
    t_ref, ref = best_time(lambda: x @ w.T, repeat=5)
    rows = []
    for name, p in (("ideal", CrossbarParams(ideal=True)),
                    ("adc8_noise5", CrossbarParams(adc_bits=8, prog_noise_sigma=0.05))):
        plan = TilePlan(N_IN, N_OUT, plan_dense(N_OUT, N_IN, p))
        prog = program(plan, w, p, np.random.default_rng(1))

        def ours():
            stats: dict = {}
            y = mvm(prog, x, stats=stats)
            cost = plan_cost(plan, p, tech, vectors=n)
            return y, energy_pj(cost, tech, p), cost

        t, (y, energy, cost) = best_time(ours, repeat=3 if not quick else 1)
        rel = float(np.sqrt(np.mean((y - ref) ** 2)) / np.sqrt(np.mean(ref**2)))
        ratio_ok = (n / t) / (n / t_ref) >= 1 / 1.5
        rows.append(row(f"crossbar_mvm_{name}_{N_OUT}x{N_IN}_n{n}", n / t, n / t_ref, "vectors/s", "ratio >= 0.667",
                        ratio_ok, rel_rms_error=rel, tiles=cost.tiles, energy_pj_per_vector=sum(energy.values()) / n,
                        latency_ns_per_vector=cost.latency_ns / n, ours_s=t, reference_s=t_ref))
    return rows


if __name__ == "__main__":  # pragma: no cover
    for r in run():
        print(r)
