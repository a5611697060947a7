"""Per-channel spectral information carried from element to element.

All power arrays have shape ``(n_samples, n_channels)`` so that one call propagates many
time samples at once (numpy over samples x channels). Units are in the field names.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .equipment import equipment

H_PLANCK = 6.62607015e-34  # J s (SI exact)
C_LIGHT = 299792458.0  # m/s (SI exact)
REF_BW_HZ = 12.5e9  # 0.1 nm at 1550 nm, the OSNR reference bandwidth

_TRX, _SI = equipment().default("Transceiver"), equipment().default("SI")  # defaults: data/optics/equipment.json


def db2lin(x):
    """dB -> linear ratio."""
    return 10.0 ** (np.asarray(x, dtype=float) / 10.0)


def lin2db(x):
    """linear ratio -> dB (log of 0 gives -inf without warnings)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 10.0 * np.log10(np.asarray(x, dtype=float))


def dbm2w(p_dbm):
    """dBm -> W."""
    return db2lin(p_dbm) * 1e-3


@dataclass
class ChannelPlan:
    """WDM grid: centre frequencies (Hz), symbol rate (Hz), roll-off, launch power per channel (dBm).
    Defaults: the library's default transceiver mode and spectral grid (``SI``)."""

    frequency_hz: np.ndarray
    baud_rate_hz: float = _TRX["baud_rate_gbd"] * 1e9
    roll_off: float = _TRX["roll_off"]
    power_dbm: float = _SI["power_dbm"]
    tx_osnr_db: float = _TRX["tx_osnr_db"]

    @classmethod
    def grid(cls, f_min_hz=_SI["f_min_thz"] * 1e12, f_max_hz=_SI["f_max_thz"] * 1e12,
             spacing_hz=_SI["spacing_ghz"] * 1e9, **kw) -> "ChannelPlan":
        """Regular grid including both ends (GNPy's SI convention: both ends count, 191.35-195.1 THz at
        50 GHz = 76 channels)."""
        n = int(np.floor((f_max_hz - f_min_hz) / spacing_hz + 1e-9)) + 1
        return cls(frequency_hz=f_min_hz + spacing_hz * np.arange(n), **kw)

    @property
    def n_channels(self) -> int:
        return int(self.frequency_hz.size)


@dataclass
class SpectralInfo:
    """Per-channel state. Powers in W, shape (S, C); CD in ps/nm and DGD in ps, shape (C,)."""

    frequency_hz: np.ndarray
    baud_rate_hz: np.ndarray
    signal_w: np.ndarray
    ase_w: np.ndarray
    nli_w: np.ndarray
    cd_ps_nm: np.ndarray = field(default=None)
    dgd_ps: np.ndarray = field(default=None)
    latency_s: float = 0.0
    tx_osnr_db: float = np.inf

    def __post_init__(self):
        c = self.frequency_hz.size
        if self.cd_ps_nm is None:
            self.cd_ps_nm = np.zeros(c)
        if self.dgd_ps is None:
            self.dgd_ps = np.zeros(c)

    @property
    def total_w(self) -> np.ndarray:
        """Signal + ASE + NLI per channel (what a power monitor sees), W."""
        return self.signal_w + self.ase_w + self.nli_w

    def scaled(self, gain_lin) -> "SpectralInfo":
        """All powers multiplied by ``gain_lin`` (broadcast to (S, C))."""
        return replace(self, signal_w=self.signal_w * gain_lin, ase_w=self.ase_w * gain_lin,
                       nli_w=self.nli_w * gain_lin)

    def copy(self) -> "SpectralInfo":
        return replace(self, signal_w=self.signal_w.copy(), ase_w=self.ase_w.copy(),
                       nli_w=self.nli_w.copy(), cd_ps_nm=self.cd_ps_nm.copy(), dgd_ps=self.dgd_ps.copy())
