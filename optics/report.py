"""Evaluation outputs: markdown + CSV tables and PNG plots (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from codesign.atomic import save_figure, write_csv, write_text  # noqa: E402


def _fmt(v):
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def markdown_table(rows: list[dict], cols: list[str]) -> str:
    """Rows -> GitHub markdown table."""
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(_fmt(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(out)


def write_report(res: dict, outdir) -> list[Path]:
    """Write tables (evaluation.md, *.csv) and plots (*.png) into ``outdir``."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    files = []
    loss_cols = ["amp_mode", "features", "tap_loss_db", "detection", "false_alarm", "event_detection", "span_accuracy"]
    noise_cols = ["power_noise_db", "osnr_noise_db", "tap_loss_db", "detection", "false_alarm", "span_accuracy"]
    conf_cols = ["true_class", "n_samples", "alarm_rate", "span_loss_flag", "amp_event_flag"]
    md = ["## Detection and localization vs tap loss", markdown_table(res["loss"], loss_cols), "",
          "## Detection vs OPM noise (1 dB taps, constant-gain EDFAs, rx features)",
          markdown_table(res["noise"], noise_cols), "",
          "## Confusion against benign events (constant-gain EDFAs, rx features)",
          markdown_table(res["confusion"], conf_cols), ""]
    p = outdir / "evaluation.md"
    write_text(p, "\n".join(md))
    files.append(p)
    for name, cols in (("loss", loss_cols), ("noise", noise_cols), ("confusion", conf_cols)):
        files.append(write_csv(outdir / f"{name}.csv", res[name], cols, extrasaction="ignore"))
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    for mode in sorted({r["amp_mode"] for r in res["loss"]}):
        for feat in sorted({r["features"] for r in res["loss"]}):
            rows = [r for r in res["loss"] if r["amp_mode"] == mode and r["features"] == feat]
            x = [r["tap_loss_db"] for r in rows]
            ax[0].plot(x, [r["detection"] for r in rows], marker="o", label=f"{mode}/{feat}")
            ax[1].plot(x, [r["false_alarm"] for r in rows], marker="o", label=f"{mode}/{feat}")
    ax[0].set(xscale="log", xlabel="tap loss (dB)", ylabel="detection rate", ylim=(0, 1.05))
    ax[1].set(xscale="log", xlabel="tap loss (dB)", ylabel="false-alarm rate")
    ax[0].legend(fontsize=8)
    fig.tight_layout()
    files.append(save_figure(fig, outdir / "detection_vs_loss.png", dpi=100))
    fig, ax = plt.subplots(figsize=(5, 4))
    x = [r["power_noise_db"] for r in res["noise"]]
    ax.plot(x, [r["detection"] for r in res["noise"]], marker="o", label="detection")
    ax.plot(x, [r["false_alarm"] for r in res["noise"]], marker="s", label="false alarm")
    ax.plot(x, [r["span_accuracy"] for r in res["noise"]], marker="^", label="span accuracy")
    ax.set(xscale="log", xlabel="OPM power noise per reading (dB, 1 sigma)", ylabel="rate", ylim=(0, 1.05))
    ax.legend()
    fig.tight_layout()
    files.append(save_figure(fig, outdir / "detection_vs_noise.png", dpi=100))
    return files


SUMMARY_COLS = ["line", "noise", "label_matching_rx", "label_matching_rx+inline", "coarse", "span", "two_taps",
                "false_span_flags", "spread_rx_db", "spread_span_db", "tap_windows", "two_tap_windows"]
LOSS_COLS = ["line", "noise", "tap_loss_db", "label_matching_rx", "label_matching_rx+inline", "coarse", "span",
             "false_span_flags"]


def write_unsupervised_report(results: list[dict], outdir, paper: dict) -> list[Path]:
    """Tables of :func:`codesign.optics.unsup_eval.run_unsupervised` for several lines: unsupervised.md + CSVs."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    rows = {k: [r for res in results for r in res[k]] for k in ("summary", "loss", "benign")}
    benign_cols = list(rows["benign"][0]) if rows["benign"] else ["line"]
    md = ["## Unsupervised detection and localization (tap losses from the scenario's range)",
          markdown_table(rows["summary"], SUMMARY_COLS), "",
          "Paper (Song et al. 2024): " + ", ".join(f"{k} {v:.2%}" for k, v in paper.items()), "",
          "## Versus tap loss", markdown_table(rows["loss"], LOSS_COLS), "",
          "## Benign events: fraction attributed to a tap-like loss, by monitors available",
          markdown_table(rows["benign"], benign_cols), ""]
    p = outdir / "unsupervised.md"
    write_text(p, "\n".join(md))
    files = [p]
    for name, cols in (("summary", SUMMARY_COLS), ("loss", LOSS_COLS), ("benign", benign_cols)):
        files.append(write_csv(outdir / f"unsupervised_{name}.csv", rows[name], cols, extrasaction="ignore"))
    return files
