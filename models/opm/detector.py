"""Small supervised tap classifiers over OPM windows: a 1-D CNN and its PECAN-D version.

Input (F, C, window): feature rows × WDM channels × time. The net first averages over the channels
(``AvgPool2d((C, 1))``; a tap is flat across channels, averaging divides the reading noise by ~sqrt(C)),
then two 1-D convolutions over time, expressed as ``Conv2d`` with kernel (1, k) and stride (1, 2), and
a linear classifier over the classes of the data set (normal, tap, bend, connector, ...). The PECAN-D
version replaces both convolutions and the linear layer by PECAN layers (subvectors of k time steps of
one feature row: L1 nearest-prototype search on the CAM, then table additions). Training happens on
channel-averaged windows (the net without its pool: identical arithmetic, C times less memory).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
from torch import nn

from codesign.errors import CodesignError
from codesign.models.data.digits import Split
from codesign.models.pecan.layers import PecanConv2d, PecanLinear
from codesign.models.train import TrainConfig, train_model

VARIANTS = ("cnn", "pecan_d")


class DetectorError(CodesignError, ValueError):
    """Bad detector configuration."""


@dataclass(frozen=True)
class DetectorShape:
    """Input and size of a detector: feature rows, WDM channels, window (samples), classes; conv width,
    kernel (time steps) and PECAN prototypes per subspace."""

    n_features: int
    n_channels: int
    window: int = 32
    n_classes: int = 7
    width: int = 16
    kernel: int = 5
    num_prototypes: int = 16

    def time_steps(self) -> tuple[int, int]:
        t1 = (self.window - self.kernel) // 2 + 1
        t2 = (t1 - self.kernel) // 2 + 1
        if t2 < 1:
            raise DetectorError(f"window {self.window} too short for two convolutions of kernel {self.kernel}")
        return t1, t2


def build_detector(variant: str, shape: DetectorShape) -> nn.Sequential:
    """``pool, conv, relu, conv, relu, flatten, linear`` (PECAN-D layers for ``variant="pecan_d"``)."""
    if variant not in VARIANTS:
        raise DetectorError(f"detector variant {variant!r}; expected one of {VARIANTS}")
    s = shape
    _, t2 = s.time_steps()
    k, w = (1, s.kernel), s.width
    if variant == "cnn":
        c1 = nn.Conv2d(s.n_features, w, k, stride=(1, 2))
        c2 = nn.Conv2d(w, w, k, stride=(1, 2))
        fc = nn.Linear(w * t2, s.n_classes)
    else:
        pk = dict(num_prototypes=s.num_prototypes, mode="distance")
        c1 = PecanConv2d(s.n_features, w, k, stride=(1, 2), **pk)
        c2 = PecanConv2d(w, w, k, stride=(1, 2), **pk)
        fc = PecanLinear(w * t2, s.n_classes, subvector_dim=t2, **pk)
    return nn.Sequential(nn.AvgPool2d((s.n_channels, 1)), c1, nn.ReLU(), c2, nn.ReLU(), nn.Flatten(), fc)


def train_config(variant: str, epochs: int, seed: int) -> TrainConfig:
    """Hyper-parameters: Adam; PECAN-D warms up dense for a third of the epochs, then anneals the
    temperature and trains with the hard (inference) assignment, as the digits PECAN-D recipe does."""
    if variant == "cnn":
        return TrainConfig(epochs=epochs, batch_size=128, lr=3e-3, seed=seed)
    return TrainConfig(epochs=epochs, batch_size=128, lr=3e-3, warmup_epochs=max(1, epochs // 3),
                       hard_fraction=1.0, t_start=0.3, t_floor=0.05, seed_full=True, seed=seed)


def train_detector(variant: str, shape: DetectorShape, x_train, y_train, x_val, y_val, *, epochs: int = 12,
                   seed: int = 0, progress: bool = False) -> tuple[nn.Sequential, dict]:
    """Train on channel-averaged windows (N, F, 1, window); return the full (pool-first) eval model,
    PECAN layers calibrated and frozen (its quantized arithmetic is what the exporter writes), and metrics."""
    torch.manual_seed(seed)
    model = build_detector(variant, shape)
    body = model[1:]
    data = Split(x_train, y_train, x_val, y_val, name="opm-windows")
    with one_thread():
        body, metrics = train_model(body, data, train_config(variant, epochs, seed), progress=progress,
                                    desc=f"opm-{variant}")
    model = nn.Sequential(model[0], *body)
    metrics.update(variant=variant, seed=seed)
    return model.eval(), metrics


@contextlib.contextmanager
def one_thread():
    """Run torch on one thread: these nets are too small to gain from more, and on a loaded 2-core
    machine the thread pool's synchronisation made training 20x slower."""
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(prev)


@torch.no_grad()
def predict_pooled(model: nn.Sequential, x_pooled, batch_size: int = 4096) -> torch.Tensor:
    """Class predictions (N,) for channel-averaged windows (the model without its pool)."""
    body = model[1:].eval()
    x = torch.as_tensor(x_pooled)
    if not len(x):
        return torch.zeros(0, dtype=torch.int64)
    with one_thread():
        return torch.cat([body(x[i:i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)])
