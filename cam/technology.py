"""Technology files: per-action energy/latency/area tables, every number with its source.

A file ``data/tech/<name>.json`` looks like::

    {"name": "fefet_mcam", "kind": "cam", "description": "...",
     "params": {"search_energy_pj": {"value": 1.84, "unit": "pJ",
                                      "source": "CAMASim, arXiv 2403.03442, 2024, cost table"}}}

``kind`` is one of :data:`REQUIRED` (cam, sram, dram, digital, crossbar); each kind lists the parameters
a file must define, and every file states its ``node_nm`` and supply ``vdd_v`` (:data:`COMMON`). A
parameter may carry ``"scaling"`` (one of :data:`SCALINGS`) to override how :mod:`codesign.cam.scaling`
moves it to another node (default: by its unit). A file may name ``"base": "<other file>"``: it then starts from that file's
parameters (same kind required) and its own ``params`` override or add entries, each still with its
source. Loading validates everything and raises :class:`TechnologyError` naming the file and the field.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from codesign.errors import CodesignError

#: default folder of technology files (repo ``data/tech``); override with $CODESIGN_TECH_DIR.
TECH_DIR = Path(__file__).resolve().parent.parent / "data" / "tech"

#: parameters every technology file defines: its process node and supply voltage
COMMON = ("node_nm", "vdd_v")
#: values of a parameter's optional "scaling" field
SCALINGS = ("none", "energy", "delay", "area")

#: parameters every file of a kind must define (more are allowed).
REQUIRED: dict[str, tuple[str, ...]] = {
    "cam": (
        "bits_per_cell", "ref_rows", "ref_cols", "search_energy_pj", "search_latency_ns",
        "peripheral_energy_pj", "peripheral_latency_ns", "interconnect_energy_pj", "interconnect_latency_ns",
        "write_energy_pj", "write_latency_ns", "cell_area_um2", "array_periphery_area_frac",
    ),
    # capacity tables read_energy_pj_<N>kib, access_latency_ns_<N>kib, area_mm2_<N>kib (cam.memory)
    "sram": ("word_bits", "write_read_energy_ratio"),
    "dram": ("word_bits", "access_energy_pj_low", "access_energy_pj_high", "bandwidth_gb_s"),
    "digital": (
        "int8_mult_energy_pj", "int8_add_energy_pj", "int32_add_energy_pj", "fp32_mult_energy_pj",
        "fp32_add_energy_pj", "register_energy_pj", "comparator_energy_pj", "fp32_mac_area_um2", "int8_mac_area_um2", "int32_adder_area_um2",
    ),
    "crossbar": (),
}


class TechnologyError(CodesignError, ValueError):
    """A technology file is missing, malformed, or a parameter lacks value/unit/source."""


@dataclass(frozen=True)
class Param:
    value: float
    unit: str
    source: str
    #: how node scaling treats it (one of SCALINGS); None = by unit
    scaling: str | None = None


@dataclass
class Technology:
    """A loaded technology table. ``get(name)`` returns a parameter's value (in its file's unit)."""

    name: str
    kind: str
    description: str
    params: dict[str, Param] = field(default_factory=dict)
    path: Path | None = None
    #: node (nm) the file states, when these values were scaled from it to another node
    scaled_from_nm: float | None = None
    #: names of the parameters node scaling changed
    scaled_params: tuple[str, ...] = ()

    @property
    def node_nm(self) -> float:
        """Process node the values hold for (nm)."""
        return self.get("node_nm")

    def get(self, key: str) -> float:
        try:
            return self.params[key].value
        except KeyError:
            raise TechnologyError(
                f"{self.path or self.name}: params/{key}: missing; this {self.kind!r} technology defines "
                f"{sorted(self.params)}"
            ) from None

    def unit(self, key: str) -> str:
        return self.params[key].unit

    def source(self, key: str) -> str:
        return self.params[key].source


def tech_dir() -> Path:
    return Path(os.environ.get("CODESIGN_TECH_DIR", TECH_DIR))


def available_technologies(kind: str | None = None) -> list[str]:
    """Names of the technology files in the technology folder (optionally of one kind)."""
    out = []
    for p in sorted(tech_dir().glob("*.json")):
        if kind is None:
            out.append(p.stem)
            continue
        try:
            if json.loads(p.read_text()).get("kind") == kind:
                out.append(p.stem)
        except (OSError, ValueError):
            continue
    return out


def load_technology(name_or_path: str | os.PathLike, _chain: tuple[Path, ...] = ()) -> Technology:
    """Load and validate ``data/tech/<name>.json`` (or an explicit path)."""
    p = Path(name_or_path)
    if p.suffix != ".json":
        p = tech_dir() / f"{name_or_path}.json"
    if not p.exists():
        have = ", ".join(available_technologies()) or "none"
        raise TechnologyError(f"{p}: no such technology file; available: {have}")
    try:
        raw = json.loads(p.read_text())
    except ValueError as exc:
        raise TechnologyError(f"{p}: not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise TechnologyError(f"{p}: /: expected a JSON object with name, kind, description, params")
    for key in ("name", "kind", "params"):
        if key not in raw:
            raise TechnologyError(f"{p}: /{key}: missing; expected name, kind, description, params")
    kind = raw["kind"]
    if kind not in REQUIRED:
        raise TechnologyError(f"{p}: /kind: {kind!r}; expected one of {sorted(REQUIRED)}")
    if not isinstance(raw["params"], dict):
        raise TechnologyError(f"{p}: /params: expected an object of parameter -> {{value, unit, source}}")
    params: dict[str, Param] = {}
    if "base" in raw:
        base_name = raw["base"]
        if not isinstance(base_name, str) or not base_name.strip():
            raise TechnologyError(f"{p}: /base: {base_name!r}; expected the name of another technology file")
        if p.resolve() in _chain:
            raise TechnologyError(f"{p}: /base: circular base chain {[str(c) for c in _chain]}")
        base_path = p.with_name(f"{base_name}.json")
        base = load_technology(base_path if base_path.exists() else base_name, _chain + (p.resolve(),))
        if base.kind != kind:
            raise TechnologyError(f"{p}: /base: {base_name!r} is a {base.kind!r} technology; expected {kind!r}")
        params.update(base.params)
    for key, entry in raw["params"].items():
        where = f"{p}: params/{key}"
        if not isinstance(entry, dict):
            raise TechnologyError(f"{where}: expected an object {{value, unit, source}}, got {entry!r}")
        for sub in ("value", "unit", "source"):
            if sub not in entry:
                raise TechnologyError(f"{where}/{sub}: missing; every parameter needs value, unit and source")
        val = entry["value"]
        if isinstance(val, bool) or not isinstance(val, (int, float)) or not math.isfinite(val):
            raise TechnologyError(f"{where}/value: {val!r}; expected a finite number")
        if not isinstance(entry["source"], str) or len(entry["source"].strip()) < 5:
            raise TechnologyError(f"{where}/source: {entry['source']!r}; expected a citation (paper, year, table/figure)")
        if not isinstance(entry["unit"], str):
            raise TechnologyError(f"{where}/unit: expected a string (use '1' for dimensionless)")
        scaling = entry.get("scaling")
        if scaling is not None and scaling not in SCALINGS:
            raise TechnologyError(f"{where}/scaling: {scaling!r}; expected one of {list(SCALINGS)}")
        params[key] = Param(float(val), entry["unit"], entry["source"], scaling)
    need = COMMON + REQUIRED[kind]
    missing = [k for k in need if k not in params]
    if missing:
        raise TechnologyError(f"{p}: params/{missing[0]}: missing; a {kind!r} technology needs {list(need)}")
    return Technology(str(raw["name"]), kind, str(raw.get("description", "")), params, p)
