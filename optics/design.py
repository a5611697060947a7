"""Network design by GNPy's rules (``design_network``) for EDFA lines, on a graph from :mod:`gnpy_import`.

Steps (each written from GNPy's documented behaviour, not its code):
1. fibres longer than ``Span.max_length`` are split into equal spans (target ~90 km, bounds
   [max(padding/0.2 dB/km, 50 km), max_length]); 2. every ROADM degree facing a fibre gets a preamplifier
   and a booster, and every fibre followed by a fibre gets an in-line amplifier; 3. null connector losses take
   the ``Span`` values (plus ``EOL`` at the output unless a Fused follows) and spans below ``padding`` get an
   input attenuator; 4. ROADM degrees get their target power (per degree, else the ROADM's, else the equipment
   entry's); 5. walking each OMS from its ROADM/transceiver, every amplifier gets
   ``delta_p`` = round((span_loss - span_loss_ref) * power_slope, step) clipped to ``delta_power_range_db``
   (power mode; 0 before a ROADM; the element's own ``delta_p`` wins) and gain = loss before it + delta_p -
   previous delta_p (gain mode: the topology's gain), limited by P_max; an amplifier without a type gets the one
   of lowest NF among those meeting gain (>= gain_min - 3 dB; Raman hybrids only after a fibre below
   ``max_fiber_lineic_loss_for_raman`` and without the 3 dB) and power (P_max and gain_flatmax +
   ``target_extended_gain``), else the most powerful (within 0.3 dB).
Units: dB, dBm, km.
"""

from __future__ import annotations

import math

import networkx as nx

from .elements import variable_gain_nf_db
from .errors import OpticsInputError
from .gnpy_import import FUSED_LOSS_DB, GnpyEquipment


def _lin2db(x):
    return 10 * math.log10(x)


def _round_step(x: float, step: float) -> float:
    step = max(round(step, 2), 0.01)
    return round(x / step) * step


def fiber_loss(p: dict) -> float:
    return p["loss_coef"] * p["length"] + p["con_in"] + p["con_out"] + p.get("att_in", 0.0)


def node_loss(g, u) -> float:
    d = g.nodes[u]
    if d["type"] == "Fiber":
        return fiber_loss(d["params"])
    if d["type"] == "Fused":
        return d["params"]["loss"]
    return 0.0


def _succ(g, u):
    return next(iter(g.successors(u)), None)


def _pred(g, u):
    return next(iter(g.predecessors(u)), None)


def _chain(g, u, step):
    """Fused/Fiber neighbours glued to u by Fused elements (GNPy's prev/next node generators)."""
    out, cur = [], u
    while True:
        n = step(g, cur)
        if n is None:
            return out
        a, b = g.nodes[cur]["type"], g.nodes[n]["type"]
        if (b == "Fused" and a in ("Fiber", "Fused")) or (a == "Fused" and b in ("Fiber", "Fused")):
            out.append(n)
            cur = n
        else:
            return out


def span_loss(g, u) -> float:
    """Loss of the span (fibres and fused elements glued together) containing u, dB."""
    d = g.nodes[u]
    if "design_span_loss" in d:
        return d["design_span_loss"]
    loss = node_loss(g, u) if d["type"] in ("Fiber", "Fused", "Roadm") else 0.0
    return loss + sum(node_loss(g, n) for n in _chain(g, u, _pred) + _chain(g, u, _succ))


def _new_length(length, lo, hi, target):
    """(span length, count) for a fibre of ``length`` km (GNPy's split rule)."""
    if length < hi:
        return length, 1
    n2 = int(length // target)
    n1 = n2 + 1
    l1, l2 = length / n1, length / n2
    in1, in2 = lo <= l1 <= hi, lo <= l2 <= hi
    if in1 and not in2:
        return l1, n1
    if in2 and not in1:
        return l2, n2
    if l2 - target <= target - l1 and l2 <= hi:
        return l2, n2
    return l1, n1


def _insert(g, a, b, uid, kind="Edfa"):
    w = g.edges[a, b]["weight"]
    g.remove_edge(a, b)
    g.add_node(uid, type=kind, type_variety=None, params={}, operational={"gain_target": None, "tilt_target": 0})
    g.add_edge(a, uid, weight=w)
    g.add_edge(uid, b, weight=0.01)


def add_missing_elements(g, eq: GnpyEquipment) -> None:
    """Split long fibres, add ROADM preamps/boosters and in-line amplifiers (in place)."""
    sp = eq.span
    max_len = float(sp["max_length"]) * (1e-3 if sp.get("length_units") in ("m", "meter", "meters") else 1.0)
    lo = max(float(sp["padding"]) / 0.2, 50.0)
    target = max(lo, min(max_len, 90.0))
    for u in [u for u, d in g.nodes(data=True) if d["type"] == "Fiber"]:
        p = g.nodes[u]["params"]
        length, n = _new_length(p["length"], lo, max_len, target)
        if n == 1:
            continue
        prev, nxt = _pred(g, u), _succ(g, u)
        if prev is None or nxt is None:
            raise OpticsInputError(g.graph["src"], f"elements[{u}]", "fibre is not connected on both ends")
        attrs = g.nodes[u]
        g.remove_node(u)
        for k in range(n):
            nu = f"{u}_({k + 1}/{n})"
            g.add_node(nu, **{**attrs, "params": {**attrs["params"], "length": length}})
            g.add_edge(prev, nu, weight=g.nodes[prev]["params"]["length"] * 1e3
                       if g.nodes[prev]["type"] == "Fiber" else 0.01)
            prev = nu
        g.add_edge(prev, nxt, weight=length * 1e3)
    skip = ("Transceiver", "Fused", "Edfa")
    for r in [u for u, d in g.nodes(data=True) if d["type"] == "Roadm"]:
        for p in [p for p in g.predecessors(r) if g.nodes[p]["type"] not in skip]:
            _insert(g, p, r, f"Edfa_preamp_{r}_from_{p}")
        for s in [s for s in g.successors(r) if g.nodes[s]["type"] not in skip]:
            _insert(g, r, s, f"Edfa_booster_{r}_to_{s}")
    for u in [u for u, d in g.nodes(data=True) if d["type"] == "Fiber"]:
        s = _succ(g, u)
        if s is not None and g.nodes[s]["type"] == "Fiber":
            _insert(g, u, s, f"Edfa_{u}")


def set_passive_losses(g, eq: GnpyEquipment) -> None:
    """Connector defaults (+ EOL), Fused default loss, fibre padding (in place)."""
    sp = eq.span
    for u, d in g.nodes(data=True):
        p = d["params"]
        if d["type"] == "Fused":
            p["loss"] = float(p["loss"]) if p.get("loss") is not None else FUSED_LOSS_DB
        if d["type"] == "Fiber":
            p["con_in"] = float(sp["con_in"] if p.get("con_in") is None else p["con_in"])
            p["con_out"] = float(sp["con_out"] if p.get("con_out") is None else p["con_out"])
            p["att_in"] = float(p.get("att_in") or 0.0)
            nxt = _succ(g, u)
            if nxt is None or g.nodes[nxt]["type"] != "Fused":
                p["con_out"] += float(sp["EOL"])
    for u in [u for u, d in g.nodes(data=True) if d["type"] == "Fiber"]:
        nxt = _succ(g, u)
        if nxt is not None and g.nodes[nxt]["type"] == "Fused":
            continue
        loss = span_loss(g, u)
        g.nodes[u]["design_span_loss"] = loss
        if loss < sp["padding"]:
            first = ([u] + _chain(g, u, _pred))[-1]
            if g.nodes[first]["type"] == "Fiber":
                g.nodes[first]["params"]["att_in"] += sp["padding"] - loss
                g.nodes[u]["design_span_loss"] += g.nodes[first]["params"]["att_in"]


def amp_nf_db(eq: GnpyEquipment, variety: str, gain_db: float) -> float:
    """Average NF (dB) of an amplifier type at ``gain_db`` (padding below gain_min adds to the NF)."""
    a = eq.edfa[variety]
    if a["type_def"] == "dual_stage":
        pre = eq.edfa[a["preamp_variety"]]
        g1 = float(pre["gain_flatmax"])
        nf1 = amp_nf_db(eq, a["preamp_variety"], g1)
        nf2 = amp_nf_db(eq, a["booster_variety"], gain_db - g1)
        return _lin2db(10 ** (nf1 / 10) + 10 ** ((nf2 - g1) / 10))
    pad = max(float(a["gain_min"]) - gain_db, 0.0)
    if a["type_def"] == "fixed_gain":
        return float(a["nf0"]) + pad
    return float(variable_gain_nf_db(gain_db, a["gain_min"], a["gain_flatmax"], a["nf_min"], a["nf_max"]))


def select_amp(eq: GnpyEquipment, names, gain, power, raman_ok, uid) -> tuple[str, float]:
    """(type_variety, power reduction dB) for an amplifier needing ``gain`` dB to reach ``power`` dBm total."""
    ext = float(eq.span["target_extended_gain"])
    pin = power - gain
    cands = []
    for n in names:
        lim = eq.amp_limits(n)
        if lim["raman"] and not raman_ok:
            continue
        pw = min(pin + lim["gain_flatmax"] + ext, lim["p_max"]) - power
        gm = gain - lim["gain_min"] + (0.0 if lim["raman"] else 3.0)
        cands.append((n, pw, gm, lim["raman"]))
    ok = [c for c in cands if c[2] > 0]
    if not ok:
        ok = [c for c in cands if not c[3]]
        if not ok:
            raise OpticsInputError(eq.src, f"Edfa[{uid}]", "no amplifier meets the minimum gain")
    fit = [c for c in ok if c[1] > 0]
    if not fit:
        best = max(c[1] for c in ok)
        fit = [c for c in ok if c[1] - best > -0.3]
    chosen = min(fit, key=lambda c: amp_nf_db(eq, c[0], gain))
    return chosen[0], min(chosen[1], 0.0)


def _target_dp(g, eq, u) -> float:
    if u is None or g.nodes[u]["type"] == "Roadm":
        return 0.0
    rng = eq.span["delta_power_range_db"]
    if not (isinstance(rng, (list, tuple)) and len(rng) == 3):
        raise OpticsInputError(eq.src, "Span.delta_power_range_db", "expected [lower, upper, step] in power mode")
    dp = _round_step((span_loss(g, u) - eq.span["span_loss_ref"]) * eq.span["power_slope"], rng[2])
    return min(max(dp, rng[0]), rng[1])


def _equalization_dbm(baud_hz: float, spacing_hz: float, power, psd, psw):
    """Target power (dBm per channel) from a power, a PSD (mW/GHz over the baud rate) or a power per slot
    width (mW/GHz over the spacing), whichever is given first; None if none."""
    if power is not None:
        return float(power)
    if psd is not None:
        return _lin2db(float(psd) * baud_hz / 1e9)
    if psw is not None:
        return _lin2db(float(psw) * spacing_hz / 1e9)
    return None


def roadm_degree_targets(g, eq: GnpyEquipment) -> None:
    """Target power (dBm per channel) of every ROADM: ``default_dbm`` and ``degree_dbm`` keyed by the egress
    element uid (per-degree power, PSD or power per slot width first, then the element's, then its entry's)."""
    baud, spacing = float(eq.si.get("baud_rate", 32e9)), float(eq.si.get("spacing", 50e9))
    for r, d in [(u, d) for u, d in g.nodes(data=True) if d["type"] == "Roadm"]:
        spec = eq.roadm_spec(d["type_variety"], f"elements[{r}].type_variety", g.graph["src"])
        p = d["params"]
        keys = ("target_pch_out_db", "target_psd_out_mWperGHz", "target_out_mWperSlotWidth")
        own = _equalization_dbm(baud, spacing, *(p.get(k) for k in keys))
        lib = _equalization_dbm(baud, spacing, *(spec.get(k) for k in keys))
        default = own if own is not None else lib
        per = [p.get(k) or {} for k in ("per_degree_pch_out_db", "per_degree_pch_psd", "per_degree_pch_psw")]
        degree = {}
        for s in g.successors(r):
            if g.nodes[s]["type"] == "Transceiver":
                continue
            t = _equalization_dbm(baud, spacing, *(x.get(s) for x in per))
            t = default if t is None else t
            if t is None:
                raise OpticsInputError(g.graph["src"], f"elements[{r}].params.target_pch_out_db",
                                       "no target power in the element or its equipment entry")
            degree[s] = t
        d.update(degree_dbm=degree, default_dbm=default, loss_db=float(p.get("loss") or 0.0), spec=spec)


def set_amplifiers(g, eq: GnpyEquipment) -> None:
    """Gain, delta_p, output VOA and type of every amplifier, OMS by OMS (in place)."""
    sp = eq.span
    power_mode = bool(sp["power_mode"])
    pref = float(eq.si.get("power_dbm") or 0.0)
    f_min, f_max, spacing = (float(eq.si[k]) for k in ("f_min", "f_max", "spacing"))
    nch = int(math.floor((f_max - f_min) / spacing + 1e-9)) + 1
    pref_tot = pref + _lin2db(nch)
    for start, sd in [(u, d) for u, d in g.nodes(data=True) if d["type"] in ("Roadm", "Transceiver")]:
        for first in g.successors(start):
            if g.nodes[first]["type"] == "Transceiver":
                continue
            tx = eq.si.get("tx_power_dbm")
            out = sd["degree_dbm"][first] if sd["type"] == "Roadm" else float(pref if tx is None else tx)
            prev_dp, prev_voa, prev, node = out - pref, 0.0, start, first
            seen = set()
            while node is not None and g.nodes[node]["type"] not in ("Roadm", "Transceiver"):
                if node in seen:
                    raise OpticsInputError(g.graph["src"], f"elements[{node}]", "loop in the topology")
                seen.add(node)
                nxt = _succ(g, node)
                if g.nodes[node]["type"] == "Edfa":
                    prev_dp, prev_voa = _set_amp(g, eq, node, prev, nxt, power_mode, prev_dp, prev_voa, pref,
                                                 pref_tot)
                prev, node = node, nxt


def _set_amp(g, eq, u, prev, nxt, power_mode, prev_dp, prev_voa, pref, pref_tot):
    d = g.nodes[u]
    op = d["operational"]
    sp = eq.span
    loss = span_loss(g, prev)
    voa = float(op.get("out_voa") or 0.0)
    in_voa = float(op.get("in_voa") or 0.0)
    dp = _target_dp(g, eq, nxt) + voa if op.get("delta_p") is None else float(op["delta_p"])
    if op.get("gain_target") is None or power_mode:
        gain = loss + dp - prev_dp + prev_voa + in_voa
    else:
        gain = float(op["gain_target"])
        dp = prev_dp - loss - prev_voa + gain - in_voa
    variety = d["type_variety"]
    if variety in (None, "", "default"):
        names = eq.design_amps()
        if g.nodes[prev]["type"] == "Roadm":
            names = g.nodes[prev]["spec"]["restrictions"].get("booster_variety_list") or names
        elif nxt is not None and g.nodes[nxt]["type"] == "Roadm":
            names = g.nodes[nxt]["spec"]["restrictions"].get("preamp_variety_list") or names
        for n in names:  # a ROADM's restriction list may name unknown or unsupported types
            eq.amp(n, f"elements[{u}] (amplifier type {n!r} allowed here)", g.graph["src"])
        raman_ok = g.nodes[prev]["type"] == "Fiber" and \
            g.nodes[prev]["params"]["loss_coef"] < float(sp["max_fiber_lineic_loss_for_raman"])
        variety, reduction = select_amp(eq, names, gain, pref_tot + dp, raman_ok, u)
    else:
        p_max = eq.amp_limits(variety)["p_max"]
        pout = pref_tot + dp if power_mode else pref_tot + prev_dp - loss - prev_voa + gain
        reduction = min(0.0, p_max - pout)
    dp += reduction
    gain += reduction
    lim = eq.amp_limits(variety)
    if op.get("out_voa") is None and power_mode and eq.edfa[variety].get("out_voa_auto"):
        v = min(lim["p_max"] - (pref_tot + dp), lim["gain_flatmax"] - gain)
        voa = max(_round_step(v, sp["voa_step"]) - sp["voa_margin"], 0.0)
        dp += voa
        gain += voa
    d.update(variety=variety, gain_db=gain, out_voa_db=voa, delta_p=dp, nf_db=amp_nf_db(eq, variety, gain),
             target_pch_out_dbm=pref + dp, tilt_db=float(op.get("tilt_target") or 0.0))
    return dp, voa


def design_network(g: nx.DiGraph, eq: GnpyEquipment, insert_amps: bool = True) -> nx.DiGraph:
    """A designed copy of the topology graph (GNPy's rules, see the module docstring)."""
    g = g.copy()
    for u in g.nodes:
        g.nodes[u]["params"] = dict(g.nodes[u]["params"])
        g.nodes[u]["operational"] = dict(g.nodes[u]["operational"])
    if insert_amps:
        add_missing_elements(g, eq)
    set_passive_losses(g, eq)
    roadm_degree_targets(g, eq)
    set_amplifiers(g, eq)
    return g


def route(g: nx.DiGraph, source: str, destination: str) -> list[str]:
    """Shortest path by GNPy's edge weights (fibre length), as element uids."""
    for end in (source, destination):
        if end not in g or g.nodes[end]["type"] != "Transceiver":
            raise OpticsInputError(g.graph["src"], "source/destination", f"{end!r} is not a Transceiver")
    try:
        return nx.dijkstra_path(g, source, destination, weight="weight")
    except nx.NetworkXNoPath:
        raise OpticsInputError(g.graph["src"], "connections", f"no path {source} -> {destination}") from None


def path_design(g: nx.DiGraph, path: list[str]) -> dict:
    """Designed amplifier settings along a path: uid -> (type, gain dB, target output dBm per channel)."""
    return {u: (g.nodes[u]["variety"], g.nodes[u]["gain_db"], g.nodes[u]["target_pch_out_dbm"])
            for u in path if g.nodes[u]["type"] == "Edfa"}


def nf_model_of(eq: GnpyEquipment, variety: str) -> dict | None:
    """Gain-dependent NF model for :class:`~codesign.optics.elements.Edfa` (None: fixed NF)."""
    a = eq.edfa[variety]
    if a["type_def"] == "fixed_gain":
        return None
    if a["type_def"] == "dual_stage":
        g1 = float(eq.edfa[a["preamp_variety"]]["gain_flatmax"])
        return {**nf_model_of(eq, a["booster_variety"]), "pre_gain_db": g1,
                "pre_nf_db": amp_nf_db(eq, a["preamp_variety"], g1)}
    return dict(gain_min_db=float(a["gain_min"]), gain_max_db=float(a["gain_flatmax"]),
                nf_min_db=float(a["nf_min"]), nf_max_db=float(a["nf_max"]))

