"""Tables (markdown, console) and PNG plots of an ``opm_tap`` run summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from codesign.atomic import save_figure


def _f(v: Any, nd: int = 3) -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.{nd}f}"


def summary_markdown(s: dict[str, Any]) -> str:
    out = [f"Scenario `{s['scenario']}` ({s['seconds']} s).", ""]
    for ln in s["lines"]:
        out += [f"### {ln['line']} ({ln['n_monitors']} monitors x {ln['n_channels']} channels, "
                f"{ln['sample_period_s']:g} s sampling)", "",
                "Held-out mixed-event day:", "",
                "| detector | detection | false alarms | taps found | window accuracy |", "|---|---|---|---|---|"]
        for r in ln["mixed"]:
            out.append(f"| {r['detector']} | {_f(r['detection'])} | {_f(r['false_alarm'])} | "
                       f"{_f(r['event_detection'], 2)} | {_f(r.get('accuracy'))} |")
        names = [k for k in ln["confusion"][0] if k not in ("detector", "true_class", "n_samples")] if ln["confusion"] else []
        out += ["", "Per-class confusion (rows: true class, fraction predicted as each class; TapDetector: alarm rate):",
                "", "| detector | true class | n | " + " | ".join(names) + " |", "|---" * (len(names) + 3) + "|"]
        for r in ln["confusion"]:
            out.append(f"| {r['detector']} | {r['true_class']} | {r['n_samples']} | "
                       + " | ".join(_f(r[n], 2) for n in names) + " |")
        for r in ln["tapdetector_confusion"]:
            out.append(f"| TapDetector rx | {r['true_class']} | {r['n_samples']} | alarm {_f(r['alarm_rate'], 2)} |"
                       + " |" * (len(names) - 1))
        losses = sorted({r["tap_loss_db"] for r in ln["tap_size"]})
        dets = list(dict.fromkeys(r["detector"] for r in ln["tap_size"]))
        out += ["", "Tap-size curve (detection / false alarms per held-out tap day):", "",
                "| detector | " + " | ".join(f"{x:g} dB" for x in losses) + " |", "|---" * (len(losses) + 1) + "|"]
        for d in dets:
            cells = {r["tap_loss_db"]: r for r in ln["tap_size"] if r["detector"] == d}
            out.append(f"| {d} | " + " | ".join(f"{_f(cells[x]['detection'], 2)} / {_f(cells[x]['false_alarm'], 3)}"
                                                  for x in losses) + " |")
        out += ["", "On the hardware (one decision per line per sampling period covers all channels):", "",
                "| variant | target | runs on | golden match | held-out match vs PyTorch | energy / decision (nJ) "
                "| of which classifier (nJ) | latency / decision (µs) | node power (nW) |", "|---" * 9 + "|"]
        for r in ln["hardware"]:
            out.append(f"| {r['variant']} | {r['target']} | {r['runs_on']} | {100 * r['golden_match']:.0f}% | "
                       f"{100 * r['test_match_vs_torch']:.1f}% ({r['n_test']}) | {r['energy_pj'] / 1e3:.3f} | "
                       f"{r['classifier_energy_pj'] / 1e3:.3f} | "
                       f"{r['latency_ns'] / 1e3:.3f} | {r['node_power_nw']:.2f} |")
        out.append("")
    return "\n".join(out) + "\n"


def print_summary(s: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    for ln in s["lines"]:
        t = Table(title=f"codesign run — {s['scenario']}: {ln['line']} ({s['seconds']} s)")
        for col in ("detector / target", "detection", "false alarms", "taps found", "golden match",
                    "energy/decision (nJ)", "latency (µs)", "node power (nW)"):
            t.add_column(col, justify="left" if col.startswith("detector") else "right")
        for r in ln["mixed"]:
            hw = [h for h in ln["hardware"] if h["variant"] == r["detector"]] or [None]
            for h in hw:
                name = r["detector"] + (f" on {h['target']}" if h else "")
                t.add_row(name, _f(r["detection"]), _f(r["false_alarm"]), _f(r["event_detection"], 2),
                          "" if h is None else f"{100 * h['golden_match']:.0f}%",
                          "" if h is None else f"{h['energy_pj'] / 1e3:.3f}",
                          "" if h is None else f"{h['latency_ns'] / 1e3:.3f}",
                          "" if h is None else f"{h['node_power_nw']:.2f}")
        console.print(t)


def plots(s: dict[str, Any], outdir: Path) -> list[Path]:
    """Per line: tap-size curve, confusion matrices, energy per decision by target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for ln in s["lines"]:
        tag = ln["line"]
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
        for d in dict.fromkeys(r["detector"] for r in ln["tap_size"]):
            rows = sorted((r for r in ln["tap_size"] if r["detector"] == d), key=lambda r: r["tap_loss_db"])
            x = [r["tap_loss_db"] for r in rows]
            a1.plot(x, [r["detection"] for r in rows], marker="o", label=d)
            a2.plot(x, [r["false_alarm"] for r in rows], marker="o", label=d)
        for a, yl in ((a1, "detection rate"), (a2, "false-alarm rate")):
            a.set_xscale("log")
            a.set_xlabel("tap loss (dB)")
            a.set_ylabel(yl)
            a.grid(alpha=0.3)
        a1.legend(fontsize=7)
        fig.suptitle(f"{tag}: held-out tap days")
        fig.tight_layout()
        paths.append(save_figure(fig, outdir / f"{tag}_tap_size.png", dpi=110))
        variants = list(dict.fromkeys(r["detector"] for r in ln["confusion"]))
        if variants:
            fig, axes = plt.subplots(1, len(variants), figsize=(5 * len(variants), 4.2), squeeze=False)
            for ax, v in zip(axes[0], variants):
                rows = [r for r in ln["confusion"] if r["detector"] == v]
                names = [k for k in rows[0] if k not in ("detector", "true_class", "n_samples")]
                m = np.array([[r[n] for n in names] for r in rows])
                ax.imshow(m, vmin=0, vmax=1, cmap="Blues")
                ax.set_xticks(range(len(names)), names, rotation=60, fontsize=7)
                ax.set_yticks(range(len(rows)), [r["true_class"] for r in rows], fontsize=7)
                for i in range(m.shape[0]):
                    for j in range(m.shape[1]):
                        if m[i, j] >= 0.01:
                            ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=6)
                ax.set_title(f"{v}: true (rows) vs predicted")
            fig.tight_layout()
            paths.append(save_figure(fig, outdir / f"{tag}_confusion.png", dpi=110))
        hw = ln["hardware"]
        if hw:
            fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
            names = [f"{r['variant']}\n{r['target']}" for r in hw]
            a1.bar(names, [r["energy_pj"] / 1e3 for r in hw], color="tab:blue")
            a1.set_ylabel("energy per decision (nJ)")
            a2.bar(names, [r["node_power_nw"] for r in hw], color="tab:orange")
            a2.set_ylabel(f"node power (nW), one decision / {ln['sample_period_s']:g} s")
            fig.suptitle(f"{tag}: cost of the detector on the simulated hardware")
            fig.tight_layout()
            paths.append(save_figure(fig, outdir / f"{tag}_hardware.png", dpi=110))
    return [Path(p) for p in paths]
