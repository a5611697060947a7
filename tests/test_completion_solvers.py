"""Tests of codesign.optics.completion: recovery, observed entries, C2F vs base, input errors."""

import numpy as np
import pytest

from codesign.errors import CodesignError
from codesign.optics.completion import C2F, CompletionInputError, HaLRTC, LRTCTV, fold, patch_bounds, svt, unfold


def low_rank_tensor(shape=(20, 20, 20), rank=2, seed=0):
    """Tucker tensor with multilinear rank (rank, rank, rank)."""
    rng = np.random.default_rng(seed)
    core = rng.standard_normal((rank,) * len(shape))
    x = core
    for mode, n in enumerate(shape):
        u = np.linalg.qr(rng.standard_normal((n, rank)))[0]
        x = np.moveaxis(np.tensordot(u, np.moveaxis(x, mode, 0), axes=(1, 0)), 0, mode)
    return x / np.abs(x).max()


def random_mask(shape, missing, seed=1):
    return np.random.default_rng(seed).random(shape) >= missing


def test_unfold_fold_roundtrip():
    x = np.arange(24.0).reshape(2, 3, 4)
    for mode in range(3):
        assert unfold(x, mode).shape == (x.shape[mode], x.size // x.shape[mode])
        np.testing.assert_array_equal(fold(unfold(x, mode), mode, x.shape), x)


def test_svt_matches_svd_shrinkage():
    a = np.random.default_rng(0).standard_normal((8, 20))
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    expect = (u * np.maximum(s - 1.0, 0)) @ vt
    np.testing.assert_allclose(svt(a, 1.0), expect, atol=1e-10)
    np.testing.assert_allclose(svt(a.T, 1.0), expect.T, atol=1e-10)
    assert not svt(a, 1e3).any()


@pytest.mark.parametrize("missing", [0.3, 0.5])
def test_halrtc_recovers_low_rank_tensor(missing):
    x = low_rank_tensor()
    m = random_mask(x.shape, missing)
    solver = HaLRTC(rho_growth=1.1, max_iter=300, tol=1e-9)
    out = solver.complete(x, m, reference=x, progress=False)
    assert np.linalg.norm(out - x) / np.linalg.norm(x) < 1e-4
    assert solver.history_["rse"][-1] < 1e-4 and solver.history_["rse"][0] > 1e-2  # tracked per iteration
    assert len(solver.history_["psnr"]) == solver.n_iter_


def test_lrtctv_recovers_low_rank_tensor():
    x = low_rank_tensor((16, 16, 16))
    m = random_mask(x.shape, 0.4)
    out = LRTCTV(lam=1e-4, rho_growth=1.1, max_iter=200, tol=1e-9).complete(x, m, progress=False)
    assert np.linalg.norm(out - x) / np.linalg.norm(x) < 1e-2


@pytest.mark.parametrize("solver", [HaLRTC(max_iter=30), LRTCTV(max_iter=30)], ids=["HaLRTC", "LRTC-TV"])
def test_observed_entries_never_change(solver):
    rng = np.random.default_rng(3)
    x = rng.random((16, 18, 3))
    m = random_mask(x.shape, 0.6)
    t = np.where(m, x, np.nan)  # NaN at missing entries is allowed
    out = solver.complete(t, m, progress=False)
    assert np.array_equal(out[m], x[m])
    assert np.all(np.isfinite(out))
    out2 = C2F(solver, grids=(2, 4), coarse_iter=20, fine_iter=10).complete(t, m, progress=False)
    assert np.array_equal(out2[m], x[m])


def chirp_tensor(n=32):
    """Globally high-rank but locally low-rank tensor (the case C2F is built for)."""
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    return np.stack([np.sin(i * j / 40.0 + c) for c in (0.0, 0.5, 1.0)], axis=-1)


@pytest.mark.parametrize("missing", [0.5, 0.7])
def test_c2f_not_worse_than_base_on_synthetic(missing):
    x = chirp_tensor()
    m = random_mask(x.shape, missing, seed=2)
    base = HaLRTC(max_iter=150)
    xb = base.complete(x, m, progress=False)
    c2f = C2F(base, n_scales=3, fine_iter=100, seed=0)
    xc = c2f.complete(x, m, reference=x, coarse=xb, progress=False)
    err_b = np.linalg.norm(xb - x) / np.linalg.norm(x)
    err_c = np.linalg.norm(xc - x) / np.linalg.norm(x)
    assert err_c <= err_b
    assert [s["grid"] for s in c2f.stages_] == [1, 2, 4]
    assert c2f.stages_[0]["rse"] == pytest.approx(err_b)
    assert c2f.stages_[-1]["rse"] == pytest.approx(err_c)


def test_c2f_runs_its_own_coarse_stage_and_is_deterministic():
    x = low_rank_tensor((20, 20, 3), rank=2)
    m = random_mask(x.shape, 0.5)
    a = C2F(HaLRTC(), grids=(2,), coarse_iter=40, fine_iter=20, seed=4).complete(x, m, progress=False)
    b = C2F(HaLRTC(), grids=(2,), coarse_iter=40, fine_iter=20, seed=4).complete(x, m, progress=False)
    np.testing.assert_array_equal(a, b)


def test_patch_bounds_cover_axis_with_overlap():
    b = patch_bounds(100, 4, 5)
    assert b[0] == (0, 30) and b[-1] == (70, 100)
    covered = np.zeros(100, int)
    for lo, hi in b:
        covered[lo:hi] += 1
    assert covered.min() >= 1 and covered.max() == 2


def test_params_are_sklearn_like():
    s = HaLRTC(rho=0.5, max_iter=7)
    assert s.get_params()["rho"] == 0.5
    c = s.clone(max_iter=3)
    assert c.max_iter == 3 and c.rho == 0.5 and s.max_iter == 7
    with pytest.raises(CompletionInputError, match="unknown parameter"):
        s.set_params(bogus=1)


def test_wrong_mask_shape_is_a_clear_error():
    with pytest.raises(CompletionInputError, match=r"mask: expected the shape of tensor \(4, 5, 3\)") as e:
        HaLRTC().complete(np.zeros((4, 5, 3)), np.ones((4, 5), bool))
    assert isinstance(e.value, CodesignError)


def test_all_missing_is_a_clear_error():
    with pytest.raises(CompletionInputError, match="every entry of tensor .* is missing"):
        HaLRTC().complete(np.zeros((4, 5, 3)), np.zeros((4, 5, 3), bool))
    with pytest.raises(CompletionInputError, match="every entry"):
        C2F(LRTCTV()).complete(np.zeros((4, 5)), np.zeros((4, 5)))


def test_nan_observed_and_other_bad_inputs():
    t = np.ones((4, 5, 3))
    t[1, 2, 0] = np.nan
    with pytest.raises(CompletionInputError, match=r"observed entry \(1, 2, 0\) is nan"):
        HaLRTC().complete(t, np.ones(t.shape, bool))
    with pytest.raises(CompletionInputError, match="at least 2 axes"):
        HaLRTC().complete(np.ones(5), np.ones(5, bool))
    with pytest.raises(CompletionInputError, match="booleans or 0/1"):
        HaLRTC().complete(np.ones((3, 3)), np.full((3, 3), 2))
    with pytest.raises(CompletionInputError, match="alpha"):
        HaLRTC(alpha=[1, 1]).complete(np.ones((3, 3, 3)), random_mask((3, 3, 3), 0.5))
    with pytest.raises(CompletionInputError, match="tv_axes"):
        LRTCTV(tv_axes=(0, 5)).complete(np.ones((3, 3, 3)), random_mask((3, 3, 3), 0.5))


def test_fully_observed_returns_input():
    x = np.random.default_rng(0).random((5, 6))
    np.testing.assert_array_equal(HaLRTC().complete(x, np.ones(x.shape, bool)), x)
