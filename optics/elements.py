"""Line elements (GNPy-style): each ``__call__`` propagates a :class:`SpectralInfo`.

Per-sample perturbations (drift, events, taps) enter as keyword arrays of shape (S,) or (S, 1),
so a whole time series is evaluated in one vectorized call.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .equipment import equipment
from .nli import gn_eta, nli_power_w, tap_nli_factor
from .spectrum import C_LIGHT, H_PLANCK, ChannelPlan, SpectralInfo, db2lin, dbm2w, lin2db

N1_CORE = 1.468  # group index used for latency (GNPy FiberParams default)
_LIB = equipment()  # element defaults: the library's default entries (data/optics/equipment.json)
_FIBER, _EDFA, _ROADM = _LIB.default("Fiber"), _LIB.default("Edfa"), _LIB.default("Roadm")


def _col(x, default=0.0):
    """Per-sample value -> array broadcastable to (S, C)."""
    if x is None:
        return np.asarray(default, float)
    a = np.asarray(x, float)
    return a[:, None] if a.ndim == 1 else a


@dataclass
class Transmitter:
    """WDM transmitter: launches ``plan`` (per-channel power dBm) with a given tx OSNR (0.1 nm)."""

    plan: ChannelPlan
    uid: str = "tx"

    def __call__(self, n_samples: int = 1, power_offset_db=None, channel_on=None) -> SpectralInfo:
        c = self.plan.n_channels
        p = np.full((n_samples, c), dbm2w(self.plan.power_dbm))
        if power_offset_db is not None:
            p = p * db2lin(power_offset_db)
        if channel_on is not None:
            p = p * np.asarray(channel_on, float)
        z = np.zeros_like(p)
        return SpectralInfo(frequency_hz=self.plan.frequency_hz.copy(),
                            baud_rate_hz=np.full(c, self.plan.baud_rate_hz), signal_w=p, ase_w=z,
                            nli_w=z.copy(), tx_osnr_db=self.plan.tx_osnr_db)


@dataclass
class Fiber:
    """Fiber span: attenuation, connectors, CD, PMD and GN-model NLI. Lengths in km. Defaults: the library's
    default fiber type, without connectors."""

    uid: str
    length_km: float
    loss_db_km: float = _FIBER["loss_db_km"]
    con_in_db: float = 0.0
    con_out_db: float = 0.0
    att_in_db: float = 0.0
    dispersion_ps_nm_km: float = _FIBER["dispersion_ps_nm_km"]
    effective_area_um2: float = _FIBER["effective_area_um2"]
    n2_m2_w: float = _FIBER["n2_m2_w"]
    pmd_ps_sqrt_km: float = _FIBER["pmd_ps_sqrt_km"]
    ref_wavelength_m: float = 1550e-9
    _eta: np.ndarray = field(default=None, repr=False)
    _eta_key: tuple = field(default=None, repr=False)

    @property
    def loss_db(self) -> float:
        """Total span loss in dB (fiber + connectors + input attenuator)."""
        return self.loss_db_km * self.length_km + self.con_in_db + self.con_out_db + self.att_in_db

    @property
    def alpha_np_m(self) -> float:
        """Power attenuation coefficient in 1/m."""
        return self.loss_db_km / (10 * np.log10(np.e)) / 1e3

    @property
    def gamma_w_m(self) -> float:
        """gamma = 2 pi n2 / (lambda A_eff) in 1/(W m)."""
        return 2 * np.pi * self.n2_m2_w / (self.ref_wavelength_m * self.effective_area_um2 * 1e-12)

    @property
    def beta2_s2_m(self) -> float:
        """beta2 = -lambda^2 D / (2 pi c) in s^2/m (D in s/m^2)."""
        d = self.dispersion_ps_nm_km * 1e-6  # ps/(nm km) -> s/m^2
        return -(self.ref_wavelength_m ** 2) * d / (2 * np.pi * C_LIGHT)

    def eta_matrix(self, frequency_hz, baud_rate_hz) -> np.ndarray:
        """GN-model eta matrix (C, C) in 1/W^2 for a channel plan (cached per plan and fiber parameters)."""
        key = (frequency_hz.size, float(frequency_hz[0]), float(frequency_hz[-1]), float(np.mean(baud_rate_hz)),
               self.length_km, self.loss_db_km, self.dispersion_ps_nm_km, self.effective_area_um2, self.n2_m2_w)
        if self._eta is None or self._eta_key != key:
            self._eta = gn_eta(frequency_hz, baud_rate_hz, self.alpha_np_m, self.beta2_s2_m,
                               self.gamma_w_m, self.length_km * 1e3)
            self._eta_key = key
        return self._eta

    def eta(self, si: SpectralInfo) -> np.ndarray:
        """GN-model eta matrix for the plan carried by ``si``."""
        return self.eta_matrix(si.frequency_hz, si.baud_rate_hz)

    def __call__(self, si: SpectralInfo, extra_loss_db=None, tap_position_km=None) -> SpectralInfo:
        """Propagate; ``extra_loss_db`` (S,) is a lumped loss (tap/bend) at ``tap_position_km`` (S,)."""
        si = si.scaled(db2lin(-(self.con_in_db + self.att_in_db)))
        eta = self.eta(si)
        nli = nli_power_w(si.total_w, eta)
        if extra_loss_db is not None:
            el = _col(extra_loss_db)
            pos = _col(tap_position_km, self.length_km / 2) * 1e3
            nli = nli * tap_nli_factor(self.alpha_np_m, self.length_km * 1e3, pos, db2lin(-el))
        si.nli_w = si.nli_w + nli
        si.cd_ps_nm = si.cd_ps_nm + self.dispersion_ps_nm_km * self.length_km
        si.dgd_ps = np.sqrt(si.dgd_ps ** 2 + (self.pmd_ps_sqrt_km ** 2) * self.length_km)
        si.latency_s = si.latency_s + self.length_km * 1e3 / (C_LIGHT / N1_CORE)
        loss = self.loss_db_km * self.length_km + self.con_out_db + _col(extra_loss_db)
        return si.scaled(db2lin(-loss))


def variable_gain_nf_params(gain_min_db, gain_max_db, nf_min_db, nf_max_db, delta_p_db=5.0):
    """(nf1_db, nf2_db, delta_p_db) of the two-stage NF model NF = nf1 + nf2 / g1a (GNPy 'variable_gain').

    nf1, nf2 solve NF(g1a_max) = nf_min and NF(g1a_min) = nf_max with g1a = G - delta_p - dg,
    dg = max(G_flatmax - G, 0); the two coils are kept close (same rule as GNPy).
    """
    g1a_min = gain_min_db - (gain_max_db - gain_min_db) - delta_p_db
    g1a_max = gain_max_db - delta_p_db
    nf2 = lin2db((db2lin(nf_min_db) - db2lin(nf_max_db)) / (1 / db2lin(g1a_max) - 1 / db2lin(g1a_min)))
    nf1 = lin2db(db2lin(nf_min_db) - db2lin(nf2) / db2lin(g1a_max))
    if not nf1 + 0.3 < nf2 < nf1 + 2:
        nf2 = float(np.clip(nf2, nf1 + 0.3, nf1 + 2))
        g1a_max = lin2db(db2lin(nf2) / (db2lin(nf_min_db) - db2lin(nf1)))
        delta_p_db = gain_max_db - g1a_max
    return float(nf1), float(nf2), float(delta_p_db)


def variable_gain_nf_db(gain_db, gain_min_db, gain_max_db, nf_min_db, nf_max_db, delta_p_db=5.0):
    """Two-stage NF (dB) at ``gain_db`` (see :func:`variable_gain_nf_params`); gains below gain_min are
    padded (NF + pad)."""
    nf1, nf2, delta_p_db = variable_gain_nf_params(gain_min_db, gain_max_db, nf_min_db, nf_max_db, delta_p_db)
    pad = np.maximum(gain_min_db - gain_db, 0.0)
    g = gain_db + pad
    dg = np.maximum(gain_max_db - g, 0.0)
    g1a = g - delta_p_db - dg
    return lin2db(db2lin(nf1) + db2lin(nf2) / db2lin(g1a)) + pad


def nf_model_db(gain_db, gain_min_db, gain_max_db, nf_min_db, nf_max_db, pre_gain_db=None, pre_nf_db=None):
    """NF (dB) of a variable-gain amplifier at ``gain_db``; with ``pre_gain_db``/``pre_nf_db`` a dual-stage one: a
    preamplifier of fixed gain and NF, then the variable-gain booster at the remaining gain (Friis)."""
    if pre_gain_db is None:
        return variable_gain_nf_db(gain_db, gain_min_db, gain_max_db, nf_min_db, nf_max_db)
    nf2 = variable_gain_nf_db(np.asarray(gain_db, float) - pre_gain_db, gain_min_db, gain_max_db, nf_min_db,
                              nf_max_db)
    return lin2db(db2lin(pre_nf_db) + db2lin(nf2 - pre_gain_db))


@dataclass
class Edfa:
    """EDFA: ``mode`` 'gain' (constant gain) or 'power' (constant total output power).

    ASE referred to the input: P_ASE = h nu NF B (B = symbol rate), then signal+noise times G.
    Saturation: G_eff = min(G, p_max_dbm - P_in,total_dbm). Tilt in dB across the channel plan.
    Defaults for NF and P_max: the library's default amplifier.
    """

    uid: str
    gain_db: float = 20.0
    nf_db: float = _EDFA["nf_db"]
    p_max_dbm: float = _EDFA["p_max_dbm"]
    mode: str = "gain"
    target_pch_out_dbm: float = 0.0
    tilt_db: float = 0.0
    out_voa_db: float = 0.0
    nf_model: dict | None = None

    def nf_at(self, gain_db):
        """Noise figure (dB) at the given gain; fixed ``nf_db`` unless ``nf_model`` is set."""
        if self.nf_model:
            return nf_model_db(gain_db, **self.nf_model)
        return np.asarray(self.nf_db, float)

    def __call__(self, si: SpectralInfo, gain_offset_db=None, n_nominal: int | None = None) -> SpectralInfo:
        """Amplify; ``gain_offset_db`` (S,) models gain changes, transients and amplifier noise."""
        p_in_w = si.total_w.sum(axis=1, keepdims=True)
        p_in_dbm = lin2db(p_in_w * 1e3)
        if self.mode == "power":
            n = n_nominal or si.frequency_hz.size
            g = self.target_pch_out_dbm + lin2db(n) - p_in_dbm
        else:
            g = np.full_like(p_in_dbm, self.gain_db)
        g = g + _col(gain_offset_db)
        g = np.minimum(g, self.p_max_dbm - p_in_dbm)
        f = si.frequency_hz
        span = max(f[-1] - f[0], 1.0)
        tilt = self.tilt_db * ((f - f.mean()) / span)[None, :]
        nf = self.nf_at(g if self.nf_model else self.nf_db)
        ase_in = H_PLANCK * f[None, :] * si.baud_rate_hz[None, :] * db2lin(nf)
        si = si.copy()
        si.ase_w = si.ase_w + ase_in
        return si.scaled(db2lin(g + tilt - self.out_voa_db))


@dataclass
class Voa:
    """Variable optical attenuator (dB)."""

    uid: str
    loss_db: float = 0.0

    def __call__(self, si: SpectralInfo, extra_loss_db=None) -> SpectralInfo:
        return si.scaled(db2lin(-(self.loss_db + _col(extra_loss_db))))


@dataclass
class Roadm:
    """ROADM path: a fixed insertion loss (``loss_db``, before equalisation), then each channel attenuated to
    ``target_pch_out_dbm`` (a channel below it passes unchanged: a ROADM does not amplify). The add/drop OSNR
    (0.1 nm) is charged by the receiver for the add and the drop ROADM only (``Receiver.extra_osnr_db``).
    Defaults: the library's default ROADM."""

    uid: str
    target_pch_out_dbm: float = _ROADM["target_pch_out_dbm"]
    add_drop_osnr_db: float = _ROADM["add_drop_osnr_db"]
    loss_db: float = 0.0

    def __call__(self, si: SpectralInfo) -> SpectralInfo:
        si = si.scaled(db2lin(-self.loss_db))
        with np.errstate(divide="ignore", invalid="ignore"):
            att = np.where(si.total_w > 0, dbm2w(self.target_pch_out_dbm) / si.total_w, 0.0)
        return si.scaled(np.minimum(att, 1.0))
