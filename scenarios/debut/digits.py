"""The all-DeBut digits LeNet as a trained, exported model: variant ``"debut"`` of the runner.

:func:`train_debut_digits` builds :func:`codesign.models.nets.lenet.all_debut_lenet`
(every conv/linear a generated DeBut chain, shrink level 2, random init, seeded) and trains it with
:func:`codesign.models.debut.swap.finetune` (Adam 3e-3, cosine schedule, batch 64, 30 epochs by default)
on the digits split of :func:`codesign.models.data.digits.load_digits_tensors` (seed 0) — the recipe
of the "all-DeBut" model of ``codesign debut hw``. Training is repeatable: one intra-op thread, deterministic algorithms, the
model/data seeds, and denormal floats flushed to zero while training (export uses IEEE arithmetic).
Training takes 5–6.5 s on one core of the 2-vCPU dev machine (AMD EPYC, 30 epochs, measured
``train_time_s``; seed 0: 96.67 % test accuracy). :func:`export_debut_digits` writes the eval model
with golden vectors and the test set (``debut_linear`` / ``debut_conv2d`` layers, ``models/export.py``).
``codesign.scenarios.runner.get_model("debut", settings)`` caches the file like the PECAN models.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

from codesign.errors import CodesignError

#: the settings that change the trained DeBut network (others, e.g. PECAN prototype counts, do not)
KEY_SETTINGS = ("seed", "epochs", "golden_size")
#: repo files whose change invalidates a cached DeBut model
SOURCES = ("models/debut/layers.py", "models/debut/chain.py", "models/debut/export.py", "models/debut/swap.py",
           "models/nets/lenet.py", "models/data/digits.py", "models/export.py", "models/metrics.py",
           "scenarios/debut/digits.py", "sim/format.py", "sim/layer_schema.py")
DEFAULT_EPOCHS = 30


class DeButTrainingError(CodesignError, ValueError):
    """Bad DeBut training settings, or training diverged."""


def key_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The part of ``settings`` the DeBut model depends on (epochs None -> the default)."""
    out = {k: settings.get(k) for k in KEY_SETTINGS}
    out["epochs"] = int(out["epochs"] or DEFAULT_EPOCHS)
    return out


@contextlib.contextmanager
def repeatable():
    """One intra-op thread plus the training context of models/train.py (deterministic algorithms,
    flushed denormals); restored after."""
    import torch

    from codesign.models.train import deterministic_training

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with deterministic_training():
            yield
    finally:
        torch.set_num_threads(threads)


def train_debut_digits(seed: int = 0, epochs: int | None = None):
    """Train the all-DeBut LeNet on digits -> (eval model, metrics with ``test_accuracy``, ``train_time_s``)."""
    from codesign.models.data.digits import load_digits_tensors
    from codesign.models.debut.swap import finetune
    from codesign.models.metrics import accuracy
    from codesign.models.nets.lenet import all_debut_lenet

    epochs = int(epochs or DEFAULT_EPOCHS)
    if epochs < 1:
        raise DeButTrainingError(f"[model] epochs = {epochs}; expected >= 1 for variant 'debut'")
    xtr, ytr, xte, yte = load_digits_tensors(0)
    t0 = time.perf_counter()
    with repeatable():
        model = all_debut_lenet(seed=int(seed))
        losses = finetune(model, xtr, ytr, epochs=epochs, seed=int(seed))
    secs = time.perf_counter() - t0
    if not all(loss == loss for loss in losses):  # NaN check
        raise DeButTrainingError(f"variant 'debut', seed {seed}: training diverged (NaN loss)")
    model.eval()
    metrics = {"test_accuracy": accuracy(model, xte, yte), "train_accuracy": accuracy(model, xtr, ytr),
               "train_time_s": round(secs, 2), "epochs": epochs, "seed": int(seed), "final_loss": losses[-1]}
    return model, metrics


def export_debut_digits(path: Path, model, metrics: dict[str, Any], settings: dict[str, Any]) -> Path:
    """Write the trained model (atomic) with ``golden_size`` golden vectors and the whole test set."""
    from codesign.models.data.digits import load_digits_tensors
    from codesign.models.export import export_model

    _, _, xte, yte = load_digits_tensors(0)
    n_gold = int(settings.get("golden_size", 64))
    metadata = {"variant": "debut", "dataset": "sklearn digits", "network": "all-DeBut LeNet (shrink 2)",
                "train_settings": key_settings(settings), **metrics}
    return export_model(model, path, golden_inputs=xte[:n_gold], golden_labels=yte[:n_gold], test_inputs=xte,
                        test_labels=yte, name="digits-debut", metadata=metadata)
