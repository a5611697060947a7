"""Pydantic v2 schema of a scenario file's sections (all but ``[hardware]``, checked against its dataclasses).

Strict types (no int truncation, no bool as a number), ranges, unknown keys rejected with a "did you
mean" suggestion, and cross-field rules. :func:`validate_sections` turns the first validation error into
one :class:`~codesign.scenarios.scenario.ScenarioError`-style line naming the file and the field path.
"""

from __future__ import annotations

import difflib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

METRICS = ("energy_pj", "latency_ns", "area_mm2", "accuracy", "edp_pj_ns", "detection_rate", "span_accuracy",
           "false_alarm_rate", "params", "macs", "utilization", "cycles", "throughput_inf_s")
Metric = Literal[METRICS]  # type: ignore[valid-type]
#: largest integer a count field takes (keeps a typo like 1e12 from allocating the machine's memory)
MAX_COUNT = 1_000_000


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


#: what ``codesign run`` does with a scenario: the digits runner, or the OPM tap-classifier loop
KINDS = ("digits", "opm_tap")


class Head(_Section):
    name: str = Field(min_length=1, description="scenario name (default output folder runs/<name>)")
    description: str = Field(default="", description="free text")
    kind: Literal[KINDS] = Field(default="digits",  # type: ignore[valid-type]
                                 description="digits runner, or the OPM tap-classifier loop")


class ModelSection(_Section):
    dataset: str = Field(default="digits", description="training data set")
    variants: list[str] | None = Field(default=None, min_length=1, description="model variants to train and simulate")
    variant: str | None = Field(default=None, description="one model variant (instead of variants)")
    network: str | None = Field(default=None, description="reference network")
    seed: int = Field(default=0, ge=0, description="training seed")
    epochs: int | None = Field(default=None, ge=0, le=10_000, description="training epochs (default: the variant's)")
    num_prototypes: int | None = Field(default=None, ge=1, le=4096, description="PECAN prototypes per codebook")
    subvector_dim: int | None = Field(default=None, ge=1, le=4096, description="PECAN sub-vector length")
    act_bits: int | None = Field(default=None, ge=1, le=32, description="PECAN activation bits")
    lut_bits: int | None = Field(default=None, ge=1, le=32, description="PECAN look-up-table entry bits")
    golden_size: int | None = Field(default=None, ge=1, le=MAX_COUNT, description="golden vectors stored in the exported model")


class SweepSection(_Section):
    evaluator: str = Field(min_length=1, description="what evaluates a point (codesign sweep --help lists them)")
    mode: Literal["grid", "random"] = Field(default="grid", description="full grid, or random samples of it")
    samples: int | None = Field(default=None, ge=1, description="points drawn in random mode")
    seed: int = Field(default=0, ge=0, description="random-mode seed")
    axes: dict[str, list[Any]] = Field(min_length=1, description="knob (hardware.*, model.*, optics.*) -> values")
    fixed: dict[str, Any] = Field(default_factory=dict, description="knob -> one value for every point")
    chunk_size: int | None = Field(default=None, ge=1, le=MAX_COUNT, description="points per checkpointed chunk")
    accuracy: bool = Field(default=False, description="run the functional simulation (accuracy) at each point")
    max_points: int | None = Field(default=None, ge=1, description="refuse larger sweeps (default 100000; also --max-points)")
    engine: Literal["analytic", "cycle"] = Field(
        default="analytic", description="cost model of the hardware evaluators: analytic formulas, or the cycle engine")

    @model_validator(mode="after")
    def _random_needs_samples(self) -> "SweepSection":
        if self.mode == "random" and self.samples is None:
            raise ValueError("samples: random sampling needs samples >= 1")
        for name, values in self.axes.items():
            if not values:
                raise ValueError(f"axes.{name}: expected a non-empty list of values")
        return self


class CycleSection(_Section):
    """``[cycle]``: run the cycle-approximate engine too (fields as :class:`codesign.sim.cycle.config.CycleConfig`)."""

    mode: Literal["layer", "pipelined"] = Field(default="layer", description="layer by layer, or inter-layer pipelined")
    batch: int = Field(default=1, ge=1, le=4096, description="inferences simulated back to back (throughput)")
    duplication: int = Field(default=1, ge=1, le=64, description="most weight copies of the bottleneck layer (pipelined)")
    onchip_kib: float | None = Field(default=None, gt=0, lt=1e12,
                                     description="on-chip weight capacity (KiB); beyond it weights reload from DRAM")
    buffer_kib: float | None = Field(default=None, gt=0, lt=1e12, description="line-buffer capacity per layer edge (KiB, pipelined)")
    link_gb_s: float | None = Field(default=None, gt=0, lt=1e12, description="shared on-chip interconnect bandwidth (GB/s; none: unlimited)")
    leakage: bool = Field(default=True, description="charge static power x runtime")

    @model_validator(mode="after")
    def _duplication_needs_pipeline(self) -> "CycleSection":
        if self.duplication > 1 and self.mode != "pipelined":
            raise ValueError("duplication: weight duplication balances an inter-layer pipeline; set mode = 'pipelined'")
        return self


class Objectives(_Section):
    minimize: list[Metric] = Field(default_factory=list, description="metrics to minimize (Pareto front)")
    maximize: list[Metric] = Field(default_factory=list, description="metrics to maximize (Pareto front)")


class Bound(_Section):
    min: float | None = Field(default=None, description="lowest feasible value of the metric")
    max: float | None = Field(default=None, description="highest feasible value of the metric")

    @model_validator(mode="after")
    def _one(self) -> "Bound":
        if self.min is None and self.max is None:
            raise ValueError("expected a table like { max = 1.0 } or { min = 0.9 }")
        return self


class Output(_Section):
    folder: str = Field(default="", min_length=1, description="output folder (default runs/<name>; -o overrides)")


class ScenarioFile(_Section):
    scenario: Head
    model: ModelSection = Field(default_factory=ModelSection)
    hardware: dict[str, Any] = Field(default_factory=dict, description="architecture overrides (see the [hardware] tables)")
    sweep: SweepSection | None = None
    objectives: Objectives = Field(default_factory=Objectives)
    constraints: dict[Metric, Bound] = Field(default_factory=dict)
    output: Output | None = None
    cycle: CycleSection | None = None
    #: the ``opm_tap`` loop's settings, checked by :func:`codesign.scenarios.opmtap.config.parse_optics`
    optics: dict[str, Any] | None = Field(default=None, description="the opm_tap loop's settings (docs/optics.md)")

    @model_validator(mode="after")
    def _cross(self) -> "ScenarioFile":
        if self.optics is not None and self.scenario.kind != "opm_tap":
            raise ValueError("optics: only scenarios of kind 'opm_tap' have an [optics] section")
        if self.sweep is None:
            return self
        wanted = [*self.objectives.minimize, *self.objectives.maximize, *self.constraints]
        if "accuracy" in wanted and not self.sweep.accuracy and self.sweep.evaluator != "optics_tap":
            raise ValueError("sweep.accuracy: the objective/constraint 'accuracy' needs accuracy = true "
                             "(functional simulation); set it or drop the metric")
        return self


def validate_sections(raw: dict[str, Any], source: str) -> ScenarioFile:
    """Validate a parsed scenario file; raise ValueError (one line: file, field path, what was expected)."""
    try:
        return ScenarioFile.model_validate({"scenario": {}, **raw})
    except ValidationError as exc:
        raise ValueError(error_line(exc, source, ScenarioFile)) from None


_TYPE_NAMES = {"int_type": "int", "string_type": "str", "bool_type": "bool", "float_type": "float",
               "list_type": "list", "dict_type": "table", "model_type": "table", "model_attributes_type": "table",
               "finite_number": "finite float"}


#: pydantic's range errors -> (symbol, context key) for "<value> must be >= 1"
_BOUNDS = {"greater_than": (">", "gt"), "greater_than_equal": (">=", "ge"), "less_than": ("<", "lt"),
           "less_than_equal": ("<=", "le")}


def error_line(exc: ValidationError, source: str, root: type[BaseModel], prefix: str = "") -> str:
    """``<source>: [<field.path>]: <message>`` for the first error of ``exc`` (``prefix``: the table
    ``root`` validates, e.g. ``optics``)."""
    err = exc.errors(include_url=False)[0]
    loc = [str(p) for p in err["loc"] if p != "[key]"]
    kind, msg, value = err["type"], err["msg"], err.get("input")
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    if kind == "value_error":
        msg = msg.removeprefix("Value error, ")
        head, sep, rest = msg.partition(": ")
        if sep and " " not in head:  # a model validator naming its own field
            loc, msg = [*loc, head], rest
    elif kind == "extra_forbidden":
        known = _fields_at(root, loc[:-1])
        close = difflib.get_close_matches(loc[-1], known, n=1)
        what = "section" if len(loc) == 1 and not prefix else "field"
        msg = f"unknown {what}" + (f" (did you mean {close[0]!r}?)" if close else "") + f"; expected some of {known}"
    elif kind == "missing":
        loc, msg = loc[:-1], f"missing field {loc[-1]!r}"
    elif kind in _TYPE_NAMES:
        msg = f"{shown} should be of type {_TYPE_NAMES[kind]}"
    elif kind in _BOUNDS:
        sym, key = _BOUNDS[kind]
        msg = f"{shown} must be {sym} {err['ctx'][key]}"
    elif kind == "literal_error" and loc and loc[0] in ("objectives", "constraints"):
        msg = f"unknown metric {value!r}; expected some of {list(METRICS)}"
    else:
        msg = f"{shown}: {msg}"
    loc = [prefix, *loc] if prefix else loc
    return f"{source}: [{'.'.join(loc) or '/'}]: {msg}"


def _fields_at(model: Any, loc: list[str]) -> list[str]:
    """Field names of the (nested) model at ``loc`` (empty when not a model)."""
    for part in loc:
        info = getattr(model, "model_fields", {}).get(part)
        if info is None:
            return []
        ann = info.annotation
        model = next((a for a in getattr(ann, "__args__", (ann,)) if isinstance(a, type) and issubclass(a, BaseModel)),
                     ann)
    return sorted(getattr(model, "model_fields", {}))
