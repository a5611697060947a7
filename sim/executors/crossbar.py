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

from codesign.cam.crossbar.model import ProgrammedCrossbars, mvm, program
from codesign.cam.crossbar.params import CrossbarParams, TilePlan
from codesign.cam.crossbar.cost import EVENT_KEYS, action_energy_pj, plan_cost
from codesign.sim.accounting import register_action
from codesign.sim.crossbar_mapping import layer_matrix, layer_plan
from codesign.sim.executors import register
from codesign.sim.executors.base import Executor, LayerCost
from codesign.sim.ops import im2col

#: largest number of input vectors handed to the MVM kernel at once (bounds memory for big convs)
MAX_VECTORS = 16384


def _energy(component: str, action: str):
    def fn(hw: Any, techs: Any) -> float:
        tech = techs["crossbar"]
        return action_energy_pj(tech, hw.crossbar.with_tech(tech))[(component, action)]
    return fn


for _comp, _act in EVENT_KEYS:
    register_action(_comp, _act, _energy(_comp, _act))


class _CrossbarLayer(Executor):
    """Shared plumbing: params, plan, programming, cost."""

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
        return c

    def _mvm(self, x2d: np.ndarray) -> np.ndarray:
        prog = self.programmed()
        out = np.empty((x2d.shape[0], prog.plan.n_out), dtype=np.float32)
        for s in range(0, x2d.shape[0], MAX_VECTORS):
            out[s:s + MAX_VECTORS] = mvm(prog, x2d[s:s + MAX_VECTORS], signed=True)
        if "bias" in self.layer.arrays:
            out += np.asarray(self.layer.arrays["bias"], dtype=np.float32)
        return out


@register("linear", "crossbar")
class CrossbarLinear(_CrossbarLayer):
    def forward(self, xs: list[np.ndarray]) -> np.ndarray:
        return self._mvm(np.asarray(xs[0], dtype=np.float64))


@register("conv2d", "crossbar")
class CrossbarConv2d(_CrossbarLayer):
    """im2col (ci, kh, kw order) over all channels; groups are block-diagonal in the logical matrix."""

    def vectors(self) -> int:
        return int(self.out_shape[1] * self.out_shape[2])

    def forward(self, xs: list[np.ndarray]) -> np.ndarray:
        a = self.layer.attrs
        x = np.asarray(xs[0], dtype=np.float32)
        n = x.shape[0]
        cols = im2col(x, a["kernel_size"], a["stride"], a["padding"])  # N, P, ci*kk
        y = self._mvm(cols.reshape(n * cols.shape[1], -1))
        y = y.reshape(n, cols.shape[1], -1).transpose(0, 2, 1)
        return np.ascontiguousarray(y).reshape(n, *self.out_shape)

