import numpy as np
import pytest

from helpers import evaluation


def test_summary_on_imbalanced_predictions():
    y_true = np.array([0] * 9 + [1])
    y_pred = np.zeros(10, int)  # always the majority class
    summary = evaluation.classification_summary(y_true, y_pred, ["cat", "dog"])
    assert summary["accuracy"] == 0.9
    assert summary["balanced accuracy"] == 0.5
    assert summary["recall per class"] == {"cat": 1.0, "dog": 0.0}
    assert summary["confusion matrix"].tolist() == [[9, 0], [1, 0]]
    assert evaluation.misclassified(y_true, y_pred).tolist() == [9]


def test_accuracy_of_a_model():
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    model.set_weights([np.array([[5.0, -5.0], [-5.0, 5.0]]), np.zeros(2)])
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    assert evaluation.accuracy(model, x, [0, 1, 0]) == 1.0
    assert evaluation.accuracy(model, x, [1, 1, 1]) == pytest.approx(1 / 3)


def test_paired_bootstrap_separates_a_real_gain_from_a_tie():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 400)
    a = np.where(rng.random(400) < 0.6, y, (y + 1) % 10)  # about 60% right
    b = np.where(rng.random(400) < 0.2, (y + 1) % 10, y)  # about 80% right
    gain = evaluation.paired_bootstrap(y, a, b, seed=1)
    assert gain["difference"] == pytest.approx(np.mean(b == y) - np.mean(a == y))
    assert 0 < gain["low"] < gain["difference"] < gain["high"]
    assert gain["p_not_better"] < 0.01
    tie = evaluation.paired_bootstrap(y, a, a.copy())
    assert tie["difference"] == tie["low"] == tie["high"] == 0.0
    small = evaluation.paired_bootstrap(y[:40], a[:40], b[:40], seed=1)
    assert small["high"] - small["low"] > gain["high"] - gain["low"]  # fewer items, wider


def test_paired_bootstrap_rejects_mismatched_inputs():
    with pytest.raises(ValueError, match="equally long"):
        evaluation.paired_bootstrap(np.zeros(3), np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="confidence"):
        evaluation.paired_bootstrap(np.zeros(3), np.zeros(3), np.zeros(3), confidence=95)
