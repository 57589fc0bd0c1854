"""Choosing a backbone before training: frozen features, fast transferability estimates, speed.

Lesson 02 explains the linear probe and k-NN estimates; the features come from
``models.feature_model``.
"""
from __future__ import annotations

import statistics
import time

import keras
import numpy as np


def _folds(labels: np.ndarray, folds: int, seed: int):
    from sklearn.model_selection import StratifiedKFold

    return StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(
        np.zeros(len(labels)), labels)


def linear_probe(features: np.ndarray, labels: np.ndarray, folds: int = 5, seed: int = 0,
                 eval_features: np.ndarray | None = None) -> np.ndarray:
    """Cross-validated accuracy of a linear classifier on frozen features, one value per fold.

    The classifier is ridge regression on one-hot labels over standardized features, with its
    regularization picked by leave-one-out inside each training fold: closed form, so a probe on
    a few hundred images takes well under a second. With ``eval_features`` (the same images
    through another pipeline) each fold trains on ``features`` and is scored on
    ``eval_features``: a model trained one way and served another.
    """
    from sklearn.linear_model import RidgeClassifierCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    scores = []
    for train, test in _folds(labels, folds, seed):
        probe = make_pipeline(StandardScaler(), RidgeClassifierCV(alphas=np.logspace(-1, 4, 6)))
        probe.fit(features[train], labels[train])
        served = features if eval_features is None else eval_features
        scores.append(probe.score(served[test], labels[test]))
    return np.array(scores)


def knn_probe(features: np.ndarray, labels: np.ndarray, k: int = 5, folds: int = 5,
              seed: int = 0) -> np.ndarray:
    """Cross-validated accuracy of k-nearest neighbours (cosine distance), one value per fold."""
    from sklearn.neighbors import KNeighborsClassifier

    unit = features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
    scores = []
    for train, test in _folds(labels, folds, seed):
        knn = KNeighborsClassifier(n_neighbors=min(k, len(train))).fit(unit[train], labels[train])
        scores.append(knn.score(unit[test], labels[test]))
    return np.array(scores)


def latency(model: keras.Model, batch_size: int = 32, repeats: int = 5) -> dict[str, float]:
    """Median inference time of ``model`` on random pixels (after one warm-up call).

    Returns ms per image at ``batch_size`` (throughput), ms for a single image (latency of an
    app that classifies one photo at a time) and images per second at ``batch_size``.
    """
    shape = model.input_shape[1:]
    batch = np.random.default_rng(0).uniform(0, 255, (batch_size, *shape)).astype("float32")

    def median_seconds(x: np.ndarray) -> float:
        model.predict_on_batch(x)  # warm-up: builds and traces the function
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            model.predict_on_batch(x)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    batch_s = median_seconds(batch)
    single_s = median_seconds(batch[:1])
    return {"ms per image (batch)": 1000 * batch_s / batch_size,
            "ms single image": 1000 * single_s,
            "images/s": batch_size / batch_s}
