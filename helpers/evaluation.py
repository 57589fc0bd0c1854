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
