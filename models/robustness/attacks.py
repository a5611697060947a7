"""L∞ evasion attacks for robustness evaluation and adversarial training.

* ``pgd``: PGD with cross-entropy loss. ``backend="torchattacks"`` uses ``torchattacks.PGD``
  (PyPI, version recorded in :data:`TORCHATTACKS_VERSION`); ``backend="own"`` is our own loop
  (same algorithm, used for the C&W∞ attack and when torchattacks is missing).
* ``cw_linf``: C&W∞ as in the AT literature = PGD (30 steps) on the CW margin loss
  max_{j≠y} z_j − z_y (torchattacks' ``CW`` is the L2 attack, so this one is ours).
* ``autoattack``: ``torchattacks.AutoAttack`` — see :func:`autoattack_label` for the variant.

All attacks take inputs in [0, 1], run the model in eval mode (restoring its mode after),
return a detached tensor with ``‖x_adv − x‖∞ ≤ eps`` and ``0 ≤ x_adv ≤ 1``.
Random starts draw from a ``torch.Generator`` (ours) or the global torch RNG (torchattacks;
seed it with ``torch.manual_seed``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from codesign.errors import CodesignError

try:  # optional at import time; the CLI reports a clear error if it is missing
    import torchattacks as _ta

    TORCHATTACKS_VERSION: str | None = getattr(_ta, "__version__", "unknown")
except Exception:  # pragma: no cover - depends on the environment
    _ta = None
    TORCHATTACKS_VERSION = None

__all__ = [
    "AttackConfig",
    "TORCHATTACKS_VERSION",
    "pgd",
    "cw_linf",
    "autoattack",
    "autoattack_label",
    "cw_margin_loss",
    "eval_mode",
]


@dataclass
class AttackConfig:
    """L∞ PGD settings (defaults: the training attack of PGD-AT, ε = 8/255, α = 2/255, 10 steps)."""

    eps: float = 8 / 255
    alpha: float = 2 / 255
    steps: int = 10
    random_start: bool = True


class AttackError(CodesignError, ValueError):
    """Unknown attack loss or backend, or a missing optional attack library."""


@contextlib.contextmanager
def eval_mode(model: nn.Module):
    """Temporarily put ``model`` in eval mode (BN uses running statistics)."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def cw_margin_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-sample CW margin ``max_{j≠y} z_j − z_y`` (positive = misclassified)."""
    true = logits.gather(1, y[:, None]).squeeze(1)
    other = logits.masked_fill(F.one_hot(y, logits.shape[1]).bool(), float("-inf")).amax(1)
    return other - true


def _pgd_own(model, x, y, eps, alpha, steps, random_start, loss, generator):
    x = x.detach()
    if random_start:
        noise = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device)
        x_adv = (x + (2 * noise - 1) * eps).clamp(0, 1)
    else:
        x_adv = x.clone()
    for _ in range(steps):
        x_adv.requires_grad_(True)
        logits = model(x_adv)
        if loss == "ce":
            obj = F.cross_entropy(logits, y, reduction="sum")
        elif loss == "cw":
            obj = cw_margin_loss(logits, y).sum()
        else:
            raise AttackError(f"unknown attack loss {loss!r}; expected 'ce' or 'cw'")
        (grad,) = torch.autograd.grad(obj, x_adv)
        x_adv = x_adv.detach() + alpha * grad.sign()
        x_adv = torch.min(torch.max(x_adv, x - eps), x + eps).clamp(0, 1)
    return x_adv.detach()


def pgd(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    cfg: AttackConfig | None = None,
    *,
    loss: str = "ce",
    backend: str = "torchattacks",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """L∞ PGD adversarial examples for ``(x, y)`` (model run in eval mode)."""
    cfg = cfg or AttackConfig()
    if backend not in ("torchattacks", "own"):
        raise AttackError(f"unknown PGD backend {backend!r}; expected 'torchattacks' or 'own'")
    with eval_mode(model):
        if backend == "torchattacks" and loss == "ce":
            if _ta is None:
                raise AttackError("torchattacks is not installed; use backend='own' or pip install torchattacks")
            atk = _ta.PGD(model, eps=cfg.eps, alpha=cfg.alpha, steps=cfg.steps, random_start=cfg.random_start)
            return atk(x, y).detach()
        return _pgd_own(model, x, y, cfg.eps, cfg.alpha, cfg.steps, cfg.random_start, loss, generator)


def cw_linf(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float = 8 / 255,
    alpha: float = 2 / 255,
    steps: int = 30,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """C&W∞: ``steps``-step PGD (random start) maximising the CW margin loss (our code)."""
    cfg = AttackConfig(eps=eps, alpha=alpha, steps=steps, random_start=True)
    return pgd(model, x, y, cfg, loss="cw", backend="own", generator=generator)


def autoattack_label(version: str = "standard") -> str:
    """Human-readable name of the AutoAttack variant :func:`autoattack` runs."""
    parts = {
        "standard": "APGD-CE, APGD-T (9 targets), FAB-T, Square (5000 queries)",
        "rand": "APGD-CE, APGD-DLR with EOT-20",
        "plus": "APGD-CE/DLR x5 restarts, FAB, Square, APGD-T, FAB-T",
        "apgd": "APGD-CE, APGD-T (9 targets) only (the standard ensemble without FAB-T and Square)",
    }.get(version, "?")
    return (
        f"torchattacks {TORCHATTACKS_VERSION} AutoAttack(version='{version}', norm='Linf'): {parts}; "
        "APGD with torchattacks' default 10 steps (original AutoAttack: 100)"
    )


def autoattack(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float = 8 / 255,
    n_classes: int = 10,
    version: str = "standard",
    seed: int = 0,
) -> torch.Tensor:
    """AutoAttack L∞ from torchattacks (variant: :func:`autoattack_label`).

    ``version="apgd"`` runs the first two attacks of the standard ensemble (APGD-CE, then APGD-T on
    the images that survive) through torchattacks' ``MultiAttack``; it bounds the standard result from above.
    """
    if _ta is None:
        raise AttackError("torchattacks is not installed: AutoAttack needs it (pip install torchattacks)")
    if version not in ("standard", "rand", "plus", "apgd"):
        raise AttackError(f"unknown AutoAttack version {version!r}; expected standard, rand, plus or apgd")
    with eval_mode(model):
        if version == "apgd":
            atk = _ta.MultiAttack([
                _ta.APGD(model, norm="Linf", eps=eps, seed=seed, loss="ce", n_restarts=1),
                _ta.APGDT(model, norm="Linf", eps=eps, seed=seed, n_classes=n_classes, n_restarts=1),
            ])
        else:
            atk = _ta.AutoAttack(model, norm="Linf", eps=eps, version=version, n_classes=n_classes, seed=seed)
        return atk(x, y).detach()
