"""Point-cloud data: the generated shapes3d set (determinism, split, augmentation bounds) and the ModelNet40 loader."""

import h5py
import numpy as np
import pytest

from codesign.models.data.pointclouds import (POINTCLOUD_CLASSES, PointCloudDataError, load_modelnet40,
                                              make_pointcloud_dataset, sample_shape, to_model_input)


def test_generator_is_deterministic_and_balanced():
    a = make_pointcloud_dataset(30, 20, seed=3, n_points=256)
    b = make_pointcloud_dataset(30, 20, seed=3, n_points=256)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    xtr, ytr, xte, yte = a
    assert xtr.shape == (30, 256, 3) and xte.shape == (20, 256, 3) and xtr.dtype == np.float32
    assert ytr.dtype == np.int64 and np.bincount(ytr, minlength=10).tolist() == [3] * 10
    assert np.bincount(yte, minlength=10).tolist() == [2] * 10
    other = make_pointcloud_dataset(30, 20, seed=4, n_points=256)
    assert not np.array_equal(other[0], xtr)
    # the test split does not depend on the train size (fixed split from independent streams)
    np.testing.assert_array_equal(make_pointcloud_dataset(10, 20, seed=3, n_points=256)[2], xte)


def test_samples_are_normalised_with_outliers_and_distinct_classes():
    rng = np.random.default_rng(0)
    clouds = [sample_shape(c, rng, 1024) for c in range(len(POINTCLOUD_CLASSES))]
    for p in clouds:
        assert p.shape == (1024, 3)
        assert np.abs(p).max() <= 1.0 + 0.04  # unit ball, jitter clipped at 0.03, outliers in the unit cube
    sphere, cube = clouds[0], clouds[1]
    # a sphere's points sit at one radius (up to scaling/jitter), a cube's do not
    r_s, r_c = np.linalg.norm(sphere - sphere.mean(0), axis=1), np.linalg.norm(cube - cube.mean(0), axis=1)
    assert np.median(r_s) > 0.5 and r_c.std() > 0.05


def test_to_model_input_layout():
    pts = np.arange(2 * 5 * 3, dtype=np.float32).reshape(2, 5, 3)
    x = to_model_input(pts)
    assert x.shape == (2, 3, 5, 1) and x[1, 2, 4, 0] == pts[1, 4, 2]
    with pytest.raises(PointCloudDataError, match=r"expected \(N, P, 3\)"):
        to_model_input(pts[..., :2])


def _write(path, n, points=2048, label_key="label"):
    rng = np.random.default_rng(n)
    with h5py.File(path, "w") as f:
        f["data"] = rng.standard_normal((n, points, 3)).astype(np.float32)
        f[label_key] = rng.integers(0, 40, (n, 1)).astype(np.uint8)
    return rng


def test_modelnet40_loader_reads_the_standard_release(tmp_path):
    _write(tmp_path / "ply_data_train0.h5", 3)
    _write(tmp_path / "ply_data_train1.h5", 2)
    _write(tmp_path / "ply_data_test0.h5", 4)
    xtr, ytr, xte, yte = load_modelnet40(tmp_path, n_points=1024)
    assert xtr.shape == (5, 1024, 3) and xte.shape == (4, 1024, 3) and ytr.shape == (5,) and yte.dtype == np.int64
    with h5py.File(tmp_path / "ply_data_train0.h5") as f:
        np.testing.assert_array_equal(xtr[:3], f["data"][:, :1024])
        np.testing.assert_array_equal(ytr[:3], f["label"][:, 0])


def test_modelnet40_bad_inputs_name_the_file(tmp_path):
    with pytest.raises(PointCloudDataError, match="not a folder"):
        load_modelnet40(tmp_path / "missing")
    with pytest.raises(PointCloudDataError, match="no ply_data_train"):
        load_modelnet40(tmp_path)
    _write(tmp_path / "ply_data_train0.h5", 2, label_key="labels")
    _write(tmp_path / "ply_data_test0.h5", 2)
    with pytest.raises(PointCloudDataError, match=r"ply_data_train0.h5: missing dataset /label"):
        load_modelnet40(tmp_path)
    _write(tmp_path / "ply_data_train0.h5", 2, points=100)
    with pytest.raises(PointCloudDataError, match=r"ply_data_train0.h5/data: shape"):
        load_modelnet40(tmp_path)
    with pytest.raises(PointCloudDataError, match="n_points"):
        make_pointcloud_dataset(10, 10, n_points=0)
