"""Atomic output files: write to a temporary name in the same folder, then rename.

An interrupted run never leaves a half-written table, JSON file, model or plot behind. A
foundation module: every package may import it, and of ours it imports only :mod:`codesign.errors`.
"""

from __future__ import annotations

import csv
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from codesign.errors import CodesignError


@contextmanager
def replacing(path: str | os.PathLike, unique: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (its folder created) to write; on success rename it
    to ``path``, on an error remove it. ``unique``: put the process id in the temporary name, for
    files several processes may write at once."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp" if unique else f"{path.name}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(path: str | os.PathLike, text: str, unique: bool = False) -> Path:
    """Write ``text`` to ``path`` atomically; return the path (``unique`` as in :func:`replacing`)."""
    with replacing(path, unique) as tmp:
        tmp.write_text(text)
    return Path(path)


def write_csv(path: str | os.PathLike, rows: Iterable[dict[str, Any]], columns: list[str],
              extrasaction: str = "raise") -> Path:
    """Write dict rows as a CSV table with header ``columns`` to ``path`` atomically; return the path.
    ``extrasaction``: as ``csv.DictWriter`` ("raise" on keys outside ``columns``, or "ignore")."""
    with replacing(path) as tmp, open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, extrasaction=extrasaction)
        w.writeheader()
        w.writerows(rows)
    return Path(path)


def json_default(obj: Any) -> Any:
    """``json.dumps`` fallback for NumPy scalars/arrays and tuples."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, tuple):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


class NonFiniteJSONError(CodesignError, ValueError):
    """A value to be written as JSON is infinite (JSON has no Infinity; it signals an overflow upstream)."""


def json_ready(obj: Any, where: str = "") -> Any:
    """``obj`` with NumPy values made plain and NaN made ``None`` (JSON ``null``: "not applicable");
    an infinite number raises :class:`NonFiniteJSONError` naming its key path."""
    if isinstance(obj, dict):
        return {k: json_ready(v, f"{where}/{k}") for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v, f"{where}/{i}") for i, v in enumerate(obj)]
    if isinstance(obj, np.ndarray):
        return json_ready(obj.tolist(), where)
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not obj == obj:
        return None
    if isinstance(obj, float) and obj in (float("inf"), float("-inf")):
        raise NonFiniteJSONError(f"{where or '/'}: {obj} is not a finite number")
    return obj


def write_json(path: str | os.PathLike, obj: Any, *, indent: int | None = 2,
               default: Callable[[Any], Any] = json_default, **dumps_kw: Any) -> Path:
    """Write ``obj`` as strict JSON to ``path`` atomically; return the path.

    NaN is written as ``null`` (not applicable); an infinite number raises ``NonFiniteJSONError``
    naming the file and the key path, and nothing is written."""
    try:
        clean = json_ready(obj)
    except NonFiniteJSONError as exc:
        raise NonFiniteJSONError(f"{path}: {exc}; refusing to write invalid JSON") from None
    return write_text(path, json.dumps(clean, indent=indent, default=default, allow_nan=False, **dumps_kw))


def save_figure(fig: Any, path: str | os.PathLike, **savefig_kw: Any) -> Path:
    """Save a matplotlib figure as PNG atomically and close it; return the path."""
    import matplotlib.pyplot as plt

    with replacing(path) as tmp:
        fig.savefig(tmp, format="png", **savefig_kw)
    plt.close(fig)
    return Path(path)
