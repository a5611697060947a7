"""Benchmark suite: every engine against its reference, measured in the same run.

Each workload module in :data:`WORKLOADS` defines ``run(quick: bool) -> list[dict]`` with rows
``{workload, ours, reference, unit, ratio, goal, passed, ...}`` where ``ratio`` = ours / reference
in a higher-is-better unit (e.g. items/s). Each module runs in its own subprocess so its peak
memory (max RSS, MiB) is its own. Results print as one table and are written as JSON.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from codesign.atomic import write_json
from codesign.errors import CodesignError

WORKLOADS = {
    "cam": "codesign.bench.cam_nearest",
    "crossbar": "codesign.bench.crossbar_mvm",
    "nonideal": "codesign.bench.nonideal",
    "network": "codesign.bench.engine_vs_torch",
    "debut": "codesign.bench.debut_forward",
    "optics": "codesign.bench.optics_vs_gnpy",
    "sweep": "codesign.bench.sweep_points",
    "scaling": "codesign.bench.scaling",
    "cycle": "codesign.bench.cycle_engine",
}

_CHILD = r"""
import json, resource, sys, importlib
mod = importlib.import_module(sys.argv[1])
rows = mod.run(quick=sys.argv[2] == "1")
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
for r in rows:
    r.setdefault("peak_mib", round(peak, 1))
print("@@ROWS@@" + json.dumps(rows, default=str))
"""


class BenchError(CodesignError, ValueError):
    """Unknown benchmark name."""


def run_workload(module: str, quick: bool, timeout_s: float = 1800) -> list[dict[str, Any]]:
    """Run one workload module in a subprocess; return its rows (or one error row)."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-c", _CHILD, module, "1" if quick else "0"],
                              capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return [{"workload": module, "error": f"timed out after {timeout_s:.0f} s", "passed": False}]
    for line in proc.stdout.splitlines():
        if line.startswith("@@ROWS@@"):
            rows = json.loads(line[len("@@ROWS@@"):])
            for r in rows:
                r.setdefault("module", module)
                r["wall_s"] = round(time.perf_counter() - t0, 2)
            return rows
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return [{"workload": module, "error": " | ".join(tail) or f"exit code {proc.returncode}", "passed": False}]


def machine() -> dict[str, Any]:
    info = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return info


def run_suite(names: list[str] | None = None, quick: bool = False, out: Path | None = None,
              progress: bool = True) -> dict[str, Any]:
    names = names or list(WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        raise BenchError(f"unknown benchmark(s) {unknown}; expected some of {list(WORKLOADS)}")
    rows: list[dict[str, Any]] = []
    for name in names:
        if progress:
            print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        rows.extend(run_workload(WORKLOADS[name], quick))
    result = {"machine": machine(), "quick": quick, "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "rows": rows}
    if out is not None:
        write_json(out, result, indent=2, default=str)
    return result


def format_table(result: dict[str, Any]) -> str:
    """Markdown table: workload, ours, reference, ratio, goal, pass/fail, peak memory."""
    lines = ["| workload | ours | reference | unit | ratio | goal | pass | peak MiB |",
             "|---|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        if "error" in r:
            lines.append(f"| {r.get('workload')} | error: {r['error']} | | | | | FAIL | |")
            continue
        lines.append("| {w} | {o} | {ref} | {u} | {ra} | {g} | {p} | {m} |".format(
            w=r.get("workload"), o=_num(r.get("ours")), ref=_num(r.get("reference")), u=r.get("unit", ""),
            ra=_num(r.get("ratio")), g=r.get("goal", ""),
            p="pass" if r.get("passed") else ("fail" if r.get("passed") is False else "-"),
            m=_num(r.get("peak_mib"))))
    m = result["machine"]
    lines.append(f"\nmachine: {m.get('cpu', '?')}, {m.get('cpus')} CPUs, Python {m.get('python')}; "
                 f"quick={result['quick']}")
    return "\n".join(lines)


def _num(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1e4 else f"{v:,.0f}"
    return str(v)
