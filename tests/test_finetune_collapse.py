"""Tests for helpers.finetune_collapse on a tiny conv net with BatchNormalization."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers import finetune_collapse as fc


def tiny_base() -> keras.Model:
    inputs = keras.Input((6, 6, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", name="conv1")(inputs)
    x = keras.layers.BatchNormalization(name="bn1")(x)
    x = keras.layers.ReLU(name="relu1")(x)
    x = keras.layers.Conv2D(4, 3, padding="same", name="conv2")(x)
    x = keras.layers.BatchNormalization(name="bn2")(x)
    x = keras.layers.ReLU(name="relu2")(x)
    base = keras.Model(inputs, x, name="tiny")
    base.trainable = False
    return base


def data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(3.0, 2.0, (n, 6, 6, 4)).astype("float32")  # activations at the cut (relu1)
    y = (x[:, :, :, 0].mean(axis=(1, 2)) > 3.0).astype("int64")
    return x, y


def test_build_top_model_sets_batchnorm_mode_and_rejects_unknown_modes():
    keras.utils.set_random_seed(0)
    base = tiny_base()
    cut = 3  # relu1: the top is conv2, bn2, relu2
    frozen = fc.build_top_model(base, cut, 3, "frozen")
    assert [layer.trainable for layer in fc.batchnorm_layers(frozen)] == [False]
    assert base.get_layer("conv2").trainable and not base.get_layer("conv1").trainable
    trained = fc.build_top_model(base, cut, 3, "train")
    assert [layer.name for layer in fc.batchnorm_layers(trained)] == ["bn2"]
    assert base.get_layer("bn2").trainable
    with pytest.raises(ValueError, match="batchnorm='inference'"):
        fc.build_top_model(base, cut, 3, "inference")


def test_recalibrate_sets_moving_stats_to_the_batch_and_restores_settings():
    keras.utils.set_random_seed(0)
    base = tiny_base()
    model = fc.build_top_model(base, 3, 3, "frozen")
    x, _ = data()
    bn = base.get_layer("bn2")
    conv_out = keras.Model(base.get_layer("relu1").output, base.get_layer("conv2").output)
    expected = conv_out.predict(x, verbose=0).mean(axis=(0, 1, 2))
    assert not np.allclose(bn.moving_mean.numpy(), expected, atol=1e-3)
    assert fc.recalibrate_batchnorm(model, x, max_examples=len(x)) == 1
    np.testing.assert_allclose(bn.moving_mean.numpy(), expected, rtol=1e-4, atol=1e-4)
    assert bn.momentum == pytest.approx(0.99) and not bn.trainable
    with pytest.raises(ValueError, match="no BatchNormalization"):
        fc.recalibrate_batchnorm(keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)]), x)


@pytest.mark.parametrize("mode, moves", [("frozen", False), ("train", True)])
def test_run_setting_updates_moving_stats_only_in_train_mode(mode, moves):
    base = tiny_base()
    pretrained = base.get_weights()
    x, y = data()
    before = base.get_layer("bn2").moving_mean.numpy().copy()
    model, run = fc.run_setting(base, pretrained, 3, 3, x, y, x[:10], batchnorm=mode,
                                learning_rate=1e-2, class_weight=None, epochs=2, seed=0,
                                batch_size=16)
    after = base.get_layer("bn2").moving_mean.numpy()
    assert (not np.allclose(before, after)) == moves
    assert len(run.train_accuracy) == 2 and run.settings["batchnorm"] == mode
    assert run.val_scores.shape == (10,) and np.all((0 <= run.val_scores) & (run.val_scores <= 1))
    np.testing.assert_allclose(fc.positive_scores(model, x[:10]), run.val_scores, rtol=1e-5)
