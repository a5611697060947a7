"""Sweep evaluators: ``fn(point, settings) -> metrics``, run in worker processes.

A point maps knob names (``hardware.cam.rows``, ``model.num_prototypes``, ``optics.tap_loss_db``)
to values; ``settings`` holds the scenario's fixed model/hardware tables. Costs are analytic
(:meth:`codesign.sim.engine.Simulator.cost`: shapes and mapping only, no functional execution; or, with
``[sweep] engine = "cycle"``, the cycle engine of :mod:`codesign.sim.cycle` under the ``[cycle]`` settings);
accuracy, when the scenario asks for it, comes from functional simulation of a trained model,
cached on disk by content hash under :func:`codesign.scenarios.cache.cache_root` and in memory per process.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from codesign.scenarios.scenario import merge_nested, apply_hardware_overrides, knob_overrides
from codesign.sim.hardware import CROSSBAR_LAYER_TYPES, HardwareConfig, crossbar_hw


def _split(point: dict[str, Any], settings: dict[str, Any]) -> tuple[HardwareConfig, dict[str, Any]]:
    hw_over, model = knob_overrides({**settings.get("fixed", {}), **point})
    merged: dict[str, Any] = {}
    merge_nested(merged, settings.get("hardware", {}))
    merge_nested(merged, hw_over)
    hw = apply_hardware_overrides(HardwareConfig(), merged, "<sweep point>")
    return hw, {**settings.get("model", {}), **model}


def _cost_metrics(rep: Any) -> dict[str, float]:
    e, lat = float(rep.total_energy_pj), float(rep.latency_ns)
    util = [lc.utilization for lc in rep.layers if lc.target != "digital"]
    return {"energy_pj": e, "latency_ns": lat, "area_mm2": float(rep.area_mm2), "edp_pj_ns": e * lat,
            "cycles": float(rep.cycles), "utilization": float(sum(util) / len(util)) if util else 1.0,
            "throughput_inf_s": 1e9 / lat if lat > 0 else float("inf")}


def _costs(sim: Any, hw: HardwareConfig, settings: dict[str, Any]) -> dict[str, float]:
    """Cost metrics of ``sim`` on ``hw``: analytic, or the cycle engine when the sweep asks for it
    (``engine = "cycle"``: latency from the schedule, energy with DRAM reloads and leakage)."""
    rep = sim.cost(hw)
    out = _cost_metrics(rep)
    if settings.get("engine") == "cycle":
        from codesign.sim.cycle.config import CycleConfig
        from codesign.sim.cycle.engine import CycleSimulator

        crep = CycleSimulator(sim.spec, hw, CycleConfig.from_dict(settings.get("cycle"))).run()
        e, lat = crep.energy_pj, crep.latency_ns
        out.update(energy_pj=e, latency_ns=lat, edp_pj_ns=e * lat, cycles=crep.latency_cycles,
                   area_mm2=float(sum(crep.area_mm2.values())), throughput_inf_s=crep.throughput_inf_s)
    return out


@lru_cache(maxsize=64)
def _pecan_simulator(network: str, variant: str, knobs: tuple[tuple[str, Any], ...]):
    """A Simulator over an (untrained) model with the given architecture knobs.

    Costs are data-independent, so an untrained network of the same shape costs exactly what
    the trained one does; only accuracy needs training.
    """
    from codesign.sim.engine import Simulator

    kn = dict(knobs)
    mode = {"pecan_a": "angle", "pecan_d": "distance"}.get(variant, "distance")
    if network == "synthetic":
        from codesign.sim.synthetic import pecan_cnn

        spec = pecan_cnn(mode=mode, K=int(kn.get("num_prototypes", 8)), act_bits=int(kn.get("act_bits", 4)))
    else:
        from codesign.models.export import architecture_spec

        spec = architecture_spec(variant, **kn)
    return Simulator(spec)


_ARCH_KNOBS = ("num_prototypes", "subvector_dim", "act_bits", "lut_bits")


def functional_accuracy(model_path: str, hw: HardwareConfig | None = None) -> float:
    """Test-set accuracy from functional simulation, cached on disk by content hash.

    The key is the model file's bytes plus, when given, the whole hardware description (pass
    ``hw=None`` where the hardware cannot change the result, e.g. exact CAM search), so a result
    is reused across sweeps and never reused for a different model or hardware.
    """
    import hashlib
    import json
    from pathlib import Path

    from codesign.atomic import write_text
    from codesign.scenarios.cache import cache_root
    from codesign.sim.engine import Simulator

    h = hashlib.sha256(Path(model_path).read_bytes())
    h.update(json.dumps(hw.to_dict() if hw is not None else None, sort_keys=True, default=str).encode())
    entry = cache_root() / "accuracy" / f"{h.hexdigest()[:24]}.json"
    if entry.exists():
        return float(json.loads(entry.read_text())["accuracy"])
    acc = float(Simulator(model_path, hw=hw).evaluate(which="testset", progress=False).accuracy)
    write_text(entry, json.dumps({"accuracy": acc, "model": str(model_path)}), unique=True)
    return acc


@lru_cache(maxsize=64)
def _trained_model(variant: str, settings_json: str) -> str:
    import json

    from codesign.scenarios.runner import get_model

    path, _ = get_model(variant, json.loads(settings_json), progress=False, log=lambda *_: None)
    return str(path)


@lru_cache(maxsize=64)
def _trained_accuracy(variant: str, settings_json: str) -> float:
    # PECAN on ideal CAM/digital is integer-exact: tiling and array sizes never change the result
    return functional_accuracy(_trained_model(variant, settings_json), None)


def _cam_nonideal(hw: HardwareConfig) -> bool:
    """True where the CAM knobs make the search non-ideal (the accuracy then depends on the hardware)."""
    c = hw.cam
    return c.nonideal != "off" or bool(c.level_sigma or c.stuck_rate or c.sense_sigma or c.sense_bits)


def cam_pecan(point: dict[str, Any], settings: dict[str, Any]) -> dict[str, float]:
    """PECAN digits model on CAM hardware: energy/latency/area (+ accuracy if asked)."""
    import json

    from codesign.scenarios.runner import train_settings

    hw, model = _split(point, settings)
    variant = str(model.get("variant", "pecan_d"))
    network = str(model.get("network", "digits"))
    knobs = tuple(sorted((k, model[k]) for k in _ARCH_KNOBS if k in model))
    sim = _pecan_simulator(network, variant, knobs)
    out = _costs(sim, hw, settings)
    if settings.get("accuracy") and network == "digits":
        key = json.dumps(train_settings(model), sort_keys=True)
        out["accuracy"] = (functional_accuracy(_trained_model(variant, key), hw) if _cam_nonideal(hw)
                           else _trained_accuracy(variant, key))
    return out


# --------------------------------------------------------------------------- crossbar networks

#: LeNet-on-digits variants of the DeBut study, by the layers swapped for DeBut chains
XBAR_NETWORKS = {"dense": (), "fc1_debut": ("fc1",), "conv2_fc1_fc2_debut": ("conv2", "fc1", "fc2"),
                 "all_debut": None}


@lru_cache(maxsize=8)
def _xbar_spec(network: str):
    """Untrained (random-init) export of a LeNet variant: costs are data-independent."""
    import tempfile
    from pathlib import Path

    from codesign.models.debut.swap import swap_layers
    from codesign.models.export import export_model
    from codesign.models.nets.lenet import DEBUT_PLAN, INPUT_SHAPE, all_debut_lenet, lenet_digits
    from codesign.sim.format import read_model

    if network not in XBAR_NETWORKS:
        raise ValueError(f"model.network {network!r}; expected one of {sorted(XBAR_NETWORKS)}")
    names = XBAR_NETWORKS[network]
    if names is None:
        model = all_debut_lenet(seed=0)
    else:
        model = lenet_digits(seed=0)
        if names:
            model = swap_layers(model, {n: DEBUT_PLAN[n] for n in names}, init="random", seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        path = export_model(model, Path(tmp) / "m.h5", input_shape=INPUT_SHAPE, name=network)
        return read_model(path)


@lru_cache(maxsize=1)
def _xbar_trained_dir() -> str:
    """Train the four LeNet variants once (cached on disk by code hash) and export them."""
    from codesign.models.export import export_model
    from codesign.scenarios.debut.hardware import train_models
    from codesign.scenarios.cache import cache_root
    from codesign.scenarios.cache import code_hash

    sources = ("scenarios/debut/hardware.py", "models/nets/lenet.py", "models/debut/layers.py", "models/debut/swap.py",
               "models/debut/export.py", "models/export.py", "sim/format.py")
    folder = cache_root() / "xbar" / code_hash(sources)
    names = {"dense LeNet": "dense", "FC1 → DeBut": "fc1_debut", "CONV2+FC1+FC2 → DeBut": "conv2_fc1_fc2_debut",
             "all-DeBut": "all_debut"}
    if not all((folder / f"{n}.h5").exists() for n in names.values()):
        models, (xte, yte) = train_models(quick=False)
        folder.mkdir(parents=True, exist_ok=True)
        for label, model in models.items():
            export_model(model, folder / f"{names[label]}.h5", golden_inputs=xte[:32], golden_labels=yte[:32],
                         test_inputs=xte, test_labels=yte, name=names[label])
    return str(folder)


def xbar_network(point: dict[str, Any], settings: dict[str, Any]) -> dict[str, float]:
    """Dense vs DeBut LeNet (digits) with conv/linear/DeBut layers on IMC crossbars."""
    from pathlib import Path

    from codesign.sim.engine import Simulator

    hw, model = _split(point, settings)
    hw = crossbar_hw(hw, (*CROSSBAR_LAYER_TYPES, "debut_linear", "debut_conv2d"))
    network = str(model.get("network", "dense"))
    spec = _xbar_spec(network)
    out = _costs(Simulator(spec), hw, settings)
    out["params"] = float(sum(a.size for lay in spec.layers for k, a in lay.arrays.items() if k != "bias"))
    if settings.get("accuracy"):
        path = Path(_xbar_trained_dir()) / f"{network}.h5"
        out["accuracy"] = functional_accuracy(str(path), hw)
    return out


# --------------------------------------------------------------------------- optics tap detection

@lru_cache(maxsize=16)
def _optics_detector(scenario: str, amp_mode: str, noise: float, hours: float, use_inline: bool, seed: int):
    from codesign.optics import TapDetector, TapLocalizer
    from codesign.optics.evaluate import scenario_variant
    from codesign.optics.scenario import load_scenario as load_optics
    from codesign.optics.simulate import simulate_dataset

    sc = load_optics(scenario)
    ov = {"power_noise_db": noise, "osnr_noise_db": 3 * noise, "gsnr_noise_db": noise}
    train = simulate_dataset(load_optics(scenario_variant(sc.raw, hours * 3600, amp_mode=amp_mode), sc.source), seed + 1,
                             opm_overrides=ov)
    return TapDetector(use_inline=use_inline).fit(train), TapLocalizer().fit(train)


def optics_tap(point: dict[str, Any], settings: dict[str, Any]) -> dict[str, float]:
    """Tap detection on a simulated line: detection/false-alarm rate and span accuracy.

    Knobs: ``optics.tap_loss_db``, ``optics.power_noise_db`` (OSNR noise = 3×), ``optics.amp_mode``
    ("gain"/"power"), ``optics.use_inline`` (detector also uses in-line OPM data),
    ``optics.hours`` (simulated duration), ``optics.taps``, ``optics.seed``, ``optics.scenario``.
    """
    from codesign.optics.evaluate import scenario_variant, score_run
    from codesign.optics.scenario import load_scenario as load_optics
    from codesign.optics.simulate import simulate_dataset

    kn = {k.partition(".")[2]: v for k, v in {**settings.get("fixed", {}), **point}.items()
          if k.startswith("optics.")}
    from codesign.scenarios.shipped import OPTICS_DEFAULT_NAME, resolve_scenario

    scenario = str(resolve_scenario(kn.get("scenario"), default=OPTICS_DEFAULT_NAME))
    mode, noise = str(kn.get("amp_mode", "gain")), float(kn.get("power_noise_db", 0.1))
    hours, seed = float(kn.get("hours", 6)), int(kn.get("seed", 0))
    det, loc = _optics_detector(scenario, mode, noise, hours, bool(kn.get("use_inline", False)), seed)
    sc = load_optics(scenario)
    ov = {"power_noise_db": noise, "osnr_noise_db": 3 * noise, "gsnr_noise_db": noise}
    test = simulate_dataset(load_optics(scenario_variant(sc.raw, hours * 3600, {"tap_count": int(kn.get("taps", 4))},
                                                 float(kn.get("tap_loss_db", 1.0)), mode), sc.source),
                            seed + 100, opm_overrides=ov)
    s = score_run(test, det, loc)
    return {"detection_rate": s["detection"], "false_alarm_rate": s["false_alarm"],
            "span_accuracy": s["span_accuracy"]}
