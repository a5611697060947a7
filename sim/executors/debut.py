"""``debut_linear`` / ``debut_conv2d`` on the digital unit and on analog crossbars.

A DeBut layer is its chain of factors applied one after another (input side first, see
docs/debut.md): factor k maps q_k -> p_k with theta_k[a, r, s, t],
F_k[b·r·t+i·t+d, b·s·t+j·t+d] = theta_k[b,i,j,d]. Padded chains: zero inputs appended, extra
outputs dropped. Conv layers use im2col vectors in ci, kh, kw order. On the digital unit the chain
runs in the Numba kernels of :mod:`codesign.sim.executors.debut_kernels` (nonzeros only, float32).

Crossbar mappings (``hw.crossbar.debut_mapping``, default ``"diagonal"``), per factor:

* ``"dense"``    — the whole p×q factor matrix tiled densely (zeros programmed too);
* ``"block"``    — each r·t × s·t block is one dense tile block, blocks packed diagonally;
* ``"diagonal"`` — each block split into its t dense r×s sub-matrices, packed diagonally.

Each factor is a separate set of resident tiles; a factor's outputs are re-quantized as the next
factor's inputs (per-vector scale), so a chain costs one pass of DAC/ADC cycles per factor.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from codesign.cam.crossbar.calibration import apply_calibration, calibrate
from codesign.cam.crossbar.model import mvm, program
from codesign.cam.crossbar.cost import plan_cost
from codesign.cam.crossbar.params import DEBUT_MAPPINGS
from codesign.sim.crossbar_mapping import debut_factor_blocks, plan_blocks
from codesign.sim.executors.debut_kernels import DeButTables
from codesign.sim.executors import register
from codesign.sim.executors.base import LayerCost
from codesign.sim.executors.crossbar import CALIBRATION_VECTORS, MAX_VECTORS, _CrossbarLayer
from codesign.sim.executors.digital import _Digital
from codesign.sim.layer_schema import _pair, debut_chain_rows, debut_in_out
from codesign.sim.ops import im2col


def factor_matrix(row: tuple[int, ...], theta: np.ndarray) -> np.ndarray:
    """Dense p×q matrix of one factor (entry formula)."""
    p, q, r, s, t = row
    a = q // (s * t)
    m = np.zeros((a, r, t, a, s, t))
    b, d = np.arange(a)[:, None], np.arange(t)[None, :]
    m[b, :, d, b, :, d] = np.asarray(theta, np.float64).reshape(a, r, s, t).transpose(0, 3, 1, 2)
    return m.reshape(p, q)


class _DeButMixin:
    def rows(self) -> list[tuple[int, ...]]:
        return debut_chain_rows(self.layer, f"/layers/{self.layer.name}")

    def vectors(self) -> int:
        return int(self.out_shape[1] * self.out_shape[2]) if self.layer.type == "debut_conv2d" else 1

    def _vectors_in(self, x: np.ndarray) -> np.ndarray:
        if self.layer.type == "debut_conv2d":
            a = self.layer.attrs
            cols = im2col(np.asarray(x, np.float32), a["kernel_size"], a["stride"], a["padding"])
            return cols.reshape(-1, cols.shape[2])
        return np.asarray(x, np.float32).reshape(x.shape[0], -1)

    def _run(self, xs, factor_fn) -> np.ndarray:
        x = xs[0]
        n = x.shape[0]
        v = self._vectors_in(x)
        n_in, n_out = debut_in_out(self.layer.attrs)
        rows = self.rows()
        if rows[0][1] > n_in:
            v = np.pad(v, ((0, 0), (0, rows[0][1] - n_in)))
        for k, row in enumerate(rows):
            v = factor_fn(k, row, v)
        y = np.asarray(v[:, :n_out], dtype=np.float32)
        if "bias" in self.layer.arrays:
            y = y + np.asarray(self.layer.arrays["bias"], dtype=np.float32)
        if self.layer.type == "debut_conv2d":
            p = self.vectors()
            return np.ascontiguousarray(y.reshape(n, p, n_out).transpose(0, 2, 1)).reshape(n, *self.out_shape)
        return y


class _DeButDigital(_DeButMixin, _Digital):
    def cost(self) -> LayerCost:
        params = sum(r[0] * r[3] for r in self.rows())
        vec = self.vectors()
        bias = int(np.prod(self.out_shape)) if "bias" in self.layer.arrays else 0
        c = self._cost({("mac", "fp32"): params * vec, ("alu", "fp32_add"): bias}, params * vec + bias, params)
        c.mapping["factors"] = len(self.rows())
        return c

    _tables: DeButTables | None = None

    def tables(self) -> DeButTables:
        """The layer's chain, factors and bias in kernel form (built once per executor)."""
        if self._tables is None:
            arrs = self.layer.arrays
            rows = self.rows()
            n_in, n_out = debut_in_out(self.layer.attrs)
            self._tables = DeButTables(rows, [arrs[f"factor_{k}"] for k in range(len(rows))], arrs.get("bias"),
                                       n_in, n_out)
        return self._tables

    def forward(self, xs):
        t = self.tables()
        if self.layer.type == "debut_conv2d":
            a = self.layer.attrs
            return t.conv(xs[0], _pair(a["kernel_size"]), _pair(a["stride"]), _pair(a["padding"]), self.out_shape[1:])
        return t.linear(xs[0])


@register("debut_linear", "digital")
class DeButLinearDigital(_DeButDigital):
    pass


@register("debut_conv2d", "digital")
class DeButConv2dDigital(_DeButDigital):
    pass


class _DeButCrossbar(_DeButMixin, _CrossbarLayer):
    _progs: list | None = None

    def plans(self):
        p, m = self.params, self.hw.crossbar.debut_mapping
        out = []
        for row in self.rows():
            by = "block" if m in ("dense", "block") else "diagonal"
            blocks = debut_factor_blocks(*row, by=by)
            out.append(plan_blocks(blocks, row[1], row[0], p, "dense" if m == "dense" else "packed",
                                   {"factor": list(row), "debut_mapping": m}))
        return out

    def programs(self):
        if self._progs is None:
            p = self.params
            seed = (int(p.seed) + zlib.crc32(self.layer.name.encode())) % (2**32)
            rng = np.random.default_rng(seed)
            self._progs = [program(plan, factor_matrix(row, self.layer.arrays[f"factor_{k}"]), p, rng)
                           for k, (row, plan) in enumerate(zip(self.rows(), self.plans()))]
        return self._progs

    def cost(self) -> LayerCost:
        p = self.params
        c = LayerCost(self.layer.name, self.layer.type, "crossbar")
        latency, tiles, used = 0.0, 0, 0.0
        per_factor = []
        for plan in self.plans():
            pc = plan_cost(plan, p, self.tech["crossbar"], vectors=self.vectors())
            for (comp, act), n in pc.events.items():
                if n:
                    c.add_event(comp, act, n)
            for comp, v in pc.area_mm2.items():
                c.area_mm2[comp] = c.area_mm2.get(comp, 0.0) + v
            latency += pc.latency_ns
            tiles += pc.tiles
            used += pc.utilization * pc.tiles
            per_factor.append({"tiles": pc.tiles, "utilization": round(pc.utilization, 4)})
        if "bias" in self.layer.arrays:
            c.add_event("xbar_accum", "add", int(np.prod(self.out_shape)))
        c.cycles = latency * float(self.hw.clock_ghz)
        c.utilization = used / max(tiles, 1)
        c.mapping = {"tiles": tiles, "strategy": self.hw.crossbar.debut_mapping, "vectors": self.vectors(), "factors": per_factor,
                     "rows": p.rows, "cols": p.cols}
        return c

    def forward(self, xs):
        progs = self.programs()
        stats = self.__dict__.setdefault("_stats", {})
        seen = self.__dict__.setdefault("_seen", {})  # factor -> vectors so far (read-noise keys)

        def run(k, row, v):
            v = np.asarray(v, np.float64)
            out = np.empty((v.shape[0], row[0]))
            for s in range(0, v.shape[0], MAX_VECTORS):
                out[s:s + MAX_VECTORS] = mvm(progs[k], v[s:s + MAX_VECTORS], signed=True, stats=stats,
                                             vec0=seen.get(k, 0) + s)
            seen[k] = seen.get(k, 0) + v.shape[0]
            return out

        return self._run(xs, run)

    def calibrate(self, xs):
        """ADC ranges of every factor's crossbars from a calibration batch (factor by factor)."""
        if not self.needs_calibration():
            return None
        progs = self.programs()
        state = []

        def run(k, row, v):
            v = np.ascontiguousarray(v, dtype=np.float64)
            state.append(calibrate(progs[k], v[::max(1, v.shape[0] // CALIBRATION_VECTORS)], signed=True))
            return mvm(progs[k], v, signed=True)

        self._run(xs, run)
        return state

    def load_calibration(self, state):
        for prog, fs in zip(self.programs(), state):
            apply_calibration(prog, fs)


@register("debut_linear", "crossbar")
class DeButLinearCrossbar(_DeButCrossbar):
    pass


@register("debut_conv2d", "crossbar")
class DeButConv2dCrossbar(_DeButCrossbar):
    pass


def utilization_table(rows: list[tuple[int, ...]], p) -> list[dict]:
    """Tiles and utilization of every factor under each mapping (shapes only)."""
    out = []
    for row in rows:
        for m in DEBUT_MAPPINGS:
            by = "block" if m in ("dense", "block") else "diagonal"
            plan = plan_blocks(debut_factor_blocks(*row, by=by), row[1], row[0], p, "dense" if m == "dense" else "packed")
            out.append({"factor": list(row), "mapping": m, "tiles": len(plan.tiles),
                        "utilization": plan.utilization(p), "cells": len(plan.tiles) * p.rows * p.cols,
                        "rounds": math.ceil(len(plan.tiles) / p.parallel_tiles)})
    return out
