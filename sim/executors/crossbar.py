"""``conv2d`` and ``linear`` on analog crossbars (target ``"crossbar"``).

Weights are programmed once per executor (seeded noise: ``hw.crossbar.seed`` + crc32(layer name));
``cost()`` comes from the tile plan alone (:mod:`codesign.cam.crossbar.cost`); ``forward()`` runs
the bit-serial, bit-sliced MVM kernels. Bias and the input/output scaling are digital. Inputs are
treated as signed (one sign cycle), so analytic and functional event counts agree.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from codesign.cam.crossbar.calibration import apply_calibration, calibrate
from codesign.cam.crossbar.model import ProgrammedCrossbars, mvm, program
from codesign.cam.crossbar.params import CrossbarParams, TilePlan
from codesign.cam.crossbar.cost import EVENT_KEYS, action_energy_pj, plan_cost
from codesign.sim.accounting import ActionFn
from codesign.sim.crossbar_mapping import layer_matrix, layer_plan
from codesign.sim.executors import register
from codesign.sim.executors.base import Executor, LayerCost
from codesign.sim.ops import im2col

#: largest number of input vectors handed to the MVM kernel at once (bounds memory for big convs)
MAX_VECTORS = 16384
#: input vectors (im2col rows) a layer's ADC calibration looks at, at most
CALIBRATION_VECTORS = 8192


def _energy(component: str, action: str) -> ActionFn:
    def fn(hw: Any, techs: Any) -> float:
        tech = techs["crossbar"]
        return action_energy_pj(tech, hw.crossbar.with_tech(tech))[(component, action)]
    return fn


class _CrossbarLayer(Executor):
    """Shared plumbing: params, plan, programming, cost."""

    actions = {key: _energy(*key) for key in EVENT_KEYS}
    _prog: ProgrammedCrossbars | None = None

    @property
    def params(self) -> CrossbarParams:
        return self.hw.crossbar.with_tech(self.tech["crossbar"])

    def plan(self) -> TilePlan:
        return layer_plan(self.layer, self.params, self.hw.crossbar.group_mapping)

    def vectors(self) -> int:
        return 1

    def programmed(self) -> ProgrammedCrossbars:
        if self._prog is None:
            p = self.params
            seed = (int(p.seed) + zlib.crc32(self.layer.name.encode())) % (2**32)
            self._prog = program(self.plan(), layer_matrix(self.layer), p, np.random.default_rng(seed))
        return self._prog

    def cost(self) -> LayerCost:
        p = self.params
        plan = self.plan()
        pc = plan_cost(plan, p, self.tech["crossbar"], vectors=self.vectors())
        c = LayerCost(self.layer.name, self.layer.type, "crossbar")
        for (comp, act), n in pc.events.items():
            if n:
                c.add_event(comp, act, n)
        if "bias" in self.layer.arrays:
            c.add_event("xbar_accum", "add", int(np.prod(self.out_shape)))
        c.cycles = pc.latency_ns * float(self.hw.clock_ghz)
        c.area_mm2 = pc.area_mm2
        c.utilization = pc.utilization
        c.mapping = {"tiles": pc.tiles, "strategy": plan.strategy, "vectors": self.vectors(),
                     "cycles_per_vector": p.cycles(True), "slices": p.cost_slices,
                     "rows": p.rows, "cols": p.cols, **plan.info}
        if p.rows_per_adc:
            c.mapping["rows_per_adc"] = p.rows_per_adc
        if p.adc_calibration != "none":  # one full-scale setting per ADC, set once from the calibration batch
            c.mapping["adc_calibration"] = {"method": p.adc_calibration, "calibration_vectors_max": CALIBRATION_VECTORS}
        return c

    # -- non-idealities: ADC calibration, counters ------------------------------------------------
    def needs_calibration(self) -> bool:
        return self.params.adc_calibration != "none"

    def calibrate(self, xs: list[np.ndarray]) -> list[float] | None:
        """Set this layer's ADC ranges from a calibration batch (at most CALIBRATION_VECTORS vectors)."""
        if not self.needs_calibration():
            return None
        x2d = self._inputs2d(xs)
        step = max(1, x2d.shape[0] // CALIBRATION_VECTORS)
        return calibrate(self.programmed(), np.ascontiguousarray(x2d[::step], dtype=np.float64), signed=True)

    def load_calibration(self, full_scales: list[float]) -> None:
        apply_calibration(self.programmed(), full_scales)

    def nonideal_stats(self) -> dict[str, float] | None:
        p = self.params
        if not (p.perturbed or p.read_noise or p.rows_per_adc or p.adc_calibration != "none"):
            return None
        st = getattr(self, "_stats", {})
        conv = float(st.get("adc_conversions", 0))
        return {"adc_conversions": conv, "adc_clipped": float(st.get("adc_clipped", 0)),
                "adc_clipped_rate": st.get("adc_clipped", 0) / conv if conv else 0.0}

    def _mvm(self, x2d: np.ndarray) -> np.ndarray:
        prog = self.programmed()
        stats = self.__dict__.setdefault("_stats", {})
        seen = self.__dict__.get("_vectors_seen", 0)
        out = np.empty((x2d.shape[0], prog.plan.n_out), dtype=np.float32)
        for s in range(0, x2d.shape[0], MAX_VECTORS):
            out[s:s + MAX_VECTORS] = mvm(prog, x2d[s:s + MAX_VECTORS], signed=True, stats=stats, vec0=seen + s)
        self._vectors_seen = seen + x2d.shape[0]
        if "bias" in self.layer.arrays:
            out += np.asarray(self.layer.arrays["bias"], dtype=np.float32)
        return out


@register("linear", "crossbar")
class CrossbarLinear(_CrossbarLayer):
    def _inputs2d(self, xs: list[np.ndarray]) -> np.ndarray:
        return np.asarray(xs[0], dtype=np.float64)

    def forward(self, xs: list[np.ndarray]) -> np.ndarray:
        return self._mvm(self._inputs2d(xs))


@register("conv2d", "crossbar")
class CrossbarConv2d(_CrossbarLayer):
    """im2col (ci, kh, kw order) over all channels; groups are block-diagonal in the logical matrix."""

    def vectors(self) -> int:
        return int(self.out_shape[1] * self.out_shape[2])

    def _inputs2d(self, xs: list[np.ndarray]) -> np.ndarray:
        a = self.layer.attrs
        cols = im2col(np.asarray(xs[0], dtype=np.float32), a["kernel_size"], a["stride"], a["padding"])  # N, P, ci*kk
        return cols.reshape(cols.shape[0] * cols.shape[1], -1)

    def forward(self, xs: list[np.ndarray]) -> np.ndarray:
        n = xs[0].shape[0]
        p = int(self.out_shape[1] * self.out_shape[2])
        y = self._mvm(self._inputs2d(xs))
        y = y.reshape(n, p, -1).transpose(0, 2, 1)
        return np.ascontiguousarray(y).reshape(n, *self.out_shape)

