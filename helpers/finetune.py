"""Fine-tuning on a CPU budget: cache the frozen bottom of a backbone once (``helpers.cutting``)
and train only the unfrozen top (plus the new head) on the cached tensors.

Lesson 06 explains the trick and checks that it gives the same model as training end to end.
Lesson 05 explains the simpler case (cache the pooled features, train only the head).
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import keras
import numpy as np

from helpers import cutting, environment, evaluation, models, training


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

    def save(self, path) -> None:
        """Store the cached activations (``.npz``) to skip the frozen pass next time."""
        np.savez(path, low=self.low, seconds=self.seconds,
                 **{f"split_{k}": v for k, v in self._store[self.low].items()})

    @classmethod
    def load(cls, base: keras.Model, path) -> ActivationCache:
        """A cache saved by :meth:`save` for this ``base`` (its pretrained weights)."""
        stored = np.load(path)
        cache = cls.__new__(cls)
        cache.base, cache.low, cache.batch_size = base, int(stored["low"]), 64
        cache.pretrained, cache.seconds = base.get_weights(), float(stored["seconds"])
        cache._store = {cache.low: {k[6:]: stored[k] for k in stored.files
                                    if k.startswith("split_")}}
        cache.images = sum(len(x) for x in cache._store[cache.low].values())
        return cache

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
        self._start(seed, head, learning_rate)
        return self._fit(y_train, y_val, epochs, seed, train_subset, batch_size, callbacks,
                         keep_predictions, {"n_trainable": self.n_trainable,
                                            "learning_rate": learning_rate, "seed": seed,
                                            "head": "random" if head is None else "trained",
                                            "epochs": epochs, **settings})

    def _start(self, seed: int, head: keras.Model | None, learning_rate: float) -> None:
        """Pretrained base, the given (or a fresh random) head, a fresh optimizer, seeds."""
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

    def _fit(self, y_train, y_val, epochs, seed, train_subset, batch_size, callbacks,
             keep_predictions, info) -> Run:
        """Train from the current state; measure before and after; return a :class:`Run`."""
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
        moved = training.relative_change(before, after) if before else 0.0
        return Run(info, curves, moved, seconds, extra)

    def find_rate(self, y_train: np.ndarray, seed: int, head: keras.Model | None = None,
                  train_subset: np.ndarray | None = None, **kwargs) -> dict:
        """Learning-rate range test (``training.lr_finder``) from the state a :meth:`run`
        starts in (pretrained top, the given head); the weights are put back afterwards."""
        self._start(seed, head, 1e-7)
        x = self.data["train"]
        if train_subset is not None:
            x, y_train = x[train_subset], y_train[train_subset]
        found = training.lr_finder(self.model, x, y_train, seed=seed, **kwargs)
        self.model.set_weights(self.start_weights)
        return found

    def compile_for(self, recipe: Recipe) -> None:
        """Compile the model with ``recipe``'s optimizer (traces the training step again)."""
        recipe.compile(self.model)

    def gradual(self, y_train: np.ndarray, y_val: np.ndarray, stages: list[tuple[int, int]],
                recipe: Recipe, seed: int, head: keras.Model | None = None,
                train_subset: np.ndarray | None = None) -> Run:
        """Gradual unfreezing (Howard and Ruder, 2018; lesson 06): for each ``(depth, epochs)``
        stage, unfreeze the top ``depth`` layers (BatchNormalization frozen), compile again and
        train ``epochs`` more; one warm-up + cosine schedule runs over all stages (the recipe
        must have no weight average: each stage's new optimizer would restart it). Returns one
        :class:`Run` whose history joins the stages; the model is left compiled for
        ``recipe`` with all ``n_trainable`` layers unfrozen."""
        if recipe.ema_momentum is not None:
            raise ValueError("Gradual unfreezing compiles a new optimizer for every stage, which "
                             "would restart the weight average: pass a recipe with "
                             "ema_momentum=None (dataclasses.replace(recipe, ema_momentum=None)).")
        if not stages or any(d < 1 or d > self.n_trainable or e < 1 for d, e in stages):
            raise ValueError(f"Stages must be (depth, epochs) pairs with 1 <= depth <= "
                             f"{self.n_trainable} (this trainer's top) and epochs >= 1; got "
                             f"{stages}.")
        n = len(y_train) if train_subset is None else len(train_subset)
        per_epoch = math.ceil(n / recipe.batch_size)
        total = sum(e for _, e in stages) * per_epoch
        self.compile_for(recipe)
        self._start(seed, head, recipe.rate)
        watched = self.base.trainable_weights  # all n_trainable layers: as in run()
        before = [np.array(w.numpy()) for w in watched]
        history, seconds, offset = None, 0.0, 0
        for i, (depth, epochs) in enumerate(stages):
            weights = self.model.get_weights()
            models.unfreeze_top(self.base, depth, keep_batchnorm_frozen=True)
            self.compile_for(recipe)
            self.model.set_weights(weights)
            run = self._fit(y_train, y_val, epochs, seed + i, train_subset, recipe.batch_size,
                            recipe.callbacks(total, offset), i == len(stages) - 1, {})
            history = run.history if history is None else {
                k: history[k] + run.history[k][1:] for k in history}
            seconds, offset = seconds + run.seconds, offset + epochs * per_epoch
        models.unfreeze_top(self.base, self.n_trainable, keep_batchnorm_frozen=True)
        weights = self.model.get_weights()
        self.compile_for(recipe)
        self.model.set_weights(weights)
        moved = training.relative_change(before, [np.array(w.numpy()) for w in watched])
        info = {"stages": [list(s) for s in stages], "seed": seed, **asdict(recipe)}
        return Run(info, history, moved, seconds, run.extra)

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


@dataclass(frozen=True)
class Recipe:
    """How a fine-tuning run trains (lesson 06): the head first (``head_epochs`` at
    ``head_rate`` on pooled features), then ``epochs`` of fine-tuning with a linear warm-up over
    ``warmup_fraction`` of the steps to ``rate`` and a cosine decay. ``optimizer``: "adam", or
    "sgd" (momentum 0.9, which keeps a gradient's size in the step; Adam does not).
    ``ema_momentum``: evaluate and keep an exponential moving average of the weights (Polyak
    averaging, ``keras.callbacks.SwapEMAWeights``) instead of the last ones; None: the last."""

    epochs: int = 8
    rate: float = 3e-4
    warmup_fraction: float = 0.1
    optimizer: str = "adam"
    head_epochs: int = 30
    head_rate: float = 3e-3
    batch_size: int = 32
    ema_momentum: float | None = 0.99

    def __post_init__(self):
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', got {self.optimizer!r}.")
        if self.epochs < 1 or self.rate <= 0 or not 0 <= self.warmup_fraction <= 1:
            raise ValueError(f"Need epochs >= 1, rate > 0 and 0 <= warmup_fraction <= 1; got "
                             f"{self.epochs}, {self.rate}, {self.warmup_fraction}.")
        if self.ema_momentum is not None and not 0 < self.ema_momentum < 1:
            raise ValueError(f"ema_momentum must be None or between 0 and 1 (e.g. 0.99), got "
                             f"{self.ema_momentum}.")

    def compile(self, model: keras.Model) -> keras.Model:
        """Compile ``model`` as a classifier with a fresh optimizer of this recipe (its rate is
        then set step by step by :meth:`schedule`); returns it."""
        options = {"momentum": 0.9} if self.optimizer == "sgd" else {}
        if self.ema_momentum is not None:
            options.update(use_ema=True, ema_momentum=self.ema_momentum)
        return training.compile_classifier(model, self.rate, self.optimizer, **options)

    def total_steps(self, n_examples: int) -> int:
        """Optimizer steps of a run on ``n_examples`` training examples."""
        return self.epochs * math.ceil(n_examples / self.batch_size)

    def schedule(self, total_steps: int, offset: int = 0) -> training.WarmupCosine:
        """The warm-up + cosine schedule over ``total_steps``, starting at step ``offset``."""
        warmup = (min(total_steps, max(2, int(self.warmup_fraction * total_steps)))
                  if self.warmup_fraction else 0)  # 1 step would start at the peak
        return training.WarmupCosine(self.rate, total_steps, warmup, offset=offset)

    def callbacks(self, total_steps: int, offset: int = 0) -> list[keras.callbacks.Callback]:
        """What ``fit`` needs to follow this recipe: the schedule, and the weight average
        swapped in for every evaluation and at the end when ``ema_momentum`` is set."""
        swap = [keras.callbacks.SwapEMAWeights()] if self.ema_momentum is not None else []
        return [self.schedule(total_steps, offset), *swap]

    def check_compiled(self, model: keras.Model) -> None:
        """Raise a clear error if ``model`` was not compiled for this recipe's weight average."""
        has_ema = bool(getattr(model.optimizer, "use_ema", False))
        if has_ema != (self.ema_momentum is not None):
            raise ValueError(f"{model.name} was compiled {'with' if has_ema else 'without'} a "
                             f"weight average, but the recipe has ema_momentum="
                             f"{self.ema_momentum}. Compile it for the recipe first "
                             "(TopTrainer.compile_for(recipe)).")


def head_control(head: keras.Model, features: np.ndarray, labels: np.ndarray, recipe: Recipe,
                 seed: int, validation: tuple[np.ndarray, np.ndarray] | None = None
                 ) -> tuple[keras.Model, list[float]]:
    """The head-only control of a fine-tuning run: a copy of a trained ``head`` trained on pooled
    features by the same ``recipe`` (optimizer, schedule, weight average, epochs) with the base
    frozen. Returns the copy and its validation accuracy after each epoch (if ``validation``)."""
    training.check_labels(features, labels, head.output_shape[-1], "training")
    keras.utils.set_random_seed(seed)
    copy = keras.models.clone_model(head)
    copy.set_weights(head.get_weights())
    recipe.compile(copy)
    history = copy.fit(features, labels, epochs=recipe.epochs, batch_size=recipe.batch_size,
                       shuffle=True, verbose=0, validation_data=validation,
                       callbacks=recipe.callbacks(recipe.total_steps(len(features)))).history
    return copy, [float(a) for a in history.get("val_accuracy", [])]


def payoff(trainer: TopTrainer, pooled: dict[str, np.ndarray], y_train: np.ndarray,
           y_val: np.ndarray, seed: int, recipe: Recipe, subset: np.ndarray | None = None
           ) -> dict:
    """Lesson 06's pay-off comparison on the same clips: a head on pooled frozen features
    ("head", feature extraction), that head trained by ``recipe`` with the base frozen
    ("control", :func:`head_control`; its accuracy per epoch in "control_curve"), and
    fine-tuning from that head by ``recipe`` ("tuned", a :class:`Run`). Returns predicted
    validation labels for head and control, and the run. Compile ``trainer`` for ``recipe``
    first (:meth:`TopTrainer.compile_for`)."""
    recipe.check_compiled(trainer.model)
    sub = np.arange(len(y_train)) if subset is None else np.asarray(subset)
    classes = trainer.model.output_shape[-1]
    environment.seed_everything(seed)
    head, _ = training.train_head(pooled["train"][sub], y_train[sub], classes,
                                  epochs=recipe.head_epochs, learning_rate=recipe.head_rate)
    control, control_curve = head_control(head, pooled["train"][sub], y_train[sub], recipe,
                                          seed, validation=(pooled["val"], y_val))
    callbacks = recipe.callbacks(recipe.total_steps(len(sub)))
    tuned = trainer.run(y_train, y_val, recipe.epochs, recipe.rate, seed, head=head,
                        train_subset=subset, batch_size=recipe.batch_size,
                        callbacks=callbacks, keep_predictions=True)
    tuned.extra["rates"] = callbacks[0].rates
    return {"head": evaluation.predict_labels(head, pooled["val"]),
            "control": evaluation.predict_labels(control, pooled["val"]),
            "control_curve": control_curve, "tuned": tuned, "head_model": head}
