"""Read GNPy topology and equipment JSON the way GNPy does (no GNPy needed at runtime).

Nulls mean "use the default": a ``null`` connector loss takes the equipment's ``Span`` value, a Fused element
without a loss has GNPy's 1 dB, a ROADM takes its ``type_variety`` entry (``default`` when absent) and may
override the target power, per-degree targets and loss in its ``params``. Amplifier models: ``variable_gain``,
``fixed_gain`` and ``dual_stage`` (a preamp of either kind before a variable-gain booster). Raman fibres,
multiband amplifiers, OpenROADM and ``advanced_model`` amplifiers and non-JSON files are refused with one
error naming the element and the file. Units: lengths km, losses dB, powers dBm, frequencies Hz.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx

from .errors import OpticsFileNotFound, OpticsInputError

SPAN_DEFAULTS = {"power_mode": True, "delta_power_range_db": None, "max_fiber_lineic_loss_for_raman": 0.25,
                 "target_extended_gain": 2.5, "max_length": 150, "length_units": "km", "padding": 10, "EOL": 0,
                 "con_in": 0, "con_out": 0, "span_loss_ref": 20.0, "power_slope": 0.3, "voa_margin": 1,
                 "voa_step": 0.5}  # GNPy's defaults for a Span entry
ROADM_DEFAULTS = {"target_pch_out_db": None, "target_psd_out_mWperGHz": None, "add_drop_osnr": 100,
                  "restrictions": {"preamp_variety_list": [], "booster_variety_list": []}}
FUSED_LOSS_DB = 1.0  # GNPy's loss of a Fused element that gives none
SUPPORTED_TYPES = ("Transceiver", "Fiber", "Edfa", "Roadm", "Fused")
UNSUPPORTED_TYPES = {"RamanFiber": "Raman fibre", "Multiband_amplifier": "multiband amplifier"}
AMP_MODELS = ("variable_gain", "fixed_gain", "dual_stage")


def read_json(path) -> dict:
    """A JSON object from ``path``; a missing, non-JSON (e.g. ``.xls``) or non-object file is one error."""
    p = Path(path)
    if not p.exists():
        raise OpticsFileNotFound(f"{p}: file not found")
    if p.suffix.lower() in (".xls", ".xlsx", ".csv"):
        raise OpticsInputError(p, "<file>", f"{p.suffix} spreadsheets are not read; convert it to GNPy JSON "
                                            "first (GNPy's convert tool)")
    try:
        data = json.loads(p.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise OpticsInputError(p, "<json>", f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise OpticsInputError(p, "<json>", "expected a JSON object")
    return data


def _merged(defaults: dict, given: dict | None) -> dict:
    """``defaults`` updated by the non-null values of ``given``."""
    out = dict(defaults)
    out.update({k: v for k, v in (given or {}).items() if v is not None})
    return out


AMP_FIELDS = {"variable_gain": ("gain_min", "gain_flatmax", "p_max", "nf_min", "nf_max"),
              "fixed_gain": ("gain_min", "gain_flatmax", "p_max", "nf0"), "dual_stage": ("gain_min",)}


def check_numbers(src, where: str, d: dict, keys, required: bool = False) -> None:
    """Each of ``keys`` in ``d`` is a finite number (or null / absent unless ``required``): else one error."""
    for k in keys:
        v = d.get(k)
        if v is None and not required:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or v in (float("inf"), float("-inf")):
            raise OpticsInputError(src, f"{where}.{k}", f"expected a number, got {v!r}")


class GnpyEquipment:
    """GNPy equipment file: ``si``, ``span`` (dicts), ``roadm``, ``edfa``, ``fiber`` (dicts by type_variety)."""

    def __init__(self, data: dict, src: str):
        self.src = src
        self.raw = data
        si = (data.get("SI") or [{}])[0]
        check_numbers(src, "SI[0]", si, ("f_min", "f_max", "spacing", "baud_rate"), required=True)
        check_numbers(src, "SI[0]", si, ("power_dbm", "tx_power_dbm", "roll_off", "tx_osnr"))
        self.si = dict(si)
        if self.si.get("tx_power_dbm") is None and "power_dbm" in self.si:
            self.si["tx_power_dbm"] = self.si["power_dbm"]
        self.span = _merged(SPAN_DEFAULTS, (data.get("Span") or [{}])[0])
        check_numbers(src, "Span[0]", self.span, ("max_fiber_lineic_loss_for_raman", "target_extended_gain",
                                                  "max_length", "padding", "EOL", "con_in", "con_out",
                                                  "span_loss_ref", "power_slope", "voa_margin", "voa_step"))
        self.roadm = {}
        for r in data.get("Roadm") or []:
            self.roadm[r.get("type_variety") or "default"] = _merged(ROADM_DEFAULTS, r)
        self.fiber = {f.get("type_variety"): f for f in data.get("Fiber") or []}
        self.edfa = {a.get("type_variety"): a for a in data.get("Edfa") or []}
        self._design = None

    def amp(self, variety: str, where: str, src: str | None = None) -> dict:
        """The amplifier entry ``variety``; unknown or unsupported (OpenROADM, advanced, multiband models, a
        dual stage without a variable-gain booster) is one error naming ``src`` (the topology) and ``where``."""
        src = src or self.src
        a = self.edfa.get(variety)
        if a is None:
            raise OpticsInputError(src, where, f"amplifier {variety!r} not in equipment file {self.src}")
        t = a.get("type_def")
        if t not in AMP_MODELS:
            raise OpticsInputError(src, where, f"amplifier {variety!r} (equipment file {self.src}) has model "
                                               f"{t!r}: not supported (supported: {', '.join(AMP_MODELS)})")
        check_numbers(src, f"{where} (equipment Edfa[{variety}])", a, AMP_FIELDS[t], required=True)
        if t == "dual_stage":
            pre, boo = self.edfa.get(a.get("preamp_variety")), self.edfa.get(a.get("booster_variety"))
            if pre is None or boo is None or pre.get("type_def") not in ("variable_gain", "fixed_gain") \
                    or boo.get("type_def") != "variable_gain":
                raise OpticsInputError(src, where, f"dual-stage amplifier {variety!r} (equipment file {self.src}):"
                                                   " needs a known preamp and a variable_gain booster")
        return a

    def amp_limits(self, variety: str) -> dict:
        """gain_min, gain_flatmax, p_max (dB, dB, dBm) of an amplifier (dual stage: GNPy's combination)."""
        a = self.edfa[variety]
        if a.get("type_def") == "dual_stage":
            pre, boo = self.edfa[a["preamp_variety"]], self.edfa[a["booster_variety"]]
            return {"gain_min": float(a["gain_min"]), "gain_flatmax": float(pre["gain_flatmax"] + boo["gain_flatmax"]),
                    "p_max": float(boo["p_max"]), "raman": bool(a.get("raman", False))}
        return {"gain_min": float(a["gain_min"]), "gain_flatmax": float(a["gain_flatmax"]),
                "p_max": float(a["p_max"]), "raman": bool(a.get("raman", False))}

    def design_amps(self) -> list[str]:
        """Amplifiers GNPy may choose by itself (``allowed_for_design``, supported models only; each checked)."""
        if self._design is None:
            self._design = [n for n, a in self.edfa.items()
                            if a.get("allowed_for_design") and a.get("type_def") in AMP_MODELS]
            for n in self._design:
                self.amp(n, f"Edfa[{n}]")
        return list(self._design)

    def roadm_spec(self, variety: str | None, where: str, src: str | None = None) -> dict:
        v = variety or "default"
        if v not in self.roadm:
            raise OpticsInputError(src or self.src, where, f"ROADM type_variety {v!r} not in equipment file "
                                                           f"{self.src}")
        return self.roadm[v]


def load_equipment_file(path) -> GnpyEquipment:
    return GnpyEquipment(read_json(path), str(path))


def _length_km(src, uid, p) -> float:
    try:
        length = float(p["length"])
    except (KeyError, TypeError, ValueError):
        raise OpticsInputError(src, f"elements[{uid}].params.length", f"expected a number, got "
                                                                      f"{p.get('length')!r}") from None
    if not length > 0:
        raise OpticsInputError(src, f"elements[{uid}].params.length", f"must be > 0, got {length}")
    return length / 1e3 if p.get("length_units", "km") in ("m", "meter", "meters") else length


def read_topology(path, eqpt: GnpyEquipment | None = None) -> nx.DiGraph:
    """networkx DiGraph of a GNPy topology file: node = uid, attributes ``type``, ``type_variety``, ``params``,
    ``operational`` (GNPy vocabulary; nulls kept, resolved by the design); edge attribute ``weight`` as
    GNPy routes (a fibre's outgoing edge weighs its length in m, any other 0.01)."""
    src = str(path)
    topo = read_json(path)
    for key in ("elements", "connections"):
        if not isinstance(topo.get(key), list):
            raise OpticsInputError(src, key, "missing")
    g = nx.DiGraph()
    for i, el in enumerate(topo["elements"]):
        if not isinstance(el, dict) or "uid" not in el:
            raise OpticsInputError(src, f"elements[{i}].uid", "missing")
        uid, t = el["uid"], el.get("type")
        if t is None:
            raise OpticsInputError(src, f"elements[{uid}].type", "missing")
        if t in UNSUPPORTED_TYPES:
            raise OpticsInputError(src, f"elements[{uid}].type", f"{t} ({UNSUPPORTED_TYPES[t]}) is not supported "
                                                                 f"by codesign.optics (element {uid!r})")
        if t not in SUPPORTED_TYPES:
            raise OpticsInputError(src, f"elements[{uid}].type",
                                   f"unknown element {t!r}; expected one of {SUPPORTED_TYPES}")
        node = {"type": t, "type_variety": el.get("type_variety"), "params": dict(el.get("params") or {}),
                "operational": dict(el.get("operational") or {})}
        where = f"elements[{uid}]"
        if t == "Fiber":
            p = node["params"]
            if "loss_coef" not in p or p["loss_coef"] is None:
                raise OpticsInputError(src, f"{where}.params.loss_coef", "missing")
            p["length"] = _length_km(src, uid, p)
            p["length_units"] = "km"
            check_numbers(src, f"{where}.params", p, ("loss_coef", "con_in", "con_out", "att_in", "pmd_coef"))
        check_numbers(src, f"{where}.params", node["params"], ("loss", "target_pch_out_db",
                                                               "target_psd_out_mWperGHz"))
        check_numbers(src, f"{where}.operational", node["operational"], ("gain_target", "delta_p", "tilt_target",
                                                                         "out_voa", "in_voa"))
        if t == "Edfa" and eqpt is not None and node["type_variety"] not in (None, "", "default"):
            eqpt.amp(node["type_variety"], f"elements[{uid}].type_variety", src)
        if t == "Roadm" and eqpt is not None:
            eqpt.roadm_spec(node["type_variety"], f"elements[{uid}].type_variety", src)
        g.add_node(uid, **node)
    for i, c in enumerate(topo["connections"]):
        for key in ("from_node", "to_node"):
            if not isinstance(c, dict) or c.get(key) not in g:
                raise OpticsInputError(src, f"connections[{i}].{key}",
                                       f"unknown element {c.get(key) if isinstance(c, dict) else c!r}")
        a = c["from_node"]
        w = g.nodes[a]["params"]["length"] * 1e3 if g.nodes[a]["type"] == "Fiber" else 0.01
        g.add_edge(a, c["to_node"], weight=w)
    g.graph["src"] = src
    return g
