"""PECAN layers. Distance mode on "cam": L1 nearest-prototype search on MCAM/TCAM arrays, LUTs in
SRAM, accumulation adders. Both modes on "digital": similarity on the MAC unit (a CAM cannot compute
the dot products of angle mode). Arithmetic exactly as docs/format.md (bit-exact with PyTorch)."""

from __future__ import annotations

import math

import numpy as np

from codesign.cam.adc import adc_area_um2, adc_energy_pj
from codesign.cam.cam_array.array import CamArray
from codesign.sim.accounting import BUFFER_ACTIONS, LUT_ACTIONS, MAC_ACTIONS, SCALING_ACTIONS, digital_param
from codesign.sim.executors.pecan_kernels import PecanTables
from codesign.sim.executors.pecan_nonideal import NoisyCamLayer
from codesign.sim.executors.pecan_kernels import lut_accumulate, pecan_dot_search, pecan_l1_search
from codesign.sim.executors import register
from codesign.sim.executors.base import Executor, LayerCost
from codesign.sim.executors.digital import mac_area_um2
from codesign.sim.fixed_point import input_scale, scale_output
from codesign.sim.layer_schema import _pair, pecan_act_range
from codesign.sim.cam_mapping import map_pecan, positions_of
from codesign.sim.ops import im2col, quantize

#: resolutions of the CAM distance readout that have a declared energy (``cam_readout.convert_<b>b``)
READOUT_BITS = range(1, 17)


def _readout_energy(bits: int):
    # a partial distance leaves the array through an ADC of the crossbar technology's table (ISAAC's
    # SAR ADC, scaled by resolution): our assumption, docs/simulator.md "Modelling assumptions"
    return lambda hw, t: adc_energy_pj(t["crossbar"], bits)


class _PecanBase(Executor):
    #: input quantizer, LUT SRAM, accumulation and output scaling on the digital side, buffers
    actions = {
        **SCALING_ACTIONS,
        ("register", "access"): digital_param("register_energy_pj"),
        **LUT_ACTIONS,
        ("accumulator", "add"): digital_param("int32_add_energy_pj"),
        **BUFFER_ACTIONS,
    }

    def _quantize(self, x: np.ndarray) -> np.ndarray:
        """Input codes: clip(round(x / act_scale)) with the scale the hardware applies (hw.digital.scales)."""
        a = self.layer.attrs
        sc = self.hw.digital.scales
        attrs = a if sc == "float" else {**a, "act_scale": input_scale(a["act_scale"], sc)}
        return quantize(np.asarray(x, dtype=np.float32), attrs)

    def _scale_out(self, acc: np.ndarray, bias_shape: tuple[int, ...]) -> np.ndarray:
        """acc * lut_scale + bias as the output scaler computes it (docs/format.md step 4 for "float")."""
        bias = np.asarray(self.layer.arrays["bias"], dtype=np.float32).reshape(bias_shape)
        return scale_output(acc, self.layer.attrs["lut_scale"], bias, self.hw.digital.scales)

    def _vectors(self, x: np.ndarray) -> np.ndarray:
        """Input batch -> quantized im2col vectors int32[N, P, D*d]."""
        a = self.layer.attrs
        # quantizing is element-wise and maps the zero padding to code 0 (0 lies in every activation
        # range), so quantize the (smaller) input first and gather the integer codes
        q = self._quantize(x)
        if self.layer.type == "pecan_conv2d":
            return im2col(q, a["kernel_size"], a["stride"], a["padding"])
        return q[:, None, :]

    def _finish(self, acc: np.ndarray, n: int, p: int) -> np.ndarray:
        y = self._scale_out(acc, (-1,)).reshape(n, p, -1)
        if self.layer.type == "pecan_conv2d":
            return np.ascontiguousarray(y.transpose(0, 2, 1)).reshape(n, *self.out_shape)
        return y[:, 0, :]

    def winners(self, q: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def forward(self, xs: list[np.ndarray]) -> np.ndarray:
        if self._noisy() is not None:
            return self._noisy().forward(self, xs[0])
        tables = self._fused()
        if tables is not None:  # same results as winners() + lut_accumulate, in one fused pass
            return self._forward_fused(xs[0], tables)
        q = self._vectors(xs[0])
        n, p, width = q.shape
        flat = np.ascontiguousarray(q.reshape(n * p, width))
        lut = np.ascontiguousarray(self.layer.arrays["lut"], dtype=np.int32)
        return self._finish(lut_accumulate(self.winners(flat), lut), n, p)

    def _forward_fused(self, x: np.ndarray, tables: PecanTables) -> np.ndarray:
        self._check_target()
        a = self.layer.attrs
        q = self._quantize(x)
        if self.layer.type != "pecan_conv2d":
            return self._scale_out(tables.vectors(q), (-1,))
        acc = tables.conv(q, _pair(a["kernel_size"]), _pair(a["stride"]), _pair(a["padding"]), self.out_shape[1:])
        return self._scale_out(acc, (1, -1, 1)).reshape(x.shape[0], *self.out_shape)  # NCHW

    def _check_target(self) -> None:
        """Raise if the layer cannot run on this target (as winners() would)."""

    def _noisy(self) -> NoisyCamLayer | None:
        """The layer's non-ideal CAM arrays, or None where the search is exact."""
        return None

    def nonideal_stats(self) -> dict[str, float] | None:
        noisy = self._noisy()
        return None if noisy is None else noisy.stats()

    def _fused(self) -> PecanTables | None:
        """Kernel tables for the fused path, or None where its arithmetic would not be exact."""
        if getattr(self, "_tables", None) is None:
            a = self.layer.attrs
            lo, hi = pecan_act_range(a)
            d = int(a["subvector_dim"])
            angle = a["mode"] == "angle"
            exact = PecanTables.exact(d, lo, hi, angle)
            self._tables = PecanTables(self._protos(), self.layer.arrays["lut"], angle) if exact else False
        return self._tables or None

    def _protos(self) -> np.ndarray:
        return np.ascontiguousarray(self.layer.arrays["prototypes"], dtype=np.int32)

    def _common_events(self, c: LayerCost, P: int, D: int, d: int, out: int, words: int) -> None:
        """Quantize inputs, LUT reads, accumulation, output scaling, buffer traffic (both targets).

        Each input element is read from the buffer (32-bit word) and quantized once; its code goes to a
        line buffer of registers that serves the P im2col windows (one register access per code used).
        The LUT and the buffer are charged by their capacity (``memory_bytes``).
        """
        n_in = int(np.prod(self.in_shapes[0]))
        c.memory_bytes["lut_sram"] = self._lut_bytes()
        c.memory_bytes["buffer"] = 4 * (sum(math.prod(s) for s in self.in_shapes) + math.prod(self.out_shape))
        c.add_event("buffer", "read", n_in)
        c.add_event("quantizer", "scale", n_in)
        c.add_event("quantizer", "clip", n_in)
        c.add_event("register", "access", P * D * d)
        c.add_event("lut_sram", "read", P * D * words)
        c.add_event("accumulator", "add", P * (D - 1) * out)
        c.add_event("scaler", "mult", P * out)
        c.add_event("scaler", "add", P * out)
        c.add_event("buffer", "write", P * out)

    def _lut_bytes(self) -> float:
        """Capacity of the layer's LUT SRAM: D x K entries of out x lut_bits bits."""
        a = self.layer.attrs
        return int(a["num_subspaces"]) * int(a["num_prototypes"]) * int(self.out_shape[0]) * int(a["lut_bits"]) / 8

    def _lut_cycles(self) -> int:
        """Clock cycles of one LUT SRAM access (access time of this LUT's capacity)."""
        return math.ceil(self.tech.sram("lut").access_latency_ns(self._lut_bytes()) * float(self.hw.clock_ghz))


@register("pecan_linear", "cam")
@register("pecan_conv2d", "cam")
class PecanCam(_PecanBase):
    """PECAN-D on CAM arrays: one search per (position, array), WTA per array, merge, LUT, adders."""

    actions = {
        **_PecanBase.actions,
        ("cam_array", "search"): lambda hw, t: t.cam_array().matchline_energy_pj(),
        ("cam_periphery", "sense"): lambda hw, t: t.cam_array().sense_energy_pj(),
        ("interconnect", "transfer"): lambda hw, t: t.cam_array().interconnect_energy_pj(),
        ("merge", "add"): digital_param("int32_add_energy_pj"),
        ("merge", "compare"): digital_param("int32_add_energy_pj"),
        **{("cam_readout", f"convert_{b}b"): _readout_energy(b) for b in READOUT_BITS},
    }

    def _check_target(self) -> None:
        self._check_mode()

    def _check_mode(self) -> None:
        if self.layer.attrs["mode"] != "distance":
            raise ValueError(
                f"layer {self.layer.name!r}: PECAN mode {self.layer.attrs['mode']!r} cannot run on a CAM "
                "(dot products); route it to 'digital' (HardwareConfig.targets) or use mode 'distance'"
            )

    def mapping(self):
        cam = self.tech["cam"]
        word = int(self.tech["lut"].get("word_bits"))
        return map_pecan(self.layer.attrs, self.out_shape, self.hw.cam, int(cam.get("bits_per_cell")), word)

    def _noisy(self) -> NoisyCamLayer | None:
        if getattr(self, "_noisy_layer", None) is None:
            ni = self.hw.cam.nonideal_for(self.tech["cam"])
            self._noisy_layer = NoisyCamLayer(self, ni) if ni.active else False
        return self._noisy_layer or None

    def winners(self, q: np.ndarray) -> np.ndarray:
        self._check_mode()
        m = self.mapping()
        # tiles in value units: a column tile holds cols // cells_per_value whole values
        col_vals = max(1, m.cols // m.cells_per_value)
        return pecan_l1_search(q, self._protos(), m.rows, col_vals)

    def cost(self) -> LayerCost:
        self._check_mode()
        m = self.mapping()
        hw = self.hw
        clk = float(hw.clock_ghz)
        arr = self.tech.cam_array()
        P, D, K, out = m.positions, m.num_subspaces, m.num_prototypes, m.out_features
        c = LayerCost(self.layer.name, self.layer.type, "cam", mapping=m.to_dict())
        joined = m.column_merge == "matchline"
        sensed = D * m.row_tiles if joined else m.arrays  # a joined row is sensed once
        c.add_event("cam_array", "search", P * m.arrays)
        c.add_event("cam_periphery", "sense", P * sensed)
        c.add_event("interconnect", "transfer", P * sensed)
        if m.readouts_per_search:  # distances leave the arrays as numbers: one conversion each
            c.add_event("cam_readout", f"convert_{m.readout_bits}b", P * m.readouts_per_search)
        if m.col_tiles > 1 and not joined:  # per-row partial distances read out, added, then a digital WTA
            c.add_event("merge", "add", P * D * K * (m.col_tiles - 1))
            c.add_event("merge", "compare", P * D * (K - 1))
        elif m.row_tiles > 1:  # each array's WTA winner + distance compared across row tiles
            c.add_event("merge", "compare", P * D * (m.row_tiles - 1))
        self._common_events(c, P, D, m.subvector_dim, out, m.lut_words_per_entry)
        adders = max(1, int(hw.cam.adders))
        merge_cyc = 0
        if m.col_tiles > 1 and not joined:
            merge_cyc = math.ceil(D * K * (m.col_tiles - 1) / adders) + math.ceil(math.log2(max(K, 2)))
        elif m.row_tiles > 1:
            merge_cyc = math.ceil(math.log2(m.row_tiles))
        # readout: an array's converter takes its rows' distances one after another (all its rows with
        # column tiles, its winner's with row tiles only); arrays of a round convert in parallel
        per_array = min(K, m.rows) if m.col_tiles > 1 and not joined else (1 if m.readouts_per_search else 0)
        xb = self.tech["crossbar"]
        read_cyc = math.ceil(per_array * xb.get("adc_latency_ns") * clk) if per_array else 0
        if joined and m.col_tiles > 1:  # the joined match line evaluates the full width
            arr = CamArray(self.tech["cam"], m.rows, m.cols * m.col_tiles, arr.mode)
        s_search = m.search_rounds * (math.ceil(arr.search_latency_ns() * clk) + read_cyc) + merge_cyc
        s_lut = math.ceil(D * m.lut_words_per_entry / max(1, int(hw.cam.lut_banks))) * self._lut_cycles()
        s_acc = math.ceil(max(D - 1, 0) * out / adders) + math.ceil(out / adders)
        stages = [s_search, s_lut, s_acc]
        c.cycles = float(P * max(stages) + sum(stages) - max(stages))  # pipelined over positions
        c.area_mm2 = {
            "cam_array": m.arrays * self.tech.cam_array().area_mm2(),
            "lut_sram": self.tech.sram("lut").area_mm2(self._lut_bytes()),
            "accumulator": adders * self.tech["digital"].get("int32_adder_area_um2") * 1e-6,
        }
        if m.readouts_per_search:
            c.area_mm2["cam_readout"] = m.arrays * adc_area_um2(xb, m.readout_bits) * 1e-6
        c.utilization = m.utilization
        c.mapping["stage_cycles"] = {"search": s_search, "lut": s_lut, "accumulate": s_acc}
        c.mapping["programming"] = self._programming(m)
        return c

    def _programming(self, m) -> dict[str, float]:
        """One-time cost of writing the prototypes (each row once, plus write-verify iterations)."""
        arr = self.tech.cam_array()
        wv = int(self.hw.cam.write_verify)
        rows = m.num_subspaces * m.num_prototypes * m.col_tiles
        rows_per_array = min(m.num_prototypes, m.rows)
        t_row = self.tech["cam"].get("write_latency_ns")
        return {"write_verify": wv, "rows": rows,
                "energy_pj": rows * (1 + wv) * arr.write_row_energy_pj() + rows * wv * arr.search_energy_pj() / m.rows,
                "latency_ns": m.search_rounds * rows_per_array * (1 + wv) * (t_row + (arr.search_latency_ns() if wv else 0))}


@register("pecan_linear", "digital")
@register("pecan_conv2d", "digital")
class PecanDigital(_PecanBase):
    """PECAN on the digital unit: MACs at ``hw.digital.precision`` (angle; exact for integer codes either
    way) or subtract/abs/add (distance) + argmax."""

    actions = {
        **_PecanBase.actions,
        **MAC_ACTIONS,
        ("alu", "fp32_mult"): digital_param("fp32_mult_energy_pj"),
        ("alu", "int_add"): digital_param("int32_add_energy_pj"),
        ("alu", "compare"): digital_param("fp32_add_energy_pj"),
    }

    def winners(self, q: np.ndarray) -> np.ndarray:
        if self.layer.attrs["mode"] == "angle":
            return pecan_dot_search(q, self._protos())
        return pecan_l1_search(q, self._protos(), 1 << 30, 1 << 30)

    def cost(self) -> LayerCost:
        a = self.layer.attrs
        hw = self.hw
        D, K, d = int(a["num_subspaces"]), int(a["num_prototypes"]), int(a["subvector_dim"])
        out = int(self.out_shape[0])
        P = positions_of(self.out_shape)
        lanes = max(1, int(hw.digital.macs_per_cycle))
        words = math.ceil(out * int(a["lut_bits"]) / int(self.tech["lut"].get("word_bits")))
        c = LayerCost(self.layer.name, self.layer.type, "digital")
        if a["mode"] == "angle":
            c.add_event("mac", hw.digital.precision, P * D * K * d)
            c.add_event("alu", "fp32_mult", P * D * K)  # divide by the stored prototype norm
            sim_ops = P * D * K * d + P * D * K
        else:
            c.add_event("alu", "int_add", P * D * K * d * 2)  # |q - p| and the running sum
            sim_ops = P * D * K * d * 2
        c.add_event("alu", "compare", P * D * (K - 1))
        self._common_events(c, P, D, d, out, words)
        s_sim = math.ceil((sim_ops + P * D * (K - 1)) / P / lanes)
        s_lut = math.ceil(D * words / max(1, int(hw.cam.lut_banks))) * self._lut_cycles()
        s_acc = math.ceil(max(D - 1, 0) * out / lanes) + math.ceil(out / lanes)
        stages = [s_sim, s_lut, s_acc]
        c.cycles = float(P * max(stages) + sum(stages) - max(stages))
        sram = self.tech.sram("lut")
        proto_bits = D * K * d * int(a["act_bits"])
        c.area_mm2 = {
            "lut_sram": sram.area_mm2(self._lut_bytes()),
            "weight_sram": sram.area_mm2(proto_bits / 8),
            "digital_unit": lanes * mac_area_um2(hw, self.tech) * 1e-6,
        }
        c.utilization = 1.0
        c.mapping = {"positions": P, "lanes": lanes, "mode": a["mode"],
                     "stage_cycles": dict(zip(("similarity", "lut", "accumulate"), stages))}
        return c
