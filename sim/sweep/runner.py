"""Run a sweep: evaluate points in batches, locally (process pool) or on Dask, streaming
finished batches to a :class:`ResultStore`; resumable (finished keys are skipped).

An evaluator is named ``"package.module:function"`` and called as ``function(point, settings)``
returning a dict of metrics; it runs in worker processes, so it must be importable there.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, Callable, Iterable

from codesign.errors import CodesignError
from codesign.sim.sweep.space import point_key
from codesign.sim.sweep.store import ResultStore


#: with the default (auto) worker count, a process pool is started only when the points left
#: would take longer than this in this process (seconds): below it, start-up costs more than it saves
POOL_MIN_SERIAL_S = 20.0


class SweepError(CodesignError, ValueError):
    """A sweep cannot run (e.g. its evaluator cannot be imported)."""


def resolve(ref: str) -> Callable[[dict, dict], dict]:
    module, _, func = ref.partition(":")
    try:
        return getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError) as exc:
        raise SweepError(f"evaluator {ref!r} cannot be imported: {exc}") from None


def evaluate_batch(ref: str, batch: list[tuple[str, dict]], settings: dict) -> list[dict[str, Any]]:
    """Evaluate ``(key, point)`` pairs with the evaluator ``ref``; errors become records."""
    fn = resolve(ref)
    out = []
    for key, point in batch:
        t0 = time.perf_counter()
        try:
            metrics = fn(point, settings)
            rec = {"key": key, **point, **metrics, "status": "ok"}
        except Exception as exc:  # one bad point must not kill a 10,000-point sweep
            rec = {"key": key, **point, "status": "error", "error": f"{type(exc).__name__}: {exc}"}
        rec["eval_s"] = time.perf_counter() - t0
        out.append(rec)
    return out


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def run_sweep(
    points: list[dict[str, Any]],
    evaluator: str,
    settings: dict[str, Any],
    store: ResultStore,
    *,
    meta: dict[str, Any] | None = None,
    resume: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    dask_workers: int | None = None,
    chunk_size: int | None = None,
    progress: bool = True,
    salt: str = "",
) -> dict[str, Any]:
    """Evaluate every point not already in ``store``. Returns a summary dict.

    ``workers``: local process count (1 = in this process). Default (None): a pool of CPU-count
    processes, unless the first batch shows the whole sweep would take under
    :data:`POOL_MIN_SERIAL_S` seconds here, in which case it stays in this process.
    ``scheduler``: address of an existing Dask scheduler. ``dask_workers``: start a local
    Dask cluster with that many worker processes. Results are identical for all three.
    """
    resolve(evaluator)  # fail early, in this process, with a clear message
    store.create(meta or {}, resume=resume)
    done = store.done_keys() if resume else set()
    keyed = [(point_key(p, salt), p) for p in points]
    todo = [(k, p) for k, p in keyed if k not in done]
    n_workers = workers or os.cpu_count() or 1
    if chunk_size is None:
        chunk_size = max(1, min(256, len(todo) // (4 * max(n_workers, dask_workers or 1)) or 1))
    batches = list(_chunks(todo, chunk_size))
    t0 = time.perf_counter()
    mode = "serial"
    with _Progress(len(keyed), len(keyed) - len(todo), progress) as bar:
        if scheduler or dask_workers:
            mode = "dask"
            _run_dask(batches, evaluator, settings, store, bar, scheduler, dask_workers)
        elif n_workers == 1:
            _run_serial(batches, evaluator, settings, store, bar)
        else:
            if workers is None and batches:
                # auto: run the first batch here (warm-up: imports, caches), time the second;
                # cheap (analytic) points stay in this process, since spawning workers costs
                # seconds each
                _run_serial(batches[:1], evaluator, settings, store, bar)
                t1 = time.perf_counter()
                _run_serial(batches[1:2], evaluator, settings, store, bar)
                per_point = (time.perf_counter() - t1) / max(len(batches[1]) if len(batches) > 1 else 1, 1)
                batches = batches[2:]
                remaining = per_point * sum(len(b) for b in batches)
                if remaining < POOL_MIN_SERIAL_S:
                    _run_serial(batches, evaluator, settings, store, bar)
                    batches = []
            if batches:
                mode = f"pool x{n_workers}"
                _run_pool(batches, evaluator, settings, store, bar, n_workers)
    elapsed = time.perf_counter() - t0
    return {"points": len(keyed), "skipped": len(keyed) - len(todo), "evaluated": len(todo), "mode": mode,
            "seconds": elapsed, "points_per_s": len(todo) / elapsed if elapsed > 0 else float("inf")}


def _run_serial(batches, evaluator, settings, store, bar) -> None:
    for b in batches:
        recs = evaluate_batch(evaluator, b, settings)
        store.append(recs)
        bar.advance(len(recs))


def _one_thread_per_worker() -> None:
    """Pool initializer: one BLAS/OpenMP thread per worker process.

    N workers each running N-thread torch/BLAS on N cores oversubscribe them; OpenMP's
    spin-waiting then slows training inside a sweep by an order of magnitude or more.
    (Dask's nanny sets the same variables for its workers.)
    """
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = "1"


def _run_pool(batches, evaluator, settings, store, bar, n_workers) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx, initializer=_one_thread_per_worker) as pool:
        pending = set()
        it = iter(batches)
        for b in it:
            pending.add(pool.submit(evaluate_batch, evaluator, b, settings))
            if len(pending) >= 2 * n_workers:
                break
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                recs = fut.result()
                store.append(recs)
                bar.advance(len(recs))
                nxt = next(it, None)
                if nxt is not None:
                    pending.add(pool.submit(evaluate_batch, evaluator, nxt, settings))


def _run_dask(batches, evaluator, settings, store, bar, scheduler, dask_workers) -> None:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=dask_workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        futures = [client.submit(evaluate_batch, evaluator, b, settings, pure=False) for b in batches]
        for fut in as_completed(futures):
            recs = fut.result()
            store.append(recs)
            bar.advance(len(recs))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


class _Progress:
    """Points done, rate and ETA (rich), or nothing when disabled."""

    def __init__(self, total: int, already: int, enabled: bool):
        self.total, self.already, self.enabled = total, already, enabled
        self._p = None

    def __enter__(self):
        if self.enabled:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeRemainingColumn)

            self._p = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(),
                               TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), transient=False)
            self._p.start()
            self._task = self._p.add_task("sweep", total=self.total, completed=self.already, rate="")
            self._t0 = time.perf_counter()
            self._n = 0
        return self

    def advance(self, n: int) -> None:
        if self._p is not None:
            self._n += n
            rate = self._n / max(time.perf_counter() - self._t0, 1e-9)
            self._p.update(self._task, advance=n, rate=f"{rate:,.0f} pts/s")

    def __exit__(self, *exc):
        if self._p is not None:
            self._p.stop()
        return False
