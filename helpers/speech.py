"""Speech as small spectrogram images: speaker splits, batched resizing and a compact CNN.

Lesson 15 explains them: pre-train on some speakers of the Free Spoken Digit Dataset (FSDD) and
adapt to a new speaker from a few clips. Spectrograms come from :mod:`helpers.audio`.
"""
from __future__ import annotations

import keras
import numpy as np


def speaker_split(speakers: np.ndarray, new_speaker: str) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the clips of every other speaker (the source) and of ``new_speaker``."""
    speakers = np.asarray(speakers)
    known = sorted(set(speakers.tolist()))
    if new_speaker not in known:
        raise ValueError(f"Speaker {new_speaker!r} is not in the data; choose one of {known}.")
    if len(known) < 2:
        raise ValueError(f"Only one speaker ({known[0]!r}) in the data: a source needs others.")
    return np.flatnonzero(speakers != new_speaker), np.flatnonzero(speakers == new_speaker)


def spectrogram_cnn(input_size: int, num_classes: int = 10, dropout: float = 0.3,
                    name: str = "spectrogram_cnn") -> keras.Model:
    """A small CNN for (size, size, 1) spectrograms in [0, 1]: three conv blocks ``block1-3``,
    a dense ``embedding`` and a softmax ``head``. Flatten (not global pooling) keeps *where*
    energy sits: which frequency, which moment."""
    inputs = keras.Input((input_size, input_size, 1), name="spectrogram")
    x = inputs
    for i, filters in enumerate((16, 32, 64), start=1):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu",
                                name=f"block{i}_conv")(x)
        x = keras.layers.MaxPooling2D(name=f"block{i}_pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    x = keras.layers.Dense(64, activation="relu", name="embedding")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="head")(x)
    return keras.Model(inputs, outputs, name=name)


def train_only(model: keras.Model, layer_names: list[str]) -> int:
    """Freeze every layer except those named; return the number of trainable weight tensors.

    Compile the model afterwards for the change to take effect."""
    names = {layer.name for layer in model.layers}
    missing = sorted(set(layer_names) - names)
    if missing:
        raise ValueError(f"{model.name} has no layer(s) {missing}; its layers are "
                         f"{[layer.name for layer in model.layers]}.")
    for layer in model.layers:
        layer.trainable = layer.name in layer_names
    return len(model.trainable_weights)
