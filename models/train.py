"""Seeded, deterministic training of the digits CNN variants (baseline, PECAN-A, PECAN-D).

``train_digits(variant)`` builds the net, trains it (temperature annealed exponentially from
``t_start`` to ``t_floor``; straight-through hard assignment in the last ``hard_fraction`` of
the epochs so training sees the inference assignment), calibrates the activation ranges on the
training set, folds BatchNorm, freezes the PECAN layers and reports the *quantized* hard-inference
test accuracy (the arithmetic that is exported and simulated).
"""

from __future__ import annotations

import contextlib
import copy
import math
import sys
import time
from dataclasses import asdict, dataclass, field, fields, replace

import torch
import torch.nn.functional as F
from torch import nn

from codesign.errors import CodesignError
from codesign.models.data.digits import Split, load_digits_split
from codesign.models.nets.digits import VARIANTS, NetConfig, build_digits_net, fold_batchnorm
from codesign.models.pecan.layers import (calibrate, codebook_loss, freeze_model, pecan_modules, seed_prototypes, set_dense,
                                   set_hard, set_temperature)


class TrainingError(CodesignError, ValueError):
    """Training diverged (NaN/negative loss) or was configured wrongly."""


@dataclass
class TrainConfig:
    """Training hyper-parameters (defaults reach the accuracy targets on digits in a few seconds)."""

    epochs: int = 30
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 0.0
    optimizer: str = "adam"  # "adam" or "sgd" (momentum 0.9)
    t_start: float = 1.0  # temperature at the first step
    t_floor: float = 0.05  # temperature after the anneal
    anneal_fraction: float = 0.6  # fraction of the steps over which T decays exponentially to t_floor
    hard_fraction: float = 0.25  # last fraction of the epochs trained with straight-through hard assignment
    warmup_epochs: int = 0  # PECAN: first epochs as the dense network with the same weights
    seed_full: bool = False  # PECAN: seed prototypes by k-means over the whole training set, layer by layer
    augment_shift: int = 0  # random image translation by up to this many pixels (zero fill); 0 = off
    augment_epochs: int | None = None  # augment only in the first this many epochs (None: all epochs)
    label_smoothing: float = 0.0  # cross-entropy label smoothing
    augment_noise: float = 0.0  # PECAN phase: Gaussian pixel noise of this std on training images; 0 = off
    distill_weight: float = 0.0  # PECAN: weight of distillation from the dense net at the end of the warm-up
    distill_temperature: float = 4.0  # softmax temperature of the distillation loss
    codebook_weight: float = 1.0  # weight of the PECAN codebook loss (prototypes follow their inputs)
    seed: int = 0
    split_seed: int = 0
    net: NetConfig = field(default_factory=NetConfig)


def default_config(variant: str) -> TrainConfig:
    """Default hyper-parameters per variant (tuned on digits, see docs/pecan.md)."""
    if variant not in VARIANTS:
        raise TrainingError(f"unknown variant {variant!r}; expected one of {VARIANTS}")
    net = NetConfig(batchnorm=True, num_prototypes=32)
    if variant == "baseline":
        return TrainConfig(epochs=30, augment_shift=1, net=net)
    if variant == "pecan_a":
        return TrainConfig(epochs=30, warmup_epochs=10, hard_fraction=1.0, t_start=0.1, t_floor=0.02, net=net)
    return TrainConfig(epochs=30, warmup_epochs=10, hard_fraction=1.0, t_start=0.3, t_floor=0.05, net=net)


class TemperatureSchedule:
    """Exponential decay from ``start`` to ``floor`` over the first ``fraction`` of ``total_steps``."""

    def __init__(self, start: float, floor: float, total_steps: int, fraction: float = 0.6) -> None:
        if not (start > 0 and floor > 0):
            raise TrainingError(f"temperatures must be > 0; got start={start}, floor={floor}")
        self.start, self.floor = start, floor
        self.anneal_steps = max(1, int(round(total_steps * fraction)))

    def __call__(self, step: int) -> float:
        t = min(step / self.anneal_steps, 1.0)
        return float(self.start * (self.floor / self.start) ** t)


@contextlib.contextmanager
def deterministic_training():
    """Deterministic algorithms, and denormal floats flushed to zero while training.

    Without the flush, weights and activations that decay into the denormal range make CPU
    training of the baseline ~80x slower (273 s instead of 3.4 s for 30 epochs on digits).
    The flush is switched off again afterwards, so evaluation and export use IEEE arithmetic
    exactly as the simulator does.
    """
    prev = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)
        torch.use_deterministic_algorithms(prev)


def _shift(x: torch.Tensor, s: int, gen: torch.Generator) -> torch.Tensor:
    """Translate every image by a random (dy, dx) in [-s, s]² with zero fill."""
    n, _, h, w = x.shape
    padded = F.pad(x, (s, s, s, s))
    off = torch.randint(0, 2 * s + 1, (n, 2), generator=gen).tolist()
    return torch.stack([padded[i, :, dy:dy + h, dx:dx + w] for i, (dy, dx) in enumerate(off)])


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 512) -> float:
    """Top-1 accuracy in eval mode."""
    model.eval()
    correct = 0
    for i in range(0, len(x), batch_size):
        correct += int((model(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum())
    return correct / max(len(x), 1)


def _progress(total: int, enabled: bool, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not (enabled and sys.stderr.isatty()), leave=False)


def train_model(model: nn.Module, data: Split, cfg: TrainConfig, *, progress: bool = True,
                desc: str = "train") -> tuple[nn.Module, dict]:
    """Train ``model`` on ``data``; return the inference-ready (BN-folded, frozen, eval) model and metrics."""
    xtr, ytr = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)
    xte, yte = torch.from_numpy(data.x_test), torch.from_numpy(data.y_test)
    params = list(model.parameters())
    if cfg.optimizer == "adam":
        opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    elif cfg.optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
    else:
        raise TrainingError(f"optimizer {cfg.optimizer!r}; expected 'adam' or 'sgd'")
    is_pecan = bool(pecan_modules(model))
    steps_per_epoch = math.ceil(len(xtr) / cfg.batch_size)
    total = cfg.epochs * steps_per_epoch
    warm_steps = min(cfg.warmup_epochs, cfg.epochs) * steps_per_epoch if is_pecan else 0
    sched = TemperatureSchedule(cfg.t_start, cfg.t_floor, max(total - warm_steps, 1), cfg.anneal_fraction)
    lr_sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(total, 1))
    gen = torch.Generator().manual_seed(cfg.seed)
    hard_from = cfg.epochs - int(round((cfg.epochs - cfg.warmup_epochs) * cfg.hard_fraction))
    t0, c0 = time.perf_counter(), time.process_time()
    step, loss_v = 0, float("nan")
    teacher: nn.Module | None = None
    with deterministic_training(), _progress(cfg.epochs, progress, desc) as bar:
        for epoch in range(cfg.epochs):
            model.train()
            set_hard(model, is_pecan and epoch >= hard_from)
            if is_pecan and cfg.seed_full and epoch == min(cfg.warmup_epochs, cfg.epochs - 1):
                seed_prototypes(model, xtr)
            set_dense(model, is_pecan and epoch < cfg.warmup_epochs)
            if is_pecan and cfg.distill_weight and teacher is None and epoch >= cfg.warmup_epochs:
                teacher = copy.deepcopy(model).eval()  # the dense warm-up net teaches the PECAN net
                set_dense(teacher, True)
            perm = torch.randperm(len(xtr), generator=gen)
            tot, n = 0.0, 0
            for i in range(0, len(xtr), cfg.batch_size):
                idx = perm[i:i + cfg.batch_size]
                set_temperature(model, sched(max(step - warm_steps, 0)))
                aug = cfg.augment_shift and (cfg.augment_epochs is None or epoch < cfg.augment_epochs)
                xb = _shift(xtr[idx], cfg.augment_shift, gen) if aug else xtr[idx]
                if cfg.augment_noise and epoch >= cfg.warmup_epochs:
                    xb = xb + cfg.augment_noise * torch.randn(xb.shape, generator=gen)
                logits = model(xb)
                loss = F.cross_entropy(logits, ytr[idx], label_smoothing=cfg.label_smoothing)
                if teacher is not None:
                    tk = cfg.distill_temperature
                    with torch.no_grad():
                        target = F.softmax(teacher(xb) / tk, dim=1)
                    kd = F.kl_div(F.log_softmax(logits / tk, dim=1), target, reduction="batchmean") * tk * tk
                    loss = (1 - cfg.distill_weight) * loss + cfg.distill_weight * kd
                if is_pecan and cfg.codebook_weight:
                    loss = loss + cfg.codebook_weight * codebook_loss(model)
                loss_v = float(loss.detach())
                if not math.isfinite(loss_v) or loss_v < 0:
                    raise TrainingError(f"{desc}: loss became {loss_v} at epoch {epoch}, step {step}; "
                                        f"expected a finite non-negative value (lower lr={cfg.lr}?)")
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                lr_sched.step()
                step += 1
                tot, n = tot + loss_v * len(idx), n + len(idx)
            bar.set_postfix(loss=f"{tot / n:.4f}", T=f"{sched(max(step - warm_steps, 0)):.3g}")
            bar.update(1)
    set_hard(model, False)
    train_s, train_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    model.eval()
    float_acc = accuracy(model, xte, yte)
    model = fold_batchnorm(model) if isinstance(model, nn.Sequential) else model
    if is_pecan:
        calibrate(model, xtr)
        freeze_model(model)
    metrics = {
        "test_accuracy": accuracy(model, xte, yte),
        "train_accuracy": accuracy(model, xtr, ytr),
        "float_test_accuracy": float_acc,
        "final_train_loss": tot / max(n, 1),
        "train_time_s": train_s,
        "train_cpu_s": train_cpu_s,
        "epochs": cfg.epochs,
        "num_train": len(xtr),
        "num_test": len(xte),
        "num_parameters": int(sum(p.numel() for p in model.parameters())),
        "quantized": is_pecan,
    }
    return model.eval(), metrics


def make_config(variant: str, *, epochs: int | None = None, seed: int = 0, **hyper) -> TrainConfig:
    """``default_config(variant)`` with overrides; keys of :class:`NetConfig` go to ``cfg.net``."""
    cfg = default_config(variant)
    net_keys = {f.name for f in fields(NetConfig)}
    train_keys = {f.name for f in fields(TrainConfig)}
    unknown = set(hyper) - net_keys - train_keys
    if unknown:
        raise TrainingError(f"unknown hyper-parameters {sorted(unknown)}; expected some of "
                            f"{sorted((net_keys | train_keys) - {'net'})}")
    cfg = replace(cfg, **{k: v for k, v in hyper.items() if k in train_keys}, seed=seed)
    cfg.net = replace(cfg.net, **{k: v for k, v in hyper.items() if k in net_keys})
    if epochs is not None:
        cfg.epochs = int(epochs)
    if cfg.epochs < 1:
        raise TrainingError(f"epochs={cfg.epochs}; expected >= 1")
    return cfg


def train_digits(variant: str, *, epochs: int | None = None, seed: int = 0, progress: bool = True,
                 **hyper) -> tuple[nn.Module, dict]:
    """Train one digits CNN variant (``baseline``, ``pecan_a``, ``pecan_d``) → (eval model, metrics).

    Metrics: ``test_accuracy`` (quantized hard inference for PECAN), ``float_test_accuracy``,
    ``train_accuracy``, ``train_time_s``, ``config`` (all hyper-parameters), ...
    """
    cfg = make_config(variant, epochs=epochs, seed=seed, **hyper)
    data = load_digits_split(seed=cfg.split_seed)
    torch.manual_seed(cfg.seed)
    model = build_digits_net(variant, cfg.net)
    model, metrics = train_model(model, data, cfg, progress=progress, desc=variant)
    metrics.update(variant=variant, seed=seed, dataset="digits", config=asdict(cfg))
    return model, metrics
