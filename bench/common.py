"""Timing helpers shared by the benchmark workloads: warm-up separated from steady state."""

from __future__ import annotations

import time
from typing import Any, Callable


def best_time(fn: Callable[[], Any], repeat: int = 3, warmup: int = 1) -> tuple[float, Any]:
    """Run ``fn`` ``warmup`` times (JIT compile, caches), then return the best of ``repeat`` timings (s)."""
    out = None
    for _ in range(warmup):
        out = fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def timed_once(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def row(workload: str, ours: float, reference: float, unit: str, goal: str, passed: bool,
        **extra: Any) -> dict[str, Any]:
    """A result row; ``ours``/``reference`` in a higher-is-better unit, ratio = ours/reference."""
    return {"workload": workload, "ours": ours, "reference": reference, "unit": unit,
            "ratio": ours / reference if reference else float("inf"), "goal": goal, "passed": bool(passed), **extra}
