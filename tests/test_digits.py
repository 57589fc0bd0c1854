"""Unit tests for helpers.digits: MNIST and USPS files written in their real layouts."""
from __future__ import annotations

import h5py
import numpy as np
import pytest

from helpers import assets, digits


@pytest.fixture
def local_assets(tmp_path, monkeypatch):
    monkeypatch.setenv(assets.ASSETS_ENV, str(tmp_path))
    return tmp_path


def test_load_mnist_scales_to_unit_range(local_assets):
    (local_assets / "mnist").mkdir()
    rng = np.random.default_rng(0)
    arrays = {f"x_{s}": rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
              for s, n in (("train", 6), ("test", 4))}
    arrays |= {"y_train": np.arange(6) % 10, "y_test": np.arange(4)}
    np.savez(local_assets / "mnist" / "mnist.npz", **arrays)
    loaded = digits.load_mnist()
    x, _ = loaded["train"]
    assert x.shape == (6, 28, 28) and x.dtype == np.float32
    assert x.max() <= 1.0 and np.allclose(x * 255, arrays["x_train"])
    assert loaded["test"][1].tolist() == [0, 1, 2, 3]


def test_load_mnist_names_a_wrong_file(local_assets):
    (local_assets / "mnist").mkdir()
    np.savez(local_assets / "mnist" / "mnist.npz", images=np.zeros(3))
    with pytest.raises(assets.AssetError, match="x_train"):
        digits.load_mnist()


def test_load_usps_reshapes_to_16_by_16(local_assets):
    (local_assets / "usps").mkdir()
    with h5py.File(local_assets / "usps" / "usps.h5", "w") as f:
        for split, n in (("train", 5), ("test", 3)):
            f.create_dataset(f"{split}/data", data=np.linspace(0, 1, n * 256).reshape(n, 256))
            f.create_dataset(f"{split}/target", data=np.arange(n))
    loaded = digits.load_usps()
    assert loaded["train"][0].shape == (5, 16, 16) and loaded["test"][1].tolist() == [0, 1, 2]


def test_resize_is_full_frame():
    image = np.zeros((1, 28, 28), np.float32)
    image[0, :, :14] = 1.0  # left half white
    small = digits.resize(image, 16)
    assert small.shape == (1, 16, 16)
    assert small[0, :, :6].min() > 0.9 and small[0, :, -6:].max() < 0.1


def test_grey_batch_adds_the_channel_and_names_bad_input():
    assert digits.grey_batch(np.zeros((2, 4, 4)), "x").shape == (2, 4, 4, 1)
    assert digits.grey_batch(np.zeros((2, 4, 4, 1), "uint8"), "x").dtype == np.float32
    with pytest.raises(ValueError, match="x_target must be grey images"):
        digits.grey_batch(np.zeros((2, 4, 4, 3)), "x_target")
