"""Exporter of the DeBut layers (``debut_linear`` / ``debut_conv2d``) for :mod:`codesign.models.export`.

Layer attributes: in_features/out_features (linear) or in_channels, out_channels, kernel_size,
stride, padding, column_order="ci_kh_kw" (conv); n_factors; chain_order="input_first".
Datasets: ``chain`` int64 [n_factors, 5] rows [p, q, r, s, t]; ``factor_k`` float32
theta[a, r, s, t] (F_k[b·r·t+i·t+d, b·s·t+j·t+d] = theta[b,i,j,d]); ``bias`` float32 [out].
Whole models (dense, DeBut, low-rank LeNets) are written by :func:`codesign.models.export.export_model`.
"""

from __future__ import annotations

from codesign.models.debut.layers import CHAIN_ORDER, COLUMN_ORDER, DeButConv2d, DeButLinear
from codesign.models.export import f32, register_module
from codesign.sim.format import LayerSpec

__all__ = ["debut_layer_spec"]


@register_module(DeButLinear, DeButConv2d)
def debut_layer_spec(mod: DeButLinear | DeButConv2d, name: str, inputs: list[str]) -> list[LayerSpec]:
    """LayerSpec of a DeButLinear / DeButConv2d."""
    arrays = {"chain": mod.chain_array}
    for k, th in enumerate(mod.thetas):
        arrays[f"factor_{k}"] = f32(th)
    if mod.bias is not None:
        arrays["bias"] = f32(mod.bias)
    attrs = {"n_factors": len(mod.chain), "chain_order": CHAIN_ORDER}
    if isinstance(mod, DeButLinear):
        attrs.update(in_features=mod.in_features, out_features=mod.out_features)
        return [LayerSpec(name, "debut_linear", inputs, attrs, arrays)]
    attrs.update(in_channels=mod.in_channels, out_channels=mod.out_channels, kernel_size=list(mod.kernel_size),
                 stride=list(mod.stride), padding=list(mod.padding), column_order=COLUMN_ORDER)
    return [LayerSpec(name, "debut_conv2d", inputs, attrs, arrays)]
