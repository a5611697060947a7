"""The ``[optics]`` section of an ``opm_tap`` scenario (``codesign run opm-tap-cam``), checked field by field."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

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


_TYPES = {"lines": list, "seed": int, "commissioning_hours": float, "train_days": int, "events_per_day": int,
          "event_duration_s": float, "tap_losses_db": list, "tap_day_hours": float, "taps_per_day": int,
          "window": int, "train_stride": int, "epochs": int, "num_prototypes": int, "variants": list, "golden_size": int,
          "hardware_windows": int}
_MIN = {"train_days": 1, "events_per_day": 1, "taps_per_day": 1, "window": 16, "train_stride": 1, "epochs": 1,
        "golden_size": 1, "hardware_windows": 1, "num_prototypes": 2, "commissioning_hours": 1.0, "tap_day_hours": 1.0,
        "event_duration_s": 60.0}


def parse_optics(raw: dict[str, Any], path: Path) -> OpmTapConfig:
    """Validate ``raw`` (the ``[optics]`` table); every error names the file and the field."""
    def err(fld: str, msg: str) -> ScenarioError:
        return ScenarioError(f"{path}: [optics.{fld}]: {msg}")

    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _TYPES:
            raise err(key, f"unknown field; expected some of {sorted(_TYPES)}")
        kind = _TYPES[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise err(key, f"{value!r} should be of type {kind.__name__}")
        if key in _MIN and value < _MIN[key]:
            raise err(key, f"{value} must be >= {_MIN[key]}")
        out[key] = value
    if "lines" in out:
        if not out["lines"] or not all(isinstance(x, str) for x in out["lines"]):
            raise err("lines", "expected a non-empty list of optics scenario names or paths")
        out["lines"] = tuple(out["lines"])
    if "tap_losses_db" in out:
        v = out["tap_losses_db"]
        if not v or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and 0 < x <= 10 for x in v):
            raise err("tap_losses_db", f"{v!r}; expected a non-empty list of losses in (0, 10] dB")
        out["tap_losses_db"] = tuple(float(x) for x in v)
    if "variants" in out:
        from codesign.models.opm.detector import VARIANTS

        if not out["variants"] or not set(out["variants"]) <= set(VARIANTS):
            raise err("variants", f"{out['variants']!r}; expected some of {list(VARIANTS)}")
        out["variants"] = tuple(out["variants"])
    return OpmTapConfig(**out, base=Path(path).parent)
