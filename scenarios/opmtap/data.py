"""Simulated OPM days of one line for the tap-classifier loop, written as OPM data set files (HDF5).

Every day is simulated once and cached under the runner's cache (``opm/<hash>.h5``, keyed by the line
scenario text, the day's settings and the optics code); the run's output folder gets a hard link (a copy
across file systems) named after the day.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from codesign.atomic import replacing
from codesign.optics import load_scenario as load_optics_scenario, save_dataset, simulate_dataset
from codesign.optics.evaluate import scenario_variant
from codesign.scenarios.opmtap.config import OpmTapConfig
from codesign.scenarios.cache import cache_root, code_hash
from codesign.scenarios.shipped import resolve_scenario

#: code whose change invalidates cached days
OPTICS_SOURCES = tuple(f"optics/{n}" for n in (
    "dataset.py", "elements.py", "equipment.py", "fastline.py", "fastline_kernel.py", "line.py", "monitor.py",
    "nli.py", "receiver.py", "scenario.py", "simulate.py", "spectrum.py", "state.py", "topology.py", "design.py",
    "gnpy_import.py")) + (
    "data/optics/equipment.json", "data/optics/opm.json")
BENIGN = ("bend", "connector", "gain_change", "add_drop", "transient")


@dataclass
class LineDays:
    """The data set files of one line: commissioning (normal), training, held-out mixed and tap-size days."""

    name: str
    scenario: Path
    commissioning: Path
    train: list[Path]
    mixed: Path
    taps: dict[float, Path] = field(default_factory=dict)
    sample_period_s: float = 10.0
    n_channels: int = 0
    n_monitors: int = 0


def line_scenario(name: str, base: Path) -> Path:
    """An optics scenario file: a path (relative to the opm_tap scenario file) or a shipped name."""
    p = base / name
    return p if p.is_file() else resolve_scenario(name)


def _day(raw: dict, hours: float, counts: dict, tap_loss, duration_s: float) -> dict:
    r = scenario_variant(raw, hours * 3600.0, counts, tap_loss)
    r["random_events"]["event_duration_s"] = duration_s
    return r


def _simulate(raw: dict, src: str, seed: int, text: str, dest: Path, log) -> Path:
    blob = json.dumps({"line": text, "day": raw, "seed": seed, "code": code_hash(OPTICS_SOURCES)},
                      sort_keys=True, default=str)
    cached = cache_root() / "opm" / f"{hashlib.sha256(blob.encode()).hexdigest()[:20]}.h5"
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        save_dataset(simulate_dataset(load_optics_scenario(copy.deepcopy(raw), src), seed=seed), cached)
        log(f"  simulated {dest.name} (seed {seed})")
    with replacing(dest) as tmp:
        if tmp.exists():
            tmp.unlink()
        try:
            os.link(cached, tmp)
        except OSError:
            shutil.copyfile(cached, tmp)
    return dest


def simulate_line(cfg: OpmTapConfig, name: str, outdir: Path, log=print) -> LineDays:
    """Simulate (or take from the cache) every day of line ``name``; files under ``outdir/data``."""
    path = line_scenario(name, cfg.base)
    sc = load_optics_scenario(path)
    src, raw, text = sc.source, sc.raw, path.read_text()
    n = cfg.events_per_day
    mixed = {"tap_count": 2 * n, **{f"{t}_count": n for t in BENIGN}}
    d = outdir / "data"
    sim = lambda r, seed, fname: _simulate(r, src, seed, text, d / fname, log)  # noqa: E731
    days = LineDays(
        name=sc.line.name, scenario=path,
        commissioning=sim(_day(raw, cfg.commissioning_hours, {}, None, cfg.event_duration_s), cfg.seed,
                          "commissioning.h5"),
        train=[sim(_day(raw, 24.0, mixed, None, cfg.event_duration_s), cfg.seed + 1 + i, f"train{i}.h5")
               for i in range(cfg.train_days)],
        mixed=sim(_day(raw, 24.0, mixed, None, cfg.event_duration_s), cfg.seed + 50, "test_mixed.h5"),
        sample_period_s=float(sc.time["sample_period_s"]), n_channels=sc.line.plan.n_channels,
        n_monitors=len(sc.line.monitor_names))
    for i, loss in enumerate(cfg.tap_losses_db):
        r = _day(raw, cfg.tap_day_hours, {"tap_count": cfg.taps_per_day}, loss, cfg.event_duration_s)
        days.taps[loss] = sim(r, cfg.seed + 100 + i, f"test_tap_{loss:g}dB.h5")
    return days
