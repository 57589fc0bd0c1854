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
