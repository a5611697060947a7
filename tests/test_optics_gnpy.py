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
