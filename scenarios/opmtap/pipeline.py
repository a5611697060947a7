"""``codesign run opm-tap-cam``: simulate lines -> OPM data sets -> train (cached) -> compare -> export ->
simulate on the hardware -> report (summary.json, summary.md, PNG plots in the output folder).

Trained nets are cached under the runner's cache (``opm_models/<variant>-<hash>.pt``, keyed by the line
scenario text, the [optics] settings and the code that simulates, reads and trains).
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from codesign.models.opm.detector import DetectorShape, train_detector
from codesign.models.opm.reader import read_opm
from codesign.models.opm.windows import Baseline, check_split, day_windows, n_features
from codesign.scenarios.opmtap.compare import compare_line
from codesign.scenarios.opmtap.data import OPTICS_SOURCES, LineDays, simulate_line
from codesign.scenarios.opmtap.hardware import run_hardware
from codesign.scenarios.opmtap.report import plots, summary_markdown
from codesign.scenarios.cache import cache_root, code_hash
from codesign.scenarios.scenario import Scenario
from codesign.atomic import replacing, write_json, write_text

MODEL_SOURCES = ("models/opm/reader.py", "models/opm/windows.py", "models/opm/detector.py",
                 "models/pecan/layers.py", "models/train.py")


def _train(cfg, days: LineDays, read, log, progress: bool) -> tuple[dict, dict]:
    """Trained nets per variant (from the cache when present) and their training metrics."""
    blob = json.dumps({"cfg": cfg.key_dict(), "line": days.scenario.read_text(),
                       "code": code_hash(OPTICS_SOURCES + MODEL_SOURCES)}, sort_keys=True, default=str)
    key = hashlib.sha256(blob.encode()).hexdigest()[:16]
    models, info = {}, {}
    shape = DetectorShape(n_features(days.n_monitors), days.n_channels, cfg.window,
                          num_prototypes=cfg.num_prototypes)
    data = None
    for variant in cfg.variants:
        path = cache_root() / "opm_models" / f"{variant}-{key}.pt"
        if path.exists():
            saved = torch.load(path, weights_only=False)
            models[variant], info[variant] = saved["model"], saved["metrics"]
            log(f"  [{variant}] reusing cached model {path}")
            continue
        if data is None:
            base = Baseline.fit(read(days.commissioning))
            train = [read(p) for p in days.train]
            test = read(days.mixed)
            check_split(train + [read(days.commissioning)], [test, *(read(p) for p in days.taps.values())])
            ws = [day_windows(d, base, cfg.window, cfg.train_stride) for d in train]
            val = day_windows(test, base, cfg.window, 4)
            data = (np.concatenate([w.x for w in ws]), np.concatenate([w.y for w in ws]), val.x, val.y)
        model, met = train_detector(variant, shape, *data, epochs=cfg.epochs, seed=cfg.seed,
                                    progress=progress)
        met = {k: v for k, v in met.items() if isinstance(v, (int, float, str))}
        with replacing(path, unique=True) as tmp:
            torch.save({"model": model, "metrics": met}, tmp)
        models[variant], info[variant] = model, met
        log(f"  [{variant}] trained in {met['train_time_s']:.1f} s, held-out window accuracy "
            f"{100 * met['test_accuracy']:.1f}%")
    return models, info


def run_opm_tap(scn: Scenario, *, progress: bool = True, out: Path | None = None, log=print) -> dict[str, Any]:
    """The whole loop for every line of ``scn.optics``; writes and returns the summary."""
    cfg = scn.optics
    outdir = Path(out or scn.output)
    outdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    cache: dict[Path, Any] = {}

    def read(p: Path):
        if p not in cache:
            cache[p] = read_opm(p)
        return cache[p]

    lines = []
    for name in cfg.lines:
        log(f"[{name}] simulating OPM days")
        lo = outdir / name
        days = simulate_line(cfg, name, lo, log)
        models, train_info = _train(cfg, days, read, log, progress)
        log(f"[{name}] comparing on held-out days")
        comp = compare_line(days, models, read, cfg.window, log)
        base = Baseline.fit(read(days.commissioning))
        log(f"[{name}] exporting and simulating on the hardware")
        hw_rows = run_hardware(models, read(days.mixed), base, cfg.window, cfg.golden_size, cfg.hardware_windows,
                               scn.hardware, days.sample_period_s, days.n_channels, lo, cfg.seed, log)
        lines.append({"line": days.name, "scenario": str(days.scenario), "n_channels": days.n_channels,
                      "n_monitors": days.n_monitors, "sample_period_s": days.sample_period_s,
                      "data_files": sorted(str(p) for p in (lo / "data").glob("*.h5")),
                      "training": train_info, **comp, "hardware": hw_rows})
        cache.clear()
    summary = {"kind": "opm_tap", "scenario": scn.name, "hardware_config": scn.hardware.to_dict(),
               "optics": cfg.key_dict(), "lines": lines, "seconds": round(time.perf_counter() - t0, 1)}
    summary["plots"] = [str(p) for p in plots(summary, outdir)]
    write_json(outdir / "summary.json", summary, default=str)
    write_text(outdir / "summary.md", summary_markdown(summary))
    return summary
