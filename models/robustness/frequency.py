"""Frequency analysis of (robust) image classifiers.

Filters work in the centred 2-D FFT domain of each channel (DC at index ⌊N/2⌋ after ``fftshift``):

* ``low_pass(x, b)`` keeps the central b×b block of frequencies (|f| small), zeroes the rest;
  ``b = N`` is the identity.
* ``high_pass(x, b)`` zeroes the central b×b block and keeps the rest; ``b = 0`` is the identity
  and ``low_pass(x, b) + high_pass(x, b) = x``.

The filtered image is the real part of the inverse transform (the block for even b is not exactly
conjugate-symmetric). Filtered images are not clipped to [0, 1].

``accuracy_vs_band`` scores a model on filtered inputs; "under attack" means the attacker sees
the whole pipeline ``model(filter(x'))`` (white box, the filter is linear and differentiable).
``perturbation_spectrum`` is the mean magnitude of the centred FFT of perturbations δ = x' − x.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import torch.nn as nn

from codesign.errors import CodesignError

__all__ = [
    "band_mask",
    "low_pass",
    "high_pass",
    "FilteredModel",
    "accuracy_vs_band",
    "perturbation_spectrum",
    "radial_profile",
    "plot_accuracy_vs_band",
    "plot_spectra",
]


class FrequencyError(CodesignError, ValueError):
    """Bad frequency band or filter mode."""


def band_mask(h: int, w: int, b: int) -> torch.Tensor:
    """Boolean (h, w) mask of the central b×b block of a centred spectrum."""
    if not 0 <= b <= min(h, w):
        raise FrequencyError(f"band b={b} must lie in [0, {min(h, w)}] for {h}×{w} images")
    m = torch.zeros(h, w, dtype=torch.bool)
    r0, c0 = h // 2 - b // 2, w // 2 - b // 2
    m[r0 : r0 + b, c0 : c0 + b] = True
    return m


def _filter(x: torch.Tensor, b: int, keep_centre: bool) -> torch.Tensor:
    h, w = x.shape[-2:]
    if keep_centre and b == min(h, w) == h == w:
        return x
    if not keep_centre and b == 0:
        return x
    mask = band_mask(h, w, b).to(x.device)
    if not keep_centre:
        mask = ~mask
    spec = torch.fft.fftshift(torch.fft.fft2(x), dim=(-2, -1))
    spec = spec * mask
    return torch.fft.ifft2(torch.fft.ifftshift(spec, dim=(-2, -1))).real.to(x.dtype)


def low_pass(x: torch.Tensor, b: int) -> torch.Tensor:
    """Keep the central b×b frequencies of every channel of ``x`` (…, H, W)."""
    return _filter(x, b, True)


def high_pass(x: torch.Tensor, b: int) -> torch.Tensor:
    """Remove the central b×b frequencies of every channel of ``x`` (…, H, W)."""
    return _filter(x, b, False)


class FilteredModel(nn.Module):
    """``model(filter(x))``: the pipeline the attacker differentiates through."""

    def __init__(self, model: nn.Module, b: int, mode: str = "low"):
        super().__init__()
        if mode not in ("low", "high"):
            raise FrequencyError(f"filter mode {mode!r}; expected 'low' or 'high'")
        self.model, self.b, self.mode = model, int(b), mode

    def forward(self, x):
        f = low_pass if self.mode == "low" else high_pass
        return self.model(f(x, self.b))


def _acc(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def accuracy_vs_band(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    bands: list[int],
    mode: str = "low",
    attack: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> dict[str, list[float]]:
    """Clean (and, with ``attack``, adversarial) accuracy of ``model`` on ``mode``-pass inputs per band."""
    out: dict[str, list[float]] = {"band": [int(b) for b in bands], "clean": []}
    if attack is not None:
        out["adv"] = []
    for b in bands:
        fm = FilteredModel(model, b, mode).eval()
        out["clean"].append(_acc(fm, x, y))
        if attack is not None:
            out["adv"].append(_acc(fm, attack(fm, x, y), y))
    return out


def perturbation_spectrum(delta: torch.Tensor) -> np.ndarray:
    """Mean |centred FFT| over batch and channels of perturbations (N, C, H, W) → (H, W)."""
    spec = torch.fft.fftshift(torch.fft.fft2(delta.detach().double()), dim=(-2, -1)).abs()
    return spec.mean(dim=tuple(range(spec.dim() - 2))).numpy()


def radial_profile(spec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean of a centred (H, W) spectrum over rings of integer L∞ radius (the b/2 of the filters)."""
    h, w = spec.shape
    yy, xx = np.mgrid[0:h, 0:w]
    r = np.maximum(np.abs(yy - h // 2), np.abs(xx - w // 2))
    radii = np.arange(r.max() + 1)
    prof = np.array([spec[r == k].mean() for k in radii])
    return radii, prof


def plot_accuracy_vs_band(results: dict[str, dict[str, list[float]]], path, title: str = "") -> None:
    """``results[model_name]`` = output of :func:`accuracy_vs_band`; one line per model and metric."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for i, (name, r) in enumerate(results.items()):
        color = f"C{i}"
        ax.plot(r["band"], np.array(r["clean"]) * 100, "-o", color=color, label=f"{name} clean")
        if "adv" in r:
            ax.plot(r["band"], np.array(r["adv"]) * 100, "--s", color=color, label=f"{name} PGD")
    ax.set_xlabel("kept band b")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    _save(fig, path)


def plot_spectra(spectra: dict[str, np.ndarray], path) -> None:
    """Log-magnitude maps and radial profiles of perturbation spectra, one column per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(spectra)
    fig, axes = plt.subplots(1, n + 1, figsize=(3.2 * (n + 1), 3.2))
    for ax, (name, s) in zip(axes[:n], spectra.items()):
        ax.imshow(np.log10(s + 1e-12), cmap="viridis")
        ax.set_title(name, fontsize=9)
        ax.axis("off")
    for name, s in spectra.items():
        r, p = radial_profile(s)
        axes[n].plot(r, p / p.sum(), label=name)
    axes[n].set_xlabel("L∞ frequency radius")
    axes[n].set_ylabel("share of |FFT(δ)|")
    axes[n].legend(fontsize=7)
    fig.tight_layout()
    _save(fig, path)


def _save(fig, path) -> None:
    import os
    from pathlib import Path

    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    os.replace(tmp, path)
