"""Coarse-to-fine (C2F) wrapper around any base completion solver.

After Lin, Chen, Wong, "Coarse to Fine: Image Restoration Boosted by Multi-Scale Low-Rank
Tensor Completion", ICPR 2022: complete the whole tensor once (coarse stage), then for grids
of 2x2, 4x4, ... patches over two "spatial" axes, re-complete every patch (with a ring of
``overlap`` entries) from its real observations plus ``pseudo_ratio`` of its entries taken
from the current completion as pseudo-observations; keep the new patch only when
``||new - old||^2 / ||old||^2 < accept_tol``; average overlapping patches.  Observed entries
never change.

Border: with ``pad=5`` (the paper) the tensor is zero-padded by 5 entries on both spatial axes
(the padding counts as observed zeros) before the coarse stage and cropped at the end, so border
patches get a full ring. With ``pad=0`` (the default) border patches are clipped (their ring
only extends inwards) and the coarse stage is exactly the base solver's result.
"""

from __future__ import annotations

import numpy as np

from ._base import CompletionInputError, Completer, progress_bar, psnr, rse, ssim, validate_inputs


def patch_bounds(n: int, grid: int, overlap: int) -> list[tuple[int, int]]:
    """Start/stop of ``grid`` near-equal cores along an axis of length ``n``, widened by ``overlap``."""
    edges = np.linspace(0, n, grid + 1).round().astype(int)
    return [(max(0, int(edges[k]) - overlap), min(n, int(edges[k + 1]) + overlap)) for k in range(grid)]


class C2F:
    """Coarse-to-fine completion around ``base`` (a :class:`~._base.Completer`).

    Parameters (paper defaults): ``n_scales=5`` (coarse + grids 2, 4, 8, 16 per side, i.e.
    ``2**(i-1)`` for ``i = 2..n_scales``) or an explicit ``grids`` tuple; ``overlap=5`` entries;
    ``pseudo_ratio=0.1``; ``accept_tol=0.1``; ``coarse_iter=300`` and ``fine_iter=100``
    iterations of the base solver; ``fine_params`` (other base parameters for the patch
    solves); ``spatial_axes=(0, 1)`` (axes cut into patches; the others stay whole);
    ``seed`` (pseudo-observation sampling); ``pad`` (zero padding on the spatial axes, entries;
    the paper: 5). ``grids=(16,)`` is the paper's skip-scale variant (coarse + finest only).

    After :meth:`complete`: ``stages_`` (one dict per stage: grid, patches, accepted and,
    with a reference, rse/psnr/ssim), ``coarse_`` (the coarse completion), ``history_``
    (the coarse solver's per-iteration history).
    """

    def __init__(self, base: Completer, n_scales: int = 5, grids=None, overlap: int = 5,
                 pseudo_ratio: float = 0.1, accept_tol: float = 0.1, coarse_iter: int = 300,
                 fine_iter: int = 100, fine_params=None, spatial_axes=(0, 1), seed: int = 0, pad: int = 0):
        self.base = base
        self.n_scales = n_scales
        self.grids = grids
        self.overlap = overlap
        self.pseudo_ratio = pseudo_ratio
        self.accept_tol = accept_tol
        self.coarse_iter = coarse_iter
        self.fine_iter = fine_iter
        self.fine_params = fine_params
        self.spatial_axes = spatial_axes
        self.seed = seed
        self.pad = pad

    @property
    def name(self) -> str:
        """``C2F-<base name>``."""
        return f"C2F-{self.base.name}"

    def grid_sizes(self) -> list[int]:
        """Patches per side of every fine stage."""
        if self.grids is not None:
            return [int(g) for g in self.grids]
        return [2 ** (i - 1) for i in range(2, int(self.n_scales) + 1)]

    def __repr__(self) -> str:
        return (f"C2F(base={self.base!r}, grids={self.grid_sizes()}, overlap={self.overlap}, "
                f"pseudo_ratio={self.pseudo_ratio}, accept_tol={self.accept_tol}, pad={self.pad})")

    def complete(self, tensor, mask, *, reference=None, data_range=None, coarse=None, progress=None) -> np.ndarray:
        """Complete ``tensor`` (``mask`` True = observed) coarse to fine and return it.

        ``coarse`` may pass an already computed coarse completion (e.g. the base solver's
        result) to skip the coarse stage.  ``reference``/``data_range`` as in
        :meth:`~._base.Completer.complete` (per-stage metrics).
        """
        t, m = validate_inputs(tensor, mask)
        axes = tuple(int(a) % t.ndim for a in self.spatial_axes)
        if len(axes) != 2 or axes[0] == axes[1]:
            raise CompletionInputError(f"spatial_axes: expected two distinct axes of a {t.ndim}-axis tensor, got {self.spatial_axes!r}")
        if not 0 <= float(self.pseudo_ratio) < 1:
            raise CompletionInputError(f"pseudo_ratio: expected a fraction in [0, 1), got {self.pseudo_ratio!r}")
        ref = None if reference is None else np.asarray(reference, dtype=np.float64)
        if ref is not None and data_range is None:
            data_range = float(ref.max() - ref.min()) or 1.0
        if int(self.pad) < 0:
            raise CompletionInputError(f"pad: expected a non-negative number of entries, got {self.pad!r}")
        p = int(self.pad)
        widths = [(p, p) if a in axes else (0, 0) for a in range(t.ndim)]
        self._crop = tuple(slice(p, t.shape[a] + p) if a in axes else slice(None) for a in range(t.ndim))
        t0, m0 = t, m
        if p:
            t, m = np.pad(t, widths), np.pad(m, widths, constant_values=True)
            if coarse is not None:
                coarse = np.pad(np.asarray(coarse, dtype=np.float64), widths)
        rng = np.random.default_rng(self.seed)
        self.stages_ = []
        self.history_ = {}
        if coarse is None:
            solver = self.base.clone(max_iter=self.coarse_iter)
            x = solver.complete(t, m, reference=None if p else ref, data_range=data_range, progress=progress)
            self.history_ = solver.history_
        else:
            x = np.asarray(coarse, dtype=np.float64)
            if x.shape != t.shape:
                raise CompletionInputError(f"coarse: expected shape {t0.shape}, got {tuple(s - 2 * p * (i in axes) for i, s in enumerate(x.shape))}")
            x = np.where(m, t, x)
        self.coarse_ = x[self._crop].copy()
        self._record(x, 1, 1, 1, ref, data_range)
        grids = self.grid_sizes()
        fine = self.base.clone(**{"max_iter": self.fine_iter, **(self.fine_params or {})})
        bar = progress_bar(sum(g * g for g in grids), self.name, progress)
        try:
            for g in grids:
                x, accepted = self._fine_stage(x, t, m, g, axes, fine, rng, bar)
                self._record(x, g, g * g, accepted, ref, data_range)
        finally:
            bar.close()
        return np.where(m0, t0, x[self._crop])

    def _fine_stage(self, x, t, m, grid, axes, fine, rng, bar):
        """One fine stage on a ``grid`` x ``grid`` patch grid; returns the new X and #accepted."""
        acc = np.zeros_like(x)
        cnt = np.zeros([x.shape[a] if a in axes else 1 for a in range(x.ndim)])  # broadcasts over other axes
        accepted = 0
        ov = int(self.overlap)
        for r0, r1 in patch_bounds(x.shape[axes[0]], grid, ov):
            for c0, c1 in patch_bounds(x.shape[axes[1]], grid, ov):
                sl = [slice(None)] * x.ndim
                sl[axes[0]], sl[axes[1]] = slice(r0, r1), slice(c0, c1)
                sl = tuple(sl)
                old, pm, pt = x[sl], m[sl].copy(), t[sl].copy()
                missing = np.flatnonzero(~pm)
                n_pseudo = min(missing.size, int(round(float(self.pseudo_ratio) * pm.size)))
                if n_pseudo:
                    pick = rng.choice(missing, size=n_pseudo, replace=False)
                    pm.flat[pick] = True
                    pt.flat[pick] = old.flat[pick]
                new = old
                if missing.size and pm.any():
                    cand = fine.complete(pt, pm, x0=old, progress=False)
                    den = float(np.sum(old**2))
                    if den > 0 and float(np.sum((cand - old) ** 2)) / den < float(self.accept_tol):
                        new = cand
                        accepted += 1
                acc[sl] += new
                cnt[sl] += 1.0
                bar.update(1)
        x = acc / cnt
        return np.where(m, t, x), accepted

    def _record(self, x, grid, patches, accepted, ref, data_range):
        row = {"grid": grid, "patches": patches, "accepted": accepted}
        if ref is not None:
            x = x[self._crop]
            row.update(rse=rse(x, ref), psnr=psnr(x, ref, data_range), ssim=ssim(x, ref, data_range))
        self.stages_.append(row)
