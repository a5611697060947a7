"""argparse ``type=`` functions: a command-line value checked by a pydantic type when the line is parsed
(one usage-error line). :func:`schema_option` takes the type of a scenario-schema field, so an option that
overrides a scenario setting (``--samples`` = ``[sweep] samples``) has exactly that setting's rules;
hardware options come from :func:`codesign.scenarios.hardware_schema.add_hardware_options`.
"""

from __future__ import annotations

import argparse
import typing
from typing import Annotated, Any, Callable

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

#: an integer >= 1 (counts, sizes)
PositiveInt = Annotated[int, Field(ge=1)]
#: an integer >= 0 (seeds)
NonNegInt = Annotated[int, Field(ge=0)]


def checked(annotated: Any, what: str) -> Callable[[str], Any]:
    """A ``type=`` parsing the text as the annotation's int/float and validating it; errors say ``what``."""
    adapter = TypeAdapter(annotated)
    base = typing.get_args(annotated)[0] if typing.get_origin(annotated) is Annotated else annotated
    args = [a for a in typing.get_args(base) if a is not type(None)]  # int | None -> int
    kind = args[0] if args else base

    def parse(text: str) -> Any:
        try:
            value = kind(text)
            return adapter.validate_python(value)
        except (ValueError, ValidationError):
            pass
        raise argparse.ArgumentTypeError(f"{text!r}: expected {what}")
    parse.__name__ = what  # argparse names the type in some messages
    return parse


def schema_option(model: type[BaseModel], name: str, what: str) -> Callable[[str], Any]:
    """A ``type=`` with the rules of field ``name`` of a scenario-schema section ``model``."""
    info = model.model_fields[name]
    return checked(Annotated[info.annotation, *info.metadata], what)


positive_int = checked(PositiveInt, "a positive integer (>= 1)")
nonneg_int = checked(NonNegInt, "an integer >= 0")
