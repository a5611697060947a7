"""Workload — the cycle-approximate engine (sim/cycle) vs the same event loop in pure Python.

Models: the digits PECAN-D and PECAN-A nets (untrained, K = 32 as the runner exports them: the schedule
depends on shapes only) on the
default CAM/digital hardware, and VGG-8 (3x32x32) on the NeuroSim-like crossbars of the validation study;
each layer by layer and pipelined (VGG-8 pipelined: batch 4, duplication 4). ``ours`` = events simulated
per second by the Numba loop, ``reference`` = by the identical loop run as plain Python
(``schedule.py_func``) on the same arrays in the same run; ``ratio`` = speed-up. Goal: the whole run
(analytic costs, scheduling, report) under 1 s for a digits model and under 10 s for VGG-8.
"""

from __future__ import annotations

import time

import numpy as np

from codesign.bench.common import best_time, row
from codesign.sim.cycle.config import CycleConfig
from codesign.sim.cycle.engine import CycleSimulator, _arrays
from codesign.sim.cycle.kernel import schedule

#: wall-time goals of a whole cycle-engine run (s)
GOALS_S = {"digits": 1.0, "vgg8": 10.0}


def _cases(quick: bool):
    import torch

    from codesign.models.export import architecture_spec
    from codesign.sim.hardware import HardwareConfig
    from codesign.sim.synthetic import vgg8

    torch.set_num_threads(1)
    from codesign.scenarios.validation.vgg8 import ALL_TILES, NEUROSIM_LIKE, NODE_NM
    from codesign.sim.hardware import crossbar_hw

    hw = crossbar_hw(**{**NEUROSIM_LIKE, "parallel_tiles": ALL_TILES})
    hw.digital.precision = "int8"
    hw.node_nm = NODE_NM
    for variant in ("pecan_d", "pecan_a"):
        spec = architecture_spec(variant, num_prototypes=32)  # the shapes of the runner's export
        yield f"digits {variant} layer", "digits", spec, HardwareConfig(), CycleConfig()
        yield (f"digits {variant} pipelined batch 8", "digits", spec, HardwareConfig(),
               CycleConfig(mode="pipelined", batch=8))
    yield "vgg8 32x32 layer", "vgg8", vgg8(), hw, CycleConfig()
    if not quick:
        yield ("vgg8 32x32 pipelined batch 4 dup 4", "vgg8", vgg8(), hw,
               CycleConfig(mode="pipelined", batch=4, duplication=4))


def run(quick: bool = False) -> list[dict]:
    rows = []
    for name, kind, spec, hw, cfg in _cases(quick):
        sim = CycleSimulator(spec, hw, cfg)
        t0 = time.perf_counter()
        sim.run()
        first = time.perf_counter() - t0
        t_run, rep = best_time(sim.run, repeat=2 if quick else 3, warmup=0)
        prob = sim.problem()
        args, _ = _arrays(prob["work"], prob["copies"], prob["resident"], cfg, float(hw.clock_ghz),
                          prob["execs"][0].tech.dram().bandwidth_gb_s)
        mode = 0 if cfg.mode == "layer" else 1
        t_fast, out = best_time(lambda: schedule(cfg.batch, mode, *args), repeat=3)
        t0 = time.perf_counter()
        ref = schedule.py_func(cfg.batch, mode, *args)
        t_slow = time.perf_counter() - t0
        events = int(out[5])
        same = int(ref[5]) == events and all(np.allclose(a, b) for a, b in zip(out[:5], ref[:5]))
        goal = GOALS_S[kind]
        r = row(f"cycle engine {name}", events / t_fast, events / t_slow, "events/s",
                f"whole run < {goal:g} s", same and t_run < goal, same_answers=same, events=events,
                run_s=round(t_run, 4), first_call_s=round(first, 3),
                latency_cycles=rep.latency_cycles, throughput_inf_s=round(rep.throughput_inf_s, 1))
        print(f"{r['workload']}: {events} events, run {t_run:.3f} s, Numba {r['ours']:,.0f} vs Python "
              f"{r['reference']:,.0f} events/s (x{r['ratio']:.0f})")
        rows.append(r)
    return rows


if __name__ == "__main__":
    run(quick=False)
