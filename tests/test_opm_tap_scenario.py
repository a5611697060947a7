"""The opm_tap scenario kind: parsing of opm-tap-cam and its [optics] section, runner dispatch, digits default."""

from __future__ import annotations

import pytest

from codesign.scenarios.scenario import ScenarioError, load_scenario


def test_shipped_opm_tap_cam_parses():
    scn = load_scenario("opm-tap-cam")
    assert scn.kind == "opm_tap"
    assert scn.optics.lines == ("optics_default", "line_3x40km") and scn.optics.variants == ("cnn", "pecan_d")
    assert scn.hardware.cam.technology == "fefet_mcam"
    assert load_scenario().kind == "digits" and load_scenario().optics is None


@pytest.mark.parametrize("body, field", [
    ('[optics]\nwindow = 4\n', "[optics.window]: 4 must be >= 16"),
    ('[optics]\nbogus = 1\n', "[optics.bogus]: unknown field"),
    ('[optics]\nvariants = ["lstm"]\n', "[optics.variants]"),
    ('[optics]\ntap_losses_db = [0.0]\n', "[optics.tap_losses_db.0]: 0.0 must be > 0"),
    ('[optics]\nlines = "optics_default"\n', "[optics.lines]"),
])
def test_bad_optics_fields_name_file_and_field(tmp_path, body, field):
    p = tmp_path / "s.toml"
    p.write_text('[scenario]\nname = "x"\nkind = "opm_tap"\n' + body)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p)
    assert str(p) in str(exc.value) and field in str(exc.value)


def test_kind_checked_and_optics_only_for_opm_tap(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('[scenario]\nname = "x"\nkind = "nope"\n')
    with pytest.raises(ScenarioError, match=r"\[scenario.kind\]"):
        load_scenario(p)
    p.write_text('[scenario]\nname = "x"\n[optics]\nwindow = 32\n')
    with pytest.raises(ScenarioError, match="only scenarios of kind 'opm_tap'"):
        load_scenario(p)


def test_opm_tap_loop_end_to_end(tmp_path, monkeypatch):
    """`codesign run` on a small opm_tap scenario (~15 s CPU): data sets written, tables and plots, PECAN-D
    bit-exact on the CAM."""
    from codesign.scenarios.runner import run_scenario

    monkeypatch.setenv("CODESIGN_CACHE_DIR", str(tmp_path / "cache"))
    p = tmp_path / "s.toml"
    p.write_text('[scenario]\nname = "small"\nkind = "opm_tap"\n[optics]\nlines = ["line_3x40km"]\ntrain_days = 1\n'
                 'commissioning_hours = 2\ntap_day_hours = 2\ntap_losses_db = [1.0]\nepochs = 2\nevents_per_day = 4\n'
                 'hardware_windows = 32\ngolden_size = 16\n')
    summary = run_scenario(load_scenario(p), progress=False, out=tmp_path / "out", log=lambda *a: None)
    line = summary["lines"][0]
    assert len(line["data_files"]) == 4 and {r["detector"] for r in line["mixed"]} >= {"cnn", "pecan_d", "TapDetector rx"}
    cam = [r for r in line["hardware"] if r["target"] == "cam"][0]
    assert cam["golden_match"] == 1.0 and cam["golden_max_abs_logit_diff"] == 0.0 and cam["test_match_vs_torch"] == 1.0
    assert cam["energy_pj"] > cam["classifier_energy_pj"] > 0 and cam["node_power_nw"] == pytest.approx(cam["energy_pj"] / 1e4)
    assert (tmp_path / "out" / "summary.md").read_text().count("TapDetector rx") >= 2
    assert len(list((tmp_path / "out").glob("*.png"))) == 3
