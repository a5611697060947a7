"""Mapping layers (and any block-structured matrix) onto crossbar tiles.

A layer becomes a *logical matrix* W [n_out, n_in] (linear: its weight; conv: the im2col filter
matrix, columns in ``ci, kh, kw`` order, block-diagonal over groups) plus a list of *blocks*
(index sets of inputs/outputs whose cross products hold the structural weights). A strategy turns
blocks into a :class:`~codesign.cam.crossbar.params.TilePlan`:

* ``"dense"``  — ignore the structure: tile the whole [n_out, n_in] matrix (zeros programmed too);
* ``"packed"`` — each block is a dense sub-matrix; small blocks are packed diagonally into shared
  tiles (first fit: a tile takes blocks while its rows and output columns last); a block larger than a
  tile is tiled densely on its own tiles.

Extension point (DeBut and other structured factors): build the blocks with e.g.
:func:`debut_factor_blocks` and call :func:`plan_blocks`; then ``program(plan, W_dense, params)`` and
``mvm(...)`` from :mod:`codesign.cam.crossbar.model` run it. See docs/crossbar.md.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from codesign.cam.crossbar.params import CrossbarError, CrossbarParams, TilePlan, TileSpec, plan_dense
from codesign.sim.layer_schema import _pair

#: (input indices, output indices) or (input indices, output indices, structural nonzeros in the block)
Block = tuple
STRATEGIES = ("dense", "packed")


def _useful(tile: TileSpec, bid_in: np.ndarray, bid_out: np.ndarray, density: np.ndarray) -> int:
    n_blocks = len(density)
    a = np.bincount(bid_in[tile.in_idx][bid_in[tile.in_idx] >= 0], minlength=n_blocks)
    b = np.bincount(bid_out[tile.out_idx][bid_out[tile.out_idx] >= 0], minlength=n_blocks)
    return int(round(float(np.sum(a * b * density))))


def plan_blocks(blocks: Sequence[Block], n_in: int, n_out: int, p: CrossbarParams, strategy: str = "packed",
                info: dict[str, Any] | None = None) -> TilePlan:
    """Place a block-structured [n_out, n_in] matrix on tiles. Blocks must not share inputs or outputs."""
    if strategy not in STRATEGIES:
        raise CrossbarError(f"mapping strategy {strategy!r}; expected one of {STRATEGIES}")
    bid_in = np.full(n_in, -1, np.int64)
    bid_out = np.full(n_out, -1, np.int64)
    density = np.array([(blk[2] / (len(blk[0]) * len(blk[1]))) if len(blk) > 2 else 1.0 for blk in blocks])
    blocks = [(np.asarray(blk[0], np.int64), np.asarray(blk[1], np.int64)) for blk in blocks]
    for b, (i, o) in enumerate(blocks):
        if (bid_in[i] >= 0).any() or (bid_out[o] >= 0).any():
            raise CrossbarError(f"block {b} shares inputs or outputs with an earlier block; expected disjoint blocks")
        bid_in[i], bid_out[o] = b, b
    if strategy == "dense":
        tiles = plan_dense(n_out, n_in, p)
    else:
        tiles, cur_in, cur_out = [], [], []
        opt = p.outs_per_tile
        for i, o in blocks:
            if len(i) > p.rows or len(o) > opt:  # oversize: its own dense tiles
                tiles.extend(plan_dense(len(o), len(i), p, i, o))
                continue
            if sum(map(len, cur_in)) + len(i) > p.rows or sum(map(len, cur_out)) + len(o) > opt:
                tiles.append(TileSpec(np.concatenate(cur_in), np.concatenate(cur_out)))
                cur_in, cur_out = [], []
            cur_in.append(i)
            cur_out.append(o)
        if cur_in:
            tiles.append(TileSpec(np.concatenate(cur_in), np.concatenate(cur_out)))
    for t in tiles:
        t.useful_cells = _useful(t, bid_in, bid_out, density)
    plan = TilePlan(n_in, n_out, tiles, strategy, dict(info or {}))
    plan.check(p)
    return plan


# ----------------------------------------------------------------------------- layers


def conv_geometry(attrs: dict[str, Any]) -> tuple[int, int, int, int]:
    """(groups, in_channels, out_channels, kh*kw)."""
    kh, kw = _pair(attrs["kernel_size"])
    return int(attrs.get("groups", 1)), int(attrs["in_channels"]), int(attrs["out_channels"]), kh * kw


def conv_blocks(attrs: dict[str, Any]) -> list[Block]:
    """One block per group: its ci/g·k² im2col columns (ci slowest) x its co/g outputs."""
    g, ci, co, kk = conv_geometry(attrs)
    cig, cog = ci // g, co // g
    return [(np.arange(gi * cig * kk, (gi + 1) * cig * kk), np.arange(gi * cog, (gi + 1) * cog)) for gi in range(g)]


def conv_matrix(weight: np.ndarray, groups: int) -> np.ndarray:
    """Logical filter matrix [co, ci·kh·kw] (block-diagonal over groups) from weight [co, ci/g, kh, kw]."""
    co, cig, kh, kw = weight.shape
    kk, cog = kh * kw, co // groups
    w = np.zeros((co, cig * groups * kk), dtype=np.float64)
    for gi in range(groups):
        w[gi * cog:(gi + 1) * cog, gi * cig * kk:(gi + 1) * cig * kk] = weight[gi * cog:(gi + 1) * cog].reshape(cog, -1)
    return w


def layer_plan(layer: Any, p: CrossbarParams, group_mapping: str = "packed") -> TilePlan:
    """TilePlan of a ``linear`` or ``conv2d`` layer (shapes only, no data)."""
    a = layer.attrs
    if layer.type == "linear":
        n_in, n_out = int(a["in_features"]), int(a["out_features"])
        return plan_blocks([(np.arange(n_in), np.arange(n_out))], n_in, n_out, p, "dense")
    if layer.type == "conv2d":
        g, ci, co, kk = conv_geometry(a)
        strategy = group_mapping if g > 1 else "dense"
        return plan_blocks(conv_blocks(a), ci * kk, co, p, strategy, {"groups": g})
    raise CrossbarError(f"layer {layer.name!r}: type {layer.type!r} has no crossbar mapping")


def layer_matrix(layer: Any) -> np.ndarray:
    """Logical weight matrix [n_out, n_in] of a linear/conv2d layer."""
    w = np.asarray(layer.arrays["weight"], dtype=np.float64)
    if layer.type == "linear":
        return w
    return conv_matrix(w, int(layer.attrs.get("groups", 1)))


# ----------------------------------------------------------------------------- structured factors


def debut_factor_blocks(p_out: int, q_in: int, r: int, s: int, t: int, by: str = "block") -> list[Block]:
    """Blocks of a DeBut factor [p, q] with a = q/(s·t) blocks of r×s grids of t×t diagonals.

    ``by="block"``: each (r·t × s·t) block as one dense tile block (t-fold sparse inside);
    ``by="diagonal"``: split every block into its t dense r×s sub-matrices (entries sharing the
    diagonal offset d), which pack without wasted cells. Index formula: W[b·r·t+i·t+d, b·s·t+j·t+d].
    """
    if s * t == 0 or q_in % (s * t) or p_out != (q_in // (s * t)) * r * t:
        raise CrossbarError(f"DeBut factor (p={p_out}, q={q_in}, r={r}, s={s}, t={t}): expected s·t | q and p = q·r/s")
    a = q_in // (s * t)
    out: list[Block] = []
    for b in range(a):
        if by == "block":
            out.append((np.arange(b * s * t, (b + 1) * s * t), np.arange(b * r * t, (b + 1) * r * t), r * s * t))
        elif by == "diagonal":
            for d in range(t):
                out.append((b * s * t + np.arange(s) * t + d, b * r * t + np.arange(r) * t + d))
        else:
            raise CrossbarError(f"debut_factor_blocks: by={by!r}; expected 'block' or 'diagonal'")
    return out


def utilization_table(params: CrossbarParams | None = None) -> list[tuple[str, str, int, float]]:
    """(layer, strategy, tiles, utilization) for depthwise/pointwise convs and a DeBut factor (docs table)."""
    p = params or CrossbarParams()
    rows = []
    for c in (32, 256):
        dw = {"in_channels": c, "out_channels": c, "kernel_size": [3, 3], "groups": c}
        for s in STRATEGIES:
            pl = plan_blocks(conv_blocks(dw), c * 9, c, p, s)
            rows.append((f"depthwise 3x3, {c} ch", s, len(pl.tiles), pl.utilization(p)))
        pw = {"in_channels": c, "out_channels": c, "kernel_size": [1, 1], "groups": 1}
        pl = plan_blocks(conv_blocks(pw), c, c, p, "dense")
        rows.append((f"pointwise 1x1, {c}->{c}", "dense", len(pl.tiles), pl.utilization(p)))
    for by in ("block", "diagonal"):
        for s in STRATEGIES:
            pl = plan_blocks(debut_factor_blocks(256, 256, 2, 2, 16, by), 256, 256, p, s)
            rows.append((f"DeBut (p,q,r,s,t)=(256,256,2,2,16) by {by}", s, len(pl.tiles), pl.utilization(p)))
    return rows


if __name__ == "__main__":  # pragma: no cover
    print("| layer | strategy | tiles | utilization |\n|---|---|---|---|")
    for name, s, n, u in utilization_table():
        print(f"| {name} | {s} | {n} | {u:.4f} |")
