"""Cell-level twin of the crossbar programming model, in PyTorch (no ``sim`` import).

The same arithmetic as :func:`codesign.cam.crossbar.model.program` and
:mod:`codesign.cam.crossbar.nonideal`, on the rows of a weight matrix (one row per output): per-row
scale ``max|w| / (2^(wb-1)-1)``, integer codes, ``cell_bits`` slices per polarity, levels on top of
``g0``; programming noise N(0, sigma (L-1)) clipped at 0, stuck cells, drift ``(t/t0)^-nu`` with a
spread of nu; folded back to an effective weight ``scale x sum_s 2^(s c) (g+_s - g-_s)``. Read noise
per MVM is added to the outputs (:func:`read_noise`). IR drop and the ADC are left to the simulator.

Parameters come as a dict of ``CrossbarParams`` fields (e.g. ``HardwareConfig.to_dict()["crossbar"]``
with the technology's ``g_min_us``/``g_max_us``), passed in by the caller.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import torch

from codesign.errors import CodesignError


class TwinError(CodesignError, ValueError):
    """Bad twin parameters; the message names the field."""


@dataclass(frozen=True)
class TwinParams:
    """Non-ideality parameters of the twin (names and units as ``CrossbarParams``)."""

    cell_bits: int = 2
    weight_bits: int = 8
    g_min_us: float = 2.0
    g_max_us: float = 20.0
    prog_noise_sigma: float = 0.0
    read_noise_sigma: float = 0.0
    drift_time_s: float = 0.0
    drift_t0_s: float = 1.0
    drift_nu: float = 0.0
    drift_nu_sigma: float = 0.0
    stuck_on_rate: float = 0.0
    stuck_off_rate: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
                raise TwinError(f"twin parameter {f.name}={v!r}; expected a finite number >= 0")
        for key in ("stuck_on_rate", "stuck_off_rate"):
            if getattr(self, key) > 1:
                raise TwinError(f"twin parameter {key}={getattr(self, key)!r}; expected a rate in [0, 1]")
        if self.cell_bits < 1 or self.weight_bits < 2 or self.drift_t0_s <= 0 or self.g_max_us <= self.g_min_us:
            raise TwinError("twin parameters: expected cell_bits >= 1, weight_bits >= 2, drift_t0_s > 0, "
                            f"g_max_us > g_min_us; got {self}")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TwinParams":
        """From a dict of CrossbarParams fields (unknown keys ignored; ``weight_bits`` None -> 8)."""
        names = {f.name for f in fields(cls)}
        vals = {k: v for k, v in d.items() if k in names and v is not None}
        return cls(**vals)

    @property
    def levels(self) -> int:
        return 2**self.cell_bits

    @property
    def slices(self) -> int:
        return max(1, math.ceil((self.weight_bits - 1) / self.cell_bits))

    @property
    def g0(self) -> float:
        return (self.levels - 1) * self.g_min_us / (self.g_max_us - self.g_min_us)


def effective_weight(w: torch.Tensor, p: TwinParams, gen: torch.Generator | None = None) -> torch.Tensor:
    """A programmed instance of weight rows ``w`` [out, ...] (float64 math, returned in w's dtype)."""
    shape, dt = w.shape, w.dtype
    w2 = w.detach().reshape(shape[0], -1).double()
    L1, S = p.levels - 1, p.slices
    wmax = w2.abs().amax(dim=1, keepdim=True)
    scale = torch.where(wmax > 0, wmax / (2 ** (p.weight_bits - 1) - 1), torch.ones_like(wmax))
    q = torch.round(w2 / scale).long()
    weights = torch.tensor([2.0 ** (p.cell_bits * s) for s in range(S)], dtype=torch.float64)
    out = torch.zeros_like(w2)
    for sign, mag in ((1.0, q.clamp(min=0)), (-1.0, (-q).clamp(min=0))):
        lv = torch.stack([((mag >> (s * p.cell_bits)) & L1).double() for s in range(S)], dim=-1)  # [O, I, S]
        g = lv + p.g0
        if p.prog_noise_sigma > 0:
            g = (g + torch.randn(g.shape, generator=gen, dtype=torch.float64) * p.prog_noise_sigma * L1).clamp(min=0)
        if p.stuck_on_rate or p.stuck_off_rate:
            u = torch.rand(g.shape, generator=gen, dtype=torch.float64)
            g = torch.where(u < p.stuck_on_rate, torch.full_like(g, p.g0 + L1),
                            torch.where(u < p.stuck_on_rate + p.stuck_off_rate, torch.full_like(g, p.g0), g))
        if p.drift_time_s > p.drift_t0_s and (p.drift_nu or p.drift_nu_sigma):
            nu = (p.drift_nu + p.drift_nu_sigma * torch.randn(g.shape, generator=gen, dtype=torch.float64)).clamp(min=0)
            g = g * (p.drift_time_s / p.drift_t0_s) ** (-nu)
        out = out + sign * (g * weights).sum(-1)
    return (out * scale).reshape(shape).to(dt)


def read_noise(y: torch.Tensor, x: torch.Tensor, w: torch.Tensor, p: TwinParams,
               gen: torch.Generator | None = None) -> torch.Tensor:
    """Outputs y [N, out] with the read noise of one MVM of inputs x [N, in] on weight rows w [out, in].

    Per column the noise is N(0, sigma (L-1) |x|_2) in level x input units; folded over slices and
    polarities (2 sum_s 4^(s c)) and scaled to weight units by the row scale.
    """
    if p.read_noise_sigma <= 0:
        return y
    L1 = p.levels - 1
    wmax = w.detach().reshape(w.shape[0], -1).abs().amax(dim=1)
    scale = torch.where(wmax > 0, wmax / (2 ** (p.weight_bits - 1) - 1), torch.ones_like(wmax))
    fold = math.sqrt(2 * sum(4.0 ** (p.cell_bits * s) for s in range(p.slices)))
    std = p.read_noise_sigma * L1 * fold * x.detach().reshape(x.shape[0], -1).norm(dim=1, keepdim=True) * scale[None, :]
    noise = torch.randn(y.shape, generator=gen, dtype=y.dtype) if gen is not None else torch.randn_like(y)
    return y + noise * std.to(y.dtype)
