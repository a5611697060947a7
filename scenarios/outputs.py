"""Output folders and run manifests.

:func:`prepare_output` runs before any work: the folder is created (a path naming an existing file is an
error), checked for writability by writing a probe file, and stale ``*.tmp`` files of an interrupted run
(in the folder and one level down) are removed. :func:`write_manifest` records beside the outputs what
produced them: the command, its options, every input file with its SHA-256, and the codesign version.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterable

from codesign import __version__
from codesign.atomic import write_json
from codesign.errors import CodesignError

MANIFEST = "manifest.json"


class OutputError(CodesignError, OSError):
    """An output folder or file that cannot be written; the message names it and the option."""


def prepare_output(folder: str | os.PathLike, option: str = "-o/--out") -> Path:
    """Create ``folder``, check it is writable and remove stale ``*.tmp`` files; return it."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: {option} names an existing file; expected a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".codesign-write-probe.{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"{folder}: output folder ({option}) is not writable: {exc.strerror or exc}") from None
    for stale in [*folder.glob("*.tmp"), *folder.glob("*/*.tmp")]:
        if stale.is_file():
            stale.unlink(missing_ok=True)
    return folder


def prepare_output_file(path: str | os.PathLike, option: str = "-o/--output") -> Path:
    """Like :func:`prepare_output` for a command writing one file: its folder is prepared."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: {option} names a folder; expected a file path")
    prepare_output(path.parent, option)
    return path


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_manifest(folder: str | os.PathLike, command: str, options: dict[str, Any],
                   inputs: Iterable[str | os.PathLike] = (), name: str = MANIFEST) -> Path:
    """Write ``folder/manifest.json``: command, options, inputs with SHA-256, version, time (UTC)."""
    files = {}
    for p in inputs:
        p = Path(p)
        if p.is_file():
            files[str(p)] = sha256_file(p)
    manifest = {"command": command, "argv": sys.argv[1:], "options": {k: _plain(v) for k, v in options.items() if k != "func"},
                "inputs": files, "codesign_version": __version__,
                "written_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    return write_json(Path(folder) / name, manifest, default=str)


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)
