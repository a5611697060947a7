"""EZCrop channel scores (FFT energy zone), HRank-style rank, L1 and random baselines, and
physical channel removal through Torch-Pruning.

EZCrop (Lin et al., WACV 2022), per feature map X (h×w) after ReLU:
E = log(1 + |fftshift(FFT2(X))|); centre (xc, yc) = (h/2, w/2) if even else ((h−1)/2, (w−1)/2);
step = 0 if xc−1 = 0 or yc−1 = 0 else min(⌈α(h−xc−1)⌉, ⌈α(w−yc−1)⌉) with α = 0.25;
zone = the (2·step+1)² square centred on (xc, yc); ratio = 1 − Σ_zone E / Σ E (an all-zero map
scores 0). The channel score is the ratio averaged over images; channels with the highest
scores are kept. HRank: mean matrix rank of the maps. L1: Σ|W| of the producing filter.

Which channels are pruned: the inner channels of every residual block — the outputs of the
first conv of a :class:`BasicBlock` (scored on ``relu1``'s output), so residual-coupled channels
stay intact; each such conv loses the same fraction ``ratio`` of its channels.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch_pruning as tp

from codesign.models.nets.resnets import BasicBlock

__all__ = ["ALPHA", "ezcrop_ratio", "ezcrop_ratio_reference", "zone_step", "rank_score", "collect_scores", "prune_channels",
           "EZCropImportance", "METHODS"]

ALPHA = 0.25
METHODS = ("ezcrop", "rank", "l1", "random")


def zone_step(h: int, w: int, alpha: float = ALPHA) -> tuple[int, int, int]:
    """(xc, yc, step) of the low-frequency zone for an h×w map, as published."""
    xc = h // 2 if h % 2 == 0 else (h - 1) // 2
    yc = w // 2 if w % 2 == 0 else (w - 1) // 2
    if xc - 1 == 0 or yc - 1 == 0:
        return xc, yc, 0
    return xc, yc, min(math.ceil(alpha * (h - xc - 1)), math.ceil(alpha * (w - yc - 1)))


@torch.no_grad()
def ezcrop_ratio(maps: torch.Tensor, alpha: float = ALPHA) -> torch.Tensor:
    """Per-map energy ratio outside the DC zone; ``maps`` [..., h, w] → [...] (float64).

    fftshift moves frequency 0 to index h//2 (= the published centre for even and odd h), so the
    shifted zone [xc−s, xc+s] is the frequency set {−s..s} mod h: the zone is summed on the
    unshifted spectrum with those indices (same value, no shift copy). Computed in float32.
    """
    h, w = maps.shape[-2:]
    e = torch.log1p(torch.fft.fft2(maps.float()).abs())
    _, _, s = zone_step(h, w, alpha)
    rows = torch.arange(-s, s + 1) % h
    cols = torch.arange(-s, s + 1) % w
    zone = e.index_select(-2, rows).index_select(-1, cols).sum(dim=(-2, -1)).double()
    total = e.sum(dim=(-2, -1)).double()
    return torch.where(total > 0, 1.0 - zone / total.clamp_min(1e-300), torch.zeros_like(total))


@torch.no_grad()
def ezcrop_ratio_reference(maps: torch.Tensor, alpha: float = ALPHA) -> torch.Tensor:
    """Literal published recipe (float64, explicit fftshift and centred crop); for checks."""
    h, w = maps.shape[-2:]
    e = torch.log1p(torch.fft.fftshift(torch.fft.fft2(maps.double()), dim=(-2, -1)).abs())
    xc, yc, s = zone_step(h, w, alpha)
    zone = e[..., xc - s:xc + s + 1, yc - s:yc + s + 1].sum(dim=(-2, -1))
    total = e.sum(dim=(-2, -1))
    return torch.where(total > 0, 1.0 - zone / total.clamp_min(1e-300), torch.zeros_like(total))


@torch.no_grad()
def rank_score(maps: torch.Tensor) -> torch.Tensor:
    """HRank: matrix rank of each map (SVD), [..., h, w] → [...]."""
    return torch.linalg.matrix_rank(maps.float()).double()


def _block_convs(model: nn.Module) -> list[BasicBlock]:
    return [m for m in model.modules() if isinstance(m, BasicBlock)]


@torch.no_grad()
def collect_scores(model: nn.Module, x: np.ndarray, method: str, seed: int = 0, batch_size: int = 64
                   ) -> tuple[dict[nn.Conv2d, torch.Tensor], float]:
    """Channel scores for every block's conv1 and the seconds spent computing the scores.

    The timed part is the score computation on the feature maps (FFT or SVD), not the forward
    passes that produce the maps, which both methods share.
    """
    blocks = _block_convs(model)
    if method in ("l1", "random"):
        t0 = time.perf_counter()
        rng = np.random.default_rng(seed)
        out = {b.conv1: (b.conv1.weight.abs().sum(dim=(1, 2, 3)).double() if method == "l1"
                         else torch.from_numpy(rng.random(b.conv1.out_channels))) for b in blocks}
        return out, time.perf_counter() - t0
    if method not in METHODS:
        raise ValueError(f"collect_scores: method must be one of {METHODS}, got {method!r}")
    fn = ezcrop_ratio if method == "ezcrop" else rank_score
    sums = {b.conv1: torch.zeros(b.conv1.out_channels, dtype=torch.float64) for b in blocks}
    spent = [0.0]
    hooks = []
    for b in blocks:
        def hook(mod, inp, out, conv=b.conv1):
            t0 = time.perf_counter()
            sums[conv] += fn(out).sum(dim=0)
            spent[0] += time.perf_counter() - t0
        hooks.append(b.relu1.register_forward_hook(hook))
    model.eval()
    try:
        xt = torch.as_tensor(x)
        for i in range(0, len(xt), batch_size):
            model(xt[i:i + batch_size])
    finally:
        for h in hooks:
            h.remove()
    return {c: s / len(x) for c, s in sums.items()}, spent[0]


class EZCropImportance(tp.importance.Importance):
    """Torch-Pruning importance that returns precomputed channel scores of a group's root conv."""

    def __init__(self, scores: dict[nn.Module, torch.Tensor]):
        self.scores = scores

    def __call__(self, group):
        for dep, idxs in group:
            layer = dep.target.module
            if layer in self.scores and dep.handler in (tp.prune_conv_out_channels,):
                return self.scores[layer].float()[list(idxs)] if len(idxs) != len(self.scores[layer]) \
                    else self.scores[layer].float()
        return None


def prune_channels(model: nn.Module, scores: dict[nn.Module, torch.Tensor], ratio: float,
                   input_shape=(3, 32, 32)) -> nn.Module:
    """Physically remove the lowest-scored ``ratio`` of channels of each scored conv (in place)."""
    scored = set(scores)
    ignored = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)) and m not in scored]
    pruner = tp.pruner.MetaPruner(model, torch.zeros(1, *input_shape), importance=EZCropImportance(scores),
                                  pruning_ratio=ratio, ignored_layers=ignored, global_pruning=False)
    pruner.step()
    return model
