"""Accuracy vs one non-ideality knob at a time, mean +- std over device instances (seeds).

A *knob* names a ``CamConfig`` field (PECAN-D on CAM) or a ``CrossbarParams`` field (conv/linear/DeBut on
crossbars) and its values; some knobs carry fixed companions (drift needs an exponent) or a second axis
(rows per conversion is swept per ADC resolution, the NeuroSim trend). Every point is evaluated on
``trials`` device instances (seeds 0..trials-1); rows go to a CSV and one PNG per knob.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from codesign.errors import CodesignError


class NonidealArgError(CodesignError, ValueError):
    """A bad ``codesign nonideal`` argument (knob name or value)."""


@dataclass
class Knob:
    name: str
    values: list[Any]
    fixed: dict[str, Any] = field(default_factory=dict)
    #: second axis: (field, values) -> one curve per value
    series: tuple[str, list[Any]] | None = None
    log_x: bool = False


CAM_KNOBS = {
    "level_sigma": Knob("level_sigma", [0.0, 0.26, 0.61, 1.0, 2.0, 4.0]),
    "sense_sigma": Knob("sense_sigma", [0.0, 0.5, 2.0, 8.0, 16.0, 32.0]),
    "sense_bits": Knob("sense_bits", [2, 3, 4, 5, 6, 8, 10]),
    "stuck_rate": Knob("stuck_rate", [0.0, 0.001, 0.01, 0.05, 0.1, 0.3]),
}
XBAR_KNOBS = {
    "prog_noise_sigma": Knob("prog_noise_sigma", [0.0, 0.02, 0.05, 0.1, 0.2]),
    "read_noise_sigma": Knob("read_noise_sigma", [0.0, 0.02, 0.05, 0.1, 0.2]),
    # PCM-like drift (nu 0.05 +- 0.02) to make the effect visible; the RRAM defaults are 10x smaller
    "drift_time_s": Knob("drift_time_s", [1.0, 1e2, 1e4, 1e6, 1e8], {"drift_nu": 0.05, "drift_nu_sigma": 0.02},
                         log_x=True),
    "stuck_on_rate": Knob("stuck_on_rate", [0.0, 0.001, 0.005, 0.02, 0.05]),
    "stuck_off_rate": Knob("stuck_off_rate", [0.0, 0.001, 0.005, 0.02, 0.05]),
    "wire_res_ohm": Knob("wire_res_ohm", [0.0, 1.4, 10.0, 100.0, 1000.0], log_x=False),
    "rows_per_adc": Knob("rows_per_adc", [8, 16, 32, 64, 128], {"adc_calibration": "none"},
                         series=("adc_bits", [3, 4, 5, 6, 8])),
    "adc_calibration": Knob("adc_calibration", ["none", "max", "percentile"], {},
                            series=("adc_bits", [3, 4, 5, 8])),
}


def parse_knob(text: str, table: dict[str, Knob]) -> Knob:
    """``name`` (default grid) or ``name=v1,v2,...`` -> Knob of ``table``."""
    name, _, vals = text.partition("=")
    name = name.strip()
    if name not in table:
        raise NonidealArgError(f"--knob {name!r}: unknown for this model; expected one of {sorted(table)}")
    base = table[name]
    if not vals:
        return base
    kind = type(base.values[0])
    try:
        values = [kind(v) if kind is not int else int(float(v)) for v in vals.split(",") if v.strip()]
    except ValueError:
        raise NonidealArgError(f"--knob {text!r}: values must be {kind.__name__}s, comma-separated") from None
    return Knob(name, values, base.fixed, base.series, base.log_x)


def evaluate_point(path: str, target: str, settings: dict[str, Any], trials: int, limit: int | None,
                   tech: str | None) -> dict[str, float]:
    """Mean/std accuracy over ``trials`` seeds and the mean non-ideality counters of one setting."""
    from codesign.sim.engine import Simulator

    accs, wrong, clipped = [], [], []
    for seed in range(trials):
        sim = Simulator(path, hw=hardware(target, settings, seed, tech))
        ev = sim.evaluate(limit=limit, progress=False)
        accs.append(ev.accuracy)
        st = ev.report.extra.get("nonideal", {})
        if target == "cam" and st:
            wrong.append(sum(v["wrong_winners"] for v in st.values()) / max(1.0, sum(v["searches"] for v in st.values())))
        if target == "crossbar" and st:
            clipped.append(sum(v["adc_clipped"] for v in st.values()) / max(1.0, sum(v["adc_conversions"] for v in st.values())))
    return {"acc_mean": float(np.mean(accs)), "acc_std": float(np.std(accs)), "trials": trials,
            "wrong_winner_rate": float(np.mean(wrong)) if wrong else 0.0,
            "adc_clipped_rate": float(np.mean(clipped)) if clipped else 0.0}


def hardware(target: str, settings: dict[str, Any], seed: int, tech: str | None):
    """HardwareConfig for one point: CAM fields, or every crossbar layer type on crossbars."""
    from dataclasses import replace

    from codesign.sim.hardware import CROSSBAR_LAYER_TYPES, CamConfig, HardwareConfig, crossbar_hw

    if target == "cam":
        extra = {"technology": tech} if tech else {}
        return HardwareConfig(cam=replace(CamConfig(**extra), **settings, noise_seed=seed))
    extra = {"technology": tech} if tech else {}
    return crossbar_hw(None, (*CROSSBAR_LAYER_TYPES, "debut_linear", "debut_conv2d"), **extra, **settings, seed=seed)


def sweep(models: dict[str, str], target: str, knobs: list[Knob], trials: int, limit: int | None,
          tech: str | None = None, progress=None) -> list[dict[str, Any]]:
    """Rows (model, knob, value, series, acc_mean, acc_std, ...) for every model, knob and value."""
    rows = []
    for label, path in models.items():
        for kn in knobs:
            for sval in (kn.series[1] if kn.series else [None]):
                for v in kn.values:
                    settings = {**kn.fixed, kn.name: v}
                    if kn.series:
                        settings[kn.series[0]] = sval
                    res = evaluate_point(path, target, settings, trials, limit, tech)
                    rows.append({"model": label, "knob": kn.name, "value": v,
                                 "series": f"{kn.series[0]}={sval}" if kn.series else "", **res})
                    if progress:
                        progress(rows[-1])
    return rows


def plot(rows: list[dict[str, Any]], knob: Knob, path: Path, title: str) -> None:
    """Accuracy (mean +- std) vs the knob, one line per model (and series)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from codesign.atomic import save_figure

    fig, ax = plt.subplots(figsize=(5.6, 3.8))
    lines: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r["knob"] == knob.name:
            lines.setdefault(r["model"] + (f", {r['series']}" if r["series"] else ""), []).append(r)
    categorical = isinstance(knob.values[0], str)
    for label, rs in lines.items():
        xs = list(range(len(rs))) if categorical else [r["value"] for r in rs]
        ax.errorbar(xs, [r["acc_mean"] for r in rs], yerr=[r["acc_std"] for r in rs], marker="o", capsize=3,
                    label=label)
    if categorical:
        ax.set_xticks(range(len(knob.values)), knob.values)
    if knob.log_x:
        ax.set_xscale("log")
    ax.set_xlabel(knob.name)
    ax.set_ylabel("test accuracy")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
