"""Physics checks: loss budget, ASE vs NF, GN-model NLI scaling, receiver formulas."""

import numpy as np
import pytest

from codesign.optics import ChannelPlan, Edfa, Fiber, Line, LineState, Transmitter, ber_from_snr
from codesign.optics.spectrum import H_PLANCK


def _line(n_spans=1, power_dbm=0.0, nch=40, nf=5.5, length=80.0):
    plan = ChannelPlan.grid(191.35e12, 191.35e12 + 50e9 * (nch - 1), 50e9, power_dbm=power_dbm, tx_osnr_db=np.inf)
    el = []
    for i in range(n_spans):
        f = Fiber(f"s{i}", length, loss_db_km=0.2, con_in_db=0.5, con_out_db=0.5)
        el += [f, Edfa(f"a{i}", gain_db=f.loss_db, nf_db=nf)]
    return Line(Transmitter(plan), el)


def test_loss_budget():
    line = _line(n_spans=3)
    r = line.evaluate()
    p = r["mon_power_dbm"][:, 0, 20]
    assert p[1] == pytest.approx(-17.0, abs=0.01)  # 80 km * 0.2 dB/km + 2 * 0.5 dB connectors
    assert r["signal_dbm"][0, 20] == pytest.approx(0.0, abs=0.05)  # gain = span loss restores the launch power
    r2 = line.evaluate(LineState(1, span_extra_loss_db=np.array([[0.0, 1.5, 0.0]])))
    assert r2["signal_dbm"][0, 20] == pytest.approx(-1.5, abs=0.05)  # a lumped extra loss shows 1:1 (gain mode)


def test_ase_matches_nf_formula():
    line = _line(n_spans=1, power_dbm=-10.0, nf=5.0)  # low power: NLI negligible
    si = line.transmitter(1)
    si = line.elements[0](si)
    out = line.elements[1](si)
    f = si.frequency_hz
    expected = H_PLANCK * f * 32e9 * 10 ** 0.5 * 10 ** (17.0 / 10)
    np.testing.assert_allclose(out.ase_w[0], expected, rtol=1e-9)
    osnr = line.evaluate()["osnr_db"][0, 20]
    assert osnr == pytest.approx(58.0 + (-27.0) - 5.0, abs=0.1)  # OSNR ~ 58 + Pin - NF


def test_nli_scales_with_launch_power_cubed():
    n1 = _line(power_dbm=0.0).evaluate()
    n2 = _line(power_dbm=3.0).evaluate()
    nli1 = n1["signal_dbm"] - n1["gsnr_bw_db"]  # crude, so compute directly below
    line_a, line_b = _line(power_dbm=0.0), _line(power_dbm=3.0)
    a = line_a.elements[0](line_a.transmitter(1)).nli_w
    b = line_b.elements[0](line_b.transmitter(1)).nli_w
    np.testing.assert_allclose(10 * np.log10(b / a), 9.0, atol=1e-6)
    assert np.all(np.isfinite(nli1)) and n2["gsnr_db"].shape == n1["gsnr_db"].shape


def test_tap_position_changes_nli_only_near_span_start():
    line = _line()
    si = line.transmitter(2)
    out = line.elements[0](si, extra_loss_db=np.array([1.0, 1.0]), tap_position_km=np.array([1.0, 79.0]))
    assert out.nli_w[0, 20] < out.nli_w[1, 20]
    assert out.signal_w[0, 20] == pytest.approx(out.signal_w[1, 20])


def test_ber_formulas():
    assert ber_from_snr(9.8, "DP-QPSK") == pytest.approx(1e-3, rel=0.3)  # ~9.8 dB for 1e-3 (QPSK)
    assert ber_from_snr(15.0, "DP-16QAM") > ber_from_snr(15.0, "DP-QPSK")
    with pytest.raises(ValueError):
        ber_from_snr(10, "OOK")
