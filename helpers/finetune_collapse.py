"""Why a fine-tune can collapse to one class while its training accuracy rises: an experiment
that fine-tunes the top of a backbone on cached activations with BatchNormalization in training
or inference mode, a given learning rate and optional class weights, and that re-estimates the
BatchNormalization statistics afterwards.

Lesson 16 runs it on chest X-rays. The cached-activation trick (compute the frozen bottom once)
is lesson 06's, from ``helpers.finetune``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import keras
import numpy as np

from helpers import cutting, models

BATCHNORM_MODES = ("train", "frozen")


def batchnorm_layers(model: keras.Model) -> list[keras.layers.BatchNormalization]:
    """Every BatchNormalization layer inside ``model``, nested models included."""
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            found.append(layer)
        elif isinstance(layer, keras.Model):
            found += batchnorm_layers(layer)
    return found


def build_top_model(base: keras.Model, cut: int, n_trainable: int, batchnorm: str,
                    num_classes: int = 2, dropout: float = 0.2) -> keras.Model:
    """Cached activations at ``cut`` -> top of ``base`` -> pool -> dropout -> new softmax head.

    ``batchnorm="train"``: the unfrozen BatchNormalization layers are trainable and the top is
    called without ``training=False``, so ``fit`` normalizes with each batch's statistics and
    updates the moving averages (what ``base.trainable = True`` does). ``"frozen"``: they stay
    frozen, which in Keras 3 also means inference mode (the moving averages are used, unchanged).
    The model shares its layers with ``base``; call ``base.set_weights`` to undo training."""
    if batchnorm not in BATCHNORM_MODES:
        raise ValueError(f"batchnorm={batchnorm!r}: use one of {BATCHNORM_MODES}.")
    models.unfreeze_top(base, n_trainable, keep_batchnorm_frozen=batchnorm == "frozen")
    _, top = cutting.split(base, cut)
    inputs = keras.Input(shape=base.layers[cut].output.shape[1:], name="activations")
    x = top(inputs) if top is not None else inputs
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="new_head")(x)
    return keras.Model(inputs, outputs, name=f"top_bn_{batchnorm}")


def positive_scores(model: keras.Model, x: np.ndarray, batch_size: int = 128) -> np.ndarray:
    """Probability of class 1 for every row of ``x`` (inference mode)."""
    return model.predict(x, batch_size=batch_size, verbose=0)[:, 1]


def recalibrate_batchnorm(model: keras.Model, x: np.ndarray, max_examples: int = 512,
                          seed: int = 0) -> int:
    """Replace every BatchNormalization layer's moving mean and variance with the statistics of
    (up to ``max_examples`` of) ``x`` as the trained model sees them; weights stay as they are.
    Returns how many layers were recalibrated.

    One forward pass in training mode with momentum 0 sets each moving average to the batch's
    own statistics (lower layers already normalized the same way, as during training)."""
    layers = batchnorm_layers(model)
    if not layers:
        raise ValueError(f"{model.name} has no BatchNormalization layer to recalibrate.")
    rng = np.random.default_rng(seed)
    batch = x[rng.permutation(len(x))[:max_examples]]
    momenta = [layer.momentum for layer in layers]
    flags = [layer.trainable for layer in layers]
    try:
        for layer in layers:
            layer.momentum, layer.trainable = 0.0, True  # frozen BN would ignore training=True
        model(batch, training=True)
    finally:
        for layer, momentum, flag in zip(layers, momenta, flags):
            layer.momentum, layer.trainable = momentum, flag
    return len(layers)


@dataclass
class CollapseRun:
    """One fine-tuning run: its settings, training accuracy per epoch, validation scores."""

    settings: dict
    train_accuracy: list[float]
    val_scores: np.ndarray
    seconds: float
    extra: dict = field(default_factory=dict)


def run_setting(base: keras.Model, pretrained: list, cut: int, n_trainable: int,
                x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, *, batchnorm: str,
                learning_rate: float, class_weight: dict | None, epochs: int, seed: int,
                batch_size: int = 32) -> tuple[keras.Model, CollapseRun]:
    """Fine-tune the top ``n_trainable`` layers of ``base`` (from its pretrained weights) and a
    new head on cached activations; return the model and a :class:`CollapseRun` whose
    ``val_scores`` are the inference-mode probabilities of class 1 on ``x_val``."""
    base.set_weights(pretrained)
    keras.utils.set_random_seed(seed)
    model = build_top_model(base, cut, n_trainable, batchnorm)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, shuffle=True,
                        class_weight=class_weight, verbose=0)
    seconds = time.perf_counter() - start
    settings = {"batchnorm": batchnorm, "learning_rate": learning_rate, "seed": seed,
                "class_weight": "balanced" if class_weight else "none", "epochs": epochs}
    return model, CollapseRun(settings, [float(a) for a in history.history["accuracy"]],
                              positive_scores(model, x_val), seconds)
