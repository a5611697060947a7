"""ISAAC-CE (ISCA 2016, corrected) rebuilt from our technology files, at its 32 nm node.

Per crossbar: one 128-row tile of 16-bit weights run through our analytic crossbar cost
(:func:`codesign.cam.crossbar.cost.plan_cost`: DAC drives, cell reads, ADC conversions, sample-and-holds,
shift-and-adds per 16-cycle input vector) with the per-event energies and areas of
``data/tech/reram_1t1r.json``; power = energy per vector / vector time (the peak, every unit busy).
Per IMA: 8 crossbars plus the input and output registers, charged by our SRAM capacity model
(``data/tech/sram_lut.json`` scaled 45 -> 32 nm) at the traffic of one 100 ns cycle. Per tile: 12 IMAs
plus the Table I components we do not model (eDRAM, bus, router share, sigmoid, pooling, tile output
register), taken as inputs. Chip: 168 tiles plus HyperTransport (input). Peak throughput counts ISAAC's
encoding: a 16-bit weight in 8 two-bit cells of one column group (16 weights per 128 columns).
"""

from __future__ import annotations

import numpy as np

from codesign.cam.crossbar.cost import action_energy_pj, plan_cost, tile_area_um2
from codesign.cam.crossbar.params import CrossbarParams, TilePlan, TileSpec
from codesign.cam.memory import SramModel
from codesign.cam.scaling import scale_technology
from codesign.cam.technology import load_technology
from codesign.scenarios.validation.rows import Row, published

GROUP = "ISAAC-CE"


def rebuild(crossbar_tech: str = "reram_1t1r", sram_tech: str = "sram_lut") -> dict[str, float]:
    """Power (mW, W), area (mm²), peak throughput and efficiencies of ISAAC-CE from our files."""
    pub = published()["isaac_ce"]
    d = pub["design"]
    node = d["node_nm"]
    tech = scale_technology(load_technology(crossbar_tech), node)
    sram = SramModel(scale_technology(load_technology(sram_tech), node))
    p = CrossbarParams(rows=d["rows"], cols=d["cols"], cell_bits=d["cell_bits"], weight_bits=d["weight_bits"],
                       input_bits=d["input_bits"], dac_bits=d["dac_bits"], adc_bits=d["adc_bits"],
                       parallel_tiles=1).with_tech(tech)
    # one full crossbar (all rows, all columns) and one input vector = 16 input cycles
    tile = TileSpec(np.arange(p.rows), np.arange(p.outs_per_tile))
    pc = plan_cost(TilePlan(p.rows, p.outs_per_tile, [tile]), p, tech, vectors=1)
    pj = action_energy_pj(tech, p)
    vector_ns = pc.latency_ns
    # the cross-tile merge (xbar_accum) is ISAAC's tile-level shift-and-add, taken as an input below
    xbar_pj: dict[str, float] = {}
    for (c, a), n in pc.events.items():
        if c != "xbar_accum":  # a component may have several actions (cell reads, analog subtraction)
            xbar_pj[c] = xbar_pj.get(c, 0.0) + n * pj[(c, a)]
    xbar_mw = {c: e / vector_ns for c, e in xbar_pj.items()}  # pJ/ns = mW
    cycle_ns = vector_ns / p.cycles(True)
    # registers per 100 ns cycle (ours): the input register feeds 1 bit to every row of the 8 crossbars and
    # is refilled at the same rate; the output register read-modify-writes every crossbar's 16 16-bit sums
    n_x = d["arrays_per_ima"]
    in_words = n_x * p.rows / 64
    weights_per_xbar = p.cols * p.cell_bits // d["weight_bits"]
    out_words = n_x * weights_per_xbar * d["weight_bits"] / 64
    reg_pj = (2 * in_words * sram.read_energy_pj(d["input_register_bytes"])
              + 2 * out_words * sram.read_energy_pj(d["ima_output_register_bytes"]))
    reg_mw = reg_pj / cycle_ns
    reg_mm2 = sram.area_mm2(d["input_register_bytes"]) + sram.area_mm2(d["ima_output_register_bytes"])
    xbar_um2 = tile_area_um2(tech, p)
    ima_mw = n_x * sum(xbar_mw.values()) + reg_mw
    ima_mm2 = n_x * sum(xbar_um2.values()) * 1e-6 + reg_mm2
    comps = pub["inputs"]["tile_components"].values()
    tile_mw = d["imas_per_tile"] * ima_mw + sum(c["power_mw"] for c in comps)
    tile_mm2 = d["imas_per_tile"] * ima_mm2 + sum(c["area_mm2"] for c in comps)
    ht = pub["inputs"]["hypertransport"]
    chip_w = d["tiles"] * tile_mw * 1e-3 + ht["power_w"]
    chip_mm2 = d["tiles"] * tile_mm2 + ht["area_mm2"]
    ops_per_vector = 2 * p.rows * weights_per_xbar  # 2 ops per 16-bit MAC
    xbars = d["tiles"] * d["imas_per_tile"] * n_x
    gops = xbars * ops_per_vector / vector_ns  # ops/ns = GOPs/s
    adc_tile_mw = d["imas_per_tile"] * n_x * xbar_mw["adc"]
    adc_tile_mm2 = d["imas_per_tile"] * n_x * xbar_um2["adc"] * 1e-6
    return {"adc_pj": pj[("adc", "convert")], "vector_ns": vector_ns, "ima_power_mw": ima_mw,
            "ima_area_mm2": ima_mm2, "tile_power_mw": tile_mw, "tile_area_mm2": tile_mm2, "chip_power_w": chip_w,
            "chip_area_mm2": chip_mm2, "adc_power_share": adc_tile_mw / tile_mw, "adc_area_share": adc_tile_mm2 / tile_mm2,
            "peak_gops": gops, "peak_ce_gops_mm2": gops / chip_mm2, "peak_pe_gops_w": gops / chip_w,
            "register_power_mw": reg_mw, "register_area_mm2": reg_mm2}


_LABELS = {
    "ima_power_mw": "IMA power", "ima_area_mm2": "IMA area", "tile_power_mw": "tile power",
    "tile_area_mm2": "tile area", "chip_power_w": "chip power", "chip_area_mm2": "chip area",
    "adc_power_share": "ADC share of tile power", "adc_area_share": "ADC share of tile area",
    "peak_ce_gops_mm2": "peak CE", "peak_pe_gops_w": "peak PE",
}


def rows() -> list[Row]:
    """ISAAC-CE rows, each within 10 %."""
    ours = rebuild()
    pub = published()["isaac_ce"]["published"]
    return [Row(GROUP, label, ours[key], pub[key]["value"], pub[key]["unit"], 0.10) for key, label in _LABELS.items()]
