"""Lesson 12's main path, MNIST -> USPS: source only -> DANN (+ AdaBN) -> self-training on
pseudo-labelled target digits. The lesson and ``benchmarks/domain_adaptation.py`` both call these
functions, so the stored numbers and the lesson's live re-run come from one code. The methods
themselves are in ``helpers.domain_adaptation``.
"""
from __future__ import annotations

import dataclasses

import keras
import numpy as np

from helpers import data, digits, models, training
from helpers import domain_adaptation as da


@dataclasses.dataclass
class Settings:
    """Lesson 12's main path, as stored in data/domain_adaptation.json."""
    size: int = 16  # both domains resized full-frame to size x size
    source_per_class: int = 400  # labelled MNIST digits per class
    target_size: int = 7291  # unlabelled USPS training digits
    batch: int = 64
    source_epochs: int = 6
    dann_epochs: int = 10
    dann_lr: float = 1e-3
    rounds: tuple[float, ...] = (0.5, 0.8, 1.0, 1.0)  # share of the target pseudo-labelled
    pseudo_epochs: int = 2
    pseudo_lr: float = 5e-4


def load_domains(settings: Settings) -> dict[str, np.ndarray]:
    """MNIST (source, balanced subset, seed 0) and USPS (target) at ``settings.size``, full frame.

    Keys: x_source, y_source, x_source_test, y_source_test, x_target, y_target_hidden (never
    used to adapt), x_test, y_test (USPS test set), source_subset (positions in MNIST train)."""
    mnist, usps = digits.load_mnist(), digits.load_usps()
    subset = data.take_per_class(mnist["train"][1], settings.source_per_class, seed=0)
    resize = (lambda x: x) if settings.size == 16 else (lambda x: digits.resize(x, settings.size))
    return {"x_source": digits.resize(mnist["train"][0][subset], settings.size),
            "y_source": mnist["train"][1][subset], "source_subset": subset,
            "x_source_test": digits.resize(mnist["test"][0], settings.size),
            "y_source_test": mnist["test"][1],
            "x_target": resize(usps["train"][0][:settings.target_size]),
            "y_target_hidden": usps["train"][1][:settings.target_size],
            "x_test": resize(usps["test"][0]), "y_test": usps["test"][1]}


def train_source_only(x: np.ndarray, y: np.ndarray, seed: int, settings: Settings) -> keras.Model:
    """``digit_cnn`` (features -> classifier, one Sequential) trained on labelled source digits."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(list(da.digit_cnn(settings.size)))
    training.compile_classifier(model, learning_rate=1e-3)
    model.fit(digits.grey_batch(x, "x"), y, epochs=settings.source_epochs,
              batch_size=settings.batch, verbose=0)
    return model


def train_dann(x_source: np.ndarray, y_source: np.ndarray, x_target: np.ndarray, seed: int,
               settings: Settings, log_every: int = 0) -> da.DANN:
    """DANN (separate batch statistics per domain), then AdaBN on the target."""
    keras.utils.set_random_seed(seed)
    features, classifier = da.digit_cnn(settings.size)
    steps = len(x_source) // settings.batch
    model = da.DANN(features, classifier, da.domain_discriminator(),
                    total_steps=settings.dann_epochs * steps, separate_batches=True)
    model.compile(optimizer=keras.optimizers.Adam(settings.dann_lr))
    training.fit(model, da.paired_batches(x_source, y_source, x_target, settings.batch, seed),
                 epochs=settings.dann_epochs, steps_per_epoch=steps, log_every=log_every)
    da.adabn(keras.Sequential([features, classifier]), x_target)
    return model


def self_train(features: keras.Model, classifier: keras.Model, x_target: np.ndarray, seed: int,
               settings: Settings, labeller: str = "prototype"
               ) -> tuple[keras.Model, list[tuple[np.ndarray, np.ndarray]]]:
    """Rounds of training on pseudo-labelled target images (``settings.rounds``: the share kept
    per round); ``labeller``: "prototype" or "softmax". Trains copies: ``features`` and
    ``classifier`` stay as they are. Returns the model and each round's (positions, labels)."""
    if labeller not in ("prototype", "softmax"):
        raise ValueError(f"labeller={labeller!r}: use 'prototype' or 'softmax'.")
    keras.utils.set_random_seed(seed)
    features, classifier = models.copy_model(features), models.copy_model(classifier)
    model = training.compile_classifier(keras.Sequential([features, classifier]),
                                        learning_rate=settings.pseudo_lr)
    x_target = digits.grey_batch(x_target, "x_target")
    rounds = []
    for share in settings.rounds:
        feats = features.predict(x_target, batch_size=512, verbose=0)
        probabilities = classifier.predict(feats, batch_size=512, verbose=0)
        if labeller == "prototype":
            chosen, labels = da.prototype_pseudo_labels(feats, probabilities, share)
        else:
            chosen, labels = da.confident_pseudo_labels(probabilities, share)
        rounds.append((chosen, labels))
        model.fit(x_target[chosen], labels, epochs=settings.pseudo_epochs,
                  batch_size=settings.batch, verbose=0)
    return model, rounds
