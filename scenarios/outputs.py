"""Output folders and run manifests.

:func:`prepare_output` runs before any work: the folder is created (a path naming an existing file is an
error), checked for writability by writing a probe file, and stale ``*.tmp`` files of an interrupted run
(in the folder and one level down) are removed. :func:`write_manifest` records beside the outputs what
produced them: the command, its options, every input file with its SHA-256, the codesign version, and the
files the run wrote. A re-run into a used folder replaces the previous run as a whole: :func:`prepare_output`
first removes the files the previous manifest lists (and the manifest), so the folder never mixes two runs;
a run that is interrupted leaves no manifest, which marks its outputs as incomplete.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterable

from codesign import __version__
from codesign.atomic import write_json
from codesign.errors import CodesignError

MANIFEST = "manifest.json"
#: when this process started writing (files modified since then are this run's outputs)
_RUN_START = time.time()


class OutputError(CodesignError, OSError):
    """An output folder or file that cannot be written; the message names it and the option."""


def prepare_output(folder: str | os.PathLike, option: str = "-o/--out", keep_previous: bool = False) -> Path:
    """Create ``folder``, check it is writable, remove stale ``*.tmp`` files and (unless ``keep_previous``,
    e.g. to resume) the previous run's outputs listed in its manifest; return the folder."""
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
    if not keep_previous:
        _remove_previous_run(folder)
    return folder


def _remove_previous_run(folder: Path) -> None:
    """Delete the files ``folder/manifest.json`` lists as a previous run's outputs, then the manifest."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8")).get("outputs", [])
        if not isinstance(listed, list) or not all(isinstance(x, str) for x in listed):
            raise ValueError("'outputs' is not a list of file names")
    except (OSError, ValueError, AttributeError) as exc:
        raise OutputError(f"{manifest}: unreadable manifest of a previous run ({exc}); delete it or choose "
                          "another output folder") from None
    root = folder.resolve()
    emptied = set()
    for rel in listed:
        path = (folder / rel).resolve()
        if root in path.parents and path.is_file():  # never outside the folder
            path.unlink()
            emptied.add(path.parent)
    for sub in sorted(emptied, key=lambda d: len(d.parts), reverse=True):
        if sub != root and not any(sub.iterdir()):
            sub.rmdir()
    manifest.unlink()


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
    """Write ``folder/manifest.json``: command, options, inputs with SHA-256, version, time (UTC), and the
    files this run wrote in ``folder`` (modified since the process started)."""
    folder = Path(folder)
    written = sorted(str(f.relative_to(folder)) for f in folder.rglob("*")
                     if f.is_file() and f.name != name and f.stat().st_mtime >= _RUN_START)
    files = {}
    for p in inputs:
        p = Path(p)
        if p.is_file():
            files[str(p)] = sha256_file(p)
    manifest = {"command": command, "argv": sys.argv[1:], "options": {k: _plain(v) for k, v in options.items() if k != "func"},
                "inputs": files, "outputs": written, "codesign_version": __version__,
                "written_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    return write_json(folder / name, manifest, default=str)


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)
