"""Receiver: OSNR (0.1 nm), GSNR, CD, DGD and pre-FEC BER/Q for a stated modulation format.

BER formulas (Gray-coded, AWGN, per-symbol SNR = GSNR in the symbol bandwidth):
- DP-QPSK:  BER = 1/2 erfc(sqrt(SNR/2))
- DP-16QAM: BER ~ 3/8 erfc(sqrt(SNR/10))
(Proakis & Salehi, Digital Communications, 5th ed., 2008, sec. 4.3, square M-QAM with Gray mapping;
polarization multiplexing: SNR per polarization equals the total SNR.)
Q factor in dB: 20 log10(sqrt(2) erfcinv(2 BER)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import erfc, erfcinv

from .spectrum import REF_BW_HZ, SpectralInfo, lin2db

FORMATS = ("DP-QPSK", "DP-16QAM")


def ber_from_snr(snr_db, modulation: str = "DP-QPSK"):
    """Pre-FEC bit error ratio from the per-symbol SNR (dB)."""
    snr = 10.0 ** (np.asarray(snr_db, float) / 10.0)
    if modulation == "DP-QPSK":
        return 0.5 * erfc(np.sqrt(snr / 2.0))
    if modulation == "DP-16QAM":
        return 0.375 * erfc(np.sqrt(snr / 10.0))
    raise ValueError(f"unknown modulation format {modulation!r}; expected one of {FORMATS}")


def q_db_from_ber(ber):
    """Q factor in dB from BER."""
    ber = np.clip(np.asarray(ber, float), 1e-300, 0.5 - 1e-12)
    return 20.0 * np.log10(np.sqrt(2.0) * erfcinv(2.0 * ber))


def _add_snr_db(snr_db, extra_db_01nm, baud_hz):
    """Inverse-sum an extra SNR given in 0.1 nm (e.g. tx OSNR) into an SNR in the symbol bandwidth."""
    if extra_db_01nm is None or not np.isfinite(extra_db_01nm):
        return snr_db
    extra = extra_db_01nm - lin2db(baud_hz / REF_BW_HZ)
    return -lin2db(10 ** (-snr_db / 10) + 10 ** (-extra / 10))


@dataclass
class Receiver:
    """Coherent receiver metrics from the accumulated noise."""

    uid: str = "rx"
    modulation: str = "DP-QPSK"
    extra_osnr_db: tuple = ()  # e.g. ROADM add/drop OSNR (0.1 nm)

    def __call__(self, si: SpectralInfo) -> dict:
        """Return per-channel metrics (arrays (S, C)): power_dbm, osnr_db (0.1 nm), gsnr_db (symbol bw and
        0.1 nm), ber, q_db; and cd_ps_nm, dgd_ps (C,), latency_ms."""
        b = si.baud_rate_hz[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            osnr_bw = lin2db(si.signal_w / si.ase_w)
            gsnr_bw = lin2db(si.signal_w / (si.ase_w + si.nli_w))
        for extra in (si.tx_osnr_db, *self.extra_osnr_db):
            osnr_bw = _add_snr_db(osnr_bw, extra, b)
            gsnr_bw = _add_snr_db(gsnr_bw, extra, b)
        to01 = lin2db(b / REF_BW_HZ)
        ber = ber_from_snr(gsnr_bw, self.modulation)
        return {
            "power_dbm": lin2db(si.signal_w * 1e3),
            "osnr_db": osnr_bw + to01,
            "osnr_bw_db": osnr_bw,
            "gsnr_db": gsnr_bw + to01,
            "gsnr_bw_db": gsnr_bw,
            "ber": ber,
            "q_db": q_db_from_ber(ber),
            "cd_ps_nm": si.cd_ps_nm.copy(),
            "dgd_ps": si.dgd_ps.copy(),
            "latency_ms": si.latency_s * 1e3,
            "modulation": self.modulation,
        }
