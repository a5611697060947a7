"""Build a :class:`Line` from a networkx graph or from GNPy topology + equipment JSON.

Graph convention: each node is a uid with attributes ``type`` (Transceiver, Fiber, Edfa, Roadm,
Voa, Fused) and ``params``/``operational`` dicts in GNPy's JSON vocabulary (length in km,
loss_coef dB/km, con_in/con_out dB, gain_target dB, ...). What the GNPy equipment JSON does not give
comes from the default entries of our equipment library (data/optics/equipment.json).
Errors name file and field.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx

from .elements import Edfa, Fiber, Roadm, Transmitter, Voa
from .equipment import equipment
from .errors import OpticsFileNotFound, OpticsInputError
from .line import Line
from .receiver import Receiver
from .spectrum import ChannelPlan

KNOWN_TYPES = ("Transceiver", "Fiber", "Edfa", "Roadm", "Voa", "Fused")


def _num(src, field, value, positive=False, nonneg=False):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise OpticsInputError(src, field, f"expected a number, got {value!r}") from None
    if positive and not v > 0:
        raise OpticsInputError(src, field, f"must be > 0, got {v}")
    if nonneg and v < 0:
        raise OpticsInputError(src, field, f"must be >= 0, got {v}")
    return v


def _read_json(path) -> dict:
    p = Path(path)
    if not p.exists():
        raise OpticsFileNotFound(f"{p}: file not found")
    try:
        return json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise OpticsInputError(p, "<json>", f"not valid JSON ({exc})") from None


def plan_from_equipment(eqpt: dict | None) -> ChannelPlan:
    """Channel plan from the GNPy equipment's ``SI`` entry (library grid and transceiver mode where absent)."""
    si = (eqpt or {}).get("SI", [{}])[0]
    lib = equipment()
    grid, trx = lib.default("SI"), lib.default("Transceiver")
    return ChannelPlan.grid(f_min_hz=si.get("f_min", grid["f_min_thz"] * 1e12),
                            f_max_hz=si.get("f_max", grid["f_max_thz"] * 1e12),
                            spacing_hz=si.get("spacing", grid["spacing_ghz"] * 1e9),
                            baud_rate_hz=si.get("baud_rate", trx["baud_rate_gbd"] * 1e9),
                            roll_off=si.get("roll_off", trx["roll_off"]),
                            power_dbm=si.get("power_dbm", grid["power_dbm"]),
                            tx_osnr_db=si.get("tx_osnr", trx["tx_osnr_db"]))


def _fiber(uid, node, eqpt, src) -> Fiber:
    p = node.get("params")
    if p is None:
        raise OpticsInputError(src, f"elements[{uid}].params", "missing (Fiber needs length and loss_coef)")
    for key in ("length", "loss_coef"):
        if key not in p:
            raise OpticsInputError(src, f"elements[{uid}].params.{key}", "missing")
    length = _num(src, f"elements[{uid}].params.length", p["length"], positive=True)
    if p.get("length_units", "km") in ("m", "meter", "meters"):
        length /= 1e3
    fib = {}
    for f in (eqpt or {}).get("Fiber", []):
        if f.get("type_variety") == node.get("type_variety"):
            fib.update(f)
    lib = equipment().default("Fiber")  # where neither the element nor the GNPy equipment gives a value
    disp = float(fib["dispersion"]) * 1e6 if "dispersion" in fib else lib["dispersion_ps_nm_km"]  # s/m^2 -> ps/(nm km)
    area = float(fib["effective_area"]) * 1e12 if "effective_area" in fib else lib["effective_area_um2"]
    pmd = p.get("pmd_coef", fib.get("pmd_coef"))
    pmd = float(pmd) * 1e12 * 1e3 ** 0.5 if pmd is not None else lib["pmd_ps_sqrt_km"]  # s/sqrt(m) -> ps/sqrt(km)
    span = ((eqpt or {}).get("Span") or [{}])[0]
    return Fiber(uid=uid, length_km=length,
                 loss_db_km=_num(src, f"elements[{uid}].params.loss_coef", p["loss_coef"], nonneg=True),
                 con_in_db=_num(src, f"elements[{uid}].params.con_in", p.get("con_in", span.get("con_in", 0)), nonneg=True),
                 con_out_db=_num(src, f"elements[{uid}].params.con_out", p.get("con_out", span.get("con_out", 0)), nonneg=True),
                 att_in_db=_num(src, f"elements[{uid}].params.att_in", p.get("att_in", 0), nonneg=True),
                 dispersion_ps_nm_km=disp, effective_area_um2=area, pmd_ps_sqrt_km=pmd)


def _edfa(uid, node, eqpt, src, prev_loss_db) -> Edfa:
    op = node.get("operational") or {}
    variety = node.get("type_variety")
    spec = None
    for a in (eqpt or {}).get("Edfa", []):
        if a.get("type_variety") == variety:
            spec = a
    if variety is not None and eqpt is not None and spec is None:
        raise OpticsInputError(src, f"elements[{uid}].type_variety", f"amplifier {variety!r} not in equipment")
    lib = equipment().default("Edfa")  # no GNPy amplifier named: the library's default amplifier
    spec = spec or {"type_def": "fixed_gain", "nf0": lib["nf_db"], "p_max": lib["p_max_dbm"]}
    gain = op.get("gain_target")
    gain = prev_loss_db if gain is None else _num(src, f"elements[{uid}].operational.gain_target", gain)
    nf_model, nf = None, lib["nf_db"]
    if spec.get("type_def") == "variable_gain":
        nf_model = dict(gain_min_db=spec["gain_min"], gain_max_db=spec["gain_flatmax"],
                        nf_min_db=spec["nf_min"], nf_max_db=spec["nf_max"])
    elif spec.get("type_def") == "fixed_gain":
        nf = spec.get("nf0", lib["nf_db"])
    else:
        raise OpticsInputError(src, f"elements[{uid}].type_variety",
                               f"amplifier model {spec.get('type_def')!r} not supported (variable_gain, fixed_gain)")
    return Edfa(uid=uid, gain_db=float(gain), nf_db=nf, nf_model=nf_model,
                p_max_dbm=spec.get("p_max", lib["p_max_dbm"]),
                tilt_db=float(op.get("tilt_target", 0) or 0), out_voa_db=float(op.get("out_voa", 0) or 0),
                mode=op.get("mode", "gain"),
                target_pch_out_dbm=float(op.get("target_pch_out_dbm", 0.0)))


def line_from_graph(g: nx.DiGraph, eqpt: dict | None = None, source: str | None = None,
                    destination: str | None = None, src: str = "<graph>", modulation="DP-QPSK") -> Line:
    """Line along the path between two Transceiver nodes of a networkx graph."""
    if g.number_of_nodes() == 0:
        raise OpticsInputError(src, "elements", "empty topology")
    for uid, d in g.nodes(data=True):
        if d.get("type") not in KNOWN_TYPES:
            raise OpticsInputError(src, f"elements[{uid}].type",
                                   f"unknown element {d.get('type')!r}; expected one of {KNOWN_TYPES}")
    if not nx.is_weakly_connected(g):
        parts = [sorted(c)[:3] for c in nx.weakly_connected_components(g)]
        raise OpticsInputError(src, "connections", f"graph is disconnected: components {parts}")
    trx = [u for u, d in g.nodes(data=True) if d["type"] == "Transceiver"]
    if len(trx) < 2:
        raise OpticsInputError(src, "elements", "need at least two Transceiver elements")
    source = source or trx[0]
    destination = destination or trx[-1]
    try:
        path = nx.shortest_path(g, source, destination)
    except (nx.NetworkXNoPath, nx.NodeNotFound) as exc:
        raise OpticsInputError(src, "connections", f"no path {source} -> {destination} ({exc})") from None
    elems, prev_loss = [], 20.0
    for uid in path[1:-1]:
        d = g.nodes[uid]
        t = d["type"]
        if t == "Fiber":
            f = _fiber(uid, d, eqpt, src)
            prev_loss = f.loss_db
            elems.append(f)
        elif t == "Edfa":
            elems.append(_edfa(uid, d, eqpt, src, prev_loss))
        elif t == "Roadm":
            r = ((eqpt or {}).get("Roadm") or [{}])[0]
            p = d.get("params") or {}
            lib = equipment().default("Roadm")
            elems.append(Roadm(uid, p.get("target_pch_out_db", r.get("target_pch_out_db", lib["target_pch_out_dbm"])),
                               r.get("add_drop_osnr", lib["add_drop_osnr_db"])))
        elif t in ("Voa", "Fused"):
            p = d.get("params") or {}
            elems.append(Voa(uid, _num(src, f"elements[{uid}].params.loss", p.get("loss", 0), nonneg=True)))
        elif t == "Transceiver":
            raise OpticsInputError(src, f"elements[{uid}]", "transceiver in the middle of the path")
    extra = tuple(e.add_drop_osnr_db for e in elems if isinstance(e, Roadm))
    return Line(Transmitter(plan_from_equipment(eqpt)), elems,
                Receiver(modulation=modulation, extra_osnr_db=extra), name=f"{source}->{destination}")


def graph_from_gnpy_json(topo: dict, src: str) -> nx.DiGraph:
    """networkx DiGraph from GNPy topology JSON (``elements`` + ``connections``)."""
    for key in ("elements", "connections"):
        if key not in topo:
            raise OpticsInputError(src, key, "missing")
    g = nx.DiGraph()
    for i, el in enumerate(topo["elements"]):
        if "uid" not in el:
            raise OpticsInputError(src, f"elements[{i}].uid", "missing")
        if "type" not in el:
            raise OpticsInputError(src, f"elements[{el['uid']}].type", "missing")
        g.add_node(el["uid"], **el)
    for i, c in enumerate(topo["connections"]):
        for key in ("from_node", "to_node"):
            if c.get(key) not in g:
                raise OpticsInputError(src, f"connections[{i}].{key}", f"unknown element {c.get(key)!r}")
        g.add_edge(c["from_node"], c["to_node"])
    return g


def load_gnpy_line(topology_json, equipment_json=None, source=None, destination=None, **kw) -> Line:
    """Line from a GNPy topology file (and optional equipment file)."""
    topo = _read_json(topology_json)
    eqpt = _read_json(equipment_json) if equipment_json else None
    g = graph_from_gnpy_json(topo, str(topology_json))
    return line_from_graph(g, eqpt, source, destination, src=str(topology_json), **kw)
