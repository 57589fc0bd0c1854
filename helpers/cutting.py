"""Cutting a backbone in two where one tensor carries everything (no skip connection crosses):
a frozen bottom you can run once and cache, and a top you can train.

Lesson 06 explains why you cannot cut inside a residual block and how the cut makes fine-tuning
affordable on a CPU; lesson 07 reuses it; lesson 04 probes the activations at several depths.
"""
from __future__ import annotations

import keras

from helpers import models


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


def split(base: keras.Model, cut: int | str) -> tuple[keras.Model | None, keras.Model | None]:
    """Two models, ``bottom`` (input -> output of layer ``cut``) and ``top`` (that output -> base
    output), that share their layers (and weights) with ``base``. ``bottom`` is None when
    ``cut`` is the input layer, ``top`` is None when ``cut`` is the last layer."""
    index = cut if isinstance(cut, int) else base.layers.index(base.get_layer(cut))
    if index not in cut_points(base):
        raise ValueError(f"Cannot cut after layer {index} ({base.layers[index].name}): a skip "
                         "connection crosses it. Use helpers.cutting.cut_points(base).")
    tensor = base.layers[index].output
    bottom = keras.Model(base.input, tensor, name="frozen_bottom") if index > 0 else None
    top = (keras.Model(tensor, base.output, name="top")
           if index < len(base.layers) - 1 else None)
    return bottom, top


def bottom_model(base: keras.Model, cut: int, preprocessing: str | None = None) -> keras.Model:
    """Raw pixels -> preprocessing (the base's own unless given) -> the frozen bottom of
    ``base`` (inference mode)."""
    bottom, _ = split(base, cut)
    inputs = keras.Input(shape=base.input_shape[1:], name="pixels")
    x = models.Preprocess(models.preprocessing_of(base, preprocessing), name="preprocess")(inputs)
    if bottom is not None:
        x = bottom(x, training=False)
    return keras.Model(inputs, x, name="pixels_to_cut")


def top_classifier(base: keras.Model, cut: int, num_classes: int, dropout: float = 0.2
                   ) -> keras.Model:
    """Cached activations at ``cut`` -> top of ``base`` (inference mode) -> pool -> new head.

    The head is ``models.new_head``, so heads copy between this model, ``models.build_classifier``
    and ``models.build_head`` (``training.copy_head``)."""
    inputs = keras.Input(shape=base.layers[cut].output.shape[1:], name="activations")
    _, top = split(base, cut)
    x = inputs if top is None else top(inputs, training=False)  # at the very top: nothing to run
    return keras.Model(inputs, models.new_head(x, num_classes, dropout), name="top_classifier")


def spread_cut_points(base: keras.Model, count: int) -> list[str]:
    """Names of ``count`` cut points of ``base`` spread evenly by position, the last layer
    included (lesson 04 probes the activations there)."""
    points = [i for i in cut_points(base) if i > 0]
    if not 1 <= count <= len(points):
        raise ValueError(f"count must be between 1 and {len(points)} for {base.name}, "
                         f"got {count}.")
    picks = ([points[round(k * (len(points) - 1) / (count - 1))] for k in range(count)]
             if count > 1 else points[-1:])
    return [base.layers[i].name for i in picks]


def pooled_activations(base: keras.Model, layer_names: list[str],
                       preprocessing: str | None = None) -> keras.Model:
    """Raw pixels -> preprocessing -> ``base`` (inference mode) -> the globally average-pooled
    output of each layer in ``layer_names``: one forward pass gives every depth (lesson 04's
    layer-wise probe)."""
    missing = [name for name in layer_names if name not in {layer.name for layer in base.layers}]
    if missing:
        raise ValueError(f"{base.name} has no layer {missing[0]!r}; pick names from "
                         "[layer.name for layer in base.layers] or cutting.spread_cut_points.")
    pooled = [keras.layers.GlobalAveragePooling2D(name=f"pool_{name}")(
        base.get_layer(name).output) for name in layer_names]
    tapped = keras.Model(base.input, pooled, name="tapped_base")
    inputs = keras.Input(shape=base.input_shape[1:], name="pixels")
    x = models.Preprocess(models.preprocessing_of(base, preprocessing), name="preprocess")(inputs)
    return keras.Model(inputs, tapped(x, training=False), name="pooled_activations")
