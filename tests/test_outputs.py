"""Output folders: a re-run replaces the previous run's files as a whole, never anything else."""

from __future__ import annotations

import json

import pytest

from codesign.scenarios.outputs import MANIFEST, OutputError, prepare_output, write_manifest


def test_rerun_removes_the_previous_runs_outputs_only(tmp_path):
    out = prepare_output(tmp_path / "run")
    (out / "report.json").write_text("{}")
    (out / "plots").mkdir()
    (out / "plots" / "a.png").write_bytes(b"png")
    write_manifest(out, "simulate", {"x": 1})
    listed = json.loads((out / MANIFEST).read_text())["outputs"]
    assert listed == ["plots/a.png", "report.json"]
    (out / "notes.txt").write_text("the user's own file, written after the run")

    prepare_output(out)  # the next run into the same folder
    assert not (out / "report.json").exists() and not (out / "plots").exists()
    assert not (out / MANIFEST).exists()
    assert (out / "notes.txt").read_text().startswith("the user's own file")


def test_resume_keeps_the_previous_run(tmp_path):
    out = prepare_output(tmp_path / "sweep")
    (out / "results.csv").write_text("a\n")
    write_manifest(out, "sweep", {})
    prepare_output(out, keep_previous=True)
    assert (out / "results.csv").exists() and (out / MANIFEST).exists()


def test_manifest_paths_outside_the_folder_are_never_removed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    out = prepare_output(tmp_path / "run")
    (out / MANIFEST).write_text(json.dumps({"outputs": ["../victim.txt"]}))
    prepare_output(out)
    assert victim.read_text() == "keep"


def test_corrupt_manifest_is_one_clear_error(tmp_path):
    out = prepare_output(tmp_path / "run")
    (out / MANIFEST).write_text("{not json")
    with pytest.raises(OutputError, match="manifest.json: unreadable manifest"):
        prepare_output(out)


def test_json_outputs_are_strict_json(tmp_path):
    """NaN becomes null ("not applicable"); an infinity is refused, naming the file and key, nothing written."""
    import numpy as np

    from codesign.atomic import NonFiniteJSONError, write_json
    from codesign.errors import CodesignError

    path = write_json(tmp_path / "ok.json", {"a": float("nan"), "b": np.array([1.0, np.nan]), "c": np.float32(2)})
    text = path.read_text()
    assert "NaN" not in text
    assert json.loads(text) == {"a": None, "b": [1.0, None], "c": 2.0}
    bad = tmp_path / "bad.json"
    with pytest.raises(NonFiniteJSONError, match=r"bad\.json: /rows/1/energy_pj: inf") as info:
        write_json(bad, {"rows": [{}, {"energy_pj": np.float64("inf")}]})
    assert isinstance(info.value, CodesignError)
    assert not bad.exists() and not list(tmp_path.glob("*.tmp"))
