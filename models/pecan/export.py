"""Exporter of the PECAN layers (``pecan_linear`` / ``pecan_conv2d``, docs/format.md) for
:mod:`codesign.models.export`: frozen integer prototype codes, integer LUT and float bias."""

from __future__ import annotations

from typing import Any

import numpy as np

from codesign.models.export import ExportError, register_module
from codesign.models.pecan.layers import PecanConv2d, PecanLinear
from codesign.sim.format import LayerSpec


@register_module(PecanLinear, PecanConv2d)
def pecan_layer_spec(m: PecanLinear | PecanConv2d, name: str, inputs: list[str]) -> list[LayerSpec]:
    """LayerSpec of a frozen PecanLinear / PecanConv2d."""
    if not m.frozen:
        raise ExportError(f"{name}: PECAN layer is not frozen; call codesign.models.pecan.network.freeze_model(model) "
                          "(after calibrate()) before export")
    attrs: dict[str, Any] = m.pecan_attrs()
    if isinstance(m, PecanConv2d):
        kind = "pecan_conv2d"
        attrs.update(in_channels=m.in_channels, out_channels=m.out_channels, kernel_size=list(m.kernel_size),
                     stride=list(m.stride), padding=list(m.padding))
    else:
        kind = "pecan_linear"
        attrs.update(in_features=m.in_features, out_features=m.out_features)
    arrays = {"prototypes": m.proto_codes.cpu().numpy().astype(np.int32),
              "lut": m.lut_codes.cpu().numpy().astype(np.int32),
              "bias": m.qbias.cpu().numpy().astype(np.float32)}
    return [LayerSpec(name, kind, inputs, attrs, arrays)]
