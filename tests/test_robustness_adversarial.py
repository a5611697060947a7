"""Robustness area: FR regularizer, PGD / C&W∞ constraints, SWA averaging."""


import pytest
import torch
import torch.nn as nn

from codesign.models.robustness.adversarial import (
    RobustTrainConfig,
    WeightAverager,
    frequency_regularizer,
    refresh_bn,
    train_robust,
)
from codesign.models.nets.small_cnn import small_cnn
from codesign.models.robustness.attacks import AttackConfig, cw_linf, cw_margin_loss, pgd

torch.set_num_threads(1)


def _model(seed=0):
    torch.manual_seed(seed)
    return small_cnn(width=4).eval()


def test_regularizer_zero_for_equal_logits_and_gradient_flows():
    z = torch.randn(16, 10, requires_grad=True)
    assert float(frequency_regularizer(z, z.clone()).detach()) == 0.0
    z2 = torch.randn(16, 10, requires_grad=True)
    r = frequency_regularizer(z, z2)
    assert float(r.detach()) > 0
    r.backward()
    assert z.grad is not None and z2.grad is not None
    assert z.grad.abs().sum() > 0 and z2.grad.abs().sum() > 0


def test_regularizer_matches_explicit_dft():
    torch.manual_seed(1)
    a, b = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
    n, m = a.shape
    k = torch.arange(n, dtype=torch.float64)[:, None] * torch.arange(n)[None] / n
    l = torch.arange(m, dtype=torch.float64)[:, None] * torch.arange(m)[None] / m
    wn, wm = torch.exp(-2j * torch.pi * k), torch.exp(-2j * torch.pi * l)
    d = wn @ (a - b).to(torch.complex128) @ wm
    expect = d.real.abs().mean() + d.imag.abs().mean()
    assert torch.allclose(frequency_regularizer(a, b), expect)


@pytest.mark.parametrize("backend", ["torchattacks", "own"])
def test_pgd_stays_in_eps_ball_and_box(backend):
    pytest.importorskip("torchattacks") if backend == "torchattacks" else None
    model = _model()
    torch.manual_seed(0)
    x = torch.rand(8, 3, 32, 32)
    y = torch.randint(0, 10, (8,))
    cfg = AttackConfig(eps=8 / 255, alpha=2 / 255, steps=5)
    xa = pgd(model, x, y, cfg, backend=backend, generator=torch.Generator().manual_seed(0))
    assert (xa - x).abs().max() <= 8 / 255 + 1e-6
    assert xa.min() >= 0 and xa.max() <= 1
    assert (xa - x).abs().max() > 4 / 255  # it actually moved
    assert model.training is False


def test_cw_linf_in_ball_and_increases_margin():
    model = _model()
    x = torch.rand(8, 3, 32, 32)
    with torch.no_grad():
        y = model(x).argmax(1)
    xa = cw_linf(model, x, y, steps=10, generator=torch.Generator().manual_seed(0))
    assert (xa - x).abs().max() <= 8 / 255 + 1e-6 and xa.min() >= 0 and xa.max() <= 1
    with torch.no_grad():
        assert cw_margin_loss(model(xa), y).mean() > cw_margin_loss(model(x), y).mean()


def test_attack_keeps_training_mode():
    model = _model().train()
    x, y = torch.rand(4, 3, 32, 32), torch.randint(0, 10, (4,))
    pgd(model, x, y, AttackConfig(steps=1), backend="own")
    assert model.training


def test_swa_of_identical_weights_is_identity():
    model = _model()
    avg = WeightAverager()
    for _ in range(3):
        avg.update(model)
    out = avg.model()
    for (k, p), (_, q) in zip(model.state_dict().items(), out.state_dict().items()):
        assert torch.equal(p, q), k


def test_swa_is_mean_of_snapshots():
    a, b = _model(0), _model(1)
    avg = WeightAverager()
    avg.update(a)
    avg.update(b)
    out = dict(avg.model().named_parameters())
    for k, p in a.named_parameters():
        assert torch.allclose(out[k], (p + dict(b.named_parameters())[k]) / 2, atol=1e-6)


def test_refresh_bn_sets_exact_batch_statistics():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 2, 1), nn.BatchNorm2d(2))
    x = torch.randn(64, 3, 4, 4)
    refresh_bn(net, x, batch_size=16)
    with torch.no_grad():
        h = net[0](x)
    assert torch.allclose(net[1].running_mean, h.mean((0, 2, 3)), atol=1e-5)


def test_train_robust_smoke_swa_and_snapshot():
    torch.manual_seed(0)
    x, y = torch.rand(64, 3, 32, 32), torch.randint(0, 10, (64,))
    cfg = RobustTrainConfig(method="AT-FR-SWA", epochs=2, batch_size=32, width=4,
                            attack=AttackConfig(steps=1), lr_drops=(0.5,))
    snaps = {}
    model, log = train_robust(cfg, x, y, snapshots=snaps)
    assert "AT-FR" in snaps and log[-1]["swa_snapshots"] == 1
    assert log[0]["fr_on"] is False and log[1]["fr_on"] is True and log[1]["fr"] > 0
    assert not model.training
