"""argparse ``type=`` functions: numbers checked when the command line is parsed (one usage error line)."""

from __future__ import annotations

import argparse
import math


def _number(text: str, kind: type, what: str) -> int | float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected {what}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r}: expected a finite number")
    return value


def positive_int(text: str) -> int:
    """An integer >= 1."""
    value = _number(text, int, "a positive integer")
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: expected a positive integer (>= 1)")
    return value


def nonneg_int(text: str) -> int:
    """An integer >= 0 (seeds)."""
    value = _number(text, int, "an integer >= 0")
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text}: expected an integer >= 0")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0."""
    value = _number(text, float, "a positive number")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text}: expected a number > 0")
    return value
