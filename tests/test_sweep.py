"""Design-space sweeps: Pareto vs brute force, resume after a kill, serial == Dask, bad scenarios."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from codesign.scenarios.scenario import ScenarioError, load_scenario
from codesign.scenarios.sweeping import run_scenario_sweep, scenario_points
from codesign.sim.sweep.pareto import pareto_front, pareto_mask
from codesign.sim.sweep import ResultStore

SCENARIO = """
[scenario]
name = "t"
[model]
network = "synthetic"
[sweep]
evaluator = "cam_pecan"
mode = "{mode}"
samples = {samples}
chunk_size = {chunk}
[sweep.axes]
"hardware.cam.technology" = ["fefet_mcam", "sram_tcam"]
"hardware.cam.rows" = {rows}
"hardware.cam.parallel_arrays" = [1, 2, 4, 8, 16]
"model.num_prototypes" = [4, 8, 16]
[objectives]
minimize = ["energy_pj", "latency_ns", "area_mm2"]
[constraints]
area_mm2 = {{ max = 50.0 }}
[output]
folder = "{out}"
"""


def _scenario(tmp_path: Path, name: str = "s.toml", mode: str = "grid", samples: int = 1, chunk: int = 16,
              rows: str = "[16, 32, 64, 128]") -> Path:
    path = tmp_path / name
    path.write_text(SCENARIO.format(mode=mode, samples=samples, chunk=chunk, rows=rows, out=tmp_path / "out"))
    return path


def _brute(values: np.ndarray, maximize: list[bool]) -> np.ndarray:
    w = np.where(maximize, -values, values)
    n = len(w)
    return np.array([not any(np.all(w[j] <= w[i]) and np.any(w[j] < w[i]) for j in range(n)) for i in range(n)])


@pytest.mark.parametrize("n_obj", [2, 3])
def test_pareto_matches_brute_force(n_obj):
    rng = np.random.default_rng(n_obj)
    for _ in range(100):
        v = rng.integers(0, 6, (rng.integers(1, 60), n_obj)).astype(float)
        mx = [bool(b) for b in rng.integers(0, 2, n_obj)]
        assert np.array_equal(pareto_mask(v, mx), _brute(v, mx))
    v = np.array([[1.0, 5.0], [2.0, 2.0], [5.0, 1.0], [3.0, 3.0], [np.nan, 0.0]])
    assert pareto_front(v).tolist() == [0, 1, 2]


def _by_key(rows):
    return {r["key"]: {k: v for k, v in r.items() if k != "eval_s"} for r in rows}


def test_serial_equals_dask_and_outputs(tmp_path):
    scn = load_scenario(_scenario(tmp_path))
    serial = run_scenario_sweep(scn, out=tmp_path / "serial", workers=1, progress=False)
    assert serial["evaluated"] == 120 and serial["failed"] == 0
    dask = run_scenario_sweep(scn, out=tmp_path / "dask", dask_workers=2, progress=False)
    a = _by_key(ResultStore(tmp_path / "serial").records())
    b = _by_key(ResultStore(tmp_path / "dask").records())
    assert a == b and len(a) == 120
    for name in ("results.csv", "results.h5", "pareto.csv", "summary.txt", "sensitivity.png",
                 "pareto_energy_pj_vs_latency_ns.png"):
        assert (tmp_path / "serial" / name).exists(), name
    assert dask["front_size"] == serial["front_size"] >= 1
    # the front written to disk is exactly the brute-force front of the feasible points
    rows = [r for r in a.values() if r["area_mm2"] <= 50.0]
    vals = np.array([[r["energy_pj"], r["latency_ns"], r["area_mm2"]] for r in rows])
    assert _brute(vals, [False] * 3).sum() == serial["front_size"]


def test_resume_after_kill_loses_nothing_and_repeats_nothing(tmp_path):
    path = _scenario(tmp_path, chunk=1, rows="[8, 16, 24, 32, 48, 64, 96, 128, 192, 256]")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "codesign.scenarios", "sweep", str(path), "--processes", "1", "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    parts = out / "parts"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(parts.glob("part-*.h5"))) < 15:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {p.name: p.read_bytes() for p in parts.glob("part-*.h5")}
    assert 15 <= len(before) < 300, "the sweep should have been killed mid-way"
    scn = load_scenario(path)
    with pytest.raises(ScenarioError.__mro__[1]):  # an existing store needs --resume
        run_scenario_sweep(scn, workers=1, progress=False)
    res = run_scenario_sweep(scn, resume=True, workers=1, progress=False)
    keys = [r["key"] for r in ResultStore(out).records()]
    assert len(keys) == len(set(keys)) == 300  # nothing lost, nothing computed twice
    assert res["skipped"] == len(before) and res["evaluated"] == 300 - len(before)
    for name, blob in before.items():  # finished parts untouched
        assert (parts / name).read_bytes() == blob
    assert not list(out.rglob("*.tmp"))


def test_random_sampling_is_seeded(tmp_path):
    scn = load_scenario(_scenario(tmp_path, mode="random", samples=25))
    a, b = scenario_points(scn), scenario_points(scn)
    assert a == b and len(a) == 25 and len({tuple(sorted(p.items())) for p in a}) == 25


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("[scenario]\nname='x'\n[bogus]\n", "[bogus]: unknown section"),
        ("[model]\nvariant='pecan_d'\n", "[scenario]: missing field 'name'"),
        ("[scenario]\nname='x'\n[model]\nnum_prototypes='many'\n", "[model.num_prototypes]: 'many' should be of type int"),
        ("[scenario]\nname='x'\n[hardware.cam]\nrows=-4\n", "[hardware.cam.rows]: -4 must be > 0"),
        ("[scenario]\nname='x'\n[hardware.cam]\nrowz=4\n", "[hardware.cam.rowz]: unknown field"),
        ("[scenario]\nname='x'\n[hardware.crossbar]\nrows=0\n", "[hardware.crossbar]: crossbar parameter rows=0"),
        ("[scenario]\nname='x'\n[sweep]\nevaluator='xbar_network'\n[sweep.axes]\n'hardware.crossbar.adc_bits'=[8, 1]\n",
         "[sweep.axes.hardware.crossbar.adc_bits]: crossbar parameter adc_bits=1"),
        ("[scenario]\nname='x'\n[sweep]\nevaluator='cam_pecan'\n[sweep.axes]\n'hardware.cam.rows'=[]\n",
         "[sweep.axes.hardware.cam.rows]: expected a non-empty list"),
        ("[scenario]\nname='x'\n[sweep]\nevaluator='cam_pecan'\n[sweep.axes]\n'cam.rows'=[1]\n",
         "knob must start with"),
        ("[scenario]\nname='x'\n[sweep]\nevaluator='cam_pecan'\n[sweep.axes]\n'hardware.cam.rows'=[64]\n"
         "[objectives]\nminimize=['joy', 'energy_pj']\n", "unknown metric 'joy'"),
        ("[scenario]\nname='x'\n[sweep]\nevaluator='cam_pecan'\nmode='sobol'\n[sweep.axes]\n'hardware.cam.rows'=[64]\n",
         "[sweep.mode]: 'sobol'"),
        ("[scenario\nname='x'\n", "not valid TOML"),
    ],
)
def test_bad_scenarios_name_file_and_field(tmp_path, text, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert fragment in str(err.value) and str(path) in str(err.value)


def test_missing_scenario_file_lists_shipped_ones(tmp_path):
    with pytest.raises(FileNotFoundError, match="shipped scenarios: .*default, .*sweep_cam"):
        load_scenario(tmp_path / "nope.toml")


def test_shipped_scenarios_by_name():
    from codesign.scenarios.shipped import shipped_scenarios

    names = shipped_scenarios()
    assert {"default", "sweep_cam", "sweep_crossbar", "optics_default", "sweep_optics"} <= set(names)
    assert load_scenario("sweep_cam").path == names["sweep_cam"]
    assert load_scenario("sweep_cam.toml").sweep is not None


def test_unknown_evaluator_is_a_clear_error(tmp_path):
    path = _scenario(tmp_path)
    path.write_text(path.read_text().replace('"cam_pecan"', '"telepathy"'))
    with pytest.raises(ScenarioError, match="unknown evaluator 'telepathy'"):
        run_scenario_sweep(load_scenario(path), workers=1, progress=False)


def test_functional_accuracy_is_cached_by_content(tmp_path, monkeypatch):
    from codesign.scenarios import sweep_evaluators as evaluators
    from codesign.sim.engine import Simulator
    from codesign.sim.format import write_model
    from codesign.sim.hardware import HardwareConfig
    from codesign.sim.synthetic import pecan_cnn

    monkeypatch.setenv("CODESIGN_CACHE_DIR", str(tmp_path / "cache"))
    path = write_model(tmp_path / "m.h5", pecan_cnn(n_golden=24))
    first = evaluators.functional_accuracy(str(path), None)
    calls = []
    monkeypatch.setattr(Simulator, "evaluate", lambda *a, **k: calls.append(1))
    assert evaluators.functional_accuracy(str(path), None) == first and not calls  # served from the cache
    with pytest.raises(AttributeError):  # other hardware -> another key -> recomputed (our stub returns None)
        evaluators.functional_accuracy(str(path), HardwareConfig())
    assert calls == [1]


def test_auto_workers_keep_cheap_sweeps_in_process(tmp_path, monkeypatch):
    from codesign.sim.sweep import runner

    scn = load_scenario(_scenario(tmp_path, chunk=8))
    res = run_scenario_sweep(scn, out=tmp_path / "auto", progress=False)  # workers=None: auto
    assert res["mode"] == "serial" and res["evaluated"] == 120
    monkeypatch.setattr(runner, "POOL_MIN_SERIAL_S", 0.0)  # any remaining work -> pool
    res = run_scenario_sweep(scn, out=tmp_path / "pool", progress=False)
    assert res["mode"].startswith("pool") and res["evaluated"] == 120
    a = _by_key(ResultStore(tmp_path / "auto").records())
    assert a == _by_key(ResultStore(tmp_path / "pool").records())
