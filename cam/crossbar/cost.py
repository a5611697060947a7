"""Analytic cost of a :class:`~codesign.cam.crossbar.params.TilePlan`: events, latency, area (no data).

Per input vector and tile with R rows used, O outputs (C = O x slices x 2 columns) and K input cycles:
``dac.convert`` R·K, ``xbar.cell_read`` R·C·K, ``adc.convert`` A·K, ``sample_hold.hold`` A·K,
``shift_add.op`` A·K, and ``xbar_accum.add`` O (merging the tile's partial outputs), where A = C
ADC inputs, or C / 2 when the differential pair is subtracted in analog (``subtract_in_analog``),
which adds ``xbar.subtract`` R·(C/2)·K: the current mirror that subtracts a pair carries the
negative column's current for the read, charged one cell read per row (our assumption, docs/crossbar.md).
So ADC conversions = MACs x cells per weight x input cycles / rows summed per conversion; with
``rows_per_adc`` (partial word-line activation) a tile's A conversions repeat ceil(R / rows_per_adc) times.
A cycle lasts max(crossbar read latency, ceil(A / ADCs per crossbar) x ADC conversion time);
at most ``parallel_tiles`` crossbars run at once. Area: every tile is a resident crossbar with its
DACs, ADC(s), sample-and-holds and one shift-and-add unit (weight-stationary).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from codesign.cam.adc import adc_area_um2, adc_energy_pj
from codesign.cam.crossbar.params import COST_BITS, CrossbarParams, TilePlan

EVENT_KEYS = (("dac", "convert"), ("xbar", "cell_read"), ("xbar", "subtract"), ("adc", "convert"),
              ("sample_hold", "hold"), ("shift_add", "op"), ("xbar_accum", "add"))


@dataclass
class PlanCost:
    events: dict[tuple[str, str], float] = field(default_factory=dict)
    latency_ns: float = 0.0
    area_mm2: dict[str, float] = field(default_factory=dict)
    tiles: int = 0
    utilization: float = 0.0


def action_energy_pj(tech: Any, p: CrossbarParams) -> dict[tuple[str, str], float]:
    """Per-action energies (pJ) from a crossbar technology table at the configured resolutions.

    A drive of m magnitude bits per cycle (``chunk_bits``: the DAC's bits, less the sign bit of a
    bipolar DAC) is charged (2^m - 1) x the 1-bit drive, unipolar or bipolar alike (our assumption,
    docs/crossbar.md).
    """
    adc_bits = p.adc_bits or COST_BITS
    return {
        ("dac", "convert"): tech.get("dac_energy_pj") * (2**p.chunk_bits - 1),
        ("xbar", "cell_read"): tech.get("xbar_read_energy_pj_per_cell"),
        ("xbar", "subtract"): tech.get("xbar_read_energy_pj_per_cell"),
        ("adc", "convert"): adc_energy_pj(tech, adc_bits),
        ("sample_hold", "hold"): tech.get("sample_hold_energy_pj"),
        ("shift_add", "op"): tech.get("shift_add_energy_pj"),
        ("xbar_accum", "add"): tech.get("shift_add_energy_pj"),
    }


def tile_area_um2(tech: Any, p: CrossbarParams) -> dict[str, float]:
    """Area of one crossbar tile with its periphery, by component (µm²)."""
    adc_bits = p.adc_bits or COST_BITS
    return {
        "xbar": p.rows * p.cols * tech.get("cell_area_um2"),
        "dac": p.rows * tech.get("dac_area_um2") * (2**p.chunk_bits - 1),
        "adc": p.adcs_per_xbar(tech) * adc_area_um2(tech, adc_bits),
        "sample_hold": p.adc_inputs() * tech.get("sample_hold_area_um2"),  # one per ADC input
        "shift_add": tech.get("shift_add_area_um2"),
    }


def plan_cost(plan: TilePlan, p: CrossbarParams, tech: Any, vectors: float = 1.0, signed: bool = True) -> PlanCost:
    """Events, latency and area of ``vectors`` input vectors through ``plan`` (one inference)."""
    k = p.cycles(signed)
    S2 = 2 * p.cost_slices
    SA = p.adc_cols_per_slice * p.cost_slices
    ev = dict.fromkeys(EVENT_KEYS, 0.0)
    n_adc = p.adcs_per_xbar(tech)
    t_read = tech.get("xbar_read_latency_ns")
    t_adc = tech.get("adc_latency_ns")
    t_cycle = 0.0
    for t in plan.tiles:
        r, o = t.shape
        # partial word-line activation: each group of rows_per_adc rows is converted on its own
        c, a = o * S2, o * SA * (math.ceil(r / p.rows_per_adc) if p.rows_per_adc else 1)
        ev[("dac", "convert")] += r * k
        ev[("xbar", "cell_read")] += r * c * k
        if p.subtract_in_analog:
            ev[("xbar", "subtract")] += r * (c // 2) * k
        ev[("adc", "convert")] += a * k
        ev[("sample_hold", "hold")] += a * k
        ev[("shift_add", "op")] += a * k
        ev[("xbar_accum", "add")] += o
        t_cycle = max(t_cycle, t_read, math.ceil(a / n_adc) * t_adc)
    ev = {key: v * vectors for key, v in ev.items()}
    rounds = math.ceil(len(plan.tiles) / p.parallel_tiles)
    area = {name: v * len(plan.tiles) * 1e-6 for name, v in tile_area_um2(tech, p).items()}
    return PlanCost(ev, vectors * rounds * k * t_cycle, area, len(plan.tiles), plan.utilization(p))


def energy_pj(cost: PlanCost, tech: Any, p: CrossbarParams) -> dict[str, float]:
    """Energy by component (pJ) of a :class:`PlanCost` (standalone use; the engine does its own)."""
    table = action_energy_pj(tech, p)
    out: dict[str, float] = {}
    for key, n in cost.events.items():
        out[key[0]] = out.get(key[0], 0.0) + n * table[key]
    return out
