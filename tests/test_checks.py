import keras
import numpy as np
import pytest

from helpers import checks


def dense():
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    return layer


def test_frozen_and_trainable(capsys):
    layer = dense()
    checks.check_trainable(layer, "dense")
    with pytest.raises(checks.SelfCheckError, match="trainable = False"):
        checks.check_frozen(layer, "dense")
    layer.trainable = False
    checks.check_frozen(layer, "dense")
    with pytest.raises(checks.SelfCheckError, match="nothing would be fine-tuned"):
        checks.check_trainable(layer, "dense")
    assert capsys.readouterr().out.count("✅ Check passed") == 2


def test_unchanged_and_changed():
    layer = dense()
    before = checks.snapshot(layer)
    checks.check_unchanged(before, checks.snapshot(layer))
    layer.set_weights([w + 0.5 for w in layer.get_weights()])
    after = checks.snapshot(layer)
    assert checks.max_change(before, after) == pytest.approx(0.5)
    checks.check_changed(before, after)
    with pytest.raises(checks.SelfCheckError, match="max change 5.00e-01"):
        checks.check_unchanged(before, after)


def test_thresholds_and_shapes():
    checks.check_at_least(0.9, 0.8, "accuracy", "train longer")
    with pytest.raises(checks.SelfCheckError, match="train longer"):
        checks.check_at_least(0.7, 0.8, "accuracy", "train longer")
    checks.check_shape((None, 5), (None, 5), "output", "hint")
    with pytest.raises(checks.SelfCheckError, match="expected"):
        checks.check_shape((None, 4), (None, 5), "output", "use 5 units")
    with pytest.raises(ValueError):
        checks.max_change([np.zeros(1)], [])
