"""`codesign reproduce ezcrop` and `shift`: the FFT score is faster than the rank score (the paper's trend that
reproduces), equal FLOPs across methods, the convergence check, the verdict and bad input."""

from __future__ import annotations

import pytest
import torch

from codesign.scenarios.reproductions.compress import METHODS, prune_seed, timing_sweep
from codesign.scenarios.reproductions.report_compress import (ezcrop_verdict, flattened, format_ezcrop, format_shift,
                                                             shift_verdict)


@pytest.fixture
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_fft_score_is_faster_than_rank_on_lenet_sized_maps(one_thread):
    """EZCrop's direction that reproduces: scoring LeNet's 10×10 and 28×28 maps by FFT takes less time
    than by matrix rank (full run: 67 % less; paper 56–76 %)."""
    rows = timing_sweep(sizes=((10, 4096), (28, 1024)), repeats=3)
    fft, svd = sum(r["ezcrop"] for r in rows), sum(r["rank"] for r in rows)
    assert fft < svd, rows


def test_pruned_nets_have_equal_flops_and_logged_losses(one_thread):
    res = prune_seed(0, recipe={"base_epochs": 1, "ft_epochs": 2, "ratios": (0.5,), "score_images": 64})
    rows = res["pruned"]["0.5"]
    assert {m: rows[m]["widths"] for m in METHODS} == {m: [3, 8] for m in METHODS}
    assert len({rows[m]["macs"] for m in METHODS}) == 1 and rows["ezcrop"]["macs"] < res["base"]["macs"]
    assert all(len(rows[m]["losses"]) == 2 for m in METHODS) and len(res["base"]["losses"]) == 1
    assert res["score_time_s"]["ezcrop"] > 0 and res["score_time_s"]["rank"] > 0
    # the scores choose different filters: the nets differ before fine-tuning
    assert len({rows[m]["accuracy_pruned"] for m in METHODS}) > 1


def test_flattened():
    assert flattened([2.0, 0.5, 0.011, 0.0105, 0.0102])
    assert not flattened([2.0, 0.8, 0.5, 0.3])


def _res(acc: dict[str, float], t_fft: float, t_svd: float) -> dict:
    seed = {"num_train": 4000, "num_test": 1000, "score_time_s": {"ezcrop": 0.1, "rank": 0.1},
            "base": {"accuracy": 0.97, "params": 61706, "macs": 416520, "losses": [1.0, 0.01, 0.01, 0.01]},
            "pruned": {"0.5": {m: {"accuracy": a, "accuracy_pruned": 0.5, "macs": 153720, "widths": [3, 8],
                                   "losses": [0.1, 0.01, 0.01, 0.01]} for m, a in acc.items()}}}
    return {"threads": 1, "data_dir": None, "seeds": [seed, seed],
            "recipe": {"base_epochs": 4, "base_lr": 0.05, "ft_epochs": 4, "ft_lr": 0.01, "score_images": 640},
            "timing": [{"size": 10, "n_maps": 10, "ezcrop": t_fft, "rank": t_svd},
                       {"size": 28, "n_maps": 10, "ezcrop": t_fft, "rank": t_svd}]}


def test_ezcrop_verdict_yes_partly_no():
    good = {"ezcrop": 0.965, "rank": 0.96, "l1": 0.97, "random": 0.96}
    bad = {**good, "ezcrop": 0.95}
    assert ezcrop_verdict(_res(good, 0.01, 0.03))[0] == "yes"
    v, why = ezcrop_verdict(_res(bad, 0.01, 0.03))
    assert v == "partly" and "below rank" in why and "67 % less" in why
    assert ezcrop_verdict(_res(good, 0.03, 0.01))[0] == "partly"
    assert ezcrop_verdict(_res(bad, 0.03, 0.01))[0] == "no"
    text = format_ezcrop(_res(good, 0.01, 0.03))
    assert text.splitlines()[-1].startswith("Reproduces the paper's direction? yes")
    assert "| 50 % | [3, 8] | 153,720 | EZCrop (FFT) | 50.00 ± 0.00 | 96.50 ± 0.00 |" in text


def _shift_res(acc: float, acc_ft: float, saving: float) -> dict:
    seed = {"seed": 0, "num_train": 3744, "num_val": 256, "num_test": 1000, "accuracy": acc, "params": 100,
            "losses": [1.0, 0.1, 0.1, 0.1], "pruned_params": int(100 * (1 - saving)), "saving": saving,
            "accuracy_pruned": 0.5, "accuracy_ft": acc_ft, "ft_losses": [0.2, 0.1, 0.1, 0.1],
            "selection": [{"selected": True}, {"selected": False}]}
    return {"threads": 1, "data_dir": None, "seeds": [seed],
            "recipe": {"widths": (8, 16, 32), "blocks": (2, 2, 2), "expansion": 3, "epochs": 4, "lr": 0.05,
                       "ft_epochs": 4, "ft_lr": 0.01, "target": 0.5, "tolerance": 0.1}}


def test_shift_verdict_yes_partly_no():
    assert shift_verdict(_shift_res(0.98, 0.975, 0.48))[0] == "yes"
    v, why = shift_verdict(_shift_res(0.98, 0.96, 0.48))
    assert v == "partly" and "drop is 1 pt" in why and "+2.00 pts lost" in why
    assert shift_verdict(_shift_res(0.98, 0.975, 0.2))[0] == "partly"
    assert shift_verdict(_shift_res(0.98, 0.90, 0.2))[0] == "no"
    text = format_shift(_shift_res(0.98, 0.975, 0.48))
    assert "| 0 | 98.00 | 100 | 1/2 | 52 | 48.0 % | 50.00 | 97.50 | -0.50 | yes / yes |" in text
    assert text.splitlines()[-1].startswith("Reproduces the paper's direction? yes")


@pytest.mark.slow
def test_shift_pruning_direction_on_mnist(one_thread):
    """The trend that reproduces (`codesign reproduce shift`, seed 1, ~2.5 min): shift-layer pruning of a
    ShiftResNet with ShiftNet's module removes at least 40 % of the parameters for less than 1 pt."""
    from codesign.scenarios.reproductions.shift import shift_seed

    r = shift_seed(1)
    assert r["saving"] >= 0.4 and r["accuracy"] - r["accuracy_ft"] < 0.01, r
