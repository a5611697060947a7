"""Shared machinery of the completion solvers: input checks, parameters, metrics, progress.

A *mask* is a boolean array of the tensor's shape, ``True`` where an entry is observed.
Values at missing entries are ignored (they may be NaN).
"""

from __future__ import annotations

import inspect
import sys

import numpy as np

from codesign.errors import CodesignError


class CompletionInputError(CodesignError, ValueError):
    """Bad input to a completion solver; the CLI prints it as one line."""


def validate_inputs(tensor, mask, *, name: str = "tensor") -> tuple[np.ndarray, np.ndarray]:
    """Check ``tensor``/``mask`` and return them as float64 / bool arrays.

    Raises :class:`CompletionInputError` naming what was expected when the tensor is not a
    numeric array with at least 2 axes, the mask has another shape or is not boolean/0-1,
    nothing is observed, or an observed entry is NaN/inf.
    """
    try:
        t = np.array(tensor, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CompletionInputError(f"{name}: expected a numeric array, got {type(tensor).__name__} ({exc})") from None
    if t.ndim < 2:
        raise CompletionInputError(f"{name}: expected an array with at least 2 axes, got shape {t.shape}")
    if t.size == 0:
        raise CompletionInputError(f"{name}: expected a non-empty array, got shape {t.shape}")
    m = np.asarray(mask)
    if m.shape != t.shape:
        raise CompletionInputError(
            f"mask: expected the shape of {name} {t.shape} (True = observed), got shape {m.shape}"
        )
    if m.dtype != np.bool_:
        if not np.issubdtype(m.dtype, np.number) or not np.all((m == 0) | (m == 1)):
            raise CompletionInputError(f"mask: expected booleans or 0/1 values (True = observed), got dtype {m.dtype}")
        m = m.astype(bool)
    n_obs = int(m.sum())
    if n_obs == 0:
        raise CompletionInputError(
            f"mask: every entry of {name} {t.shape} is missing; expected at least one observed entry (True)"
        )
    bad = m & ~np.isfinite(t)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise CompletionInputError(
            f"{name}: observed entry {idx} is {t[idx]}; expected finite values where mask is True "
            f"({int(bad.sum())} non-finite observed entries; mark them missing instead)"
        )
    t = np.where(m, t, 0.0)
    return np.ascontiguousarray(t), np.ascontiguousarray(m)


def rse(x: np.ndarray, ref: np.ndarray) -> float:
    """Relative squared error ``||x - ref||_F / ||ref||_F`` (the LRTC literature's RSE)."""
    den = float(np.linalg.norm(ref))
    return float(np.linalg.norm(x - ref)) / (den if den > 0 else 1.0)


def psnr(x: np.ndarray, ref: np.ndarray, data_range: float) -> float:
    """Peak signal-to-noise ratio in dB over all entries (inf when identical)."""
    mse = float(np.mean((x - ref) ** 2))
    return float("inf") if mse == 0 else float(10.0 * np.log10(data_range**2 / mse))


def ssim(x: np.ndarray, ref: np.ndarray, data_range: float) -> float:
    """Structural similarity (scikit-image) of the first two axes, later axes as channels.

    NaN when the first two axes are shorter than the 7-px SSIM window.
    """
    from skimage.metrics import structural_similarity

    if min(ref.shape[:2]) < 7:
        return float("nan")
    if ref.ndim == 2:
        return float(structural_similarity(ref, x, data_range=data_range))
    r = ref.reshape(ref.shape[0], ref.shape[1], -1)
    return float(structural_similarity(r, x.reshape(r.shape), data_range=data_range, channel_axis=-1))


class History:
    """Per-iteration record: relative change, and RSE/PSNR/SSIM when a reference is known."""

    def __init__(self, reference=None, data_range: float | None = None, ssim_every: int = 1):
        self.ref = None if reference is None else np.asarray(reference, dtype=np.float64)
        if self.ref is not None and data_range is None:
            data_range = float(self.ref.max() - self.ref.min()) or 1.0
        self.data_range = data_range
        self.ssim_every = max(1, int(ssim_every))
        self.rows: dict[str, list[float]] = {"change": [], "rse": [], "psnr": [], "ssim": []}

    scale = 1.0  # solvers work on tensor / scale; metrics are on the original scale

    def record(self, x: np.ndarray, change: float) -> None:
        """Append one iteration's numbers (``x`` on the solver's scale)."""
        self.rows["change"].append(float(change))
        if self.ref is None:
            return
        x = x * self.scale
        self.rows["rse"].append(rse(x, self.ref))
        self.rows["psnr"].append(psnr(x, self.ref, self.data_range))
        k = len(self.rows["change"])
        self.rows["ssim"].append(ssim(x, self.ref, self.data_range) if k % self.ssim_every == 0 else float("nan"))

    def as_dict(self) -> dict[str, np.ndarray]:
        """The record as arrays (empty arrays for metrics that were not tracked)."""
        return {k: np.asarray(v, dtype=np.float64) for k, v in self.rows.items()}


def progress_bar(total: int, desc: str, progress: bool | None):
    """A tqdm bar; disabled when ``progress`` is False, or None and stderr is not a TTY."""
    from tqdm.auto import tqdm

    enabled = sys.stderr.isatty() if progress is None else bool(progress)
    return tqdm(total=total, desc=desc, disable=not enabled, leave=False)


class Completer:
    """Base class of the completion solvers (scikit-learn-like parameters).

    Subclasses set their parameters in ``__init__`` (stored under the same names) and
    implement ``_solve(t, m, x, step)``, calling ``step(x, change)`` once per iteration;
    ``step`` returns True when the solver should stop (converged).
    After :meth:`complete`: ``history_`` (dict of arrays), ``n_iter_``, ``completed_``.
    """

    name = "completer"

    def get_params(self) -> dict:
        """The constructor parameters and their current values."""
        sig = inspect.signature(type(self).__init__)
        return {p: getattr(self, p) for p in sig.parameters if p != "self"}

    def set_params(self, **params) -> "Completer":
        """Set constructor parameters (unknown names raise ``CompletionInputError``)."""
        valid = self.get_params()
        for key, value in params.items():
            if key not in valid:
                raise CompletionInputError(f"{type(self).__name__}: unknown parameter {key!r}; expected one of {sorted(valid)}")
            setattr(self, key, value)
        return self

    def clone(self, **overrides) -> "Completer":
        """A fresh, unfitted solver with the same parameters, some overridden."""
        params = self.get_params()
        params.update(overrides)
        return type(self)(**params)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def complete(self, tensor, mask, *, x0=None, reference=None, data_range=None, progress=None) -> np.ndarray:
        """Fill the missing entries of ``tensor`` (``mask`` True = observed) and return it.

        ``x0`` optionally gives starting values for the missing entries (else the mean of the
        observed ones); ``reference`` (the true tensor) turns on RSE/PSNR/SSIM tracking in
        ``history_``; ``data_range`` is the PSNR/SSIM peak (default: the reference's range).
        Observed entries are returned unchanged.
        """
        t, m = validate_inputs(tensor, mask)
        if reference is not None and np.shape(reference) != t.shape:
            raise CompletionInputError(f"reference: expected shape {t.shape}, got {np.shape(reference)}")
        if x0 is None:
            x = np.where(m, t, t[m].mean())
        else:
            x0 = np.asarray(x0, dtype=np.float64)
            if x0.shape != t.shape or not np.all(np.isfinite(x0[~m])):
                raise CompletionInputError(f"x0: expected finite values of shape {t.shape}, got shape {x0.shape}")
            x = np.where(m, t, x0)
        hist = History(reference, data_range, ssim_every=getattr(self, "ssim_every", 1))
        bar = progress_bar(int(self.max_iter), type(self).__name__, progress)
        tol = float(getattr(self, "tol", 0.0))

        def step(xk: np.ndarray, change: float) -> bool:
            hist.record(xk, change)
            bar.update(1)
            if hist.rows["rse"]:
                bar.set_postfix(psnr=f"{hist.rows['psnr'][-1]:.2f}", refresh=False)
            return change < tol

        try:
            if m.all():
                x = t.copy()
            else:
                # the ADMM penalty schedule acts on data scaled to unit Frobenius norm
                # (estimated from the observed entries), so it suits any size and unit
                scale = float(np.linalg.norm(t[m])) * np.sqrt(t.size / m.sum()) or 1.0
                hist.scale = scale
                x = scale * self._solve(t / scale, m, x / scale, step)
        finally:
            bar.close()
        x = np.where(m, t, x)  # observed entries are never changed
        self.history_ = hist.as_dict()
        self.n_iter_ = len(hist.rows["change"])
        self.completed_ = x
        return x

    def _solve(self, t, m, x, step):  # pragma: no cover - abstract
        raise NotImplementedError
