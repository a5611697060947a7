"""Whole-network operations on the PECAN layers of a model: training switches (temperature, dense
warm-up, hard assignment), the codebook loss, k-means seeding, activation calibration and freezing.
"""

from __future__ import annotations

import torch
from torch import nn

from codesign.models.pecan.layers import PECAN_TYPES, PecanConv2d, PecanLinear


def pecan_modules(model: nn.Module) -> list[PecanLinear | PecanConv2d]:
    """All PECAN layers of a model, in module order."""
    return [m for m in model.modules() if isinstance(m, PECAN_TYPES)]


def codebook_loss(model: nn.Module) -> torch.Tensor:
    """Sum of the PECAN layers' codebook losses from the last training forward (0 if none)."""
    terms = [m.codebook_loss for m in pecan_modules(model) if m.codebook_loss is not None]
    return torch.stack(terms).sum() if terms else torch.zeros(())


def set_temperature(model: nn.Module, temperature: float) -> None:
    for m in pecan_modules(model):
        m.temperature = float(temperature)


def set_dense(model: nn.Module, dense: bool) -> None:
    """Dense warm-up mode: PECAN layers compute ``W·x + b`` (prototypes are seeded when it ends)."""
    for m in pecan_modules(model):
        m.dense = bool(dense)


def set_hard(model: nn.Module, hard: bool) -> None:
    """Straight-through hard assignment in training (forward = inference assignment)."""
    for m in pecan_modules(model):
        m.hard = bool(hard)


@torch.no_grad()
def seed_prototypes(model: nn.Module, inputs: torch.Tensor, max_vectors: int = 8192, batch_size: int = 512) -> None:
    """k-means seeding of every PECAN layer, in order, from its inputs over the whole ``inputs``
    (eval mode; earlier layers already use their prototypes, later ones run dense). Uses torch's RNG."""
    mods = pecan_modules(model)
    was_training, dense = model.training, [m.dense for m in mods]
    model.eval()
    for m in mods:
        m.dense = True
    try:
        for m in mods:
            m.capture = []
            for i in range(0, len(inputs), batch_size):
                model(inputs[i:i + batch_size])
            vecs, m.capture = torch.cat(m.capture), None
            if len(vecs) > max_vectors:
                vecs = vecs[torch.randperm(len(vecs))[:max_vectors]]
            m.init_prototypes(vecs)
            m.dense = False
    finally:
        for m, d in zip(mods, dense):
            m.dense, m.capture = d, None
        model.train(was_training)


@torch.no_grad()
def calibrate(model: nn.Module, inputs: torch.Tensor, batch_size: int = 512) -> None:
    """Record every PECAN layer's input range on ``inputs`` (float path, model left in eval)."""
    mods = pecan_modules(model)
    hooks = []
    for m in mods:
        m.act_min.fill_(float("inf"))
        m.act_max.fill_(float("-inf"))

        def hook(mod, args):
            mod.act_min.fill_(min(float(mod.act_min), float(args[0].min())))
            mod.act_max.fill_(max(float(mod.act_max), float(args[0].max())))
        hooks.append(m.register_forward_pre_hook(hook))
    was_frozen = [m.frozen for m in mods]
    for m in mods:
        m.frozen = False
    model.eval()
    try:
        for i in range(0, len(inputs), batch_size):
            model(inputs[i:i + batch_size])
    finally:
        for h in hooks:
            h.remove()
        for m, f in zip(mods, was_frozen):
            m.frozen = f


def freeze_model(model: nn.Module) -> nn.Module:
    """Freeze (quantize) every PECAN layer and switch the model to eval."""
    for m in pecan_modules(model):
        m.freeze()
    return model.eval()
