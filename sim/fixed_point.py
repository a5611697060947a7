"""Scale arithmetic of quantizers and output scalers, and the int8 quantization of dense layers.

``scales`` (``DigitalConfig.scales``) says how a real-valued scale is applied in hardware:

* ``"float"``: a float32 multiply (the exported scale as is);
* ``"pow2"``: a shift: the scale is rounded to the nearest power of two, 2^round(log2 s);
* ``"int"``: input (quantizer) scales as ``"pow2"``; output scales as a 16-bit integer multiplier and
  a shift, s ~= M * 2^-shift with 2^14 <= M <= 2^15 (unsigned 16 bits; relative error <= 2^-15).

In the fixed-point modes the bias joins the integer accumulator on the output grid g:
y = (acc * m + B) * g with B = round(bias / g) (m = 1 for pow2, M for int; see :func:`scale_output`).
Dense layers on an int8 digital unit (``DigitalConfig.precision="int8"``) quantize weights per tensor
(static) and activations per sample and tensor (dynamic), symmetric, codes -127..127. The functional
model evaluates these integer expressions exactly in float64 and stores the results as float32 (the
executors' activation type).
"""

from __future__ import annotations

import numpy as np

#: bits of the unsigned integer output multiplier in ``scales="int"`` (M <= 2^(MULT_BITS-1))
MULT_BITS = 16
#: largest int8 code magnitude (symmetric quantization, -127..127)
INT8_MAX = 127


def pow2(scale: np.ndarray | float, up: bool = False) -> np.ndarray:
    """Nearest power of two (``up``: the next one at or above, so that no code overflows)."""
    e = np.log2(np.asarray(scale, dtype=np.float64))
    return np.exp2(np.ceil(e) if up else np.round(e))


def input_scale(scale: float, scales: str) -> float:
    """The quantizer scale the hardware applies: as exported (float) or its nearest power of two."""
    return float(scale) if scales == "float" else float(pow2(scale))


def _multiplier(scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(M, g): integer multiplier 2^(MULT_BITS-2) <= M <= 2^(MULT_BITS-1) and grid g = 2^-shift, M*g ~= scale."""
    s = np.asarray(scale, dtype=np.float64)
    shift = (MULT_BITS - 2) - np.floor(np.log2(s))
    m = np.rint(s * np.exp2(shift))
    return m, np.exp2(-shift)


def scale_output(acc: np.ndarray, scale: np.ndarray | float, bias: np.ndarray, scales: str) -> np.ndarray:
    """y = acc * scale + bias as the scaler computes it; ``bias`` broadcasts over ``acc``'s last axes.

    float: float32(acc) * float32(scale) + float32(bias), as docs/format.md. pow2: (acc + round(bias / g)) * g
    with g the scale's nearest power of two. int: (acc * M + round(bias / g)) * g with M * g ~= scale.
    ``scale`` may be an array broadcasting against ``acc`` (per-sample scales).
    """
    bias = np.asarray(bias, dtype=np.float32)
    if scales == "float":
        return acc.astype(np.float32) * np.asarray(scale, dtype=np.float32) + bias
    if scales == "pow2":
        m, g = np.ones(1), pow2(scale)
    else:
        m, g = _multiplier(scale)
    b = np.rint(bias.astype(np.float64) / g)
    return ((acc.astype(np.float64) * m + b) * g).astype(np.float32)


def quantize_weights(w: np.ndarray, scales: str) -> tuple[np.ndarray, float]:
    """Per-tensor symmetric int8: codes int64 and scale (max|w| / 127; pow2/int: the power of two above)."""
    w = np.asarray(w, dtype=np.float64)
    amax = float(np.max(np.abs(w))) if w.size else 0.0
    s = amax / INT8_MAX if amax > 0 else 1.0
    if scales != "float":
        s = float(pow2(s, up=True))
    return np.clip(np.rint(w / s), -INT8_MAX, INT8_MAX).astype(np.int64), s


def quantize_activations(x: np.ndarray, scales: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample (dynamic) per-tensor symmetric int8: codes int64 [N, ...] and scales float64 [N]."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    amax = np.abs(x.reshape(n, -1)).max(axis=1) if x.size else np.zeros(n)
    s = np.where(amax > 0, amax / INT8_MAX, 1.0)
    if scales != "float":
        s = pow2(s, up=True)
    shape = (n,) + (1,) * (x.ndim - 1)
    return np.clip(np.rint(x / s.reshape(shape)), -INT8_MAX, INT8_MAX).astype(np.int64), s
