"""Sweep evaluators: ``fn(point, settings) -> metrics``, run in worker processes.

A point maps knob names (``hardware.cam.rows``, ``model.num_prototypes``, ``optics.tap_loss_db``)
to values; ``settings`` holds the scenario's fixed model/hardware tables. Costs are analytic
(:meth:`codesign.sim.engine.Simulator.cost`: shapes and mapping only, no functional execution);
accuracy, when the scenario asks for it, comes from functional simulation of a trained model,
cached on disk by content hash (see :mod:`codesign.scenarios.runner`) and in memory per process.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from codesign.scenarios.scenario import _merge, apply_hardware_overrides, knob_overrides
from codesign.sim.hardware import HardwareConfig


def _split(point: dict[str, Any], settings: dict[str, Any]) -> tuple[HardwareConfig, dict[str, Any]]:
    hw_over, model = knob_overrides({**settings.get("fixed", {}), **point})
    merged: dict[str, Any] = {}
    _merge(merged, settings.get("hardware", {}))
    _merge(merged, hw_over)
    hw = apply_hardware_overrides(HardwareConfig(), merged, "<sweep point>")
    return hw, {**settings.get("model", {}), **model}


def _cost_metrics(rep: Any) -> dict[str, float]:
    e, lat = float(rep.total_energy_pj), float(rep.latency_ns)
    util = [lc.utilization for lc in rep.layers if lc.target != "digital"]
    return {"energy_pj": e, "latency_ns": lat, "area_mm2": float(rep.area_mm2), "edp_pj_ns": e * lat,
            "cycles": float(rep.cycles), "utilization": float(sum(util) / len(util)) if util else 1.0,
            "throughput_inf_s": 1e9 / lat if lat > 0 else float("inf")}


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


@lru_cache(maxsize=64)
def _trained_accuracy(variant: str, settings_json: str) -> float:
    import json

    from codesign.scenarios.runner import get_model
    from codesign.sim.engine import Simulator

    path, _ = get_model(variant, json.loads(settings_json), progress=False, log=lambda *_: None)
    return float(Simulator(path).evaluate(which="testset", progress=False).accuracy)


def cam_pecan(point: dict[str, Any], settings: dict[str, Any]) -> dict[str, float]:
    """PECAN digits model on CAM hardware: energy/latency/area (+ accuracy if asked)."""
    import json

    from codesign.scenarios.runner import train_settings

    hw, model = _split(point, settings)
    variant = str(model.get("variant", "pecan_d"))
    network = str(model.get("network", "digits"))
    knobs = tuple(sorted((k, model[k]) for k in _ARCH_KNOBS if k in model))
    sim = _pecan_simulator(network, variant, knobs)
    out = _cost_metrics(sim.cost(hw))
    if settings.get("accuracy") and network == "digits":
        out["accuracy"] = _trained_accuracy(variant, json.dumps(train_settings(model),
                                                                sort_keys=True))
    return out
