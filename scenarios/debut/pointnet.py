"""All-DeBut PointNet vs equal-parameter SVD low-rank and magnitude pruning (``codesign debut pointnet``).

Per seed: the dense PointNet (:mod:`codesign.models.nets.pointnet`, no transform nets) is trained on the
generated shapes3d set (:mod:`codesign.models.data.pointclouds`; or ModelNet40 from ``data_dir``); then
``debut-als`` swaps every conv/linear for the chain of :func:`codesign.models.debut.alldebut.plan_for_ratio`
(≤ ``ratio`` of the dense parameters), warm-started by ALS from the trained weights, and fine-tunes;
``debut-random`` trains the same All-DeBut network from random init for as long as the baseline;
``svd`` (truncated SVD, rank r with r·(in+out) ≤ the chain's parameters per layer) and ``prune``
(keep as many largest-magnitude weights as the chain has parameters per layer, masked while fine-tuning)
start from the same trained baseline and fine-tune as long as ``debut-als`` (learning rates: :data:`LR`). Training uses
``train_points`` points per cloud (the first of each shuffled cloud); accuracies are on the test split at
that point count. Adam, cosine schedule, batch 32, one thread, deterministic. Each trained model is cached
under ``<cache root>/pointnet`` keyed by a hash of its kind, seed, settings and the code producing it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from dataclasses import asdict, dataclass, replace
from typing import Any, Callable

import numpy as np
import torch

from codesign.errors import CodesignError
from codesign.scenarios.debut.digits import repeatable

KINDS = ("dense", "debut-als", "debut-random", "svd", "prune")
LABELS = {"dense": "dense PointNet", "debut-als": "All-DeBut (ALS init)", "debut-random": "All-DeBut (random init)",
          "svd": "SVD low-rank (equal params)", "prune": "magnitude-pruned (equal params)"}
#: Adam learning rate per kind (the compressed networks share one)
LR = {"dense": 2e-3, "debut-als": 5e-3, "debut-random": 5e-3, "svd": 5e-3, "prune": 5e-3}
#: repo files whose change invalidates a cached PointNet model
SOURCES = ("models/data/pointclouds.py", "models/nets/pointnet.py", "models/debut/alldebut.py",
           "models/debut/chain.py", "models/debut/layers.py", "models/debut/initialization.py",
           "models/debut/swap.py", "scenarios/debut/pointnet.py")


class PointNetSettingsError(CodesignError, ValueError):
    """Bad settings for the PointNet study; the message names the field."""


@dataclass(frozen=True)
class PointNetSettings:
    n_train: int = 500           # generated clouds (balanced over 10 classes)
    n_test: int = 300
    train_points: int = 64       # points per cloud while training and scoring
    epochs: int = 20             # dense baseline and DeBut from random init
    ft_epochs: int = 12          # fine-tuning after a swap (ALS, SVD, pruning)
    ratio: float = 0.05          # All-DeBut parameters / dense parameters (upper bound)
    seeds: int = 3
    data_seed: int = 0
    data_dir: str | None = None  # ModelNet40 HDF5 release instead of the generated set

    def check(self) -> "PointNetSettings":
        for key in ("n_train", "n_test", "train_points", "epochs", "ft_epochs", "seeds"):
            if int(getattr(self, key)) < 1:
                raise PointNetSettingsError(f"{key} = {getattr(self, key)}; expected an integer >= 1")
        if not 0 < self.ratio < 1:
            raise PointNetSettingsError(f"ratio = {self.ratio}; expected 0 < ratio < 1")
        return self


QUICK = dict(n_train=200, n_test=100, train_points=32, epochs=3, ft_epochs=2, seeds=1)


def quick_settings(**kw: Any) -> PointNetSettings:
    return replace(PointNetSettings(**QUICK), **kw)


def load_data(s: PointNetSettings) -> dict[str, Any]:
    """Train/test tensors at ``train_points`` (N, 3, P, 1) and the full test clouds (N, 1024+, 3)."""
    from codesign.models.data.pointclouds import load_modelnet40, make_pointcloud_dataset, to_model_input

    if s.data_dir:
        xtr, ytr, xte, yte = load_modelnet40(s.data_dir, 1024)
        xtr, ytr, xte, yte = xtr[: s.n_train], ytr[: s.n_train], xte[: s.n_test], yte[: s.n_test]
    else:
        xtr, ytr, xte, yte = make_pointcloud_dataset(s.n_train, s.n_test, seed=s.data_seed, n_points=1024)
    p = s.train_points
    return {"xtr": torch.from_numpy(to_model_input(xtr[:, :p])), "ytr": torch.from_numpy(ytr),
            "xte": torch.from_numpy(to_model_input(xte[:, :p])), "yte": torch.from_numpy(yte),
            "test_clouds": xte, "num_classes": 40 if s.data_dir else 10}


def _key(kind: str, seed: int, s: PointNetSettings) -> str:
    from codesign.scenarios.cache import code_hash

    blob = json.dumps({"kind": kind, "seed": seed, **asdict(s), "seeds": None, "code": code_hash(SOURCES)},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def architecture(num_classes: int, seed: int = 0):
    from codesign.models.nets.pointnet import PointNet

    return PointNet(num_classes, seed=seed)


def _train(kind: str, seed: int, s: PointNetSettings, data: dict, get: Callable) -> tuple[Any, dict]:
    from codesign.models.debut.alldebut import lowrank_ranks, nonzero_params, plan_for_ratio, prune_to, remove_pruning
    from codesign.models.debut.layers import chain_params
    from codesign.models.debut.swap import finetune, swap_layers, swap_lowrank
    from codesign.models.metrics import accuracy, count_params

    xtr, ytr, xte, yte = data["xtr"], data["ytr"], data["xte"], data["yte"]
    plan = plan_for_ratio(architecture(data["num_classes"]), s.ratio)
    info: dict[str, Any] = {}
    if kind in ("dense", "debut-random"):
        model = architecture(data["num_classes"], seed)
        if kind == "debut-random":
            model = swap_layers(model, plan, init="random", seed=seed)
        epochs, lr = s.epochs, LR[kind]
    else:
        base, _ = get("dense", seed)
        if kind == "debut-als":
            model = swap_layers(base, plan, init="als", seed=seed)
        elif kind == "svd":
            ranks = lowrank_ranks(base, plan)
            model, info["ranks"] = swap_lowrank(base, ranks), ranks
        else:
            model = prune_to(copy.deepcopy(base), {n: chain_params(c) for n, c in plan.items()})
        info["acc_before_ft"] = accuracy(model, xte, yte)
        epochs, lr = s.ft_epochs, LR[kind]
    t0 = time.perf_counter()
    with repeatable():
        losses = finetune(model, xtr, ytr, epochs=epochs, lr=lr, batch=32, seed=seed)
    if not all(v == v for v in losses):
        raise PointNetSettingsError(f"{kind}, seed {seed}: training diverged (NaN loss)")
    params = nonzero_params(model) if kind == "prune" else count_params(model)
    if kind == "prune":
        remove_pruning(model)
    model.eval()
    info.update(params=params, test_accuracy=accuracy(model, xte, yte), train_time_s=round(time.perf_counter() - t0, 1),
                epochs=epochs, final_loss=losses[-1])
    return model, info


def trained_model(kind: str, seed: int, s: PointNetSettings, data: dict, log: Callable = print) -> tuple[Any, dict]:
    """The trained model of ``kind`` and seed (from the cache, or trained now and cached)."""
    from codesign.atomic import replacing
    from codesign.scenarios.cache import cache_root

    path = cache_root() / "pointnet" / f"{kind}-s{seed}-{_key(kind, seed, s)}.pt"
    if path.is_file():
        try:
            blob = torch.load(path, weights_only=False)
            return blob["model"], blob["info"]
        except Exception as exc:  # a broken cache file: train again
            log(f"[pointnet] cached {path.name} unusable ({exc}); retraining")
    log(f"[pointnet] training {kind}, seed {seed} ...")
    model, info = _train(kind, seed, s, data, lambda k, sd: trained_model(k, sd, s, data, log))
    log(f"[pointnet]   {kind} seed {seed}: {100 * info['test_accuracy']:.2f} % in {info['train_time_s']} s")
    with replacing(path, unique=True) as tmp:
        torch.save({"model": model, "info": info}, tmp)
    return model, info


def run_pointnet(s: PointNetSettings, log: Callable = print) -> tuple[list[dict], dict]:
    """Rows per kind (params, accuracy mean/std over seeds, drop vs dense) and info (chains, models of seed 0)."""
    from codesign.models.debut.alldebut import plan_for_ratio
    from codesign.models.debut.layers import chain_params

    s.check()
    data = load_data(s)
    per: dict[str, list[dict]] = {k: [] for k in KINDS}
    for seed in range(s.seeds):
        for kind in KINDS:
            per[kind].append(trained_model(kind, seed, s, data, log)[1])
    dense_params = per["dense"][0]["params"]
    dense_acc = np.array([m["test_accuracy"] for m in per["dense"]])
    rows = []
    for kind in KINDS:
        acc = np.array([m["test_accuracy"] for m in per[kind]])
        before = [m["acc_before_ft"] for m in per[kind] if "acc_before_ft" in m]
        rows.append({"kind": kind, "model": LABELS[kind], "params": per[kind][0]["params"],
                     "ratio": per[kind][0]["params"] / dense_params, "acc_mean": float(acc.mean()),
                     "acc_std": float(acc.std()), "drop_mean": float((dense_acc - acc).mean()),
                     "acc_before_ft": float(np.mean(before)) if before else None, "seeds": len(acc),
                     "epochs": per[kind][0]["epochs"]})
    plan = plan_for_ratio(architecture(data["num_classes"]), s.ratio)
    info = {"chains": {n: [f.as_list() for f in c] for n, c in plan.items()},
            "chain_params": {n: chain_params(c) for n, c in plan.items()},
            "ranks": per["svd"][0].get("ranks"), "settings": asdict(s), "data": data}
    return rows, info


def format_table(rows: list[dict]) -> str:
    lines = ["| model | params | % of dense | accuracy (%) mean ± std | drop (pts) | before fine-tuning (%) |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        before = "–" if r["acc_before_ft"] is None else f"{100 * r['acc_before_ft']:.1f}"
        lines.append(f"| {r['model']} | {r['params']:,} | {100 * r['ratio']:.2f} | {100 * r['acc_mean']:.2f} ± "
                     f"{100 * r['acc_std']:.2f} | {100 * r['drop_mean']:+.2f} | {before} |")
    return "\n".join(lines)
