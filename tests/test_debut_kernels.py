"""Digital DeBut kernels (sim/executors/debut_kernels.py): every path equals the float64 chain; all paths agree bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from codesign.models.debut.layers import as_chain, chain_dense
from codesign.models.debut.chain import generate_chain
from codesign.sim.executors import debut_kernels as K
from codesign.sim.ops import im2col


def _tables(out_size, in_size, chain, seed=0, bias=True):
    rng = np.random.default_rng(seed)
    rows = [tuple(int(v) for v in f.as_list()) for f in chain]
    thetas = [rng.normal(size=(r[1] // (r[3] * r[4]), r[2], r[3], r[4])).astype(np.float32) for r in rows]
    b = rng.normal(size=out_size).astype(np.float32) if bias else None
    dense = chain_dense(chain, [t.astype(np.float64) for t in thetas])[:out_size, :in_size]
    return K.DeButTables(rows, thetas, b, in_size, out_size), dense, b


def _serial_and_parallel(monkeypatch, fn):
    monkeypatch.setattr(K, "PARALLEL_MIN_MACS", 1 << 60)
    ser = fn()
    monkeypatch.setattr(K, "PARALLEL_MIN_MACS", 1)
    return ser, fn()


@pytest.mark.parametrize("bias", [True, False])
def test_linear_all_batch_sizes_equal_dense(monkeypatch, bias):
    chain = as_chain([[32, 64, 2, 4, 1], [24, 32, 3, 4, 2]])  # padded: 50 inputs -> 64, 24 outputs -> 20
    tab, dense, b = _tables(20, 50, chain, bias=bias)
    x = np.random.default_rng(1).normal(size=(150, 50)).astype(np.float32)
    ref = x.astype(np.float64) @ dense.T + (b if bias else 0)
    ser, par = _serial_and_parallel(monkeypatch, lambda: tab.linear(x))
    assert np.allclose(ser, ref, atol=1e-4, rtol=1e-4)
    assert np.array_equal(ser, par)
    one_by_one = np.concatenate([tab.linear(x[i:i + 1]) for i in range(len(x))])  # single-vector path
    assert np.array_equal(one_by_one, ser)


@pytest.mark.parametrize("shape, kernel, stride, padding", [
    ((3, 7, 9), (3, 3), (1, 1), (1, 1)),
    ((3, 7, 9), (2, 3), (1, 1), (0, 2)),
    ((3, 7, 9), (3, 3), (2, 1), (1, 0)),   # strided: gather path
    ((2, 4, 140), (3, 3), (1, 1), (1, 1)),  # one output row wider than a block
])
def test_conv_equals_im2col_dense(monkeypatch, shape, kernel, stride, padding):
    ci, co = shape[0], 6
    n_in = ci * kernel[0] * kernel[1]
    chain = generate_chain(co, n_in, mode="any")
    tab, dense, b = _tables(co, n_in, chain, seed=2)
    x = np.random.default_rng(3).normal(size=(5, *shape)).astype(np.float32)
    cols = im2col(x, kernel, stride, padding).astype(np.float64)  # N, P, K
    oh = (shape[1] + 2 * padding[0] - kernel[0]) // stride[0] + 1
    ow = (shape[2] + 2 * padding[1] - kernel[1]) // stride[1] + 1
    ref = (cols @ dense.T + b).transpose(0, 2, 1).reshape(5, co, oh, ow)
    ser, par = _serial_and_parallel(monkeypatch, lambda: tab.conv(x, kernel, stride, padding, (oh, ow)))
    assert np.allclose(ser, ref, atol=1e-4, rtol=1e-4)
    assert np.array_equal(ser, par)
    one_by_one = np.concatenate([tab.conv(x[i:i + 1], kernel, stride, padding, (oh, ow)) for i in range(5)])
    assert np.array_equal(one_by_one, ser)
    if stride == (1, 1):  # the im2col-free path and the gather path sum in the same order
        geo = np.array([*kernel, *stride, *padding, oh, ow], np.int64)
        gathered = np.empty_like(ser)
        K._conv_ser(x, geo, tab.rows, tab.offsets, tab.theta, tab.bias, tab.has_bias, tab.max_width, gathered,
                    K.conv_chunks(5, oh, ow))
        assert np.array_equal(gathered, ser)


def test_padded_conv_chain_reads_zero_inputs():
    """A chain longer than ci·kh·kw (q_0 > 18): the extra inputs are zeros, as PyTorch's F.pad."""
    chain = as_chain([[12, 24, 2, 4, 1], [8, 12, 2, 3, 1]])  # 18 inputs -> 24, 8 outputs -> 6
    tab, dense, b = _tables(6, 18, chain, seed=4, bias=False)
    x = np.random.default_rng(5).normal(size=(2, 2, 5, 5)).astype(np.float32)
    ref = (im2col(x, (3, 3), (1, 1), (1, 1)).astype(np.float64) @ dense.T).transpose(0, 2, 1).reshape(2, 6, 5, 5)
    assert np.allclose(tab.conv(x, (3, 3), (1, 1), (1, 1), (5, 5)), ref, atol=1e-4, rtol=1e-4)
