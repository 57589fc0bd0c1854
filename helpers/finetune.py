"""Fine-tuning on a CPU budget: cache the frozen bottom of a backbone once (``helpers.cutting``)
and train only the unfrozen top (plus the new head) on the cached tensors.

Lesson 06 explains the trick and checks that it gives the same model as training end to end.
Lesson 05 explains the simpler case (cache the pooled features, train only the head).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import keras
import numpy as np

from helpers import cutting, models, training


class ActivationCache:
    """Activations of a frozen backbone at its cut points, computed once.

    ``deepest`` is the largest number of top layers you will unfreeze: the bottom up to
    ``cut_for(base, deepest)`` runs once per image (the expensive part); activations at higher
    cuts are derived from those (cheap) when first asked for."""

    def __init__(self, base: keras.Model, images: dict[str, np.ndarray], deepest: int,
                 batch_size: int = 64, preprocessing: str | None = None):
        self.base, self.low, self.batch_size = base, cutting.cut_for(base, deepest), batch_size
        self.pretrained = base.get_weights()  # what every cached activation was computed with
        bottom = cutting.bottom_model(base, self.low, preprocessing)
        start = time.perf_counter()
        self._store = {self.low: {name: bottom.predict(x, batch_size=batch_size, verbose=0)
                                  for name, x in images.items()}}
        self.seconds = time.perf_counter() - start
        self.images = sum(len(x) for x in images.values())

    def at(self, cut: int) -> dict[str, np.ndarray]:
        """Activations at cut position ``cut`` (not below the deepest one), by split name."""
        if cut < self.low:
            raise ValueError(f"The cache starts at layer {self.low}; cut {cut} is below it. "
                             "Build the cache with a larger `deepest`.")
        if cut not in self._store:
            self.base.set_weights(self.pretrained)  # a trainer may have changed shared layers
            middle = keras.Model(self.base.layers[self.low].output, self.base.layers[cut].output)
            self._store[cut] = {name: middle.predict(a, batch_size=self.batch_size, verbose=0)
                                for name, a in self._store[self.low].items()}
        return self._store[cut]

    def pooled(self, store: bool = True) -> dict[str, np.ndarray]:
        """Globally pooled base outputs (the features a new head is trained on, lesson 05).

        ``store=False`` pools batch by batch without keeping the full last activations (for
        thousands of images they take hundreds of MB)."""
        last = len(self.base.layers) - 1
        if store or last in self._store:
            return {name: a.mean(axis=(1, 2)) for name, a in self.at(last).items()}
        self.base.set_weights(self.pretrained)
        pooled = keras.layers.GlobalAveragePooling2D()(self.base.output)
        middle = keras.Model(self.base.layers[self.low].output, pooled)
        return {name: middle.predict(a, batch_size=self.batch_size, verbose=0)
                for name, a in self._store[self.low].items()}


@dataclass
class Run:
    """One fine-tuning run: its settings, per-epoch history (epoch 0 = before fine-tuning) and
    how far the unfrozen base weights moved (relative change)."""

    settings: dict
    history: dict
    base_change: float = 0.0
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def epoch_seconds(self) -> float:
        """Median time of one epoch after the first (which also traces the training step)."""
        times = self.extra.get("epoch_seconds") or [self.seconds]
        return float(np.median(times[1:] or times))

    @property
    def final(self) -> float:
        """Validation accuracy after the last epoch."""
        return float(self.history["val_accuracy"][-1])

    @property
    def start(self) -> float:
        """Validation accuracy before fine-tuning (the head alone)."""
        return float(self.history["val_accuracy"][0])

    @property
    def worst(self) -> float:
        """Lowest validation accuracy during fine-tuning (a collapse shows here)."""
        return float(min(self.history["val_accuracy"][1:]))

    @property
    def gap(self) -> float:
        """Train minus validation accuracy after training, both measured without dropout
        (large: overfitting)."""
        train = self.extra.get("train_accuracy", self.history["accuracy"][-1])
        return float(train - self.history["val_accuracy"][-1])


class TopTrainer:
    """Fine-tunes the top ``n_trainable`` layers of ``base`` plus a new head on cached
    activations, with BatchNormalization kept frozen and in inference mode.

    The model is built and compiled once; every :meth:`run` starts from the same weights
    (the pretrained base, a given or fresh head) with a fresh optimizer, so runs are independent
    and no run pays for tracing the training graph again. The model shares its layers with
    ``base``: call :meth:`restore` to put the pretrained weights back when you are done."""

    def __init__(self, base: keras.Model, cache: ActivationCache, n_trainable: int,
                 num_classes: int, optimizer: str = "adam", dropout: float = 0.2):
        self.base, self.n_trainable = base, n_trainable
        self.cut = cutting.cut_for(base, n_trainable)
        self.data = cache.at(self.cut)
        self.pretrained = cache.pretrained
        base.set_weights(self.pretrained)  # whatever ran before, start from the pretrained base
        models.unfreeze_top(base, n_trainable, keep_batchnorm_frozen=True)
        self.model = cutting.top_classifier(base, self.cut, num_classes, dropout)
        training.compile_classifier(self.model, 1e-4, optimizer)
        self.start_weights = self.model.get_weights()

    def run(self, y_train: np.ndarray, y_val: np.ndarray, epochs: int, learning_rate: float,
            seed: int, head: keras.Model | None = None, train_subset: np.ndarray | None = None,
            batch_size: int = 32, callbacks: list | None = None, keep_predictions: bool = False,
            **settings) -> Run:
        """Fine-tune from the pretrained base; ``head`` (trained on pooled features) or, if None,
        a random head. ``train_subset`` picks training positions. ``callbacks`` (e.g.
        ``training.WarmupCosine``) go to ``fit``; ``keep_predictions`` stores the predicted
        validation labels in ``run.extra["val_predictions"]``. Returns a :class:`Run`."""
        # The model holds the top layers of the base: this restores them to pretrained too.
        self.model.set_weights(self.start_weights)
        models.unfreeze_top(self.base, self.n_trainable, keep_batchnorm_frozen=True)
        if head is None:
            training.reinit_head(self.model, seed)
        else:
            training.copy_head(head, self.model)
        training.reset_optimizer(self.model.optimizer, learning_rate)
        keras.utils.set_random_seed(seed)
        training.reseed_dropout(self.model, seed)
        x_train, x_val = self.data["train"], self.data["val"]
        if train_subset is not None:
            x_train, y_train = x_train[train_subset], y_train[train_subset]
        trainable = self.base.trainable_weights
        before = [np.array(w.numpy()) for w in trainable]
        loss0, acc0 = self.model.evaluate(x_val, y_val, batch_size=64, verbose=0)
        tr_loss0, tr_acc0 = self.model.evaluate(x_train, y_train, batch_size=64, verbose=0)
        start, timer = time.perf_counter(), training.EpochTimer()
        history = self.model.fit(x_train, y_train, validation_data=(x_val, y_val),
                                 epochs=epochs, batch_size=batch_size, shuffle=True,
                                 verbose=0, callbacks=[timer, *(callbacks or [])]).history
        seconds = time.perf_counter() - start
        tr_loss, tr_acc = self.model.evaluate(x_train, y_train, batch_size=64, verbose=0)
        after = [np.array(w.numpy()) for w in trainable]
        extra = {"train_accuracy": tr_acc, "train_loss": tr_loss, "epoch_seconds": timer.seconds}
        if keep_predictions:
            extra["val_predictions"] = np.argmax(
                self.model.predict(x_val, batch_size=64, verbose=0), axis=1)
        curves = {"accuracy": [tr_acc0, *history["accuracy"]],
                  "loss": [tr_loss0, *history["loss"]],
                  "val_accuracy": [acc0, *history["val_accuracy"]],
                  "val_loss": [loss0, *history["val_loss"]]}
        info = {"n_trainable": self.n_trainable, "learning_rate": learning_rate, "seed": seed,
                "head": "random" if head is None else "trained", "epochs": epochs, **settings}
        moved = training.relative_change(before, after) if before else 0.0
        return Run(info, curves, moved, seconds, extra)

    def restore(self) -> None:
        """Put the pretrained weights back and freeze the whole base again."""
        self.base.set_weights(self.pretrained)
        self.base.trainable = False


class DiscriminativeAdam(keras.optimizers.Adam):
    """Adam with a smaller learning rate for some variables: discriminative learning rates
    (Howard and Ruder, 2018) in one training step, explained in lesson 06.

    Every variable whose path starts with one of ``slow_prefixes`` is updated at
    ``learning_rate * slow_factor``; the others (e.g. the new head) at ``learning_rate``. Use
    :func:`discriminative_adam` to build it from a model's layers."""

    def __init__(self, slow_paths: list[str] | tuple[str, ...] = (), slow_factor: float = 0.1,
                 **kwargs):
        super().__init__(**kwargs)
        if slow_factor < 0:
            raise ValueError(f"slow_factor must be >= 0, got {slow_factor}.")
        self.slow_paths, self.slow_factor = tuple(slow_paths), float(slow_factor)
        self._factors: list[float] = []

    def build(self, variables):
        super().build(variables)
        self._factors = [self.slow_factor if v.path in self.slow_paths else 1.0
                         for v in variables]

    def update_step(self, gradient, variable, learning_rate):
        factor = self._factors[self._get_variable_index(variable)]
        super().update_step(gradient, variable,
                            learning_rate if factor == 1.0 else learning_rate * factor)

    def get_config(self) -> dict:
        return {**super().get_config(), "slow_paths": list(self.slow_paths),
                "slow_factor": self.slow_factor}


def discriminative_adam(model: keras.Model, learning_rate: float, slow_factor: float = 0.1,
                        fast_layers: tuple[str, ...] = ("new_head", "hidden")
                        ) -> DiscriminativeAdam:
    """A :class:`DiscriminativeAdam` for ``model``: the layers named in ``fast_layers`` train at
    ``learning_rate``, every other trainable variable at ``learning_rate * slow_factor``."""
    names = {layer.name for layer in model.layers}
    if not names & set(fast_layers):
        raise ValueError(f"None of the layers {list(fast_layers)} is in model {model.name!r} "
                         f"(its layers: {sorted(names)[:8]}...). Name the head layers to train "
                         "at the full rate.")
    fast = {id(v) for name in fast_layers if name in names
            for v in model.get_layer(name).trainable_weights}
    slow = [v.path for v in model.trainable_weights if id(v) not in fast]
    return DiscriminativeAdam(slow_paths=slow, slow_factor=slow_factor,
                              learning_rate=learning_rate)


def values(runs, what: str) -> np.ndarray:
    """One number per run: an attribute of :class:`Run` ('final', 'start', 'worst', 'gap',
    'base_change', 'seconds') or 'gain' (final minus start, paired per run)."""
    if what == "gain":
        return np.array([r.final - r.start for r in runs])
    return np.array([float(getattr(r, what)) for r in runs])


def summarize(runs) -> dict[str, str]:
    """A table row for several seeds of one setting: mean ± std of the main numbers."""
    def fmt(what: str, scale: float = 1.0, digits: int = 3) -> str:
        v = values(runs, what) * scale
        return f"{v.mean():.{digits}f} ± {v.std():.{digits}f}"

    return {"seeds": str(len(runs)), "before": fmt("start"), "lowest": fmt("worst"),
            "after": fmt("final"), "change": fmt("gain"), "train-val gap": fmt("gap"),
            "base moved %": fmt("base_change", 100, 2)}
