"""Same network, two starting points: ImageNet weights vs random initialisation.

Lesson 01 measures two claims of transfer learning with the architecture held fixed: faster
convergence (epochs to reach a target test accuracy) and a regularising effect (the gap between
training and test accuracy). ``benchmarks/init_comparison.py`` stores a multi-seed run in
``data/init_comparison.json``; the lesson re-runs one seed live with the same code.
"""
from __future__ import annotations

import dataclasses
import time

import keras
import numpy as np

from helpers import models, training

STARTS = ("imagenet", "random")


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything both starting points share (lesson 01 justifies each choice)."""

    backbone: str = "mobilenet_v2_0.35"
    input_size: int = 96  # ImageNet weights of the 224-px network, copied (models.resized_backbone)
    epochs: int = 12
    batch_size: int = 16
    learning_rate: float = 1e-3  # Adam, the whole network trains
    bn_momentum: float = 0.9  # Keras' 0.99 leaves a random network's statistics near their start
    dropout: float = 0.2
    target_accuracy: float = 0.6


class Contest:
    """One classifier (backbone + ``models.new_head``), compiled and traced once, restarted from
    either starting point for every run, so both train with identical code, data and settings."""

    def __init__(self, num_classes: int, settings: Settings = Settings()):
        self.settings = settings
        keras.utils.set_random_seed(0)
        self.base = models.resized_backbone(settings.backbone, settings.input_size, weights=None)
        self.base.trainable = True
        for layer in self.base.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.momentum = settings.bn_momentum
        inputs = keras.Input((settings.input_size, settings.input_size, 3), name="pixels")
        x = models.Preprocess(self.base.preprocessing, name="preprocess")(inputs)
        outputs = models.new_head(self.base(x), num_classes, settings.dropout)  # training follows fit
        self.model = keras.Model(inputs, outputs, name="same_architecture")
        training.compile_classifier(self.model, learning_rate=settings.learning_rate)
        self._imagenet = models.resized_backbone(settings.backbone, settings.input_size,
                                                 "imagenet").get_weights()

    def start_weights(self, start: str, seed: int) -> None:
        """Put the backbone at ``start`` (ImageNet, or random weights drawn with ``seed``) and
        give the head fresh random weights drawn with ``seed``."""
        if start not in STARTS:
            raise ValueError(f"start must be one of {STARTS}, got {start!r}.")
        keras.utils.set_random_seed(seed)
        if start == "imagenet":
            self.base.set_weights(self._imagenet)
        else:
            fresh = models.resized_backbone(self.settings.backbone, self.settings.input_size,
                                            weights=None)
            self.base.set_weights(fresh.get_weights())
        training.reinit_head(self.model, seed)
        training.restart(self.model, self.model.get_weights(), self.settings.learning_rate)

    def run(self, start: str, seed: int, train: tuple[np.ndarray, np.ndarray],
            test: tuple[np.ndarray, np.ndarray]) -> dict:
        """Train from ``start``; test accuracy after every epoch, and the final training
        accuracy measured like the test one (inference mode, no dropout)."""
        self.start_weights(start, seed)
        keras.utils.set_random_seed(seed)
        began = time.perf_counter()
        history = self.model.fit(train[0], train[1], validation_data=test, verbose=0,
                                 epochs=self.settings.epochs, batch_size=self.settings.batch_size)
        seconds = time.perf_counter() - began
        train_accuracy = self.model.evaluate(train[0], train[1], verbose=0)[1]
        return {"start": start, "seed": seed, "seconds": round(seconds, 1),
                "test_accuracy": [round(float(a), 4) for a in history.history["val_accuracy"]],
                "train_accuracy": round(float(train_accuracy), 4)}


def summarize(runs: list[dict], target: float) -> dict:
    """Per starting point: epochs to reach ``target`` test accuracy (None = never), final test
    accuracy and the train-minus-test gap, one value per run."""
    table = {}
    for start in STARTS:
        mine = [r for r in runs if r["start"] == start]
        table[start] = {
            "epochs_to_target": [training.epochs_to_reach({"a": r["test_accuracy"]}, target, "a")
                                 for r in mine],
            "final_test": [r["test_accuracy"][-1] for r in mine],
            "gap": [round(r["train_accuracy"] - r["test_accuracy"][-1], 4) for r in mine]}
    return table
