"""Choosing a backbone before training: frozen features, fast transferability estimates, speed.

Lesson 02 explains the linear probe and k-NN estimates; the features come from
``models.feature_model``. Lesson 04 probes every depth of a backbone (``depth_probe``).
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


def depth_probe(features: list[np.ndarray], labels: np.ndarray, folds: int = 5,
                seeds: tuple[int, ...] = (0, 1, 2)) -> np.ndarray:
    """:func:`linear_probe` on the features of each depth (e.g. from
    ``cutting.pooled_activations``): array (depths, folds x seeds), the same folds at every
    depth, so differences between depths can be compared fold by fold."""
    if any(len(f) != len(labels) for f in features):
        raise ValueError(f"Every depth needs one feature row per label ({len(labels)}); got "
                         f"{[len(f) for f in features]} rows.")
    return np.array([np.concatenate([linear_probe(f, labels, folds, seed) for seed in seeds])
                     for f in features])


def depth_verdict(scores: np.ndarray, names: list[str], z: float = 2.0) -> dict:
    """Where a depth profile (rows of :func:`depth_probe`) peaks, and whether the top layer is
    worse than the peak beyond noise: the mean fold-by-fold drop must exceed ``z`` standard
    errors of those paired drops. ``shape``: "best at the top", "peaks below the top" (beyond
    noise) or "top within noise of the peak"."""
    if len(scores) != len(names) or len(names) < 2:
        raise ValueError(f"Need one row of scores per depth name and at least two depths; got "
                         f"{len(scores)} rows for {len(names)} names.")
    scores = np.asarray(scores, dtype=float)
    peak = int(np.argmax(scores.mean(axis=1)))
    drops = scores[peak] - scores[-1]
    error = drops.std(ddof=1) / np.sqrt(len(drops)) if len(drops) > 1 else 0.0
    below = peak < len(names) - 1 and drops.mean() > z * error
    return {"peak": names[peak], "peak_accuracy": float(scores[peak].mean()),
            "top_accuracy": float(scores[-1].mean()), "drop": float(drops.mean()),
            "standard_error": float(error),
            "shape": "best at the top" if peak == len(names) - 1
            else "peaks below the top" if below else "top within noise of the peak"}


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
