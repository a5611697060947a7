"""Dense and element-wise layers on the digital unit, with MAC/ALU/buffer events.

The unit has ``hw.digital.macs_per_cycle`` lanes, used for MACs and element-wise ALU operations alike.
Weights live in an on-chip SRAM ("weight_sram"); activations stream through the buffer (32-bit words;
int8 codes four to a word). ``hw.digital.precision``: "fp32" computes conv/linear in float32; "int8"
quantizes weights per tensor and each sample's input per tensor (:mod:`codesign.sim.fixed_point`), does
int8 x int8 MACs into exact integer sums and scales the sums back (``hw.digital.scales``).
Every input element is read and quantized once (a line buffer serves the sliding windows).
"""

from __future__ import annotations

import math

import numpy as np

from codesign.sim.accounting import BUFFER_ACTIONS, MAC_ACTIONS, SCALING_ACTIONS, digital_param
from codesign.sim.executors import register
from codesign.sim.executors.base import Executor, LayerCost
from codesign.sim.fixed_point import quantize_activations, quantize_weights, scale_output
from codesign.sim.layer_schema import _pair
from codesign.sim.ops import im2col


def mac_area_um2(hw, tech) -> float:
    """Area of one lane of the digital unit at ``hw.digital.precision`` (Horowitz 45 nm figures)."""
    return tech["digital"].get("int8_mac_area_um2" if hw.digital.precision == "int8" else "fp32_mac_area_um2")


class _Digital(Executor):
    actions = {
        **MAC_ACTIONS,
        **SCALING_ACTIONS,
        ("alu", "fp32_add"): digital_param("fp32_add_energy_pj"),
        ("alu", "fp32_mult"): digital_param("fp32_mult_energy_pj"),
        ("alu", "compare"): digital_param("fp32_add_energy_pj"),
        **BUFFER_ACTIONS,
    }

    @property
    def int8(self) -> bool:
        return self.hw.digital.precision == "int8"

    def _cost(self, events: dict[tuple[str, str], float], lane_ops: float, weights: int = 0,
              value_bits: int = 32) -> LayerCost:
        """``weights`` stored values of ``value_bits`` bits each (packed in 32-bit words); inputs, 32-bit words."""
        c = LayerCost(self.layer.name, self.layer.type, "digital")
        n_in = sum(int(np.prod(s)) for s in self.in_shapes)
        n_out = int(np.prod(self.out_shape))
        weight_bytes = 4 * math.ceil(weights * value_bits / 32)
        for (comp, act), cnt in events.items():
            if cnt:
                c.add_event(comp, act, cnt)
        if self.layer.type != "flatten":  # flatten is a view: no data movement
            c.add_event("buffer", "read", n_in + math.ceil(weights * value_bits / 32))
            c.add_event("buffer", "write", n_out)
            c.memory_bytes["buffer"] = 4 * (n_in + n_out) + weight_bytes  # activations as 32-bit words
        lanes = max(1, int(self.hw.digital.macs_per_cycle))
        c.cycles = float(math.ceil(lane_ops / lanes))
        c.area_mm2 = {"digital_unit": lanes * mac_area_um2(self.hw, self.tech) * 1e-6}
        if weights:
            c.area_mm2["weight_sram"] = self.tech.sram("buffer").area_mm2(weight_bytes)
        c.mapping = {"lanes": lanes, "precision": self.hw.digital.precision}
        return c

    def _dense_cost(self, macs: int, weights: int) -> LayerCost:
        """conv/linear: fp32 MACs (+ fp32 bias adds), or int8: quantize the input once, int8 MACs, scale back."""
        n_out = int(np.prod(self.out_shape))
        bias = n_out if "bias" in self.layer.arrays else 0
        if not self.int8:
            return self._cost({("mac", "fp32"): macs, ("alu", "fp32_add"): bias}, macs + bias, weights)
        n_in = int(np.prod(self.in_shapes[0]))
        ev = {("quantizer", "range"): n_in, ("quantizer", "scale"): n_in, ("quantizer", "clip"): n_in,
              ("mac", "int8"): macs, ("scaler", "mult"): n_out, ("scaler", "add"): bias}
        return self._cost(ev, 3 * n_in + macs + n_out + bias, weights, 8)

    def _int8_forward(self, x: np.ndarray, matmul) -> np.ndarray:
        """Quantize ``x`` per sample and the weight per tensor; ``matmul(xq, wq)`` -> exact integer sums."""
        sc = self.hw.digital.scales
        wq, sw = quantize_weights(self.layer.arrays["weight"], sc)
        xq, sx = quantize_activations(x, sc)
        acc = matmul(xq.astype(np.float64), wq.astype(np.float64))  # |sum| < 2^53: exact in float64
        bias = self.layer.arrays.get("bias")
        bias = np.zeros(acc.shape[1], np.float32) if bias is None else np.asarray(bias, dtype=np.float32)
        scale = (sx * sw).reshape((-1,) + (1,) * (acc.ndim - 1))
        bshape = (1, -1) + (1,) * (acc.ndim - 2)
        return scale_output(acc, scale, bias.reshape(bshape), sc)


@register("conv2d", "digital")
class Conv2d(_Digital):
    def cost(self) -> LayerCost:
        a = self.layer.attrs
        co, oh, ow = self.out_shape
        kh, kw = _pair(a["kernel_size"])
        macs = co * oh * ow * (int(a["in_channels"]) // int(a["groups"])) * kh * kw
        return self._dense_cost(macs, int(self.layer.arrays["weight"].size))

    def _conv(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Grouped conv without bias: x [N, C, H, W], w [co, ci/g, kh, kw] -> [N, co, OH, OW]."""
        a = self.layer.attrs
        n = x.shape[0]
        g = int(a["groups"])
        co = w.shape[0]
        cig, cog = x.shape[1] // g, co // g
        outs = []
        for gi in range(g):
            cols = im2col(x[:, gi * cig:(gi + 1) * cig], a["kernel_size"], a["stride"], a["padding"])
            wg = w[gi * cog:(gi + 1) * cog].reshape(cog, -1)
            outs.append(cols @ wg.T)  # N, P, cog
        y = np.concatenate(outs, axis=2) if g > 1 else outs[0]
        return np.ascontiguousarray(y.transpose(0, 2, 1)).reshape(n, *self.out_shape)

    def forward(self, xs):
        if self.int8:
            return self._int8_forward(xs[0], self._conv)
        y = self._conv(np.asarray(xs[0], dtype=np.float32), np.asarray(self.layer.arrays["weight"], dtype=np.float32))
        if "bias" in self.layer.arrays:
            y = y + np.asarray(self.layer.arrays["bias"], dtype=np.float32)[None, :, None, None]
        return y


@register("linear", "digital")
class Linear(_Digital):
    def cost(self) -> LayerCost:
        w = self.layer.arrays["weight"]
        return self._dense_cost(int(w.size), int(w.size))

    def forward(self, xs):
        if self.int8:
            return self._int8_forward(xs[0], lambda xq, wq: xq @ wq.T)
        y = np.asarray(xs[0], dtype=np.float32) @ np.asarray(self.layer.arrays["weight"], dtype=np.float32).T
        if "bias" in self.layer.arrays:
            y = y + np.asarray(self.layer.arrays["bias"], dtype=np.float32)
        return y


@register("batchnorm2d", "digital")
class BatchNorm2d(_Digital):
    def cost(self) -> LayerCost:
        n = int(np.prod(self.out_shape))
        return self._cost({("alu", "fp32_mult"): n, ("alu", "fp32_add"): n}, 2 * n, 2 * int(self.out_shape[0]))

    def forward(self, xs):
        s = np.asarray(self.layer.arrays["scale"], dtype=np.float32)[None, :, None, None]
        b = np.asarray(self.layer.arrays["shift"], dtype=np.float32)[None, :, None, None]
        x = np.asarray(xs[0], dtype=np.float32)
        if x.ndim == 2:
            s, b = s[:, :, 0, 0], b[:, :, 0, 0]
        return x * s + b


@register("relu", "digital")
class ReLU(_Digital):
    def cost(self) -> LayerCost:
        n = int(np.prod(self.out_shape))
        return self._cost({("alu", "compare"): n}, n)

    def forward(self, xs):
        return np.maximum(np.asarray(xs[0], dtype=np.float32), np.float32(0))


class _Pool(_Digital):
    def _kk(self) -> int:
        kh, kw = _pair(self.layer.attrs["kernel_size"])
        return kh * kw

    def _windows(self, x, pad_value):
        a = self.layer.attrs
        n, c = x.shape[:2]
        cols = im2col(x.reshape(n * c, 1, *x.shape[2:]), a["kernel_size"], a["stride"], a["padding"], pad_value)
        return cols.reshape(n, c, -1, cols.shape[-1])


@register("maxpool2d", "digital")
class MaxPool2d(_Pool):
    def cost(self) -> LayerCost:
        n = int(np.prod(self.out_shape))
        return self._cost({("alu", "compare"): n * (self._kk() - 1)}, n * (self._kk() - 1))

    def forward(self, xs):
        x = np.asarray(xs[0], dtype=np.float32)
        a = self.layer.attrs
        (kh, kw), (sh, sw), (ph, pw) = _pair(a["kernel_size"]), _pair(a["stride"]), _pair(a["padding"])
        if ph == pw == 0:  # no padding: running maximum over the kh*kw strided views (exact)
            oh, ow = self.out_shape[1], self.out_shape[2]
            y = None
            for i in range(kh):
                for j in range(kw):
                    v = x[:, :, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw]
                    y = v.copy() if y is None else np.maximum(y, v, out=y)
            return y
        return self._windows(x, -np.inf).max(axis=3).reshape(x.shape[0], *self.out_shape)


@register("avgpool2d", "digital")
class AvgPool2d(_Pool):
    def cost(self) -> LayerCost:
        n = int(np.prod(self.out_shape))
        return self._cost({("alu", "fp32_add"): n * (self._kk() - 1), ("alu", "fp32_mult"): n}, n * self._kk())

    def forward(self, xs):
        x = np.asarray(xs[0], dtype=np.float32)
        s = self._windows(x, 0.0).sum(axis=3, dtype=np.float32) / np.float32(self._kk())
        return s.reshape(x.shape[0], *self.out_shape)


@register("global_avgpool", "digital")
class GlobalAvgPool(_Digital):
    def cost(self) -> LayerCost:
        c, h, w = self.in_shapes[0]
        return self._cost({("alu", "fp32_add"): c * (h * w - 1), ("alu", "fp32_mult"): c}, c * h * w)

    def forward(self, xs):
        return np.asarray(xs[0], dtype=np.float32).mean(axis=(2, 3), dtype=np.float32)


@register("global_maxpool", "digital")
class GlobalMaxPool(_Digital):
    """Maximum over H·W per channel (PointNet's symmetric function over the points)."""

    def cost(self) -> LayerCost:
        c, h, w = self.in_shapes[0]
        return self._cost({("alu", "compare"): c * (h * w - 1)}, c * (h * w - 1))

    def forward(self, xs):
        return np.asarray(xs[0], dtype=np.float32).max(axis=(2, 3))


@register("flatten", "digital")
class Flatten(_Digital):
    def cost(self) -> LayerCost:
        return self._cost({}, 0)

    def forward(self, xs):
        x = np.asarray(xs[0])
        return x.reshape(x.shape[0], -1)


@register("add", "digital")
class Add(_Digital):
    def cost(self) -> LayerCost:
        n = int(np.prod(self.out_shape))
        return self._cost({("alu", "fp32_add"): n}, n)

    def forward(self, xs):
        return np.asarray(xs[0], dtype=np.float32) + np.asarray(xs[1], dtype=np.float32)
