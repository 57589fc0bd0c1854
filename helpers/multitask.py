"""Multi-task learning: one shared trunk, several named heads, trained together (lesson 13).

General pieces: spectrogram arrays at a small size, a small spectrogram CNN trunk, a builder
that puts named softmax heads on any trunk, compiling with per-task loss weights, training on
a tiny dataset in one pass, and Caruana's control (the auxiliary labels shuffled).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import keras
import numpy as np


def spectrogram_trunk(input_shape: tuple[int, int, int], filters: Sequence[int] = (16, 32, 32),
                      units: int = 64, dropout: float = 0.3, name: str = "trunk") -> keras.Model:
    """A small CNN from random weights: [Conv3x3 -> MaxPool] per entry of ``filters``,
    Flatten (keeps *which* frequency and *when*), Dropout, Dense(``units``) = the shared
    representation every head reads."""
    if not filters or units < 1:
        raise ValueError(f"Need at least one conv block and units >= 1 (filters={filters}, "
                         f"units={units}).")
    layers: list = [keras.Input(input_shape, name="spectrogram")]
    for i, n in enumerate(filters, start=1):
        layers += [keras.layers.Conv2D(n, 3, padding="same", activation="relu", name=f"conv{i}"),
                   keras.layers.MaxPooling2D(name=f"pool{i}")]
    layers += [keras.layers.Flatten(name="flatten"), keras.layers.Dropout(dropout, name="dropout"),
               keras.layers.Dense(units, activation="relu", name="shared")]
    return keras.Sequential(layers, name=name)


def multi_output_model(trunk: keras.Model, heads: Mapping[str, int],
                       name: str = "multitask") -> keras.Model:
    """Functional model: input -> ``trunk`` -> one softmax Dense head per task.

    ``heads`` maps a task name to its number of classes; each output (and its head layer) is
    named after the task, and the model returns a dict ``{task: probabilities}``. One task gives
    the single-task model with the very same trunk."""
    if not heads:
        raise ValueError("heads is empty: give at least one task, e.g. {'digit': 10}.")
    for task, classes in heads.items():
        if not task.isidentifier():
            raise ValueError(f"Task name {task!r} must be a plain identifier (letters, digits, _).")
        if int(classes) < 2:
            raise ValueError(f"Task {task!r} has {classes} classes; a classifier needs >= 2.")
    inputs = keras.Input(trunk.input_shape[1:], name="inputs")
    shared = trunk(inputs)
    outputs = {task: keras.layers.Dense(int(classes), activation="softmax", name=task)(shared)
               for task, classes in heads.items()}
    return keras.Model(inputs, outputs, name=name)


def compile_multitask(model: keras.Model, loss_weights: Mapping[str, float],
                      learning_rate: float = 1e-3) -> keras.Model:
    """Adam, sparse cross-entropy per output, accuracy per output; the total loss is
    ``sum(loss_weights[task] * loss[task])``. Every output needs a weight (0 switches it off)."""
    names = list(model.output_names)
    if sorted(loss_weights) != sorted(names):
        raise ValueError(f"loss_weights has tasks {sorted(loss_weights)} but the model's outputs "
                         f"are {sorted(names)}; give one weight per output.")
    bad = {t: w for t, w in loss_weights.items() if not np.isfinite(w) or w < 0}
    if bad:
        raise ValueError(f"Loss weights must be finite and >= 0, got {bad}.")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss={t: "sparse_categorical_crossentropy" for t in names},
                  loss_weights={t: float(loss_weights[t]) for t in names},
                  metrics={t: ["accuracy"] for t in names})
    return model


def fit_repeated(model: keras.Model, x: np.ndarray, targets: Mapping[str, np.ndarray],
                 epochs: int, batch_size: int = 16) -> keras.callbacks.History:
    """``epochs`` passes over a tiny multi-task dataset as one shuffled Keras epoch (same
    gradient steps as ``fit(epochs=...)``, without the fixed cost per epoch)."""
    lengths = {task: len(y) for task, y in targets.items()}
    if any(n != len(x) for n in lengths.values()):
        raise ValueError(f"{len(x)} inputs but label counts {lengths}; give one label per "
                         "input for every task.")
    if epochs < 1:
        raise ValueError(f"epochs={epochs}; train for at least one pass.")
    repeat = np.concatenate
    return model.fit(repeat([x] * epochs), {t: repeat([y] * epochs) for t, y in targets.items()},
                     epochs=1, batch_size=batch_size, shuffle=True, verbose=0)


def shuffled_labels(labels: np.ndarray, seed: int) -> np.ndarray:
    """Caruana's control: the same labels in a random order. The auxiliary task keeps its
    classes and their frequencies but loses any link to the input, so a gain that survives
    it came from extra training signal or regularisation, not from a related task."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) < 2:
        raise ValueError(f"shuffled_labels needs a 1-D array of >= 2 labels, got shape "
                         f"{labels.shape}.")
    return np.random.default_rng(seed).permutation(labels)


def accuracy(model: keras.Model, x: np.ndarray, labels: np.ndarray, task: str) -> float:
    """Accuracy of one named output on (x, labels)."""
    if task not in model.output_names:
        raise ValueError(f"The model has no output {task!r}; its outputs: {model.output_names}.")
    predicted = model.predict(x, batch_size=256, verbose=0)[task].argmax(axis=1)
    return float(np.mean(predicted == np.asarray(labels)))
