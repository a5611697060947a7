"""Registry of layer executors, keyed by (layer type, hardware target).

Targets: ``"cam"`` (CAM arrays + LUT SRAM + adders), ``"digital"`` (digital MAC/ALU unit),
``"crossbar"`` (analog IMC crossbars with DAC/ADC). Modules register their executors with
:func:`register`; :data:`EXECUTOR_MODULES` lists the modules imported on first lookup.
"""

from __future__ import annotations

import importlib

from codesign.sim.executors.base import Executor, LayerCost

_REGISTRY: dict[tuple[str, str], type[Executor]] = {}
#: Modules that define executors (imported lazily so optional parts can fail loudly, once).
EXECUTOR_MODULES = (
    "codesign.sim.executors.digital",
    "codesign.sim.executors.pecan",
    "codesign.sim.executors.crossbar",
    "codesign.sim.executors.debut",
)
_loaded = False


def register(layer_type: str, target: str):
    """Class decorator: register an executor for ``layer_type`` on ``target``."""

    def deco(cls: type[Executor]) -> type[Executor]:
        _REGISTRY[(layer_type, target)] = cls
        cls.target = target
        return cls

    return deco


def _load() -> None:
    global _loaded
    if _loaded:
        return
    for mod in EXECUTOR_MODULES:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise
    _loaded = True


def lookup(layer_type: str, target: str) -> type[Executor]:
    _load()
    try:
        return _REGISTRY[(layer_type, target)]
    except KeyError:
        have = sorted(t for (lt, t) in _REGISTRY if lt == layer_type)
        raise LookupError(
            f"no executor for layer type {layer_type!r} on target {target!r}; available targets for it: {have or 'none'}"
        ) from None


def available() -> list[tuple[str, str]]:
    _load()
    return sorted(_REGISTRY)


__all__ = ["Executor", "LayerCost", "register", "lookup", "available", "EXECUTOR_MODULES"]
