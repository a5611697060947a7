"""Pydantic schema of a scenario's ``[hardware]`` tables, generated from the architecture dataclasses.

:class:`codesign.sim.hardware.HardwareConfig` (and its ``cam``, ``digital`` and ``crossbar`` tables) is the
one declaration of the hardware settings: their types, defaults and ``#:`` comments. This module turns it
into a pydantic model, once, so that scenario files and sweep knobs are validated the same way as every
other input (strict types, no bool as a number, finite numbers, ranges, unknown keys with a suggestion)
and the reference in docs/reference.md is generated from it (:func:`hardware_fields`).

Range rules by kind of field: counts (integers) are > 0 (>= 0 where the default is 0: off) and at most
:data:`MAX_HW_COUNT`; seeds >= 0;
real numbers >= 0 (the clock > 0, at most :data:`MAX_CLOCK_GHZ`). The crossbar table's own rules (bits
2..24, fractions, ...) are checked by :class:`CrossbarParams` when the settings are applied.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import difflib
import functools
import inspect
import re
import textwrap
import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model

from codesign.cam.cam_array.nonideal import CamNonidealError
from codesign.cam.crossbar.params import TECHNOLOGY_FIELDS, CrossbarError, CrossbarParams
from codesign.errors import CodesignError
from codesign.sim.hardware import HardwareConfig, HardwareError

#: largest hardware count (rows, columns, arrays, lanes) and clock a scenario may set
MAX_HW_COUNT = 1 << 16
MAX_CLOCK_GHZ = 100.0


class HardwareSettingError(CodesignError, ValueError):
    """A hardware setting is not valid; ``where`` is its dotted path, the message says what was expected."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"[{where}]: {message}")
        self.where = where


def field_docs(cls: type) -> dict[str, str]:
    """A dataclass's ``#:`` comments, by field name (the text above each field)."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    lines = source.splitlines()
    docs: dict[str, str] = {}
    for node in ast.parse(source).body[0].body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            comment: list[str] = []
            i = node.lineno - 2
            while i >= 0 and lines[i].strip().startswith("#:"):
                comment.insert(0, lines[i].strip()[2:].strip())
                i -= 1
            if comment:
                text = " ".join(comment).replace("``", "`")
                docs[node.target.id] = re.sub(r":(?:data|class|func|meth|mod):`", "`", text)
    return docs


def _constrained(name: str, ann: Any, crossbar: bool, default: Any = None) -> Any:
    """The field's type with the range rule of its kind (see the module docstring)."""
    union = typing.get_origin(ann) in (typing.Union, types.UnionType)
    args = typing.get_args(ann) if union else ()
    optional = type(None) in args
    base = next((a for a in args if a is not type(None)), ann) if union else ann
    if base is bool or base is str or base is dict or typing.get_origin(base) is dict:
        rule = base
    elif base is int:
        if name.endswith("seed"):
            rule = Annotated[int, Field(ge=0)]
        elif default == 0:  # a count whose default is 0 (0 = off: ideal sensing, no write-verify)
            rule = Annotated[int, Field(ge=0, le=MAX_HW_COUNT)]
        elif crossbar:  # CrossbarParams checks its own lower bounds (bits 2..24, counts >= 0 or 1)
            rule = Annotated[int, Field(le=MAX_HW_COUNT)]
        else:
            rule = Annotated[int, Field(gt=0, le=MAX_HW_COUNT)]
    elif base is float:
        if name == "clock_ghz":
            rule = Annotated[float, Field(gt=0, le=MAX_CLOCK_GHZ, allow_inf_nan=False)]
        elif crossbar:
            rule = Annotated[float, Field(allow_inf_nan=False)]
        else:
            rule = Annotated[float, Field(ge=0, allow_inf_nan=False)]
    else:
        rule = base
    return rule | None if optional else rule


@functools.cache
def hardware_model(cls: type = HardwareConfig) -> type[BaseModel]:
    """The pydantic model of the override table for dataclass ``cls`` (every field optional)."""
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    crossbar = cls is CrossbarParams
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if crossbar and f.name in TECHNOLOGY_FIELDS:
            continue  # taken from the technology table, not a hardware setting
        ann = hints[f.name]
        if dataclasses.is_dataclass(ann):
            typ: Any = hardware_model(ann)
        else:
            typ = _constrained(f.name, ann, crossbar, f.default)
        fields[f.name] = (typ, Field(default=None, description=docs.get(f.name, "")))
    config = ConfigDict(extra="forbid", strict=True)
    return create_model(f"{cls.__name__}Table", __config__=config, __doc__=cls.__doc__, **fields)


def hardware_fields(cls: type = HardwareConfig, prefix: str = "hardware") -> list[tuple[str, str, Any, str]]:
    """(dotted name, type, default, description) of every hardware setting, tables flattened."""
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    defaults = cls()
    out: list[tuple[str, str, Any, str]] = []
    for f in dataclasses.fields(cls):
        if cls is CrossbarParams and f.name in TECHNOLOGY_FIELDS:
            continue
        ann = hints[f.name]
        if dataclasses.is_dataclass(ann):
            out.extend(hardware_fields(ann, f"{prefix}.{f.name}"))
            continue
        name = getattr(ann, "__name__", None) or str(ann).replace("typing.", "")
        out.append((f"{prefix}.{f.name}", name, getattr(defaults, f.name), docs.get(f.name, "")))
    return out


def _message(err: dict[str, Any], prefix: str, knob: bool) -> HardwareSettingError:
    loc = [str(p) for p in err["loc"] if not str(p).startswith("function-")]
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    where = prefix if knob else ".".join([prefix, *loc])
    if kind == "extra_forbidden":
        model = hardware_model()
        for part in loc[:-1]:
            model = model.model_fields[part].annotation
        known = sorted(model.model_fields)
        close = difflib.get_close_matches(loc[-1], known, n=1)
        return HardwareSettingError(where, "unknown field" + (f" (did you mean {close[0]!r}?)" if close else "")
                                    + f"; expected some of {known}")
    if kind == "greater_than":
        return HardwareSettingError(where, f"{value} must be > {ctx['gt']}")
    if kind == "greater_than_equal":
        return HardwareSettingError(where, f"{value} must be >= {ctx['ge']}")
    if kind == "less_than_equal":
        return HardwareSettingError(where, f"{value} exceeds the largest supported value {ctx['le']}")
    if kind == "finite_number":
        return HardwareSettingError(where, f"{value} must be a finite number")
    if kind in ("model_type", "dict_type"):
        return HardwareSettingError(where, "expected a table")
    names = {"int_type": "int", "float_type": "float", "string_type": "str", "bool_type": "bool"}
    if kind in names:
        return HardwareSettingError(where, f"{value!r} should be of type {names[kind]}")
    return HardwareSettingError(where, f"{value!r}: {err['msg']}")


def apply_overrides(hw: HardwareConfig, over: dict[str, Any], prefix: str = "hardware",
                    knob: bool = False) -> HardwareConfig:
    """A copy of ``hw`` with the nested overrides ``over`` validated and applied.

    Raises :class:`HardwareSettingError` naming the field (``knob``: ``prefix`` names the one overridden
    field, a sweep knob, and errors cite it as is)."""
    try:
        table = hardware_model().model_validate(over)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        raise _message(next((e for e in errors if e["type"] == "extra_forbidden"), errors[0]), prefix, knob) from None
    return _replace(hw, table.model_dump(exclude_unset=True), prefix, knob)


def _replace(obj: Any, changes: dict[str, Any], where: str, knob: bool) -> Any:
    new: dict[str, Any] = {}
    for key, value in changes.items():
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            new[key] = _replace(current, value, where if knob else f"{where}.{key}", knob)
        elif isinstance(current, dict):
            new[key] = {**current, **value}
        else:
            new[key] = value
    try:
        return dataclasses.replace(obj, **new)
    except (CrossbarError, HardwareError, CamNonidealError) as exc:
        raise HardwareSettingError(where, str(exc)) from None


def _field_at(dotted: str) -> tuple[Any, str, Any]:
    """(pydantic field info, its description, its default) of a dotted hardware setting ``cam.rows``."""
    model: Any = hardware_model()
    cls: Any = HardwareConfig
    parts = dotted.split(".")
    for part in parts[:-1]:
        model = model.model_fields[part].annotation
        cls = typing.get_type_hints(cls)[part]
    info = model.model_fields[parts[-1]]
    return info, info.description or "", getattr(cls(), parts[-1])


def option_type(dotted: str) -> typing.Callable[[str], Any]:
    """An argparse ``type=`` for a hardware setting: the text parsed and checked by its schema field."""
    info, _, default = _field_at(dotted)
    adapter = TypeAdapter(Annotated[info.annotation, *info.metadata])
    kind = type(default)

    def parse(text: str) -> Any:
        try:
            value = kind(text) if kind in (int, float) else text
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r}: expected {'a positive integer' if kind is int else 'a number'}") from None
        try:
            return adapter.validate_python(value)
        except ValidationError as exc:
            raise argparse.ArgumentTypeError(str(_message(exc.errors(include_url=False)[0], "", True))
                                             .removeprefix("[]: ")) from None
    return parse


def add_hardware_options(parser: argparse.ArgumentParser, options: dict[str, str]) -> None:
    """Add ``--option`` -> hardware setting (``{"--cam-rows": "cam.rows"}``) with the setting's meaning,
    default and checks from the hardware schema (the value is applied by :func:`options_overrides`)."""
    for flag, dotted in options.items():
        info, doc, default = _field_at(dotted)
        parser.add_argument(flag, type=option_type(dotted), default=None, metavar=dotted.rsplit(".", 1)[-1].upper(),
                            dest=_dest(dotted), help=f"{doc or dotted} (default {default}; [hardware] {dotted})")


def _dest(dotted: str) -> str:
    return "hw__" + dotted.replace(".", "__")


def options_overrides(args: argparse.Namespace, options: dict[str, str]) -> dict[str, Any]:
    """The nested hardware overrides of the options given on the command line."""
    over: dict[str, Any] = {}
    for dotted in options.values():
        value = getattr(args, _dest(dotted))
        if value is None:
            continue
        *tables, name = dotted.split(".")
        cur = over
        for t in tables:
            cur = cur.setdefault(t, {})
        cur[name] = value
    return over
