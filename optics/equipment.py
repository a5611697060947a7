"""Equipment library (GNPy-style) and OPM figures, read from the package data in ``data/optics/``.

``equipment.json`` holds typed entries -- ``Fiber``, ``Edfa``, ``Transceiver``, ``Roadm``, ``SI`` (spectral
grid) -- each named by ``type_variety``, with one default per type; ``opm.json`` holds the OPM accuracy/noise
figures and the slow line drift. Every value is ``{"value": ..., "source": ...}``; units are in the field names.
Scenarios name entries by type and may override single values (see :mod:`codesign.optics.scenario`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .errors import OpticsInputError

FIELDS = {  # entry type -> its fields (all numbers except those in TEXT_FIELDS)
    "Fiber": ("loss_db_km", "dispersion_ps_nm_km", "effective_area_um2", "n2_m2_w", "pmd_ps_sqrt_km",
              "con_in_db", "con_out_db"),
    "Edfa": ("nf_db", "p_max_dbm"),
    "Transceiver": ("modulation", "baud_rate_gbd", "roll_off", "tx_osnr_db"),
    "Roadm": ("target_pch_out_dbm", "add_drop_osnr_db"),
    "SI": ("f_min_thz", "f_max_thz", "spacing_ghz", "power_dbm"),
}
TEXT_FIELDS = ("modulation",)
OPM_SECTIONS = {
    "opm": ("abs_accuracy_db", "rel_accuracy_db", "osnr_accuracy_db", "min_power_dbm", "power_noise_db",
            "osnr_noise_db", "gsnr_noise_db", "resolution_db"),
    "drift": ("span_loss_db_per_sqrt_h", "tx_power_db_per_sqrt_h", "max_drift_db", "amp_gain_noise_db", "step_s"),
    "time_correlation": ("noise_corr_time_s", "offset_wander_db_per_sqrt_h", "offset_max_db"),
}
LABELS = {"Fiber": "fiber type", "Edfa": "amplifier", "Transceiver": "transceiver mode", "Roadm": "ROADM",
          "SI": "spectral grid"}


@dataclass(frozen=True)
class EquipmentEntry:
    """One typed entry: ``entry["loss_db_km"]`` is the value, ``entry.sources[...]`` its source."""

    kind: str
    type_variety: str
    values: dict
    sources: dict

    def __getitem__(self, key):
        return self.values[key]


@dataclass(frozen=True)
class EquipmentLibrary:
    """All entries by type and name, plus the default name per type."""

    path: str
    entries: dict
    defaults: dict

    def names(self, kind: str) -> list[str]:
        return list(self.entries[kind])

    def get(self, kind: str, name: str | None = None, src: str | None = None, field: str | None = None):
        """Entry ``name`` of ``kind`` (the default when None); an unknown name raises OpticsInputError naming
        ``src`` and ``field`` (the scenario file and field) and the known names."""
        name = self.defaults[kind] if name is None else name
        if name not in self.entries[kind]:
            raise OpticsInputError(src or self.path, field or kind,
                                   f"unknown {LABELS[kind]} {name!r}; known: {', '.join(self.names(kind))} "
                                   f"(equipment library {self.path})")
        return self.entries[kind][name]

    def default(self, kind: str) -> EquipmentEntry:
        return self.entries[kind][self.defaults[kind]]


def _data_file(name: str):
    return resources.files("codesign") / "data" / "optics" / name


def _read(name: str) -> tuple[str, dict]:
    f = _data_file(name)
    try:
        raw = json.loads(f.read_text())
    except ValueError as exc:
        raise OpticsInputError(f, "<json>", f"not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise OpticsInputError(f, "/", "expected a JSON object")
    return str(f), raw


def _value(src: str, where: str, item, text: bool = False):
    """Checked ``{"value", "source"}`` pair -> (value, source)."""
    if not isinstance(item, dict) or set(item) != {"value", "source"}:
        raise OpticsInputError(src, where, f"expected {{\"value\": ..., \"source\": ...}}, got {item!r}")
    v, s = item["value"], item["source"]
    if not isinstance(s, str) or len(s.strip()) < 5:
        raise OpticsInputError(src, f"{where}.source", f"expected a citation, got {s!r}")
    if text:
        if not isinstance(v, str):
            raise OpticsInputError(src, f"{where}.value", f"expected a string, got {v!r}")
        return v, s
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise OpticsInputError(src, f"{where}.value", f"expected a finite number, got {v!r}")
    return float(v), s


def _entry(src: str, kind: str, i: int, e) -> EquipmentEntry:
    if not isinstance(e, dict) or not isinstance(e.get("type_variety"), str):
        raise OpticsInputError(src, f"{kind}[{i}].type_variety", "missing (every entry is named by type_variety)")
    name = e["type_variety"]
    extra = sorted(set(e) - {"type_variety", *FIELDS[kind]})
    if extra:
        raise OpticsInputError(src, f"{kind}[{name}].{extra[0]}", f"unknown field; expected {FIELDS[kind]}")
    vals, srcs = {}, {}
    for k in FIELDS[kind]:
        if k not in e:
            raise OpticsInputError(src, f"{kind}[{name}].{k}", "missing")
        vals[k], srcs[k] = _value(src, f"{kind}[{name}].{k}", e[k], k in TEXT_FIELDS)
    return EquipmentEntry(kind, name, vals, srcs)


@lru_cache(maxsize=1)
def equipment() -> EquipmentLibrary:
    """The equipment library ``data/optics/equipment.json`` (read once)."""
    src, raw = _read("equipment.json")
    entries = {}
    for kind in FIELDS:
        items = raw.get(kind)
        if not isinstance(items, list) or not items:
            raise OpticsInputError(src, kind, "missing (expected a list of entries)")
        entries[kind] = {}
        for i, e in enumerate(items):
            ent = _entry(src, kind, i, e)
            if ent.type_variety in entries[kind]:
                raise OpticsInputError(src, f"{kind}[{ent.type_variety}]", "duplicate type_variety")
            entries[kind][ent.type_variety] = ent
    defaults = raw.get("defaults")
    if not isinstance(defaults, dict):
        raise OpticsInputError(src, "defaults", "missing (expected the default type_variety per type)")
    for kind in FIELDS:
        if defaults.get(kind) not in entries[kind]:
            raise OpticsInputError(src, f"defaults.{kind}", f"{defaults.get(kind)!r} is not one of "
                                                            f"{list(entries[kind])}")
    return EquipmentLibrary(src, entries, {k: defaults[k] for k in FIELDS})


@lru_cache(maxsize=1)
def _opm_figures() -> dict:
    src, raw = _read("opm.json")
    out = {}
    for sec, keys in OPM_SECTIONS.items():
        d = raw.get(sec)
        if not isinstance(d, dict):
            raise OpticsInputError(src, sec, "missing section")
        extra = sorted(set(d) - set(keys))
        if extra:
            raise OpticsInputError(src, f"{sec}.{extra[0]}", f"unknown field; expected {keys}")
        for k in keys:
            if k not in d:
                raise OpticsInputError(src, f"{sec}.{k}", "missing")
        out[sec] = {k: _value(src, f"{sec}.{k}", d[k])[0] for k in keys}
    return out


def opm_figures() -> dict:
    """OPM accuracy/noise defaults from ``data/optics/opm.json`` (field -> value; a fresh dict)."""
    return dict(_opm_figures()["opm"])


def drift_figures() -> dict:
    """Slow line-drift defaults from ``data/optics/opm.json`` (field -> value; a fresh dict)."""
    return dict(_opm_figures()["drift"])


def time_correlation_figures() -> dict:
    """Defaults of the 'ar1' OPM noise model from ``data/optics/opm.json`` (field -> value; a fresh dict)."""
    return dict(_opm_figures()["time_correlation"])
