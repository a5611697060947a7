"""Technology-node scaling: bring a technology table to another process node.

Rule (Stillmaker & Baas, Integration 58:74-81, 2017, high-performance rows; factors in
``data/node_scaling.json``): between two supported nodes every energy is multiplied by the energy
factor, every delay by the delay factor and every area by the area factor; the reverse direction
uses the reciprocal. A parameter's class comes from its unit (pJ/fJ/nJ energy, ps/ns delay,
um^2/mm^2 area, anything else unscaled) unless it says ``"scaling"`` itself (e.g. ``"none"`` for a
device property such as a write pulse). The factors hold between the nodes' nominal supplies; a
file's own ``vdd_v`` is replaced by the target's nominal one (our assumption, docs/simulator.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

from codesign.cam.technology import Param, Technology, TechnologyError

UNIT_CLASS = {"pJ": "energy", "fJ": "energy", "nJ": "energy", "ps": "delay", "ns": "delay",
              "um^2": "area", "mm^2": "area"}


@dataclass(frozen=True)
class NodeFactors:
    """Multipliers taking a value from ``from_nm`` to ``to_nm``."""

    from_nm: int
    to_nm: int
    area: float
    energy: float
    delay: float

    def of(self, kind: str) -> float:
        return {"area": self.area, "energy": self.energy, "delay": self.delay}.get(kind, 1.0)


@lru_cache(maxsize=1)
def _table() -> dict:
    raw = json.loads((resources.files("codesign") / "data" / "node_scaling.json").read_text())
    pairs = {}
    for f in raw["factors"]:
        a, b = int(f["from_nm"]), int(f["to_nm"])
        pairs[(a, b)] = NodeFactors(a, b, float(f["area"]), float(f["energy"]), float(f["delay"]))
        pairs[(b, a)] = NodeFactors(b, a, 1 / float(f["area"]), 1 / float(f["energy"]), 1 / float(f["delay"]))
    return {"source": raw["source"], "vdd": {int(k): float(v["vdd_v"]) for k, v in raw["nodes"].items()},
            "pairs": pairs}


def supported_nodes() -> list[int]:
    """Nodes (nm) the scaling table covers."""
    return sorted(_table()["vdd"])


def scaling_source() -> str:
    return _table()["source"]


def node_factors(from_nm: float, to_nm: float) -> NodeFactors:
    """Area/energy/delay multipliers from one supported node to another (identity for equal nodes)."""
    a, b = int(round(from_nm)), int(round(to_nm))
    for n, what in ((a, "from"), (b, "to")):
        if n not in _table()["vdd"]:
            raise TechnologyError(f"node scaling: {what} node {n} nm not covered; supported nodes {supported_nodes()} nm "
                                  f"({scaling_source().split(',')[0]})")
    if a == b:
        return NodeFactors(a, b, 1.0, 1.0, 1.0)
    return _table()["pairs"][(a, b)]


def param_class(p: Param) -> str:
    """How a parameter scales: its own ``scaling`` field, else by unit ('none' if the unit is neither)."""
    return p.scaling if p.scaling is not None else UNIT_CLASS.get(p.unit, "none")


def scale_technology(tech: Technology, to_nm: float) -> Technology:
    """``tech`` with its values moved to node ``to_nm`` (itself when already there)."""
    from_nm = tech.node_nm
    if int(round(from_nm)) == int(round(to_nm)):
        return tech
    try:
        f = node_factors(from_nm, to_nm)
    except TechnologyError as exc:
        raise TechnologyError(f"{tech.path or tech.name}: params/node_nm: {exc}") from None
    params = {}
    changed = []
    note = f" [scaled {f.from_nm}->{f.to_nm} nm, Stillmaker & Baas 2017]"
    for key, p in tech.params.items():
        k = param_class(p)
        mult = f.of(k)
        if key == "node_nm":
            params[key] = replace(p, value=float(f.to_nm), source=p.source + note)
        elif key == "vdd_v":
            params[key] = replace(p, value=_table()["vdd"][f.to_nm], source=p.source + note)
        elif mult != 1.0:
            params[key] = replace(p, value=p.value * mult, source=p.source + note)
            changed.append(key)
        else:
            params[key] = p
    return replace(tech, params=params, scaled_from_nm=float(f.from_nm), scaled_params=tuple(changed))


def scaling_record(tech: Technology) -> dict:
    """What node scaling did to ``tech`` (for reports): node, source node, factors, parameters."""
    out = {"node_nm": tech.node_nm}
    if tech.scaled_from_nm is not None:
        f = node_factors(tech.scaled_from_nm, tech.node_nm)
        out.update(scaled_from_nm=tech.scaled_from_nm,
                   factors={"energy": round(f.energy, 4), "delay": round(f.delay, 4), "area": round(f.area, 4)},
                   params=list(tech.scaled_params))
    return out
