"""Equipment library (GNPy-style) and OPM figures, read from the package data in ``data/optics/``.

``equipment.json`` holds typed entries -- ``Fiber``, ``Edfa``, ``Transceiver``, ``Roadm``, ``SI`` (spectral
grid) -- each named by ``type_variety``, with one default per type; ``opm.json`` holds the OPM accuracy/noise
figures and the slow line drift. Every value is ``{"value": ..., "source": ...}``; units are in the field names.
Both files are validated by pydantic schemas (:data:`EquipmentFile`, :data:`OpmFile`) built from
:data:`FIELDS` and :data:`OPM_SECTIONS`.
Scenarios name entries by type and may override single values (see :mod:`codesign.optics.scenario`).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Sourced(_Strict):
    """A number with the citation it comes from."""

    value: float
    source: str = Field(min_length=5, description="citation (paper or data sheet, year, table)")


class SourcedText(Sourced):
    value: str  # type: ignore[assignment]


def _entry_model(kind: str) -> type[BaseModel]:
    """Schema of one ``kind`` entry: ``type_variety`` plus every field of :data:`FIELDS` as a sourced value."""
    fields: dict = {"type_variety": (str, Field(min_length=1))}
    for name in FIELDS[kind]:
        fields[name] = (SourcedText if name in TEXT_FIELDS else Sourced, ...)
    return create_model(f"{kind}Entry", __base__=_Strict, **fields)


#: the schema of equipment.json: one list of entries per type, the default name per type
EquipmentFile = create_model(
    "EquipmentFile", __base__=_Strict, description=(str, ""),
    defaults=(create_model("Defaults", __base__=_Strict, **{k: (str, ...) for k in FIELDS}), ...),
    **{kind: (list[_entry_model(kind)], Field(min_length=1)) for kind in FIELDS})  # type: ignore[valid-type]
#: the schema of opm.json: one table of sourced values per section of :data:`OPM_SECTIONS`
OpmFile = create_model(
    "OpmFile", __base__=_Strict, description=(str, ""),
    **{sec: (create_model(f"{sec}_figures", __base__=_Strict, **{k: (Sourced, ...) for k in keys}), ...)
       for sec, keys in OPM_SECTIONS.items()})


def _validated(model: type[BaseModel], src: str, raw: dict) -> BaseModel:
    """``raw`` validated by ``model``; the first error as one OpticsInputError naming the field
    (list entries by their ``type_variety``)."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    parts: list[str] = []
    node = raw
    for part in err["loc"]:
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            node = node[part]
            name = node.get("type_variety") if isinstance(node, dict) else None
            parts[-1] += f"[{name if isinstance(name, str) else part}]"
            continue
        node = node.get(part) if isinstance(node, dict) else None
        parts.append(str(part))
    kind = err["type"]
    problem = {"missing": "missing", "extra_forbidden": "unknown field"}.get(kind)
    if kind == "extra_forbidden":
        head = parts[0].split("[")[0] if parts else ""
        known = list(FIELDS.get(head) or OPM_SECTIONS.get(head) or ())
        close = difflib.get_close_matches(parts[-1], known, n=1)
        problem += (f" (did you mean {close[0]!r}?)" if close else "") + (f"; expected {known}" if known else "")
    if problem is None:
        problem = f"{err.get('input')!r}: {err['msg'][0].lower()}{err['msg'][1:]}"
    raise OpticsInputError(src, ".".join(parts) or "/", problem)


@lru_cache(maxsize=1)
def equipment() -> EquipmentLibrary:
    """The equipment library ``data/optics/equipment.json`` (read once, validated by :data:`EquipmentFile`)."""
    src, raw = _read("equipment.json")
    lib = _validated(EquipmentFile, src, raw)
    entries: dict = {}
    for kind in FIELDS:
        entries[kind] = {}
        for e in getattr(lib, kind):
            if e.type_variety in entries[kind]:
                raise OpticsInputError(src, f"{kind}[{e.type_variety}]", "duplicate type_variety")
            vals = {k: getattr(e, k).value for k in FIELDS[kind]}
            srcs = {k: getattr(e, k).source for k in FIELDS[kind]}
            entries[kind][e.type_variety] = EquipmentEntry(kind, e.type_variety, vals, srcs)
    for kind in FIELDS:
        if getattr(lib.defaults, kind) not in entries[kind]:
            raise OpticsInputError(src, f"defaults.{kind}", f"{getattr(lib.defaults, kind)!r} is not one of "
                                                            f"{list(entries[kind])}")
    return EquipmentLibrary(src, entries, {k: getattr(lib.defaults, k) for k in FIELDS})


@lru_cache(maxsize=1)
def _opm_figures() -> dict:
    src, raw = _read("opm.json")
    figures = _validated(OpmFile, src, raw)
    return {sec: {k: getattr(getattr(figures, sec), k).value for k in keys} for sec, keys in OPM_SECTIONS.items()}


def opm_figures() -> dict:
    """OPM accuracy/noise defaults from ``data/optics/opm.json`` (field -> value; a fresh dict)."""
    return dict(_opm_figures()["opm"])


def drift_figures() -> dict:
    """Slow line-drift defaults from ``data/optics/opm.json`` (field -> value; a fresh dict)."""
    return dict(_opm_figures()["drift"])


def time_correlation_figures() -> dict:
    """Defaults of the 'ar1' OPM noise model from ``data/optics/opm.json`` (field -> value; a fresh dict)."""
    return dict(_opm_figures()["time_correlation"])
