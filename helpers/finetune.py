"""Fine-tuning on a CPU budget: cut a backbone where one tensor carries everything, cache the
frozen bottom once, and train only the unfrozen top (plus the new head) on the cached tensors.

Lesson 06 explains the trick and checks that it gives the same model as training end to end.
Lesson 05 explains the simpler case (cache the pooled features, train only the head).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import keras
import numpy as np

from helpers import models, training


def _producers(base: keras.Model) -> list[set[int]]:
    """For every layer of ``base``, the positions of the layers whose outputs it consumes
    inside ``base`` (calls of the same layers in other models are ignored)."""
    position = {id(layer): i for i, layer in enumerate(base.layers)}
    found: list[set[int]] = [set() for _ in base.layers]
    for nodes in base._nodes_by_depth.values():  # the graph of this model only
        for node in nodes:
            if id(node.operation) not in position:
                continue
            for tensor in node.input_tensors:
                found[position[id(node.operation)]].add(
                    position[id(tensor._keras_history.operation)])
    return found


def cut_points(base: keras.Model) -> list[int]:
    """Positions ``i`` in ``base.layers`` where the network can be cut in two: every later layer
    reads only outputs of layer ``i`` or later (no skip connection jumps over the cut)."""
    producers = _producers(base)
    n = len(base.layers)
    earliest_needed = n
    valid = []
    for i in range(n - 1, -1, -1):  # scan from the top, tracking the earliest input still needed
        if earliest_needed >= i:
            valid.append(i)
        earliest_needed = min(earliest_needed, *producers[i]) if producers[i] else earliest_needed
    return sorted(valid)


def cut_for(base: keras.Model, n_trainable: int) -> int:
    """The highest cut position below the top ``n_trainable`` layers (0 = the input layer).

    Everything up to and including the cut stays frozen and can be computed once."""
    if not 0 <= n_trainable < len(base.layers):
        raise ValueError(f"n_trainable must be between 0 and {len(base.layers) - 1}, "
                         f"got {n_trainable}.")
    limit = len(base.layers) - 1 - n_trainable
    return max(i for i in cut_points(base) if i <= limit)


def split(base: keras.Model, cut: int | str) -> tuple[keras.Model | None, keras.Model | None]:
    """Two models, ``bottom`` (input -> output of layer ``cut``) and ``top`` (that output -> base
    output), that share their layers (and weights) with ``base``. ``bottom`` is None when
    ``cut`` is the input layer, ``top`` is None when ``cut`` is the last layer."""
    index = cut if isinstance(cut, int) else base.layers.index(base.get_layer(cut))
    if index not in cut_points(base):
        raise ValueError(f"Cannot cut after layer {index} ({base.layers[index].name}): a skip "
                         "connection crosses it. Use helpers.finetune.cut_points(base).")
    tensor = base.layers[index].output
    bottom = keras.Model(base.input, tensor, name="frozen_bottom") if index > 0 else None
    top = (keras.Model(tensor, base.output, name="top")
           if index < len(base.layers) - 1 else None)
    return bottom, top


def bottom_model(base: keras.Model, cut: int, preprocessing: str) -> keras.Model:
    """Raw pixels -> preprocessing -> the frozen bottom of ``base`` (inference mode)."""
    bottom, _ = split(base, cut)
    inputs = keras.Input(shape=base.input_shape[1:], name="pixels")
    x = models.Preprocess(preprocessing, name="preprocess")(inputs)
    if bottom is not None:
        x = bottom(x, training=False)
    return keras.Model(inputs, x, name="pixels_to_cut")


def top_classifier(base: keras.Model, cut: int, num_classes: int, dropout: float = 0.2
                   ) -> keras.Model:
    """Cached activations at ``cut`` -> top of ``base`` (inference mode) -> pool -> new head.

    The layer names match ``models.build_classifier`` and ``training.build_head``, so heads can
    be copied between them with :func:`copy_head`."""
    inputs = keras.Input(shape=base.layers[cut].output.shape[1:], name="activations")
    _, top = split(base, cut)
    x = inputs if top is None else top(inputs, training=False)  # at the very top: nothing to run
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="new_head")(x)
    return keras.Model(inputs, outputs, name="top_classifier")


def layer_states(base: keras.Model, n_trainable: int, keep_batchnorm_frozen: bool = True
                 ) -> list[str]:
    """What ``models.unfreeze_top(base, n_trainable)`` would do to each layer, without doing it:
    'frozen', 'trainable' or 'batchnorm (frozen)'."""
    cut = len(base.layers) - n_trainable
    states = []
    for i, layer in enumerate(base.layers):
        if i < cut:
            states.append("frozen")
        elif keep_batchnorm_frozen and isinstance(layer, keras.layers.BatchNormalization):
            states.append("batchnorm (frozen)")
        else:
            states.append("trainable")
    return states


def trainable_params(base: keras.Model, n_trainable: int) -> int:
    """Parameters that would train after ``models.unfreeze_top(base, n_trainable)`` (BN frozen)."""
    return sum(models.count_params(layer.weights)
               for layer, state in zip(base.layers, layer_states(base, n_trainable))
               if state == "trainable")


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


def reseed_dropout(model: keras.Model, seed: int) -> None:
    """Restart the random streams of the model's Dropout layers from ``seed``."""
    for layer in model.layers:
        generator = getattr(layer, "seed_generator", None)
        if generator is not None:
            generator.state.assign(np.array([seed, 0], dtype=generator.state.dtype))


class ActivationCache:
    """Activations of a frozen backbone at its cut points, computed once.

    ``deepest`` is the largest number of top layers you will unfreeze: the bottom up to
    ``cut_for(base, deepest)`` runs once per image (the expensive part); activations at higher
    cuts are derived from those (cheap) when first asked for."""

    def __init__(self, base: keras.Model, preprocessing: str, images: dict[str, np.ndarray],
                 deepest: int, batch_size: int = 64):
        self.base, self.low, self.batch_size = base, cut_for(base, deepest), batch_size
        self.pretrained = base.get_weights()  # what every cached activation was computed with
        bottom = bottom_model(base, self.low, preprocessing)
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

    def pooled(self) -> dict[str, np.ndarray]:
        """Globally pooled base outputs (the features a new head is trained on, lesson 05)."""
        return {name: a.mean(axis=(1, 2)) for name, a in self.at(len(self.base.layers) - 1).items()}


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
        self.cut = cut_for(base, n_trainable)
        self.data = cache.at(self.cut)
        self.pretrained = cache.pretrained
        base.set_weights(self.pretrained)  # whatever ran before, start from the pretrained base
        models.unfreeze_top(base, n_trainable, keep_batchnorm_frozen=True)
        self.model = top_classifier(base, self.cut, num_classes, dropout)
        training.compile_classifier(self.model, 1e-4, optimizer)
        self.start_weights = self.model.get_weights()

    def run(self, y_train: np.ndarray, y_val: np.ndarray, epochs: int, learning_rate: float,
            seed: int, head: keras.Model | None = None, train_subset: np.ndarray | None = None,
            batch_size: int = 32, **settings) -> Run:
        """Fine-tune from the pretrained base; ``head`` (trained on pooled features) or, if None,
        a random head. ``train_subset`` picks training positions. Returns a :class:`Run`."""
        # The model holds the top layers of the base: this restores them to pretrained too.
        self.model.set_weights(self.start_weights)
        models.unfreeze_top(self.base, self.n_trainable, keep_batchnorm_frozen=True)
        if head is None:
            reinit_head(self.model, seed)
        else:
            copy_head(head, self.model)
        reset_optimizer(self.model.optimizer, learning_rate)
        keras.utils.set_random_seed(seed)
        reseed_dropout(self.model, seed)
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
                                 verbose=0, callbacks=[timer]).history
        seconds = time.perf_counter() - start
        tr_loss, tr_acc = self.model.evaluate(x_train, y_train, batch_size=64, verbose=0)
        after = [np.array(w.numpy()) for w in trainable]
        curves = {"accuracy": [tr_acc0, *history["accuracy"]],
                  "loss": [tr_loss0, *history["loss"]],
                  "val_accuracy": [acc0, *history["val_accuracy"]],
                  "val_loss": [loss0, *history["val_loss"]]}
        info = {"n_trainable": self.n_trainable, "learning_rate": learning_rate, "seed": seed,
                "head": "random" if head is None else "trained", "epochs": epochs, **settings}
        return Run(info, curves, relative_change(before, after) if before else 0.0, seconds,
                   {"train_accuracy": tr_acc, "train_loss": tr_loss,
                    "epoch_seconds": timer.seconds})

    def restore(self) -> None:
        """Put the pretrained weights back and freeze the whole base again."""
        self.base.set_weights(self.pretrained)
        self.base.trainable = False


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
