"""Digital precision (int8 / fp32), fixed-point scales, and event counts checked against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from codesign.scenarios.runner import split_variant
from codesign.scenarios.scenario import ScenarioError, parse_scenario
from codesign.sim.engine import Simulator
from codesign.sim.fixed_point import quantize_activations, quantize_weights, scale_output
from codesign.sim.format import LayerSpec, ModelSpec
from codesign.sim.hardware import DigitalConfig, HardwareConfig, HardwareError
from codesign.sim.synthetic import pecan_cnn

#: Horowitz, ISSCC 2014, 45 nm energy table (pJ): the published figures the digital costs must equal
HOROWITZ = {"int8_mult": 0.2, "int8_add": 0.03, "int32_add": 0.1, "int32_mult": 3.1, "fp32_mult": 3.7, "fp32_add": 0.9}

def _linear_spec(w: np.ndarray, b: np.ndarray | None = None) -> ModelSpec:
    arrays = {"weight": w.astype(np.float32)} | ({} if b is None else {"bias": b.astype(np.float32)})
    layer = LayerSpec("fc", "linear", ["input"], {"in_features": w.shape[1], "out_features": w.shape[0]}, arrays)
    return ModelSpec("lin", (w.shape[1],), w.shape[0], [layer])

def _conv_spec() -> ModelSpec:
    rng = np.random.default_rng(0)
    layer = LayerSpec("conv", "conv2d", ["input"], {
        "in_channels": 2, "out_channels": 3, "kernel_size": [3, 3], "stride": [1, 1], "padding": [1, 1], "groups": 1},
        {"weight": rng.normal(size=(3, 2, 3, 3)).astype(np.float32), "bias": np.zeros(3, np.float32)})
    return ModelSpec("conv", (2, 4, 4), 48, [layer, LayerSpec("flat", "flatten", ["conv"])])

def _hw(precision: str = "fp32", scales: str = "float") -> HardwareConfig:
    return HardwareConfig(digital=DigitalConfig(precision=precision, scales=scales))

def test_linear_counts_fp32_vs_int8():
    rep32 = Simulator(_linear_spec(np.ones((4, 16)), np.zeros(4)), hw=_hw("fp32")).cost().layers[0]
    rep8 = Simulator(_linear_spec(np.ones((4, 16)), np.zeros(4)), hw=_hw("int8")).cost().layers[0]
    # 16 inputs x 4 outputs = 64 MACs; 4 bias adds
    assert rep32.events[("mac", "fp32")] == 64 and rep32.events[("alu", "fp32_add")] == 4
    assert rep8.events[("mac", "int8")] == 64 and ("mac", "fp32") not in rep8.events
    # each of the 16 inputs: one max-magnitude compare, one scale, one clip; each of 4 outputs one rescale + bias
    for act in ("range", "scale", "clip"):
        assert rep8.events[("quantizer", act)] == 16
    assert rep8.events[("scaler", "mult")] == 4 and rep8.events[("scaler", "add")] == 4
    # buffer: 16 input words + weights (64 fp32 words, or 64 int8 codes = 16 words)
    assert rep32.events[("buffer", "read")] == 16 + 64
    assert rep8.events[("buffer", "read")] == 16 + 16
    assert rep8.energy_pj["mac"] == pytest.approx(64 * (HOROWITZ["int8_mult"] + HOROWITZ["int32_add"]))
    assert rep32.energy_pj["mac"] == pytest.approx(64 * (HOROWITZ["fp32_mult"] + HOROWITZ["fp32_add"]))
    assert rep8.area_mm2["digital_unit"] < rep32.area_mm2["digital_unit"] / 10

def test_conv_quantizes_unique_inputs_once():
    c = Simulator(_conv_spec(), hw=_hw("int8")).cost().layers[0]
    # 3 outputs x 16 positions x 2 channels x 9 taps
    assert c.events[("mac", "int8")] == 3 * 16 * 2 * 9
    # the 2x4x4 = 32 input values are quantized once, not once per im2col copy (16 x 18 = 288)
    assert c.events[("quantizer", "scale")] == 32

def test_int8_functional_exact_on_representable_values_and_close_otherwise():
    rng = np.random.default_rng(1)
    codes = rng.integers(-127, 128, size=(5, 12))
    codes[0, 0] = 127  # the largest magnitude fixes the per-tensor scale at exactly 1/64
    w = codes / 64.0
    x = rng.integers(-127, 128, size=(7, 12)).astype(np.float64)
    x[:, 0] = 127.0  # per-sample scale exactly 1
    exact = (x @ w.T).astype(np.float32)
    y8 = Simulator(_linear_spec(w), hw=_hw("int8")).run(x.astype(np.float32), progress=False).logits
    np.testing.assert_array_equal(y8, exact)
    xr = rng.normal(size=(50, 12)).astype(np.float32)
    wr = rng.normal(size=(5, 12))
    y32 = Simulator(_linear_spec(wr), hw=_hw("fp32")).run(xr, progress=False).logits
    y8 = Simulator(_linear_spec(wr), hw=_hw("int8")).run(xr, progress=False).logits
    rel = np.abs(y8 - y32).max() / np.abs(y32).max()
    assert 0 < rel < 0.03  # int8 rounding: present, and small

def test_quantizers():
    q, s = quantize_weights(np.array([0.5, -1.0, 0.25]), "float")
    assert s == pytest.approx(1 / 127) and q.tolist() == [64, -127, 32]
    q, s = quantize_weights(np.array([0.5, -1.0, 0.25]), "pow2")
    assert s == 2.0**-6 and q.tolist() == [32, -64, 16]  # 1/127 rounded up to a power of two
    q, s = quantize_activations(np.array([[1.0, -2.0], [0.0, 0.0]]), "float")
    assert s.tolist() == [2 / 127, 1.0] and q.tolist() == [[64, -127], [0, 0]]

def test_scale_output_modes():
    acc, b = np.array([3]), np.array([0.1], np.float32)
    assert scale_output(acc, 0.3, b, "float")[0] == np.float32(3) * np.float32(0.3) + np.float32(0.1)
    assert scale_output(acc, 0.3, b, "pow2")[0] == pytest.approx(0.75)  # 0.3 -> 1/4, bias 0.1 -> 0 quarters
    y = scale_output(acc, 0.3, b, "int")[0]  # 0.3 ~ 19661 / 2^16
    assert y == pytest.approx((3 * 19661 + 6554) / 2**16) and abs(y - 1.0) < 1e-4

@pytest.mark.parametrize("scales, mult_pj, quant_pj", [("float", HOROWITZ["fp32_mult"], HOROWITZ["fp32_mult"]),
                                                        ("int", HOROWITZ["int32_mult"], HOROWITZ["int32_add"]),
                                                        ("pow2", HOROWITZ["int32_add"], HOROWITZ["int32_add"])])
def test_pecan_scale_arithmetic_costs(scales, mult_pj, quant_pj):
    spec = pecan_cnn()
    fc = Simulator(spec, hw=_hw("fp32", scales)).cost().layers[-1]
    assert fc.events[("scaler", "mult")] == 10
    assert fc.energy_pj["scaler"] == pytest.approx(10 * mult_pj + 10 * (HOROWITZ["fp32_add"] if scales == "float"
                                                                        else HOROWITZ["int32_add"]))
    assert fc.energy_pj["quantizer"] == pytest.approx(64 * quant_pj + 64 * 2 * HOROWITZ["int32_add"])

def test_pecan_fixed_scales_change_results_only_through_rounded_scales():
    spec = pecan_cnn()
    x = spec.test_inputs
    ref = Simulator(spec, hw=_hw()).run(x, progress=False).logits
    # act_scale 0.25 is a power of two already, so "int" only rounds lut_scale (0.01) to a 16-bit multiplier
    y = Simulator(spec, hw=_hw("fp32", "int")).run(x, progress=False).logits
    assert 0 < np.abs(y - ref).max() < 1e-3
    y2 = Simulator(spec, hw=_hw("fp32", "pow2")).run(x, progress=False).logits
    assert np.abs(y2 - ref).max() > 1e-3  # 0.01 -> 2^-7: a different network

def test_pecan_counts_unique_inputs_and_line_buffer():
    conv = Simulator(pecan_cnn(), hw=_hw()).cost().layers[0]
    # input 2x8x8 = 128 values quantized once; 64 positions x 18-value windows served from registers
    assert conv.events[("quantizer", "scale")] == 128 and conv.events[("buffer", "read")] == 128
    assert conv.events[("register", "access")] == 64 * 18

def test_pecan_a_dot_products_follow_precision():
    spec = pecan_cnn(mode="angle")
    for prec in ("fp32", "int8"):
        c = Simulator(spec, hw=_hw(prec)).cost().layers[0]
        assert c.events[("mac", prec)] == 64 * 2 * 8 * 9  # P x D x K x d

def test_bad_precision_names_field(tmp_path):
    with pytest.raises(HardwareError, match="digital.precision"):
        DigitalConfig(precision="int4")
    raw = {"scenario": {"name": "x"}, "hardware": {"digital": {"scales": "log"}}}
    with pytest.raises(ScenarioError, match=r"t\.toml: \[hardware.digital\].*digital.scales='log'"):
        parse_scenario(raw, tmp_path / "t.toml")

def test_variant_settings():
    assert split_variant("baseline:fp32", "f") == ("baseline", {"precision": "fp32"})
    assert split_variant("pecan_d:int8,pow2", "f") == ("pecan_d", {"precision": "int8", "scales": "pow2"})
    assert split_variant("pecan_a", "f") == ("pecan_a", {})
    with pytest.raises(ScenarioError, match="setting 'int4'"):
        split_variant("baseline:int4", "f")
    with pytest.raises(ScenarioError, match="'lenet'"):
        split_variant("lenet", "f")

def test_unchanged_default_is_fp32_float():
    d = DigitalConfig()
    assert (d.precision, d.scales) == ("fp32", "float")
