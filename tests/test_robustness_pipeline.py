"""Robustness area: HDF5 export of small_cnn (shared exporter, BN folded) vs the simulator, tiny end-to-end runs."""

import numpy as np
import pytest
import torch

from codesign.models.nets.small_cnn import small_cnn
from codesign.models.robustness.adversarial import refresh_bn
from codesign.models.export import export_model
from codesign.scenarios.robustness.table import ExperimentConfig, load_trained, run_train_eval
from codesign.sim.format import read_model

torch.set_num_threads(1)


def test_export_folds_bn_and_matches_ideal_crossbar(tmp_path):
    from codesign.sim.engine import Simulator
    from codesign.sim.hardware import crossbar_hw

    torch.manual_seed(0)
    model = small_cnn(4)
    x = torch.rand(24, 3, 32, 32)
    refresh_bn(model, x)
    with torch.no_grad():  # non-trivial BN affine parameters
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    model.eval()
    y = torch.randint(0, 10, (24,))
    spec = read_model(export_model(model, tmp_path / "m.h5", golden_inputs=x[:8], golden_labels=y[:8], name="m"))
    assert [layer.type for layer in spec.layers].count("conv2d") == 4
    assert "batchnorm2d" not in {layer.type for layer in spec.layers}
    with torch.no_grad():
        ref = model(x).numpy()
    for hw in (None, crossbar_hw(ideal=True)):
        out = Simulator(spec, hw=hw).run(x.numpy(), progress=False).logits
        assert np.allclose(out, ref, atol=1e-4)


def test_tiny_train_eval_writes_tables_and_models(tmp_path):
    cfg = ExperimentConfig(n_train=40, n_test=16, n_aa=0, epochs=2, width=4, train_steps=1, seeds=1,
                           eval_pgd_steps=2, cw_steps=2)
    rows = run_train_eval(cfg, tmp_path, log=lambda *a: None)
    assert [r["method"] for r in rows] == ["natural", "AT", "AT-SWA", "AT-FR", "AT-FR-SWA"]
    import csv

    per_seed = list(csv.DictReader(open(tmp_path / "robust_per_seed.csv")))
    assert len(per_seed) == 5
    for r, p in zip(rows, per_seed):  # one seed: the table is that seed's accuracies in percent
        assert p["method"] == r["method"]
        assert r["clean"] == pytest.approx(100 * float(p["clean"])) and r["pgd20"] == pytest.approx(100 * float(p["pgd20"]))
        assert r["clean_std"] == 0.0
    for f in ("robust_table.md", "robust_table.csv", "robust_per_seed.csv", "robust_accuracy.png"):
        assert (tmp_path / f).stat().st_size > 0
    got = load_trained(tmp_path, ["natural", "AT-FR-SWA"])
    assert got is not None and set(got[0]) == {"natural", "AT-FR-SWA"}
    assert not list(tmp_path.rglob("*.tmp"))


def test_tiny_frequency_and_hardware_runs(tmp_path):
    from codesign.scenarios.robustness.frequency import run_frequency
    from codesign.scenarios.robustness.hardware import run_hardware

    cfg = ExperimentConfig(n_train=40, n_test=16, n_aa=0, epochs=1, width=4, train_steps=1, seeds=1)
    res = run_frequency(cfg, tmp_path, n_eval=8, pgd_steps=1, low_bands=(32, 8), high_bands=(0, 8), log=lambda *a: None)
    assert set(res["spectra"]) == {"natural", "AT", "AT-FR-SWA"}
    for f in ("freq_table.md", "freq_lowpass.png", "freq_highpass.png", "perturbation_spectra.png"):
        assert (tmp_path / f).stat().st_size > 0
    rows = run_hardware(cfg, tmp_path, n_eval=8, noise=(0.0, 0.05), adc_bits=(8,), log=lambda *a: None)
    assert len(rows) == 3 * (1 + 2)
    sw = {r["model"]: r["clean"] for r in rows if r["target"].startswith("software")}
    assert set(sw) == {"natural", "AT", "AT-FR-SWA"}
    assert (tmp_path / "hw_accuracy.png").stat().st_size > 0 and (tmp_path / "hdf5" / "AT.h5").is_file()
