"""Atomic output files: write to a temporary name in the same folder, then rename.

An interrupted run never leaves a half-written table, JSON file or plot behind. Used by the
simulator's reports and the result store, and by every scenario driver.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np


def atomic_path(path: str | os.PathLike) -> Path:
    """The temporary name to write ``path`` under (its folder is created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(path.name + ".tmp")


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically; return the path."""
    path = Path(path)
    tmp = atomic_path(path)
    tmp.write_text(text)
    os.replace(tmp, path)
    return path


def write_csv(path: str | os.PathLike, rows: Iterable[dict[str, Any]], columns: list[str],
              extrasaction: str = "raise") -> Path:
    """Write dict rows as a CSV table with header ``columns`` to ``path`` atomically; return the path.
    ``extrasaction``: as ``csv.DictWriter`` ("raise" on keys outside ``columns``, or "ignore")."""
    path = Path(path)
    tmp = atomic_path(path)
    with open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, extrasaction=extrasaction)
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)
    return path


def json_default(obj: Any) -> Any:
    """``json.dumps`` fallback for NumPy scalars/arrays and tuples."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, tuple):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def write_json(path: str | os.PathLike, obj: Any, *, indent: int | None = 2,
               default: Callable[[Any], Any] = json_default, **dumps_kw: Any) -> Path:
    """Write ``obj`` as JSON to ``path`` atomically; return the path."""
    return write_text(path, json.dumps(obj, indent=indent, default=default, **dumps_kw))


def save_figure(fig: Any, path: str | os.PathLike, **savefig_kw: Any) -> Path:
    """Save a matplotlib figure as PNG atomically and close it; return the path."""
    import matplotlib.pyplot as plt

    path = Path(path)
    tmp = atomic_path(path)
    fig.savefig(tmp, format="png", **savefig_kw)
    plt.close(fig)
    os.replace(tmp, path)
    return path
