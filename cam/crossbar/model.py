"""Analog IMC crossbar model: bit-sliced differential weights, bit-serial inputs, column ADCs.

Tiles and column layout: :mod:`codesign.cam.crossbar.params`. Numerics (see docs/crossbar.md):

* Weights: per-output scale ``sw = max|W[o]| / (2^(wb-1)-1)``, integer codes q, magnitude split into
  ``cell_bits`` slices (LSB first) -> conductance levels 0..L-1 (L = 2^cell_bits) on top of the G_min
  offset ``g0 = (L-1) G_min / (G_max - G_min)``. Programming noise adds N(0, sigma (L-1)) levels per cell.
* Inputs: per-vector scale, ``input_bits`` codes, fed bit-serially through ``dac_bits``-bit DACs
  (LSB chunk first) plus one sign cycle for signed inputs; each cycle's column currents are converted
  by the column ADC, then shift-added (cycle weight x slice weight x polarity) and accumulated.
* ``bipolar_dac``: read voltages of either sign; a signed input is applied as its sign times
  ``dac_bits - 1``-bit chunks of its magnitude (no sign cycle): 8-bit inputs on an 8-bit bipolar DAC
  take one cycle.
* ``subtract_in_analog``: the two columns of a differential pair are subtracted as currents before
  the ADC (CrossSim's balanced core with ``subtract_current_in_xbar``): one conversion per output and
  slice, signed ADC over +-(L-1) levels per row; otherwise each polarity column has its own
  conversion and the subtraction is digital (ISAAC-style).
* ``ideal``: float weights (one analog slice), analog inputs (one cycle), ideal ADC, no noise: the
  result equals the float matmul to rounding. Costs always use the configured bits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from codesign.cam.crossbar import kernels as K
from codesign.cam.crossbar.nonideal import noise_pool, perturb, row_groups
from codesign.cam.crossbar.params import CrossbarError, CrossbarParams, TilePlan
from codesign.cam.adc import ADCSpec


# ----------------------------------------------------------------------------- programming


@dataclass
class _ProgTile:
    in_idx: np.ndarray
    g: np.ndarray        # [rows_used, cols_used] conductance in levels (incl. g0 and noise)
    col_out: np.ndarray  # global output index per column
    col_w: np.ndarray    # +-2^(s*cell_bits) per column
    adc: ADCSpec


@dataclass
class ProgrammedCrossbars:
    """Weights written into conductances (one per tile), ready for :func:`mvm`."""

    params: CrossbarParams
    plan: TilePlan
    w_scale: np.ndarray  # [n_out]
    tiles: list[_ProgTile]
    w_eff: np.ndarray | None  # [n_in, n_out] folded matrix (ideal ADC only: the tiles are linear)
    #: read-noise pool and seed (None without read noise)
    pool: np.ndarray | None = None
    noise_seed: int = 0
    #: ADC full scale per row band after calibration (:mod:`codesign.cam.crossbar.calibration`)
    calibration: list[float] | None = None


def program(plan: TilePlan, weight: np.ndarray, p: CrossbarParams, rng: np.random.Generator | None = None
            ) -> ProgrammedCrossbars:
    """Quantize, bit-slice and write ``weight`` [n_out, n_in] onto the plan's tiles (noise seeded)."""
    w = np.asarray(weight, dtype=np.float64)
    if w.shape != (plan.n_out, plan.n_in):
        raise CrossbarError(f"weight shape {w.shape}; the plan expects ({plan.n_out}, {plan.n_in})")
    rng = rng if rng is not None else np.random.default_rng(p.seed)
    L1 = p.levels - 1
    S = p.n_slices
    wmax = np.abs(w).max(axis=1)
    if p.nwb is None:
        sw = np.where(wmax > 0, wmax / L1, 1.0)
    else:
        sw = np.where(wmax > 0, wmax / (2 ** (p.nwb - 1) - 1), 1.0)
    out_tiles = []
    for t in plan.tiles:
        sub = w[np.ix_(t.out_idx, t.in_idx)].T / sw[t.out_idx]  # [R, O] in code units
        R, O = sub.shape
        lv = np.zeros((R, O, S, 2))
        if p.nwb is None:
            lv[:, :, 0, 0] = np.maximum(sub, 0)
            lv[:, :, 0, 1] = np.maximum(-sub, 0)
        else:
            q = np.rint(sub).astype(np.int64)
            for pol, mag in ((0, np.maximum(q, 0)), (1, np.maximum(-q, 0))):
                for s in range(S):
                    lv[:, :, s, pol] = (mag >> (s * p.cell_bits)) & L1
        g = lv.reshape(R, O * S * 2) + p.g0
        if p.noise > 0:
            g = np.maximum(g + rng.normal(0.0, p.noise * L1, size=g.shape), 0.0)
        if p.perturbed:
            g = perturb(g, p, rng)
        if p.subtract_in_analog:  # one column current per pair: G+ - G- (G_min cancels when unperturbed)
            g = (g[:, 0::2] - g[:, 1::2]) if p.perturbed else (lv[..., 0] - lv[..., 1]).reshape(R, O * S)
            col_out = np.repeat(t.out_idx.astype(np.int64), S)
            col_w = np.tile(2.0 ** (p.cell_bits * np.arange(S)), O)
        else:
            col_out = np.repeat(t.out_idx.astype(np.int64), S * 2)
            sl = np.tile(np.repeat(2.0 ** (p.cell_bits * np.arange(S)), 2), O)
            col_w = sl * np.tile([1.0, -1.0], O * S)
        idx = t.in_idx.astype(np.int64)
        for rs in row_groups(R, p):  # rows converted together (partial word-line activation)
            n_r = rs.stop - rs.start
            out_tiles.append(_ProgTile(idx[rs], np.ascontiguousarray(g[rs]), col_out, col_w, _adc_for(p, n_r)))
    w_eff = None
    pool = None
    if p.read_noise > 0:
        pool = noise_pool(p, rng, sum(t.g.shape[1] for t in out_tiles))
    elif p.nab is None:  # linear tiles: fold slices, polarities and tiles into one matrix
        w_eff = np.zeros((plan.n_in, plan.n_out))
        for t in out_tiles:
            np.add.at(w_eff, (t.in_idx[:, None], t.col_out[None, :]), t.g * t.col_w[None, :])
    return ProgrammedCrossbars(p, plan, sw, out_tiles, w_eff, pool, int(rng.integers(0, 2**62)) if pool is not None else 0)


def _adc_for(p: CrossbarParams, rows_used: int) -> ADCSpec:
    """Column ADC: full scale = largest possible column current (levels x DAC codes x rows) x adc_range."""
    cell = p.levels - 1 if p.subtract_in_analog else p.levels - 1 + p.g0
    if p.nib is None:
        return ADCSpec(p.nab, rows_used * cell * p.adc_range, signed=True)
    fs = rows_used * (2**p.chunk_bits - 1) * cell
    integer = not p.perturbed and p.nwb is not None and (p.subtract_in_analog or float(p.g0).is_integer())
    return ADCSpec(p.nab, fs * p.adc_range, signed=p.subtract_in_analog or p.bipolar_dac, integer_currents=integer)


def _cycle_weights(p: CrossbarParams, signed: bool) -> tuple[np.ndarray, int]:
    if p.nib is None:
        return np.ones(1), 1
    mag = p.nib - 1 if signed else p.nib
    k_mag = math.ceil(mag / p.chunk_bits)
    w = [2.0 ** (k * p.chunk_bits) for k in range(k_mag)]
    if signed and not p.bipolar_dac:
        w.append(-(2.0 ** (p.nib - 1)))
    return np.asarray(w), k_mag


def _gemm_dtype(p: CrossbarParams, tile: _ProgTile) -> type:
    """float32 for the current product where it loses nothing that matters: currents that are exact
    integers below 2^24 (integer codes and levels), or noisy conductances (float32 rounding, ~6e-8
    relative, is far below the programming noise); float64 otherwise (analog inputs, non-integer G_min)."""
    if p.nib is None:
        return np.float64
    if p.perturbed:
        return np.float32
    if tile.adc.integer_currents:
        bound = len(tile.in_idx) * (2**p.chunk_bits - 1) * (p.levels - 1 + p.g0)
        return np.float32 if bound < 2**24 else np.float64
    return np.float64


def mvm(prog: ProgrammedCrossbars, x: np.ndarray, signed: bool = True, block: int = 1024,
        stats: dict[str, float] | None = None, vec0: int = 0,
        currents: dict[int, list[np.ndarray]] | None = None) -> np.ndarray:
    """y = W x on the crossbars for a batch ``x`` [N, n_in]; returns [N, n_out] float64.

    ``signed`` False: inputs are non-negative (after ReLU): no sign cycle, negatives clip to 0.
    ``stats`` (optional dict) receives adc_conversions and adc_clipped counts. ``vec0``: global index of
    x's first vector (read noise is keyed by it). ``currents``: band index -> samples of |column current|
    are appended (ADC calibration, :func:`codesign.cam.crossbar.calibration.calibrate`).
    """
    p = prog.params
    x = np.ascontiguousarray(x, dtype=np.float64)
    n = x.shape[0]
    bits = 0 if p.nib is None else int(p.nib)
    if prog.w_eff is not None and p.nib is None:
        # linear tiles and analog inputs: the per-vector input scale cancels (x / s, then * s), so the
        # whole crossbar is one product with the folded, output-scaled matrix
        if getattr(prog, "_w_eff_scaled", None) is None:
            prog._w_eff_scaled = np.ascontiguousarray(prog.w_eff * prog.w_scale[None, :])
        if stats is not None:
            stats["adc_conversions"] = stats.get("adc_conversions", 0) + n * sum(t.g.shape[1] for t in prog.tiles)
            stats["adc_clipped"] = stats.get("adc_clipped", 0)
        return x @ prog._w_eff_scaled
    sx = np.empty(n)
    counts = np.zeros(2, dtype=np.int64)
    if prog.w_eff is not None:
        xq = _scratch(prog, "xq", x.shape, np.float64)
        K.quantize_inputs(x, bits, bool(signed), xq, sx)
        acc = xq @ prog.w_eff
        counts[0] += n * sum(t.g.shape[1] for t in prog.tiles) * len(_cycle_weights(p, signed)[0])
    else:
        acc = np.zeros((n, prog.plan.n_out))
        cyc_w, k_mag = _cycle_weights(p, signed)
        kt = len(cyc_w)
        analog = p.nib is None
        bands = _bands(prog)
        dt = np.float64 if any(_gemm_dtype(p, t) is np.float64 for t in bands) else np.float32
        # one input cycle whose DAC value is the input code itself (analog inputs, or codes that fit
        # one DAC chunk): the codes feed the current product directly, no per-cycle planes
        direct = analog or kt == 1
        xq = _scratch(prog, "xq", x.shape, dt if direct else np.float64)
        K.quantize_inputs(x, bits, bool(signed), xq, sx)
        for b, t in enumerate(bands):
            lsb, lo, hi = t.adc.params()
            g = t.g if dt is np.float64 else _as32(t)
            rows_per_block = min(block, n) * (1 if direct else kt)
            cur_buf = _scratch(prog, "cur", (rows_per_block, g.shape[1]), dt)
            if direct:
                xs = _rows_view(xq, t.in_idx)
                for n0 in range(0, n, block):
                    nb = min(block, n - n0)
                    cur = np.matmul(xs[n0:n0 + nb], g, out=cur_buf[:nb])
                    _convert(prog, cur, xs[n0:n0 + nb], n0, nb, 1, t, cyc_w, acc, counts, vec0,
                             None if currents is None else currents.setdefault(b, []))
                continue
            xb = _scratch(prog, "planes", (rows_per_block, len(t.in_idx)), dt)
            for n0 in range(0, n, block):
                nb = min(block, n - n0)
                K.build_planes(xq, n0, nb, t.in_idx, bits, p.chunk_bits, k_mag, bool(signed), p.bipolar_dac,
                               analog, xb)
                cur = np.matmul(xb[: nb * kt], g, out=cur_buf[: nb * kt])
                _convert(prog, cur, xb[: nb * kt], n0, nb, kt, t, cyc_w, acc, counts, vec0,
                         None if currents is None else currents.setdefault(b, []))
    if stats is not None:
        stats["adc_conversions"] = stats.get("adc_conversions", 0) + int(counts[0])
        stats["adc_clipped"] = stats.get("adc_clipped", 0) + int(counts[1])
    acc *= sx[:, None]
    acc *= prog.w_scale[None, :]
    return acc


def _convert(prog: ProgrammedCrossbars, cur: np.ndarray, drive: np.ndarray, n0: int, nb: int, kt: int,
             t: _ProgTile, cyc_w: np.ndarray, acc: np.ndarray, counts: np.ndarray, vec0: int,
             sample: list[np.ndarray] | None) -> None:
    """ADC-convert and accumulate one block's currents (read noise added where the crossbars have it)."""
    lsb, lo, hi = t.adc.params()
    if sample is not None:
        sample.append(np.abs(cur[:: max(1, cur.shape[0] // 1024)]).ravel().copy())
    if prog.pool is None:
        K.adc_accumulate(cur, n0, nb, kt, t.col_out, t.col_w, cyc_w, lsb, lo, hi, acc, counts)
        return
    p = prog.params
    rstd = _scratch(prog, "rstd", (drive.shape[0],), np.float64)
    K.scaled_row_norms(drive, p.read_noise * (p.levels - 1), rstd)
    K.adc_accumulate_noisy(cur, n0, nb, kt, t.col_out, t.col_w, cyc_w, lsb, lo, hi, acc, counts, rstd, prog.pool,
                           prog.noise_seed, vec0)


def _scratch(prog: ProgrammedCrossbars, name: str, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """A work buffer kept on ``prog`` between calls (every element is overwritten before it is read).

    Reusing it avoids fresh multi-MB allocations, which glibc serves by mmap and pays for in page
    faults on every call. Consequence: one ProgrammedCrossbars must not run mvm() from two threads at once.
    """
    bufs = prog.__dict__.setdefault("_scratch", {})
    key = (name, np.dtype(dtype).str)
    buf = bufs.get(key)
    size = int(np.prod(shape))
    if buf is None or buf.size < size:
        buf = bufs[key] = np.empty(size, dtype=dtype)
    return buf[:size].reshape(shape)


def _rows_view(xq: np.ndarray, in_idx: np.ndarray) -> np.ndarray:
    """xq[:, in_idx]: a strided view when the indices are one contiguous run, else a gathered copy."""
    if len(in_idx) and in_idx[-1] - in_idx[0] == len(in_idx) - 1 and np.all(np.diff(in_idx) == 1):
        return xq[:, in_idx[0]:in_idx[-1] + 1]
    return np.ascontiguousarray(xq[:, in_idx])


def _as32(t: _ProgTile) -> np.ndarray:
    """The band's conductances as float32 (converted once, kept on the band)."""
    if getattr(t, "_g32", None) is None:
        t._g32 = np.ascontiguousarray(t.g, dtype=np.float32)
    return t._g32


def _bands(prog: ProgrammedCrossbars) -> list[_ProgTile]:
    """Tiles sharing the same rows (same inputs, same ADC) merged side by side: one plane build and
    one current product per row band; numerically identical to tile-by-tile (columns are independent)."""
    if getattr(prog, "_bands", None) is None:
        groups: dict[tuple, list[_ProgTile]] = {}
        for t in prog.tiles:
            groups.setdefault((t.in_idx.tobytes(), t.adc), []).append(t)
        prog._bands = [ts[0] if len(ts) == 1 else _ProgTile(
            ts[0].in_idx, np.ascontiguousarray(np.concatenate([t.g for t in ts], axis=1)),
            np.concatenate([t.col_out for t in ts]), np.concatenate([t.col_w for t in ts]), ts[0].adc)
            for ts in groups.values()]
    return prog._bands

