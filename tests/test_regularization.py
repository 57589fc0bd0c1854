import keras
import numpy as np
import pytest

from helpers import regularization, training


def small_model(seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((4,))
    x = keras.layers.Dense(3, name="body")(inputs)
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax", name="new_head")(x))


def test_a_kernel_regularizer_set_after_building_is_ignored_but_l2sp_is_not():
    model = small_model()
    model.get_layer("body").kernel_regularizer = keras.regularizers.L2(1.0)
    model(np.zeros((1, 4), "float32"))
    assert model.losses == []  # the Keras 3 behaviour L2SP works around
    wrapped = regularization.L2SP(model, alpha=1.0)
    wrapped(np.zeros((1, 4), "float32"))
    assert len(wrapped.losses) == 1
    assert float(wrapped.losses[0]) == pytest.approx(0.0)  # at the pretrained point


def test_l2sp_penalty_grows_with_distance_and_pulls_weights_back():
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype(int)
    runs = {}
    for alpha in (0.0, 10.0):
        model = small_model()
        start = model.get_layer("body").get_weights()[0].copy()
        wrapped = regularization.L2SP(model, alpha=alpha)
        training.compile_classifier(wrapped, 0.05)
        wrapped.fit(x, y, epochs=20, batch_size=16, verbose=0)
        runs[alpha] = np.linalg.norm(model.get_layer("body").get_weights()[0] - start)
        if alpha:
            kernel = model.get_layer("body").kernel
            kernel.assign(kernel + 1.0)  # move 12 weights by 1: penalty 10 * 12 more
            assert float(wrapped.penalty()) > 100
    assert runs[10.0] < 0.5 * runs[0.0]


def test_l2sp_needs_trainable_weights_outside_the_head():
    model = small_model()
    model.get_layer("body").trainable = False
    with pytest.raises(ValueError, match="unfreeze"):
        regularization.L2SP(model)
