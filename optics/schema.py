"""Pydantic v2 schema of an optics scenario file: sections, keys, strict types, finite numbers, work bounds.

Values left out fall back to the equipment library (:mod:`.scenario` fills them and checks physical
ranges); this schema rejects what no default can fix: unknown keys (with a "did you mean"), a bool or a
string where a number belongs, a non-integer count, NaN/inf, and a run whose sample count exceeds
``[time] max_samples``. :func:`check_scenario` raises one :class:`OpticsInputError` naming file and field.
"""

from __future__ import annotations

import difflib
import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import OpticsInputError

#: most OPM samples (duration / sample period, also duration / drift step) a scenario may ask for
MAX_SAMPLES = 1_000_000
#: most random events of one type
MAX_EVENTS = 10_000

Num = float | None
Count = int | None


class _Sec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class LineSec(_Sec):
    name: str | None = None
    n_spans: Count = Field(default=None, ge=1, le=200)
    span_length_km: float | list[float] | None = None
    fiber: str | None = None
    amplifier: str | None = None
    transceiver: str | None = None
    n_channels: Count = Field(default=None, ge=1, le=200)
    launch_power_dbm: Num = None
    amp_mode: str | None = None
    modulation: str | None = None
    spacing_ghz: Num = None
    f_min_thz: Num = None
    baud_gbd: Num = None
    tx_osnr_db: Num = None
    loss_db_km: Num = None
    con_in_db: Num = None
    con_out_db: Num = None
    dispersion_ps_nm_km: Num = None
    effective_area_um2: Num = None
    pmd_ps_sqrt_km: Num = None
    amp_nf_db: Num = None
    amp_p_max_dbm: Num = None
    amp_tilt_db: Num = None
    topology: str | None = None
    equipment: str | None = None


class TimeSec(_Sec):
    duration_s: float = Field(ge=1)
    sample_period_s: Num = Field(default=None, ge=1e-3)
    max_samples: int = Field(default=MAX_SAMPLES, ge=1)


class OpmSec(_Sec):
    power_noise_db: Num = None
    osnr_noise_db: Num = None
    gsnr_noise_db: Num = None
    abs_accuracy_db: Num = None
    rel_accuracy_db: Num = None
    osnr_accuracy_db: Num = None
    resolution_db: Num = None
    averaging: Num = None
    min_power_dbm: Num = None
    calibration_seed: Count = Field(default=None, ge=0)
    noise_model: str | None = None
    noise_corr_time_s: Num = Field(default=None, gt=0)
    offset_wander_db_per_sqrt_h: Num = Field(default=None, ge=0)
    offset_max_db: Num = Field(default=None, ge=0)


class DriftSec(_Sec):
    span_loss_db_per_sqrt_h: Num = None
    tx_power_db_per_sqrt_h: Num = None
    max_drift_db: Num = None
    amp_gain_noise_db: Num = None
    step_s: Num = Field(default=None, gt=0)


class EventSec(_Sec):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=True)
    type: str
    time_s: float
    duration_s: Num = Field(default=None, ge=0)  # inf: until the end
    span: Count = None
    loss_db: Num = None
    position_km: Num = None
    splitter_ratio: Num = None
    excess_loss_db: Num = None

    @model_validator(mode="after")
    def _finite(self) -> "EventSec":
        for key in ("time_s", "loss_db", "position_km", "splitter_ratio", "excess_loss_db", "duration_s"):
            v = getattr(self, key)
            if v is not None and (math.isnan(v) or (math.isinf(v) and key != "duration_s")):
                raise ValueError(f"{key}: {v}; expected a finite number")
        return self


class RandomSec(_Sec):
    tap_count: Count = Field(default=None, ge=0, le=MAX_EVENTS)
    bend_count: Count = Field(default=None, ge=0, le=MAX_EVENTS)
    connector_count: Count = Field(default=None, ge=0, le=MAX_EVENTS)
    gain_change_count: Count = Field(default=None, ge=0, le=MAX_EVENTS)
    add_drop_count: Count = Field(default=None, ge=0, le=MAX_EVENTS)
    transient_count: Count = Field(default=None, ge=0, le=MAX_EVENTS)
    tap_loss_db: list[float] | None = Field(default=None, min_length=2, max_length=2)
    event_duration_s: Num = None

    @model_validator(mode="after")
    def _loss_range(self) -> "RandomSec":
        if self.tap_loss_db is not None and not 0 < self.tap_loss_db[0] <= self.tap_loss_db[1] <= 30:
            raise ValueError(f"tap_loss_db: {self.tap_loss_db}; expected [low, high] with 0 < low <= high <= 30 dB")
        return self


class OpticsScenarioFile(_Sec):
    line: LineSec
    time: TimeSec
    opm: OpmSec = Field(default_factory=OpmSec)
    drift: DriftSec = Field(default_factory=DriftSec)
    events: list[EventSec] = Field(default_factory=list)
    random_events: RandomSec = Field(default_factory=RandomSec)


def check_scenario(raw: dict[str, Any], src: str, sample_period_s: float, step_s: float) -> OpticsScenarioFile:
    """Validate ``raw``; the defaults of the sample period and drift step bound the sample count."""
    try:
        doc = OpticsScenarioFile.model_validate(raw)
    except ValidationError as exc:
        field, problem = _first_error(exc)
        raise OpticsInputError(src, field, problem) from None
    t = doc.time
    period = t.sample_period_s or sample_period_s
    step = doc.drift.step_s or step_s
    for name, n in (("time.sample_period_s", t.duration_s / period), ("drift.step_s", t.duration_s / step)):
        if n > t.max_samples:
            raise OpticsInputError(src, name, f"duration_s / {name.split('.')[1]} = {n:,.0f} steps exceed the "
                                   f"limit of {t.max_samples:,}; raise it with [time] max_samples = N")
    return doc


_TYPE_TAGS = ("float", "int", "str", "bool", "list[", "dict[")


def _first_error(exc: ValidationError) -> tuple[str, str]:
    """(field path, problem) of the most specific error (a union reports one error per member)."""
    errs = exc.errors(include_url=False)
    err = max(errs, key=lambda e: len(e["loc"]))
    loc = [str(p) for p in err["loc"] if not str(p).startswith(_TYPE_TAGS)]
    kind, msg = err["type"], err["msg"]
    if kind == "value_error":
        head, _, msg = msg.removeprefix("Value error, ").partition(": ")
        loc.append(head)
    elif kind == "extra_forbidden":
        known = _known(loc[:-1])
        close = difflib.get_close_matches(loc[-1], known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        msg = f"unknown key{hint}; expected some of {known}"
    elif kind == "missing":
        msg = "missing"
    else:
        msg = f"{err.get('input')!r}: {msg}"
    return "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in loc).lstrip("."), msg


def _known(loc: list[str]) -> list[str]:
    model: Any = OpticsScenarioFile
    for part in loc:
        if part.isdigit():
            continue
        ann = model.model_fields[part].annotation
        model = next((a for a in (getattr(ann, "__args__", None) or (ann,))
                      if isinstance(a, type) and issubclass(a, BaseModel)), ann)
    return sorted(getattr(model, "model_fields", {}))
