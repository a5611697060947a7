"""NumPy building blocks shared by executors: im2col (format order ci_kh_kw), PECAN quantization."""

from __future__ import annotations

import numpy as np

from codesign.sim.layer_schema import _pair, pecan_act_range


def im2col(x: np.ndarray, kernel, stride, padding, pad_value: float = 0.0) -> np.ndarray:
    """x float[N, C, H, W] -> [N, OH*OW, C*kh*kw] (input channel slowest, then kernel row, column)."""
    kh, kw = _pair(kernel)
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    n, c, h, w = x.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))  # N,C,H',W',kh,kw
    win = win[:, :, : (oh - 1) * sh + 1 : sh, : (ow - 1) * sw + 1 : sw]
    return np.ascontiguousarray(win.transpose(0, 2, 3, 1, 4, 5)).reshape(n, oh * ow, c * kh * kw)


def quantize(x: np.ndarray, attrs: dict) -> np.ndarray:
    """PECAN step 1: clip(round_half_even(float32(x) / float32(act_scale)), lo, hi) -> int32."""
    lo, hi = pecan_act_range(attrs)
    q = np.rint(np.asarray(x, dtype=np.float32) / np.float32(attrs["act_scale"]))
    return np.clip(q, lo, hi).astype(np.int32)

