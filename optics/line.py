"""A line: transmitter -> elements -> receiver, evaluated for many time samples at once.

``Line.evaluate(state)`` returns the true (noise-free) per-channel values at every monitor:
receiver and each in-line EDFA input/output (monitor order in ``monitor_names``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .elements import Edfa, Fiber, Roadm, Transmitter, Voa
from .receiver import Receiver
from .spectrum import REF_BW_HZ, ChannelPlan, db2lin, lin2db
from .state import LineState


@dataclass
class Line:
    """Ordered elements between one transmitter and one receiver."""

    transmitter: Transmitter
    elements: list
    receiver: Receiver = field(default_factory=Receiver)
    name: str = "line"
    _compiled: tuple = field(default=None, repr=False, compare=False)

    @property
    def plan(self) -> ChannelPlan:
        return self.transmitter.plan

    @property
    def spans(self) -> list[Fiber]:
        return [e for e in self.elements if isinstance(e, Fiber)]

    @property
    def amps(self) -> list[Edfa]:
        return [e for e in self.elements if isinstance(e, Edfa)]

    @property
    def monitor_names(self) -> list[str]:
        """'tx:out', then '<amp uid>:in', '<amp uid>:out' for each EDFA, then 'rx'."""
        names = ["tx:out"]
        for a in self.amps:
            names += [f"{a.uid}:in", f"{a.uid}:out"]
        return names + ["rx"]

    def span_monitors(self) -> np.ndarray:
        """(n_spans, 2) monitor indices just before and just after each span (-1 when none)."""
        out, last, pending = [], 0, None
        m = 1
        for e in self.elements:
            if isinstance(e, Fiber):
                if pending is not None:
                    out.append((pending, -1))
                pending = last
            elif isinstance(e, Edfa):
                if pending is not None:
                    out.append((pending, m))
                    pending = None
                last = m + 1
                m += 2
            else:
                last = -1  # a ROADM/VOA in between hides the preceding power
        if pending is not None:
            out.append((pending, m))  # receiver monitor
        return np.asarray(out, int).reshape(-1, 2)

    def compiled(self):
        """The line's :class:`~codesign.optics.fastline.CompiledLine` (rebuilt when an element changes)."""
        from .fastline import CompiledLine

        key = _config_key([self.transmitter, self.transmitter.plan, *self.elements, self.receiver])
        if self._compiled is None or self._compiled[0] != key:
            self._compiled = (key, CompiledLine(self))
        return self._compiled[1]

    def evaluate(self, state: LineState | None = None, ber: bool = True, fast: bool = True,
                 monitors: bool = True) -> dict:
        """Propagate all samples. Returns dict with ``mon_power_dbm``, ``mon_osnr_db`` of shape (M, S, C) (fast path:
        only if ``monitors``) and the receiver metrics (S, C) (``ber``/``q_db`` only if ``ber``). Uses the fused kernel
        (``fastline``) unless ``fast`` is False (then :meth:`evaluate_reference`)."""
        from .fastline import supported
        from .receiver import ber_from_snr, q_db_from_ber

        state = state or LineState(1)
        if not (fast and supported(self)):
            return self.evaluate_reference(state)
        cl = self.compiled()
        out = cl.run(state, monitors=monitors)
        if ber:
            out["ber"] = ber_from_snr(out["gsnr_bw_db"], self.receiver.modulation)
            out["q_db"] = q_db_from_ber(out["ber"])
        out.update({k: np.copy(v) for k, v in cl.static.items()})
        out["signal_dbm"] = out["power_dbm"]
        out["modulation"] = self.receiver.modulation
        return out

    def evaluate_reference(self, state: LineState | None = None, record_span_inputs: bool = False) -> dict:
        """Element-by-element numpy propagation (GNPy-like reference; handles ROADMs). Same outputs as
        :meth:`evaluate`; ``record_span_inputs`` adds ``span_inputs``: per span (signal, total) W at the
        fiber input after the input connector."""
        state = state or LineState(1)
        spans_in = []
        s = state.n_samples
        si = self.transmitter(s, state.tx_power_offset_db, state.channel_on)
        n_nominal = self.plan.n_channels
        powers = [lin2db(si.total_w * 1e3)]
        osnrs = [self._osnr01(si, self.plan.tx_osnr_db)]
        k_span = k_amp = 0
        for e in self.elements:
            if isinstance(e, Fiber):
                el = None if state.span_extra_loss_db is None else state.span_extra_loss_db[:, k_span]
                pos = None if state.tap_position_km is None else state.tap_position_km[:, k_span]
                if record_span_inputs:
                    sc = si.scaled(db2lin(-(e.con_in_db + e.att_in_db)))
                    spans_in.append((sc.signal_w, sc.total_w))
                si = e(si, el, pos)
                k_span += 1
            elif isinstance(e, Edfa):
                powers.append(lin2db(si.total_w * 1e3))
                osnrs.append(self._osnr01(si, self.plan.tx_osnr_db))
                go = None if state.amp_gain_offset_db is None else state.amp_gain_offset_db[:, k_amp]
                si = e(si, go, n_nominal=n_nominal)
                powers.append(lin2db(si.total_w * 1e3))
                osnrs.append(self._osnr01(si, self.plan.tx_osnr_db))
                k_amp += 1
            elif isinstance(e, (Voa, Roadm)):
                si = e(si)
            else:  # pragma: no cover - topology loader rejects unknown types
                raise TypeError(f"unknown element {e!r}")
        rx = self.receiver(si)
        powers.append(lin2db(si.total_w * 1e3))
        osnrs.append(rx["osnr_db"])
        rx["mon_power_dbm"] = np.stack(powers)
        rx["mon_osnr_db"] = np.stack(osnrs)
        rx["signal_dbm"] = rx["power_dbm"]
        if record_span_inputs:
            rx["span_inputs"] = spans_in
        return rx

    @staticmethod
    def _osnr01(si, tx_osnr_db: float) -> np.ndarray:
        """OSNR in 0.1 nm including the transmitter OSNR (what an in-line OPM would read)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = si.ase_w / si.signal_w * REF_BW_HZ / si.baud_rate_hz[None, :] + 10 ** (-tx_osnr_db / 10)
            return -lin2db(inv)


def _config_key(objs) -> tuple:
    """Cheap identity of the elements' public parameters (arrays by their bytes)."""
    return tuple(_key_of(v) for o in objs for k, v in vars(o).items() if not k.startswith("_"))


def _key_of(v, depth: int = 0):
    """Hashable identity of one parameter value without printing arrays (``repr`` of an object
    holding arrays formats every element, which cost ~10 % of a 10,000-sample line evaluation)."""
    if isinstance(v, np.ndarray):
        return v.dtype.str, v.shape, v.tobytes()
    if v is None or isinstance(v, (bool, int, float, str, np.generic)):
        return v
    if isinstance(v, (list, tuple)):
        return tuple(_key_of(x, depth + 1) for x in v)
    if isinstance(v, dict):
        return tuple((k, _key_of(x, depth + 1)) for k, x in sorted(v.items(), key=lambda kv: str(kv[0])))
    if depth < 4 and hasattr(v, "__dict__"):
        return type(v).__name__, tuple((k, _key_of(x, depth + 1)) for k, x in vars(v).items() if not k.startswith("_"))
    return repr(v)
