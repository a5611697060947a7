"""Tests of the OPM-tensor helpers (synthetic tensors; no line simulation) and of the CLI wiring."""

import numpy as np
import pytest

from codesign.optics.completion import CompletionInputError, HaLRTC
from codesign.optics.completion.opm import complete_opm, drop_bursts, drop_random, interpolate_gaps, monitor_rows


def telemetry(n_mon=4, n_ch=6, n_t=200, seed=0):
    """(2M+2, C, T) tensor: per-row/channel offsets plus common drifts and a step (a 'tap')."""
    rng = np.random.default_rng(seed)
    q = 2 * n_mon + 2
    t = np.arange(n_t)
    common = 0.3 * np.sin(t / 25.0) + np.where(t > 120, -1.0, 0.0)
    gain = rng.uniform(0.5, 1.5, (q, 1, 1))
    x = rng.normal(0, 3, (q, n_ch, 1)) + gain * common[None, None, :]
    return x + rng.normal(0, 0.02, x.shape)


def test_drop_masks():
    rng = np.random.default_rng(0)
    shape = (10, 6, 500)
    keep = drop_random(shape, 4, 0.2, rng)
    assert 0.15 < 1 - keep.mean() < 0.25
    assert np.all(keep == keep[:, :1, :])  # a lost reading loses all channels
    assert monitor_rows(4, 3) == [3, 7, 8, 9]  # the receiver takes its DSP rows with it
    burst = drop_bursts(shape, 4, 1, 50, rng, monitors=[1])
    assert (~burst).sum() == 2 * 6 * 50 and not (~burst[[0, 2, 3]]).any()


def test_interpolation_and_completion_fill_gaps():
    x = telemetry()
    rng = np.random.default_rng(1)
    keep = drop_random(x.shape, 4, 0.2, rng) & drop_bursts(x.shape, 4, 1, 40, rng, monitors=[3])
    gapped = np.where(keep, x, np.nan)
    gap = ~keep
    xi = interpolate_gaps(gapped, keep)
    xc = complete_opm(gapped, keep, HaLRTC(alpha=[1, 1, 0], max_iter=80), progress=False)
    assert np.array_equal(xc[keep], x[keep]) and np.array_equal(xi[keep], x[keep])
    err_i = np.sqrt(np.mean((xi - x)[gap] ** 2))
    err_c = np.sqrt(np.mean((xc - x)[gap] ** 2))
    spread = np.std(x[gap])
    assert err_i < 0.5 * spread and err_c < 0.5 * spread


@pytest.mark.filterwarnings("ignore:All-NaN slice")
def test_channels_off_stay_off():
    x = telemetry()
    x[:, 2, :] = np.nan  # channel 2 never lit
    keep = drop_random(x.shape, 4, 0.2, np.random.default_rng(2))
    out = complete_opm(np.where(keep, x, np.nan), keep, HaLRTC(alpha=[1, 1, 0], max_iter=20), progress=False)
    assert np.all(np.isnan(out[:, 2])) and np.all(np.isfinite(out[:, [0, 1, 3]]))
    with pytest.raises(CompletionInputError, match="keep"):
        complete_opm(x, keep[:, :, :10], HaLRTC())


def test_cli_reports_bad_size_as_one_line(capsys):
    from codesign.scenarios.cli import main

    assert main(["complete", "images", "--size", "10", "-o", "unused"]) == 2
    assert "--size: expected at least 64" in capsys.readouterr().err
