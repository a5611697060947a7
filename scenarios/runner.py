"""The scenario runner: train (or reuse a cached model) -> export HDF5 -> simulate -> report.

``run_scenario(load_scenario())`` is what ``codesign run`` does. Trained models are cached
under ``<cache root>/models`` (:func:`codesign.scenarios.cache.cache_root`) keyed by the variant, its
settings and a hash of the code that produces them, so a second run skips training. Everything a run writes goes to the scenario's
output folder: one HDF5 model, report JSON and plots per variant, ``summary.json``,
``summary.md`` and ``comparison.png``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from codesign.atomic import replacing, save_figure, write_json, write_text
from codesign.scenarios.cache import cache_root, code_hash
from codesign.scenarios.scenario import Scenario, ScenarioError

#: source files whose change invalidates cached models
_MODEL_SOURCES = ("models/pecan/layers.py", "models/pecan/network.py", "models/pecan/export.py",
                  "models/nets/digits.py", "models/train.py", "models/export.py", "models/metrics.py",
                  "models/data/digits.py", "sim/format.py", "sim/layer_schema.py")
_VARIANT_KEYS = ("num_prototypes", "subvector_dim", "act_bits", "lut_bits")


def model_key(variant: str, settings: dict[str, Any]) -> str:
    if variant == "debut":
        from codesign.scenarios.debut import digits as debut_digits

        blob = json.dumps({"variant": variant, **debut_digits.key_settings(settings),
                           "code": code_hash(debut_digits.SOURCES)}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]
    blob = json.dumps({"variant": variant, **settings, "code": code_hash(_MODEL_SOURCES)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def train_settings(model: dict[str, Any]) -> dict[str, Any]:
    """The part of a scenario's [model] table that changes the trained network."""
    out = {"seed": int(model.get("seed", 0)), "epochs": model.get("epochs") or None,
           "golden_size": int(model.get("golden_size", 64))}
    out.update({k: model[k] for k in _VARIANT_KEYS if k in model})
    return out


def get_model(variant: str, settings: dict[str, Any], *, progress: bool = True,
              log=print) -> tuple[Path, dict[str, Any]]:
    """Path of the exported HDF5 model for ``variant`` (trained now or taken from the cache).

    Variants: ``baseline``, ``pecan_a``, ``pecan_d`` (:func:`codesign.models.train.train_digits`) and
    ``debut``, the all-DeBut LeNet (:mod:`codesign.scenarios.debut.digits`; PECAN keys are ignored).
    """
    from codesign.sim.format import FormatError, read_model

    key = model_key(variant, settings)
    path = cache_root() / "models" / f"{variant}-{key}.h5"
    if path.exists():
        try:
            spec = read_model(path)
            log(f"[{variant}] reusing cached model {path}")
            return path, dict(spec.metadata)
        except FormatError as exc:
            log(f"[{variant}] cached model unusable ({exc}); retraining")
    if variant == "debut":
        from codesign.scenarios.debut.digits import export_debut_digits, train_debut_digits

        model, metrics = train_debut_digits(seed=settings["seed"], epochs=settings.get("epochs"))
        export_debut_digits(path, model, metrics, settings)
        log(f"[{variant}] trained in {metrics['train_time_s']:.1f} s, exported to {path}")
        return path, dict(read_model(path).metadata)
    from codesign.models.data.digits import load_digits_split
    from codesign.models.export import export_model
    from codesign.models.nets.digits import VARIANTS
    from codesign.models.train import train_digits

    if variant not in VARIANTS:
        raise ScenarioError(f"model variant {variant!r}: expected one of {[*VARIANTS, 'debut']}")

    hyper = {k: settings[k] for k in _VARIANT_KEYS if k in settings}
    t0 = time.perf_counter()
    model, metrics = train_digits(variant, epochs=settings.get("epochs"), seed=settings["seed"],
                                  progress=progress, **hyper)
    split = load_digits_split(seed=0)
    n_gold = settings["golden_size"]
    metadata = {"variant": variant, "dataset": "sklearn digits", "train_settings": settings,
                **{k: v for k, v in metrics.items() if isinstance(v, (int, float, str))}}
    export_model(model, path, golden_inputs=split.x_test[:n_gold], golden_labels=split.y_test[:n_gold],
                 test_inputs=split.x_test, test_labels=split.y_test, name=f"digits-{variant}", metadata=metadata)
    log(f"[{variant}] trained in {time.perf_counter() - t0:.1f} s, exported to {path}")
    return path, metadata


def simulate_variant(model_path: Path, hw: Any, outdir: Path, *, progress: bool = True,
                     cycle: Any = None) -> dict[str, Any]:
    """Run the exported model on ``hw``: accuracy on its test set + per-inference cost report; with a
    :class:`~codesign.sim.cycle.config.CycleConfig` also the cycle engine (cycle.json, gantt.png)."""
    from codesign.sim.engine import Simulator
    from codesign.sim.format import read_model

    spec = read_model(model_path)
    sim = Simulator(spec, hw=hw)
    ev = sim.evaluate(which="testset", progress=progress)
    rep = ev.report
    outdir.mkdir(parents=True, exist_ok=True)
    rep.write_json(outdir / "report.json")
    plots = rep.plot(outdir)
    targets = sorted({lc.target for lc in rep.layers})
    extra = {}
    if cycle is not None:
        from codesign.sim.cycle.engine import CycleSimulator

        crep = CycleSimulator(spec, hw, cycle).run()
        crep.write_json(outdir / "cycle.json")
        plots.append(crep.plot_gantt(outdir / "gantt.png"))
        extra["cycle"] = {"latency_ns": crep.latency_ns, "throughput_inf_s": crep.throughput_inf_s,
                          "energy_pj": crep.energy_pj, "leakage_pj": crep.leakage_energy_pj / crep.batch,
                          "reload_bytes": crep.reload_bytes / crep.batch,
                          "broken_assumptions": crep.broken_assumptions()}
    return {
        "model": spec.name,
        "sim_accuracy": float(ev.accuracy),
        "golden_prediction_match": float(ev.golden_match),
        "golden_max_abs_logit_diff": float(ev.golden_max_abs_diff),
        "energy_pj": float(rep.total_energy_pj),
        "latency_ns": float(rep.latency_ns),
        "area_mm2": float(rep.area_mm2),
        "energy_by_component_pj": {k: float(v) for k, v in rep.energy_by_component_pj.items()},
        "targets": targets,
        "report": rep,
        "plots": [str(p) for p in plots],
        **extra,
    }


def split_variant(entry: str, where: str) -> tuple[str, dict[str, str]]:
    """``"baseline:fp32"`` -> ("baseline", {"precision": "fp32"}): a variant name, optionally followed by
    ``:`` and comma-separated digital-unit settings, each a precision (``int8``, ``fp32``) or a scale
    arithmetic (``float``, ``pow2``, ``int``) that replaces the scenario's for that row."""
    from codesign.models.nets.digits import VARIANTS
    from codesign.sim.hardware import PRECISIONS, SCALES

    name, _, rest = entry.partition(":")
    known = [*VARIANTS, "debut"]
    if name not in known:
        raise ScenarioError(f"{where}: {entry!r}; expected one of {known}, optionally with ':<setting>,...'")
    over: dict[str, str] = {}
    for tok in filter(None, (t.strip() for t in rest.split(","))):
        key = "precision" if tok in PRECISIONS else "scales" if tok in SCALES else None
        if key is None:
            raise ScenarioError(f"{where}: {entry!r}: setting {tok!r}; expected one of {[*PRECISIONS, *SCALES]}")
        over[key] = tok
    return name, over


def run_scenario(scn: Scenario, *, progress: bool = True, out: Path | None = None, log=print) -> dict[str, Any]:
    """Train/export/simulate every variant of ``scn``; write and return the summary. Scenarios of kind
    ``opm_tap`` run the OPM tap-classifier loop (:mod:`codesign.scenarios.opmtap.pipeline`) instead."""
    from dataclasses import replace

    if scn.kind == "opm_tap":
        from codesign.scenarios.opmtap.pipeline import run_opm_tap

        return run_opm_tap(scn, progress=progress, out=out, log=log)
    variants = scn.model.get("variants") or [scn.model.get("variant", "pecan_d")]
    if scn.model.get("dataset", "digits") != "digits":
        raise ScenarioError(f"{scn.path}: [model.dataset]: {scn.model['dataset']!r}; the runner supports 'digits'")
    parsed = [split_variant(v, f"{scn.path}: [model.variants]") for v in variants]
    outdir = Path(out or scn.output)
    outdir.mkdir(parents=True, exist_ok=True)
    settings = train_settings(scn.model)
    t0 = time.perf_counter()
    rows = []
    reports = {}
    for entry, (variant, over) in zip(variants, parsed):
        path, meta = get_model(variant, settings, progress=progress, log=log)
        local = outdir / f"{variant}.h5"
        with replacing(local) as tmp:
            shutil.copyfile(path, tmp)
        hw = replace(scn.hardware, digital=replace(scn.hardware.digital, **over))
        label = entry.replace(":", "-").replace(",", "-")
        sim = simulate_variant(local, hw, outdir / label, progress=progress, cycle=scn.cycle)
        reports[entry] = sim.pop("report")
        rows.append({"variant": entry, "digital": f"{hw.digital.precision}, {hw.digital.scales} scales",
                     "torch_accuracy": meta.get("test_accuracy"), **sim, "model_file": str(local)})
    summary = {"scenario": scn.name, "hardware": scn.hardware.to_dict(), "rows": rows,
               "seconds": round(time.perf_counter() - t0, 1)}
    write_json(outdir / "summary.json", summary, default=str)
    write_text(outdir / "summary.md", summary_markdown(summary))
    _comparison_plot(reports, outdir / "comparison.png")
    return summary


def summary_markdown(summary: dict[str, Any]) -> str:
    hw = summary["hardware"]
    lines = [f"Scenario `{summary['scenario']}`: CAM `{hw['cam']['technology']}` {hw['cam']['rows']}x{hw['cam']['cols']}, "
             f"digital `{hw['digital']['technology']}`, clock {hw['clock_ghz']} GHz, node {hw['node_nm']} nm.", "",
             "| variant | runs on | digital arithmetic | accuracy (PyTorch) | accuracy (simulator) | golden match "
             "| energy / inference (nJ) | latency / inference (µs) | area (mm²) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in summary["rows"]:
        ta = r.get("torch_accuracy")
        lines.append(
            f"| {r['variant']} | {'+'.join(r['targets'])} | {r['digital']} | {'' if ta is None else f'{100 * ta:.2f}%'} | "
            f"{100 * r['sim_accuracy']:.2f}% | {100 * r['golden_prediction_match']:.0f}% | "
            f"{r['energy_pj'] / 1e3:.2f} | {r['latency_ns'] / 1e3:.2f} | {r['area_mm2']:.4f} |")
    return "\n".join(lines) + "\n"


def print_summary(summary: dict[str, Any]) -> None:
    if summary.get("kind") == "opm_tap":
        from codesign.scenarios.opmtap.report import print_summary as print_opm

        return print_opm(summary)
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"codesign run — {summary['scenario']} ({summary['seconds']} s)")
    for col in ("variant", "runs on", "digital", "acc. torch", "acc. sim", "golden match", "energy/inf (nJ)",
                "latency/inf (µs)", "area (mm²)"):
        t.add_column(col, justify="right" if col != "variant" else "left")
    for r in summary["rows"]:
        ta = r.get("torch_accuracy")
        t.add_row(r["variant"], "+".join(r["targets"]), r["digital"], "" if ta is None else f"{100 * ta:.2f}%",
                  f"{100 * r['sim_accuracy']:.2f}%", f"{100 * r['golden_prediction_match']:.0f}%",
                  f"{r['energy_pj'] / 1e3:.2f}", f"{r['latency_ns'] / 1e3:.2f}", f"{r['area_mm2']:.4f}")
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    console.print(t)


def _comparison_plot(reports: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    comps = sorted({c for r in reports.values() for c in r.energy_by_component_pj})
    names = list(reports)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    bottom = np.zeros(len(names))
    colors = plt.get_cmap("tab20").colors
    for i, c in enumerate(comps):
        vals = np.array([reports[n].energy_by_component_pj.get(c, 0.0) / 1e3 for n in names])
        ax1.bar(names, vals, bottom=bottom, label=c, color=colors[i % len(colors)])
        bottom += vals
    ax1.set_ylabel("energy per inference (nJ)")
    ax1.set_title("energy by component")
    ax1.legend(fontsize=7)
    ax2.bar(names, [reports[n].latency_ns / 1e3 for n in names], color="tab:gray")
    ax2.set_ylabel("latency per inference (µs)")
    ax2.set_title("latency")
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
