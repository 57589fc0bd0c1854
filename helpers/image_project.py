"""From a folder of class sub-folders to a model you can ship: load and split, pick a backbone by
linear probe, decide whether to fine-tune, assemble the pixel-to-probabilities model.

Lesson 18 runs this pipeline on the flowers and explains every step; it works on any folder of
class sub-folders (``data.scan_image_folder`` reports what it used and skipped).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from helpers import data, models, probe, training


@dataclass
class Project:
    """The images of one folder, loaded once: ``images[i]`` (uint8) has label ``labels[i]``;
    ``train``/``val``/``test`` are disjoint, stratified positions; ``scan`` is the full scan."""

    scan: data.ImageFolder
    paths: list[Path]
    images: np.ndarray
    labels: np.ndarray
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray

    @property
    def class_names(self) -> list[str]:
        return self.scan.class_names

    def sizes(self) -> dict[str, int]:
        """Images per part."""
        return {"train": len(self.train), "validation": len(self.val), "test": len(self.test)}


def cap_per_class(labels: np.ndarray, cap: int | None, seed: int = 0) -> np.ndarray:
    """Sorted positions of at most ``cap`` random examples of each class (all if ``cap`` is None
    or the class is smaller): bounds the time a big folder takes without dropping a class."""
    if cap is not None and cap < 1:
        raise ValueError(f"cap={cap}: use a positive number of images per class, or None.")
    rng = np.random.default_rng(seed)
    chosen = [rng.permutation(np.flatnonzero(labels == c))[:cap] for c in np.unique(labels)]
    return np.sort(np.concatenate(chosen))


def load_project(root: str | Path, image_size: int, max_per_class: int | None = None,
                 test_fraction: float = 0.25, val_fraction: float = 0.25,
                 seed: int = 0) -> Project:
    """Scan ``root`` (unreadable images skipped and reported), keep at most ``max_per_class``
    images per class, load them at ``image_size`` and split off a test set, then a validation
    set from what is left, both stratified by class."""
    scan = data.scan_image_folder(root, on_bad="skip", verbose=False)
    keep = cap_per_class(scan.labels, max_per_class, seed)
    labels = scan.labels[keep]
    smallest = int(np.bincount(labels).min())
    if smallest < 3:
        name = scan.class_names[int(np.argmin(np.bincount(labels)))]
        raise data.DataError(f"Class {name!r} in {root} has {smallest} usable image(s); every "
                             "class needs at least 3 (train, validation, test). Add images.")
    paths = [scan.paths[i] for i in keep]
    rest, test = data.stratified_split(labels, test_fraction, seed)
    fit, val = data.stratified_split(labels[rest], val_fraction, seed)
    return Project(scan, paths, data.load_images(paths, image_size), labels,
                   rest[fit], rest[val], test)


def probe_backbones(images: np.ndarray, labels: np.ndarray, keys: list[str],
                    probe_on: np.ndarray | None = None, folds: int = 5, seed: int = 0
                    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Frozen pooled features of all ``images`` for each backbone key, and cross-validated linear
    probe scores (one per fold) on the positions ``probe_on`` only (keep the test images out):
    returns (features, scores), both by key."""
    if not keys:
        raise ValueError("No backbone to probe: models.available_backbones() is empty. Download "
                         "one first (python -m helpers.assets download-all DIR).")
    on = np.arange(len(labels)) if probe_on is None else np.asarray(probe_on)
    folds = min(folds, int(np.bincount(labels[on]).min()))
    features, scores = {}, {}
    for key in keys:
        features[key] = training.extract_features(models.feature_model(key), images)
        scores[key] = probe.linear_probe(features[key][on], labels[on], folds=folds, seed=seed)
    return features, scores


@dataclass
class Decision:
    """The fine-tuning rule's answer and the numbers it used."""

    fine_tune: bool
    reason: str


def fine_tune_rule(train_per_class: int, head_train_accuracy: float,
                   head_val_accuracy: float, min_per_class: int = 100,
                   min_gap: float = 0.05) -> Decision:
    """Fine-tune only with enough data (``min_per_class`` training images in the smallest class)
    and only if the head is clearly below its training accuracy on validation images (by at
    least ``min_gap``): the frozen features then limit the model, and there is data to move
    them. Otherwise fine-tuning mostly adds time and overfitting risk."""
    enough = train_per_class >= min_per_class
    gap = head_train_accuracy - head_val_accuracy
    clear = gap >= min_gap
    reason = (f"{train_per_class} training images in the smallest class "
              f"({'>=' if enough else '<'} {min_per_class}); head train {head_train_accuracy:.3f}"
              f" vs validation {head_val_accuracy:.3f}, gap {gap:+.3f} "
              f"({'>=' if clear else '<'} {min_gap})")
    return Decision(enough and clear, reason)


def assemble(base: keras.Model, head_source: keras.Model, num_classes: int) -> keras.Model:
    """The shippable model: uint8-range pixels -> the base's preprocessing -> ``base`` -> pool ->
    the head whose ``new_head`` weights come from ``head_source`` (a head trained on cached
    features, or a fine-tuning model)."""
    classifier = models.build_classifier(base, num_classes, name="image_classifier")
    training.copy_head(head_source, classifier)
    return classifier
