"""Packaging: the pyproject package list and package data are complete, and a regular (non-editable)
install imports and runs from an unrelated folder without writing into the installed package."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: what the wheel is built from (everything else in the checkout is left out of the build copy)
_NOT_BUILT = ("tests", ".git", ".venv", "build", "runs", "*.egg-info", "__pycache__", ".pytest_cache", ".cache")


def _setuptools() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]


def _package_dir(name: str) -> Path:
    assert _setuptools()["package-dir"] == {"codesign": "."}
    return REPO.joinpath(*name.split(".")[1:])


def test_package_list_is_every_folder_with_init():
    listed = set(_setuptools()["packages"])
    found = {"codesign"} | {
        "codesign." + ".".join(p.parent.relative_to(REPO).parts)
        for p in REPO.rglob("__init__.py")
        if p.parent != REPO and not p.relative_to(REPO).parts[0].startswith(("tests", ".", "build"))
    }
    assert listed == found, f"pyproject packages: missing {sorted(found - listed)}, extra {sorted(listed - found)}"


def test_package_data_covers_data_and_scenario_files():
    covered = {f for pkg, globs in _setuptools()["package-data"].items() for g in globs
               for f in _package_dir(pkg).glob(g) if f.is_file()}
    needed = {f for f in (REPO / "data").rglob("*") if f.is_file() and "__pycache__" not in f.parts}
    needed |= set((REPO / "scenarios").glob("*/*.toml"))
    assert needed and not needed - covered, f"not in package data: {sorted(map(str, needed - covered))}"


def _files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


_IMPORT_ALL = """
import importlib, pkgutil, sys
import codesign
assert codesign.__file__.startswith(sys.argv[1]), codesign.__file__
names = [m.name for m in pkgutil.walk_packages(codesign.__path__, "codesign.")
         if not m.name.endswith(".__main__")]  # bench.__main__ would run the whole benchmark
for name in names:
    importlib.import_module(name)
print(len(names))
"""


@pytest.mark.timeout(240)
def test_wheel_installs_imports_and_simulates_outside_the_repo(tmp_path):
    from codesign.sim.format import write_model
    from codesign.sim.synthetic import pecan_cnn

    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(*_NOT_BUILT))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", str(src), "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist")],
                   check=True, cwd=tmp_path, capture_output=True)
    wheel = next((tmp_path / "dist").glob("codesign-*.whl"))
    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, cwd=tmp_path, capture_output=True)
    before = _files(site)

    work, cache = tmp_path / "work", tmp_path / "cache"
    work.mkdir()
    write_model(work / "tiny.h5", pecan_cnn("distance", seed=0, n_golden=8))
    (work / "mine.json").write_text(json.dumps({"name": "mine", "kind": "cam", "base": "fefet_mcam", "params": {}}))
    # the installed copy comes first on the path; dependencies stay importable from the current environment
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *filter(None, [os.environ.get("PYTHONPATH")])]),
           "CODESIGN_CACHE_DIR": str(cache)}
    env.pop("NUMBA_CACHE_DIR", None)
    run = dict(cwd=work, env=env, capture_output=True, text=True, timeout=200)
    res = subprocess.run([sys.executable, "-c", _IMPORT_ALL, str(site)], **run)
    assert res.returncode == 0, res.stderr[-3000:]
    assert int(res.stdout.split()[-1]) > 100
    res = subprocess.run([sys.executable, "-m", "codesign.scenarios", "simulate", "tiny.h5", "--tech", "mine.json",
                          "--limit", "8", "--no-progress"], **run)
    assert res.returncode == 0, res.stderr[-3000:]
    assert json.loads((work / "runs/simulate/report.json").read_text())["layers"]
    assert "CAM: mine.json" in res.stdout
    assert any((cache / "numba").rglob("*.nbi")), "Numba's JIT cache should be under CODESIGN_CACHE_DIR"
    res = subprocess.run([sys.executable, "-m", "codesign.scenarios", "simulate", "tiny.h5", "--tech", "missing.json"],
                         **run)
    assert res.returncode == 2 and res.stderr.strip() == "codesign: error: missing.json: no such technology file"
    assert _files(site) == before, "a run wrote into the installed package"
