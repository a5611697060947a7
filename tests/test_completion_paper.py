"""C2F at the paper's settings: zero padding, skip-scale variant, verdict line, and the PSNR direction."""

import numpy as np
import pytest

from codesign.optics.completion import C2F, CompletionInputError, HaLRTC
from codesign.optics.completion._base import psnr
from codesign.scenarios.completion.images import FINE_PARAMS, load_image
from codesign.scenarios.completion.paper import verdict


def _case(size=48, ratio=0.7, seed=0):
    img = load_image("astronaut", size)
    mask = np.random.default_rng(seed).random(img.shape) >= ratio
    return img, mask


def test_padding_keeps_shape_observed_entries_and_scores_the_image_only():
    img, mask = _case()
    c2f = C2F(HaLRTC(alpha=[1, 1, 1e-3]), grids=(2,), pad=5, coarse_iter=20, fine_iter=10, seed=1)
    x = c2f.complete(img, mask, reference=img, data_range=1.0, progress=False)
    assert x.shape == img.shape and c2f.coarse_.shape == img.shape
    assert np.array_equal(x[mask], img[mask])
    assert c2f.stages_[-1]["psnr"] == pytest.approx(psnr(x, img, 1.0))
    unpadded = C2F(HaLRTC(alpha=[1, 1, 1e-3]), grids=(2,), coarse_iter=20, fine_iter=10, seed=1)
    assert not np.allclose(unpadded.complete(img, mask, progress=False), x)  # the padding changes the solve
    with pytest.raises(CompletionInputError, match="pad"):
        C2F(HaLRTC(), pad=-1).complete(img, mask, progress=False)


def test_skip_scale_is_coarse_plus_finest_grid():
    assert C2F(HaLRTC(), grids=(16,)).grid_sizes() == [16]
    assert C2F(HaLRTC(), n_scales=5).grid_sizes() == [2, 4, 8, 16]


def test_c2f_with_padding_beats_its_base_on_a_real_image():
    """The paper's direction at CI size: 64-px astronaut, 70 % missing, 3 scales, 5-px zero padding."""
    img, mask = _case(64, 0.7)
    base = HaLRTC(alpha=[1.0, 1.0, 1e-3], max_iter=100, tol=0.0)
    xb = base.complete(img, mask, progress=False)
    c2f = C2F(base, grids=(2, 4), pad=5, coarse_iter=100, fine_iter=50, fine_params=FINE_PARAMS, seed=0)
    xc = c2f.complete(img, mask, progress=False)
    assert psnr(np.clip(xc, 0, 1), img, 1.0) > psnr(np.clip(xb, 0, 1), img, 1.0) + 0.05


def _row(base, c2f, skip):
    return {"base_psnr": base, "c2f_psnr": c2f, "skip_psnr": skip, "base_ssim": 0.7, "c2f_ssim": 0.8}


def test_verdict_counts_cases():
    assert "? yes" in verdict([_row(20, 21, 20.5)] * 3)
    assert "? partly" in verdict([_row(20, 21, 22)] * 2 + [_row(20, 19, 18)])
    assert "? no" in verdict([_row(20, 19, 21)] * 3)
