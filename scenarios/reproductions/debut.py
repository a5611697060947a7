"""DeBut (Lin et al., NeurIPS 2021) at its own benchmark: the paper's LeNet on real MNIST, its chains
(FC1 → DeBut, CONV2+FC1+FC2 → DeBut, all-DeBut) and equal-size baselines, over seeds.

Per seed: the dense LeNet (:func:`codesign.models.nets.lenet_mnist.lenet_mnist`) is trained, then each
swap starts from it and is fine-tuned: DeBut chains of :data:`DEBUT_PLAN_MNIST` (ALS warm start), a
truncated-SVD low-rank pair with the largest rank not above the DeBut layer's parameters, and the
power-of-two butterfly (:func:`butterfly_chain`; its size is fixed by the layer, so it is larger; ALS
warm start of 2 sweeps, not 6, as its 9 factors of 512×512 make ALS slow). all-DeBut: every layer a generated chain, trained from random init like the baseline.
Training: Adam + cosine (:func:`codesign.models.debut.swap.finetune`), deterministic, ``RECIPE`` epochs.
"""

from __future__ import annotations

from pathlib import Path

from codesign.scenarios.reproductions.common import cache_path, cached, check_seeds, run_tasks

__all__ = ["RECIPE", "ROWS", "GROUPS", "debut_seed", "run_debut"]

#: epochs: dense baseline and all-DeBut from scratch; swaps fine-tuned from the trained baseline
RECIPE = {"train_epochs": 8, "finetune_epochs": 4, "lr": 3e-3, "finetune_lr": 2e-3, "batch": 64,
          "butterfly_als_sweeps": 2}
GROUPS = {"fc1": ["fc1"], "c2f1f2": ["conv2", "fc1", "fc2"]}
ROWS = {
    "baseline": ("LeNet baseline", "-", "dense, trained"),
    "fc1-debut": ("FC1 → DeBut", "fc1", "ALS + fine-tune"),
    "fc1-lowrank": ("FC1 → low-rank SVD", "fc1", "SVD + fine-tune"),
    "fc1-butterfly": ("FC1 → butterfly (2^m)", "fc1", "ALS + fine-tune"),
    "c2f1f2-debut": ("CONV2+FC1+FC2 → DeBut", "conv2,fc1,fc2", "ALS + fine-tune"),
    "c2f1f2-lowrank": ("CONV2+FC1+FC2 → low-rank SVD", "conv2,fc1,fc2", "SVD + fine-tune"),
    "c2f1f2-butterfly": ("CONV2+FC1+FC2 → butterfly (2^m)", "conv2,fc1,fc2", "ALS + fine-tune"),
    "all-debut": ("all-DeBut (generator, shrink 2)", "all", "random, trained"),
}
SOURCES = ("models/nets/lenet_mnist.py", "models/debut/layers.py", "models/debut/chain.py",
           "models/debut/initialization.py", "models/debut/swap.py", "scenarios/reproductions/debut.py")


def _sizes(mod) -> tuple[int, int]:
    from torch import nn

    if isinstance(mod, nn.Linear):
        return mod.out_features, mod.in_features
    return mod.out_channels, mod.weight[0].numel()


def debut_seed(seed: int = 0, *, data_dir: str | Path | None = None, recipe: dict | None = None,
               rows: tuple[str, ...] = tuple(ROWS), n_train: int | None = None) -> dict:
    """Train the baseline and every row of ``rows`` at one seed -> {row: {accuracy, params, macs}}."""
    import time

    import torch

    from codesign.models.data.mnist import load_mnist_split
    from codesign.models.debut.layers import chain_params
    from codesign.models.debut.swap import finetune, lowrank_rank_for, swap_layers, swap_lowrank
    from codesign.models.metrics import accuracy, count_macs, count_params
    from codesign.models.nets.lenet_mnist import (DEBUT_PLAN_MNIST, INPUT_SHAPE, all_debut_lenet_mnist,
                                                  butterfly_chain, lenet_mnist)
    from codesign.models.train import deterministic_training

    t0 = time.perf_counter()
    rc = {**RECIPE, **(recipe or {})}
    sp = load_mnist_split(seed=0, data_dir=data_dir)
    n = n_train or len(sp.x_train)
    xtr, ytr = torch.from_numpy(sp.x_train[:n]), torch.from_numpy(sp.y_train[:n])
    xte, yte = torch.from_numpy(sp.x_test), torch.from_numpy(sp.y_test)
    out: dict = {"threads": torch.get_num_threads(), "num_train": n, "num_test": len(xte)}

    def record(row, model, extra=None):
        out[row] = {"accuracy": accuracy(model, xte, yte), "params": count_params(model),
                    "macs": count_macs(model, INPUT_SHAPE), **(extra or {})}

    def tune(model, epochs, lr):
        losses = finetune(model, xtr, ytr, epochs=epochs, lr=lr, batch=rc["batch"], seed=seed)
        if not all(v == v for v in losses):
            raise FloatingPointError(f"DeBut reproduction, seed {seed}: training diverged (NaN loss)")

    with deterministic_training():
        base = lenet_mnist(seed=seed)
        tune(base, rc["train_epochs"], rc["lr"])
        record("baseline", base)
        for group, names in GROUPS.items():
            if not any(r.startswith(group + "-") for r in rows):
                continue
            debut = swap_layers(base, {k: DEBUT_PLAN_MNIST[k] for k in names}, init="als", seed=seed)
            chains = {k: [f.as_list() for f in debut.get_submodule(k).chain] for k in names}
            if f"{group}-debut" in rows:
                tune(debut, rc["finetune_epochs"], rc["finetune_lr"])
                record(f"{group}-debut", debut, {"chains": chains})
            if f"{group}-lowrank" in rows:
                ranks = {k: lowrank_rank_for(*_sizes(base.get_submodule(k)), chain_params(chains[k])) for k in names}
                m = swap_lowrank(base, ranks)
                tune(m, rc["finetune_epochs"], rc["finetune_lr"])
                record(f"{group}-lowrank", m, {"ranks": ranks})
            if f"{group}-butterfly" in rows:
                bf = {k: butterfly_chain(*_sizes(base.get_submodule(k))) for k in names}
                m = swap_layers(base, bf, init="als", sweeps=rc["butterfly_als_sweeps"], seed=seed)
                tune(m, rc["finetune_epochs"], rc["finetune_lr"])
                record(f"{group}-butterfly", m, {"sizes": {k: c[0][0] for k, c in bf.items()}})
        if "all-debut" in rows:
            m = all_debut_lenet_mnist(seed=seed)
            tune(m, rc["train_epochs"], rc["lr"])
            record("all-debut", m)
    out["time_s"] = round(time.perf_counter() - t0, 1)
    return out


def _task(seed: int, settings: dict, use_cache: bool) -> dict:
    path = cache_path("debut-mnist", "all-rows", seed, settings, SOURCES)
    return cached(path, lambda: debut_seed(seed, data_dir=settings["data_dir"]), use_cache)


def run_debut(seeds: int = 3, threads: int = 1, jobs: int = 1, data_dir: str | Path | None = None,
              use_cache: bool = True) -> dict:
    """Every row at every seed (trained now or from the cache): {"seeds": [per-seed dicts], ...}."""
    seeds = check_seeds(seeds)
    settings = {"threads": threads, "recipe": RECIPE, "data_dir": str(data_dir) if data_dir else None}
    per_seed = run_tasks(_task, [(s, settings, use_cache) for s in range(seeds)], threads=threads, jobs=jobs)
    return {"threads": threads, "seeds": per_seed, "data_dir": settings["data_dir"], "recipe": RECIPE}
