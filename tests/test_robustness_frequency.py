"""Robustness area: centred-FFT low/high-pass filters and perturbation spectra."""

import numpy as np
import pytest
import torch

from codesign.models.robustness.frequency import (
    FilteredModel,
    band_mask,
    high_pass,
    low_pass,
    perturbation_spectrum,
    radial_profile,
)


def test_low_pass_full_band_is_identity():
    x = torch.rand(2, 3, 32, 32)
    assert torch.equal(low_pass(x, 32), x)
    # also through the FFT path with an odd size where b = N takes the general branch
    y = torch.rand(2, 3, 9, 9)
    assert torch.allclose(low_pass(y, 9), y, atol=1e-6)


def test_low_and_high_pass_are_complementary():
    x = torch.rand(2, 3, 32, 32, dtype=torch.float64)
    for b in (0, 8, 16, 31):
        assert torch.allclose(low_pass(x, b) + high_pass(x, b), x, atol=1e-10)
    assert torch.equal(high_pass(x, 0), x)


def test_low_pass_removes_high_frequency_keeps_dc():
    n = 32
    xx = torch.arange(n, dtype=torch.float64)
    hi = torch.cos(torch.pi * xx)[None, :].expand(n, n)  # Nyquist along width
    img = (0.5 + 0.2 * hi)[None, None]
    out = low_pass(img, 8)
    assert torch.allclose(out, torch.full_like(out, 0.5), atol=1e-10)


def test_band_mask_centred_and_validated():
    m = band_mask(32, 32, 4)
    assert m.sum() == 16 and m[16, 16] and m[14, 14] and not m[13, 16]
    with pytest.raises(ValueError):
        band_mask(32, 32, 33)


def test_filtered_model_and_spectrum():
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 32 * 32, 10))
    x = torch.rand(4, 3, 32, 32)
    assert torch.allclose(FilteredModel(model, 32)(x), model(x))
    delta = torch.zeros(4, 3, 32, 32)
    delta[..., :, :] = 0.01
    s = perturbation_spectrum(delta)
    assert s.shape == (32, 32) and np.argmax(s) == 16 * 32 + 16  # constant → DC only
    r, p = radial_profile(s)
    assert r[0] == 0 and p[0] > 0 and np.allclose(p[1:], 0)
