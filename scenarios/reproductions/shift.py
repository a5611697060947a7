"""Shift-layer pruning (tensor-view paper, ASICON 2023) on real MNIST (or the generated shapes) with ShiftNet's module.

Per seed: a :class:`~codesign.models.compression.shift.ShiftResNet` with ShiftNet's ShiftConv
(``relu=True``: 1×1 conv → BN → ReLU → shift → 1×1 conv → BN) and a one-channel stem is trained
from scratch on MNIST; :func:`~codesign.models.compression.shift.select_shifts` picks shifts toward
:data:`RECIPE` ``target`` of the parameters (± 10 %) by held-out loss increase per saved parameter
(256 training-split images kept out of training); the picked ShiftConvs are merged into 1×1 convs and
the net is fine-tuned. LeNet-5 itself has no 3×3 convs to shift and 94 % of its parameters in its
fully connected layers, so the shift net is a ResNet on LeNet-5's data.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

from codesign.scenarios.reproductions.common import cache_path, cached, check_seeds, run_tasks

__all__ = ["RECIPE", "shift_seed", "run_shift"]

RECIPE = {"widths": (8, 16, 32), "blocks": (2, 2, 2), "expansion": 3, "epochs": 14, "lr": 0.05, "ft_epochs": 14,
          "ft_lr": 0.02, "batch_size": 64, "n_val": 256, "target": 0.5, "tolerance": 0.1}
#: (training, test) images of the shapes variant (``recipe={"dataset": "shapes"}``), as the compression study
SHAPES_SIZES = (4000, 1000)
SOURCES = ("models/compression/shift.py", "models/compression/training.py", "models/nets/resnets.py",
           "scenarios/reproductions/shift.py")


def shift_seed(seed: int, data_dir: str | None = None, recipe: dict | None = None) -> dict:
    """One seed: the trained ShiftResNet, the shift selection, and the pruned net before/after fine-tuning."""
    import torch

    from codesign.models.compression.shift import ShiftResNet, prune_shifts, select_shifts
    from codesign.models.compression.training import train
    from codesign.models.data.mnist import load_mnist_split
    from codesign.models.metrics import accuracy, count_params

    rc = {**RECIPE, **(recipe or {})}
    nv = rc["n_val"]
    if rc.get("dataset", "mnist") == "shapes":  # the generated 32x32 colour shapes (compression study's data)
        from codesign.models.data.shapes import make_shapes_dataset

        xa, ya, x_test, y_test = make_shapes_dataset(SHAPES_SIZES[0] + nv, SHAPES_SIZES[1], seed=0)
    else:
        d = load_mnist_split(seed=0, data_dir=data_dir)
        xa, ya, x_test, y_test = d.x_train, d.y_train, d.x_test, d.y_test
    xtr, ytr, xval, yval = xa[:-nv], ya[:-nv], xa[-nv:], ya[-nv:]
    fit = dict(batch_size=rc["batch_size"], augment=False)
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    net = ShiftResNet(tuple(rc["widths"]), tuple(rc["blocks"]), rc["expansion"], in_channels=xa.shape[1], relu=True)
    losses: list = []
    train(net, xtr, ytr, epochs=rc["epochs"], lr=rc["lr"], seed=seed, losses=losses, **fit)
    pruned = copy.deepcopy(net)
    sel = select_shifts(pruned, xval, yval, target_saving=rc["target"], tolerance=rc["tolerance"])
    prune_shifts(pruned, [r["index"] for r in sel if r["selected"]])
    before = accuracy(pruned, x_test, y_test)
    ft_losses: list = []
    train(pruned, xtr, ytr, epochs=rc["ft_epochs"], lr=rc["ft_lr"], seed=seed, losses=ft_losses, **fit)
    p0, p1 = count_params(net), count_params(pruned)
    return {"seed": seed, "num_train": len(xtr), "num_val": nv, "num_test": len(x_test),
            "accuracy": accuracy(net, x_test, y_test), "params": p0, "losses": losses,
            "pruned_params": p1, "saving": 1 - p1 / p0, "accuracy_pruned": before,
            "accuracy_ft": accuracy(pruned, x_test, y_test), "ft_losses": ft_losses,
            "selection": sel, "time_s": time.perf_counter() - t0, "threads": torch.get_num_threads()}


def _task(seed: int, settings: dict, use_cache: bool) -> dict:
    path = cache_path("shift-prune", f"shiftresnet-{settings['recipe'].get('dataset', 'mnist')}", seed, settings,
                      SOURCES)
    return cached(path, lambda: shift_seed(seed, settings["data_dir"], settings["recipe"]), use_cache)


def run_shift(seeds: int = 3, threads: int = 1, jobs: int = 1, data_dir: str | Path | None = None,
              use_cache: bool = True, recipe: dict | None = None) -> dict:
    """Every seed, trained or from the cache."""
    seeds = check_seeds(seeds)
    rc = {**RECIPE, **(recipe or {})}
    settings = {"threads": threads, "recipe": rc, "data_dir": str(data_dir) if data_dir else None}
    results = run_tasks(_task, [(s, settings, use_cache) for s in range(seeds)], threads=threads, jobs=jobs)
    return {"threads": threads, "seeds": results, "recipe": rc, "data_dir": settings["data_dir"]}
