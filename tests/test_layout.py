"""The README's layering rules, checked on the source: who may import whom, no import cycles, module sizes."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cam", "sim", "models", "optics", "scenarios", "bench")
#: modules every package may import (they import nothing of ours)
FOUNDATION = {"codesign", "codesign.errors", "codesign.atomic"}
#: sim modules that make up the exchange format (the only part of sim that models may use)
EXCHANGE_FORMAT = {"codesign.sim.format", "codesign.sim.layer_schema"}
MAX_LINES = 400  # "no module over ~400 lines"


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(["codesign", *parts])


def _sources() -> dict[str, Path]:
    files = [p for p in ROOT.glob("*.py") if p.name != "setup.py"]
    for pkg in PACKAGES:
        files += (ROOT / pkg).rglob("*.py")
    return {_module_name(p): p for p in files}


def _imports(name: str, path: Path) -> set[str]:
    """Absolute names of the codesign modules ``path`` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(), str(path))
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "codesign"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                mod = ".".join(base[: len(base) - node.level + 1] + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] != "codesign":
                continue
            found.add(mod)
            found |= {f"{mod}.{a.name}" for a in node.names}
    return found


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    mods = _sources()
    g = nx.DiGraph()
    g.add_nodes_from(mods)
    for name, path in mods.items():
        for target in _imports(name, path):
            if target in mods and target != name:
                g.add_edge(name, target)
    return g


def _package(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in PACKAGES else mod


ALLOWED = {
    "cam": {"cam"},
    "sim": {"sim", "cam"},
    "models": {"models"},
    "optics": {"optics"},
    "scenarios": set(PACKAGES),
    "bench": set(PACKAGES),
}


def test_layering_rules_hold(graph):
    broken = []
    for src, dst in graph.edges:
        if dst in FOUNDATION or _package(src) not in ALLOWED:
            continue
        pkg, target = _package(src), _package(dst)
        if target in ALLOWED[pkg]:
            continue
        if pkg == "models" and dst in EXCHANGE_FORMAT:
            continue
        broken.append(f"{src} -> {dst}")
    assert not broken, "imports against the README's layering rules:\n" + "\n".join(sorted(broken))


def test_foundation_modules_import_only_foundation(graph):
    for mod in FOUNDATION & set(graph):
        if mod != "codesign":
            other = set(graph.successors(mod)) - FOUNDATION
            assert not other, f"{mod} may import only the foundation modules, not {sorted(other)}"


def test_sim_never_imports_torch():
    offenders = []
    for name, path in _sources().items():
        if _package(name) in ("sim", "cam", "optics"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                if any(n.split(".")[0] == "torch" for n in names):
                    offenders.append(name)
    assert not offenders, f"modules of cam/sim/optics importing torch: {offenders}"


def test_no_import_cycles(graph):
    # a package's __init__ re-exporting its own modules is not a cycle worth reporting
    g = graph.copy()
    g.remove_edges_from([(s, d) for s, d in graph.edges if d.startswith(s + ".") or s.startswith(d + ".")])
    cycles = list(nx.simple_cycles(g))
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_modules_stay_small():
    big = {name: n for name, p in _sources().items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines (split by idea): {big}"
