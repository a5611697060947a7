"""Scenario -> sweep: points, evaluator, result store, Pareto front, plots, summary."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from codesign.atomic import write_text
from codesign.scenarios.scenario import Scenario, ScenarioError
from codesign.sim.sweep import ResultStore, grid_points, random_points, run_sweep
from codesign.sim.sweep.analysis import (feasible, front_rows, plot_fronts, plot_sensitivity, summary,
                                         write_table)

#: short evaluator names usable in scenario files
EVALUATORS = {
    "cam_pecan": "codesign.scenarios.sweep_evaluators:cam_pecan",
    "xbar_network": "codesign.scenarios.sweep_evaluators:xbar_network",
    "optics_tap": "codesign.scenarios.sweep_evaluators:optics_tap",
}


def evaluator_ref(name: str) -> str:
    if ":" in name:
        return name
    if name not in EVALUATORS:
        raise ScenarioError(f"[sweep.evaluator]: unknown evaluator {name!r}; expected one of {sorted(EVALUATORS)} "
                            "or 'package.module:function'")
    return EVALUATORS[name]


#: most points a sweep may have unless [sweep] max_points or --max-points says more
MAX_POINTS = 100_000


def point_count(scn: Scenario, samples: int | None = None) -> int:
    """Number of points the scenario's sweep evaluates (computed without generating them)."""
    sw = scn.sweep or {}
    if sw.get("mode", "grid") == "random":
        return int(samples or sw["samples"])
    return math.prod(len(v) for v in sw["axes"].values())


def check_point_count(scn: Scenario, samples: int | None = None, max_points: int | None = None) -> int:
    """The sweep's point count; above ``max_points`` (default [sweep] max_points, else :data:`MAX_POINTS`)
    an error naming the count and the option that raises the limit."""
    sw = scn.sweep or {}
    grid = sw.get("mode", "grid") == "grid"
    if samples is not None and grid:
        raise ScenarioError(f"{scn.path}: --samples {samples}: the sweep is a grid; --samples applies to "
                            "[sweep] mode = \"random\"")
    limit = max_points or int(sw.get("max_points") or MAX_POINTS)
    n = point_count(scn, samples)
    if n > limit:
        what = "[sweep.axes]" if grid else "--samples" if samples else "[sweep.samples]"
        raise ScenarioError(f"{scn.path}: {what}: {n:,} points exceed the limit of {limit:,}; "
                            "raise it with [sweep] max_points = N or --max-points N")
    return n


def scenario_points(scn: Scenario, samples: int | None = None,
                    max_points: int | None = None) -> list[dict[str, Any]]:
    """The sweep's points (their count checked by :func:`check_point_count`)."""
    sw = scn.sweep or {}
    axes = sw["axes"]
    check_point_count(scn, samples, max_points)
    if sw.get("mode", "grid") == "random":
        return random_points(axes, samples or int(sw["samples"]), int(sw.get("seed", 0)))
    return grid_points(axes)


def run_scenario_sweep(scn: Scenario, *, out: Path | None = None, resume: bool = False,
                       workers: int | None = None, dask_workers: int | None = None,
                       scheduler: str | None = None, samples: int | None = None,
                       progress: bool = True, max_points: int | None = None) -> dict[str, Any]:
    sw = scn.sweep or {}
    folder = Path(out or scn.output)
    ref = evaluator_ref(sw["evaluator"])
    points = scenario_points(scn, samples, max_points)
    settings = {"model": scn.model, "hardware": scn.hardware_overrides, "fixed": sw.get("fixed", {}),
                "accuracy": bool(sw.get("accuracy", False))}
    salt_parts = [ref, settings["model"], settings["hardware"], settings["fixed"], settings["accuracy"]]
    if sw.get("engine", "analytic") == "cycle":  # the cycle engine's costs, under the [cycle] settings
        settings["engine"] = "cycle"
        settings["cycle"] = scn.cycle.to_dict() if scn.cycle is not None else {}
        salt_parts += [settings["engine"], settings["cycle"]]
    salt = json.dumps(salt_parts, sort_keys=True, default=str)
    store = ResultStore(folder)
    meta = {"scenario": str(scn.path), "name": scn.name, "fingerprint": scn.fingerprint(), "evaluator": ref}
    stats = run_sweep(points, ref, settings, store, meta=meta, resume=resume, workers=workers,
                      scheduler=scheduler, dask_workers=dask_workers, chunk_size=sw.get("chunk_size"),
                      progress=progress, salt=salt)
    return analyse(scn, store, stats)


def analyse(scn: Scenario, store: ResultStore, stats: dict[str, Any]) -> dict[str, Any]:
    folder = store.folder
    csv_path, h5_path = store.export()
    cols, rows = store.table()
    axes = list((scn.sweep or {}).get("axes", {}))
    ok = feasible(rows, scn.constraints)
    front = front_rows(ok, scn.minimize, scn.maximize)
    write_table(front, folder / "pareto.csv", [c for c in cols if c not in ("status", "error")])
    plots: list[Path] = []
    if ok:
        plots = plot_fronts(ok, front, scn.objectives, folder)
        plots.append(plot_sensitivity(ok, axes, scn.objectives, folder))
    errors = [r for r in rows if r.get("status") != "ok"]
    text = [f"sweep '{scn.name}': {len(rows)} points ({stats['evaluated']} evaluated now, "
            f"{stats['skipped']} resumed), {len(ok)} feasible, {len(front)} on the Pareto front "
            f"({', '.join(scn.minimize)} down; {', '.join(scn.maximize) or '-'} up)",
            summary(ok, scn.minimize, scn.maximize, axes)]
    if errors:
        text.append(f"{len(errors)} points failed; first: {errors[0].get('error')}")
    text.append(f"results: {csv_path}, {h5_path}; front: {folder / 'pareto.csv'}; plots: "
                + ", ".join(p.name for p in plots))
    summary_text = "\n".join(t for t in text if t)
    write_text(folder / "summary.txt", summary_text + "\n")
    return {"summary_text": summary_text, "folder": str(folder), "front_size": len(front),
            "feasible": len(ok), "failed": len(errors), **stats}
