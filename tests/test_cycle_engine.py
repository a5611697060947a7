"""The cycle-approximate engine (sim/cycle) and the analytic model checked against it."""

from __future__ import annotations

import subprocess
import sys
from functools import lru_cache

import numpy as np
import pytest

from codesign.errors import CodesignError
from codesign.sim.cycle.config import STALL_CAUSES, CycleConfig
from codesign.sim.cycle.engine import CycleSimulator
from codesign.sim.cycle.kernel import schedule
from codesign.sim.cycle.workload import _window_deps
from codesign.sim.hardware import CROSSBAR_LAYER_TYPES, HardwareConfig, crossbar_hw
from codesign.sim.synthetic import pecan_cnn, vgg8


def _vgg8_hw() -> HardwareConfig:
    from codesign.scenarios.validation.vgg8 import ALL_TILES, NEUROSIM_LIKE, NODE_NM

    hw = crossbar_hw(**{**NEUROSIM_LIKE, "parallel_tiles": ALL_TILES})
    hw.digital.precision = "int8"
    hw.node_nm = NODE_NM
    return hw


@lru_cache(maxsize=None)
def _model(name: str):
    """(spec, hw) of the models the analytic model is checked on (untrained: costs depend on shapes only;
    the digits nets with K = 32, the shapes the runner trains and exports)."""
    if name.startswith("digits-"):
        from codesign.models.export import architecture_spec

        return architecture_spec(name.removeprefix("digits-"), num_prototypes=32), HardwareConfig()  # shipped shapes
    if name == "debut-lenet":
        from codesign.scenarios.sweep_evaluators import _xbar_spec

        return _xbar_spec("all_debut"), crossbar_hw(None, (*CROSSBAR_LAYER_TYPES, "debut_linear", "debut_conv2d"))
    if name == "vgg8":
        return vgg8(), _vgg8_hw()
    mode, dense = {"synthetic-d": ("distance", True), "synthetic-a": ("angle", False)}[name]
    return pecan_cnn(mode, with_dense=dense), HardwareConfig()


MODELS = ["digits-pecan_d", "digits-pecan_a", "debut-lenet", "vgg8", "synthetic-d", "synthetic-a"]


@pytest.mark.parametrize("name", MODELS)
def test_agrees_with_analytic_where_its_assumptions_hold(name):
    spec, hw = _model(name)
    rep = CycleSimulator(spec, hw, CycleConfig()).run()
    ag = rep.agreement()
    assert ag["assumptions_hold"] and ag["broken_assumptions"] == []
    assert ag["latency_agrees"], ag
    assert ag["relative_difference"] <= 0.10
    assert ag["events_equal"]
    assert rep.events() == pytest.approx({k: float(v) for k, v in rep.analytic.events.items()}, rel=0, abs=0)
    # every layer ran, one after another, and every work item completed
    for a, b in zip(rep.layers, rep.layers[1:]):
        assert b.start[0] >= a.finish[0]
    assert all(rep.completed[l.name] == l.items for l in rep.layers)
    assert sum(rep.stalls().values()) == 0.0


def test_pipelining_overlaps_layers_and_is_named():
    spec, hw = _model("vgg8")
    lay = CycleSimulator(spec, hw, CycleConfig()).run()
    pipe = CycleSimulator(spec, hw, CycleConfig(mode="pipelined")).run()
    ag = pipe.agreement()
    assert not ag["assumptions_hold"] and "layer-by-layer" in ag["broken_assumptions"][0]
    assert pipe.latency_cycles < 0.8 * lay.latency_cycles  # layers overlap on line buffers
    assert ag["events_equal"]  # the same work, scheduled differently
    conv1, conv2 = pipe.layers[0], pipe.layers[2]
    assert conv2.start[0] < conv1.finish[0]
    assert pipe.stalls()["dependency"] > 0


def test_batch_duplication_raise_throughput():
    spec, hw = _model("vgg8")
    base = CycleSimulator(spec, hw, CycleConfig(mode="pipelined", batch=3)).run()
    dup = CycleSimulator(spec, hw, CycleConfig(mode="pipelined", batch=3, duplication=4)).run()
    layer = CycleSimulator(spec, hw, CycleConfig(batch=3)).run()
    assert max(l.copies for l in dup.layers) == 4 and min(l.copies for l in dup.layers) == 1
    assert dup.throughput_inf_s > 1.5 * base.throughput_inf_s > 1.5 * layer.throughput_inf_s
    assert layer.throughput_inf_s == pytest.approx(1e9 * layer.clock_ghz / layer.latency_cycles, rel=1e-6)
    # duplicated arrays cost area (and leakage)
    assert sum(dup.area_mm2.values()) > sum(base.area_mm2.values())
    assert all(len(l.finish) == 3 for l in dup.layers)


def test_dram_reload_when_weights_exceed_capacity():
    spec, hw = _model("vgg8")
    full = CycleSimulator(spec, hw, CycleConfig()).run()
    small = CycleSimulator(spec, hw, CycleConfig(onchip_kib=1024)).run()
    reloaded = [l for l in small.layers if not l.resident]
    assert reloaded and small.reload_bytes > 0 and small.reload_energy_pj > 0
    assert small.latency_cycles > full.latency_cycles
    assert small.stalls()["dram_reload"] > 0
    assert small.energy_pj > full.energy_pj + small.reload_energy_pj * 0.99
    assert any("everything resident" in b for b in small.broken_assumptions())
    d = small.to_dict()["dram_reload"]
    assert d["bytes_per_inference"] == small.reload_bytes and d["layers"] == [l.name for l in reloaded]


def test_bandwidth_and_buffer_limits_stall():
    spec, hw = _model("synthetic-d")
    free = CycleSimulator(spec, hw, CycleConfig(mode="pipelined", batch=2)).run()
    tight = CycleSimulator(spec, hw, CycleConfig(mode="pipelined", batch=2, buffer_kib=0.01, link_gb_s=2)).run()
    st = tight.stalls()
    assert st["bandwidth"] > 0 and st["buffer_full"] > 0
    assert tight.latency_cycles > free.latency_cycles
    assert any("bandwidth" in b for b in tight.broken_assumptions())
    assert tight.utilization()["noc_link"] > 0.1
    assert tight.events() == free.events()


def test_residual_graph_pipelines_without_deadlock():
    from codesign.sim.format import LayerSpec, ModelSpec

    rng = np.random.default_rng(0)

    def conv(name, src):
        return LayerSpec(name, "conv2d", [src], {"in_channels": 4, "out_channels": 4, "kernel_size": [3, 3],
                         "stride": [1, 1], "padding": [1, 1], "groups": 1},
                         {"weight": rng.normal(size=(4, 4, 3, 3)).astype(np.float32)})

    layers = [conv("c0", "input"), LayerSpec("r0", "relu", ["c0"]), conv("c1", "r0"), LayerSpec("r1", "relu", ["c1"]),
              conv("c2", "r1"), LayerSpec("add", "add", ["r0", "c2"]), LayerSpec("gap", "global_avgpool", ["add"]),
              LayerSpec("fc", "linear", ["gap"], {"in_features": 4, "out_features": 3},
                        {"weight": rng.normal(size=(3, 4)).astype(np.float32)})]
    spec = ModelSpec("res", (4, 8, 8), 3, layers)
    assert CycleSimulator(spec).run().agreement()["latency_agrees"]
    rep = CycleSimulator(spec, cfg=CycleConfig(mode="pipelined", batch=3, buffer_kib=0.01)).run()
    assert all(rep.completed[l.name] == 3 * l.items for l in rep.layers) and rep.agreement()["events_equal"]
    # every layer shares the one digital unit: pipelining interleaves work but cannot add parallelism
    assert rep.stalls()["resource_busy"] > 0


def test_missing_leakage_parameter_is_one_clear_error(tmp_path):
    import json

    from codesign.cam.technology import technology_file

    raw = json.loads(technology_file("cmos_digital_45nm").read_text())
    del raw["params"]["leakage_mw_per_mm2"]
    path = tmp_path / "mydigital.json"
    path.write_text(json.dumps(raw))
    hw = HardwareConfig()
    hw.digital.technology = str(path)
    with pytest.raises(CodesignError, match="leakage_mw_per_mm2.*no-leakage"):
        CycleSimulator(pecan_cnn("distance"), hw).run()
    assert CycleSimulator(pecan_cnn("distance"), hw, CycleConfig(leakage=False)).run().leakage_energy_pj == 0


def test_window_dependencies_follow_the_receptive_field():
    need, low = _window_deps((1, 4, 5), (1, 4, 5), {"kernel_size": 3, "stride": 1, "padding": 1})
    assert need[0] == 1 * 5 + 1 and low[0] == 0  # output (0,0) reads rows 0-1, cols 0-1
    assert need[6] == 2 * 5 + 2 and low[6] == 0  # output (1,1) reads rows 0-2, cols 0-2
    assert need[-1] == 19 and low[-1] == 2 * 5 + 3
    need, low = _window_deps((1, 4, 4), (1, 2, 2), {"kernel_size": 2, "stride": 2, "padding": 0})
    assert need.tolist() == [5, 7, 13, 15] and low.tolist() == [0, 2, 8, 10]


def test_leakage_is_power_times_runtime():
    spec, hw = _model("synthetic-a")
    on = CycleSimulator(spec, hw, CycleConfig()).run()
    off = CycleSimulator(spec, hw, CycleConfig(leakage=False)).run()
    assert off.leakage_energy_pj == 0 and off.energy_pj == pytest.approx(off.analytic.total_energy_pj)
    runtime_ns = on.makespan_cycles / on.clock_ghz
    assert on.leakage_energy_pj == pytest.approx(sum(on.leakage_mw.values()) * runtime_ns)
    assert on.energy_pj > off.energy_pj
    assert set(on.leakage_mw) == set(on.area_mm2)


def test_numba_kernel_matches_pure_python_loop():
    spec, hw = _model("synthetic-d")
    from codesign.sim.cycle.engine import _arrays

    sim = CycleSimulator(spec, hw, CycleConfig(mode="pipelined", batch=2, buffer_kib=0.05, link_gb_s=4))
    prob = sim.problem()
    args, _ = _arrays(prob["work"], prob["copies"], prob["resident"], sim.cfg, 1.0, 25.6)
    fast = schedule(2, 1, *args)
    slow = schedule.py_func(2, 1, *args)
    for a, b in zip(fast[:5], slow[:5]):
        np.testing.assert_allclose(a, b)
    assert fast[5] == slow[5] > 0


def test_report_outputs(tmp_path):
    spec, hw = _model("synthetic-d")
    rep = CycleSimulator(spec, hw, CycleConfig(mode="pipelined", batch=2)).run()
    png = rep.plot_gantt(tmp_path / "g.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    d = rep.to_dict()
    assert set(d["stall_cycles"]) == set(STALL_CAUSES)
    assert 0 < max(d["utilization"].values()) <= 1.0
    assert d["layers"][0]["start_cycles"][0] == 0.0 and len(d["layers"][0]["finish_cycles"]) == 2
    assert rep.write_json(tmp_path / "c.json").exists()


@pytest.mark.parametrize("kw, field", [({"batch": 0}, "cycle.batch"), ({"mode": "x"}, "cycle.mode"),
                                       ({"duplication": 2}, "cycle.duplication"),
                                       ({"onchip_kib": -1.0}, "cycle.onchip_kib")])
def test_bad_settings_name_the_field(kw, field):
    with pytest.raises(CodesignError, match=field):
        CycleConfig(**kw)


def test_scenario_cycle_section_and_sweep_engine(tmp_path):
    from codesign.scenarios.scenario import ScenarioError, load_scenario
    from codesign.scenarios.sweeping import run_scenario_sweep

    text = """
[scenario]
name = "c"
[model]
network = "synthetic"
[sweep]
evaluator = "cam_pecan"
engine = "{engine}"
[sweep.axes]
"hardware.cam.rows" = [16, 64]
[objectives]
minimize = ["energy_pj", "latency_ns"]
[cycle]
mode = "pipelined"
batch = {batch}
[output]
folder = "{out}"
"""
    bad = tmp_path / "bad.toml"
    bad.write_text(text.format(engine="cycle", batch=0, out=tmp_path / "o"))
    with pytest.raises(ScenarioError, match=r"\[cycle.batch\]"):
        load_scenario(bad)
    res = {}
    for engine in ("analytic", "cycle"):
        path = tmp_path / f"{engine}.toml"
        path.write_text(text.format(engine=engine, batch=2, out=tmp_path / engine))
        scn = load_scenario(path)
        assert scn.cycle.mode == "pipelined" and scn.cycle.batch == 2
        out = run_scenario_sweep(scn, workers=1, progress=False)
        assert out["evaluated"] == 2 and out["failed"] == 0
        import csv

        rows = list(csv.DictReader(open(tmp_path / engine / "results.csv")))
        res[engine] = sorted(float(r["latency_ns"]) for r in rows)
    assert res["cycle"] != res["analytic"]  # pipelined schedule, not the analytic sum


def test_cli_cycle(tmp_path):
    from codesign.sim.format import write_model

    path = write_model(tmp_path / "m.h5", pecan_cnn("distance"))
    cmd = [sys.executable, "-m", "codesign.scenarios", "simulate", str(path), "--cost-only", "--cycle",
           "--mode", "pipelined", "--batch", "2", "--no-progress", "-o", str(tmp_path / "out")]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out" / "cycle.json").exists() and (tmp_path / "out" / "gantt.png").exists()
    r = subprocess.run(cmd[:-2] + ["--mode", "layer", "--duplication", "2", "-o", str(tmp_path / "o2")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "cycle.duplication" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "codesign.scenarios", "simulate", str(path), "--cost-only",
                        "--batch", "4", "-o", str(tmp_path / "o3")], capture_output=True, text=True)
    assert r.returncode == 2 and "--batch" in r.stderr and "add --cycle" in r.stderr
