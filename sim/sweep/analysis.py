"""Sweep results -> Pareto table, PNG plots (front scatter, per-axis sensitivity), summary."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np

from codesign.atomic import write_csv
from codesign.sim.sweep.pareto import pareto_mask


def feasible(rows: list[dict[str, Any]], constraints: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    """Rows that evaluated fine and satisfy every ``{metric: {min/max: bound}}`` constraint."""
    out = []
    for r in rows:
        if r.get("status") != "ok":
            continue
        ok = True
        for m, b in constraints.items():
            v = r.get(m)
            if v is None or ("max" in b and v > b["max"]) or ("min" in b and v < b["min"]):
                ok = False
                break
        if ok:
            out.append(r)
    return out


def front_rows(rows: list[dict[str, Any]], minimize: list[str], maximize: list[str]) -> list[dict[str, Any]]:
    objs = [*minimize, *maximize]
    if not rows:
        return []
    vals = np.array([[float(r.get(m, np.nan)) for m in objs] for r in rows])
    mask = pareto_mask(vals, [False] * len(minimize) + [True] * len(maximize))
    front = [r for r, keep in zip(rows, mask) if keep]
    return sorted(front, key=lambda r: r[objs[0]])


def write_table(rows: list[dict[str, Any]], path: Path, columns: list[str]) -> Path:
    """Rows as CSV with header ``columns`` (other keys dropped), written atomically."""
    return write_csv(path, rows, columns, extrasaction="ignore")


def summary(rows: list[dict[str, Any]], minimize: list[str], maximize: list[str], axes: list[str]) -> str:
    """One line per objective: the best feasible point and its knob values."""
    lines = []
    for m, best in [*((m, min) for m in minimize), *((m, max) for m in maximize)]:
        cand = [r for r in rows if r.get(m) is not None]
        if not cand:
            continue
        r = best(cand, key=lambda x: x[m])
        knobs = ", ".join(f"{a}={r[a]}" for a in axes if a in r)
        lines.append(f"best {m} ({'min' if best is min else 'max'}): {r[m]:.4g} at {knobs}")
    return "\n".join(lines)


def plot_fronts(rows: list[dict[str, Any]], front: list[dict[str, Any]], objectives: list[str],
                folder: Path) -> list[Path]:
    """Scatter of every feasible point with the Pareto front highlighted, one PNG per objective pair."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    keys = {id(r) for r in front}
    for a, b in itertools.combinations(objectives, 2):
        fig, ax = plt.subplots(figsize=(5.5, 4.2))
        xs = [r[a] for r in rows]
        ys = [r[b] for r in rows]
        ax.scatter(xs, ys, s=8, c="0.7", label="feasible points")
        fr = sorted((r for r in rows if id(r) in keys), key=lambda r: r[a])
        ax.plot([r[a] for r in fr], [r[b] for r in fr], "o-", c="tab:red", ms=4, label="Pareto front (all objectives)")
        ax.set_xlabel(a)
        ax.set_ylabel(b)
        if all(x > 0 for x in xs) and max(xs) / max(min(xs), 1e-30) > 50:
            ax.set_xscale("log")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        path = folder / f"pareto_{a}_vs_{b}.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        paths.append(path)
    return paths


def plot_sensitivity(rows: list[dict[str, Any]], axes: list[str], objectives: list[str], folder: Path) -> Path:
    """Per-axis sensitivity: median (and min–max band) of each objective for each axis value."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, grid = plt.subplots(len(objectives), len(axes), figsize=(3.2 * len(axes), 2.6 * len(objectives)),
                             squeeze=False)
    for j, axis in enumerate(axes):
        values = sorted({r[axis] for r in rows if axis in r}, key=lambda v: (str(type(v)), v))
        for i, obj in enumerate(objectives):
            ax = grid[i][j]
            med, lo, hi = [], [], []
            for v in values:
                ys = [r[obj] for r in rows if r.get(axis) == v and r.get(obj) is not None]
                med.append(np.median(ys) if ys else np.nan)
                lo.append(min(ys) if ys else np.nan)
                hi.append(max(ys) if ys else np.nan)
            xs = np.arange(len(values))
            ax.fill_between(xs, lo, hi, alpha=0.2)
            ax.plot(xs, med, "o-")
            ax.set_xticks(xs, [str(v) for v in values], rotation=30, fontsize=7)
            if j == 0:
                ax.set_ylabel(obj, fontsize=8)
            if i == len(objectives) - 1:
                ax.set_xlabel(axis, fontsize=8)
            ax.tick_params(labelsize=7)
    fig.tight_layout()
    path = folder / "sensitivity.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
