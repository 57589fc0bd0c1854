"""Medical images and the metrics a clinician reads: PneumoniaMNIST loading, a decision threshold
chosen for a target sensitivity, and sensitivity, specificity, balanced accuracy and AUC at it.

Lesson 16 explains them. Labels are 0 = normal (negative), 1 = disease (positive); scores are
the model's probability of the positive class.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn import metrics

from helpers import assets

PNEUMONIA_CLASSES = ["normal", "pneumonia"]
SPLITS = ("train", "val", "test")

Split = tuple[np.ndarray, np.ndarray]


def load_pneumoniamnist(path: str | Path | None = None) -> dict[str, Split]:
    """PneumoniaMNIST as {'train' | 'val' | 'test': (images, labels)}.

    Images come back as float32 in [0, 1], shape (n, 28, 28); labels as int64 0/1, shape (n,).
    ``path`` defaults to ``pneumoniamnist.npz`` in the asset resolver's folder.
    """
    path = Path(path) if path is not None else \
        assets.dataset_dir("pneumoniamnist") / "pneumoniamnist.npz"
    if not path.is_file():
        raise assets.AssetError(f"{path} does not exist. Download pneumoniamnist.npz (MedMNIST, "
                                "Zenodo record 10519652) or pass the path of your copy.")
    out = {}
    with np.load(path) as arrays:
        wanted = {f"{s}_{k}" for s in SPLITS for k in ("images", "labels")}
        missing = wanted - set(arrays.files)
        if missing:
            raise assets.AssetError(f"{path} lacks the arrays {sorted(missing)}; it is not a "
                                    "MedMNIST file. Delete it and download it again.")
        for split in SPLITS:
            images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"].reshape(-1)
            if images.ndim != 3 or len(images) != len(labels):
                raise assets.AssetError(
                    f"{path}: {split}_images has shape {images.shape} for {len(labels)} labels; "
                    "expected (n, 28, 28) grey images, one label each (the 28-px MedMNIST file).")
            if not set(np.unique(labels)) <= {0, 1}:
                raise assets.AssetError(f"{path}: {split}_labels holds {np.unique(labels)}; "
                                        "PneumoniaMNIST labels are 0 (normal) and 1 (pneumonia).")
            out[split] = (images.astype("float32") / 255.0, labels.astype("int64"))
    return out


def _check_binary(y_true: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true, scores = np.asarray(y_true).reshape(-1), np.asarray(scores, dtype=float).reshape(-1)
    if len(y_true) != len(scores):
        raise ValueError(f"{len(y_true)} labels but {len(scores)} scores; pass one score (the "
                         "probability of the positive class) per example.")
    if set(np.unique(y_true)) != {0, 1}:
        raise ValueError(f"Labels must contain both 0 (negative) and 1 (positive); got "
                         f"{np.unique(y_true)}. Sensitivity and specificity need both classes.")
    return y_true, scores


def threshold_for_sensitivity(y_true: np.ndarray, scores: np.ndarray, target: float) -> float:
    """The highest threshold whose sensitivity (recall of class 1) on these examples is at least
    ``target``. Choose it on validation data, then apply it unchanged to the test set."""
    if not 0 < target <= 1:
        raise ValueError(f"target={target}: a sensitivity is a fraction in (0, 1], e.g. 0.95.")
    y_true, scores = _check_binary(y_true, scores)
    _, tpr, thresholds = metrics.roc_curve(y_true, scores, drop_intermediate=False)
    reached = np.flatnonzero(tpr >= target - 1e-12)
    return float(min(thresholds[reached[0]], 1.0))


def clinical_metrics(y_true: np.ndarray, scores: np.ndarray, threshold: float = 0.5
                     ) -> dict[str, float]:
    """AUC (threshold-free) and, predicting positive when ``score >= threshold``: sensitivity,
    specificity, balanced accuracy, accuracy and the four counts of the confusion matrix."""
    y_true, scores = _check_binary(y_true, scores)
    predicted = (scores >= threshold).astype(int)
    tn, fp, fn, tp = metrics.confusion_matrix(y_true, predicted, labels=[0, 1]).ravel()
    return {"auc": float(metrics.roc_auc_score(y_true, scores)),
            "sensitivity": float(tp / (tp + fn)), "specificity": float(tn / (tn + fp)),
            "balanced accuracy": float(metrics.balanced_accuracy_score(y_true, predicted)),
            "accuracy": float(metrics.accuracy_score(y_true, predicted)),
            "threshold": float(threshold), "tp": int(tp), "fn": int(fn), "tn": int(tn),
            "fp": int(fp)}


def balanced_class_weight(labels: np.ndarray) -> dict[int, float]:
    """Keras ``class_weight`` that gives every class the same total weight (n / (k * n_c)),
    the rule of scikit-learn's ``class_weight="balanced"``."""
    labels = np.asarray(labels).reshape(-1)
    classes, counts = np.unique(labels, return_counts=True)
    return {int(c): float(len(labels) / (len(classes) * n)) for c, n in zip(classes, counts)}
