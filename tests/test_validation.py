"""``codesign validate``: every bounded row stays within its bound; the memory model, node scaling and
the report's node section behave as documented."""

import json
import math

import pytest

from codesign.cam.memory import DramModel, SramModel
from codesign.cam.scaling import node_factors, scale_technology
from codesign.cam.technology import TechnologyError, load_technology
from codesign.scenarios.validation import all_rows
from codesign.scenarios.validation.rows import Row


def test_every_bounded_row_is_within_its_bound():
    rows = all_rows()
    failed = [(r.group, r.quantity, f"{r.rel_error:+.1%}", r.bound) for r in rows if not r.ok]
    assert not failed, failed
    groups = {r.group for r in rows}
    assert {"ISAAC-CE", "Horowitz SRAM 45 nm", "Eva-CAM 2FeFET TCAM 64x64"} <= groups
    assert sum(g.startswith("CAMASim") for g in groups) == 7
    isaac = {r.quantity: r for r in rows if r.group == "ISAAC-CE"}
    for q in ("tile power", "tile area", "chip power", "chip area", "peak CE", "peak PE"):
        assert isaac[q].bound == 0.10 and abs(isaac[q].rel_error) <= 0.10
    assert all(r.note for r in rows if r.bound is None)  # every unchecked row says why


def test_row_leaving_its_bound_fails():
    assert not Row("g", "q", 1.2, 1.0, "pJ", 0.10).ok
    assert Row("g", "q", 1.05, 1.0, "pJ", 0.10).ok and Row("g", "q", 9.0, 1.0, "pJ", None).ok


def test_isaac_adc_energy_at_the_conversion_rate():
    from codesign.scenarios.validation.isaac import rebuild

    r = rebuild()
    assert r["adc_pj"] == pytest.approx(2.0 * 100 / 128)  # 2 mW x 100 ns / 128 conversions
    assert r["vector_ns"] == pytest.approx(16 * 100)      # 16 input bits x 100 ns


def test_cli_validate_exit_status(tmp_path, capsys):
    from codesign.scenarios.cli import main

    assert main(["validate", "--json", str(tmp_path / "v.json")]) == 0
    out = capsys.readouterr().out
    assert "| ISAAC-CE | peak PE |" in out and "bounded rows pass" in out
    assert len(json.loads((tmp_path / "v.json").read_text())) == len(all_rows())


def test_sram_capacity_model():
    s = SramModel(load_technology("sram_lut"))
    e = [s.read_energy_pj(kib * 1024) for kib in (1, 8, 64, 1024)]
    assert e == sorted(e) and e[-1] / e[1] == pytest.approx(10.0, rel=0.1)
    assert s.read_energy_pj(8192, 32) == pytest.approx(s.read_energy_pj(8192) / 2)
    assert s.write_energy_pj(8192) == pytest.approx(s.read_energy_pj(8192))
    assert s.area_mm2(2 * 65536) > 1.8 * s.area_mm2(65536)
    with pytest.raises(ValueError, match="capacity"):
        s.read_energy_pj(0)
    d = DramModel(load_technology("dram_ddr4"))
    assert d.access_energy_pj() == pytest.approx(1950.0) and d.transfer_ns(25.6) == pytest.approx(1.0)


def test_node_scaling_rule():
    t = load_technology("reram_1t1r")  # 32 nm
    s = scale_technology(t, 45)
    f = node_factors(45, 32)
    assert s.node_nm == 45 and s.scaled_from_nm == 32
    assert s.get("adc_energy_pj_8b") == pytest.approx(t.get("adc_energy_pj_8b") / f.energy)
    assert s.get("adc_area_um2_8b") == pytest.approx(t.get("adc_area_um2_8b") / f.area)
    assert s.get("xbar_read_latency_ns") == t.get("xbar_read_latency_ns")  # scaling "none"
    assert "xbar_read_latency_ns" not in s.scaled_params and "dac_energy_pj" in s.scaled_params
    assert scale_technology(t, 32) is t
    assert math.isclose(node_factors(45, 20).energy, 0.233)
    with pytest.raises(TechnologyError, match="node_nm.*not covered"):
        scale_technology(t, 7)


def test_report_states_node_and_lut_energy_follows_lut_size(tmp_path):
    from codesign.sim.engine import Simulator
    from codesign.sim.hardware import HardwareConfig
    from codesign.sim.synthetic import pecan_cnn

    spec = pecan_cnn()
    rep45 = Simulator(spec).cost()
    rep32 = Simulator(spec, HardwareConfig(node_nm=32)).cost()
    assert rep45.node["node_nm"] == 45 and "scaled_from_nm" not in rep45.node["technologies"]["fefet_mcam"]
    rec = rep32.node["technologies"]["fefet_mcam"]
    assert rec["scaled_from_nm"] == 45 and "search_energy_pj" in rec["params"]
    assert rep32.total_energy_pj < rep45.total_energy_pj
    line = rep32.node_line()
    assert "node: 32 nm" in line and "fefet_mcam 45->32 nm" in line and "search_energy_pj" in line
    data = json.loads(rep32.write_json(tmp_path / "r.json").read_text())
    assert data["node"]["node_nm"] == 32
    # each layer's LUT reads are charged at its own LUT's capacity
    per_read = {l.layer: l.energy_pj["lut_sram"] / l.events[("lut_sram", "read")] for l in rep45.layers
                if ("lut_sram", "read") in l.events}
    sizes = {l.layer: l.memory_bytes["lut_sram"] for l in rep45.layers if "lut_sram" in l.memory_bytes}
    sram = SramModel(load_technology("sram_lut"))
    for name, pj in per_read.items():
        assert pj == pytest.approx(sram.read_energy_pj(sizes[name]))
