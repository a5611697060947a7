"""The ``[optics]`` section of an ``opm_tap`` scenario (``codesign run opm-tap-cam``): its pydantic schema and settings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from codesign.scenarios.schema import error_line
from codesign.scenarios.shipped import ScenarioError


@dataclass(frozen=True)
class OpmTapConfig:
    """Lines (shipped optics scenario names or paths, relative to the scenario file), days and model size.

    Per line: one normal-operation commissioning day of ``commissioning_hours`` (baseline, TapDetector fit),
    ``train_days`` full days of mixed events (``events_per_day`` of each benign type, twice as many taps,
    ``event_duration_s`` each), one held-out mixed-event day, and one ``tap_day_hours`` day of
    ``taps_per_day`` taps per tap loss (dB). Seeds: commissioning ``seed``, training ``seed+1..``, held-out days
    ``seed+50`` and ``seed+100+i``. ``num_prototypes``: PECAN-D prototypes per subspace; ``hardware_windows``:
    held-out windows run on the simulators.
    """

    lines: tuple[str, ...] = ("optics_default", "line_3x40km")
    seed: int = 0
    commissioning_hours: float = 12.0
    train_days: int = 3
    events_per_day: int = 12
    event_duration_s: float = 600.0
    tap_losses_db: tuple[float, ...] = (0.1, 0.2, 0.3, 0.5, 1.0, 2.0)
    tap_day_hours: float = 6.0
    taps_per_day: int = 4
    window: int = 32
    train_stride: int = 2
    epochs: int = 12
    num_prototypes: int = 32
    variants: tuple[str, ...] = ("cnn", "pecan_d")
    golden_size: int = 64
    hardware_windows: int = 256
    base: Path = field(default=Path("."), compare=False)

    def key_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("base")
        return d


class OpmTapSection(BaseModel):
    """The ``[optics]`` table of an ``opm_tap`` scenario (the schema; defaults are :class:`OpmTapConfig`'s)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    lines: list[str] | None = Field(default=None, min_length=1,
                                    description="optics scenarios (shipped names or paths) to run")
    seed: int | None = Field(default=None, ge=0, description="commissioning-day seed (others derive from it)")
    commissioning_hours: float | None = Field(default=None, ge=1.0, le=240.0,
                                              description="hours of the normal-operation day (h)")
    train_days: int | None = Field(default=None, ge=1, le=100, description="mixed-event training days per line")
    events_per_day: int | None = Field(default=None, ge=1, le=1000, description="events of each benign type per day")
    event_duration_s: float | None = Field(default=None, ge=60.0, le=86400.0, description="length of each event (s)")
    tap_losses_db: list[Annotated[float, Field(gt=0, le=10)]] | None = Field(
        default=None, min_length=1, description="tap losses of the held-out tap days (dB)")
    tap_day_hours: float | None = Field(default=None, ge=1.0, le=240.0, description="hours of each tap day (h)")
    taps_per_day: int | None = Field(default=None, ge=1, le=1000, description="taps per tap day and loss")
    window: int | None = Field(default=None, ge=16, le=4096, description="samples per classifier window")
    train_stride: int | None = Field(default=None, ge=1, le=4096, description="samples between training windows")
    epochs: int | None = Field(default=None, ge=1, le=1000, description="classifier training epochs")
    num_prototypes: int | None = Field(default=None, ge=2, le=4096, description="PECAN-D prototypes per subspace")
    variants: list[str] | None = Field(default=None, min_length=1,
                                       description="classifiers to train and run on the hardware (cnn, pecan_d)")
    golden_size: int | None = Field(default=None, ge=1, le=100_000, description="golden vectors per exported model")
    hardware_windows: int | None = Field(default=None, ge=1, le=1_000_000,
                                         description="held-out windows run on the simulators")

    @field_validator("variants")
    @classmethod
    def _known_variants(cls, names: list[str] | None) -> list[str] | None:
        from codesign.models.opm.detector import VARIANTS  # torch: only when the field is given

        if names is not None and not set(names) <= set(VARIANTS):
            raise ValueError(f"expected some of {list(VARIANTS)}")
        return names


def parse_optics(raw: dict[str, Any], path: Path) -> OpmTapConfig:
    """Validate ``raw`` (the ``[optics]`` table) with :class:`OpmTapSection`; errors name the file and the field."""
    try:
        section = OpmTapSection.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(error_line(exc, str(path), OpmTapSection, prefix="optics")) from None
    out = {k: tuple(v) if isinstance(v, list) else v for k, v in section.model_dump(exclude_none=True).items()}
    return OpmTapConfig(**out, base=Path(path).parent)
