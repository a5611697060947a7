"""Adversarial training: PGD-AT, the frequency regularizer (FR/SAR) and weight averaging (SWA).

Loss of AT-FR (Huang et al., arXiv 2212.12732 / 2306.14262)::

    L = CE(f(x'), y) + λ · [ |Re F(f(x)) − Re F(f(x'))|₁ + |Im F(f(x)) − Im F(f(x'))|₁ ]

with x' the PGD-10 example, f the logits and F one 2-D DFT over the (batch × classes) logit
matrix; the L1 terms are means over the matrix. The regularizer starts at ``start_epoch`` and
weight averaging at ``swa_start`` (both default to the first learning-rate drop). SWA keeps an equal-weight running mean of the
parameters, updated once per epoch from ``swa_start`` on; its batch-norm statistics are
recomputed over the training data at the end (:func:`refresh_bn`).

The attack used during training is :func:`codesign.models.robustness.attacks.pgd` (torchattacks PGD by
default). Attacks are generated with the model in eval mode; the loss is then computed in train mode.
The network is :func:`codesign.models.nets.small_cnn.small_cnn`; accuracy: :func:`codesign.models.metrics.accuracy`.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from codesign.errors import CodesignError
from codesign.models.nets.small_cnn import mnist_cnn, small_cnn
from codesign.models.robustness.attacks import AttackConfig, pgd

__all__ = [
    "RobustTrainConfig",
    "frequency_regularizer",
    "WeightAverager",
    "refresh_bn",
    "train_robust",
    "METHODS",
    "ARCHS",
]

#: network name -> factory(width, num_classes, in_channels, image_size)
ARCHS = {"small_cnn": small_cnn, "mnist_cnn": mnist_cnn}

#: method name -> (adversarial training, frequency regularizer, weight averaging)
METHODS: dict[str, tuple[bool, bool, bool]] = {
    "natural": (False, False, False),
    "AT": (True, False, False),
    "AT-SWA": (True, False, True),
    "AT-FR": (True, True, False),
    "AT-FR-SWA": (True, True, True),
}


class TrainConfigError(CodesignError, ValueError):
    """Bad adversarial-training configuration or state."""


def frequency_regularizer(clean_logits: torch.Tensor, adv_logits: torch.Tensor) -> torch.Tensor:
    """L1 distance between the real and imaginary parts of the 2-D DFTs of two logit matrices."""
    if clean_logits.shape != adv_logits.shape or clean_logits.dim() != 2:
        raise TrainConfigError(
            f"frequency_regularizer: expected two (batch, classes) logit matrices of equal shape, "
            f"got {tuple(clean_logits.shape)} and {tuple(adv_logits.shape)}"
        )
    fc = torch.fft.fft2(clean_logits)
    fa = torch.fft.fft2(adv_logits)
    return (fc.real - fa.real).abs().mean() + (fc.imag - fa.imag).abs().mean()


class WeightAverager:
    """Equal-weight running average of a model's parameters (SWA).

    ``update(model)`` adds one snapshot; ``model()`` returns a copy of the model carrying the
    averaged parameters (buffers such as BN statistics are copied from the latest snapshot and
    should be refreshed with :func:`refresh_bn`).
    """

    def __init__(self) -> None:
        self.n = 0
        self._avg: dict[str, torch.Tensor] = {}
        self._template: nn.Module | None = None

    def update(self, model: nn.Module) -> None:
        params = {k: v.detach() for k, v in model.named_parameters()}
        if self.n == 0:
            self._avg = {k: v.clone().double() for k, v in params.items()}
        else:
            for k, v in params.items():
                self._avg[k] += (v.double() - self._avg[k]) / (self.n + 1)
        self.n += 1
        self._template = copy.deepcopy(model)

    def model(self) -> nn.Module:
        if self._template is None:
            raise TrainConfigError("WeightAverager: no snapshot yet; call update(model) first")
        out = copy.deepcopy(self._template)
        with torch.no_grad():
            for k, p in out.named_parameters():
                p.copy_(self._avg[k].to(p.dtype))
        return out


@torch.no_grad()
def refresh_bn(model: nn.Module, x: torch.Tensor, batch_size: int = 256) -> nn.Module:
    """Recompute every BatchNorm's running mean/var as the exact average over ``x``."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return model
    was_training = model.training
    momenta = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average
    model.train()
    for i in range(0, len(x), batch_size):
        model(x[i : i + batch_size])
    for m, mom in zip(bns, momenta):
        m.momentum = mom
    model.train(was_training)
    return model


@dataclass
class RobustTrainConfig:
    """Training settings. ``start_epoch`` (FR) and ``swa_start`` (SWA) default to the first LR drop."""

    method: str = "AT-FR-SWA"
    epochs: int = 8
    batch_size: int = 32
    optimizer: str = "adam"  # "adam" or "sgd" (the paper: SGD 0.1; Adam converges faster at this scale)
    lr: float = 2e-3
    momentum: float = 0.9
    weight_decay: float = 5e-4
    lr_drops: tuple[float, ...] = (0.75, 0.9)  # fractions of ``epochs``; LR ×0.1 at each
    fr_lambda: float = 0.1
    start_epoch: int | None = None
    swa_start: int | None = None
    attack: AttackConfig = field(default_factory=AttackConfig)
    attack_backend: str = "torchattacks"
    width: int = 8
    arch: str = "small_cnn"  # a key of ARCHS
    eps_warmup: int = 0  # epochs over which the training ε (and α) ramp linearly up to their values
    flip: bool = True  # random horizontal flips of training batches
    seed: int = 0

    def drop_epochs(self) -> list[int]:
        return sorted({max(1, int(round(f * self.epochs))) for f in self.lr_drops})

    def resolved_start(self) -> int:
        return self.start_epoch if self.start_epoch is not None else self.drop_epochs()[0]

    def resolved_swa_start(self) -> int:
        return self.swa_start if self.swa_start is not None else self.drop_epochs()[0]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["start_epoch"] = self.resolved_start()
        d["swa_start"] = self.resolved_swa_start()
        return d


def train_robust(
    cfg: RobustTrainConfig,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    num_classes: int = 10,
    progress: bool = False,
    snapshots: dict[str, nn.Module] | None = None,
) -> tuple[nn.Module, list[dict]]:
    """Train one model with ``cfg.method`` (see :data:`METHODS`). Returns (model, per-epoch log).

    If ``snapshots`` is a dict, the non-averaged model of a SWA method is stored in it under the
    method name without "-SWA" (e.g. "AT-FR"), so AT-FR and AT-FR-SWA come from one run.
    """
    if cfg.method not in METHODS:
        raise TrainConfigError(f"unknown method {cfg.method!r}; expected one of {', '.join(METHODS)}")
    adv, use_fr, use_swa = METHODS[cfg.method]
    start, swa_start = cfg.resolved_start(), cfg.resolved_swa_start()
    for name, v in (("start_epoch", start), ("swa_start", swa_start)):
        if not 0 <= v <= cfg.epochs:
            raise TrainConfigError(f"{name}={v} must lie in [0, epochs={cfg.epochs}]")
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed + 1)
    if cfg.arch not in ARCHS:
        raise TrainConfigError(f"unknown arch {cfg.arch!r}; expected one of {', '.join(ARCHS)}")
    model = ARCHS[cfg.arch](cfg.width, num_classes, x_train.shape[1], x_train.shape[-1])
    if cfg.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    elif cfg.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    else:
        raise TrainConfigError(f"unknown optimizer {cfg.optimizer!r}; expected 'adam' or 'sgd'")
    drops = cfg.drop_epochs()
    averager = WeightAverager() if use_swa else None
    log: list[dict] = []
    n = len(x_train)
    epochs = range(cfg.epochs)
    if progress:
        from tqdm import tqdm

        epochs = tqdm(epochs, desc=cfg.method, leave=False)
    for epoch in epochs:
        lr = cfg.lr * 0.1 ** sum(epoch >= d for d in drops)
        for g in opt.param_groups:
            g["lr"] = lr
        fr_on = use_fr and epoch >= start
        ramp = min(1.0, (epoch + 1) / cfg.eps_warmup) if cfg.eps_warmup > 0 else 1.0
        atk = replace(cfg.attack, eps=cfg.attack.eps * ramp, alpha=cfg.attack.alpha * ramp)
        model.train()
        perm = torch.randperm(n, generator=gen)
        tot = {"loss": 0.0, "ce": 0.0, "fr": 0.0, "correct": 0}
        for i in range(0, n, cfg.batch_size):
            idx = perm[i : i + cfg.batch_size]
            xb, yb = x_train[idx], y_train[idx]
            if cfg.flip:
                xb = torch.where(torch.rand(len(idx), 1, 1, 1, generator=gen) < 0.5, xb.flip(3), xb)
            x_in = pgd(model, xb, yb, atk, backend=cfg.attack_backend, generator=gen) if adv else xb
            logits = model(x_in)
            ce = F.cross_entropy(logits, yb)
            loss = ce
            if fr_on:
                fr = frequency_regularizer(model(xb), logits)
                loss = ce + cfg.fr_lambda * fr
                tot["fr"] += float(fr.detach()) * len(idx)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot["loss"] += float(loss.detach()) * len(idx)
            tot["ce"] += float(ce.detach()) * len(idx)
            tot["correct"] += int((logits.argmax(1) == yb).sum())
        if averager is not None and epoch + 1 > swa_start:
            averager.update(model)
        log.append({
            "epoch": epoch + 1, "lr": lr, "fr_on": fr_on, "loss": tot["loss"] / n, "ce": tot["ce"] / n,
            "fr": tot["fr"] / n, "train_acc": tot["correct"] / n,
        })
    model.eval()
    if averager is None:
        return model, log
    if snapshots is not None:
        snapshots[cfg.method.replace("-SWA", "")] = model
    if averager.n == 0:
        averager.update(model)
    swa = refresh_bn(averager.model(), x_train).eval()
    log[-1]["swa_snapshots"] = averager.n
    return swa, log
