"""Settings of the cycle-approximate engine (:class:`CycleConfig`), checked on construction."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from codesign.errors import CodesignError

#: scheduling modes: one layer at a time, or every layer active at once (inter-layer pipeline)
MODES = ("layer", "pipelined")
#: stall causes, in the order of the report's columns
STALL_CAUSES = ("dependency", "buffer_full", "bandwidth", "resource_busy", "dram_reload")
#: largest batch and weight duplication the engine accepts (keeps a typo from allocating the machine)
MAX_BATCH = 4096
MAX_DUPLICATION = 64


class CycleConfigError(CodesignError, ValueError):
    """A cycle-engine setting is out of range; the message names the field."""


@dataclass
class CycleConfig:
    """What the cycle engine schedules and under which limits.

    ``mode``: "layer" (a layer starts when the previous one has finished, the analytic model's
    assumption) or "pipelined" (a layer starts on an output position as soon as the input rows it needs
    exist: line buffers). ``batch``: inferences streamed back to back (throughput). ``duplication``:
    largest number of weight copies the bottleneck layer gets in pipelined mode (ISAAC-style balancing;
    every other layer gets the copies that bring it to the bottleneck's time). ``onchip_kib``: on-chip
    capacity for weights/prototypes/LUTs (None: everything resident); layers beyond it stream their
    weights from DRAM once per inference. ``buffer_kib``: line-buffer capacity per layer edge in pipelined
    mode (None: one whole tensor per edge; raised to the receptive-field minimum). ``link_gb_s``: bandwidth
    of the shared on-chip interconnect that carries every output position (None: unlimited).
    ``leakage``: add static power x runtime to the energy.
    """

    mode: str = "layer"
    batch: int = 1
    duplication: int = 1
    onchip_kib: float | None = None
    buffer_kib: float | None = None
    link_gb_s: float | None = None
    leakage: bool = True

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise CycleConfigError(f"cycle.mode={self.mode!r}; expected one of {MODES}")
        for name, hi in (("batch", MAX_BATCH), ("duplication", MAX_DUPLICATION)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= hi:
                raise CycleConfigError(f"cycle.{name}={v!r}; expected an integer in [1, {hi}]")
        if self.duplication > 1 and self.mode != "pipelined":
            raise CycleConfigError(f"cycle.duplication={self.duplication}: weight duplication balances an "
                                   "inter-layer pipeline; it needs cycle.mode='pipelined'")
        for name in ("onchip_kib", "buffer_kib", "link_gb_s"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < 1e12):
                raise CycleConfigError(f"cycle.{name}={v!r}; expected a positive number (or unset)")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "CycleConfig":
        d = dict(d or {})
        unknown = sorted(set(d) - set(cls.__dataclass_fields__))
        if unknown:
            raise CycleConfigError(f"cycle: unknown field(s) {unknown}; expected some of "
                                   f"{sorted(cls.__dataclass_fields__)}")
        return cls(**d)
