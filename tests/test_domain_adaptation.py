"""Unit tests for helpers.domain_adaptation on tiny seeded inputs."""
from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import domain_adaptation as da


def test_gradient_reversal_is_identity_forward_and_flips_gradient():
    layer = da.GradientReversal(scale=0.5)
    x = tf.constant([[1.0, -2.0, 3.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        loss = tf.reduce_sum(y * tf.constant([[1.0, 2.0, 3.0]]))
    assert np.allclose(y.numpy(), x.numpy())
    assert np.allclose(tape.gradient(loss, x).numpy(), [[-0.5, -1.0, -1.5]])


def test_gradient_reversal_scale_can_be_changed_and_serialised():
    layer = da.GradientReversal(scale=1.0)
    layer.scale.assign(0.0)
    x = tf.ones((2, 2))
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(layer(x))
    assert np.allclose(tape.gradient(loss, x).numpy(), 0.0)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(
        da.GradientReversal(scale=0.25)))
    assert isinstance(clone, da.GradientReversal) and float(clone.scale.numpy()) == 0.25


def test_grl_schedule_ramps_from_zero_towards_one():
    values = [float(da.grl_schedule(p)) for p in (0.0, 0.1, 1.0)]
    assert values[0] == pytest.approx(0.0) and 0.3 < values[1] < 0.6 and values[2] > 0.99


def _blobs(n: int, shift: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two classes of 8x8 images: a bright top half or a bright bottom half, plus a shift."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(0, 0.1, (n, 8, 8)).astype("float32") + shift
    x[y == 0, :4] += 1.0
    x[y == 1, 4:] += 1.0
    return x, y


def test_dann_trains_and_reports_its_losses():
    keras.utils.set_random_seed(0)
    xs, ys = _blobs(64, 0.0, 0)
    xt, _ = _blobs(64, 0.5, 1)
    features, classifier = da.digit_cnn(size=8, num_classes=2, width=4)
    model = da.DANN(features, classifier, da.domain_discriminator(hidden=8), total_steps=8)
    model.compile(keras.optimizers.Adam(1e-2))
    history = model.fit(da.paired_batches(xs, ys, xt, batch_size=16), epochs=2,
                        steps_per_epoch=4, verbose=0, shuffle=False)
    assert set(history.history) == {"class_loss", "domain_loss", "domain_accuracy"}
    assert history.history["class_loss"][-1] < history.history["class_loss"][0]
    assert 0 < float(model.reversal.scale.numpy()) <= 1.0  # the ramp moved the scale
    assert model.predict(xt[..., None], verbose=0).shape == (64, 2)


def test_dann_rejects_zero_steps():
    features, classifier = da.digit_cnn(size=8, num_classes=2, width=4)
    with pytest.raises(ValueError, match="total_steps"):
        da.DANN(features, classifier, da.domain_discriminator(), total_steps=0)


def test_paired_batches_checks_shapes_and_lengths():
    with pytest.raises(ValueError, match="labels"):
        da.paired_batches(np.zeros((4, 8, 8)), np.zeros(3), np.zeros((4, 8, 8)))
    with pytest.raises(ValueError, match="x_target"):
        da.paired_batches(np.zeros((4, 8, 8)), np.zeros(4), np.zeros((4, 8, 8, 3)))


def test_adabn_sets_moving_statistics_to_the_target():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
                              keras.layers.BatchNormalization(),
                              keras.layers.Dense(3), keras.layers.BatchNormalization()])
    target = np.random.default_rng(0).normal(2.0, 3.0, (50, 4, 4)).astype("float32")
    assert da.adabn(model, target, batch_size=7) == 2
    first = model.layers[1]
    assert np.allclose(first.moving_mean.numpy(), target.reshape(50, -1).mean(0), atol=1e-4)
    assert np.allclose(first.moving_variance.numpy(), target.reshape(50, -1).var(0), rtol=1e-3)
    # the second layer sees the first one's normalised output: its stats are re-estimated too
    normalised = model.layers[0](target[..., None])
    dense_out = model.layers[2](model.layers[1](normalised, training=False)).numpy()
    assert np.allclose(model.layers[3].moving_mean.numpy(), dense_out.mean(0), atol=1e-3)


def test_adabn_without_batchnorm_says_so():
    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten()])
    with pytest.raises(ValueError, match="no BatchNormalization"):
        da.adabn(model, np.zeros((2, 4, 4)))


def test_confident_pseudo_labels_keeps_the_most_confident_per_class():
    probs = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.45, 0.55], [0.7, 0.3]])
    positions, labels = da.confident_pseudo_labels(probs, 0.5)
    assert positions.tolist() == [0, 2, 4] and labels.tolist() == [0, 1, 0]
    with pytest.raises(ValueError, match="fraction"):
        da.confident_pseudo_labels(probs, 0.0)


def test_crop_to_content_fills_the_frame():
    image = np.zeros((1, 20, 20), dtype="float32")
    image[0, 8:12, 6:14] = 1.0  # a 4 x 8 bar, centred vertically after padding
    out = da.crop_to_content(image, 8)
    assert out.shape == (1, 8, 8)
    assert out[0, :, 0].max() > 0.5 and out[0, :, -1].max() > 0.5  # touches left and right
    assert out[0, 0].max() < 0.1 and out[0, 3:5].min() > 0.5  # padded above, bar in the middle
    with pytest.raises(ValueError, match="threshold"):
        da.crop_to_content(np.zeros((1, 5, 5)), 4)


def test_domain_accuracy_separates_shifted_features():
    rng = np.random.default_rng(0)
    same = da.domain_accuracy(rng.normal(size=(60, 3)), rng.normal(size=(60, 3)))
    apart = da.domain_accuracy(rng.normal(size=(60, 3)), rng.normal(3.0, 1.0, (60, 3)))
    assert apart > 0.95 and same < 0.75


def _clusters(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three tight clusters of 4-d features around orthogonal directions, 20 points each."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), 20)
    x = np.eye(4)[y] * 5.0 + rng.normal(0, 0.3, (60, 4))
    return x, y


def test_prototype_pseudo_labels_fix_a_biased_softmax():
    x, y = _clusters()
    probs = np.full((60, 3), 0.1)
    probs[np.arange(60), y] = 0.8
    probs[:8] = [0.1, 0.8, 0.1]  # the softmax calls 8 images of class 0 "class 1"
    positions, labels = da.prototype_pseudo_labels(x, probs, 1.0)
    assert positions.tolist() == list(range(60))
    assert np.array_equal(labels, y)  # the nearest centroid corrects all 8
    softmax_positions, softmax_labels = da.confident_pseudo_labels(probs, 1.0)
    assert np.mean(softmax_labels == y[softmax_positions]) < 0.9


def test_prototype_pseudo_labels_keep_the_clearest_share_per_class():
    x, y = _clusters()
    x[0] = np.array([2.5, 2.5, 0.0, 0.0])  # halfway between class 0 and 1: smallest margin
    probs = np.eye(3)[y] * 0.7 + 0.1
    positions, labels = da.prototype_pseudo_labels(x, probs, 0.5)
    assert len(positions) == 30 and np.bincount(labels).tolist() == [10, 10, 10]
    assert 0 not in positions


def test_prototype_pseudo_labels_reject_bad_input():
    x, y = _clusters()
    with pytest.raises(ValueError, match="fraction"):
        da.prototype_pseudo_labels(x, np.eye(3)[y], 1.5)
    with pytest.raises(ValueError, match="one row per image"):
        da.prototype_pseudo_labels(x[:10], np.eye(3)[y], 0.5)
