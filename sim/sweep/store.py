"""Crash-safe result store: a folder of small HDF5 part files, each written atomically.

Each finished batch of points becomes ``part-<n>.h5`` (written to a temp name, then renamed),
so a sweep killed at any moment leaves only complete parts; ``--resume`` reads them and skips
their keys. :meth:`ResultStore.table` merges all parts; :meth:`export` writes
``results.h5`` and ``results.csv``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from codesign.atomic import replacing, write_csv, write_json
from codesign.errors import CodesignError


class StoreError(CodesignError, ValueError):
    """A sweep result store cannot be used as asked (earlier results without resume, another sweep, an unreadable part)."""


class ResultStore:
    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.parts = self.folder / "parts"

    def create(self, meta: dict[str, Any], resume: bool) -> None:
        """Prepare the folder. Without ``resume`` an existing non-empty store is an error."""
        if self.parts.exists() and any(self.parts.glob("part-*.h5")) and not resume:
            raise StoreError(
                f"{self.folder}: holds results of an earlier sweep; pass --resume to continue it "
                "or choose another output folder"
            )
        self.parts.mkdir(parents=True, exist_ok=True)
        meta_path = self.folder / "sweep.json"
        if resume and meta_path.exists():
            try:
                old = json.loads(meta_path.read_text())
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                raise StoreError(f"{meta_path}: sweep state file is unreadable or corrupt ({exc}); "
                                 "delete the folder to start over") from None
            if not isinstance(old, dict):
                raise StoreError(f"{meta_path}: sweep state file is corrupt (expected a JSON object); "
                                 "delete the folder to start over")
            if old.get("fingerprint") != meta.get("fingerprint"):
                raise StoreError(
                    f"{meta_path}: the stored sweep differs from this scenario (fingerprint "
                    f"{old.get('fingerprint')} vs {meta.get('fingerprint')}); resume needs the same scenario"
                )
        write_json(meta_path, meta, sort_keys=True, default=str)

    def done_keys(self) -> set[str]:
        """Keys of the points evaluated successfully (a failed point is evaluated again on resume)."""
        return {r["key"] for r in self.records() if r.get("status") == "ok"}

    def append(self, records: list[dict[str, Any]]) -> Path:
        """Write one batch of finished records as a new part file (atomic)."""
        n = len(list(self.parts.glob("part-*.h5")))
        while (path := self.parts / f"part-{n:06d}.h5").exists():
            n += 1
        with replacing(path) as tmp, h5py.File(tmp, "w") as f:
            f.create_dataset("records", data=np.array([json.dumps(r, default=_jsonable) for r in records],
                                                      dtype=h5py.string_dtype()))
        return path

    def records(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if not self.parts.exists():
            return out
        for path in sorted(self.parts.glob("part-*.h5")):
            try:
                with h5py.File(path, "r") as f:
                    recs = [json.loads(s) for s in f["records"].asstr()[()]]
                if not all(isinstance(r, dict) and isinstance(r.get("key"), str) for r in recs):
                    raise ValueError("records without a point key")
                out.extend(recs)
            except (OSError, KeyError, ValueError, RuntimeError, AttributeError, TypeError) as exc:
                raise StoreError(f"{path}: unreadable result part ({exc}); delete it to recompute its points") from None
        return out

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        """Columns and rows, one row per point: a point evaluated again (retried) keeps its latest record."""
        latest: dict[str, dict[str, Any]] = {}
        for r in self.records():
            latest.pop(r["key"], None)
            latest[r["key"]] = r
        rows = list(latest.values())
        cols: list[str] = []
        for r in rows:
            for k in r:
                if k not in cols:
                    cols.append(k)
        return cols, rows

    def export(self) -> tuple[Path, Path]:
        """Write ``results.csv`` and ``results.h5`` (one dataset per column)."""
        cols, rows = self.table()
        csv_path = write_csv(self.folder / "results.csv", rows, cols)
        h5_path = self.folder / "results.h5"
        with replacing(h5_path) as tmp, h5py.File(tmp, "w") as f:
            for c in cols:
                vals = [r.get(c) for r in rows]
                if all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in vals):
                    f.create_dataset(c, data=np.asarray(vals, dtype=np.float64))
                else:
                    f.create_dataset(c, data=np.array(["" if v is None else str(v) for v in vals], dtype=h5py.string_dtype()))
        return csv_path, h5_path


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    return str(obj)
