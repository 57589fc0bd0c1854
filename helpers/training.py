"""Training with sensible defaults: compact logs, timing, cached features, a dense head on them,
and the small utilities that move heads between models and restart runs from the same state.

Lesson 01 introduces feature caching; lesson 05 explains it in full; lesson 06 uses the rest.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import keras
import numpy as np

from helpers import models


class EpochLogger(keras.callbacks.Callback):
    """Prints one short line every ``every`` epochs (progress bars flood notebooks)."""

    def __init__(self, every: int = 1, prefix: str = ""):
        super().__init__()
        self.every, self.prefix = max(1, every), prefix

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if (epoch + 1) % self.every == 0:
            shown = "  ".join(f"{k} {v:.3f}" for k, v in (logs or {}).items()
                              if k != "learning_rate")
            print(f"{self.prefix}epoch {epoch + 1:>3}  {shown}", flush=True)


class EpochTimer(keras.callbacks.Callback):
    """Wall time of every epoch (training + validation) in ``self.seconds``.

    Lesson 05 writes it step by step. Put it first in the callback list so that checkpoints
    written at the end of an epoch are not counted."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


@dataclass
class Stopwatch:
    """Elapsed seconds of a ``with timer() as t:`` block, in ``t.seconds``."""

    seconds: float = 0.0


@contextmanager
def timer() -> Iterator[Stopwatch]:
    """Measure wall time: ``with timer() as t: ...`` then read ``t.seconds``."""
    watch, start = Stopwatch(), time.perf_counter()
    try:
        yield watch
    finally:
        watch.seconds = time.perf_counter() - start


def compile_classifier(model: keras.Model, learning_rate: float = 1e-3,
                       optimizer: str = "adam", weight_decay: float | None = None,
                       **options) -> keras.Model:
    """Compile for integer labels with accuracy. ``optimizer``: adam, adamw, rmsprop or sgd;
    ``options`` go to its constructor (e.g. ``momentum``, ``use_ema``, ``ema_momentum``)."""
    choices = {"adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW,
               "rmsprop": keras.optimizers.RMSprop, "sgd": keras.optimizers.SGD}
    if optimizer not in choices:
        raise ValueError(f"optimizer must be one of {list(choices)}, got {optimizer!r}.")
    kwargs = {"learning_rate": learning_rate, **options}
    if weight_decay is not None:
        kwargs["weight_decay"] = weight_decay
    model.compile(optimizer=choices[optimizer](**kwargs),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def fit(model: keras.Model, train, validation=None, epochs: int = 10, log_every: int = 1,
        callbacks: list | None = None, **kwargs) -> keras.callbacks.History:
    """``model.fit`` without progress bars, one log line every ``log_every`` epochs."""
    logger = [EpochLogger(log_every)] if log_every else []
    if hasattr(train, "element_spec"):  # a tf.data.Dataset shuffles itself; Keras would warn
        kwargs.setdefault("shuffle", False)
    return model.fit(train, validation_data=validation, epochs=epochs, verbose=0,
                     callbacks=logger + list(callbacks or []), **kwargs)


def fit_repeated(model: keras.Model, x: np.ndarray, y: np.ndarray, epochs: int,
                 batch_size: int = 32, class_weight: dict | None = None
                 ) -> keras.callbacks.History:
    """Train for ``epochs`` passes over a *tiny* dataset as one Keras epoch over repeated data.

    Same number of gradient steps as ``fit(epochs=...)``, without the fixed per-epoch cost that
    dominates when an epoch is only a few batches (lesson 09 trains dozens of small models).
    """
    repeated_x, repeated_y = np.concatenate([x] * epochs), np.concatenate([y] * epochs)
    return model.fit(repeated_x, repeated_y, epochs=1, batch_size=batch_size, shuffle=True,
                     class_weight=class_weight, verbose=0)


def extract_features(model: keras.Model, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Run ``model`` once over ``images`` (inference mode) and return its outputs as NumPy."""
    return model.predict(images, batch_size=batch_size, verbose=0)


def check_labels(features: np.ndarray, labels: np.ndarray, num_classes: int, name: str) -> None:
    """Raise a clear ValueError unless there is one integer label in [0, num_classes) per row."""
    labels = np.asarray(labels)
    if len(features) != len(labels):
        raise ValueError(f"The {name} set has {len(features)} feature rows but {len(labels)} "
                         "labels; pass one label per image.")
    if labels.size and (not np.issubdtype(labels.dtype, np.integer)
                        or labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"The {name} labels must be integers from 0 to {num_classes - 1} "
                         f"(num_classes={num_classes}); got {labels.dtype} values from "
                         f"{labels.min()} to {labels.max()}.")


def train_head(features: np.ndarray, labels: np.ndarray, num_classes: int,
               validation: tuple[np.ndarray, np.ndarray] | None = None, epochs: int = 30,
               learning_rate: float = 1e-3, dropout: float = 0.2, batch_size: int = 32,
               log_every: int = 0) -> tuple[keras.Model, keras.callbacks.History]:
    """Train a new head on cached features (seconds, not minutes); return (head, history)."""
    check_labels(features, labels, num_classes, "training")
    if validation is not None:
        check_labels(*validation, num_classes, "validation")
    head = compile_classifier(models.build_head(features.shape[1], num_classes, dropout),
                              learning_rate)
    history = fit(head, features, validation, epochs=epochs, log_every=log_every,
                  y=labels, batch_size=batch_size, shuffle=True)
    return head, history


def epochs_to_reach(history: keras.callbacks.History | dict, threshold: float,
                    metric: str = "val_accuracy") -> int | None:
    """First epoch (1-based) whose ``metric`` reaches ``threshold``, or None if it never does."""
    values = history.history[metric] if hasattr(history, "history") else history[metric]
    for epoch, value in enumerate(values, start=1):
        if value >= threshold:
            return epoch
    return None


def mean_std(values) -> str:
    """Format several runs as 'mean ± std' (population std, 3 decimals)."""
    array = np.asarray(values, dtype=float)
    return f"{array.mean():.3f} ± {array.std():.3f}"


def copy_head(source: keras.Model, target: keras.Model, layer: str = "new_head") -> None:
    """Copy the weights of the ``layer`` Dense head from ``source`` into ``target``."""
    target.get_layer(layer).set_weights(source.get_layer(layer).get_weights())


def reinit_head(model: keras.Model, seed: int, layer: str = "new_head") -> None:
    """Give the head fresh random weights (Glorot uniform kernel, zero bias), as a new head has."""
    dense = model.get_layer(layer)
    kernel, bias = dense.get_weights()
    init = keras.initializers.GlorotUniform(seed=seed)
    dense.set_weights([np.asarray(init(kernel.shape)), np.zeros_like(bias)])


def relative_change(before: list[np.ndarray], after: list[np.ndarray]) -> float:
    """||after - before|| / ||before|| over all tensors: how far training moved the weights."""
    num = sum(float(np.sum((a - b) ** 2)) for a, b in zip(after, before))
    den = sum(float(np.sum(b ** 2)) for b in before)
    return float(np.sqrt(num / den)) if den else 0.0


def reset_optimizer(optimizer: keras.optimizers.Optimizer, learning_rate: float) -> None:
    """Zero an optimizer's state (step counter, moments) and set its learning rate, so one
    compiled model can run several experiments without being compiled (and traced) again."""
    for variable in optimizer.variables:
        if not variable.path.endswith("learning_rate"):
            variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
    optimizer.learning_rate.assign(learning_rate)


def restart(model: keras.Model, weights: list[np.ndarray],
            learning_rate: float | None = None) -> None:
    """Reset a *compiled* model to ``weights`` with a fresh optimizer state (step 0, zero
    moments), at ``learning_rate`` (default: keep the current one). Training it again repeats
    what a new model would do, without the seconds a new model spends tracing its first ``fit``
    (lessons 11 and 15 train dozens of small models)."""
    if getattr(model, "optimizer", None) is None:
        raise ValueError(f"{model.name} is not compiled; compile it once, then restart it.")
    model.set_weights(weights)
    model.optimizer.build(model.trainable_variables)  # no-op once built
    rate = float(model.optimizer.learning_rate) if learning_rate is None else learning_rate
    reset_optimizer(model.optimizer, rate)


def reseed_dropout(model: keras.Model, seed: int) -> None:
    """Restart the random streams of the model's Dropout layers from ``seed``."""
    for layer in model.layers:
        generator = getattr(layer, "seed_generator", None)
        if generator is not None:
            generator.state.assign(np.array([seed, 0], dtype=generator.state.dtype))


def warmup_cosine(step: int, total_steps: int, peak: float, warmup_steps: int) -> float:
    """Learning rate at ``step``: linear warm-up from ~0 to ``peak`` over ``warmup_steps``, then a
    cosine decay to 0 at ``total_steps`` (lesson 06 measures what it does to the early dip)."""
    if total_steps <= 0 or not 0 <= warmup_steps <= total_steps:
        raise ValueError(f"Need 0 <= warmup_steps <= total_steps and total_steps > 0; got "
                         f"warmup_steps={warmup_steps}, total_steps={total_steps}.")
    if step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return float(peak * 0.5 * (1 + np.cos(np.pi * min(1.0, progress))))


class WarmupCosine(keras.callbacks.Callback):
    """Sets the optimizer's learning rate before every batch by :func:`warmup_cosine`.

    A callback (not a ``keras.optimizers.schedules`` object) so that a compiled model whose
    optimizer holds a plain rate, such as ``finetune.TopTrainer``'s, can use it; the rates it
    set are in ``self.rates``."""

    def __init__(self, peak: float, total_steps: int, warmup_steps: int, offset: int = 0):
        super().__init__()
        warmup_cosine(0, total_steps, peak, warmup_steps)  # validates the arguments
        self.peak, self.total, self.warmup = peak, total_steps, warmup_steps
        self.offset = offset  # start later in the schedule (a second stage of one run)
        self.rates: list[float] = []

    def on_train_begin(self, logs=None):
        self.step, self.rates = self.offset, []

    def on_train_batch_begin(self, batch, logs=None):
        rate = warmup_cosine(self.step, self.total, self.peak, self.warmup)
        self.model.optimizer.learning_rate.assign(rate)
        self.rates.append(rate)
        self.step += 1


class _RangeTest(keras.callbacks.Callback):
    """Raises the rate exponentially batch by batch and records each batch's own loss."""

    def __init__(self, rates: np.ndarray, blow_up: float):
        super().__init__()
        self.schedule, self.blow_up = rates, blow_up
        self.rates: list[float] = []
        self.losses: list[float] = []
        self._mean = 0.0

    def on_train_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate.assign(float(self.schedule[batch]))

    def on_train_batch_end(self, batch, logs=None):
        mean = float((logs or {})["loss"])  # Keras 3 logs the running mean over the epoch
        loss = (batch + 1) * mean - batch * self._mean  # this batch's own loss
        self._mean = mean
        self.rates.append(float(self.schedule[batch]))
        self.losses.append(loss)
        if not np.isfinite(loss) or loss > self.blow_up * min(self.losses):
            self.model.stop_training = True


def lr_finder(model: keras.Model, x: np.ndarray, y: np.ndarray, start: float = 1e-7,
              stop: float = 1.0, steps: int = 100, batch_size: int = 32, seed: int = 0,
              smoothing: float = 0.9, blow_up: float = 4.0) -> dict:
    """Learning-rate range test (Smith 2017; fastai's ``lr_find``), explained in lesson 06.

    Trains a *compiled* model for up to ``steps`` batches while the rate grows exponentially from
    ``start`` to ``stop``, records the loss of every batch, stops once the loss exceeds
    ``blow_up`` times its minimum, then puts the weights and the optimizer state back. Returns
    {"rates", "losses", "smoothed", "min_rate", "suggestion"}: the rate where the smoothed loss
    was lowest, and a tenth of it (the usual pick: still clearly on the falling slope)."""
    if getattr(model, "optimizer", None) is None:
        raise ValueError(f"{model.name} is not compiled; compile it, then run the range test.")
    if not 0 < start < stop or steps < 2:
        raise ValueError(f"Need 0 < start < stop and steps >= 2; got start={start}, "
                         f"stop={stop}, steps={steps}.")
    if len(x) < batch_size:
        raise ValueError(f"The range test needs at least one batch ({batch_size} examples); "
                         f"got {len(x)}.")
    weights, old_rate = model.get_weights(), float(model.optimizer.learning_rate)
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(len(x))
                            for _ in range(-(-steps * batch_size // len(x)))])
    order = order[:steps * batch_size]
    test = _RangeTest(np.geomspace(start, stop, steps), blow_up)
    restart(model, weights)
    keras.utils.set_random_seed(seed)
    model.fit(x[order], y[order], epochs=1, batch_size=batch_size, shuffle=False, verbose=0,
              callbacks=[test])
    restart(model, weights, old_rate)
    smoothed, average = [], 0.0
    for i, loss in enumerate(test.losses):  # bias-corrected moving average, as fastai's
        average = smoothing * average + (1 - smoothing) * loss
        smoothed.append(average / (1 - smoothing ** (i + 1)))
    best = int(np.nanargmin(smoothed))
    return {"rates": np.array(test.rates), "losses": np.array(test.losses),
            "smoothed": np.array(smoothed), "min_rate": float(test.rates[best]),
            "suggestion": float(test.rates[best]) / 10}
