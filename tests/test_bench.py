"""Benchmark suite: the quick workloads give the same answers as their references (timings are NOT checked)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest

from codesign.bench.scaling import exponent, measure
from codesign.bench.suite import WORKLOADS, run_suite
from codesign.bench.torch_ref import RebuildError, check_golden, torch_from_spec, torch_logits
from codesign.sim.engine import Simulator
from codesign.sim.synthetic import pecan_cnn


def _answers_ok(r: dict) -> bool:
    """A row's answer check: its same-answers flag, the ideal crossbar's error, optics within 0.2 dB of GNPy."""
    if "same_answers" in r:
        return bool(r["same_answers"])
    if "rel_rms_error" in r and "ideal" in str(r.get("workload")):
        return r["rel_rms_error"] < 1e-9
    if "max_abs_err_db" in r:  # optics vs GNPy: within 0.2 dB
        return r["max_abs_err_db"] <= 0.2
    return "error" not in r


def _quick_rows(name: str) -> list[dict]:
    if importlib.util.find_spec(WORKLOADS[name]) is None:
        pytest.skip(f"workload module {WORKLOADS[name]} not written yet")
    rows = run_suite([name], quick=True, progress=False)["rows"]
    assert rows and all("error" not in r for r in rows), rows
    return rows


@pytest.mark.parametrize("name", ["cam", "crossbar"])
def test_quick_workload_answers_match_reference(name):
    rows = _quick_rows(name)
    assert all(_answers_ok(r) for r in rows), rows
    assert all(r["ours"] > 0 and r["reference"] > 0 and r["peak_mib"] > 0 for r in rows)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["network", "debut", "optics"])
def test_quick_workload_answers_match_reference_slow(name):
    """Slow: trains/loads the digits models (network), GNPy (optics), or another engineer's workload."""
    rows = _quick_rows(name)
    assert all(_answers_ok(r) for r in rows), rows
    if name == "network":  # PECAN-A, PECAN-D and DeBut, each at batch 256 and batch 1
        assert sum("debut" in r["workload"] for r in rows) == 2 and len(rows) == 6, rows


def test_network_workload_debut_answers():
    """Workload 3 on the all-DeBut digits model (trained in ~5 s or cached): same predictions as PyTorch."""
    from codesign.bench.engine_vs_torch import compare

    rows = compare("debut", quick=True)
    assert [r["workload"].split(", ")[1] for r in rows] == ["batch 256", "batch 1"]
    for r in rows:
        assert r["same_answers"] and r["golden_check"], r
        assert r["golden_max_abs_diff"] < 1e-5 and r["max_abs_logit_diff"] < 1e-3, r
        assert r["ours"] > 0 and r["reference"] > 0 and r["energy_pj_per_inference"] > 0


def _debut_spec():
    import torch
    from torch import nn

    from codesign.models.debut.layers import DeButConv2d, DeButLinear
    from codesign.models.debut.chain import generate_chain
    from codesign.models.export import model_spec

    torch.manual_seed(0)
    model = nn.Sequential(
        DeButConv2d(2, 6, 3, generate_chain(6, 18, mode="any"), padding=1, seed=1), nn.ReLU(), nn.MaxPool2d(2),
        DeButConv2d(6, 8, 3, generate_chain(8, 54, mode="any"), stride=2, padding=1, bias=False, seed=2),
        nn.Flatten(), DeButLinear(32, 5, [[16, 32, 1, 2, 1], [8, 16, 2, 4, 1]], seed=3))  # cropped: 8 -> 5 outputs
    x = torch.randn(40, 2, 8, 8)
    return model_spec(model, golden_inputs=x, name="debut_bench")


def test_rebuilt_debut_module_reproduces_golden_and_simulator():
    """DeBut layers rebuilt from the file are the exported module; the simulator predicts what it does."""
    spec = _debut_spec()
    model = torch_from_spec(spec)
    same, diff = check_golden(model, spec)
    assert same and diff <= 1e-6
    ref = torch_logits(model, spec.golden_inputs, batch_size=7)
    for bs in (1, 16):
        res = Simulator(spec).run(spec.golden_inputs, batch_size=bs, progress=False)
        assert np.array_equal(res.predictions, ref.argmax(1))
        assert np.allclose(res.logits, ref, atol=1e-5, rtol=1e-5)


def test_rebuild_debut_rejects_other_chain_order():
    spec = _debut_spec()
    spec.layers[0].attrs["chain_order"] = "output_first"
    with pytest.raises(RebuildError, match="chain_order"):
        torch_from_spec(spec)


def test_get_model_debut_trains_once_then_reuses_cache(monkeypatch, tmp_path):
    from codesign.scenarios import runner

    monkeypatch.setenv("CODESIGN_CACHE_DIR", str(tmp_path))
    settings = runner.train_settings({"seed": 0, "epochs": 2, "golden_size": 16})
    logs = []
    path, meta = runner.get_model("debut", settings, progress=False, log=logs.append)
    assert path.parent == tmp_path / "models" and path.name.startswith("debut-") and "trained" in logs[-1]
    assert meta["variant"] == "debut" and meta["epochs"] == 2 and 0 <= meta["test_accuracy"] <= 1
    again, meta2 = runner.get_model("debut", settings, progress=False, log=logs.append)
    assert again == path and "reusing" in logs[-1] and meta2 == meta
    other, _ = runner.get_model("debut", {**settings, "seed": 1}, progress=False, log=logs.append)
    assert other != path
    ev = Simulator(path).evaluate(which="golden", progress=False)
    assert ev.n == 16 and ev.golden_match == 1.0


@pytest.mark.parametrize("mode", ["distance", "angle"])
def test_rebuilt_torch_module_equals_simulator(mode):
    """The PyTorch reference of workload 3, rebuilt from a model file, computes what the simulator does."""
    spec = pecan_cnn(mode=mode, seed=3)
    x = np.random.default_rng(1).normal(size=(40, *spec.input_shape)).astype(np.float32)
    ref = torch_logits(torch_from_spec(spec), x, batch_size=7)
    res = Simulator(spec).run(x, batch_size=16, progress=False)
    assert np.array_equal(res.predictions, ref.argmax(1))
    assert np.array_equal(res.logits, ref)  # PECAN arithmetic is bit-exact in both


def test_rebuild_rejects_non_chain():
    spec = pecan_cnn(mode="distance", with_dense=True)
    spec.layers[1].inputs = ["input"]  # batchnorm reading the model input: not a chain
    with pytest.raises(RebuildError, match="only chains"):
        torch_from_spec(spec)


def test_exponent_fit_and_measure():
    sizes = [2, 4, 8, 16]
    assert exponent(sizes, [3.0 * s**1.5 for s in sizes]) == pytest.approx(1.5)
    r = measure("toy", "n", [1000, 4000, 16000], lambda n: (lambda: np.sort(np.arange(n)[::-1])), budget_s=5)
    assert r["sizes"] == [1000, 4000, 16000] and len(r["times_s"]) == 3 and np.isfinite(r["exponent"])


def test_cli_bench_writes_json(tmp_path):
    out = tmp_path / "b.json"
    proc = subprocess.run([sys.executable, "-m", "codesign.scenarios", "bench", "--quick", "sweep", "-o", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "| workload |" in proc.stdout
    data = json.loads(out.read_text())
    assert data["quick"] is True and data["rows"] and all(_answers_ok(r) for r in data["rows"])


def test_unknown_workload_is_user_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "codesign.scenarios", "bench", "nope", "-o", str(tmp_path / "x.json")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "unknown benchmark" in (proc.stderr + proc.stdout)


@pytest.mark.parametrize("parallel_min", [1, 1 << 40])  # parallel and serial paths
@pytest.mark.parametrize("angle", [False, True])
def test_fused_pecan_kernels_equal_search_then_lut(monkeypatch, parallel_min, angle):
    """The fused kernels the engine uses (speed-up for workload 3) give the reference winners and sums."""
    from codesign.sim.executors import pecan_kernels as fused
    from codesign.sim.executors import pecan_kernels as K
    from codesign.sim.ops import im2col

    monkeypatch.setattr(fused, "PARALLEL_MIN_OPS", parallel_min)
    rng = np.random.default_rng(5)
    D, Kp, d, out = 3, 9, 4, 5
    protos = rng.integers(-4, 4, size=(D, Kp, d)).astype(np.int32)  # few levels: many ties
    protos[1, 3] = 0  # zero prototype (angle mode scores it 0)
    lut = rng.integers(-128, 128, size=(D, Kp, out)).astype(np.int32)
    Q = rng.integers(-4, 4, size=(300, D * d)).astype(np.int32)
    search = (lambda q: K.pecan_dot_search(q, protos)) if angle else (lambda q: K.pecan_l1_search(q, protos, 4, 3))
    tables = fused.PecanTables(protos, lut, angle)
    assert np.array_equal(tables.vectors(Q), K.lut_accumulate(search(Q), lut))
    # conv: 3 input channels of 2x2 patches = D*d = 12, stride 2 / padding 1 on 5x6 maps
    x = rng.integers(-4, 4, size=(7, 3, 5, 6)).astype(np.int32)
    cols = im2col(x, (2, 2), (2, 1), (1, 1))  # N, P, 12
    n, p, w = cols.shape
    ref = K.lut_accumulate(search(np.ascontiguousarray(cols.reshape(n * p, w))), lut).reshape(n, p, out)
    got = tables.conv(x, (2, 2), (2, 1), (1, 1), (3, 7))
    assert np.array_equal(got, ref.transpose(0, 2, 1))
