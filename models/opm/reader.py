"""Read and validate an OPM data set file (docs/format.md, "OPM data sets") with h5py only.

``read_opm(path)`` checks the format name and major version, that every required dataset is present with
its dtype kind and a shape consistent with (M monitors, C channels, T samples), that time and labels are
finite and label codes known, and that readings are finite or NaN (NaN = no reading: channel dark);
any problem raises :class:`OpmFormatError` naming the file and the HDF5 path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from codesign.errors import CodesignError

FORMAT = "codesign.optics.OpmDataset/1"
SUPPORTED_MAJOR = "1"
#: the documented label code table (code = index); format 1.1 files also carry it as label_names_json
LABEL_NAMES = ("normal", "tap", "bend", "connector", "gain_change", "add_drop", "transient")


class OpmFormatError(CodesignError, ValueError):
    """An OPM data set file breaks the data contract; the message names file and HDF5 path."""

    def __init__(self, path, where: str, problem: str):
        super().__init__(f"{path}: {where}: {problem}")


@dataclass
class OpmDay:
    """One simulated day (or run) of OPM readings with per-sample labels (arrays as in the file)."""

    path: Path
    time_s: np.ndarray          # (T,) s
    power_dbm: np.ndarray       # (M, C, T) dBm, NaN = no reading
    osnr_db: np.ndarray         # (M, C, T) dB in 0.1 nm
    rx_gsnr_db: np.ndarray      # (C, T) dB
    label: np.ndarray           # (T,) int code into label_names
    label_span: np.ndarray      # (T,) int, -1 = none
    label_loss_db: np.ndarray   # (T,) dB
    monitor_names: list[str]
    label_names: tuple[str, ...]
    events: list[dict] = field(default_factory=list)
    seed: int | None = None

    @property
    def n_samples(self) -> int:
        return int(self.time_s.size)

    @property
    def sample_period_s(self) -> float:
        return float(self.time_s[1] - self.time_s[0]) if self.time_s.size > 1 else float("nan")


# name -> (dtype kind, shape as symbols)
_SCHEMA = {"time_s": ("f", ("T",)), "frequency_hz": ("f", ("C",)), "monitor_names": ("S", ("M",)),
           "power_dbm": ("f", ("M", "C", "T")), "osnr_db": ("f", ("M", "C", "T")),
           "rx_gsnr_db": ("f", ("C", "T")), "rx_ber": ("f", ("C", "T")),
           "label_type": ("i", ("T",)), "label_span": ("i", ("T",)), "label_loss_db": ("f", ("T",)),
           "label_position_km": ("f", ("T",))}
_NAN_OK = ("power_dbm", "osnr_db", "rx_gsnr_db", "rx_ber", "label_position_km")


def _version(path, f) -> None:
    fmt = f.attrs.get("format")
    if fmt != FORMAT:
        raise OpmFormatError(path, "/ attribute 'format'", f"{fmt!r}; expected {FORMAT!r} (an OPM data set)")
    version = str(f.attrs.get("format_version", "1.0"))
    if version.split(".")[0] != SUPPORTED_MAJOR:
        raise OpmFormatError(path, "/ attribute 'format_version'",
                             f"{version}; this reader supports {SUPPORTED_MAJOR}.x")


def _labels(path, f) -> tuple[str, ...]:
    if "label_names_json" not in f.attrs:
        return LABEL_NAMES  # format 1.0: the documented table
    try:
        names = tuple(json.loads(f.attrs["label_names_json"]))
    except (TypeError, ValueError):
        raise OpmFormatError(path, "/ attribute 'label_names_json'", "not a JSON list of names") from None
    if names[:1] != ("normal",) or not all(isinstance(n, str) for n in names):
        raise OpmFormatError(path, "/ attribute 'label_names_json'", f"{names!r}; expected names, code 0 = 'normal'")
    return names


def read_opm(path) -> OpmDay:
    """Read one OPM data set file, validated against the data contract."""
    path = Path(path)
    if not path.is_file():
        raise OpmFormatError(path, "/", "file not found")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise OpmFormatError(path, "/", f"not a readable HDF5 file ({exc})") from None
    with f:
        _version(path, f)
        names = _labels(path, f)
        dims: dict[str, int] = {}
        data = {}
        for key, (kind, shape) in _SCHEMA.items():
            if key not in f or not isinstance(f[key], h5py.Dataset):
                raise OpmFormatError(path, f"/{key}", "missing dataset")
            ds = f[key]
            if ds.dtype.kind not in (kind, "u" if kind == "i" else kind):
                raise OpmFormatError(path, f"/{key}", f"dtype {ds.dtype}; expected kind '{kind}'")
            if ds.ndim != len(shape):
                raise OpmFormatError(path, f"/{key}", f"shape {ds.shape}; expected ({', '.join(shape)})")
            for sym, n in zip(shape, ds.shape):
                if dims.setdefault(sym, n) != n:
                    raise OpmFormatError(path, f"/{key}", f"shape {ds.shape}: {sym} = {n}, but {dims[sym]} elsewhere")
            data[key] = ds[()]
        for key, arr in data.items():
            if arr.dtype.kind == "f":
                bad = ~np.isfinite(arr) if key not in _NAN_OK else np.isinf(arr)
                if bad.any():
                    what = "NaN/inf" if key not in _NAN_OK else "inf"
                    raise OpmFormatError(path, f"/{key}", f"{int(bad.sum())} {what} values")
        t = data["time_s"]
        if t.size > 1 and not (np.diff(t) > 0).all():
            raise OpmFormatError(path, "/time_s", "not strictly increasing")
        lab = data["label_type"]
        if lab.size and (lab.min() < 0 or lab.max() >= len(names)):
            raise OpmFormatError(path, "/label_type", f"codes {lab.min()}..{lab.max()}; expected 0..{len(names) - 1}")
        try:
            events = json.loads(f.attrs.get("events_json", "[]"))
        except (TypeError, ValueError):
            raise OpmFormatError(path, "/ attribute 'events_json'", "not valid JSON") from None
        seed = f.attrs.get("seed")
    return OpmDay(path=path, time_s=t.astype(np.float64), power_dbm=data["power_dbm"].astype(np.float32),
                  osnr_db=data["osnr_db"].astype(np.float32), rx_gsnr_db=data["rx_gsnr_db"].astype(np.float32),
                  label=lab.astype(np.int64), label_span=data["label_span"].astype(np.int64),
                  label_loss_db=data["label_loss_db"].astype(np.float64),
                  monitor_names=[s.decode() for s in data["monitor_names"]], label_names=names, events=events,
                  seed=None if seed is None else int(seed))
