"""Domain adaptation: same task, shifted data. Lesson 12 explains every piece.

- ``digit_cnn``: a small CNN (feature extractor + classifier) for grey digits;
- ``GradientReversal`` and ``DANN``: adversarial adaptation with a gradient-reversal layer
  (Ganin et al. 2016), a Keras 3 model with its own ``train_step``;
- ``adabn``: re-estimate BatchNormalization statistics on the target (Li et al. 2016);
- ``confident_pseudo_labels``: the most confident target predictions, per class, as labels;
- ``prototype_pseudo_labels``: labels from the nearest class centroid in feature space;
- ``crop_to_content``: crop a digit to its bounding box (a preprocessing fix, not adaptation);
- ``domain_accuracy``: how well a linear classifier tells the two domains apart from features.

Lesson 12's main path, which puts these pieces together for MNIST -> USPS, is in
``helpers.mnist_to_usps``.
"""
from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from helpers import digits


def digit_cnn(size: int = 16, num_classes: int = 10, bn_momentum: float = 0.9,
              width: int = 32) -> tuple[keras.Model, keras.Model]:
    """(features, classifier): grey (size, size, 1) -> 128-d features -> class probabilities.

    BatchNormalization uses ``bn_momentum`` 0.9: the default 0.99 leaves the moving statistics
    far from the data after a few hundred steps (lesson 12)."""
    def bn() -> keras.layers.Layer:
        return keras.layers.BatchNormalization(momentum=bn_momentum)

    features = keras.Sequential([
        keras.Input((size, size, 1)),
        keras.layers.Conv2D(width, 3, padding="same", use_bias=False), bn(),
        keras.layers.ReLU(), keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(2 * width, 3, padding="same", use_bias=False), bn(),
        keras.layers.ReLU(), keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(128, use_bias=False), bn(), keras.layers.ReLU(),
    ], name="features")
    classifier = keras.Sequential([
        keras.Input((128,)), keras.layers.Dropout(0.3),
        keras.layers.Dense(num_classes, activation="softmax"),
    ], name="classifier")
    return features, classifier


@keras.saving.register_keras_serializable(package="tl_course")
class GradientReversal(keras.layers.Layer):
    """Identity on the way forward; multiplies the gradient by ``-scale`` on the way back.

    ``scale`` lives in a non-trainable variable so a training loop can ramp it up."""

    def __init__(self, scale: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial_scale = float(scale)
        self.scale = self.add_weight(shape=(), initializer=keras.initializers.Constant(scale),
                                     trainable=False, name="scale")

    def call(self, inputs):
        @tf.custom_gradient
        def reverse(x, scale):
            def grad(upstream):
                return -tf.cast(scale, upstream.dtype) * upstream, tf.zeros_like(scale)
            return tf.identity(x), grad

        return reverse(inputs, tf.convert_to_tensor(self.scale))

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.initial_scale}


def domain_discriminator(feature_dim: int = 128, hidden: int = 128) -> keras.Model:
    """Gradient reversal -> Dense -> ReLU -> Dense(1): a logit for "this came from the target"."""
    return keras.Sequential([
        keras.Input((feature_dim,)), GradientReversal(name="reverse_gradient"),
        keras.layers.Dense(hidden, activation="relu"), keras.layers.Dense(1),
    ], name="domain_discriminator")


def grl_schedule(progress, gamma: float = 10.0):
    """Ganin et al.'s ramp 2 / (1 + exp(-gamma * p)) - 1: 0 at the start, close to 1 at the end."""
    return 2.0 / (1.0 + tf.exp(-gamma * tf.cast(progress, "float32"))) - 1.0


class DANN(keras.Model):
    """Domain-adversarial network: features shared by a label classifier (source labels) and a
    domain discriminator behind a gradient-reversal layer (source vs. target, no target labels).

    Train with ``fit`` on a dataset of ``((x_source, y_source), x_target)`` batches. The reversal
    scale ramps from 0 to ``domain_weight`` over ``total_steps`` (``grl_schedule``).
    ``separate_batches``: run each domain through the features on its own, so BatchNormalization
    normalises it with its own statistics (follow with ``adabn`` on the target)."""

    def __init__(self, features: keras.Model, classifier: keras.Model,
                 discriminator: keras.Model, total_steps: int, domain_weight: float = 1.0,
                 separate_batches: bool = False, **kwargs):
        super().__init__(**kwargs)
        if total_steps < 1:
            raise ValueError(f"total_steps={total_steps}: pass epochs * steps_per_epoch (>= 1).")
        self.features, self.classifier, self.discriminator = features, classifier, discriminator
        self.total_steps, self.domain_weight = int(total_steps), float(domain_weight)
        self.separate_batches = bool(separate_batches)
        self.reversal = discriminator.get_layer("reverse_gradient")
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in ("class_loss", "domain_loss", "domain_accuracy")}

    def call(self, inputs, training=False):
        return self.classifier(self.features(inputs, training=training), training=training)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def train_step(self, data):
        (x_source, y_source), x_target = data
        n_source, n_target = tf.shape(x_source)[0], tf.shape(x_target)[0]
        progress = tf.minimum(1.0, tf.cast(self.optimizer.iterations, "float32") / self.total_steps)
        self.reversal.scale.assign(self.domain_weight * grl_schedule(progress))
        is_target = tf.concat([tf.zeros((n_source, 1)), tf.ones((n_target, 1))], axis=0)
        with tf.GradientTape() as tape:
            if self.separate_batches:  # each domain normalised by its own batch statistics
                feats = tf.concat([self.features(x_source, training=True),
                                   self.features(x_target, training=True)], axis=0)
            else:
                feats = self.features(tf.concat([x_source, x_target], axis=0), training=True)
            probs = self.classifier(feats[:n_source], training=True)
            class_loss = tf.reduce_mean(
                keras.losses.sparse_categorical_crossentropy(y_source, probs))
            logits = self.discriminator(feats, training=True)
            domain_loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(is_target, logits))
            loss = class_loss + domain_loss
        weights = self.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        hits = tf.cast(tf.equal(tf.cast(logits > 0, "float32"), is_target), "float32")
        for name, value in (("class_loss", class_loss), ("domain_loss", domain_loss),
                            ("domain_accuracy", tf.reduce_mean(hits))):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


def paired_batches(x_source: np.ndarray, y_source: np.ndarray, x_target: np.ndarray,
                   batch_size: int = 64, seed: int = 0) -> tf.data.Dataset:
    """Endless ``((x_source, y_source), x_target)`` batches, each domain shuffled on its own."""
    x_source = digits.grey_batch(x_source, "x_source")
    x_target = digits.grey_batch(x_target, "x_target")
    if len(x_source) != len(y_source):
        raise ValueError(f"{len(x_source)} source images but {len(y_source)} labels.")
    source = tf.data.Dataset.from_tensor_slices((x_source, np.asarray(y_source, "int64")))
    target = tf.data.Dataset.from_tensor_slices(x_target)
    source = source.shuffle(len(x_source), seed=seed).repeat().batch(batch_size, drop_remainder=True)
    target = target.shuffle(len(x_target), seed=seed + 1).repeat().batch(batch_size,
                                                                         drop_remainder=True)
    return tf.data.Dataset.zip((source, target)).prefetch(tf.data.AUTOTUNE)


def adabn(model: keras.Model, images: np.ndarray, batch_size: int = 256) -> int:
    """AdaBN: set every BatchNormalization layer's moving mean and variance to the statistics of
    ``images`` (e.g. the unlabelled target), layer by layer; no weight is trained. Returns the
    number of layers re-estimated. ``model`` must be a Sequential of Sequentials/layers."""
    images = digits.grey_batch(images, "images")
    layers = _flat_layers(model)
    count = 0
    for i, layer in enumerate(layers):
        if not isinstance(layer, keras.layers.BatchNormalization):
            continue
        inputs = _run(layers[:i], images, batch_size)
        axes = tuple(range(inputs.ndim - 1))
        layer.moving_mean.assign(inputs.mean(axis=axes))
        layer.moving_variance.assign(inputs.var(axis=axes))
        count += 1
    if count == 0:
        raise ValueError(f"{model.name} has no BatchNormalization layer; AdaBN has nothing to do.")
    return count


def _flat_layers(model: keras.Model) -> list[keras.layers.Layer]:
    out = []
    for layer in model.layers:
        out.extend(_flat_layers(layer) if isinstance(layer, keras.Sequential) else [layer])
    return out


def _run(layers: list, images: np.ndarray, batch_size: int) -> np.ndarray:
    """Inference through ``layers`` in order, in batches."""
    outputs = []
    for start in range(0, len(images), batch_size):
        x = images[start:start + batch_size]
        for layer in layers:
            x = layer(x, training=False)
        outputs.append(keras.ops.convert_to_numpy(x))
    return np.concatenate(outputs)


def confident_pseudo_labels(probabilities: np.ndarray, fraction: float
                            ) -> tuple[np.ndarray, np.ndarray]:
    """(positions, labels) of the ``fraction`` most confident predictions *of each predicted
    class* (per class, so that easy classes do not crowd out the others)."""
    probabilities = np.asarray(probabilities)
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction={fraction}: use a share of the target in (0, 1], e.g. 0.5.")
    predicted = probabilities.argmax(axis=1)
    positions = _top_per_class(predicted, probabilities.max(axis=1), fraction)
    return positions, predicted[positions]


def _top_per_class(labels: np.ndarray, score: np.ndarray, fraction: float) -> np.ndarray:
    """Sorted positions of the ``fraction`` highest-scoring items of each label (at least one)."""
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        keep = max(1, round(fraction * len(members)))
        chosen.append(members[np.argsort(-score[members], kind="stable")[:keep]])
    return np.sort(np.concatenate(chosen))


def crop_to_content(images: np.ndarray, size: int, threshold: float = 0.1) -> np.ndarray:
    """Crop each grey image to the bounding box of its pixels above ``threshold``, widened to a
    square around its centre (aspect ratio kept, zeros outside the image), and resize it to
    (size, size) with bilinear interpolation. A digit then fills the frame."""
    images = np.asarray(images, dtype="float32")
    if images.ndim != 3:
        raise ValueError(f"images must be shaped (n, h, w); got {images.shape}.")
    rows, cols = images.max(axis=2) > threshold, images.max(axis=1) > threshold
    empty = np.flatnonzero(~rows.any(axis=1))
    if empty.size:
        raise ValueError(f"image {empty[0]} has no pixel above threshold={threshold}; lower it.")
    height, width = images.shape[1:]
    top, bottom = rows.argmax(1), height - 1 - rows[:, ::-1].argmax(1)
    left, right = cols.argmax(1), width - 1 - cols[:, ::-1].argmax(1)
    half = np.maximum(bottom - top, right - left) / 2 + 0.5  # half the square's side, in pixels
    centre_y, centre_x = (top + bottom) / 2, (left + right) / 2
    # crop_and_resize boxes: [y1, x1, y2, x2] in units where 0 and 1 are the first/last pixel
    boxes = np.stack([(centre_y - half + 0.5) / (height - 1), (centre_x - half + 0.5) / (width - 1),
                      (centre_y + half - 0.5) / (height - 1), (centre_x + half - 0.5) / (width - 1)],
                     axis=1).astype("float32")
    out = tf.image.crop_and_resize(images[..., None], boxes, np.arange(len(images)), (size, size))
    return np.clip(out.numpy()[..., 0], 0.0, 1.0)


def domain_accuracy(source_features: np.ndarray, target_features: np.ndarray,
                    seed: int = 0) -> float:
    """Held-out accuracy of a logistic regression telling source from target features (0.5 = the
    domains look the same to a linear classifier; 1.0 = perfectly separable)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.concatenate([source_features, target_features])
    y = np.r_[np.zeros(len(source_features)), np.ones(len(target_features))]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return float(cross_val_score(model, x, y, cv=3).mean())


def prototype_pseudo_labels(features: np.ndarray, probabilities: np.ndarray, fraction: float,
                            iterations: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """(positions, labels) from class *prototypes* instead of the softmax (lesson 12).

    Each class centroid starts as the probability-weighted mean of the L2-normalised features,
    then ``iterations`` k-means steps (cosine similarity) move it to the middle of its cluster.
    Every image gets its nearest centroid's class; per class, the ``fraction`` with the largest
    margin between the nearest and the second-nearest centroid is kept."""
    features, probabilities = np.asarray(features, "float64"), np.asarray(probabilities, "float64")
    if len(features) != len(probabilities) or probabilities.ndim != 2:
        raise ValueError(f"features {features.shape} and probabilities {probabilities.shape} "
                         "need one row per image (probabilities: n x classes).")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction={fraction}: use a share of the target in (0, 1], e.g. 0.5.")

    def unit(v: np.ndarray) -> np.ndarray:
        return v / (np.linalg.norm(v, axis=1, keepdims=True) + 1e-12)

    points = unit(features)
    centroids = probabilities.T @ points / (probabilities.sum(0)[:, None] + 1e-12)
    for step in range(iterations + 1):
        similarity = points @ unit(centroids).T
        labels = similarity.argmax(1)
        if step < iterations:  # an empty cluster keeps its centroid
            centroids = np.stack([points[labels == k].mean(0) if np.any(labels == k)
                                  else centroids[k] for k in range(len(centroids))])
    top_two = np.sort(similarity, axis=1)[:, -2:]
    positions = _top_per_class(labels, top_two[:, 1] - top_two[:, 0], fraction)
    return positions, labels[positions]
