"""Technology files: per-action energy/latency/area tables, every number with its source.

Shipped files live in the package folder ``data/tech`` and are found by name (``fefet_mcam``); a folder
named by $CODESIGN_TECH_DIR is searched first; a path to a JSON file (``my/tech.json``) loads that file.
A file looks like::

    {"name": "fefet_mcam", "kind": "cam", "description": "...",
     "params": {"search_energy_pj": {"value": 1.84, "unit": "pJ",
                                      "source": "CAMASim, arXiv 2403.03442, 2024, cost table"}}}

``kind`` is one of :data:`REQUIRED` (cam, sram, dram, digital, crossbar); each kind lists the parameters
a file must define, and every file states its ``node_nm`` and supply ``vdd_v`` (:data:`COMMON`). A
parameter may carry ``"scaling"`` (one of :data:`SCALINGS`) to override how :mod:`codesign.cam.scaling`
moves it to another node (default: by its unit). A file may name ``"base": "<other technology>"`` (a file relative to its own folder, or a name): it then starts from that file's
parameters (same kind required) and its own ``params`` override or add entries, each still with its
source. Loading validates everything against the pydantic schema :class:`TechnologyFile` (strict types,
ranges by parameter, unknown keys rejected with a suggestion) and raises :class:`TechnologyError` naming the
file and the field.
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from codesign.errors import CodesignError

#: environment variable naming a folder of technology files searched before the shipped ones
TECH_DIR_ENV = "CODESIGN_TECH_DIR"

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


#: largest magnitude a parameter may have (pJ, ns, um2, ...): beyond it totals overflow or are a typo
MAX_VALUE = 1e9
#: parameters that are counts: integers within (low, high)
INTEGER_RANGES: dict[str, tuple[int, int]] = {"bits_per_cell": (1, 16), "ref_rows": (1, 1 << 16),
                                              "ref_cols": (1, 1 << 16), "word_bits": (1, 4096), "sense_bits": (0, 24)}
#: fractions: (low, high, low inclusive, high inclusive)
FRACTION_RANGES: dict[str, tuple[float, float, bool, bool]] = {"array_periphery_area_frac": (0.0, 1.0, True, False),
                                                               "array_efficiency": (0.0, 1.0, False, True),
                                                               **{k: (0.0, 1.0, True, True) for k in
                                                                  ("stuck_cell_rate", "stuck_on_rate", "stuck_off_rate")}}
#: parameters that must be > 0 (a reference time of drift, G(t) = G0 (t/t0)^-nu)
POSITIVE = ("drift_t0_s",)

def _check_value(key: str, val: float, where: str) -> None:
    """Range rules: every value in [0, MAX_VALUE]; counts integers in range; fractions and rates in range."""
    if key in INTEGER_RANGES:
        lo, hi = INTEGER_RANGES[key]
        if float(val) != int(val) or not lo <= val <= hi:
            raise TechnologyError(f"{where}/value: {val!r}; expected an integer in [{lo}, {hi}]")
    elif key in FRACTION_RANGES:
        lo, hi, lo_in, hi_in = FRACTION_RANGES[key]
        if not ((lo <= val if lo_in else lo < val) and (val <= hi if hi_in else val < hi)):
            raise TechnologyError(f"{where}/value: {val!r}; expected a fraction in "
                                  f"{'[' if lo_in else '('}{lo}, {hi}{']' if hi_in else ')'}")
    elif "sigma" in key and val < 0:
        raise TechnologyError(f"{where}/value: {val!r}; a standard deviation must be >= 0")
    elif key in POSITIVE and not val > 0:
        raise TechnologyError(f"{where}/value: {val!r}; expected a time > 0")
    elif not 0 <= val <= MAX_VALUE:
        raise TechnologyError(f"{where}/value: {val!r}; expected a number in [0, {MAX_VALUE:g}] "
                              "(energies, latencies and areas cannot be negative)")


class TechnologyError(CodesignError, ValueError):
    """A technology file is missing, malformed, or a parameter lacks value/unit/source."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ParamEntry(_Strict):
    """One parameter: its value (in ``unit``), the citation it comes from, and how node scaling treats it."""

    value: Annotated[float, Field(allow_inf_nan=False, description="the number, in `unit`")]
    unit: str = Field(description="unit of `value` ('1' for dimensionless)")
    source: str = Field(description="citation: paper, year, table/figure")
    scaling: Literal[SCALINGS] | None = Field(  # type: ignore[valid-type]
        default=None, description="how node scaling moves it (default: by its unit)")

    @field_validator("source")
    @classmethod
    def _cited(cls, text: str) -> str:
        if len(text.strip()) < 5:
            raise ValueError("expected a citation (paper, year, table/figure)")
        return text


class TechnologyFile(_Strict):
    """A technology file's JSON object (the schema; ``codesign schema technology`` prints it)."""

    name: str = Field(min_length=1, description="the technology's name")
    kind: Literal[tuple(REQUIRED)] = Field(description="what it describes")  # type: ignore[valid-type]
    description: str = Field(default="", description="free text")
    base: str | None = Field(default=None, min_length=1,
                             description="another technology (file beside this one, or a name) to start from")
    params: dict[str, ParamEntry] = Field(description="parameter name -> {value, unit, source[, scaling]}")

    @model_validator(mode="after")
    def _ranges(self) -> "TechnologyFile":
        for key, entry in self.params.items():
            _check_value(key, entry.value, f"params/{key}")
        return self


def _schema_error(exc: ValidationError, path: Path) -> TechnologyError:
    """One line naming the file and the field for the first error of ``exc``."""
    errors = exc.errors(include_url=False)
    # a misspelt key shows up as "unknown" plus "missing": name the misspelling, with its suggestion
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = [str(part) for part in err["loc"]]
    kind, value = err["type"], err.get("input")
    in_param = len(loc) >= 2 and loc[0] == "params"
    if kind == "value_error":
        msg = err["msg"].removeprefix("Value error, ")
        if not loc:  # a range rule: the message names its own field
            return TechnologyError(f"{path}: {msg}")
        msg = f"{value!r}; {msg}"
    elif kind == "missing":
        msg = ("missing; every parameter needs value, unit and source" if in_param
               else "missing; expected name, kind, description, params")
    elif kind == "extra_forbidden":
        known = sorted((ParamEntry if in_param else TechnologyFile).model_fields)
        close = difflib.get_close_matches(loc[-1], known, n=1)
        msg = "unknown key" + (f" (did you mean {close[0]!r}?)" if close else "") + f"; expected some of {known}"
    elif kind == "literal_error":
        allowed = list(SCALINGS) if in_param else sorted(REQUIRED)
        msg = f"{value!r}; expected one of {allowed}"
    elif in_param and len(loc) == 2:
        msg = f"expected an object {{value, unit, source}}, got {value!r}"
    elif in_param and loc[-1] == "value":
        msg = f"{value!r}; expected a finite number"
    elif loc == ["params"]:
        msg = "expected an object of parameter -> {value, unit, source}"
    else:
        msg = f"{value!r}; {err['msg'][0].lower()}{err['msg'][1:]}"
    where = "/".join(loc) if in_param else "/" + "/".join(loc)
    return TechnologyError(f"{path}: {where}: {msg}")


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


def shipped_tech_dir() -> Path:
    """Folder of the technology files shipped with the package (``codesign/data/tech``)."""
    return Path(str(resources.files("codesign") / "data" / "tech"))


def tech_dirs() -> list[Path]:
    """Folders searched for a technology named without a path: $CODESIGN_TECH_DIR first, then the shipped one."""
    override = os.environ.get(TECH_DIR_ENV)
    if not override:
        return [shipped_tech_dir()]
    folder = Path(override)
    if not folder.is_dir():
        raise TechnologyError(f"{folder}: ${TECH_DIR_ENV} is not a folder of technology files")
    return [folder, shipped_tech_dir()]


def _tech_files() -> dict[str, Path]:
    """Name -> file of every technology found by name (an override file shadows a shipped one)."""
    found: dict[str, Path] = {}
    for folder in tech_dirs():
        for p in sorted(folder.glob("*.json")):
            found.setdefault(p.stem, p)
    return found


def available_technologies(kind: str | None = None) -> list[str]:
    """Names of the technology files found by name (optionally of one kind)."""
    out = []
    for name, p in sorted(_tech_files().items()):
        if kind is None:
            out.append(name)
            continue
        try:
            if json.loads(p.read_text()).get("kind") == kind:
                out.append(name)
        except (OSError, ValueError):
            continue
    return out


def is_tech_path(name_or_path: str | os.PathLike) -> bool:
    """True when a technology is given as a file path (``.json`` or a folder part) rather than a name."""
    text = os.fspath(name_or_path)
    return isinstance(name_or_path, os.PathLike) or text.endswith(".json") or "/" in text or os.sep in text


def technology_file(name_or_path: str | os.PathLike) -> Path:
    """The file of a technology: a path as given, or a name looked up in :func:`tech_dirs`."""
    if is_tech_path(name_or_path):
        p = Path(name_or_path)
        if p.is_dir():
            raise TechnologyError(f"{p}: is a folder; expected a technology JSON file")
        if not p.is_file():
            raise TechnologyError(f"{p}: no such technology file")
        return p
    name = os.fspath(name_or_path)
    files = _tech_files()
    if name not in files:
        where = ", ".join(str(d) for d in tech_dirs())
        raise TechnologyError(f"{name}: no such technology file in {where}; available: "
                              f"{', '.join(sorted(files)) or 'none'}; or give a path to a JSON file")
    return files[name]


def load_technology(name_or_path: str | os.PathLike, _chain: tuple[Path, ...] = ()) -> Technology:
    """Load and validate a technology: a shipped name (``fefet_mcam``) or a path to a JSON file.

    A ``"base"`` key names another technology: a file relative to this file's folder (``"mine.json"``,
    or a bare name with a ``<name>.json`` beside this file), else a name found by :func:`technology_file`.
    """
    p = technology_file(name_or_path)
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise TechnologyError(f"{p}: not a UTF-8 JSON file ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise TechnologyError(f"{p}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise TechnologyError(f"{p}: not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise TechnologyError(f"{p}: /: expected a JSON object with name, kind, description, params")
    try:
        spec = TechnologyFile.model_validate(raw)
    except ValidationError as exc:
        raise _schema_error(exc, p) from None
    kind = spec.kind
    params: dict[str, Param] = {}
    if spec.base is not None:
        base_name = spec.base
        if p.resolve() in _chain:
            raise TechnologyError(f"{p}: /base: circular base chain {[str(c) for c in _chain]}")
        try:
            base_file = technology_file(_base_ref(p, base_name))
        except TechnologyError as exc:
            raise TechnologyError(f"{p}: /base: {exc}") from None
        base = load_technology(base_file, _chain + (p.resolve(),))
        if base.kind != kind:
            raise TechnologyError(f"{p}: /base: {base_name!r} is a {base.kind!r} technology; expected {kind!r}")
        params.update(base.params)
    for key, entry in spec.params.items():
        params[key] = Param(float(entry.value), entry.unit, entry.source, entry.scaling)
    need = COMMON + REQUIRED[kind]
    missing = [k for k in need if k not in params]
    if missing:
        raise TechnologyError(f"{p}: params/{missing[0]}: missing; a {kind!r} technology needs {list(need)}")
    return Technology(spec.name, kind, spec.description, params, p)


def _base_ref(path: Path, base: str) -> str | Path:
    """What a file's ``"base"`` refers to: a file relative to its folder, or a technology name."""
    if is_tech_path(base):
        return path.parent / base
    sibling = path.with_name(f"{base}.json")
    return sibling if sibling.is_file() else base
