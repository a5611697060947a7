"""Scenario files: the shipped ones (``scenarios/<study>/<name>.toml`` package data) by name, and the errors
for a scenario file that is missing (:class:`ScenarioNotFound`) or invalid (:class:`ScenarioError`).

``resolve_scenario("sweep_cam")`` (or ``"sweep_cam.toml"``) finds the shipped file wherever the package is
installed (read through :mod:`importlib.resources`); an existing path is taken as the user's own file.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from codesign.errors import CodesignError

DEFAULT_NAME = "default"
OPTICS_DEFAULT_NAME = "optics_default"


class ScenarioError(CodesignError, ValueError):
    """A scenario file or sweep knob is invalid; the message names the file and field."""


class ScenarioNotFound(CodesignError, FileNotFoundError):
    """A scenario name or path that names no scenario file."""


def shipped_scenarios() -> dict[str, Path]:
    """Name (file stem) -> path of every shipped scenario file, over all study folders."""
    root = resources.files("codesign.scenarios")
    found: dict[str, Path] = {}
    for study in sorted(root.iterdir(), key=lambda p: p.name):
        if not study.is_dir() or study.name.startswith(("_", ".")):
            continue
        for item in sorted(study.iterdir(), key=lambda p: p.name):
            if item.name.endswith(".toml"):
                found.setdefault(item.name[:-5], Path(str(item)))
    return found


def resolve_scenario(arg: str | Path | None, default: str = DEFAULT_NAME) -> Path:
    """A user's scenario path, or a shipped scenario by name (``default``, ``sweep_cam``, ...)."""
    if arg is None:
        arg = default
    path = Path(arg)
    if path.is_file():
        return path
    if path.exists():
        raise ScenarioNotFound(f"{path}: is a directory; expected a scenario TOML file")
    shipped = shipped_scenarios()
    name = path.name[:-5] if path.name.endswith(".toml") else path.name
    if name in shipped and (len(path.parts) == 1 or not path.is_absolute()):
        return shipped[name]
    raise ScenarioNotFound(f"{path}: no such scenario file; shipped scenarios: {', '.join(sorted(shipped))}")
