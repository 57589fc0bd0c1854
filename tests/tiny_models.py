"""Tiny Keras models and data shared by the unit tests (seconds, no weights to download)."""
from __future__ import annotations

import keras
import numpy as np


def tiny_base(seed=0):
    """input -> c1 -> bn1 -> [c2 -> add(c2, bn1)] -> c3: a residual block in the middle.

    Positions: 0 input, 1 c1, 2 bn1, 3 c2, 4 add, 5 c3. Cutting after c2 (3) is impossible:
    bn1's output jumps over it to the add."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="c1")(inputs)
    x = keras.layers.BatchNormalization(name="bn1")(x)
    y = keras.layers.Conv2D(4, 3, padding="same", name="c2")(x)
    x = keras.layers.Add(name="add")([y, x])
    x = keras.layers.Conv2D(6, 1, activation="relu", name="c3")(x)
    base = keras.Model(inputs, x, name="tiny")
    base.trainable = False
    return base


def toy_data(n=48, seed=0):
    """Two classes that differ in the mean of the first channel."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    images = rng.normal(size=(n, 8, 8, 3)).astype("float32")
    images[..., 0] += 1.5 * labels[:, None, None]
    return images, labels
