"""Fine-tuning on a CPU budget: cut a backbone where one tensor carries everything, cache the
frozen bottom once, and train only the unfrozen top (plus the new head) on the cached tensors.

Lesson 06 explains the trick and checks that it gives the same model as training end to end.
Lesson 05 explains the simpler case (cache the pooled features, train only the head).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np

from helpers import models, training


def _producers(base: keras.Model) -> list[set[int]]:
    """For every layer of ``base``, the positions of the layers whose outputs it consumes
    inside ``base`` (calls of the same layers in other models are ignored)."""
    position = {id(layer): i for i, layer in enumerate(base.layers)}
    found: list[set[int]] = [set() for _ in base.layers]
    for nodes in base._nodes_by_depth.values():  # the graph of this model only
        for node in nodes:
            if id(node.operation) not in position:
                continue
            for tensor in node.input_tensors:
                found[position[id(node.operation)]].add(
                    position[id(tensor._keras_history.operation)])
    return found


def cut_points(base: keras.Model) -> list[int]:
    """Positions ``i`` in ``base.layers`` where the network can be cut in two: every later layer
    reads only outputs of layer ``i`` or later (no skip connection jumps over the cut)."""
    producers = _producers(base)
    n = len(base.layers)
    earliest_needed = n
    valid = []
    for i in range(n - 1, -1, -1):  # scan from the top, tracking the earliest input still needed
        if earliest_needed >= i:
            valid.append(i)
        earliest_needed = min(earliest_needed, *producers[i]) if producers[i] else earliest_needed
    return sorted(valid)


def cut_for(base: keras.Model, n_trainable: int) -> int:
    """The highest cut position below the top ``n_trainable`` layers (0 = the input layer).

    Everything up to and including the cut stays frozen and can be computed once."""
    if not 0 <= n_trainable < len(base.layers):
        raise ValueError(f"n_trainable must be between 0 and {len(base.layers) - 1}, "
                         f"got {n_trainable}.")
    limit = len(base.layers) - 1 - n_trainable
    return max(i for i in cut_points(base) if i <= limit)


def split(base: keras.Model, cut: int | str) -> tuple[keras.Model, keras.Model]:
    """Two models, ``bottom`` (input -> output of layer ``cut``) and ``top`` (that output -> base
    output), that share their layers (and weights) with ``base``."""
    index = cut if isinstance(cut, int) else base.layers.index(base.get_layer(cut))
    if index not in cut_points(base):
        raise ValueError(f"Cannot cut after layer {index} ({base.layers[index].name}): a skip "
                         "connection crosses it. Use helpers.finetune.cut_points(base).")
    tensor = base.layers[index].output
    bottom = keras.Model(base.input, tensor, name="frozen_bottom")
    top = keras.Model(tensor, base.output, name="top")
    return bottom, top


def bottom_model(base: keras.Model, cut: int, preprocessing: str) -> keras.Model:
    """Raw pixels -> preprocessing -> the frozen bottom of ``base`` (inference mode)."""
    bottom, _ = split(base, cut)
    inputs = keras.Input(shape=base.input_shape[1:], name="pixels")
    x = models.Preprocess(preprocessing, name="preprocess")(inputs)
    return keras.Model(inputs, bottom(x, training=False), name="pixels_to_cut")


def top_classifier(base: keras.Model, cut: int, num_classes: int, dropout: float = 0.2
                   ) -> keras.Model:
    """Cached activations at ``cut`` -> top of ``base`` (inference mode) -> pool -> new head.

    The layer names match ``models.build_classifier`` and ``training.build_head``, so heads can
    be copied between them with :func:`copy_head`."""
    _, top = split(base, cut)
    inputs = keras.Input(shape=top.input_shape[1:], name="activations")
    x = top(inputs, training=False)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="new_head")(x)
    return keras.Model(inputs, outputs, name="top_classifier")


def copy_head(source: keras.Model, target: keras.Model, layer: str = "new_head") -> None:
    """Copy the weights of the ``layer`` Dense head from ``source`` into ``target``."""
    target.get_layer(layer).set_weights(source.get_layer(layer).get_weights())


def reinit_head(model: keras.Model, seed: int, layer: str = "new_head") -> None:
    """Give the head fresh random weights (Glorot uniform kernel, zero bias), as a new head has."""
    dense = model.get_layer(layer)
    kernel, bias = dense.get_weights()
    init = keras.initializers.GlorotUniform(seed=seed)
    dense.set_weights([np.asarray(init(kernel.shape)), np.zeros_like(bias)])


def relative_change(before: list[np.ndarray], after: list[np.ndarray]) -> float:
    """||after - before|| / ||before|| over all tensors: how far training moved the weights."""
    num = sum(float(np.sum((a - b) ** 2)) for a, b in zip(after, before))
    den = sum(float(np.sum(b ** 2)) for b in before)
    return float(np.sqrt(num / den)) if den else 0.0


def reset_optimizer(optimizer: keras.optimizers.Optimizer, learning_rate: float) -> None:
    """Zero an optimizer's state (step counter, moments) and set its learning rate, so one
    compiled model can run several experiments without being compiled (and traced) again."""
    for variable in optimizer.variables:
        if variable.path.endswith("learning_rate"):
            continue
        variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
    optimizer.learning_rate.assign(learning_rate)


@dataclass
class Run:
    """One fine-tuning run: its settings, per-epoch history and how far the base moved."""

    settings: dict
    history: dict
    base_change: float = 0.0
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def final(self) -> float:
        return float(self.history["val_accuracy"][-1])

    @property
    def gap(self) -> float:
        """Train minus validation accuracy at the last epoch (positive: overfitting)."""
        return float(self.history["accuracy"][-1] - self.history["val_accuracy"][-1])
