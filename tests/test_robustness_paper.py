"""Robustness at the paper's protocol on real MNIST: data split, AutoAttack-APGD, schedule knobs, verdict."""

import numpy as np
import pytest
import torch

from codesign.models.metrics import accuracy
from codesign.models.nets.small_cnn import mnist_cnn
from codesign.models.robustness.adversarial import RobustTrainConfig, TrainConfigError, train_robust
from codesign.models.robustness.attacks import AttackConfig, AttackError, autoattack, pgd
from codesign.models.data.digits import DatasetError
from codesign.models.data.mnist import mnist_interleaved_split as mnist5k
from codesign.scenarios.robustness.paper import PaperConfig, verdict

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def digits():
    return tuple(torch.from_numpy(a) for a in mnist5k(100))


def test_mnist5k_is_a_fixed_stratified_disjoint_split(digits):
    xtr, ytr, xte, yte = digits
    assert xtr.shape == (4000, 1, 28, 28) and xte.shape == (1000, 1, 28, 28)
    assert np.bincount(yte.numpy()).tolist() == [100] * 10 and np.bincount(ytr.numpy()).tolist() == [400] * 10
    assert yte[:10].tolist() == list(range(10))  # classes interleaved: every prefix is balanced
    assert 0.0 <= float(xtr.min()) and float(xtr.max()) == 1.0
    tr = {bytes(r) for r in (xtr.numpy() * 255).astype(np.uint8).reshape(4000, -1)}
    assert not any(bytes(r) in tr for r in (xte.numpy() * 255).astype(np.uint8).reshape(1000, -1))
    again = mnist5k(100)
    assert np.array_equal(again[3], yte.numpy()) and np.array_equal(again[2], xte.numpy())
    with pytest.raises(DatasetError, match="n_test_per_class"):
        mnist5k(500)


def test_adversarial_training_gives_real_robustness_on_mnist(digits):
    """The premise of the paper table: PGD-AT is robust on real digits where natural training is not
    (CI size: 1,000 digits, 2 epochs, ε = 0.1, PGD-3 training, PGD-10 evaluation)."""
    xtr, ytr, xte, yte = digits
    cfg = PaperConfig(epochs=2, width=4, batch_size=32, eps=0.1, train_steps=3, eps_warmup=0)
    got = {}
    for method in ("natural", "AT"):
        model, _ = train_robust(cfg.train_config(method, 0), xtr[:1000], ytr[:1000])
        xa = pgd(model, xte[:200], yte[:200], AttackConfig(eps=0.1, alpha=0.025, steps=10))
        got[method] = (accuracy(model, xte[:200], yte[:200]), accuracy(model, xa, yte[:200]))
    assert got["natural"][0] > 0.8 and got["AT"][0] > 0.6
    assert got["AT"][1] > got["natural"][1] + 0.2, got


def test_apgd_autoattack_is_stronger_than_nothing_and_stays_in_the_ball(digits):
    pytest.importorskip("torchattacks")
    xtr, ytr, xte, yte = digits
    torch.manual_seed(0)
    model = mnist_cnn(4).eval()
    x, y = xte[:40], yte[:40]
    xa = autoattack(model, x, y, eps=0.1, version="apgd", seed=0)
    assert (xa - x).abs().max() <= 0.1 + 1e-6 and xa.min() >= 0 and xa.max() <= 1
    assert accuracy(model, xa, y) <= accuracy(model, x, y)
    with pytest.raises(AttackError, match="AutoAttack version"):
        autoattack(model, x, y, version="fast")


def test_swa_start_and_eps_warmup_are_honoured(digits):
    xtr, ytr, _, _ = digits
    base = dict(epochs=3, width=2, batch_size=100, attack=AttackConfig(eps=0.3, alpha=0.1, steps=1), flip=False,
                arch="mnist_cnn")
    _, log = train_robust(RobustTrainConfig(method="AT-FR-SWA", start_epoch=0, swa_start=2, **base), xtr[:200], ytr[:200])
    assert [r["fr_on"] for r in log] == [True, True, True] and log[-1]["swa_snapshots"] == 1
    with pytest.raises(TrainConfigError, match="swa_start"):
        train_robust(RobustTrainConfig(method="AT-SWA", swa_start=5, **base), xtr[:20], ytr[:20])
    with pytest.raises(TrainConfigError, match="arch"):
        train_robust(RobustTrainConfig(method="AT", **{**base, "arch": "vgg"}), xtr[:20], ytr[:20])


def _rows(at_pgd, fr_pgd, at_aa, fr_aa, std=1.0):
    mk = lambda m, p, a: {"method": m, "clean": 95.0, "clean_std": 0.5, "pgd20": p, "pgd20_std": std,  # noqa: E731
                          "autoattack": a, "autoattack_std": std}
    return [mk("AT", at_pgd, at_aa), mk("AT-FR-SWA", fr_pgd, fr_aa)]


def test_verdict_line_follows_the_gain_against_the_seed_spread():
    assert verdict(_rows(80, 85, 70, 74)).startswith("reproduces the paper's direction? yes")
    assert verdict(_rows(80, 85, 70, 70.5)).startswith("reproduces the paper's direction? partly")
    assert verdict(_rows(80, 80.5, 70, 69)).startswith("reproduces the paper's direction? no")
    assert verdict(_rows(80, 70, 70, 60)).endswith("falls below AT's")


@pytest.mark.parametrize("argv, frag", [
    (["robust", "paper", "--jobs", "0"], "--jobs"),
    (["robust", "paper", "--epochs", "0"], "--epochs"),
    (["robust", "paper", "--fr-start", "late"], "--fr-start"),
    (["complete", "paper", "--ratios", "0.7,1.5"], "--ratios"),
    (["complete", "paper", "--images", "lena"], "--images"),
])
def test_paper_commands_reject_bad_arguments_in_one_line(capsys, tmp_path, argv, frag):
    from codesign.scenarios.cli import main

    rc = main(argv + ["-o" if argv[0] == "robust" else "--outdir", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "Traceback" not in err and frag in err.splitlines()[-1], err
