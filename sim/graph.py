"""The layer graph of a ModelSpec as a networkx DiGraph (node "input" + one node per layer)."""

from __future__ import annotations

import networkx as nx

from codesign.sim.format import ModelSpec


def build_graph(spec: ModelSpec, shapes: dict[str, tuple[int, ...]] | None = None) -> nx.DiGraph:
    """Nodes carry ``layer`` (LayerSpec or None for the input), ``type``, ``shape`` and ``index``;
    edges run producer -> consumer with ``port`` (input position)."""
    shapes = shapes if shapes is not None else spec.shapes()
    g = nx.DiGraph(model=spec.name)
    g.add_node("input", layer=None, type="input", shape=tuple(spec.input_shape), index=-1)
    for i, layer in enumerate(spec.layers):
        g.add_node(layer.name, layer=layer, type=layer.type, shape=shapes[layer.name], index=i)
        for port, src in enumerate(layer.inputs):
            g.add_edge(src, layer.name, port=port)
    if not nx.is_directed_acyclic_graph(g):
        raise ValueError(f"model {spec.name!r}: layer graph has a cycle")
    return g


def last_use(spec: ModelSpec) -> dict[str, int]:
    """Index of the last layer that reads each tensor (to free activations early)."""
    out: dict[str, int] = {}
    for i, layer in enumerate(spec.layers):
        for src in layer.inputs:
            out[src] = i
    return out
