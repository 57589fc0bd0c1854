import keras
import numpy as np
import pytest

from helpers import training


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(256, 6)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int64")
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(2, activation="softmax")])
    return training.compile_classifier(model, 1e-3, "sgd"), x, y


def test_lr_finder_sweeps_upwards_restores_and_finds_a_sensible_rate():
    model, x, y = _problem()
    weights = [w.copy() for w in model.get_weights()]
    found = training.lr_finder(model, x, y, start=1e-4, stop=1e3, steps=60, batch_size=32)
    rates = found["rates"]
    assert len(rates) == len(found["losses"]) == len(found["smoothed"]) >= 10
    assert np.all(np.diff(rates) > 0) and rates[0] == pytest.approx(1e-4)
    # the loss blew up at a huge rate, so the test stopped before the last step
    assert len(rates) < 60
    assert found["suggestion"] == pytest.approx(found["min_rate"] / 10)
    assert 1e-3 < found["min_rate"] < 1e2  # SGD on a logistic regression: around 0.1-10
    # weights, rate and optimizer state are back where they were
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights()))
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)
    assert int(model.optimizer.iterations) == 0


def test_lr_finder_per_batch_losses_are_not_running_means():
    model, x, y = _problem(1)
    found = training.lr_finder(model, x, y, start=1e-6, stop=1e-5, steps=8, batch_size=32)
    order = np.random.default_rng(0).permutation(len(x))  # the finder's batches (seed 0)
    own = [model.evaluate(x[order[i:i + 32]], y[order[i:i + 32]], verbose=0)[0]
           for i in range(0, 8 * 32, 32)]  # tiny rates: the model barely moves
    assert np.allclose(found["losses"], own, rtol=0.02)
    assert np.std(own) > 0.01  # batches differ, so a running mean would not match


def test_lr_finder_rejects_bad_input():
    model, x, y = _problem()
    with pytest.raises(ValueError, match="start < stop"):
        training.lr_finder(model, x, y, start=1.0, stop=1e-3)
    with pytest.raises(ValueError, match="one batch"):
        training.lr_finder(model, x[:4], y[:4])
    bare = keras.Sequential([keras.Input((6,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="not compiled"):
        training.lr_finder(bare, x, y)
