"""EZCrop scores on hand-made maps and Torch-Pruning channel removal."""

import numpy as np
import torch

from codesign.models.compression.ezcrop import collect_scores, ezcrop_ratio, prune_channels, rank_score, zone_step
from codesign.models.nets.resnets import SmallResNet
from codesign.models.metrics import count_params

torch.set_num_threads(1)


def test_zone_step_as_published():
    assert zone_step(32, 32) == (16, 16, 4)  # ceil(0.25 * 15) = 4 → 9×9 zone
    assert zone_step(8, 8) == (4, 4, 1)
    assert zone_step(7, 7) == (3, 3, 1)
    assert zone_step(4, 4) == (2, 2, 1)  # ceil(0.25 · (4 − 2 − 1)) = 1
    assert zone_step(2, 2) == (1, 1, 0)


def test_constant_map_scores_zero():
    # all energy of a constant map sits at DC, inside the zone → ratio = 1 − 1 = 0 exactly
    assert ezcrop_ratio(torch.full((32, 32), 3.0)).item() == 0.0
    assert ezcrop_ratio(torch.zeros(16, 16)).item() == 0.0


def test_checkerboard_scores_high():
    cb = ((torch.arange(32)[:, None] + torch.arange(32)[None]) % 2).double()
    # 0/1 checkerboard: equal log-energy at DC (inside) and at Nyquist (corner, outside) → 0.5
    assert abs(ezcrop_ratio(cb).item() - 0.5) < 1e-12
    yy, xx = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    smooth = torch.exp(-((yy - 16) ** 2 + (xx - 16) ** 2) / 200)
    assert ezcrop_ratio(cb) > ezcrop_ratio(smooth) > 0


def test_rank_score():
    assert rank_score(torch.ones(8, 8)).item() == 1
    assert rank_score(torch.eye(8)).item() == 8


def test_pruning_keeps_model_runnable():
    torch.manual_seed(0)
    m = SmallResNet().eval()
    x = np.random.default_rng(0).random((16, 3, 32, 32), dtype=np.float32)
    scores, secs = collect_scores(m, x, "ezcrop")
    assert secs >= 0 and all(len(s) == c.out_channels for c, s in scores.items())
    keep = {c: torch.argsort(s, descending=True)[: c.out_channels // 2].sort().values for c, s in scores.items()}
    first = next(iter(scores))
    w_keep = first.weight.detach()[keep[first]].clone()
    p0 = count_params(m)
    prune_channels(m, scores, 0.5)
    assert count_params(m) < p0
    assert first.out_channels == len(keep[first]) and torch.equal(first.weight.detach(), w_keep)
    assert m(torch.as_tensor(x[:2])).shape == (2, 10)


def test_fast_ratio_equals_literal_recipe():
    from codesign.models.compression.ezcrop import ezcrop_ratio_reference

    g = torch.Generator().manual_seed(0)
    for h, w in ((32, 32), (16, 16), (7, 9), (3, 3)):
        x = torch.relu(torch.randn(4, 5, h, w, generator=g))
        assert torch.allclose(ezcrop_ratio(x), ezcrop_ratio_reference(x), atol=1e-6)
