"""Report of the cycle engine: latency, throughput, per-layer start/finish, stalls by cause, resource
utilization, energy with DRAM reloads and leakage, the check against the analytic model, a Gantt PNG."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from codesign.atomic import save_figure, write_json
from codesign.sim.cycle.config import STALL_CAUSES

#: largest relative latency difference at which the two models are said to agree
AGREEMENT_TOLERANCE = 0.10


@dataclass
class LayerTiming:
    name: str
    type: str
    target: str
    items: int                  # work items (output positions) per inference
    copies: int                 # weight copies (pipelined duplication)
    resident: bool              # weights stay on chip (else reloaded from DRAM per inference)
    start: list[float]          # first cycle of work, per inference of the batch
    finish: list[float]         # last cycle of work, per inference
    stall: list[float]          # stall cycles by cause (STALL_CAUSES), whole batch


@dataclass
class CycleReport:
    model: str
    config: dict[str, Any]
    clock_ghz: float
    analytic: Any               # the analytic SimReport of the same hardware
    layers: list[LayerTiming]
    makespan_cycles: float      # whole batch
    resources: dict[str, tuple[float, int]]  # name -> (busy cycles, units)
    events_simulated: int
    reload_bytes: float
    reload_energy_pj: float
    leakage_mw: dict[str, float]
    leakage_energy_pj: float
    area_mm2: dict[str, float]
    completed: dict[str, int]   # work items finished per layer
    seconds: float = 0.0        # wall time of the whole run (analytic costs included)
    kernel_seconds: float = 0.0  # wall time of the event loop alone
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def batch(self) -> int:
        return int(self.config["batch"])

    # -- time ----------------------------------------------------------------------------------
    @property
    def latency_cycles(self) -> float:
        """First inference: from its first work to its last."""
        return max(l.finish[0] for l in self.layers) - min(l.start[0] for l in self.layers)

    @property
    def latency_ns(self) -> float:
        return self.latency_cycles / self.clock_ghz

    @property
    def cycles_per_inference(self) -> float:
        """Steady state: spacing of the inferences' ends over the batch, but never below the busiest
        resource's work per inference (a small batch can end in a burst); latency for a batch of 1."""
        if self.batch == 1:
            return self.latency_cycles
        ends = sorted(max(l.finish[b] for l in self.layers) for b in range(self.batch))
        bound = max((busy / units for busy, units in self.resources.values()), default=0.0) / self.batch
        return max((ends[-1] - ends[0]) / (self.batch - 1), bound)

    @property
    def throughput_inf_s(self) -> float:
        c = self.cycles_per_inference
        return self.clock_ghz * 1e9 / c if c > 0 else float("inf")

    def stalls(self) -> dict[str, float]:
        tot = np.sum([l.stall for l in self.layers], axis=0) if self.layers else np.zeros(len(STALL_CAUSES))
        return dict(zip(STALL_CAUSES, map(float, tot)))

    def utilization(self) -> dict[str, float]:
        span = self.makespan_cycles or 1.0
        return {name: busy / (units * span) for name, (busy, units) in self.resources.items()}

    # -- energy and events ----------------------------------------------------------------------
    @property
    def dynamic_energy_pj(self) -> float:
        """Per inference: the analytic events' energy plus DRAM reloads."""
        return self.analytic.total_energy_pj + self.reload_energy_pj / self.batch

    @property
    def energy_pj(self) -> float:
        """Per inference, leakage included."""
        return self.dynamic_energy_pj + self.leakage_energy_pj / self.batch

    def events(self) -> dict[str, float]:
        """Events of the work items completed, per inference (finished inferences only)."""
        out: dict[str, float] = {}
        for lc, t in zip(self.analytic.layers, self.layers):
            full = self.completed[t.name] // t.items
            for (c, a), n in lc.events.items():
                out[f"{c}.{a}"] = out.get(f"{c}.{a}", 0.0) + n * full / self.batch
        return out

    # -- the analytic model checked -------------------------------------------------------------
    def broken_assumptions(self) -> list[str]:
        """The analytic model's assumptions this run does not satisfy."""
        cfg = self.config
        out = []
        if cfg["mode"] != "layer":
            out.append("layer-by-layer execution (this run pipelines layers)")
        if cfg.get("link_gb_s"):
            out.append(f"no bandwidth limit (interconnect limited to {cfg['link_gb_s']:g} GB/s)")
        if not all(l.resident for l in self.layers):
            out.append(f"everything resident (on-chip capacity {cfg.get('onchip_kib'):g} KiB: "
                       f"{sum(not l.resident for l in self.layers)} layer(s) reload weights from DRAM)")
        return out

    def agreement(self) -> dict[str, Any]:
        a = float(self.analytic.cycles)
        c = float(self.latency_cycles)
        rel = abs(c - a) / a if a else 0.0
        ev_a = {k: float(v) for k, v in self.analytic.events.items()}
        ev_c = self.events()
        broken = self.broken_assumptions()
        return {"analytic_cycles": a, "cycle_cycles": c, "relative_difference": rel,
                "latency_agrees": rel <= AGREEMENT_TOLERANCE, "events_equal": ev_a == ev_c,
                "assumptions_hold": not broken, "broken_assumptions": broken}

    # -- output --------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "config": self.config, "clock_ghz": self.clock_ghz,
            "latency_cycles": self.latency_cycles, "latency_ns": self.latency_ns,
            "cycles_per_inference": self.cycles_per_inference, "throughput_inf_s": self.throughput_inf_s,
            "makespan_cycles": self.makespan_cycles, "stall_cycles": self.stalls(), "utilization": self.utilization(),
            "energy_pj": {"per_inference": self.energy_pj, "dynamic": self.analytic.total_energy_pj,
                          "dram_reload": self.reload_energy_pj / self.batch,
                          "leakage": self.leakage_energy_pj / self.batch},
            "leakage_mw": self.leakage_mw, "area_mm2": self.area_mm2,
            "dram_reload": {"bytes_per_inference": self.reload_bytes / self.batch,
                            "layers": [l.name for l in self.layers if not l.resident]},
            "events_per_inference": self.events(), "events_simulated": self.events_simulated,
            "agreement": self.agreement(), "seconds": self.seconds, "kernel_seconds": self.kernel_seconds,
            "layers": [{"name": l.name, "type": l.type, "target": l.target, "items": l.items, "copies": l.copies,
                        "resident": l.resident, "start_cycles": l.start, "finish_cycles": l.finish,
                        "stall_cycles": dict(zip(STALL_CAUSES, l.stall))} for l in self.layers],
            **({"extra": self.extra} if self.extra else {}),
        }

    def write_json(self, path: str | os.PathLike) -> Path:
        return write_json(Path(path), self.to_dict(), indent=1)

    def print_table(self, console: Any = None) -> None:
        from rich.console import Console
        from rich.table import Table

        console = console or Console()
        t = Table(title=f"{self.model}: cycle engine, {self.config['mode']} mode, batch {self.batch}")
        for col in ("layer", "target", "items", "copies", "start", "finish", *STALL_CAUSES):
            t.add_column(col, justify="left" if col in ("layer", "target") else "right")
        for l in self.layers:
            t.add_row(l.name, l.target, str(l.items), str(l.copies), f"{l.start[0]:,.0f}", f"{l.finish[0]:,.0f}",
                      *(f"{s:,.0f}" for s in l.stall))
        console.print(t)
        ag = self.agreement()
        console.print(f"latency {self.latency_cycles:,.0f} cycles ({self.latency_ns:,.1f} ns); analytic "
                      f"{ag['analytic_cycles']:,.0f} cycles ({ag['relative_difference']:.1%} apart); throughput "
                      f"{self.throughput_inf_s:,.0f} inferences/s; energy {self.energy_pj:,.1f} pJ/inference "
                      f"(leakage {self.leakage_energy_pj / self.batch:,.1f}, DRAM reload "
                      f"{self.reload_energy_pj / self.batch:,.1f}; reload traffic "
                      f"{self.reload_bytes / self.batch:,.0f} "
                      f"B/inference)")
        console.print("analytic assumptions: " + ("all hold" if ag["assumptions_hold"] else
                                                 "broken: " + "; ".join(ag["broken_assumptions"])))

    def plot_gantt(self, path: str | os.PathLike, title: str | None = None) -> Path:
        """Timeline PNG: one row per layer, a bar per inference from its first to its last work."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        colors = {"cam": "C0", "digital": "C1", "crossbar": "C2"}
        n = len(self.layers)
        fig, ax = plt.subplots(figsize=(9, 0.3 * n + 1.6))
        for i, l in enumerate(self.layers):
            for b in range(self.batch):
                s, f = l.start[b] / self.clock_ghz * 1e-3, l.finish[b] / self.clock_ghz * 1e-3
                ax.barh(i, max(f - s, 1e-9), left=s, height=0.7, color=colors.get(l.target, "C3"),
                        alpha=1.0 if b % 2 == 0 else 0.6, edgecolor="black", linewidth=0.3)
        ax.set_yticks(range(n), [l.name for l in self.layers], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("time (µs)")
        ax.set_title(title or f"{self.model}: {self.config['mode']} mode, batch {self.batch} "
                     "(blue cam, orange digital, green crossbar)", fontsize=9)
        fig.tight_layout()
        return save_figure(fig, Path(path), dpi=110)
