"""Closed-form incoherent GN-model NLI (Poggiolini, arXiv:1209.0394, eqs. 120 and 123).

P_NLI,i = sum_j P_i P_j^2 eta_ij with eta_ij = gamma^2 w_ij psi_ij / B_j^2,
w = 16/27 (SPM, i == j) or 2*16/27 (XPM), and
psi_ij = [asinh(pi^2 La |b2| B_i (df+B_j/2)) - asinh(pi^2 La |b2| B_i (df-B_j/2))]/2
         * Leff^2 / (2 pi |b2| La),  Leff = (1-exp(-a L))/a, La = 1/a.
The NLI is referred to the fiber input; it is added incoherently span by span.
"""

from __future__ import annotations

import numpy as np

SPM_WEIGHT = 16.0 / 27.0
XPM_WEIGHT = 2.0 * 16.0 / 27.0


def effective_length_m(alpha_np_m: float, length_m: float) -> float:
    """L_eff = (1 - exp(-alpha L)) / alpha in m (alpha: power attenuation, 1/m)."""
    return (1.0 - np.exp(-alpha_np_m * length_m)) / alpha_np_m


def gn_eta(frequency_hz, baud_rate_hz, alpha_np_m, beta2_s2_m, gamma_w_m, length_m) -> np.ndarray:
    """eta matrix (C, C) in 1/W^2 so that P_NLI = P * (eta @ P**2) (all at the fiber input)."""
    f = np.asarray(frequency_hz, float)
    b = np.broadcast_to(np.asarray(baud_rate_hz, float), f.shape)
    b2 = np.abs(np.broadcast_to(np.asarray(beta2_s2_m, float), f.shape))
    b2m = (b2[:, None] + b2[None, :]) / 2.0
    df = f[None, :] - f[:, None]
    la = 1.0 / alpha_np_m
    leff = effective_length_m(alpha_np_m, length_m)
    bi = b[:, None]
    bj = b[None, :]
    k = np.pi ** 2 * la * b2m * bi
    psi = (np.arcsinh(k * (df + bj / 2)) - np.arcsinh(k * (df - bj / 2))) / 2.0
    psi *= leff ** 2 / (2 * np.pi * b2m * la)
    n = f.size
    w = np.full((n, n), XPM_WEIGHT)
    np.fill_diagonal(w, SPM_WEIGHT)
    gamma = np.broadcast_to(np.asarray(gamma_w_m, float), f.shape)[:, None]
    return gamma ** 2 * w * psi / bj ** 2


def tap_nli_factor(alpha_np_m: float, length_m: float, tap_pos_m, tap_trans_lin):
    """NLI scale for a lumped loss (transmission T) at position z inside the span.

    The NLI field referred to the input integrates exp(-alpha z) before the tap and
    T exp(-alpha z) after it, so L_eff' = L_eff(z) + T (L_eff(L) - L_eff(z)); the GN
    model scales with L_eff'^2 (our approximation for a mid-span loss).
    """
    le = effective_length_m(alpha_np_m, length_m)
    z = np.clip(np.asarray(tap_pos_m, float), 0.0, length_m)
    lz = (1.0 - np.exp(-alpha_np_m * z)) / alpha_np_m
    return ((lz + np.asarray(tap_trans_lin) * (le - lz)) / le) ** 2


def nli_power_w(total_w: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """NLI power (S, C) in W from channel powers (S, C) in W at the fiber input."""
    return total_w * ((total_w ** 2) @ eta.T)
