"""Workload 3 — whole networks: our simulator vs PyTorch eager on the exported digits models.

Models: the PECAN-A and PECAN-D digits CNNs of ``codesign run`` and the all-DeBut digits LeNet
(variant ``debut``, :mod:`codesign.scenarios.debut.digits`), trained with seed 0 and the default
settings, or taken from the cache (:func:`codesign.scenarios.runner.get_model`). Ours:
:meth:`codesign.sim.engine.Simulator.run` (Numba kernels, per-inference cost report included) on the
default hardware (PECAN-D on FeFET MCAM arrays, PECAN-A and DeBut on the digital unit). Reference: PyTorch eager
``model(x)`` under ``torch.inference_mode()`` of the same trained eval module, rebuilt from the file
(:mod:`codesign.bench.torch_ref`, checked against the golden logits PyTorch wrote at export), at its
default thread count and at 1 thread, whichever is faster (``torch_threads``).
Inputs: the digits test set tiled to 1,024 samples (quick: 256); batch 256 over all of them and
batch 1 over the first 256 (quick: 64), one call per sample. Identical predictions required (PECAN
logits are bit-exact; DeBut is float32 arithmetic in a different order, ``max_abs_logit_diff``).
JIT compile/first call is reported separately (``first_call_s``); rates are best-of steady state.
Goal: ≥ 2× PyTorch eager samples/s.
"""

from __future__ import annotations

import numpy as np
import torch

from codesign.bench.common import best_time, row, timed_once
from codesign.bench.torch_ref import check_golden, torch_from_spec, torch_logits

VARIANTS = ("pecan_a", "pecan_d", "debut")
GOAL = 2.0


def load(variant: str):
    from codesign.scenarios.runner import get_model, train_settings
    from codesign.sim.format import read_model

    path, _ = get_model(variant, train_settings({"seed": 0}), progress=False, log=lambda *a: None)
    return path, read_model(path)


def inputs(spec, n: int) -> np.ndarray:
    x = spec.test_inputs if spec.test_inputs is not None else spec.golden_inputs
    reps = -(-n // len(x))
    return np.ascontiguousarray(np.concatenate([x] * reps)[:n], dtype=np.float32)


def torch_best(model, xs: np.ndarray, bs: int, rep: int) -> tuple[float, np.ndarray, int]:
    """PyTorch's best steady-state time over its default intra-op thread count and 1 thread."""
    default = torch.get_num_threads()
    best = None
    for threads in sorted({default, 1}, reverse=True):
        torch.set_num_threads(threads)
        try:
            t, out = best_time(lambda: torch_logits(model, xs, bs), repeat=rep)
        finally:
            torch.set_num_threads(default)
        if best is None or t < best[0]:
            best = (t, out, threads)
    return best


def compare(variant: str, quick: bool) -> list[dict]:
    from codesign.sim.engine import Simulator

    path, spec = load(variant)
    sim = Simulator(spec)
    model = torch_from_spec(spec)
    golden_ok, golden_diff = check_golden(model, spec)
    x = inputs(spec, 256 if quick else 1024)
    first_s, _ = timed_once(lambda: sim.run(x[:2], batch_size=2, progress=False))  # JIT load/compile
    rows = []
    for bs, n in ((256, len(x)), (1, 64 if quick else 256)):
        xs = x[:n]
        rep = 1 if quick else 3
        t_sim, res = best_time(lambda: sim.run(xs, batch_size=bs, progress=False), repeat=rep)
        t_ref, ref, threads = torch_best(model, xs, bs, rep)
        same = bool(np.array_equal(res.predictions, ref.argmax(1)))
        diff = float(np.max(np.abs(res.logits - ref)))
        ours, theirs = n / t_sim, n / t_ref
        rows.append(row(f"network digits {variant}, batch {bs}, {n} samples", ours, theirs, "samples/s",
                        f">= {GOAL:g}x PyTorch eager", same and golden_ok and ours >= GOAL * theirs,
                        same_answers=same and golden_ok, max_abs_logit_diff=diff, golden_check=golden_ok,
                        golden_max_abs_diff=golden_diff, first_call_s=round(first_s, 3),
                        energy_pj_per_inference=res.report.total_energy_pj, torch_threads=threads,
                        model_file=str(path)))
    return rows


def run(quick: bool = False) -> list[dict]:
    rows = []
    for variant in VARIANTS:
        try:
            rows.extend(compare(variant, quick))
        except Exception as exc:  # noqa: BLE001 - one broken model must not hide the others
            rows.append({"workload": f"network digits {variant}", "error": f"{type(exc).__name__}: {exc}",
                         "passed": False})
    return rows


if __name__ == "__main__":
    for r in run(quick=True):
        print(r)
