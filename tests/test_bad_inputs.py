"""Bad scenario, technology and optics files and flags: one error line naming the file/field, exit 2,
no traceback, no hang, nothing written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from codesign.scenarios.cli import main
from codesign.scenarios.shipped import shipped_scenarios

pytestmark = pytest.mark.timeout(60)

HEAD = "[scenario]\nname = 'x'\n"
SWEEP = HEAD + ("[sweep]\nevaluator = 'cam_pecan'\n{extra}\n[sweep.axes]\n'hardware.cam.rows' = [32, 64]\n"
                "[objectives]\nminimize = ['energy_pj', 'latency_ns']\n")


def _fails(capsys, argv: list[str], *fragments: str) -> str:
    """Run the CLI in-process; expect exit 2 (argparse or CodesignError) and one stderr line with ``fragments``."""
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse usage errors
        rc = exc.code
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    last = err.splitlines()[-1]
    assert "Traceback" not in err and "error" in last
    for frag in fragments:
        assert frag in last, (frag, last)
    return last


@pytest.mark.parametrize("text, fragments", [
    ("objectives = 3\n" + HEAD, ["[objectives]", "should be of type table"]),
    ("scenario = 'name'\n", ["[scenario]", "should be of type table"]),
    (HEAD + "[hardware.cam]\nrows = 0\n", ["[hardware.cam.rows]", "0 must be > 0"]),
    (HEAD + "[hardware.cam]\ncols = 0\n", ["[hardware.cam.cols]", "must be > 0"]),
    (HEAD + "[hardware]\nclock_ghz = 0.0\n", ["[hardware.clock_ghz]", "must be > 0"]),
    (HEAD + "[hardware.cam]\nparallel_arrays = 0\n", ["[hardware.cam.parallel_arrays]", "must be > 0"]),
    (HEAD + "[hardware.cam]\nrows = 1000000000000\n", ["[hardware.cam.rows]", "largest supported value"]),
    (HEAD + "[hardware]\nclock_ghz = nan\n", ["[hardware.clock_ghz]", "finite"]),
    (HEAD + "[hardware.cam]\nrows = true\n", ["[hardware.cam.rows]", "should be of type int"]),
    (HEAD + "[model]\nseed = -3\n", ["[model.seed]", "-3 must be >= 0"]),
    (HEAD + "[model]\nsed = 3\n", ["[model.sed]", "did you mean 'seed'"]),
    (HEAD + "[model]\nnum_prototypes = 8.0\n", ["[model.num_prototypes]", "should be of type int"]),
    (HEAD + "[modle]\n", ["[modle]", "unknown section", "did you mean 'model'"]),
    (SWEEP.format(extra="chunk_size = 0"), ["[sweep.chunk_size]", "0 must be >= 1"]),
    (SWEEP.format(extra="chunk_size = -5"), ["[sweep.chunk_size]"]),
    (SWEEP.format(extra="acuracy = true"), ["[sweep.acuracy]", "did you mean 'accuracy'"]),
    (SWEEP.format(extra="").replace("'latency_ns'", "'accuracy'"), ["[sweep.accuracy]", "accuracy = true"]),
    (SWEEP.format(extra="mode = 'random'"), ["[sweep.samples]", "samples >= 1"]),
])
def test_bad_scenario_file(tmp_path, capsys, text, fragments):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    out = tmp_path / "out"
    _fails(capsys, ["sweep" if "[sweep]" in text else "run", str(path), "-o", str(out)], str(path), *fragments)
    assert not out.exists()


def test_unreadable_scenario_paths(tmp_path, capsys):
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe[scenario]\n")
    _fails(capsys, ["run", str(binary)], str(binary), "not a UTF-8")
    folder = tmp_path / "dir.toml"
    folder.mkdir()
    _fails(capsys, ["run", str(folder)], "is a directory")


def test_sweep_point_limit_fails_fast_with_the_option(tmp_path, capsys):
    values = ", ".join(str(2 ** i) for i in range(1, 13))
    axes = "\n".join(f"'hardware.cam.{k}' = [{values}]" for k in ("rows", "cols", "parallel_arrays", "lut_banks",
                                                                 "adders"))
    path = tmp_path / "big.toml"
    path.write_text(SWEEP.format(extra="").replace("'hardware.cam.rows' = [32, 64]", axes))
    out = tmp_path / "out"
    _fails(capsys, ["sweep", str(path), "-o", str(out)], "248,832 points exceed the limit of 100,000",
           "--max-points", "max_points")
    _fails(capsys, ["sweep", str(path), "-o", str(out), "--max-points", "10"], "exceed the limit of 10")
    assert not out.exists()


@pytest.mark.parametrize("argv, fragments", [
    (["sweep", "sweep_cam", "--processes", "-1"], ["--processes", "positive integer"]),
    (["sweep", "sweep_cam", "--samples", "0"], ["--samples", "positive integer"]),
    (["sweep", "sweep_cam", "--samples", "3"], ["--samples 3", "grid"]),
    (["simulate", "m.h5", "--clock-ghz", "-1"], ["--clock-ghz", "> 0"]),
    (["simulate", "m.h5", "--clock-ghz", "inf"], ["--clock-ghz", "finite"]),
    (["simulate", "m.h5", "--macs-per-cycle", "0"], ["--macs-per-cycle"]),
    (["simulate", "m.h5", "--limit", "-1"], ["--limit"]),
    (["simulate", "m.h5", "--cam-rows", "2.5"], ["--cam-rows", "positive integer"]),
    (["optics", "simulate", "--seed", "-3"], ["--seed"]),
])
def test_bad_flags(capsys, argv, fragments):
    _fails(capsys, argv, *fragments)


def test_output_naming_a_file_or_unwritable(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("keep")
    _fails(capsys, ["run", "default", "-o", str(afile)], str(afile), "existing file")
    _fails(capsys, ["sweep", "sweep_cam", "-o", str(afile / "sub")], str(afile / "sub"), "not writable")
    _fails(capsys, ["optics", "simulate", "-o", str(tmp_path)], "names a folder")
    assert afile.read_text() == "keep"


def _tech(tmp_path: Path, key: str, value) -> Path:
    from codesign.cam.technology import technology_file

    raw = json.loads(technology_file("fefet_mcam").read_text())
    raw["params"][key]["value"] = value
    path = tmp_path / "t.json"
    path.write_text(json.dumps(raw))
    return path


@pytest.mark.parametrize("key, value, fragment", [
    ("search_energy_pj", -1.0, "cannot be negative"),
    ("cell_area_um2", -0.5, "cannot be negative"),
    ("search_energy_pj", 1e308, "[0, 1e+09]"),
    ("bits_per_cell", 2.5, "integer"),
    ("bits_per_cell", 0, "integer"),
    ("ref_rows", 0, "integer"),
    ("array_periphery_area_frac", 1.5, "fraction"),
    ("search_latency_ns", True, "finite number"),
])
def test_bad_technology_file(tmp_path, capsys, key, value, fragment):
    path = _tech(tmp_path, key, value)
    out = tmp_path / "out"
    _fails(capsys, ["simulate", "m.h5", "--tech", str(path), "-o", str(out)], str(path), f"params/{key}", fragment)
    scn = tmp_path / "s.toml"
    scn.write_text(HEAD + f"[hardware.cam]\ntechnology = '{path.name}'\n")
    _fails(capsys, ["run", str(scn), "-o", str(out)], f"[hardware.cam.technology]", f"params/{key}")
    assert not out.exists()


def _optics(tmp_path: Path, old: str, new: str) -> Path:
    src = shipped_scenarios()["optics_default"].read_text()
    assert old in src
    path = tmp_path / "o.toml"
    path.write_text(src.replace(old, new, 1))
    return path


@pytest.mark.parametrize("old, new, fragments", [
    ("n_spans = 5", "n_spanz = 5", ["line.n_spanz", "did you mean 'n_spans'"]),
    ("n_spans = 5", "n_spans = 5.7", ["line.n_spans", "valid integer"]),
    ("span_length_km = [80,", "span_length_km = [true,", ["line.span_length_km[0]", "True"]),
    ('fiber = "SSMF"', 'fiber = "SSMF"\nloss_db_km = inf', ["line.loss_db_km", "finite"]),
    ("duration_s = 86400 ", "duration_s = 1e12 ", ["time.sample_period_s", "max_samples"]),
    ("sample_period_s = 10 ", "sample_period_s = 0.001 ", ["time.sample_period_s", "max_samples"]),
    ("tap_count = 6", "tap_count = 1000000000", ["random_events.tap_count", "10000"]),
    ("tap_count = 6", "tap_count = 6.0", ["random_events.tap_count"]),
    ("[line]", "line = 5\n[line_]", ["'line'", "valid dictionary"]),
    ("time_s = 3000", "time_s = nan", ["events[0].time_s", "finite"]),
    ("[random_events]", "[drift]\nstep_s = 0\n[random_events]", ["drift.step_s", "greater than 0"]),
    ("[random_events]", "[opm]\npower_noise_db = true\n[random_events]", ["opm.power_noise_db"]),
])
def test_bad_optics_scenario(tmp_path, capsys, old, new, fragments):
    path = _optics(tmp_path, old, new)
    out = tmp_path / "out" / "d.h5"
    _fails(capsys, ["optics", "simulate", str(path), "-o", str(out)], str(path), *fragments)
    assert not out.parent.exists()


def test_optics_events_must_be_tables(tmp_path):
    import tomllib

    from codesign.optics.errors import OpticsInputError
    from codesign.optics.scenario import load_scenario

    raw = tomllib.loads(shipped_scenarios()["optics_default"].read_text())
    raw["events"] = [1]
    with pytest.raises(OpticsInputError, match=r"events\[0\]"):
        load_scenario(raw, "x.toml")


def test_cli_subprocess_one_line_no_traceback(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + "[hardware.cam]\nrows = 0\n")
    res = subprocess.run([sys.executable, "-m", "codesign.scenarios", "run", str(path)],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.strip().count("\n") == 0 and "[hardware.cam.rows]" in res.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("argv, option", [
    (["crossbar", "x.h5", "-o", "{file}"], "-o/--out"),
    (["complete", "opm", "-o", "{file}"], "-o/--outdir"),
    (["complete", "images", "-o", "{file}/sub"], "-o/--outdir"),
    (["bench", "-o", "{dir}"], "-o/--out"),
    (["debut", "hw", "--out", "{file}"], "--out"),
    (["robust", "train-eval", "-o", "{file}"], "-o/--out"),
    (["compress", "tensor-view", "-o", "{file}"], "-o/--out"),
    (["train", "pecan_d", "-o", "{dir}"], "-o/--output"),
    (["train", "all", "-o", "{file}"], "-o/--output"),
])
def test_every_writing_command_checks_its_output_first(tmp_path, capsys, argv, option):
    afile = tmp_path / "afile"
    afile.write_text("keep")
    adir = tmp_path / "adir"
    adir.mkdir()
    argv = [a.format(file=afile, dir=adir) for a in argv]
    _fails(capsys, argv, option)
    assert afile.read_text() == "keep" and not any(adir.iterdir())


@pytest.mark.parametrize("mutate, fragments", [
    (lambda r: r.__setitem__("parms", r.pop("params")), ["/parms: unknown key", "did you mean 'params'"]),
    (lambda r: r["params"]["search_energy_pj"].__setitem__("sorce", "x"), ["search_energy_pj/sorce", "'source'"]),
    (lambda r: r.__setitem__("kind", "camm"), ["/kind: 'camm'", "expected one of"]),
    (lambda r: r["params"]["search_energy_pj"].__setitem__("value", "1.0"), ["search_energy_pj/value", "finite"]),
    (lambda r: r["params"]["search_energy_pj"].__setitem__("scaling", "linear"), ["scaling: 'linear'"]),
])
def test_technology_file_schema(tmp_path, capsys, mutate, fragments):
    """The pydantic schema of technology files: misspelt keys get a suggestion, wrong types and values are named."""
    from codesign.cam.technology import technology_file

    raw = json.loads(technology_file("fefet_mcam").read_text())
    mutate(raw)
    path = tmp_path / "t.json"
    path.write_text(json.dumps(raw))
    _fails(capsys, ["simulate", "m.h5", "--tech", str(path), "-o", str(tmp_path / "out")], str(path), *fragments)
