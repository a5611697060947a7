"""Small trained models for the non-ideality tests (trained once per session, a few seconds)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
import tempfile

import numpy as np


@lru_cache(maxsize=1)
def digits_mlp() -> str:
    """A 64-48-10 MLP on 8x8 digits, exported with its test set; returns the HDF5 path."""
    import torch
    from torch import nn

    from codesign.models.data.digits import load_digits_tensors
    from codesign.models.debut.swap import finetune
    from codesign.models.export import export_model

    torch.set_num_threads(1)
    xtr, ytr, xte, yte = load_digits_tensors(0)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 48), nn.ReLU(), nn.Linear(48, 10))
    finetune(model, xtr, ytr, epochs=25, lr=3e-3, seed=0)
    folder = Path(tempfile.mkdtemp(prefix="nonideal-"))
    return str(export_model(model, folder / "mlp.h5", input_shape=(1, 8, 8), test_inputs=xte, test_labels=yte,
                            golden_inputs=xte[:32], golden_labels=yte[:32], name="mlp"))


def accuracy(path: str, seeds=(0, 1, 2), **crossbar) -> float:
    """Mean test accuracy over device instances (seeds) with the given crossbar fields."""
    from codesign.sim.engine import Simulator
    from codesign.sim.hardware import crossbar_hw

    return float(np.mean([Simulator(path, crossbar_hw(seed=s, **crossbar)).evaluate(progress=False).accuracy
                          for s in seeds]))
