"""The simulator engine: analytic costs (``cost``) and functional batched execution (``run``).

    sim = Simulator(spec_or_path, hw=HardwareConfig())
    sim.cost()                  # SimReport for one inference, from shapes + mapping only (fast)
    sim.run(x, batch_size=256)  # RunResult(logits, predictions, report) via the executors' Numba kernels
    sim.evaluate()              # accuracy on the file's testset (or golden set) + golden self-check
    sim.calibrate(x_cal)        # ADC ranges from a calibration batch (hw.crossbar.adc_calibration), reused by run
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from codesign.errors import CodesignError
from codesign.sim.accounting import EnergyTable, TechSet
from codesign.sim.executors import lookup
from codesign.sim.executors.base import Executor
from codesign.sim.format import ModelSpec, read_model
from codesign.sim.graph import build_graph, last_use
from codesign.sim.hardware import HardwareConfig
from codesign.sim.report import SimReport


class SimulationError(CodesignError, ValueError):
    """Bad simulator input (inputs of the wrong shape, a layer its target cannot run...)."""


@dataclass
class RunResult:
    logits: np.ndarray          # float32 [N, num_classes]
    predictions: np.ndarray     # int64 [N]
    report: SimReport           # per-inference costs (data-independent)
    seconds: float = 0.0        # wall time of the functional run


@dataclass
class EvalResult:
    which: str                          # "testset" or "golden"
    n: int
    accuracy: float | None
    golden_match: float | None = None   # fraction of golden predictions reproduced
    golden_max_abs_diff: float | None = None
    report: SimReport | None = None
    details: dict[str, Any] = field(default_factory=dict)


class Simulator:
    """Simulate ``spec`` (a ModelSpec or a path to an HDF5 model) on ``hw``."""

    def __init__(self, spec: ModelSpec | str | os.PathLike, hw: HardwareConfig | None = None):
        self.spec = spec if isinstance(spec, ModelSpec) else read_model(spec)
        self.hw = hw or HardwareConfig()
        self.shapes = self.spec.shapes()
        self.graph = build_graph(self.spec, self.shapes)
        #: layer -> converter calibration state (ADC ranges), set by :meth:`calibrate` and reused by :meth:`run`
        self.calibration: dict[str, Any] | None = None

    # -- executors ---------------------------------------------------------------------------
    def executors(self, hw: HardwareConfig | None = None) -> list[Executor]:
        hw = hw or self.hw
        techs = TechSet(hw)
        out = []
        for layer in self.spec.layers:
            target = hw.target_for(layer.type, layer.attrs)
            try:
                cls = lookup(layer.type, target)
            except LookupError as exc:
                raise SimulationError(f"layer {layer.name!r}: {exc}") from None
            ins = [self.shapes[s] for s in layer.inputs]
            out.append(cls(layer, ins, self.shapes[layer.name], hw, techs))
        return out

    # -- analytic ------------------------------------------------------------------------------
    def cost(self, hw: HardwareConfig | None = None) -> SimReport:
        """Per-inference report from shapes and mapping only (no data)."""
        hw = hw or self.hw
        execs = self.executors(hw)
        table = EnergyTable(hw, execs[0].tech if execs else None)
        layers = []
        for ex in execs:
            try:
                c = ex.cost()
            except ValueError as exc:
                raise SimulationError(str(exc)) from None
            table.fill(c, ex.actions)
            c.latency_ns = c.cycles / float(hw.clock_ghz)
            layers.append(c)
        return SimReport(self.spec.name, layers, hw.to_dict(), node=table.techs.node_report())

    # -- functional ------------------------------------------------------------------------------
    def _inputs(self, inputs: np.ndarray) -> np.ndarray:
        x = np.asarray(inputs, dtype=np.float32)
        ishape = tuple(self.spec.input_shape)
        if x.shape[1:] != ishape:
            raise SimulationError(f"inputs have shape {x.shape}; expected (N, {', '.join(map(str, ishape))})")
        return x

    def calibrate(self, inputs: np.ndarray) -> dict[str, Any]:
        """Calibrate every layer that asks for it (``hw.crossbar.adc_calibration``) on ``inputs``, layer by
        layer through the calibrated layers before it; kept in :attr:`calibration` and reused by :meth:`run`."""
        x = self._inputs(inputs)
        acts: dict[str, np.ndarray] = {"input": x}
        self.calibration = {}
        for layer, ex in zip(self.spec.layers, self.executors()):
            ins = [acts[s] for s in layer.inputs]
            try:
                state = ex.calibrate(ins)
                acts[layer.name] = ex.forward(ins)
            except ValueError as exc:
                raise SimulationError(str(exc)) from None
            if state is not None:
                self.calibration[layer.name] = state
        return self.calibration

    def run(self, inputs: np.ndarray, batch_size: int = 256, progress: bool | None = None) -> RunResult:
        """Execute ``inputs`` float32[N, *input_shape] through every layer's executor."""
        x = self._inputs(inputs)
        report = self.cost()
        execs = self.executors()
        if any(ex.needs_calibration() for ex in execs):
            if self.calibration is None:  # no calibration batch given: the first batch of these inputs
                self.calibrate(x[:max(1, int(batch_size))])
            for layer, ex in zip(self.spec.layers, execs):
                if layer.name in self.calibration:
                    ex.load_calibration(self.calibration[layer.name])
        free_at = last_use(self.spec)
        n = x.shape[0]
        bs = max(1, int(batch_size))
        chunks = []
        t0 = time.perf_counter()
        for start in _progress(range(0, n, bs), progress, total=(n + bs - 1) // bs, desc=f"simulate {self.spec.name}"):
            acts: dict[str, np.ndarray] = {"input": x[start:start + bs]}
            for i, (layer, ex) in enumerate(zip(self.spec.layers, execs)):
                try:
                    acts[layer.name] = ex.forward([acts[s] for s in layer.inputs])
                except ValueError as exc:
                    raise SimulationError(str(exc)) from None
                for s in layer.inputs:
                    if free_at.get(s) == i:
                        acts.pop(s, None)
            chunks.append(np.asarray(acts[self.spec.layers[-1].name], dtype=np.float32))
        logits = np.concatenate(chunks) if chunks else np.zeros((0, self.spec.num_classes), np.float32)
        secs = time.perf_counter() - t0
        stats = {layer.name: st for layer, ex in zip(self.spec.layers, execs) if (st := ex.nonideal_stats())}
        if stats:
            report.extra["nonideal"] = stats
        return RunResult(logits, logits.argmax(axis=1).astype(np.int64), report, secs)

    def evaluate(self, which: str = "auto", limit: int | None = None, batch_size: int = 256,
                 progress: bool | None = None) -> EvalResult:
        """Accuracy on the testset ("auto": testset if present, else golden) and golden self-check."""
        s = self.spec
        if which == "auto":
            which = "testset" if s.test_inputs is not None else "golden"
        if which == "testset" and s.test_inputs is None:
            raise SimulationError(f"model {s.name!r} has no /testset; use which='golden'")
        if which == "golden" and s.golden_inputs is None:
            raise SimulationError(f"model {s.name!r} has no /golden vectors")
        xs, ys = (s.test_inputs, s.test_labels) if which == "testset" else (s.golden_inputs, s.golden_labels)
        if limit is not None:
            xs, ys = xs[:limit], ys[:limit]
        if self.calibration is None and any(ex.needs_calibration() for ex in self.executors()):
            # calibration batch: the golden vectors where the file has them, else the first test batch
            self.calibrate(s.golden_inputs if s.golden_inputs is not None else xs[:batch_size])
        res = self.run(xs, batch_size=batch_size, progress=progress)
        ev = EvalResult(which, int(len(xs)), float(np.mean(res.predictions == ys)) if len(xs) else None,
                        report=res.report, details={"seconds": res.seconds})
        if s.golden_inputs is not None:
            g = res if which == "golden" and limit is None else self.run(s.golden_inputs, batch_size, progress=False)
            ev.golden_match = float(np.mean(g.predictions == s.golden_predictions))
            ev.golden_max_abs_diff = float(np.max(np.abs(g.logits - s.golden_logits))) if len(g.logits) else 0.0
        ev.report.extra["eval"] = {"which": ev.which, "n": ev.n, "accuracy": ev.accuracy,
                                    "golden_match": ev.golden_match, "golden_max_abs_diff": ev.golden_max_abs_diff}
        return ev


def _progress(it, progress: bool | None, total: int, desc: str):
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return it
    from tqdm import tqdm

    return tqdm(it, total=total, desc=desc, leave=False)
