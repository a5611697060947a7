"""Engine on synthetic numpy ModelSpecs vs an independent NumPy reference of docs/format.md."""

import json

import numpy as np
import pytest

from codesign.sim.engine import SimulationError, Simulator
from codesign.sim.format import write_model
from codesign.sim.hardware import CamConfig, HardwareConfig
from codesign.sim.synthetic import pecan_cnn


# ---------------------------------------------------------------- reference (docs/format.md, plain numpy)
def _unfold(x, k, s, p):
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + 2 * p[0], w + 2 * p[1]), np.float32)
    xp[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = x
    oh, ow = (h + 2 * p[0] - k[0]) // s[0] + 1, (w + 2 * p[1] - k[1]) // s[1] + 1
    cols = np.empty((n, oh * ow, c * k[0] * k[1]), np.float32)
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]]
            cols[:, i * ow + j] = patch.reshape(n, -1)
    return cols, oh, ow


def _pecan_ref(v, L):
    a, P, lut = L.attrs, L.arrays["prototypes"].astype(np.int64), L.arrays["lut"].astype(np.int64)
    b = a["act_bits"]
    lo, hi = (-(2 ** (b - 1)), 2 ** (b - 1) - 1) if a["act_signed"] else (0, 2**b - 1)
    q = np.clip(np.round(v / np.float32(a["act_scale"])), lo, hi).astype(np.int64)
    D, K, d = P.shape
    acc = np.zeros((len(q), lut.shape[2]), np.int64)
    for j in range(D):
        qj = q[:, j * d:(j + 1) * d]
        if a["mode"] == "distance":
            score = -np.abs(qj[:, None, :] - P[j][None]).sum(-1)
        else:
            norm = np.sqrt((P[j] ** 2).sum(-1).astype(np.float64))
            dot = (qj @ P[j].T).astype(np.float64)
            score = np.where(norm > 0, dot / np.where(norm > 0, norm, 1.0), 0.0)
        acc += lut[j, score.argmax(1)]
    return acc.astype(np.float32) * np.float32(a["lut_scale"]) + L.arrays["bias"]


def reference_forward(spec, x):
    acts = {"input": x.astype(np.float32)}
    for L in spec.layers:
        a, h = L.attrs, acts[L.inputs[0]]
        if L.type == "pecan_conv2d":
            cols, oh, ow = _unfold(h, a["kernel_size"], a["stride"], a["padding"])
            y = _pecan_ref(cols.reshape(-1, cols.shape[-1]), L).reshape(len(h), oh * ow, -1)
            out = y.transpose(0, 2, 1).reshape(len(h), -1, oh, ow)
        elif L.type == "pecan_linear":
            out = _pecan_ref(h, L)
        elif L.type == "conv2d":
            g = a["groups"]
            w = L.arrays["weight"]
            cig, cog = h.shape[1] // g, w.shape[0] // g
            ys = []
            for gi in range(g):
                cols, oh, ow = _unfold(h[:, gi * cig:(gi + 1) * cig], a["kernel_size"], a["stride"], a["padding"])
                ys.append(cols @ w[gi * cog:(gi + 1) * cog].reshape(cog, -1).T)
            out = np.concatenate(ys, 2).transpose(0, 2, 1).reshape(len(h), -1, oh, ow) + L.arrays["bias"][None, :, None, None]
        elif L.type == "batchnorm2d":
            out = h * L.arrays["scale"][None, :, None, None] + L.arrays["shift"][None, :, None, None]
        elif L.type == "relu":
            out = np.maximum(h, 0)
        elif L.type == "maxpool2d":
            n, c, hh, ww = h.shape
            out = h.reshape(n, c, hh // 2, 2, ww // 2, 2).max(axis=(3, 5))
        elif L.type == "flatten":
            out = h.reshape(len(h), -1)
        else:
            raise AssertionError(L.type)
        acts[L.name] = out.astype(np.float32)
    return acts[spec.layers[-1].name]


# ---------------------------------------------------------------- tests
@pytest.mark.parametrize("mode", ["distance", "angle"])
def test_pecan_model_bit_exact_vs_reference(mode):
    spec = pecan_cnn(mode, seed=1, n_golden=24)
    ref = reference_forward(spec, spec.test_inputs)
    res = Simulator(spec).run(spec.test_inputs, batch_size=10, progress=False)
    np.testing.assert_array_equal(res.logits, ref)  # bit-exact: PECAN-only arithmetic
    np.testing.assert_array_equal(res.predictions, ref.argmax(1))


def test_tiny_arrays_force_tiling_same_result():
    spec = pecan_cnn("distance", seed=2, n_golden=12, K=8)
    ref = reference_forward(spec, spec.test_inputs)
    hw = HardwareConfig(cam=CamConfig(rows=3, cols=5, parallel_arrays=2))
    sim = Simulator(spec, hw)
    np.testing.assert_array_equal(sim.run(spec.test_inputs, progress=False).logits, ref)
    fc = sim.cost().layers[-1]
    m = fc.mapping
    assert m["row_tiles"] == 6 and m["col_tiles"] > 1 and m["arrays"] == 8 * 6 * m["col_tiles"]
    assert fc.events[("cam_array", "search")] == m["arrays"]
    assert fc.events[("merge", "add")] > 0 and 0 < fc.utilization < 1


def test_float_layers_and_groups_close_to_reference():
    spec = pecan_cnn("distance", seed=3, n_golden=10, with_dense=True)
    ref = reference_forward(spec, spec.test_inputs)
    out = Simulator(spec).run(spec.test_inputs, progress=False).logits
    # float conv rounding may flip a quantization step; predictions of this tiny random net must agree mostly
    assert np.mean(np.isclose(out, ref, atol=1e-5)) > 0.9


def test_routing_by_mode_and_cam_rejects_angle():
    hw = HardwareConfig()
    assert hw.target_for("pecan_linear", {"mode": "distance"}) == "cam"
    assert hw.target_for("pecan_conv2d", {"mode": "angle"}) == "digital"
    assert hw.target_for("conv2d", {}) == "digital"
    rep_d = Simulator(pecan_cnn("distance")).cost()
    rep_a = Simulator(pecan_cnn("angle")).cost()
    assert {l.target for l in rep_d.layers if l.layer_type.startswith("pecan")} == {"cam"}
    assert {l.target for l in rep_a.layers if l.layer_type.startswith("pecan")} == {"digital"}
    assert ("cam_array", "search") not in rep_a.layers[0].events
    forced = HardwareConfig(targets={"pecan_linear": "cam", "pecan_conv2d": "cam"})
    with pytest.raises(SimulationError, match="cannot run on a CAM"):
        Simulator(pecan_cnn("angle"), forced).cost()


def test_cost_report_consistency_and_scaling():
    spec = pecan_cnn("distance")
    rep = Simulator(spec).cost()
    assert rep.total_energy_pj == pytest.approx(sum(rep.energy_by_component_pj.values()))
    assert rep.latency_ns == pytest.approx(rep.cycles / 1.0)
    conv = rep.layers[0]
    m = conv.mapping
    assert conv.events[("cam_array", "search")] == 64 * m["arrays"]  # 8x8 output positions
    assert conv.events[("lut_sram", "read")] == 64 * 2 * m["lut_words_per_entry"]
    big = Simulator(spec, HardwareConfig(cam=CamConfig(rows=128, cols=128))).cost()
    assert big.layers[0].energy_pj["cam_array"] == pytest.approx(4 * conv.energy_pj["cam_array"])
    tcam = Simulator(spec, HardwareConfig(cam=CamConfig(technology="sram_tcam"))).cost()
    assert tcam.layers[0].mapping["cells_per_value"] == 15  # 4-bit values as thermometer codes
    assert tcam.total_energy_pj > rep.total_energy_pj


def test_evaluate_files_and_plots(tmp_path):
    spec = pecan_cnn("distance", n_golden=8)
    sim = Simulator(spec)
    ref = reference_forward(spec, spec.test_inputs)
    spec.golden_inputs, spec.golden_logits = spec.test_inputs, ref
    spec.golden_predictions, spec.golden_labels = ref.argmax(1).astype(np.int64), spec.test_labels
    path = write_model(tmp_path / "m.h5", spec)
    ev = Simulator(path).evaluate(progress=False)
    assert ev.golden_match == 1.0 and ev.golden_max_abs_diff == 0.0 and ev.n == 8
    rep = ev.report
    j = rep.write_json(tmp_path / "out" / "report.json")
    data = json.loads(j.read_text())
    assert data["total"]["energy_pj"] == pytest.approx(rep.total_energy_pj)
    assert data["extra"]["eval"]["golden_match"] == 1.0
    rep.write_hdf5(tmp_path / "out" / "report.h5")
    pngs = rep.plot(tmp_path / "out")
    assert all(p.exists() and p.stat().st_size > 1000 for p in pngs)
    assert not list((tmp_path / "out").glob("*.tmp"))
    with pytest.raises(SimulationError, match="expected"):
        sim.run(np.zeros((2, 3, 8, 8), np.float32))
