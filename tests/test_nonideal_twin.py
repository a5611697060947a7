"""PyTorch twin vs simulator: same noise distribution on the same weights; hardware-aware training."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from codesign.cam.crossbar.model import program
from codesign.cam.crossbar.params import CrossbarParams
from codesign.models.nonideal.hwaware import attach, detach
from codesign.models.nonideal.twin import TwinError, TwinParams, effective_weight
from codesign.sim.crossbar_mapping import plan_blocks

CASES = [dict(prog_noise_sigma=0.05), dict(stuck_on_rate=0.02, stuck_off_rate=0.03),
         dict(drift_time_s=1e5, drift_t0_s=1.0, drift_nu=0.02, drift_nu_sigma=0.01),
         dict(prog_noise_sigma=0.03, stuck_off_rate=0.01, cell_bits=1)]


@pytest.mark.parametrize("kw", CASES)
def test_twin_and_simulator_agree_statistically(kw):
    w = np.random.default_rng(0).normal(size=(64, 200))
    p = CrossbarParams(adc_bits=None, **kw)
    plan = plan_blocks([(np.arange(200), np.arange(64))], 200, 64, p, "dense")
    sims = [program(plan, w, p, np.random.default_rng(s)) for s in range(4)]
    err_sim = np.concatenate([(pr.w_eff * pr.w_scale[None, :]).T.ravel() - w.ravel() for pr in sims])
    tp = TwinParams.from_dict({**p.__dict__, "weight_bits": 8})
    gen = torch.Generator().manual_seed(0)
    err_twin = np.concatenate([effective_weight(torch.from_numpy(w), tp, gen).numpy().ravel() - w.ravel()
                               for _ in range(4)])
    scale = np.abs(w).max()
    assert abs(err_sim.mean() - err_twin.mean()) < 0.02 * scale
    assert abs(err_sim.std() / err_twin.std() - 1) < 0.05
    q = np.linspace(0.05, 0.95, 7)
    assert np.allclose(np.quantile(err_sim, q), np.quantile(err_twin, q), atol=0.02 * scale)


def test_twin_without_noise_is_the_quantized_weight():
    w = torch.randn(10, 30, dtype=torch.float64)
    eff = effective_weight(w, TwinParams())
    scale = w.abs().amax(1, keepdim=True) / 127
    assert torch.allclose(eff, torch.round(w / scale) * scale)


def test_attach_detach_keeps_clean_weights_and_injects_in_training():
    lin = torch.nn.Linear(20, 5)
    before = lin.weight.detach().clone()
    attach(lin, TwinParams(prog_noise_sigma=0.2), seed=0)
    lin.train()
    assert not torch.equal(lin.weight, before)
    lin.eval()
    assert torch.equal(lin.weight, before)
    detach(lin)
    assert torch.equal(lin.weight, before) and not hasattr(lin, "parametrizations")


@pytest.mark.parametrize("field,value", [("prog_noise_sigma", -0.1), ("stuck_on_rate", 2.0), ("drift_t0_s", 0.0)])
def test_bad_twin_parameters_name_the_field(field, value):
    with pytest.raises(TwinError, match=field):
        TwinParams(**{field: value})


@pytest.mark.slow
def test_hardware_aware_finetuning_recovers_accuracy():
    from codesign.scenarios.nonideal.study import hw_aware_gain

    base, aware = hw_aware_gain(sigma=0.1, trials=3)
    assert aware > base + 0.02
