"""The cycle-approximate engine: builds the schedule problem from the analytic executors, runs the event
loop (:mod:`codesign.sim.cycle.kernel`), and adds DRAM reloads and leakage to the energy.

    rep = CycleSimulator(spec_or_path, hw, CycleConfig(mode="pipelined", batch=8)).run()
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

import numpy as np

from codesign.sim.accounting import EnergyTable
from codesign.sim.cycle.config import CycleConfig
from codesign.sim.cycle.kernel import schedule
from codesign.sim.cycle.leakage import leakage_power_mw
from codesign.sim.cycle.report import CycleReport, LayerTiming
from codesign.sim.cycle.workload import DIGITAL_UNIT, DRAM, INTERCONNECT, LayerWork, balance_copies, build
from codesign.sim.engine import SimulationError, Simulator
from codesign.sim.format import ModelSpec
from codesign.sim.hardware import HardwareConfig


class CycleSimulator:
    """Schedule ``spec`` on ``hw`` event by event under ``cfg`` (see :class:`CycleConfig`)."""

    def __init__(self, spec: ModelSpec | str | os.PathLike, hw: HardwareConfig | None = None,
                 cfg: CycleConfig | None = None):
        self.sim = Simulator(spec, hw=hw)
        self.hw = self.sim.hw
        self.cfg = cfg or CycleConfig()

    def problem(self) -> dict[str, Any]:
        """The analytic report, the work description, weight copies and residency (no scheduling)."""
        analytic = self.sim.cost()
        execs = self.sim.executors()
        work = build(execs, analytic.layers, self.sim.shapes)
        copies = balance_copies(work, self.cfg.duplication) if self.cfg.mode == "pipelined" else [1] * len(work)
        resident = _residency(work, copies, self.cfg.onchip_kib)
        return {"analytic": analytic, "work": work, "copies": copies, "resident": resident, "execs": execs}

    def run(self) -> CycleReport:
        t0 = time.perf_counter()
        prob = self.problem()
        work, copies, resident = prob["work"], prob["copies"], prob["resident"]
        cfg, hw = self.cfg, self.hw
        clk = float(hw.clock_ghz)
        techs = prob["execs"][0].tech if prob["execs"] else EnergyTable(hw).techs
        dram = techs.dram()
        args, resources = _arrays(work, copies, resident, cfg, clk, dram.bandwidth_gb_s)
        t1 = time.perf_counter()
        lstart, lfinish, stall, busy, done, events = schedule(cfg.batch, 0 if cfg.mode == "layer" else 1, *args)
        kernel_s = time.perf_counter() - t1
        if int(done.sum()) != int(args[0].sum()) * cfg.batch:
            stuck = [w.name for w, d in zip(work, done) if d < w.items * cfg.batch]
            raise SimulationError(f"cycle engine: schedule deadlocked at layer(s) {stuck}: the line buffers are too "
                                  "small for this graph; raise cycle.buffer_kib or leave it unset")
        makespan = float(lfinish.max()) if lfinish.size else 0.0
        timings = [LayerTiming(w.name, w.type, w.target, w.items, copies[i], bool(resident[i]),
                               lstart[i].tolist(), lfinish[i].tolist(), stall[i].tolist())
                   for i, w in enumerate(work)]
        reload_bytes = sum(w.weight_bytes * c for w, c, r in zip(work, copies, resident) if not r) * cfg.batch
        reload_energy = dram.access_energy_pj(64) * reload_bytes / 8.0
        area = _area(prob["analytic"], work, copies)
        leak_mw = leakage_power_mw(area, techs) if cfg.leakage else {}
        runtime_ns = makespan / clk
        return CycleReport(
            model=self.sim.spec.name, config=cfg.to_dict(), clock_ghz=clk, analytic=prob["analytic"], layers=timings,
            makespan_cycles=makespan, resources={name: (float(b), int(u)) for (name, u), b in zip(resources, busy)},
            events_simulated=int(events), reload_bytes=float(reload_bytes), reload_energy_pj=float(reload_energy),
            leakage_mw=leak_mw, leakage_energy_pj=sum(leak_mw.values()) * runtime_ns, area_mm2=area,
            completed={w.name: int(d) for w, d in zip(work, done)}, seconds=time.perf_counter() - t0,
            kernel_seconds=kernel_s)


def _residency(work: list[LayerWork], copies: list[int], onchip_kib: float | None) -> list[bool]:
    """Which layers keep their weights on chip: all when ``onchip_kib`` is unset, else greedily in order."""
    if onchip_kib is None:
        return [True] * len(work)
    left = float(onchip_kib) * 1024.0
    out = []
    for w, c in zip(work, copies):
        need = w.weight_bytes * c
        fits = need <= left
        left -= need if fits else 0.0
        out.append(fits)
    return out


def _area(analytic: Any, work: list[LayerWork], copies: list[int]) -> dict[str, float]:
    """Area by component (mm²) with each layer's own arrays counted once per weight copy."""
    out: dict[str, float] = {}
    for lc, w, c in zip(analytic.layers, work, copies):
        for comp, a in lc.area_mm2.items():
            if comp == DIGITAL_UNIT:
                out[comp] = max(out.get(comp, 0.0), a)
            else:
                out[comp] = out.get(comp, 0.0) + a * (c if w.dedicated else 1)
    return out


def _edge_tables(work: list[LayerWork], cfg: CycleConfig) -> tuple[list[np.ndarray], int]:
    """Edges between layers (the model input is always available): producer, consumer, line-buffer
    capacity (producer items: one whole tensor, or ``buffer_kib`` raised to the receptive-field span on a
    plain chain edge), per consumer item the highest producer item it reads, and per producer item how many
    consumer items must finish before its slot is free."""
    index = {w.name: i for i, w in enumerate(work)}
    fanout = {}
    for w in work:
        for src, _, _ in w.inputs:
            fanout[src] = fanout.get(src, 0) + 1
    prod, cons, cap, need_parts, ff_parts = [], [], [], [], []
    for ci, w in enumerate(work):
        for src, need, low in w.inputs:
            if src not in index:
                continue
            pi = index[src]
            p_items = work[pi].items
            smin = np.minimum.accumulate(low[::-1])[::-1]  # lowest item any later consumer item still reads
            ff = np.searchsorted(smin, np.arange(p_items), side="right").astype(np.int64)
            span = int(np.max(need - smin)) + 1
            c = max(span, p_items)  # one whole tensor
            per = work[pi].out_bytes
            if cfg.buffer_kib is not None and fanout[src] == 1 and len(w.inputs) == 1 and per > 0:
                c = max(span, int(cfg.buffer_kib * 1024 // per))
            prod.append(pi), cons.append(ci), cap.append(c), need_parts.append(need), ff_parts.append(ff)
    return [np.array(prod, np.int64), np.array(cons, np.int64), np.array(cap, np.int64),
            need_parts, ff_parts], len(prod)


def _csr(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(keys, kind="stable").astype(np.int64)
    ptr = np.zeros(n + 1, np.int64)
    np.add.at(ptr, keys + 1, 1)
    return np.cumsum(ptr).astype(np.int64), order


def _flat(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    offs = np.zeros(len(parts), np.int64)
    if parts:
        offs[1:] = np.cumsum([len(p) for p in parts])[:-1]
    flat = np.concatenate(parts).astype(np.int64) if parts else np.zeros(1, np.int64)
    return offs, flat


def _arrays(work: list[LayerWork], copies: list[int], resident: list[bool], cfg: CycleConfig, clk: float,
            dram_gb_s: float) -> tuple[tuple, list[tuple[str, int]]]:
    """Typed arrays for :func:`kernel.schedule` and the (name, units) of every resource."""
    res: dict[str, int] = {}
    units: list[int] = []
    link: list[int] = []

    def rid(name: str, n: int, is_link: bool = False) -> int:
        if name not in res:
            res[name] = len(units)
            units.append(n)
            link.append(int(is_link))
        return res[name]

    nl = len(work)
    smax = max([len(w.stages) for w in work] + [1]) + 1
    nst = np.zeros(nl, np.int64)
    st_res = np.zeros((nl, smax), np.int64)
    st_t = np.zeros((nl, smax))
    reload_t = np.zeros(nl)
    link_cyc_per_byte = clk / float(cfg.link_gb_s) if cfg.link_gb_s else 0.0  # GB/s = bytes/ns
    for i, w in enumerate(work):
        stages = list(w.stages)
        if link_cyc_per_byte and w.out_bytes:
            stages.append((INTERCONNECT, w.out_bytes * link_cyc_per_byte))
        for s, (name, cyc) in enumerate(stages):
            shared = name in (DIGITAL_UNIT, INTERCONNECT)
            st_res[i, s] = rid(name, 1 if shared else copies[i], name == INTERCONNECT)
            st_t[i, s] = cyc
        nst[i] = len(stages)
        if not resident[i]:
            reload_t[i] = math.ceil(w.weight_bytes * copies[i] / dram_gb_s * clk)
    dram_res = rid(DRAM, 1, True)
    (prod, cons, cap, need_parts, ff_parts), _ = _edge_tables(work, cfg)
    need_off, need_flat = _flat(need_parts)
    ff_off, ff_flat = _flat(ff_parts)
    in_ptr, in_edge = _csr(cons, nl)
    out_ptr, out_edge = _csr(prod, nl)
    P = np.array([w.items for w in work], np.int64)
    args = (P, nst, st_res, st_t, reload_t, np.int64(dram_res), np.array(units, np.int64), np.array(link, np.int64),
            prod, cons, cap, need_off, need_flat, ff_off, ff_flat, in_ptr, in_edge, out_ptr, out_edge)
    return args, list(zip(res, units))
