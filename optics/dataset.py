"""The labeled OPM data set and its HDF5 file format (atomic write: temp file + rename).

HDF5 layout (the data contract, docs/format.md "OPM data sets"): /power_dbm, /osnr_db, /true_power_dbm
(M, C, T); /rx_gsnr_db, /rx_ber, /rx_cd_ps_nm, /rx_dgd_ps (C, T); /time_s (T,); /frequency_hz (C,);
/monitor_names (M,); /span_monitors (n_spans, 2); /span_length_km (n_spans,); /label_type, /label_span,
/label_loss_db, /label_position_km (T,); file attributes: format, format_version, label_names_json,
units_json, events_json, seed, scenario text, OPM figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import h5py
import numpy as np

from codesign.atomic import replacing

from .errors import OpticsFileNotFound, OpticsInputError
from .scenario import LABEL_CODES

FORMAT = "codesign.optics.OpmDataset/1"
#: minor 1: label_names_json and units_json attributes (readers of 1.0 files use the documented code table)
FORMAT_VERSION = "1.1"
UNITS = {"power_dbm": "dBm", "osnr_db": "dB (0.1 nm)", "true_power_dbm": "dBm", "rx_gsnr_db": "dB (0.1 nm)",
         "rx_ber": "1", "rx_cd_ps_nm": "ps/nm", "rx_dgd_ps": "ps", "time_s": "s", "frequency_hz": "Hz",
         "span_length_km": "km", "label_loss_db": "dB", "label_position_km": "km"}

_ARRAYS = ("power_dbm", "osnr_db", "rx_gsnr_db", "rx_ber", "time_s", "frequency_hz", "span_monitors",
           "span_length_km", "label_type", "label_span", "label_loss_db", "label_position_km",
           "true_power_dbm", "rx_cd_ps_nm", "rx_dgd_ps")


@dataclass
class OpmDataset:
    """OPM readings over time with event labels (see docs/optics.md for shapes and units)."""

    time_s: np.ndarray
    frequency_hz: np.ndarray
    monitor_names: list
    span_monitors: np.ndarray
    span_length_km: np.ndarray
    power_dbm: np.ndarray
    osnr_db: np.ndarray
    rx_gsnr_db: np.ndarray
    rx_ber: np.ndarray
    label_type: np.ndarray
    label_span: np.ndarray
    label_loss_db: np.ndarray
    label_position_km: np.ndarray
    events: list = field(default_factory=list)
    attrs: dict = field(default_factory=dict)
    true_power_dbm: np.ndarray | None = None
    rx_cd_ps_nm: np.ndarray | None = None
    rx_dgd_ps: np.ndarray | None = None

    @property
    def n_samples(self) -> int:
        return int(self.time_s.size)

    @property
    def monitor_kind(self) -> list[str]:
        """'tx', 'amp_in', 'amp_out' or 'rx' per monitor."""
        return ["tx" if n == "tx:out" else "rx" if n == "rx" else "amp_in" if n.endswith(":in") else "amp_out"
                for n in self.monitor_names]

    def replace(self, **changes) -> "OpmDataset":
        """Copy with some arrays replaced (e.g. completed tensors)."""
        return replace(self, **changes)

    def select(self, idx) -> "OpmDataset":
        """Subset of time samples."""
        t = lambda a: None if a is None else a[..., idx]  # noqa: E731
        return replace(self, time_s=self.time_s[idx], power_dbm=t(self.power_dbm), osnr_db=t(self.osnr_db),
                       rx_gsnr_db=t(self.rx_gsnr_db), rx_ber=t(self.rx_ber), label_type=self.label_type[idx],
                       label_span=self.label_span[idx], label_loss_db=self.label_loss_db[idx],
                       label_position_km=self.label_position_km[idx],
                       true_power_dbm=t(self.true_power_dbm))


def save_dataset(ds: OpmDataset, path) -> Path:
    """Write ``ds`` to HDF5 atomically (a temporary file beside ``path``, then renamed)."""
    path = Path(path)
    with replacing(path, unique=True) as tmp, h5py.File(tmp, "w") as f:
        for k in _ARRAYS:
            v = getattr(ds, k)
            if v is not None:
                f.create_dataset(k, data=np.asarray(v), compression="gzip" if np.ndim(v) >= 2 else None)
        f.create_dataset("monitor_names", data=np.array(ds.monitor_names, dtype="S"))
        f.attrs["events_json"] = json.dumps(ds.events, default=float)
        for k, v in ds.attrs.items():
            f.attrs[k] = v if isinstance(v, (int, float, str)) else json.dumps(v, default=str)
        f.attrs["format"] = FORMAT
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["label_names_json"] = json.dumps(sorted(LABEL_CODES, key=LABEL_CODES.get))
        f.attrs["units_json"] = json.dumps(UNITS)
    return path


def load_dataset(path) -> OpmDataset:
    """Read a data set written by :func:`save_dataset`."""
    path = Path(path)
    if not path.exists():
        raise OpticsFileNotFound(f"{path}: data set not found")
    with h5py.File(path, "r") as f:
        if f.attrs.get("format") != FORMAT:
            raise OpticsInputError(path, "/ (attribute format)", "not a codesign.optics OPM data set")
        version = str(f.attrs.get("format_version", "1.0"))
        if version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
            raise OpticsInputError(path, "/ (attribute format_version)",
                                   f"version {version}; this reader supports {FORMAT_VERSION.split('.')[0]}.x")
        kw = {}
        for k in _ARRAYS:
            kw[k] = f[k][()] if k in f else None
            if kw[k] is None and k not in ("true_power_dbm", "rx_cd_ps_nm", "rx_dgd_ps"):
                raise OpticsInputError(path, f"/{k}", "missing")
        kw["monitor_names"] = [s.decode() for s in f["monitor_names"][()]]
        kw["events"] = json.loads(f.attrs["events_json"])
        kw["attrs"] = {k: (v.item() if hasattr(v, "item") else v) for k, v in f.attrs.items()
                       if k not in ("events_json", "format", "format_version", "label_names_json", "units_json")}
    return OpmDataset(**kw)
