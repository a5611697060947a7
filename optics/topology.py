"""Build a :class:`Line` from a networkx graph or from GNPy topology + equipment JSON.

Graph convention: each node is a uid with attributes ``type`` (Transceiver, Fiber, Edfa, Roadm,
Voa, Fused) and ``params``/``operational`` dicts in GNPy's JSON vocabulary (length in km,
loss_coef dB/km, con_in/con_out dB, gain_target dB, ...). What the GNPy equipment JSON does not give
comes from the default entries of our equipment library (data/optics/equipment.json).
With a GNPy equipment file, ``load_gnpy_line`` designs the network by GNPy's rules first (:mod:`design`).
Errors name file and field.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from .design import design_network, nf_model_of, route
from .elements import Edfa, Fiber, Roadm, Transmitter, Voa
from .equipment import equipment
from .errors import OpticsInputError
from .gnpy_import import FUSED_LOSS_DB, GnpyEquipment, load_equipment_file, read_topology
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
                            power_dbm=_first(si.get("tx_power_dbm"), si.get("power_dbm"), grid["power_dbm"]),
                            tx_osnr_db=si.get("tx_osnr", trx["tx_osnr_db"]))


def _first(*values):
    """The first value that is not None (GNPy: null means default)."""
    return next(v for v in values if v is not None)


def _fiber(uid, node, eqpt, src) -> Fiber:
    p = node.get("params")
    if p is None:
        raise OpticsInputError(src, f"elements[{uid}].params", "missing (Fiber needs length and loss_coef)")
    for key in ("length", "loss_coef"):
        if p.get(key) is None:
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
    loss = {k: _num(src, f"elements[{uid}].params.{k}", _first(p.get(k), span.get(k), 0), nonneg=True)
            for k in ("con_in", "con_out", "att_in")}  # null: the Span default (0 for att_in)
    return Fiber(uid=uid, length_km=length,
                 loss_db_km=_num(src, f"elements[{uid}].params.loss_coef", p["loss_coef"], nonneg=True),
                 con_in_db=loss["con_in"], con_out_db=loss["con_out"], att_in_db=loss["att_in"],
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
                target_pch_out_dbm=float(_first(op.get("target_pch_out_dbm"), 0.0)))


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
            elems.append(Roadm(uid, _first(p.get("target_pch_out_db"), r.get("target_pch_out_db"),
                                           lib["target_pch_out_dbm"]),
                               _first(r.get("add_drop_osnr"), lib["add_drop_osnr_db"]),
                               loss_db=_num(src, f"elements[{uid}].params.loss", _first(p.get("loss"), 0),
                                            nonneg=True)))
        elif t in ("Voa", "Fused"):
            p = d.get("params") or {}
            default = FUSED_LOSS_DB if t == "Fused" else 0.0
            elems.append(Voa(uid, _num(src, f"elements[{uid}].params.loss", _first(p.get("loss"), default),
                                       nonneg=True)))
        elif t == "Transceiver":
            raise OpticsInputError(src, f"elements[{uid}]", "transceiver in the middle of the path")
    # add/drop OSNR: charged by the ROADMs next to the transceivers only, add_drop_osnr + 3 dB each (GNPy)
    ends = [e for e in (elems[:1] + elems[-1:] if len(elems) > 1 else elems) if isinstance(e, Roadm)]
    extra = tuple(e.add_drop_osnr_db + 10 * np.log10(2) for e in ends)
    return Line(Transmitter(plan_from_equipment(eqpt)), elems,
                Receiver(modulation=modulation, extra_osnr_db=extra), name=f"{source}->{destination}")


def _roadm_impairment(spec: dict, path_type: str, key: str):
    """First value of ``key`` for ``path_type`` ('express', 'add', 'drop') in a ROADM's path impairments."""
    for imp in spec.get("roadm-path-impairments") or []:
        for item in imp.get(f"roadm-{path_type}-path") or []:
            if item.get(key) is not None:
                return float(item[key])
    return None


def line_from_design(g: nx.DiGraph, path: list[str], eq: GnpyEquipment, modulation="DP-QPSK") -> Line:
    """Line along ``path`` (element uids, transceiver to transceiver) of a designed graph (:mod:`design`).
    A ROADM charges its add (path from a transceiver) or drop (path to one) OSNR; without path impairments
    that is ``add_drop_osnr`` + 3 dB each, so add + drop together give ``add_drop_osnr`` (GNPy's rule)."""
    src = g.graph["src"]
    elems, extra = [], []
    for prev, uid, nxt in zip(path[:-2], path[1:-1], path[2:]):
        d = g.nodes[uid]
        t = d["type"]
        if t == "Fiber":
            elems.append(_fiber(uid, d, eq.raw, src))
        elif t == "Fused":
            elems.append(Voa(uid, d["params"]["loss"]))
        elif t == "Edfa":
            in_voa = float(d["operational"].get("in_voa") or 0.0)
            if in_voa:  # GNPy attenuates before amplifying
                elems.append(Voa(f"{uid} in_voa", in_voa))
            elems.append(Edfa(uid=uid, gain_db=d["gain_db"], nf_db=d["nf_db"], nf_model=nf_model_of(eq, d["variety"]),
                              p_max_dbm=eq.amp_limits(d["variety"])["p_max"], tilt_db=d["tilt_db"],
                              out_voa_db=d["out_voa_db"], mode="gain"))
        elif t == "Roadm":
            kind = "add" if g.nodes[prev]["type"] == "Transceiver" else \
                "drop" if g.nodes[nxt]["type"] == "Transceiver" else "express"
            spec = d["spec"]
            loss = d["loss_db"] + (_roadm_impairment(spec, kind, "roadm-maxloss") or 0.0)
            osnr = None
            if kind != "express":
                osnr = _roadm_impairment(spec, kind, "roadm-osnr")
                osnr = float(spec["add_drop_osnr"]) + 10 * np.log10(2) if osnr is None else osnr
                extra.append(osnr)
            target = d["degree_dbm"][nxt] if kind != "drop" else d["default_dbm"]
            if target is None:
                raise OpticsInputError(src, f"elements[{uid}].params.target_pch_out_db", "no target power")
            elems.append(Roadm(uid, target, osnr if osnr is not None else np.inf, loss_db=loss))
        else:
            raise OpticsInputError(src, f"elements[{uid}]", f"{t} in the middle of the path")
    return Line(Transmitter(plan_from_equipment(eq.raw)), elems,
                Receiver(modulation=modulation, extra_osnr_db=tuple(extra)), name=f"{path[0]}->{path[-1]}")


def designed_path(topology_json, equipment_json, source=None, destination=None, path=None):
    """(designed graph, path, equipment) for a GNPy topology + equipment file (GNPy's design and routing)."""
    eq = load_equipment_file(equipment_json)
    g = design_network(read_topology(topology_json, eq), eq)
    if path is None:
        trx = [u for u, d in g.nodes(data=True) if d["type"] == "Transceiver"]
        if len(trx) < 2:
            raise OpticsInputError(str(topology_json), "elements", "need at least two Transceiver elements")
        path = route(g, source or trx[0], destination or trx[-1])
    return g, list(path), eq


def load_gnpy_line(topology_json, equipment_json=None, source=None, destination=None, path=None,
                   modulation="DP-QPSK") -> Line:
    """Line from a GNPy topology file. With an equipment file the network is designed as GNPy does (amplifier
    insertion, fibre splitting, gains, types) and routed by fibre length (or along ``path``, element uids);
    without one, the elements are taken as written (gains from the topology, library defaults)."""
    if equipment_json is not None:
        g, p, eq = designed_path(topology_json, equipment_json, source, destination, path)
        return line_from_design(g, p, eq, modulation)
    g = read_topology(topology_json)
    return line_from_graph(g, None, source, destination, src=str(topology_json), modulation=modulation)
