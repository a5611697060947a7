"""Exporter of the compression layers for :mod:`codesign.models.export`.

Everything else of the compression networks (SmallResNet, decomposed/pruned variants,
ShiftResNet) is plain torch and exports through the shared exporter: every ``nn.Conv2d`` →
``conv2d`` (groups kept, so the depthwise/grouped convs of the tensor-view forms export as they
are), a BatchNorm right after a conv (also the last conv of a decomposed ``nn.Sequential``) folded
into it, residual sums → ``add``, ReLU → ``relu``, global pooling → ``global_avgpool`` +
``flatten``, the classifier → ``linear``. Compression models are exported with
``export_model(..., zero_bias=True)``: a conv without a bias (inside a decomposition) gets a zero one.
Here: a :class:`Shift` exports as a depthwise ``conv2d`` (3×3, pad 1, its stride) with its one-hot kernels.
"""

from __future__ import annotations

from codesign.models.compression.shift import Shift
from codesign.models.export import f32, register_module
from codesign.sim.format import LayerSpec


@register_module(Shift)
def shift_layer_spec(m: Shift, name: str, inputs: list[str]) -> list[LayerSpec]:
    """A Shift as a depthwise 3×3 ``conv2d`` (pad 1, no bias) with its one-hot kernels."""
    c = m.channels
    attrs = {"in_channels": c, "out_channels": c, "kernel_size": [3, 3], "stride": [m.stride, m.stride],
             "padding": [1, 1], "groups": c}
    return [LayerSpec(name, "conv2d", inputs, attrs, {"weight": f32(m.kernel)})]
