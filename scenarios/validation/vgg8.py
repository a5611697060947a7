"""VGG-8 (CIFAR-10) on analog crossbars with a NeuroSim-like setup: chip area, energy, TOPS/W, TOPS,
latency per image and the ADC's share (``codesign vgg8``; docs/validation.md (VGG-8 section)).

Setup (DNN+NeuroSim V1.3 defaults, /work/shared/reference/validation.md): RRAM 2 bits/cell, 128x128
arrays, 8-bit weights and activations, 1-bit input cycles, 5-bit ADC shared by 8 columns, layer by
layer, 22 nm. Costs come from the crossbar technology file (``reram_1t1r``: ISAAC's 32 nm periphery and
arrays) scaled to 20 nm (:data:`NODE_NM`: Stillmaker & Baas have no 22 nm row; docs/simulator.md says which
parameters scale). Conv/linear layers run on the crossbars;
ReLU, max-pool and flatten on the digital unit. Every tile of a layer reads at once (all resident).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

#: NeuroSim-like crossbar settings (CrossbarParams fields)
NEUROSIM_LIKE = {"technology": "reram_1t1r", "rows": 128, "cols": 128, "cell_bits": 2, "weight_bits": 8,
                 "input_bits": 8, "dac_bits": 1, "adc_bits": 5, "cols_per_adc": 8}
#: process node of the report (NeuroSim's 22 nm is not in the scaling table; 20 nm is the nearest row)
NODE_NM = 20
#: crossbars reading at once: every tile of the largest layer (weight-stationary, one layer at a time)
ALL_TILES = 1 << 20
#: components of the crossbar periphery counted as "ADC"
ADC_COMPONENTS = ("adc",)


@dataclass
class Vgg8Result:
    macs: int
    ops: int                 # 2 per MAC
    tiles: int
    area_mm2: float
    energy_uj: float         # per image
    latency_us: float        # per image
    tops: float
    tops_per_w: float
    adc_area_share: float
    adc_energy_share: float
    adc_conversions: float
    energy_by_component_uj: dict[str, float]
    area_by_component_mm2: dict[str, float]
    setup: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def count_macs(spec: Any) -> int:
    """Multiply-accumulates per image of the conv2d/linear layers of ``spec``."""
    shapes = spec.shapes()
    total = 0
    for layer in spec.layers:
        a = layer.attrs
        if layer.type == "conv2d":
            co, oh, ow = shapes[layer.name]
            kh, kw = a["kernel_size"]
            total += co * oh * ow * int(a["in_channels"]) // int(a["groups"]) * kh * kw
        elif layer.type == "linear":
            total += int(a["in_features"]) * int(a["out_features"])
    return total


def run_vgg8(seed: int = 0, **overrides: Any) -> Vgg8Result:
    """Cost one VGG-8 image on the NeuroSim-like crossbars (``overrides`` replace CrossbarParams fields)."""
    from codesign.sim.engine import Simulator
    from codesign.sim.hardware import crossbar_hw
    from codesign.sim.synthetic import vgg8

    spec = vgg8(seed)
    setup = {**NEUROSIM_LIKE, "parallel_tiles": ALL_TILES, **overrides}
    hw = crossbar_hw(**setup)
    hw.digital.precision = "int8"
    hw.node_nm = NODE_NM
    rep = Simulator(spec, hw=hw).cost()
    macs = count_macs(spec)
    energy = rep.total_energy_pj
    area = rep.area_by_component_mm2
    e_comp = rep.energy_by_component_pj
    sec = rep.latency_ns * 1e-9
    return Vgg8Result(
        macs=macs, ops=2 * macs, tiles=int(sum(l.mapping.get("tiles", 0) for l in rep.layers)),
        area_mm2=rep.area_mm2, energy_uj=energy * 1e-6, latency_us=rep.latency_ns * 1e-3,
        tops=2 * macs / sec * 1e-12, tops_per_w=2 * macs / (energy * 1e-12) * 1e-12,
        adc_area_share=sum(area.get(c, 0.0) for c in ADC_COMPONENTS) / rep.area_mm2,
        adc_energy_share=sum(e_comp.get(c, 0.0) for c in ADC_COMPONENTS) / energy,
        adc_conversions=rep.events.get("adc.convert", 0.0),
        energy_by_component_uj={k: v * 1e-6 for k, v in e_comp.items()},
        area_by_component_mm2=dict(sorted(area.items(), key=lambda kv: -kv[1])),
        setup={k: v for k, v in setup.items() if k != "parallel_tiles"} | {"node": f"{NODE_NM} nm (reram_1t1r scaled from 32 nm)"},
    )


def markdown(r: Vgg8Result) -> str:
    """The table of docs/validation.md (VGG-8 section)."""
    rows = [("MACs per image", f"{r.macs:,} ({r.ops / 1e9:.2f} G ops)"),
            ("crossbar tiles (128x128)", f"{r.tiles:,}"),
            ("chip area (mm²)", f"{r.area_mm2:.2f}"),
            ("energy per image (µJ)", f"{r.energy_uj:.1f}"),
            ("latency per image (µs)", f"{r.latency_us:,.0f}"),
            ("TOPS", f"{r.tops:.3f}"),
            ("TOPS/W", f"{r.tops_per_w:.2f}"),
            ("ADC conversions per image", f"{r.adc_conversions:,.0f}"),
            ("ADC share of area", f"{100 * r.adc_area_share:.1f} %"),
            ("ADC share of energy", f"{100 * r.adc_energy_share:.1f} %")]
    lines = ["| quantity | model |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]
    lines += ["", "Energy by component (µJ per image): " + ", ".join(
        f"{k} {v:.2f}" for k, v in r.energy_by_component_uj.items()),
        "", "Area by component (mm²): " + ", ".join(f"{k} {v:.3f}" for k, v in r.area_by_component_mm2.items())]
    return "\n".join(lines) + "\n"
