"""Scaling: how each engine's time and memory grow with the work, with a fitted log-log exponent.

Engines and sizes (all data seeded; ``--quick`` uses fewer queries/vectors/samples and stops early):

* ``cam``: :class:`codesign.cam.cam_array.table.CamTable` L1 search on FeFET MCAM 64×64 arrays, stored rows
  256 → 65,536 (64 dims, 3-bit), 1,000 queries (quick: up to 16,384 rows).
* ``crossbar``: :func:`codesign.cam.crossbar.model.mvm`, square n×n weights n = 64 → 1,024 on 128×128
  tiles, 8-bit ADC + 5 % programming noise, 128 vectors (quick: 16 vectors, up to 512); the
  ISAAC bit-sliced design (``crossbar``) and the analog-weight design of workload 2
  (``crossbar analog``: one 7-bit cell per polarity, one 8-bit bipolar DAC cycle, analog subtraction).
* ``network``: :meth:`codesign.sim.engine.Simulator.run` of the synthetic PECAN-D CNN
  (:func:`codesign.sim.synthetic.pecan_cnn`, seed 0), batch 1 → 1,024 (quick: up to 256).
* ``optics spans`` / ``optics channels``: :meth:`codesign.optics.Line.evaluate` of an 80 km-span
  line with EDFAs, 100 time samples per call; spans 1 → 100 at 96 channels, channels 8 → 96 at
  30 spans (quick: 20 samples).

Time: best of several steady-state runs after a warm-up (JIT excluded). Memory: peak bytes
allocated through Python/NumPy during one call (``tracemalloc``, a separate untimed call; Numba's
own scratch allocations are not seen). Exponent b of time ∝ size^b fitted on the largest half of
the sizes (fixed overheads dominate the small ones), and over all sizes.
"""

from __future__ import annotations

import time
import tracemalloc
from typing import Any, Callable

import numpy as np

from codesign.bench.common import best_time


def _peak_mib(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def exponent(sizes: list[float], values: list[float]) -> float:
    """Least-squares slope of log(value) against log(size)."""
    if len(sizes) < 2:
        return float("nan")
    return float(np.polyfit(np.log(sizes), np.log(np.maximum(values, 1e-12)), 1)[0])


def _repeat_for(t_first: float) -> int:
    return 5 if t_first < 0.05 else (3 if t_first < 0.5 else 1)


def measure(engine: str, unit: str, sizes: list[int], make: Callable[[int], Callable[[], Any]],
            budget_s: float) -> dict[str, Any]:
    """Time (steady state) and peak memory of ``make(size)()`` for growing sizes, within a budget."""
    done, times, mem, warm = [], [], [], []
    t_start = time.perf_counter()
    for s in sizes:
        fn = make(s)
        t0 = time.perf_counter()
        fn()  # warm-up: JIT compile / caches
        first = time.perf_counter() - t0
        t, _ = best_time(fn, repeat=_repeat_for(first), warmup=0)
        done.append(s)
        times.append(t)
        warm.append(first)
        mem.append(_peak_mib(fn))
        if time.perf_counter() - t_start > budget_s:
            break
    half = max(2, (len(done) + 1) // 2)
    tail = slice(len(done) - half, None)
    b_tail = exponent(done[tail], times[tail])
    return {"workload": f"scaling {engine}", "engine": engine, "size_unit": unit, "sizes": done,
            "times_s": [round(t, 6) for t in times], "first_call_s": [round(t, 4) for t in warm],
            "peak_alloc_mib": [round(m, 2) for m in mem], "exponent": round(b_tail, 3),
            "exponent_all": round(exponent(done, times), 3),
            "memory_exponent": round(exponent(done[tail], mem[tail]), 3),
            "ours": round(b_tail, 3), "unit": "time exponent", "reference": None, "ratio": None,
            "goal": "reported (time ∝ size^exponent)", "passed": None, "same_answers": True}


# -- engines -----------------------------------------------------------------------------------
def cam_case(n_queries: int) -> Callable[[int], Callable[[], Any]]:
    from codesign.cam.cam_array.table import CamTable
    from codesign.cam.technology import load_technology

    tech, dig = load_technology("fefet_mcam"), load_technology("cmos_digital_45nm")
    rng = np.random.default_rng(0)
    q = rng.integers(0, 8, (n_queries, 64))

    def make(k: int):
        table = CamTable(np.random.default_rng(k).integers(0, 8, (k, 64)), tech, value_bits=3, metric="l1",
                         rows=64, cols=64, digital=dig)
        return lambda: table.search(q)
    return make


def crossbar_case(n_vectors: int, analog: bool = False) -> Callable[[int], Callable[[], Any]]:
    from codesign.cam.crossbar.model import mvm, program
    from codesign.cam.crossbar.params import CrossbarParams, TilePlan, plan_dense

    if analog:
        p = CrossbarParams(cell_bits=7, dac_bits=8, bipolar_dac=True, subtract_in_analog=True, adc_bits=8,
                           adc_range=0.125, prog_noise_sigma=0.05)
    else:
        p = CrossbarParams(adc_bits=8, prog_noise_sigma=0.05)

    def make(n: int):
        rng = np.random.default_rng(n)
        w, x = rng.normal(size=(n, n)), rng.normal(size=(n_vectors, n))
        plan = TilePlan(n, n, plan_dense(n, n, p))
        prog = program(plan, w, p, np.random.default_rng(1))
        return lambda: mvm(prog, x)
    return make


def network_case() -> Callable[[int], Callable[[], Any]]:
    from codesign.sim.engine import Simulator
    from codesign.sim.synthetic import pecan_cnn

    sim = Simulator(pecan_cnn(mode="distance", seed=0))
    x_all = np.random.default_rng(0).normal(size=(1024, *sim.spec.input_shape)).astype(np.float32)

    def make(batch: int):
        x = x_all[:batch]
        return lambda: sim.run(x, batch_size=batch, progress=False)
    return make


def optics_line(n_spans: int, n_channels: int):
    from codesign.optics import ChannelPlan, Line
    from codesign.optics.elements import Edfa, Fiber, Transmitter
    from codesign.optics.receiver import Receiver

    plan = ChannelPlan.grid(f_max_hz=191.35e12 + 50e9 * (n_channels - 1))
    els: list = []
    for i in range(n_spans):
        els += [Fiber(f"span{i}", 80.0, con_in_db=0.5, con_out_db=0.5), Edfa(f"amp{i}", gain_db=17.0)]
    return Line(Transmitter(plan), els, Receiver())


def optics_case(n_samples: int, vary: str) -> Callable[[int], Callable[[], Any]]:
    from codesign.optics import LineState

    def make(size: int):
        line = optics_line(size, 96) if vary == "spans" else optics_line(30, size)
        state = LineState(n_samples)
        return lambda: line.evaluate(state)
    return make


def run(quick: bool = False) -> list[dict]:
    budget = 10.0 if quick else 60.0
    cam_k = [256, 1024, 4096, 16384, 65536]
    xbar_n = [64, 128, 256, 512, 1024]
    batches = [1, 4, 16, 64, 256, 1024]
    spans = [1, 3, 10, 30, 100]
    chans = [8, 16, 32, 64, 96]
    if quick:
        cam_k, xbar_n, batches = cam_k[:4], xbar_n[:4], batches[:5]
    s = 20 if quick else 100
    return [
        measure("cam", "stored rows", cam_k, cam_case(1000), budget),
        measure("crossbar", "n (n×n weights)", xbar_n, crossbar_case(16 if quick else 128), budget),
        measure("crossbar analog", "n (n×n weights)", xbar_n, crossbar_case(16 if quick else 128, analog=True),
                budget),
        measure("network", "batch", batches, network_case(), budget),
        measure("optics spans", "spans (96 ch)", spans, optics_case(s, "spans"), budget),
        measure("optics channels", "channels (30 spans)", chans, optics_case(s, "channels"), budget),
    ]


def format_rows(rows: list[dict]) -> str:
    """Markdown scaling table."""
    out = ["| engine | size | sizes | time (s) | peak alloc (MiB) | time exponent (large half / all) |",
           "|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            out.append(f"| {r.get('workload')} | error: {r['error']} | | | | |")
            continue
        out.append(f"| {r['engine']} | {r['size_unit']} | {', '.join(map(str, r['sizes']))} | "
                   f"{', '.join(f'{t:.3g}' for t in r['times_s'])} | "
                   f"{', '.join(f'{m:.3g}' for m in r['peak_alloc_mib'])} | {r['exponent']} / {r['exponent_all']} |")
    return "\n".join(out)


if __name__ == "__main__":
    import sys

    print(format_rows(run(quick="--full" not in sys.argv)))
