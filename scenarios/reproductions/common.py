"""Shared parts of the paper reproductions: thread pinning, a result cache keyed by content hash,
seed statistics, worker processes and the table/verdict text.

Same seed and thread count give the same numbers: every driver pins ``torch.set_num_threads``
(default 1, recorded with the results and in the cache key) and trains with deterministic
algorithms. Results are cached under ``<cache root>/reproductions`` keyed by the study, row,
seed, settings, thread count and a hash of the source files that produce them.
"""

from __future__ import annotations

import hashlib
import json
import math
import statistics
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Callable

from codesign.atomic import write_json
from codesign.errors import CodesignError
from codesign.scenarios.cache import cache_root, code_hash

__all__ = ["ReproError", "set_threads", "cached", "mean_std", "fmt_pct", "run_tasks", "verdict_line"]

#: sources every reproduction depends on (each study adds its own)
COMMON_SOURCES = ("models/train.py", "models/metrics.py", "models/data/mnist.py", "models/data/digits.py")


class ReproError(CodesignError, ValueError):
    """Bad reproduction settings (seeds, threads, jobs)."""


def set_threads(threads: int) -> None:
    """Pin torch's intra-op threads (float summation order, hence the numbers, depend on it)."""
    import torch

    if threads < 1:
        raise ReproError(f"--threads {threads}: expected >= 1")
    torch.set_num_threads(int(threads))


def cache_path(study: str, row: str, seed: int, settings: dict, sources: tuple[str, ...]) -> Path:
    """Cache file of one (row, seed) result: the key hashes the settings and the source files."""
    blob = json.dumps({"study": study, "row": row, "seed": seed, "settings": settings,
                       "code": code_hash(tuple(sources) + COMMON_SOURCES)}, sort_keys=True, default=str)
    key = hashlib.sha256(blob.encode()).hexdigest()[:16]
    return cache_root() / "reproductions" / f"{study}-{row}-s{seed}-{key}.json"


def cached(path: Path, compute: Callable[[], dict], use_cache: bool = True) -> dict:
    """The JSON result at ``path`` if present (and ``use_cache``), else ``compute()`` written there."""
    if use_cache and path.is_file():
        try:
            return {**json.loads(path.read_text()), "cached": True}
        except (OSError, ValueError):
            pass  # unreadable cache entry: recompute and replace it
    res = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, res)
    return {**res, "cached": False}


def mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value)."""
    vals = [float(v) for v in values]
    return statistics.fmean(vals), (statistics.stdev(vals) if len(vals) > 1 else 0.0)


def fmt_pct(values: list[float]) -> str:
    """Accuracies (fractions) as ``"97.23 ± 0.31"`` percent (mean ± sample std over seeds)."""
    m, s = mean_std(values)
    return f"{100 * m:.2f} ± {100 * s:.2f}"


def _call(task: tuple) -> Any:
    fn, threads, args = task
    set_threads(threads)
    return fn(*args)


def run_tasks(fn: Callable, arg_list: list[tuple], threads: int, jobs: int = 1) -> list:
    """``[fn(*args) for args in arg_list]``, in ``jobs`` worker processes of ``threads`` threads each."""
    if jobs < 1:
        raise ReproError(f"--jobs {jobs}: expected >= 1")
    tasks = [(fn, threads, args) for args in arg_list]
    if jobs == 1 or len(tasks) <= 1:
        return [_call(t) for t in tasks]
    import multiprocessing

    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)),
                             mp_context=multiprocessing.get_context("spawn")) as ex:
        return list(ex.map(_call, tasks))


def check_seeds(seeds: int) -> int:
    if seeds < 1:
        raise ReproError(f"--seeds {seeds}: expected >= 1")
    return int(seeds)


def verdict_line(verdict: str, why: str) -> str:
    """The closing line every reproduction table ends with."""
    if verdict not in ("yes", "partly", "no"):
        raise ValueError(f"verdict {verdict!r}")
    return f"Reproduces the paper's direction? {verdict} — {why}"


def gap_pts(a: list[float], b: list[float]) -> float:
    """Mean of ``a`` minus mean of ``b`` in percentage points."""
    return 100 * (mean_std(a)[0] - mean_std(b)[0])


def spread_pts(*groups: list[float]) -> float:
    """The largest sample std of the groups in percentage points (0 for single seeds)."""
    return max((100 * mean_std(g)[1] for g in groups), default=0.0) if groups else math.nan
