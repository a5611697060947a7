"""The ``codesign`` command line.

Every module in :mod:`codesign.scenarios.commands` that defines ``register(subparsers)``
adds its own sub-command, so each capability owns its CLI code.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from codesign import __version__
from codesign.errors import CodesignError
from codesign.scenarios import commands as _commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codesign",
        description="Hardware/algorithm co-design: PECAN/DeBut networks on simulated CAM/IMC "
        "hardware, optical tap detection, design-space exploration.",
    )
    parser.add_argument("--version", action="version", version=f"codesign {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(_commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{_commands.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0
    try:
        result = args.func(args)
    except KeyboardInterrupt:
        print("codesign: interrupted", file=sys.stderr)
        return 130
    except (CodesignError, FileNotFoundError, PermissionError) as exc:  # bad input or a path the user gave
        print(f"codesign: error: {exc}", file=sys.stderr)
        return 2
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
