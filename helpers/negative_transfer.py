"""Tools for measuring negative transfer (lesson 09): corrupted sources, layer copying, the gap.

The negative transfer gap (Wang et al., 2019) is error(with the source) minus error(the same
method on the target alone); above zero the source hurt.
"""
from __future__ import annotations

import keras
import numpy as np


def corrupt_labels(labels: np.ndarray, fraction: float, num_classes: int,
                   seed: int = 0) -> np.ndarray:
    """A copy of ``labels`` where a random ``fraction`` is replaced by uniformly random classes.

    A replaced label may by chance equal the true one, as in Zhang et al. (2017).
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction}.")
    rng = np.random.default_rng(seed)
    noisy = np.array(labels, copy=True)
    replace = rng.random(len(noisy)) < fraction
    noisy[replace] = rng.integers(0, num_classes, int(replace.sum()))
    return noisy


def negative_transfer_gap(error_with_source: float, error_target_only: float) -> float:
    """NTG = error with the source - error without it; > 0 means negative transfer."""
    return float(error_with_source - error_target_only)


def copy_layers(source: keras.Model, target: keras.Model, names: list[str],
                freeze: bool) -> None:
    """Copy the weights of the named layers from ``source`` into ``target`` (same names and
    shapes), optionally freezing them. Compile ``target`` afterwards."""
    for name in names:
        try:
            src, dst = source.get_layer(name), target.get_layer(name)
        except ValueError as error:
            raise ValueError(f"Layer {name!r} must exist in both models; source has "
                             f"{[l.name for l in source.layers]}.") from error
        dst.set_weights(src.get_weights())
        dst.trainable = not freeze
