"""Declarative scenario files (TOML): what to train, which hardware, what to sweep.

A scenario has sections ``[scenario]`` (name, description, ``kind``: ``"digits"`` (default) or
``"opm_tap"``, the OPM tap-classifier loop whose ``[optics]`` section :mod:`codesign.scenarios.opmtap.config`
checks), ``[model]``, ``[hardware]``
(overrides of :class:`codesign.sim.hardware.HardwareConfig`, nested tables ``cam``,
``crossbar``, ``digital``), optionally ``[sweep]`` (evaluator, mode, axes, fixed settings),
``[objectives]``, ``[constraints]`` and ``[output]``. Every bad field gets one error naming
the file and the field. A technology field (``[hardware.cam] technology``, also in sweep axes) takes a
shipped name or a path to a JSON file, relative to the scenario file's folder.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codesign.cam.crossbar.params import TECHNOLOGY_FIELDS, CrossbarError, CrossbarParams
from codesign.cam.technology import TechnologyError, is_tech_path, load_technology
from codesign.scenarios.schema import ModelSection, validate_sections
from codesign.scenarios.shipped import ScenarioError, resolve_scenario
from codesign.cam.cam_array.nonideal import CamNonidealError
from codesign.sim.hardware import HardwareConfig, HardwareError


_MODEL_KEYS = sorted(ModelSection.model_fields)
#: (hardware table, field) naming a technology -> the kind of technology file it needs
_TECH_FIELDS = {("cam", "technology"): "cam", ("cam", "lut_technology"): "sram",
                ("crossbar", "technology"): "crossbar", ("digital", "technology"): "digital"}


@dataclass
class Scenario:
    path: Path
    name: str
    description: str
    model: dict[str, Any]
    hardware: HardwareConfig
    hardware_overrides: dict[str, Any]
    sweep: dict[str, Any] | None
    minimize: list[str] = field(default_factory=list)
    maximize: list[str] = field(default_factory=list)
    constraints: dict[str, dict[str, float]] = field(default_factory=dict)
    output: Path = Path("runs/default")
    kind: str = "digits"
    #: the parsed ``[optics]`` section of an ``opm_tap`` scenario (:class:`~codesign.scenarios.opmtap.config.OpmTapConfig`)
    optics: Any = None

    @property
    def objectives(self) -> list[str]:
        return [*self.minimize, *self.maximize]

    def fingerprint(self) -> str:
        """Hash of everything that changes results (not the output folder)."""
        sweep = {k: v for k, v in (self.sweep or {}).items() if k != "max_points"} if self.sweep else None
        blob = json.dumps({"model": self.model, "hw": self.hardware_overrides, "sweep": sweep},
                          sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read and validate a scenario file: a path, or a shipped scenario's name (default: ``default``)."""
    path = resolve_scenario(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_scenario(raw, path)


def parse_scenario(raw: dict[str, Any], path: Path) -> Scenario:
    """Validate ``raw`` (:mod:`codesign.scenarios.schema`, hardware against its dataclasses) into a Scenario."""
    try:
        validate_sections(raw, str(path))
    except ValueError as exc:
        raise ScenarioError(str(exc)) from None
    raw = _resolve_technologies(raw, path)
    head = raw["scenario"]
    kind = head.get("kind", "digits")
    optics = None
    if kind == "opm_tap":
        from codesign.scenarios.opmtap.config import parse_optics

        optics = parse_optics(raw.get("optics", {}), path)
    model = dict(raw.get("model", {}))
    hw_over = raw.get("hardware", {})
    hardware = apply_hardware_overrides(HardwareConfig(), hw_over, path)

    sweep = raw.get("sweep")
    if sweep is not None:
        for name, values in sweep["axes"].items():
            _check_knob(name, values, path)
        for name, value in sweep.get("fixed", {}).items():
            _check_knob(name, [value], path, section="sweep.fixed")

    obj = raw.get("objectives", {})
    minimize, maximize = list(obj.get("minimize", [])), list(obj.get("maximize", []))
    if sweep is not None and len(minimize) + len(maximize) < 2:
        raise ScenarioError(f"{path}: [objectives]: a sweep needs at least two objectives (minimize/maximize lists)")
    constraints = {m: {k: float(v) for k, v in bound.items()} for m, bound in raw.get("constraints", {}).items()}
    out = raw.get("output", {})
    folder = Path(out.get("folder", f"runs/{head['name']}"))
    return Scenario(path=path, name=str(head["name"]), description=str(head.get("description", "")),
                    model=model, hardware=hardware, hardware_overrides=hw_over, sweep=sweep,
                    minimize=minimize, maximize=maximize, constraints=constraints, output=folder, kind=kind,
                    optics=optics)


def _resolve_technologies(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    """Copy of ``raw`` with every technology path made absolute (relative to the file's folder) and checked."""
    raw = copy.deepcopy(raw)

    def resolve(value: Any, table: str, fld: str, where: str) -> Any:
        if not isinstance(value, str):
            return value  # the type check in _apply names the field
        if is_tech_path(value):
            value = os.path.abspath(Path(path).parent / os.path.expanduser(value))
        try:
            tech = load_technology(value)
        except TechnologyError as exc:
            raise ScenarioError(f"{path}: [{where}]: {exc}") from None
        if tech.kind != _TECH_FIELDS[table, fld]:
            raise ScenarioError(f"{path}: [{where}]: {tech.path} is a {tech.kind!r} technology; "
                                f"expected a {_TECH_FIELDS[table, fld]!r} one")
        return value

    hw = raw.get("hardware")
    if isinstance(hw, dict):
        for (table, fld) in _TECH_FIELDS:
            if isinstance(hw.get(table), dict) and fld in hw[table]:
                hw[table][fld] = resolve(hw[table][fld], table, fld, f"hardware.{table}.{fld}")
    sweep = raw.get("sweep")
    for section in ("axes", "fixed"):
        knobs = sweep.get(section) if isinstance(sweep, dict) else None
        if not isinstance(knobs, dict):
            continue
        for name, value in knobs.items():
            head, _, rest = name.partition(".")
            key = tuple(rest.split("."))
            if head != "hardware" or key not in _TECH_FIELDS:
                continue
            where = f"sweep.{section}.{name}"
            if isinstance(value, list):
                knobs[name] = [resolve(v, *key, where) for v in value]
            else:
                knobs[name] = resolve(value, *key, where)
    return raw


def _check_knob(name: str, values: list[Any], path: Path, section: str = "sweep.axes") -> None:
    head, _, rest = name.partition(".")
    if head == "hardware":
        for v in values:
            apply_hardware_overrides(HardwareConfig(), _nest(rest, v), path, prefix=f"{section}.{name}", knob=True)
    elif head == "model":
        if rest not in _MODEL_KEYS:
            raise ScenarioError(f"{path}: [{section}.{name}]: unknown model knob; expected model.<one of {_MODEL_KEYS}>")
    elif head not in ("optics",):
        raise ScenarioError(f"{path}: [{section}.{name}]: knob must start with 'hardware.', 'model.' or 'optics.'")


def _nest(dotted: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cur = out
    parts = dotted.split(".")
    for p in parts[:-1]:
        cur = cur.setdefault(p, {})
    cur[parts[-1]] = value
    return out


def apply_hardware_overrides(hw: HardwareConfig, over: dict[str, Any], path: Path | str,
                             prefix: str = "hardware", knob: bool = False) -> HardwareConfig:
    """Return a copy of ``hw`` with nested overrides applied; type-checked against the dataclasses.

    ``knob``: ``prefix`` names the one overridden field (a sweep knob); errors cite it as is.
    """
    hw = dataclasses.replace(hw, cam=dataclasses.replace(hw.cam), digital=dataclasses.replace(hw.digital),
                             targets=dict(hw.targets))
    return _apply(hw, over, path, prefix, knob)


def _apply(obj: Any, over: dict[str, Any], path: Path | str, prefix: str, knob: bool) -> Any:
    skip = TECHNOLOGY_FIELDS if isinstance(obj, CrossbarParams) else ()
    fields = {f.name for f in dataclasses.fields(obj)} - set(skip)
    changes: dict[str, Any] = {}
    for key, value in over.items():
        where = prefix if knob else f"{prefix}.{key}"
        if key not in fields:
            raise ScenarioError(f"{path}: [{where}]: unknown field; expected some of {sorted(fields)}")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ScenarioError(f"{path}: [{where}]: expected a table")
            changes[key] = _apply(current, value, path, where, knob)
        elif isinstance(current, dict):
            if not isinstance(value, dict):
                raise ScenarioError(f"{path}: [{where}]: expected a table")
            changes[key] = {**current, **value}
        else:
            kind = type(current)
            ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value, ok = float(value), True
            if not ok:
                raise ScenarioError(f"{path}: [{where}]: {value!r} should be of type {kind.__name__}")
            if kind in (int, float):
                _check_range(key, value, kind, f"{path}: [{where}]", lower=not isinstance(obj, CrossbarParams))
            changes[key] = value
    try:
        return dataclasses.replace(obj, **changes)
    except (CrossbarError, HardwareError, CamNonidealError) as exc:
        raise ScenarioError(f"{path}: [{prefix}]: {exc}") from None


#: largest hardware count (rows, columns, arrays, lanes) and clock a scenario may set
MAX_HW_COUNT = 1 << 16
MAX_CLOCK_GHZ = 100.0


def _check_range(key: str, value: int | float, kind: type, where: str, lower: bool = True) -> None:
    """Hardware numbers: finite; seeds and fractions >= 0, counts and the clock > 0; counts <= MAX_HW_COUNT.

    ``lower=False``: the lower bounds are left to the dataclass (CrossbarParams checks its own)."""
    if not math.isfinite(value):
        raise ScenarioError(f"{where}: {value} must be a finite number")
    nonneg = key.endswith("seed") or key == "sense_bits" or (kind is float and key != "clock_ghz")
    if lower and (value < 0 if nonneg else value <= 0):
        raise ScenarioError(f"{where}: {value} must be {'>= 0' if nonneg else '> 0'}")
    if key.endswith("seed"):
        return
    limit = MAX_HW_COUNT if kind is int else MAX_CLOCK_GHZ if key == "clock_ghz" else None
    if limit is not None and value > limit:
        raise ScenarioError(f"{where}: {value} exceeds the largest supported value {limit}")


def knob_overrides(point: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a sweep point into (hardware overrides as a nested dict, model settings)."""
    hw: dict[str, Any] = {}
    model: dict[str, Any] = {}
    for name, value in point.items():
        head, _, rest = name.partition(".")
        if head == "hardware":
            merge_nested(hw, _nest(rest, value))
        elif head == "model":
            model[rest] = value
    return hw, model


def merge_nested(dst: dict[str, Any], src: dict[str, Any]) -> None:
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            merge_nested(dst[k], v)
        else:
            dst[k] = v
