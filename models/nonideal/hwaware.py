"""Hardware-aware fine-tuning: train with the twin's programmed weights in the forward pass.

:func:`attach` parametrizes every ``nn.Linear``/``nn.Conv2d`` weight and every DeBut factor of a model
so that, in training mode, the forward pass uses a fresh programmed instance
(:func:`codesign.models.nonideal.twin.effective_weight`) with a straight-through gradient to the clean
weight; :func:`detach` removes it again, leaving the clean (fine-tuned) weights to export.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize

from codesign.models.debut.layers import _DeButChain
from codesign.models.nonideal.twin import TwinParams, effective_weight


class _Programmed(nn.Module):
    """Weight -> a programmed instance of it (training mode only), gradient straight through."""

    def __init__(self, p: TwinParams, gen: torch.Generator, rows: str):
        super().__init__()
        self.p, self.gen, self.rows = p, gen, rows

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return w
        if self.rows == "theta":  # DeBut factor (a, r, s, t): one output row per (a, r, t), s entries
            a, r, s, t = w.shape
            rows = w.permute(0, 1, 3, 2).reshape(a * r * t, s)
            eff = effective_weight(rows, self.p, self.gen).reshape(a, r, t, s).permute(0, 1, 3, 2)
        else:
            eff = effective_weight(w, self.p, self.gen)
        return w + (eff - w).detach()


def attach(model: nn.Module, p: TwinParams, seed: int = 0) -> int:
    """Parametrize the crossbar weights of ``model``; returns how many tensors were parametrized."""
    gen = torch.Generator().manual_seed(seed)
    n = 0
    for mod in list(model.modules()):
        if isinstance(mod, (nn.Linear, nn.Conv2d)):
            parametrize.register_parametrization(mod, "weight", _Programmed(p, gen, "rows"))
            n += 1
        elif isinstance(mod, _DeButChain):
            for i in range(len(mod.thetas)):
                parametrize.register_parametrization(mod.thetas, str(i), _Programmed(p, gen, "theta"))
                n += 1
    return n


def detach(model: nn.Module) -> None:
    """Remove the parametrizations of :func:`attach`, keeping the clean weights."""
    for mod in list(model.modules()):
        if parametrize.is_parametrized(mod):
            for name in list(mod.parametrizations.keys()):
                parametrize.remove_parametrizations(mod, name, leave_parametrized=False)


def hw_aware_finetune(model: nn.Module, x: torch.Tensor, y: torch.Tensor, p: TwinParams, epochs: int = 5,
                      lr: float = 1e-3, seed: int = 0) -> list[float]:
    """Fine-tune ``model`` on (x, y) with programmed weights in every training forward; returns epoch losses."""
    from codesign.models.debut.swap import finetune

    attach(model, p, seed)
    try:
        return finetune(model, x, y, epochs=epochs, lr=lr, seed=seed)
    finally:
        detach(model)
        model.eval()
