"""Twin of the CAM search non-idealities for PECAN-D training (no ``sim`` import).

The simulator (``codesign.cam.cam_array.nonideal``) perturbs every stored cell level by N(0, level_sigma)
and every sensed match-line distance by N(0, sense_sigma), both in level units = value codes of the
multi-level thermometer code. A subvector of d values spans about ``d x cells_per_value`` cells, so a row
distance sees a Gaussian perturbation of std ``sqrt(sense_sigma^2 + d cpv level_sigma^2)`` codes. The
twin adds exactly that (in float units: codes x the activation step observed in training) to the L1
distances of every PECAN-D layer's training forward; the winner then follows the noisy distances, as on
the chip. Inference (eval mode, frozen codes) is untouched.
"""

from __future__ import annotations

import math
import types

import torch

from codesign.models.pecan.layers import PECAN_TYPES


def cells_per_value(value_bits: int, bits_per_cell: int) -> int:
    """Cells of a value in the multi-level thermometer code (as the CAM mapping computes it)."""
    return 1 if bits_per_cell >= value_bits else math.ceil((2**value_bits - 1) / (2**bits_per_cell - 1))


def distance_std_codes(d: int, value_bits: int, bits_per_cell: int, level_sigma: float, sense_sigma: float) -> float:
    """Std (value codes) of a row distance under level variation and sensing noise."""
    cpv = cells_per_value(value_bits, bits_per_cell)
    return math.sqrt(sense_sigma**2 + d * cpv * level_sigma**2)


def _noisy_similarity(std_codes: float, gen: torch.Generator):
    def similarity(self, x: torch.Tensor) -> torch.Tensor:
        dist = torch.cdist(x, self.protos(), p=1)
        if self.training:
            lo, hi = float(self.act_min), float(self.act_max)
            step = (hi - lo) / (2**int(self.act_bits) - 1) if hi > lo else 0.0
            if step > 0:
                dist = dist + torch.randn(dist.shape, generator=gen, dtype=dist.dtype) * (std_codes * step)
            dist = dist / dist.detach().mean(dim=(1, 2), keepdim=True).clamp_min(1e-8)
        return -dist
    return similarity


def attach_cam(model: torch.nn.Module, level_sigma: float, sense_sigma: float, bits_per_cell: int = 3,
               seed: int = 0) -> int:
    """Inject the search noise into every PECAN-D layer's training forward; returns the layers changed."""
    gen = torch.Generator().manual_seed(seed)
    n = 0
    for mod in model.modules():
        if isinstance(mod, PECAN_TYPES) and mod.mode == "distance":
            std = distance_std_codes(mod.subvector_dim, int(mod.act_bits), bits_per_cell, level_sigma, sense_sigma)
            mod.similarity = types.MethodType(_noisy_similarity(std, gen), mod)
            n += 1
    return n


def detach_cam(model: torch.nn.Module) -> None:
    """Remove :func:`attach_cam`'s noise (the class's exact similarity again)."""
    for mod in model.modules():
        if isinstance(mod, PECAN_TYPES) and "similarity" in mod.__dict__:
            del mod.similarity


def hw_aware_pecan(out_path: str, level_sigma: float = 0.61, sense_sigma: float = 0.5, bits_per_cell: int = 3,
                   seed: int = 0, epochs: int | None = None) -> str:
    """Train the digits PECAN-D network with the CAM twin in the loop and export it to ``out_path``."""
    from codesign.models.data.digits import load_digits_split
    from codesign.models.export import export_model
    from codesign.models.nets.digits import build_digits_net
    from codesign.models.train import make_config, train_model

    cfg = make_config("pecan_d", epochs=epochs, seed=seed)
    data = load_digits_split(seed=cfg.split_seed)
    torch.manual_seed(cfg.seed)
    model = build_digits_net("pecan_d", cfg.net)
    attach_cam(model, level_sigma, sense_sigma, bits_per_cell, seed)
    try:
        model, metrics = train_model(model, data, cfg, progress=False, desc="pecan_d hw-aware")
    finally:
        detach_cam(model)
    meta = {"variant": "pecan_d", "hw_aware": f"level_sigma={level_sigma}, sense_sigma={sense_sigma}",
            **{k: v for k, v in metrics.items() if isinstance(v, (int, float, str))}}
    export_model(model, out_path, golden_inputs=data.x_test[:64], golden_labels=data.y_test[:64],
                 test_inputs=data.x_test, test_labels=data.y_test, name="digits-pecan_d-hw", metadata=meta)
    return out_path
