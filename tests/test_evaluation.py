import numpy as np

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
