"""Pre-training your own source model: a small digit CNN, a self-supervised pretext task
(rotation prediction), training by a fixed number of gradient steps, saving and reloading.

Lesson 11 explains it: pre-train once on a large source (with or without labels), save the
encoder as a ``.keras`` file, then reuse it frozen or fine-tuned on a small labelled target.
"""
from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from helpers import training

ROTATIONS = (0, 90, 180, 270)  # the four classes of the rotation pretext task


def digit_encoder(input_size: int = 16, embedding: int = 128, name: str = "encoder") -> keras.Model:
    """Grey (size, size) image in [0, 1] -> ``embedding`` features. Plain Keras layers only, so
    the saved file loads with ``safe_mode`` on."""
    if input_size < 8:
        raise ValueError(f"input_size={input_size}: the encoder pools twice; use 8 px or more.")
    inputs = keras.Input((input_size, input_size), name="pixels")
    x = keras.layers.Reshape((input_size, input_size, 1), name="add_channel")(inputs)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv1")(x)
    x = keras.layers.MaxPooling2D(name="pool1")(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu", name="conv2")(x)
    x = keras.layers.MaxPooling2D(name="pool2")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(embedding, activation="relu", name="embedding")(x)
    return keras.Model(inputs, outputs, name=name)


def classifier(encoder: keras.Model, num_classes: int, trainable: bool = True,
               dropout: float = 0.0, name: str = "classifier") -> keras.Model:
    """``encoder`` (frozen unless ``trainable``) -> Dropout -> a new softmax head."""
    if num_classes < 2:
        raise ValueError(f"num_classes={num_classes}: a classifier needs at least 2 classes.")
    encoder.trainable = trainable
    inputs = keras.Input(encoder.input_shape[1:], name="pixels")
    x = encoder(inputs)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="new_head")(x)
    return keras.Model(inputs, outputs, name=name)


def rotation_task(images: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The rotation pretext task: every image turned by 0, 90, 180 and 270 degrees, labelled
    0-3 by its rotation. Needs no human label; returns shuffled (images, rotation labels)."""
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1] != images.shape[2]:
        raise ValueError(f"rotation_task needs square grey images (n, size, size), got shape "
                         f"{images.shape}; drop the channel axis first.")
    rotated = np.concatenate([np.rot90(images, k, axes=(1, 2)) for k in range(len(ROTATIONS))])
    labels = np.repeat(np.arange(len(ROTATIONS)), len(images))
    order = np.random.default_rng(seed).permutation(len(labels))
    return rotated[order].astype("float32"), labels[order].astype("int64")


def relabel(labels: np.ndarray, classes: list[int]) -> np.ndarray:
    """Map the chosen original classes to 0..len(classes)-1 (e.g. digits 5-9 -> 0-4)."""
    labels = np.asarray(labels)
    lookup = {c: i for i, c in enumerate(classes)}
    unknown = sorted(set(np.unique(labels).tolist()) - set(lookup))
    if unknown:
        raise ValueError(f"labels {unknown} are not in classes {classes}; select those images "
                         "first (e.g. np.isin(y, classes)).")
    return np.array([lookup[v] for v in labels.tolist()], dtype="int64")


def train_steps(model: keras.Model, x: np.ndarray, y: np.ndarray, steps: int,
                batch_size: int = 32, seed: int = 0) -> keras.callbacks.History:
    """Train for exactly ``steps`` gradient steps (the data repeated and shuffled as needed).

    With 5 or 5,000 training images the model gets the same number of updates, so a curve over
    labels per class compares data, not training time."""
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x has {len(x)} images and y {len(y)} labels; pass one label per image.")
    if steps < 1:
        raise ValueError(f"steps={steps}: train for at least one step.")
    needed = steps * batch_size
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(len(x)) for _ in range(-(-needed // len(x)))])[:needed]
    return model.fit(x[order], y[order], batch_size=batch_size, epochs=1, shuffle=False,
                     verbose=0)


class Retrainer:
    """Trains many small classifiers of one architecture with a single compiled model.

    Each run loads its own starting weights (random or pre-trained) and a fresh optimizer
    state, so Keras traces the training step once instead of once per model: on a CPU that
    tracing costs more than 150 steps of a small CNN. Lesson 11 runs dozens of such trainings.
    """

    def __init__(self, model: keras.Model):
        self.model = model
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    def run(self, weights: list[np.ndarray], x: np.ndarray, y: np.ndarray, steps: int,
            learning_rate: float, seed: int = 0, batch_size: int = 32) -> keras.Model:
        """Start from ``weights``, train ``steps`` steps at ``learning_rate``; return the model
        (evaluate it before the next run, which overwrites it)."""
        mine = [w.shape for w in self.model.get_weights()]
        if [tuple(w.shape) for w in weights] != [tuple(s) for s in mine]:
            raise ValueError("The starting weights do not fit this Retrainer's model: build them "
                             "with the same architecture (digit_encoder + classifier).")
        training.restart(self.model, weights, learning_rate)  # Adam's state back to zero
        train_steps(self.model, x, y, steps, batch_size, seed)
        return self.model


def linear_probe_accuracy(train_features: np.ndarray, train_labels: np.ndarray,
                          test_features: np.ndarray, test_labels: np.ndarray) -> float:
    """Accuracy of a logistic regression on frozen features (standardized), trained once."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    probe.fit(train_features, train_labels)
    return float(probe.score(test_features, test_labels))


def save_and_reload(model: keras.Model, path: str | Path) -> tuple[keras.Model, int]:
    """Save ``model`` in the Keras format and load it back (safe mode on); return
    (reloaded model, file size in bytes)."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"{path}: name the file '*.keras' (the Keras 3 format).")
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return keras.models.load_model(path, safe_mode=True), path.stat().st_size
