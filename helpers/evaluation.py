"""Metrics from predictions: accuracy, balanced accuracy, per-class recall, confusion matrix."""
from __future__ import annotations

import numpy as np
from sklearn import metrics


def predict_labels(model, inputs, batch_size: int = 64) -> np.ndarray:
    """Most likely class per input."""
    return np.argmax(model.predict(inputs, batch_size=batch_size, verbose=0), axis=1)


def accuracy(model, inputs, labels, batch_size: int = 256) -> float:
    """Share of inputs whose most likely class is the label."""
    return float(np.mean(predict_labels(model, inputs, batch_size) == np.asarray(labels)))


def classification_summary(y_true: np.ndarray, y_pred: np.ndarray,
                           class_names: list[str] | None = None) -> dict:
    """Accuracy, balanced accuracy, per-class recall and the confusion matrix."""
    labels = np.arange(len(class_names)) if class_names else np.unique(y_true)
    recall = metrics.recall_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    names = class_names or [str(label) for label in labels]
    return {
        "accuracy": float(metrics.accuracy_score(y_true, y_pred)),
        "balanced accuracy": float(metrics.balanced_accuracy_score(y_true, y_pred)),
        "recall per class": dict(zip(names, map(float, recall))),
        "confusion matrix": metrics.confusion_matrix(y_true, y_pred, labels=labels),
    }


def misclassified(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Positions where the prediction is wrong."""
    return np.flatnonzero(np.asarray(y_true) != np.asarray(y_pred))


def paired_bootstrap(y_true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray,
                     n_resamples: int = 2000, confidence: float = 0.95, seed: int = 0
                     ) -> dict[str, float]:
    """Accuracy of B minus accuracy of A on the same test items, with a paired bootstrap interval.

    The test items are resampled with replacement (the same items for both models), so the
    interval shows how much the difference could move with another test set of the same size:
    test-set sampling error, which seeds alone do not show. Lesson 06 explains it.
    Returns {"difference", "low", "high", "p_not_better"}: the observed difference, the interval,
    and the share of resamples where B was not better than A."""
    y_true, pred_a, pred_b = (np.asarray(v).ravel() for v in (y_true, pred_a, pred_b))
    if not (len(y_true) == len(pred_a) == len(pred_b)) or len(y_true) == 0:
        raise ValueError(f"y_true, pred_a and pred_b must be non-empty and equally long; got "
                         f"{len(y_true)}, {len(pred_a)} and {len(pred_b)} items. Pass the "
                         "predictions of both models on the same test items, in the same order.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}.")
    delta = (pred_b == y_true).astype(float) - (pred_a == y_true).astype(float)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(delta), size=(n_resamples, len(delta)))
    resampled = delta[picks].mean(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(resampled, [tail, 1 - tail])
    return {"difference": float(delta.mean()), "low": float(low), "high": float(high),
            "p_not_better": float(np.mean(resampled <= 0))}
