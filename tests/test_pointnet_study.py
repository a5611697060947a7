"""The ``codesign debut pointnet`` study: settings checks (fast) and the quick end-to-end run (slow)."""

import pytest

from codesign.scenarios.debut.pointnet import PointNetSettings, PointNetSettingsError, quick_settings


def test_settings_errors_name_the_field():
    with pytest.raises(PointNetSettingsError, match="epochs = 0"):
        PointNetSettings(epochs=0).check()
    with pytest.raises(PointNetSettingsError, match="ratio = 1.5"):
        PointNetSettings(ratio=1.5).check()
    assert quick_settings(seeds=2).seeds == 2 and quick_settings().train_points < PointNetSettings().train_points


@pytest.mark.slow
def test_quick_study_end_to_end(tmp_path, monkeypatch):
    from codesign.scenarios.cache import CACHE_ENV
    from codesign.scenarios.debut.pointnet_hw import run_study

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    text, raw = run_study(quick_settings(), out_dir=tmp_path / "models", functional=1, log=lambda m: None)
    rows = {r["kind"]: r for r in raw["rows"]}
    assert rows["debut-als"]["ratio"] <= 0.05 and rows["svd"]["params"] <= rows["debut-als"]["params"]
    assert rows["prune"]["params"] <= rows["debut-als"]["params"]
    digital = [r for r in raw["hardware"] if r["target"] == "digital fp32"]
    assert all(r["golden_match"] == 1.0 and r["max_abs_diff"] < 1e-3 for r in digital)
    assert {r["mapping"] for r in raw["hardware"] if r["model"] == "debut"} == {"-", "dense", "block", "diagonal"}
    assert "All-DeBut (ALS init)" in text and (tmp_path / "models" / "pointnet-debut.h5").is_file()
    # a second run finds every trained model in the cache
    text2, _ = run_study(quick_settings(), functional=0, log=lambda m: None)
    assert text2.split("\n\n")[0] == text.split("\n\n")[0]
