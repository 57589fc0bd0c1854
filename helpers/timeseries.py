"""Time series for transfer learning: UCR archive files, resampling, z-normalization, a 1-D CNN
and the archive's 1-NN Euclidean baseline.

Lesson 17 explains all of it: pre-training the 1-D CNN on one UCR data set and fine-tuning it on
another, against training from scratch and against 1-NN.
Series come back as float32 arrays of shape (n, length); labels as int64 from 0 to k - 1.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np


class UCRError(ValueError):
    """A UCR file or folder is missing or not in the archive's format; the message says which."""


@dataclass(frozen=True)
class Split:
    """One split of a UCR data set: series ``x`` (n, length), labels ``y`` (n,) from 0 to k-1."""

    x: np.ndarray
    y: np.ndarray


def read_ucr_file(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read one UCR 2018 ``.tsv`` file (label first, then the values; one series a line).

    Returns the series (float32) and the labels exactly as written in the file."""
    path = Path(path)
    if not path.is_file():
        raise UCRError(f"{path} does not exist. Check the data set name and that the folder "
                       "holds <name>_TRAIN.tsv (and <name>_TEST.tsv).")
    try:
        table = np.loadtxt(path, delimiter="\t", dtype=np.float64, ndmin=2)
    except ValueError as error:
        raise UCRError(f"{path} is not a UCR 2018 file (tab-separated numbers, label first, "
                       f"one series a line): {error}") from error
    if table.shape[1] < 3:
        raise UCRError(f"{path} has {table.shape[1]} column(s); a UCR line is a label followed "
                       "by at least two values. Is it comma-separated (an older archive)?")
    if np.isnan(table).any():
        raise UCRError(f"{path} holds missing values (NaN): variable-length or incomplete "
                       "series. Pick a fixed-length data set or fill the gaps first.")
    return table[:, 1:].astype(np.float32), table[:, 0]


def load_ucr(name: str, root: str | Path) -> dict[str, Split]:
    """The splits of UCR data set ``name`` under ``root``: {'train': Split, 'test': Split}.

    'test' is absent when only ``<name>_TRAIN.tsv`` exists. Labels are mapped to 0..k-1 in
    sorted order of the original labels of both splits together (ECG200: -1/1 or 0/1 -> 0/1)."""
    folder = Path(root) / name
    if not folder.is_dir():
        found = sorted(p.name for p in Path(root).glob("*") if p.is_dir())
        raise UCRError(f"No folder {name!r} in {root}; data sets there: {found}.")
    raw = {split: read_ucr_file(folder / f"{name}_{split.upper()}.tsv")
           for split in ("train", "test") if split == "train"
           or (folder / f"{name}_{split.upper()}.tsv").exists()}
    classes = np.unique(np.concatenate([labels for _, labels in raw.values()]))
    return {split: Split(x, np.searchsorted(classes, labels).astype(np.int64))
            for split, (x, labels) in raw.items()}


def resample(x: np.ndarray, length: int) -> np.ndarray:
    """Linearly interpolate every series of ``x`` (n, old_length) to ``length`` points."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] < 2:
        raise UCRError(f"resample expects (n_series, length >= 2), got shape {x.shape}.")
    if length < 2:
        raise UCRError(f"length must be at least 2, got {length}.")
    old, new = np.linspace(0.0, 1.0, x.shape[1]), np.linspace(0.0, 1.0, length)
    return np.stack([np.interp(new, old, row) for row in x]).astype(np.float32)


def znormalize(x: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    """Shift and scale every series to mean 0 and standard deviation 1 (a flat series -> 0)."""
    x = np.asarray(x, dtype=np.float32)
    std = x.std(axis=1, keepdims=True)
    return ((x - x.mean(axis=1, keepdims=True)) / np.maximum(std, eps)).astype(np.float32)


def prepare(x: np.ndarray, length: int) -> np.ndarray:
    """Resample to ``length``, z-normalize, and add the channel axis: (n, length, 1)."""
    return znormalize(resample(x, length))[..., None]


def build_cnn(num_classes: int, filters: tuple[int, ...] = (32, 64, 32),
              kernels: tuple[int, ...] = (8, 5, 3), bn_momentum: float = 0.9,
              name: str = "cnn1d") -> keras.Model:
    """A small fully convolutional 1-D network (Wang et al. 2017's FCN, narrower).

    Conv1D -> BatchNormalization -> ReLU blocks, global average pooling (layer "features"), and
    a softmax layer "head". It accepts series of any length, shape (batch, length, 1).
    ``bn_momentum`` 0.9 (Keras' default is 0.99): with a few hundred steps on tiny data sets the
    default leaves the moving statistics far from the data, and inference collapses to one class."""
    if len(filters) != len(kernels) or not filters:
        raise ValueError(f"filters {filters} and kernels {kernels} need the same, non-zero length.")
    inputs = keras.Input((None, 1), name="series")
    x = inputs
    for i, (f, k) in enumerate(zip(filters, kernels), start=1):
        x = keras.layers.Conv1D(f, k, padding="same", name=f"conv{i}")(x)
        x = keras.layers.BatchNormalization(momentum=bn_momentum, name=f"bn{i}")(x)
        x = keras.layers.Activation("relu", name=f"relu{i}")(x)
    x = keras.layers.GlobalAveragePooling1D(name="features")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="head")(x)
    return keras.Model(inputs, outputs, name=name)


def with_new_head(pretrained: keras.Model, num_classes: int) -> keras.Model:
    """A copy of the pretrained network up to its "features" layer plus a fresh softmax head.

    The body's weights are copied, so training the result leaves ``pretrained`` untouched. The
    head comes from ``models.build_head``, the course's one head builder."""
    from helpers import models

    if "features" not in [layer.name for layer in pretrained.layers]:
        raise ValueError(f"{pretrained.name} has no layer named 'features'; build it with "
                         "timeseries.build_cnn.")
    copy = models.copy_model(pretrained)
    features = copy.get_layer("features").output
    head = models.build_head(features.shape[-1], num_classes, dropout=0.0)
    return keras.Model(copy.input, head(features), name=f"{pretrained.name}_new_head")


def one_nn_accuracy(train: Split, test: Split) -> float:
    """Accuracy of the 1-nearest-neighbour classifier with Euclidean distance (the UCR
    archive's reference baseline), on the series as given."""
    from sklearn.neighbors import KNeighborsClassifier

    if train.x.shape[1] != test.x.shape[1]:
        raise UCRError(f"1-NN needs equal lengths: train {train.x.shape[1]}, test "
                       f"{test.x.shape[1]}. Resample both to one length first.")
    knn = KNeighborsClassifier(n_neighbors=1, metric="euclidean").fit(train.x, train.y)
    return float(knn.score(test.x, test.y))


def accuracy(model: keras.Model, split: Split, batch_size: int = 2048) -> float:
    """Accuracy of ``model`` on a split of prepared series, in inference mode.

    Calls the model directly instead of ``evaluate``: with dozens of small models, building an
    evaluation graph for each one costs more than the computation itself."""
    if len(split.x) != len(split.y):
        raise ValueError(f"{len(split.x)} series but {len(split.y)} labels; pass one label each.")
    predicted = [np.argmax(keras.ops.convert_to_numpy(model(split.x[i:i + batch_size],
                                                             training=False)), axis=-1)
                 for i in range(0, len(split.x), batch_size)]
    return float(np.mean(np.concatenate(predicted) == split.y)) if predicted else float("nan")
