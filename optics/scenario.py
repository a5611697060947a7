"""Scenario files (TOML): line, OPM, drift and events. Parsed with :mod:`tomllib`.

The line names its equipment by type from the library (``fiber``, ``amplifier``, ``transceiver``; library
defaults when absent) and may override single values; ``[opm]`` and ``[drift]`` default to
``data/optics/opm.json``. Every field is checked; a bad value raises :class:`OpticsInputError` naming the file
and field. Fields and units: docs/optics.md ("Equipment library and scenario files").
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .elements import Edfa, Fiber, Transmitter
from .equipment import drift_figures, equipment, opm_figures, time_correlation_figures
from .errors import OpticsFileNotFound, OpticsInputError
from .line import Line
from .opm_noise import NOISE_MODELS
from .receiver import FORMATS, Receiver
from .schema import check_scenario
from .spectrum import ChannelPlan
from .topology import load_gnpy_line

EVENT_TYPES = ("tap", "bend", "connector", "gain_change", "add_drop", "transient")
LABEL_CODES = {"normal": 0, **{t: i + 1 for i, t in enumerate(EVENT_TYPES)}}


@dataclass
class Scenario:
    """Parsed scenario; ``line`` is built, the rest are plain dicts with defaults filled in."""

    line: Line
    time: dict
    opm: dict
    drift: dict
    events: list
    random_events: dict
    source: str = "<scenario>"
    text: str = ""
    raw: dict = field(default_factory=dict)


def _get(d, key, src, path, default=None, kind=float, lo=None, hi=None, required=False):
    if key not in d:
        if required:
            raise OpticsInputError(src, f"{path}.{key}", "missing")
        return default
    v = d[key]
    try:
        v = kind(v)
    except (TypeError, ValueError):
        raise OpticsInputError(src, f"{path}.{key}", f"expected {kind.__name__}, got {v!r}") from None
    if lo is not None and v < lo:
        raise OpticsInputError(src, f"{path}.{key}", f"must be >= {lo}, got {v}")
    if hi is not None and v > hi:
        raise OpticsInputError(src, f"{path}.{key}", f"must be <= {hi}, got {v}")
    return v


def _equipment(d: dict, key: str, kind: str, src: str):
    """The library entry named by ``line.<key>`` (the library default when absent)."""
    name = d.get(key)
    if name is not None and not isinstance(name, str):
        raise OpticsInputError(src, f"line.{key}", f"expected a type name (string), got {name!r}")
    return equipment().get(kind, name, src, f"line.{key}")


def _build_line(d: dict, src: str, base: Path) -> Line:
    if "topology" in d:
        topo = base / d["topology"]
        eq = base / d["equipment"] if "equipment" in d else None
        return load_gnpy_line(topo, eq)
    fib = _equipment(d, "fiber", "Fiber", src)
    amp = _equipment(d, "amplifier", "Edfa", src)
    trx = _equipment(d, "transceiver", "Transceiver", src)
    grid = equipment().default("SI")
    n = _get(d, "n_spans", src, "line", required=True, kind=int, lo=1, hi=200)
    lengths = d.get("span_length_km", 80.0)
    lengths = lengths if isinstance(lengths, list) else [lengths] * n
    if len(lengths) != n:
        raise OpticsInputError(src, "line.span_length_km", f"expected {n} values, got {len(lengths)}")
    for i, x in enumerate(lengths):
        if not isinstance(x, (int, float)) or x <= 0:
            raise OpticsInputError(src, f"line.span_length_km[{i}]", f"must be a positive number, got {x!r}")
    mode = d.get("amp_mode", "gain")
    if mode not in ("gain", "power"):
        raise OpticsInputError(src, "line.amp_mode", f"expected 'gain' or 'power', got {mode!r}")
    mod = d.get("modulation", trx["modulation"])
    if mod not in FORMATS:
        field_ = "line.modulation" if "modulation" in d else "line.transceiver"
        raise OpticsInputError(src, field_, f"modulation expected one of {FORMATS}, got {mod!r}")
    g = lambda k, df, **kw: _get(d, k, src, "line", df, **kw)  # noqa: E731
    nch = g("n_channels", 40, kind=int, lo=1, hi=200)
    spacing = g("spacing_ghz", grid["spacing_ghz"], lo=1.0) * 1e9
    f0 = g("f_min_thz", grid["f_min_thz"], lo=150, hi=250) * 1e12
    power = g("launch_power_dbm", grid["power_dbm"], lo=-30, hi=20)
    plan = ChannelPlan.grid(f0, f0 + spacing * (nch - 1), spacing,
                            baud_rate_hz=g("baud_gbd", trx["baud_rate_gbd"], lo=1) * 1e9, roll_off=trx["roll_off"],
                            power_dbm=power, tx_osnr_db=g("tx_osnr_db", trx["tx_osnr_db"]))
    fiber_kw = dict(loss_db_km=g("loss_db_km", fib["loss_db_km"], lo=0),
                    con_in_db=g("con_in_db", fib["con_in_db"], lo=0),
                    con_out_db=g("con_out_db", fib["con_out_db"], lo=0),
                    dispersion_ps_nm_km=g("dispersion_ps_nm_km", fib["dispersion_ps_nm_km"]),
                    effective_area_um2=g("effective_area_um2", fib["effective_area_um2"], lo=1),
                    n2_m2_w=fib["n2_m2_w"], pmd_ps_sqrt_km=g("pmd_ps_sqrt_km", fib["pmd_ps_sqrt_km"], lo=0))
    amp_kw = dict(nf_db=g("amp_nf_db", amp["nf_db"], lo=3.0), p_max_dbm=g("amp_p_max_dbm", amp["p_max_dbm"]),
                  mode=mode, target_pch_out_dbm=power, tilt_db=g("amp_tilt_db", 0.0))
    elems = []
    for i, length in enumerate(lengths):
        f = Fiber(f"span{i}", float(length), **fiber_kw)
        elems += [f, Edfa(f"amp{i}", gain_db=f.loss_db, **amp_kw)]
    return Line(Transmitter(plan), elems, Receiver(modulation=mod), name=d.get("name", "line"))


def _event(e: dict, i: int, src: str, n_spans: int, duration: float) -> dict:
    path = f"events[{i}]"
    t = e.get("type")
    if t not in EVENT_TYPES:
        raise OpticsInputError(src, f"{path}.type", f"unknown event {t!r}; expected one of {EVENT_TYPES}")
    out = {"type": t, "time_s": _get(e, "time_s", src, path, required=True, lo=0, hi=duration),
           "duration_s": _get(e, "duration_s", src, path, float("inf"), lo=0),
           "span": _get(e, "span", src, path, 0, kind=int, lo=0, hi=n_spans - 1),
           "loss_db": _get(e, "loss_db", src, path, 1.0, lo=-10, hi=30),
           "position_km": _get(e, "position_km", src, path, None, lo=0)}
    if "splitter_ratio" in e:
        r = _get(e, "splitter_ratio", src, path, lo=0.0, hi=0.99)
        out["loss_db"] = -10 * math.log10(1 - r) + _get(e, "excess_loss_db", src, path, 0.0, lo=0)
    if t in ("tap", "bend", "connector") and not 0 < out["loss_db"] <= 30:
        raise OpticsInputError(src, f"{path}.loss_db", f"must be in (0, 30] dB, got {out['loss_db']}")
    return out


def _noise_model(o: dict, src: str, averaging: float) -> dict:
    """``[opm]`` noise model: 'iid' (default) or 'ar1' with the time_correlation figures of opm.json."""
    model = o.get("noise_model", "iid")
    if model not in NOISE_MODELS:
        raise OpticsInputError(src, "opm.noise_model", f"expected one of {NOISE_MODELS}, got {model!r}")
    if model == "ar1" and averaging > 1:
        raise OpticsInputError(src, "opm.averaging", "averaging divides independent reading noise; with "
                               "noise_model = 'ar1' the readings are correlated, set averaging = 1")
    lib = time_correlation_figures()
    out = {k: _get(o, k, src, "opm", lib[k], lo=0) for k in lib}
    if out["noise_corr_time_s"] <= 0:
        raise OpticsInputError(src, "opm.noise_corr_time_s", f"must be > 0 s, got {out['noise_corr_time_s']}")
    return {"noise_model": model, **out}


def load_scenario(path_or_dict, source: str | None = None) -> Scenario:
    """Parse a scenario TOML file (or an already-loaded dict)."""
    if isinstance(path_or_dict, Scenario):
        return path_or_dict
    if isinstance(path_or_dict, dict):
        raw, src, text, base = path_or_dict, source or "<dict>", "", Path(".")
    else:
        p = Path(path_or_dict)
        if not p.exists():
            raise OpticsFileNotFound(f"{p}: scenario file not found")
        try:
            text = p.read_text(encoding="utf-8")
            raw = tomllib.loads(text)
        except UnicodeDecodeError as exc:
            raise OpticsInputError(p, "<file>", f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except IsADirectoryError:
            raise OpticsInputError(p, "<file>", "is a folder; expected a scenario TOML file") from None
        except tomllib.TOMLDecodeError as exc:
            raise OpticsInputError(p, "<toml>", f"not valid TOML ({exc})") from None
        src, base = str(p), p.parent
    for sec in ("line", "time"):
        if sec not in raw:
            raise OpticsInputError(src, sec, "missing section")
    check_scenario(raw, src, 10.0, drift_figures()["step_s"])
    line = _build_line(raw["line"], src, base)
    tm = raw["time"]
    time = {"duration_s": _get(tm, "duration_s", src, "time", required=True, lo=1),
            "sample_period_s": _get(tm, "sample_period_s", src, "time", 10.0, lo=1e-3)}
    o, lib = raw.get("opm", {}), opm_figures()
    opm = {k: _get(o, k, src, "opm", lib[k], lo=0) for k in
           ("power_noise_db", "osnr_noise_db", "gsnr_noise_db", "abs_accuracy_db", "rel_accuracy_db",
            "osnr_accuracy_db", "resolution_db")}
    opm["averaging"] = _get(o, "averaging", src, "opm", 1.0, lo=0)
    opm["min_power_dbm"] = _get(o, "min_power_dbm", src, "opm", lib["min_power_dbm"])
    opm["calibration_seed"] = _get(o, "calibration_seed", src, "opm", 0, kind=int, lo=0)
    opm.update(_noise_model(o, src, opm["averaging"]))
    dr = raw.get("drift", {})
    drift = {k: _get(dr, k, src, "drift", dv, lo=0) for k, dv in drift_figures().items()}
    n_spans = len(line.spans)
    ev = [_event(e, i, src, n_spans, time["duration_s"]) for i, e in enumerate(raw.get("events", []))]
    re_ = raw.get("random_events", {})
    rnd = {f"{t}_count": _get(re_, f"{t}_count", src, "random_events", 0, kind=int, lo=0) for t in EVENT_TYPES}
    rnd["tap_loss_db"] = re_.get("tap_loss_db", [0.1, 3.0])
    rnd["event_duration_s"] = _get(re_, "event_duration_s", src, "random_events", 600.0, lo=1)
    return Scenario(line, time, opm, drift, ev, rnd, src, text, raw)
