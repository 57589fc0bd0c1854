import keras
import numpy as np
import pytest

from helpers import negative_transfer as nt


def test_corrupt_labels_fraction_and_range():
    labels = np.zeros(10_000, int)
    noisy = nt.corrupt_labels(labels, 0.5, num_classes=10, seed=1)
    changed = (noisy != labels).mean()
    assert 0.4 < changed < 0.5  # half replaced, a tenth of those by chance with the true label
    assert noisy.min() >= 0 and noisy.max() <= 9
    assert np.array_equal(nt.corrupt_labels(labels, 0.0, 10), labels)
    assert labels.max() == 0  # the input is not modified
    with pytest.raises(ValueError, match="between 0 and 1"):
        nt.corrupt_labels(labels, 1.5, 10)


def test_gap_sign():
    assert nt.negative_transfer_gap(0.30, 0.20) == pytest.approx(0.10)
    assert nt.negative_transfer_gap(0.10, 0.20) < 0


def mlp():
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(3, name="hidden1")(inputs)
    return keras.Model(inputs, keras.layers.Dense(2, name="head")(hidden))


def test_copy_layers_copies_and_freezes():
    source, target = mlp(), mlp()
    nt.copy_layers(source, target, ["hidden1"], freeze=True)
    for a, b in zip(source.get_layer("hidden1").get_weights(),
                    target.get_layer("hidden1").get_weights()):
        assert np.array_equal(a, b)
    assert not target.get_layer("hidden1").trainable and target.get_layer("head").trainable
    with pytest.raises(ValueError, match="must exist in both"):
        nt.copy_layers(source, target, ["hidden9"], freeze=False)
