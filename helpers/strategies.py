"""Choosing a transfer strategy: a small grid of measured experiments.

Lesson 10 explains it. The grid crosses target data size (small / larger) with similarity to the
ImageNet source (similar: flower photos; dissimilar: spectrograms of spoken digits) and four
strategies: from scratch, feature extraction, partial fine-tuning, full fine-tuning. Fine-tuning
reuses lesson 06's trick (``helpers.finetune``): the frozen bottom is computed once per image.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from helpers import audio, data, finetune, models, training

STRATEGIES = ("from scratch", "feature extraction", "partial fine-tuning", "full fine-tuning")
SIZES = ("small", "larger")
SIMILARITIES = ("similar", "dissimilar")
# What the course's source texts advise (their words, condensed), per (size, similarity).
ADVICE = {
    ("small", "similar"): ("feature extraction", (
        "little data: freeze the base and train only the new layers; "
        "fine-tuning a small dataset risks overfitting")),
    ("larger", "similar"): ("full fine-tuning", (
        "enough similar data: unfreeze some or all layers and fine-tune "
        "with a low learning rate")),
    ("small", "dissimilar"): ("feature extraction", (
        "little data argues for freezing, but very different data may "
        "need more fine-tuning or make transfer less worthwhile")),
    ("larger", "dissimilar"): ("full fine-tuning", (
        "very different data needs more fine-tuning (or transfer may "
        "not pay off at all)")),
}


# ------------------------------------------------------------------------- the two targets
def similar_target(root: str | Path, test_per_class: int, pool_per_class: int,
                   small_size: int, image_size: int = 224) -> tuple[dict, dict, dict, list[str]]:
    """Flower photos (close to ImageNet): (pixels, small, labels, class names) by split."""
    folder = data.scan_image_folder(root)
    pool, test = data.split_pool_test(folder.labels, test_per_class, pool_per_class)
    pixels = {k: data.load_images([folder.paths[i] for i in idx], image_size)
              for k, idx in (("train", pool), ("test", test))}
    small = {k: keras.ops.convert_to_numpy(keras.ops.image.resize(
        v.astype("float32"), (small_size, small_size), antialias=True)) for k, v in pixels.items()}
    labels = {"train": folder.labels[pool], "test": folder.labels[test]}
    return pixels, small, labels, list(folder.class_names)


def dissimilar_target(root: str | Path, test_per_class: int, pool_per_class: int,
                      small_size: int, image_size: int = 224
                      ) -> tuple[dict, dict, dict, list[str]]:
    """Spectrograms of spoken digits (far from ImageNet): (pixels, small, labels, names)."""
    paths, digits, _ = audio.fsdd_index(root)
    pool, test = data.split_pool_test(digits, test_per_class, pool_per_class)
    pixels, small, labels = {}, {}, {}
    for k, idx in (("train", pool), ("test", test)):
        images = audio.spectrogram_images([paths[i] for i in idx], (image_size, small_size))
        pixels[k], small[k], labels[k] = images[image_size], images[small_size], digits[idx]
    return pixels, small, labels, [str(d) for d in range(10)]


# ----------------------------------------------------------------------------- the contenders
@dataclass
class Settings:
    """Epochs, learning rates and sizes of one grid (the same for every cell)."""

    small_per_class: int = 5
    larger_per_class: int = 30
    scratch_size: int = 64
    scratch_pooling: str = "flatten"
    scratch_epochs: int = 40
    head_epochs: int = 40
    finetune_epochs: int = 5
    finetune_lr: float = 1e-4
    partial_fraction: float = 0.13  # share of the base's layers unfrozen (MobileNetV2: top 20)
    batch_size: int = 16


class Target:
    """One target task, held as a training pool and a fixed test set, ready for every strategy.

    ``pixels`` are uint8 images at the backbone's input size, ``small`` the same at ``scratch_size``
    for the from-scratch CNN. Building it computes the backbone's frozen bottom once (the
    one-off cost, in ``cache_seconds``) and traces the two fine-tuning models."""

    def __init__(self, name: str, similarity: str, pixels: dict[str, np.ndarray],
                 small: dict[str, np.ndarray], labels: dict[str, np.ndarray], num_classes: int,
                 base: keras.Model, settings: Settings, strategies: tuple[str, ...] = STRATEGIES):
        self.name, self.similarity, self.settings = name, similarity, settings
        self.small, self.labels, self.num_classes = small, labels, num_classes
        self.base, self.strategies = base, strategies
        self.partial_layers = round(settings.partial_fraction * len(base.layers))
        deepest = len(base.layers) - 1 if "full fine-tuning" in strategies else \
            self.partial_layers
        images = {"train": pixels["train"], "val": pixels["test"]}
        self.cache = finetune.ActivationCache(base, images, deepest)
        self.cache_seconds = self.cache.seconds
        self.features = self.cache.pooled()
        self.trainers = {}
        if "partial fine-tuning" in strategies:
            self.trainers["partial fine-tuning"] = finetune.TopTrainer(
                base, self.cache, self.partial_layers, num_classes)
        if "full fine-tuning" in strategies:
            self.trainers["full fine-tuning"] = finetune.TopTrainer(
                base, self.cache, len(base.layers) - 1, num_classes)

    def run(self, per_class: int, seed: int, verbose: bool = True) -> dict[str, dict]:
        """Train every strategy on the same ``per_class`` training images per class (picked by
        ``seed``, which also seeds the weights); return {strategy: {accuracy, seconds}}.

        Fine-tuning starts from the feature-extraction head (train the new layers first, then
        unfreeze); its seconds include that head's training."""
        s, y_train, y_test = self.settings, self.labels["train"], self.labels["test"]
        subset = data.take_per_class(y_train, per_class, seed=seed)
        out: dict[str, dict] = {}
        if "from scratch" in self.strategies:
            keras.utils.set_random_seed(seed)
            cnn = models.scratch_cnn(s.scratch_size, self.num_classes, s.scratch_pooling)
            model = training.compile_classifier(cnn)
            with training.timer() as t:
                h = training.fit(model, self.small["train"][subset],
                                 (self.small["test"], y_test), epochs=s.scratch_epochs,
                                 log_every=0, y=y_train[subset], batch_size=s.batch_size)
            out["from scratch"] = {"accuracy": float(h.history["val_accuracy"][-1]),
                                   "seconds": t.seconds}
        keras.utils.set_random_seed(seed)
        with training.timer() as t_head:
            head, h = training.train_head(self.features["train"][subset], y_train[subset],
                                          self.num_classes,
                                          validation=(self.features["val"], y_test),
                                          epochs=s.head_epochs, batch_size=s.batch_size)
        if "feature extraction" in self.strategies:
            out["feature extraction"] = {"accuracy": float(h.history["val_accuracy"][-1]),
                                         "seconds": t_head.seconds}
        for name, trainer in self.trainers.items():
            run = trainer.run(y_train, y_test, epochs=s.finetune_epochs,
                              learning_rate=s.finetune_lr, seed=seed, head=head,
                              train_subset=subset, batch_size=s.batch_size)
            out[name] = {"accuracy": run.final, "seconds": t_head.seconds + run.seconds}
            trainer.restore()
        if verbose:
            shown = ", ".join(f"{k} {v['accuracy']:.2f} ({v['seconds']:.0f} s)"
                              for k, v in out.items())
            print(f"{self.name} ({self.similarity}), {per_class}/class, seed {seed}: {shown}",
                  flush=True)
        return out


# ----------------------------------------------------------------------- reading the grid
def cell_stats(runs: list[dict[str, dict]]) -> dict[str, dict[str, float]]:
    """Several seeds of one grid cell -> {strategy: {mean, std, seconds, n}}: accuracy mean and
    population std; seconds is the median (the first run of a model also pays for tracing)."""
    stats = {}
    for name in runs[0]:
        acc = np.array([r[name]["accuracy"] for r in runs], dtype=float)
        sec = np.array([r[name]["seconds"] for r in runs], dtype=float)
        stats[name] = {"mean": float(acc.mean()), "std": float(acc.std()),
                       "seconds": float(np.median(sec)), "n": len(acc)}
    return stats


def winner(stats: dict[str, dict[str, float]], tie: float = 0.0) -> tuple[str, list[str]]:
    """The strategy with the highest mean accuracy, and every strategy within ``tie`` of it
    (ties are broken by the shorter wall time, since a tie in accuracy is won on cost)."""
    best = max(v["mean"] for v in stats.values())
    close = [k for k, v in stats.items() if v["mean"] >= best - tie - 1e-12]
    close.sort(key=lambda k: stats[k]["seconds"])
    top = max(stats, key=lambda k: (stats[k]["mean"], -stats[k]["seconds"]))
    return top, close


def agreement(size: str, similarity: str, stats: dict[str, dict[str, float]],
              tie: float) -> str:
    """'agrees', 'agrees (within noise)' or 'disagrees': the seeds' advice vs the measurement."""
    advised = ADVICE[(size, similarity)][0]
    top, close = winner(stats, tie)
    if advised == top:
        return "agrees"
    return "agrees (within noise)" if advised in close else "disagrees"


def save_grid(path: str | Path, payload: dict) -> None:
    """Write the grid (cells keyed 'size/similarity') and its provenance as JSON."""
    Path(path).write_text(json.dumps(payload, indent=1, sort_keys=False) + "\n")


def load_grid(path: str | Path) -> dict:
    """Read a grid written by :func:`save_grid`; cells are keyed 'size/similarity'."""
    payload = json.loads(Path(path).read_text())
    missing = {"provenance", "cells"} - set(payload)
    if missing:
        raise ValueError(f"{path} is not a strategy grid (missing {sorted(missing)}).")
    return payload
