"""Models of the non-ideality study: dense and DeBut LeNet (crossbars) and PECAN-D (CAM), each also
hardware-aware fine-tuned (:mod:`codesign.models.nonideal`); exported once, cached by code hash."""

from __future__ import annotations

import copy
from pathlib import Path

#: programming noise the hardware-aware models are fine-tuned with (relative to the conductance range)
HW_AWARE_SIGMA = 0.1
#: hardware-aware fine-tuning epochs and learning rate
HW_AWARE_EPOCHS, HW_AWARE_LR = 8, 1e-3

_SOURCES = ("scenarios/nonideal/study.py", "models/nonideal/twin.py", "models/nonideal/hwaware.py",
            "models/nonideal/cam_twin.py", "models/nets/lenet.py", "models/debut/swap.py", "models/export.py",
            "sim/format.py")


def _folder() -> Path:
    from codesign.scenarios.cache import cache_root, code_hash

    return cache_root() / "nonideal" / code_hash(_SOURCES)


def crossbar_models(log=print) -> dict[str, str]:
    """label -> HDF5 path: dense LeNet and CONV2+FC1+FC2 -> DeBut LeNet, plain and hardware-aware."""
    import torch

    from codesign.models.data.digits import load_digits_tensors
    from codesign.models.debut.swap import finetune, swap_layers
    from codesign.models.export import export_model
    from codesign.models.nets.lenet import DEBUT_PLAN, INPUT_SHAPE, lenet_digits
    from codesign.models.nonideal.hwaware import hw_aware_finetune
    from codesign.models.nonideal.twin import TwinParams

    folder = _folder()
    names = {"dense LeNet": "dense", "dense LeNet, HW-aware": "dense_hw", "DeBut LeNet": "debut",
             "DeBut LeNet, HW-aware": "debut_hw"}
    paths = {label: folder / f"{stem}.h5" for label, stem in names.items()}
    if all(p.exists() for p in paths.values()):
        return {k: str(v) for k, v in paths.items()}
    torch.set_num_threads(1)
    xtr, ytr, xte, yte = load_digits_tensors(0)
    log("training dense LeNet (30 epochs) and its DeBut swap (15 epochs)")
    dense = lenet_digits(seed=0)
    finetune(dense, xtr, ytr, epochs=30, seed=0)
    debut = swap_layers(dense, {n: DEBUT_PLAN[n] for n in ("conv2", "fc1", "fc2")}, init="als", seed=0)
    finetune(debut, xtr, ytr, epochs=15, lr=2e-3, seed=0)
    twin = TwinParams(prog_noise_sigma=HW_AWARE_SIGMA)
    models = {"dense LeNet": dense, "DeBut LeNet": debut}
    for label in list(models):
        log(f"hardware-aware fine-tuning of {label} (programming noise sigma {HW_AWARE_SIGMA})")
        aware = copy.deepcopy(models[label])
        hw_aware_finetune(aware, xtr, ytr, twin, epochs=HW_AWARE_EPOCHS, lr=HW_AWARE_LR, seed=0)
        models[f"{label}, HW-aware"] = aware
    folder.mkdir(parents=True, exist_ok=True)
    for label, model in models.items():
        export_model(model, paths[label], input_shape=INPUT_SHAPE, golden_inputs=xte[:32], golden_labels=yte[:32],
                     test_inputs=xte, test_labels=yte, name=names[label])
    return {k: str(v) for k, v in paths.items()}


def cam_models(log=print) -> dict[str, str]:
    """label -> HDF5 path: the PECAN-D digits model, plain and hardware-aware (CAM twin)."""
    from codesign.models.nonideal.cam_twin import hw_aware_pecan
    from codesign.scenarios.runner import get_model, train_settings

    path, _ = get_model("pecan_d", train_settings({}), progress=False, log=log)
    aware = _folder() / "pecan_d_hw.h5"
    if not aware.exists():
        log("hardware-aware fine-tuning of PECAN-D (CAM twin: level variation and sensing noise)")
        aware.parent.mkdir(parents=True, exist_ok=True)
        hw_aware_pecan(str(aware))
    return {"PECAN-D": str(path), "PECAN-D, HW-aware": str(aware)}


def hw_aware_gain(sigma: float = HW_AWARE_SIGMA, trials: int = 3) -> tuple[float, float]:
    """Mean test accuracy of the dense LeNet at programming noise ``sigma``: (plain, hardware-aware)."""
    from codesign.scenarios.nonideal.sweep import evaluate_point

    models = crossbar_models(log=lambda *_: None)
    res = [evaluate_point(models[k], "crossbar", {"prog_noise_sigma": sigma}, trials, None, None)["acc_mean"]
           for k in ("dense LeNet", "dense LeNet, HW-aware")]
    return res[0], res[1]
