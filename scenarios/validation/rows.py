"""Validation rows (ours vs published, relative error, bound) and the published figures file."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from typing import Any


@dataclass
class Row:
    """One comparison. ``bound`` is the largest allowed |relative error|; None = not checked, the
    difference is explained in ``note`` (and docs/validation.md)."""

    group: str
    quantity: str
    ours: float
    published: float
    unit: str
    bound: float | None
    note: str = ""

    @property
    def rel_error(self) -> float:
        return self.ours / self.published - 1.0

    @property
    def ok(self) -> bool:
        return self.bound is None or abs(self.rel_error) <= self.bound + 1e-9

    @property
    def verdict(self) -> str:
        if self.bound is None:
            return "documented"
        return "pass" if self.ok else "FAIL"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rel_error": self.rel_error, "verdict": self.verdict}


@lru_cache(maxsize=1)
def published() -> dict[str, Any]:
    """``data/validation/published.json``: the published figures with their sources."""
    return json.loads((resources.files("codesign") / "data" / "validation" / "published.json").read_text())


def _num(v: float) -> str:
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 100:
        return f"{v:,.1f}"
    if a >= 1:
        return f"{v:.3f}"
    return f"{v:.4g}"


def format_table(rows: list[Row]) -> str:
    """Markdown table: group, quantity, ours, published, unit, rel. error, bound, result."""
    out = ["| group | quantity | ours | published | unit | rel. error | bound | result |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        bound = "—" if r.bound is None else ("exact" if r.bound < 1e-3 else f"±{r.bound:.0%}")
        out.append(f"| {r.group} | {r.quantity} | {_num(r.ours)} | {_num(r.published)} | {r.unit} | "
                   f"{r.rel_error:+.1%} | {bound} | {r.verdict} |")
    return "\n".join(out)
