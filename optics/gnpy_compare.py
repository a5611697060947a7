"""Cross-check against GNPy (optional dependency ``gnpy``, imported lazily; never used by the simulator).

Both simulators read the same GNPy topology + equipment JSON files and each designs the network itself
(GNPy: ``design_network``; ours: :mod:`codesign.optics.design`). ``gain_mode_equipment`` switches GNPy's power
mode off so that both use the gains written in the topology.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from .equipment import equipment


def gnpy_example_dir() -> Path:
    import gnpy

    return Path(gnpy.__file__).parent / "example-data"


def gain_mode_equipment(out_path) -> Path:
    """Copy of GNPy's example equipment with Span.power_mode = false (gains from the topology)."""
    eq = json.loads((gnpy_example_dir() / "eqpt_config.json").read_text())
    eq["Span"][0]["power_mode"] = False
    Path(out_path).write_text(json.dumps(eq))
    return Path(out_path)


def write_chain_topology(path, lengths_km, amp_variety="std_medium_gain", con_db=None, loss_db_km=None) -> Path:
    """A point-to-point GNPy topology: Tx, then (Fiber, Edfa) per span, Rx; gains = span losses. Connector
    loss (dB, each end) and fiber loss (dB/km) default to the library's SSMF."""
    ssmf = equipment().get("Fiber", "SSMF")
    con_db = ssmf["con_in_db"] if con_db is None else con_db
    loss_db_km = ssmf["loss_db_km"] if loss_db_km is None else loss_db_km
    els = [{"uid": "TxA", "type": "Transceiver"}]
    for i, L in enumerate(lengths_km):
        els.append({"uid": f"Span{i}", "type": "Fiber", "type_variety": "SSMF",
                    "params": {"length": L, "loss_coef": loss_db_km, "length_units": "km", "att_in": 0,
                               "con_in": con_db, "con_out": con_db}})
        els.append({"uid": f"Amp{i}", "type": "Edfa", "type_variety": amp_variety,
                    "operational": {"gain_target": round(L * loss_db_km + 2 * con_db, 3), "tilt_target": 0,
                                    "out_voa": 0}})
    els.append({"uid": "RxB", "type": "Transceiver"})
    con = [{"from_node": a["uid"], "to_node": b["uid"]} for a, b in zip(els[:-1], els[1:])]
    Path(path).write_text(json.dumps({"elements": els, "connections": con}))
    return Path(path)


def gnpy_propagate(topology_json, equipment_json, repeat: int = 1, clock=time.perf_counter) -> dict:
    """Run GNPy on the line; returns per-channel signal_dbm, osnr_db, gsnr_db (0.1 nm) and s/propagation
    (``clock``: e.g. time.process_time for CPU seconds, after one warm-up propagation)."""
    import logging

    logging.getLogger("gnpy").setLevel(logging.ERROR)
    from gnpy.core import elements
    from gnpy.tools.json_io import load_equipment, load_network
    from gnpy.tools.worker_utils import designed_network
    from gnpy.topology.request import compute_constrained_path, propagate

    eq = load_equipment(Path(equipment_json))
    net = load_network(Path(topology_json), eq)
    trx = [n.uid for n in net.nodes() if isinstance(n, elements.Transceiver)]
    src = next(u for u in trx if net.in_degree(next(n for n in net.nodes() if n.uid == u)) == 0)
    dst = next(u for u in trx if u != src)
    net, req, _ = designed_network(eq, net, src, dst)
    path = compute_constrained_path(net, req)
    si = propagate(path, req, eq)
    t0 = clock()
    for _ in range(repeat):
        si = propagate(path, req, eq)
    dt = (clock() - t0) / repeat
    rx = path[-1]
    return {"signal_dbm": 10 * np.log10(si.signal * 1e3), "osnr_db": np.asarray(rx.osnr_ase_01nm),
            "gsnr_db": np.asarray(rx.snr_01nm), "seconds": dt}


def gnpy_design_runs(topology_json, equipment_json, pairs, repeat: int = 0, clock=time.perf_counter) -> list[dict]:
    """GNPy designs the network once (its ``designed_network``) and propagates each (source, destination)
    transceiver pair. Per pair: path (element uids), per-channel signal_dbm, osnr_db, gsnr_db (0.1 nm), the
    designed amplifiers on the path (uid -> (type, gain dB, target output dBm per channel)) and, if ``repeat``,
    the seconds per ``propagate`` call (``clock``, after one warm-up call)."""
    import logging
    from copy import copy

    logging.getLogger("gnpy").setLevel(logging.ERROR)
    from gnpy.core import elements
    from gnpy.tools.json_io import load_equipment, load_network
    from gnpy.tools.worker_utils import designed_network
    from gnpy.topology.request import compute_constrained_path, propagate

    eq = load_equipment(Path(equipment_json))
    net = load_network(Path(topology_json), eq)
    net, req0, _ = designed_network(eq, net, pairs[0][0], pairs[0][1])
    out = []
    for src, dst in pairs:
        req = copy(req0)
        req.source, req.destination, req.nodes_list, req.loose_list = src, dst, [dst], ["STRICT"]
        path = compute_constrained_path(net, req)
        si = propagate(path, req, eq)
        dt = None
        if repeat:
            t0 = clock()
            for _ in range(repeat):
                si = propagate(path, req, eq)
            dt = (clock() - t0) / repeat
        rx = path[-1]
        amps = {n.uid: (n.type_variety, float(n.effective_gain),
                        None if n.target_pch_out_dbm is None else float(n.target_pch_out_dbm))
                for n in path if isinstance(n, elements.Edfa)}
        out.append({"source": src, "destination": dst, "path": [n.uid for n in path],
                    "signal_dbm": 10 * np.log10(si.signal * 1e3), "osnr_db": np.asarray(rx.osnr_ase_01nm),
                    "gsnr_db": np.asarray(rx.snr_01nm), "amps": amps, "seconds": dt})
    return out
