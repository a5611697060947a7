"""Per-sample perturbations of a line (drift, events) that ``Line.evaluate`` applies to many time samples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class LineState:
    """Per-sample perturbations (S samples). Shapes: (S, C) per channel, (S, n_spans), (S, n_amps)."""

    n_samples: int
    tx_power_offset_db: np.ndarray | None = None
    channel_on: np.ndarray | None = None
    span_extra_loss_db: np.ndarray | None = None
    tap_position_km: np.ndarray | None = None
    amp_gain_offset_db: np.ndarray | None = None
