"""The ``codesign`` command line.

Every module in :mod:`codesign.scenarios.commands` that defines ``register(subparsers)``
adds its own sub-command, so each capability owns its CLI code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from pathlib import Path

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
    parser.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                        help="cache folder for this run: trained models, accuracies, JIT code (default: "
                        "$CODESIGN_CACHE_DIR, else the platform's user cache folder)")
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
    if args.cache_dir is not None:
        from codesign.scenarios.cache import set_cache_root

        set_cache_root(args.cache_dir)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0
    try:
        outputs = _prepare_outputs(args)
        result = args.func(args)
        if not result:
            _write_manifests(args, outputs)
    except KeyboardInterrupt:
        print("codesign: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of our output went away (`codesign schema | head`)
        sys.stdout = open(os.devnull, "w")  # no second error when Python flushes stdout at exit
        return 141
    except (CodesignError, FileNotFoundError, PermissionError) as exc:  # bad input or a path the user gave
        print(f"codesign: error: {exc}", file=sys.stderr)
        return 2
    return int(result or 0)


def _prepare_outputs(args: argparse.Namespace) -> list[Path]:
    """Check the outputs a command declared (``set_defaults(outputs=[(attr, "dir"|"file", option)])``)
    before it runs: writable, not a file where a folder belongs; stale ``*.tmp`` files removed.
    Returns the output folders (which get a manifest after a successful run)."""
    from codesign.scenarios.outputs import prepare_output, prepare_output_file

    folders = []
    for attr, kind, option in getattr(args, "outputs", ()):
        value = getattr(args, attr, None)
        if value is None:
            continue
        if kind == "dir":
            folders.append(prepare_output(value, option))
        else:
            prepare_output_file(value, option)
    return folders


def _write_manifests(args: argparse.Namespace, folders: list[Path]) -> None:
    from codesign.scenarios.outputs import write_manifest

    inputs = [getattr(args, a) for a in getattr(args, "inputs", ()) if getattr(args, a, None) is not None]
    name = str(args.command)
    for folder in folders:
        write_manifest(folder, name, {k: v for k, v in vars(args).items() if k not in ("outputs", "inputs")},
                       [Path(p) for p in inputs if isinstance(p, (str, Path))])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
