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
    ('[optics]\ntap_losses_db = [0.0]\n', "[optics.tap_losses_db]"),
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
