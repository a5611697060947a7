"""Technology files (loading, errors) and CAM array models (encoding, cost scaling, search)."""

import json

import numpy as np
import pytest

from codesign.cam.cam_array.array import CamArray, cells_per_value, encode_levels
from codesign.cam.technology import TechnologyError, available_technologies, load_technology
from codesign.errors import CodesignError


def test_shipped_technologies_load_with_sources():
    names = available_technologies()
    for n in ("fefet_mcam", "sram_tcam", "sram_lut", "cmos_digital_45nm"):
        assert n in names
        t = load_technology(n)
        assert all(len(p.source) > 5 and p.unit for p in t.params.values())
    assert set(available_technologies("cam")) >= {"fefet_mcam", "sram_tcam"}


def _write(tmp_path, obj, name="t.json"):
    p = tmp_path / name
    p.write_text(json.dumps(obj) if not isinstance(obj, str) else obj)
    return p


def test_technology_errors_name_file_and_field(tmp_path):
    good = json.loads(load_technology("sram_lut").path.read_text())
    bad = json.loads(json.dumps(good))
    del bad["params"]["read_energy_pj_8kib"]["source"]
    with pytest.raises(TechnologyError, match=r"t\.json: params/read_energy_pj_8kib/source: missing"):
        load_technology(_write(tmp_path, bad))
    bad = json.loads(json.dumps(good))
    del bad["params"]["word_bits"]
    with pytest.raises(TechnologyError, match="params/word_bits: missing"):
        load_technology(_write(tmp_path, bad))
    bad = json.loads(json.dumps(good))
    bad["params"]["read_energy_pj_8kib"]["source"] = ""
    with pytest.raises(TechnologyError, match="expected a citation"):
        load_technology(_write(tmp_path, bad))
    bad = json.loads(json.dumps(good))
    bad["params"]["read_energy_pj_8kib"]["value"] = "ten"
    with pytest.raises(TechnologyError, match="read_energy_pj_8kib/value"):
        load_technology(_write(tmp_path, bad))
    with pytest.raises(TechnologyError, match="not valid JSON"):
        load_technology(_write(tmp_path, "{oops"))
    with pytest.raises(TechnologyError, match="no such technology file"):
        load_technology("does_not_exist")
    assert issubclass(TechnologyError, CodesignError)


def test_thermometer_encoding_preserves_l1():
    rng = np.random.default_rng(0)
    for vb, cb in ((4, 3), (4, 1), (3, 3), (5, 2)):
        a = rng.integers(0, 2**vb, size=(50, 6))
        b = rng.integers(0, 2**vb, size=(50, 6))
        ea, eb = encode_levels(a, vb, cb), encode_levels(b, vb, cb)
        assert ea.shape[1] == 6 * cells_per_value(vb, cb)
        assert ea.max() <= 2**cb - 1
        np.testing.assert_array_equal(np.abs(ea - eb).sum(1), np.abs(a - b).sum(1))


def test_cam_cost_scaling_with_array_size():
    t = load_technology("fefet_mcam")
    a = CamArray(t, 64, 64)
    assert a.matchline_energy_pj() == pytest.approx(1.84)
    assert CamArray(t, 128, 64).matchline_energy_pj() == pytest.approx(2 * 1.84)
    assert CamArray(t, 64, 128).matchline_energy_pj() == pytest.approx(2 * 1.84)
    assert CamArray(t, 128, 64).sense_energy_pj() == pytest.approx(2 * a.sense_energy_pj())
    lat64, lat128 = a.search_latency_ns(), CamArray(t, 64, 128).search_latency_ns()
    assert lat128 - lat64 == pytest.approx((5.8 - 3.5) + (0.277 - 0.175))  # match line + interconnect (CAMASim)
    assert CamArray(t, 32, 32).area_mm2() == pytest.approx(a.area_mm2() / 4)
    tc = CamArray(load_technology("sram_tcam"), 64, 64, "tcam")
    assert tc.search_energy_pj() > a.search_energy_pj()   # 16T CMOS costs more than FeFET
    assert tc.area_mm2() > a.area_mm2()


def test_array_search_and_discharge():
    t = load_technology("fefet_mcam")
    a = CamArray(t, 8, 6)
    stored = np.array([[7, 7, 7, 0, 0, 0], [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 7]])
    assert a.search(stored, np.array([1, 2, 3, 4, 5, 6])) == (1, 0)
    assert a.search(stored, np.array([1, 2, 3, 4, 5, 5])) == (1, 1)  # tie with row 2? no: row2 dist 2
    tm = a.discharge_time_ns(stored, np.array([1, 2, 3, 4, 5, 6]))
    assert np.isinf(tm[1]) and tm[2] > tm[0]
    with pytest.raises(ValueError, match="do not fit"):
        a.search(np.zeros((9, 6), int), np.zeros(6, int))
    tc = CamArray(load_technology("sram_tcam"), 4, 4, "tcam")
    assert tc.search(np.array([[1, 0, 2, 2], [1, 1, 1, 1]]), np.array([1, 0, 1, 0])) == (0, 0)
