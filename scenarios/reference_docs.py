"""The input reference (docs/reference.md), generated from the schemas that validate the inputs.

Each input has one schema, declared once: scenario files (:mod:`codesign.scenarios.schema`), their
``[hardware]`` tables (:mod:`codesign.scenarios.hardware_schema`, from the architecture dataclasses),
the ``[optics]`` table of ``opm_tap`` scenarios (:mod:`codesign.scenarios.opmtap.config`), technology files
(:class:`codesign.cam.technology.TechnologyFile`) and optics scenario files
(:mod:`codesign.optics.schema`). The same models validate, fill the defaults and write this reference,
so the documentation cannot drift from what the code accepts (``tests/test_reference_docs.py``).
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

#: sections of the reference, in order: name -> renderer
SECTIONS = ("scenario", "hardware", "opm_tap", "technology", "optics")


def _type_name(ann: Any) -> str:
    """Readable type of an annotation (``int``, ``float | None``, ``list[str]``, a table)."""
    origin = typing.get_origin(ann)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in typing.get_args(ann))
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in typing.get_args(ann))
    if origin is typing.Annotated:
        return _type_name(typing.get_args(ann)[0])
    if origin in (list, dict):
        return f"{origin.__name__}[{', '.join(_type_name(a) for a in typing.get_args(ann))}]"
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return "table"
    if ann is type(None):
        return "None"
    return getattr(ann, "__name__", str(ann).replace("typing.", ""))


def _limits(info: Any) -> str:
    """The field's range and length rules, e.g. ``>= 1, <= 10000``."""
    parts = []
    for meta in info.metadata:
        for attr, sym in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="), ("min_length", "length >="),
                          ("max_length", "length <=")):
            value = getattr(meta, attr, None)
            if value is not None:
                parts.append(f"{sym} {value:g}" if isinstance(value, float) else f"{sym} {value}")
        if getattr(meta, "allow_inf_nan", None) is False:
            parts.append("finite")
    return ", ".join(parts)


def _default(info: Any) -> str:
    if info.default is not PydanticUndefined:
        return "—" if info.default is None else f"`{info.default!r}`"
    return "(table)" if info.default_factory is not None else "**required**"


def _nested(ann: Any) -> tuple[type[BaseModel], str] | None:
    """The model a field holds and the path part it adds: directly or optionally (""), as list items
    ("[]") or as the values of a table ("<name>")."""
    for arg in (ann, *typing.get_args(ann)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg, ""
        origin = typing.get_origin(arg)
        if origin in (list, dict):
            inner = typing.get_args(arg)[-1]
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner, "[]" if origin is list else ".<name>"
    return None


def model_rows(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str, str, str, str]]:
    """(field path, type, default, limits, description) of a model, nested tables flattened."""
    rows = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        sub = _nested(info.annotation)
        if sub is not None:
            rows.extend(model_rows(sub[0], f"{path}{sub[1]}."))
            continue
        rows.append((path, _type_name(info.annotation), _default(info), _limits(info), info.description or ""))
    return rows


def _table(rows: list[tuple[str, str, str, str, str]]) -> list[str]:
    out = ["| field | type | default | limits | meaning |", "|---|---|---|---|---|"]
    for path, typ, default, limits, doc in rows:
        out.append(f"| `{path}` | {typ.replace('|', '∣')} | {default} | {limits} | {doc} |")
    return out


def render(section: str) -> str:
    """The reference of one input as Markdown."""
    if section == "scenario":
        from codesign.scenarios.schema import ScenarioFile

        lines = ["## Scenario files (TOML)", "",
                 "Validated by `codesign.scenarios.schema.ScenarioFile`; the `[hardware]` tables below.", ""]
        rows = [r for r in model_rows(ScenarioFile) if not r[0].startswith("hardware")]
        return "\n".join(lines + _table(rows))
    if section == "hardware":
        from codesign.scenarios.hardware_schema import MAX_CLOCK_GHZ, MAX_HW_COUNT, hardware_fields

        lines = ["## `[hardware]` tables of a scenario file", "",
                 "Generated from `codesign.sim.hardware.HardwareConfig` and its tables; every field optional "
                 f"(the default applies). Counts are integers in [1, {MAX_HW_COUNT}] ([0, ...] where the default is 0), seeds >= 0, real numbers "
                 f">= 0 and finite, the clock in (0, {MAX_CLOCK_GHZ:g}] GHz; the crossbar table's own rules are "
                 "checked by `CrossbarParams`. A sweep knob `hardware.<table>.<field>` takes the same values.", ""]
        rows = [(name, typ, f"`{default!r}`", "", doc) for name, typ, default, doc in hardware_fields()]
        return "\n".join(lines + _table(rows))
    if section == "opm_tap":
        from codesign.scenarios.opmtap.config import OpmTapConfig, OpmTapSection

        defaults = OpmTapConfig()
        lines = ["## `[optics]` table of an `opm_tap` scenario", "",
                 "Validated by `codesign.scenarios.opmtap.config.OpmTapSection`; a field left out takes the "
                 "default shown (`OpmTapConfig`).", ""]
        rows = [(p, t, f"`{getattr(defaults, p)!r}`", lim, doc) for p, t, _, lim, doc in model_rows(OpmTapSection)]
        return "\n".join(lines + _table(rows))
    if section == "technology":
        from codesign.cam.technology import COMMON, REQUIRED, TechnologyFile

        lines = ["## Technology files (JSON)", "",
                 "Validated by `codesign.cam.technology.TechnologyFile`; every parameter is "
                 "`{value, unit, source[, scaling]}`.", ""]
        lines += _table(model_rows(TechnologyFile))
        lines += ["", "Parameters each kind must define (besides " + ", ".join(f"`{c}`" for c in COMMON) + "):", ""]
        lines += [f"- `{kind}`: " + (", ".join(f"`{k}`" for k in need) or "(none beyond the common ones)")
                  for kind, need in REQUIRED.items()]
        return "\n".join(lines)
    if section == "optics":
        from codesign.optics.schema import OpticsScenarioFile

        lines = ["## Optics scenario files (TOML)", "",
                 "Validated by `codesign.optics.schema.OpticsScenarioFile`; a field left out (—) takes the "
                 "equipment library's value (docs/optics.md).", ""]
        return "\n".join(lines + _table(model_rows(OpticsScenarioFile)))
    raise ValueError(f"unknown section {section!r}; expected one of {SECTIONS}")


def render_all() -> str:
    """docs/reference.md."""
    head = ["# Input reference", "",
            "Generated by `codesign schema > docs/reference.md` from the schemas that validate each input; "
            "do not edit by hand (a test compares it with the code).", ""]
    return "\n".join(head + [render(s) + "\n" for s in SECTIONS])
