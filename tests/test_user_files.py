"""A user's own files: technologies by path (also in scenario files and ``base``), the cache folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from codesign.cam.technology import TechnologyError, load_technology, shipped_tech_dir
from codesign.scenarios.cache import cache_root
from codesign.scenarios.scenario import ScenarioError, load_scenario
from codesign.scenarios.sweeping import run_scenario_sweep


def _tech(path, base, **params):
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = {k: {"value": v, "unit": "pJ", "source": "assumption (ours), test"} for k, v in params.items()}
    path.write_text(json.dumps({"name": path.stem, "kind": "cam", "base": base, "params": entries}))
    return path


def test_technology_by_path_with_relative_and_shipped_base(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shipped = load_technology("fefet_mcam")
    assert shipped.path.parent == shipped_tech_dir()
    _tech(tmp_path / "lib" / "a.json", "fefet_mcam", search_energy_pj=9.0)  # shipped base
    _tech(tmp_path / "lib" / "b.json", "a", write_energy_pj=7.0)  # sibling a.json
    _tech(tmp_path / "c.json", "lib/b.json")  # path relative to c.json's folder
    c = load_technology("c.json")
    assert c.get("search_energy_pj") == 9.0 and c.get("write_energy_pj") == 7.0
    assert c.get("search_latency_ns") == shipped.get("search_latency_ns")
    _tech(tmp_path / "d.json", "lib/nope.json")
    with pytest.raises(TechnologyError, match=r"d\.json: /base: .*nope\.json: no such technology file"):
        load_technology("d.json")
    with pytest.raises(TechnologyError, match="is a folder"):
        load_technology(tmp_path / "lib")
    monkeypatch.setenv("CODESIGN_TECH_DIR", str(tmp_path / "lib"))
    assert load_technology("b").get("write_energy_pj") == 7.0  # override folder first ...
    assert load_technology("sram_tcam").kind == "cam"  # ... then the shipped files


SCENARIO = """
[scenario]
name = "mine"
[model]
network = "synthetic"
[hardware.cam]
technology = "{tech}"
[sweep]
evaluator = "cam_pecan"
[sweep.axes]
"hardware.cam.technology" = ["sram_tcam", "{tech}"]
"hardware.cam.rows" = [32, 64]
[objectives]
minimize = ["energy_pj", "latency_ns"]
"""


def test_scenario_technology_paths_are_relative_to_the_scenario_file(tmp_path, monkeypatch):
    folder = tmp_path / "study"
    _tech(folder / "tech" / "cheap.json", "fefet_mcam", search_energy_pj=0.01)
    (folder / "s.toml").write_text(SCENARIO.format(tech="tech/cheap.json"))
    monkeypatch.chdir(tmp_path)  # not the scenario's folder
    scn = load_scenario(folder / "s.toml")
    mine = str(folder / "tech" / "cheap.json")
    assert scn.hardware.cam.technology == mine
    assert scn.sweep["axes"]["hardware.cam.technology"] == ["sram_tcam", mine]
    res = run_scenario_sweep(scn, out=tmp_path / "out", workers=1, progress=False)
    assert res["evaluated"] == 4 and res["failed"] == 0

    (folder / "bad.toml").write_text(SCENARIO.format(tech="tech/missing.json"))
    with pytest.raises(ScenarioError, match=r"bad\.toml: \[hardware\.cam\.technology\]: .*missing\.json: no such"):
        load_scenario(folder / "bad.toml")
    (folder / "kind.toml").write_text(SCENARIO.format(tech="sram_lut"))
    with pytest.raises(ScenarioError, match=r"kind\.toml: \[hardware\.cam\.technology\]: .*'sram'.*expected a 'cam'"):
        load_scenario(folder / "kind.toml")


def test_cache_root_env_and_cli_option(tmp_path, monkeypatch):
    from codesign.scenarios.cli import main

    import platformdirs

    monkeypatch.delenv("CODESIGN_CACHE_DIR", raising=False)
    assert cache_root() == Path(platformdirs.user_cache_dir("codesign"))
    monkeypatch.setenv("CODESIGN_CACHE_DIR", str(tmp_path / "env"))
    assert cache_root() == tmp_path / "env"
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "env" / "numba"))  # as codesign/__init__ sets it
    assert main(["--cache-dir", str(tmp_path / "cli")]) == 0
    assert cache_root() == tmp_path / "cli" and os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "cli" / "numba")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "users_own"))
    main(["--cache-dir", str(tmp_path / "again")])
    assert cache_root() == tmp_path / "again" and os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "users_own")
