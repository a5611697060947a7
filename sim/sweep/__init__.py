"""Design-space sweeps: point generation, a crash-safe result store, local/Dask execution."""

from codesign.sim.sweep.space import grid_points, random_points, point_key
from codesign.sim.sweep.store import ResultStore
from codesign.sim.sweep.runner import run_sweep

__all__ = ["grid_points", "random_points", "point_key", "ResultStore", "run_sweep"]
