"""Simulation reports: per-layer and total cycles, latency, energy by component, area, utilization,
events; console table (rich), JSON/HDF5 files (atomic) and PNG plots."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from codesign.atomic import json_default, replacing, save_figure, write_json
from codesign.sim.accounting import SHARED_AREA_COMPONENTS
from codesign.sim.executors.base import LayerCost


@dataclass
class SimReport:
    model: str
    layers: list[LayerCost]
    hw: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. accuracy, golden match
    #: process node of every cost and, per technology, the node it was scaled from and what
    #: (``TechSet.node_report``)
    node: dict[str, Any] = field(default_factory=dict)

    # -- totals ----------------------------------------------------------------------------
    @property
    def cycles(self) -> float:
        return float(sum(l.cycles for l in self.layers))

    @property
    def latency_ns(self) -> float:
        return float(sum(l.latency_ns for l in self.layers))

    @property
    def energy_by_component_pj(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for l in self.layers:
            for k, v in l.energy_pj.items():
                out[k] = out.get(k, 0.0) + v
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    @property
    def total_energy_pj(self) -> float:
        return float(sum(l.total_energy_pj for l in self.layers))

    @property
    def area_by_component_mm2(self) -> dict[str, float]:
        """Dedicated areas add up over layers; shared units (the digital unit) count once."""
        out: dict[str, float] = {}
        for l in self.layers:
            for k, v in l.area_mm2.items():
                out[k] = max(out.get(k, 0.0), v) if k in SHARED_AREA_COMPONENTS else out.get(k, 0.0) + v
        return out

    @property
    def area_mm2(self) -> float:
        return float(sum(self.area_by_component_mm2.values()))

    @property
    def events(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for l in self.layers:
            for (c, a), n in l.events.items():
                out[f"{c}.{a}"] = out.get(f"{c}.{a}", 0.0) + n
        return out

    def summary(self) -> dict[str, float]:
        return {"energy_pj": self.total_energy_pj, "latency_ns": self.latency_ns, "cycles": self.cycles,
                "area_mm2": self.area_mm2}

    def to_dict(self) -> dict[str, Any]:
        layers = [{
            "name": l.layer, "type": l.layer_type, "target": l.target, "cycles": l.cycles,
            "latency_ns": l.latency_ns, "energy_pj": l.energy_pj, "total_energy_pj": l.total_energy_pj,
            "area_mm2": l.area_mm2, "utilization": l.utilization,
            "events": {f"{c}.{a}": n for (c, a), n in l.events.items()}, "mapping": l.mapping,
            "memory_bytes": l.memory_bytes,
        } for l in self.layers]
        return {"model": self.model, "total": {**self.summary(), "energy_by_component_pj": self.energy_by_component_pj,
                "area_by_component_mm2": self.area_by_component_mm2, "events": self.events},
                "node": self.node, "layers": layers, "hardware": self.hw, **({"extra": self.extra} if self.extra else {})}

    # -- files -------------------------------------------------------------------------------
    def write_json(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        return write_json(path, self.to_dict(), indent=1)

    def write_hdf5(self, path: str | os.PathLike) -> Path:
        import h5py

        path = Path(path)
        with replacing(path) as tmp, h5py.File(tmp, "w") as f:
            f.attrs["model"] = self.model
            f.attrs["report_json"] = json.dumps(self.to_dict(), default=json_default)
            comps = sorted({k for l in self.layers for k in l.energy_pj})
            f.create_dataset("layer_names", data=np.array([l.layer for l in self.layers], dtype=h5py.string_dtype()))
            f.create_dataset("components", data=np.array(comps, dtype=h5py.string_dtype()))
            f.create_dataset("energy_pj", data=np.array([[l.energy_pj.get(c, 0.0) for c in comps] for l in self.layers]))
            f.create_dataset("latency_ns", data=np.array([l.latency_ns for l in self.layers]))
            f.create_dataset("cycles", data=np.array([l.cycles for l in self.layers]))
            f.create_dataset("area_mm2", data=np.array([l.total_area_mm2 for l in self.layers]))
        return path

    # -- console -------------------------------------------------------------------------------
    def print_table(self, console: Any = None) -> None:
        from rich.console import Console
        from rich.table import Table

        console = console or Console()
        t = Table(title=f"{self.model}: per-inference cost")
        for col in ("layer", "type", "target", "cycles", "latency ns", "energy pJ", "top component", "area mm²", "util"):
            t.add_column(col, justify="left" if col in ("layer", "type", "target", "top component") else "right")
        for l in self.layers:
            top = max(l.energy_pj.items(), key=lambda kv: kv[1])[0] if l.energy_pj else "-"
            t.add_row(l.layer, l.layer_type, l.target, f"{l.cycles:,.0f}", f"{l.latency_ns:,.1f}",
                      f"{l.total_energy_pj:,.1f}", top, f"{l.total_area_mm2:.4f}", f"{l.utilization:.2f}")
        t.add_row("total", "", "", f"{self.cycles:,.0f}", f"{self.latency_ns:,.1f}", f"{self.total_energy_pj:,.1f}",
                  "", f"{self.area_mm2:.4f}", "", style="bold")
        console.print(t)
        parts = ", ".join(f"{k} {v:,.1f}" for k, v in self.energy_by_component_pj.items())
        console.print(f"energy by component (pJ): {parts}")
        if self.node:
            console.print(self.node_line())

    def node_line(self) -> str:
        """One line: the report's node and, per technology, the node it was scaled from and how."""
        techs = self.node.get("technologies", {})
        scaled = [f"{n} {r['scaled_from_nm']:g}->{r['node_nm']:g} nm (energy x{r['factors']['energy']:.3g}, "
                  f"delay x{r['factors']['delay']:.3g}, area x{r['factors']['area']:.3g}: {', '.join(r['params'])})"
                  for n, r in techs.items() if "scaled_from_nm" in r]
        native = [n for n, r in techs.items() if "scaled_from_nm" not in r]
        out = f"node: {self.node.get('node_nm', 0):g} nm (Stillmaker & Baas 2017 scaling)"
        if native:
            out += f"; at this node: {', '.join(native)}"
        if scaled:
            out += f"; scaled: {'; '.join(scaled)}"
        return out

    # -- plots -----------------------------------------------------------------------------------
    def plot(self, outdir: str | os.PathLike) -> list[Path]:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        outdir = Path(outdir)
        outdir.mkdir(parents=True, exist_ok=True)
        names = [l.layer for l in self.layers]
        x = np.arange(len(names))
        comps = list(self.energy_by_component_pj)
        fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(names) + 3), 4))
        bottom = np.zeros(len(names))
        for c in comps:
            v = np.array([l.energy_pj.get(c, 0.0) for l in self.layers])
            ax.bar(x, v, bottom=bottom, label=c)
            bottom += v
        ax.set_xticks(x, names, rotation=45, ha="right")
        ax.set_ylabel("energy per inference (pJ)")
        ax.set_title(f"{self.model}: energy breakdown")
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        paths = [save_figure(fig, outdir / "energy_breakdown.png", dpi=110)]
        fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(names) + 3), 4))
        ax.bar(x, [l.latency_ns for l in self.layers], color=["C0" if l.target == "cam" else "C1" if l.target == "digital" else "C2" for l in self.layers])
        ax.set_xticks(x, names, rotation=45, ha="right")
        ax.set_ylabel("latency per inference (ns)")
        ax.set_title(f"{self.model}: per-layer latency (blue cam, orange digital, green other)")
        fig.tight_layout()
        paths.append(save_figure(fig, outdir / "latency_per_layer.png", dpi=110))
        return paths

