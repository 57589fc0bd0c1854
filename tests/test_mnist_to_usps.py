"""Lesson 12's main path (helpers.mnist_to_usps) on tiny synthetic digits; the real MNIST -> USPS
run is lesson 12 itself (nbval) and benchmarks/domain_adaptation.py."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers import domain_adaptation as da
from helpers import mnist_to_usps


def _blobs(n: int, seed: int) -> np.ndarray:
    """8x8 images of two kinds: a bright top half or a bright bottom half."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(0, 0.1, (n, 8, 8)).astype("float32")
    x[y == 0, :4] += 1.0
    x[y == 1, 4:] += 1.0
    return x


def test_self_train_trains_copies_and_reports_rounds():
    keras.utils.set_random_seed(0)
    xs = _blobs(64, 0)
    settings = mnist_to_usps.Settings(size=8, batch=16, rounds=(0.5, 1.0), pseudo_epochs=1)
    features, classifier = da.digit_cnn(size=8, num_classes=2, width=4)
    before = [w.copy() for w in features.get_weights()]
    model, rounds = mnist_to_usps.self_train(features, classifier, xs, seed=0, settings=settings)
    assert [len(positions) for positions, _ in rounds] == [32, 64]
    assert all(np.array_equal(a, b) for a, b in zip(before, features.get_weights()))
    assert not all(np.array_equal(a, b) for a, b in zip(before, model.layers[0].get_weights()))
    with pytest.raises(ValueError, match="labeller"):
        mnist_to_usps.self_train(features, classifier, xs, 0, settings, labeller="kmeans")
