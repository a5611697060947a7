"""Tiny dense CNNs (numpy only) for the crossbar tests: conv, depthwise conv, pointwise conv, linear."""

from __future__ import annotations

import numpy as np

from codesign.sim.format import LayerSpec, ModelSpec


def dw_cnn(seed: int = 0, n: int = 64) -> ModelSpec:
    """input (3,8,8) -> conv3x3(8) -> relu -> depthwise3x3(8) -> relu -> pointwise(12) -> relu -> gap -> linear(10).

    Test labels are the float model's own predictions (filled by the caller via the digital simulator).
    """
    rng = np.random.default_rng(seed)

    def conv(name, inp, ci, co, k, groups=1, pad=1):
        w = rng.normal(0, 1.0 / np.sqrt(ci // groups * k * k), size=(co, ci // groups, k, k)).astype(np.float32)
        return LayerSpec(name, "conv2d", [inp], {"in_channels": ci, "out_channels": co, "kernel_size": [k, k],
                         "stride": [1, 1], "padding": [pad, pad], "groups": groups},
                         {"weight": w, "bias": rng.normal(0, 0.1, size=co).astype(np.float32)})

    layers = [
        conv("c1", "input", 3, 8, 3), LayerSpec("r1", "relu", ["c1"]),
        conv("dw", "r1", 8, 8, 3, groups=8), LayerSpec("r2", "relu", ["dw"]),
        conv("pw", "r2", 8, 12, 1, pad=0), LayerSpec("r3", "relu", ["pw"]),
        LayerSpec("gap", "global_avgpool", ["r3"]),
        LayerSpec("fc", "linear", ["gap"], {"in_features": 12, "out_features": 10},
                  {"weight": rng.normal(0, 0.5, size=(10, 12)).astype(np.float32),
                   "bias": np.zeros(10, np.float32)}),
    ]
    x = rng.normal(size=(n, 3, 8, 8)).astype(np.float32)
    return ModelSpec("dw_cnn", (3, 8, 8), 10, layers, test_inputs=x, test_labels=np.zeros(n, np.int64))


def with_float_labels(spec: ModelSpec) -> ModelSpec:
    """Set the test labels to the float (digital) model's predictions."""
    from codesign.sim.engine import Simulator

    spec.test_labels = Simulator(spec).run(spec.test_inputs, progress=False).predictions
    return spec
