"""Per-layer ADC range calibration: full scales from the column currents of a calibration batch.

``calibrate`` runs a batch through programmed crossbars, takes the max or a percentile of |column
current| per row band (tiles sharing inputs and ADC), and sets each band's ADC full scale to it; the
full scales are kept on the :class:`~codesign.cam.crossbar.model.ProgrammedCrossbars` (``calibration``)
and can be re-applied to a fresh programming of the same device (:func:`apply_calibration`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from codesign.cam.crossbar.model import ProgrammedCrossbars, _bands, mvm
from codesign.cam.crossbar.nonideal import calibrated_full_scale
from codesign.cam.crossbar.params import CrossbarError


def calibrate(prog: ProgrammedCrossbars, x: np.ndarray, signed: bool = True, method: str | None = None,
              percentile: float | None = None) -> list[float]:
    """Set every band's ADC full scale from batch ``x`` [N, n_in]; returns the full scales (current units)."""
    p = prog.params
    method = method or p.adc_calibration
    percentile = p.adc_percentile if percentile is None else percentile
    if method not in ("max", "percentile"):
        raise CrossbarError(f"crossbar adc_calibration={method!r}; expected 'max' or 'percentile'")
    if p.nab is None or prog.w_eff is not None and p.nib is None:
        return []  # ideal ADC: nothing to calibrate
    samples: dict[int, list[np.ndarray]] = {}
    mvm(prog, x, signed, currents=samples)
    bands = _bands(prog)
    fs = [calibrated_full_scale(np.concatenate(samples[b]) if samples.get(b) else np.zeros(0), method, percentile)
          for b in range(len(bands))]
    apply_calibration(prog, fs)
    return fs


def apply_calibration(prog: ProgrammedCrossbars, full_scales: list[float]) -> None:
    """Re-apply full scales from :func:`calibrate` (one per band, in band order)."""
    bands = _bands(prog)
    if not full_scales:
        return
    if len(full_scales) != len(bands):
        raise CrossbarError(f"ADC calibration has {len(full_scales)} full scales; the crossbars have {len(bands)} "
                            "row bands (calibrated for another mapping?)")
    for t, fs in zip(bands, full_scales):
        t.adc = replace(t.adc, full_scale=float(fs))
    prog.calibration = [float(f) for f in full_scales]
