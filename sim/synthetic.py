"""Small synthetic models (numpy only) for tests, examples and design-space sweeps without training."""

from __future__ import annotations

import numpy as np

from codesign.sim.format import LayerSpec, ModelSpec


def pecan_layer(name: str, inputs: list[str], rng: np.random.Generator, *, mode: str, D: int, K: int, d: int,
                out: int, act_bits: int = 4, act_signed: bool = False, lut_bits: int = 8,
                conv: dict | None = None) -> LayerSpec:
    """A random PECAN layer (linear, or conv when ``conv`` gives in_channels/kernel_size/stride/padding)."""
    lo, hi = (-(2 ** (act_bits - 1)), 2 ** (act_bits - 1) - 1) if act_signed else (0, 2**act_bits - 1)
    attrs = {"mode": mode, "num_subspaces": D, "num_prototypes": K, "subvector_dim": d, "act_bits": act_bits,
             "act_signed": int(act_signed), "act_scale": 0.25, "lut_bits": lut_bits, "lut_scale": 0.01}
    if conv:
        attrs.update(in_channels=conv["in_channels"], out_channels=out, kernel_size=list(conv["kernel_size"]),
                     stride=list(conv.get("stride", [1, 1])), padding=list(conv.get("padding", [0, 0])))
        ltype = "pecan_conv2d"
    else:
        attrs.update(in_features=D * d, out_features=out)
        ltype = "pecan_linear"
    lim = 2 ** (lut_bits - 1)
    arrays = {
        "prototypes": rng.integers(lo, hi + 1, size=(D, K, d)).astype(np.int32),
        "lut": rng.integers(-lim, lim, size=(D, K, out)).astype(np.int32),
        "bias": rng.normal(0, 0.1, size=out).astype(np.float32),
    }
    return LayerSpec(name, ltype, inputs, attrs, arrays)


def pecan_cnn(mode: str = "distance", seed: int = 0, n_golden: int = 16, K: int = 8, act_bits: int = 4,
              with_dense: bool = False) -> ModelSpec:
    """input (2,8,8) -> pecan_conv2d(4, k3, p1, D=2 of d=9) -> relu -> maxpool2 -> flatten -> pecan_linear(64->10).

    ``with_dense`` inserts a float conv2d(groups=2)+batchnorm before the PECAN conv. Golden outputs are
    left empty (None): compute them with a reference implementation.
    """
    rng = np.random.default_rng(seed)
    layers = []
    src = "input"
    if with_dense:
        layers.append(LayerSpec("dense", "conv2d", ["input"], {
            "in_channels": 2, "out_channels": 2, "kernel_size": [3, 3], "stride": [1, 1], "padding": [1, 1],
            "groups": 2}, {"weight": rng.normal(0, 0.5, (2, 1, 3, 3)).astype(np.float32),
                           "bias": rng.normal(0, 0.1, 2).astype(np.float32)}))
        layers.append(LayerSpec("bn", "batchnorm2d", ["dense"], {"num_features": 2},
                                {"scale": rng.uniform(0.5, 1.5, 2).astype(np.float32),
                                 "shift": rng.normal(0, 0.1, 2).astype(np.float32)}))
        src = "bn"
    layers += [
        pecan_layer("conv1", [src], rng, mode=mode, D=2, K=K, d=9, out=4, act_bits=act_bits, act_signed=True,
                    conv={"in_channels": 2, "kernel_size": [3, 3], "padding": [1, 1]}),
        LayerSpec("relu1", "relu", ["conv1"]),
        LayerSpec("pool1", "maxpool2d", ["relu1"], {"kernel_size": [2, 2], "stride": [2, 2], "padding": [0, 0]}),
        LayerSpec("flat", "flatten", ["pool1"]),
        pecan_layer("fc", ["flat"], rng, mode=mode, D=8, K=2 * K, d=8, out=10, act_bits=act_bits),
    ]
    x = rng.normal(0, 1.0, size=(n_golden, 2, 8, 8)).astype(np.float32)
    spec = ModelSpec(f"synthetic_pecan_{mode}", (2, 8, 8), 10, layers, metadata={"synthetic": True, "seed": seed})
    spec.test_inputs = x
    spec.test_labels = rng.integers(0, 10, size=n_golden).astype(np.int64)
    return spec


#: VGG-8 for CIFAR-10 as compute-in-memory papers use it (DNN+NeuroSim's benchmark): conv channels
VGG8_CHANNELS = (128, 128, 256, 256, 512, 512)


def vgg8(seed: int = 0, num_classes: int = 10) -> ModelSpec:
    """VGG-8 (3x32x32 input): 6 conv 3x3 (pad 1) 128-128-256-256-512-512 with ReLU, 2x2 max-pool after
    conv 2, 4 and 6, then linear 8192->1024, ReLU, linear 1024->10. Random weights (He init), no data."""
    rng = np.random.default_rng(seed)
    layers: list[LayerSpec] = []
    src, ci = "input", 3
    pool = {"kernel_size": [2, 2], "stride": [2, 2], "padding": [0, 0]}
    for i, co in enumerate(VGG8_CHANNELS, start=1):
        w = rng.normal(0, np.sqrt(2.0 / (ci * 9)), (co, ci, 3, 3)).astype(np.float32)
        layers.append(LayerSpec(f"conv{i}", "conv2d", [src], {
            "in_channels": ci, "out_channels": co, "kernel_size": [3, 3], "stride": [1, 1], "padding": [1, 1],
            "groups": 1}, {"weight": w}))
        layers.append(LayerSpec(f"relu{i}", "relu", [f"conv{i}"]))
        src, ci = f"relu{i}", co
        if i % 2 == 0:
            layers.append(LayerSpec(f"pool{i // 2}", "maxpool2d", [src], dict(pool)))
            src = f"pool{i // 2}"
    layers.append(LayerSpec("flat", "flatten", [src]))
    dims = [ci * 4 * 4, 1024, num_classes]
    for j, (n_in, n_out) in enumerate(zip(dims[:-1], dims[1:]), start=1):
        w = rng.normal(0, np.sqrt(2.0 / n_in), (n_out, n_in)).astype(np.float32)
        layers.append(LayerSpec(f"fc{j}", "linear", ["flat" if j == 1 else f"relu_fc{j - 1}"],
                                {"in_features": n_in, "out_features": n_out}, {"weight": w}))
        if j < len(dims) - 1:
            layers.append(LayerSpec(f"relu_fc{j}", "relu", [f"fc{j}"]))
    return ModelSpec("vgg8-cifar10", (3, 32, 32), num_classes, layers, metadata={"synthetic": True, "seed": seed})
