"""Per-channel signal power, OSNR and GSNR agree with GNPy within 0.2 dB on two lines."""

import numpy as np
import pytest

pytest.importorskip("gnpy")

from codesign.optics import load_gnpy_line  # noqa: E402
from codesign.optics.gnpy_compare import (gain_mode_equipment, gnpy_example_dir, gnpy_propagate,  # noqa: E402
                                          write_chain_topology)


@pytest.mark.gnpy
@pytest.mark.parametrize("which", ["edfa_example", "chain12"])
def test_agrees_with_gnpy(tmp_path, which):
    eq = gain_mode_equipment(tmp_path / "eq.json")
    if which == "edfa_example":
        topo = gnpy_example_dir() / "edfa_example_network.json"
    else:
        topo = write_chain_topology(tmp_path / "chain.json", [60, 75, 90, 82, 70, 100, 65, 80, 95, 72, 88, 77])
    ref = gnpy_propagate(topo, eq)
    ours = load_gnpy_line(topo, eq).evaluate()
    assert ours["power_dbm"].shape[1] == ref["signal_dbm"].size == 76
    for key, rk in (("power_dbm", "signal_dbm"), ("osnr_db", "osnr_db"), ("gsnr_db", "gsnr_db")):
        assert np.max(np.abs(ours[key][0] - ref[rk])) < 0.2, key


def _agreement(name, tmp_path):
    from codesign.bench.optics_gnpy_agreement import LINES, compare

    from codesign.bench.optics_gnpy_agreement import MESH_ROADM_VARIANTS, mesh_roadm_variants

    ex = gnpy_example_dir()
    topo = mesh_roadm_variants(tmp_path) if name == MESH_ROADM_VARIANTS else ex / name
    rows = compare(name, LINES[name], ex / "eqpt_config.json", topo, tmp_path)
    assert len(rows) == len(LINES[name])
    for r in rows:  # same path and amplifier types; gains, targets and every channel within 0.2 dB
        assert r["same_path"] and r["types_equal"], r
        for key in ("gain_db", "target_dbm", "power_dbm", "osnr_db", "gsnr_db"):
            assert r[key] <= 0.2, (r["pair"], key, r[key])
    return rows


@pytest.mark.gnpy
@pytest.mark.parametrize("name", ["edfa_example_network.json", "meshTopologyExampleV2.json",
                                  "meshTopologyExampleV2.json, ROADM variants", "fused_roadm_example_network.json"])
def test_own_design_agrees_with_gnpy_design(tmp_path, name):
    rows = _agreement(name, tmp_path)
    if name.startswith("mesh"):
        assert sum(r["roadms"] for r in rows) >= 7  # paths through add, express and drop ROADMs


@pytest.mark.gnpy
@pytest.mark.slow
@pytest.mark.parametrize("name", ["CORONET_Global_Topology.json", "CORONET_CONUS_Topology.json"])
def test_own_design_agrees_with_gnpy_on_coronet(tmp_path, name):
    rows = _agreement(name, tmp_path)
    assert max(r["elements"] for r in rows) >= 97 and max(r["roadms"] for r in rows) >= 13
