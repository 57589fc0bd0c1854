"""Handwritten digits as arrays: MNIST and USPS, through the course's asset resolver.

Two datasets of the same task (digits 0-9) from different sources: a natural pair for
pre-training (lesson 11) and domain adaptation (lesson 12). Images come back as float32 in
[0, 1], shape (n, height, width), labels as int64.
"""
from __future__ import annotations

import numpy as np

from helpers import assets

Split = tuple[np.ndarray, np.ndarray]


def _require(keys: set[str], found, path) -> None:
    missing = keys - set(found)
    if missing:
        raise assets.AssetError(f"{path} lacks the arrays {sorted(missing)}; it is not the "
                                "expected file. Delete it and run again to download it.")


def load_mnist() -> dict[str, Split]:
    """MNIST (28 x 28) as {'train': (x, y), 'test': (x, y)}."""
    path = assets.dataset_dir("mnist") / "mnist.npz"
    with np.load(path) as d:
        _require({"x_train", "y_train", "x_test", "y_test"}, d.files, path)
        return {split: (d[f"x_{split}"].astype("float32") / 255.0, d[f"y_{split}"].astype("int64"))
                for split in ("train", "test")}


def load_usps() -> dict[str, Split]:
    """USPS (16 x 16) as {'train': (x, y), 'test': (x, y)}."""
    import h5py

    path = assets.dataset_dir("usps") / "usps.h5"
    with h5py.File(path, "r") as f:
        _require({"train", "test"}, f.keys(), path)
        out = {}
        for split in ("train", "test"):
            x = np.asarray(f[split]["data"], dtype="float32")
            side = round(float(np.sqrt(x.shape[1])))
            out[split] = (x.reshape(-1, side, side), np.asarray(f[split]["target"]).astype("int64"))
    return out


def resize(images: np.ndarray, size: int) -> np.ndarray:
    """Resize (n, h, w) grey images full-frame to (n, size, size), antialiased, float32."""
    import keras

    resized = keras.ops.image.resize(images[..., None].astype("float32"), (size, size),
                                     antialias=True)
    return np.clip(keras.ops.convert_to_numpy(resized)[..., 0], 0.0, 1.0)


def grey_batch(images: np.ndarray, name: str) -> np.ndarray:
    """(n, h, w) or (n, h, w, 1) floats -> (n, h, w, 1) float32, with a clear error otherwise;
    ``name`` names the argument in that error."""
    images = np.asarray(images, dtype="float32")
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] != 1:
        raise ValueError(f"{name} must be grey images shaped (n, h, w) or (n, h, w, 1); got "
                         f"{images.shape}. Resize with digits.resize(x, size) first.")
    return images
