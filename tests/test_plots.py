import matplotlib

matplotlib.use("Agg")
import numpy as np

from helpers import plots


def test_learning_curves_have_labels_and_marker():
    history = {"accuracy": [0.5, 0.8], "val_accuracy": [0.4, 0.7]}
    fig = plots.learning_curves({"head": history}, fine_tune_start=1, title="T")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["head (train)", "head (validation)", "fine-tuning starts"]
    assert ax.get_title() == "T" and ax.get_xlabel() == "epoch"


def test_sweep_bars_grid_and_confusion():
    fig = plots.sweep([5, 10], {"a": [[0.1, 0.2], [0.3, 0.5]]}, "n", "acc", "S")
    assert np.allclose(fig.axes[0].lines[0].get_ydata(), [0.15, 0.4])
    fig = plots.bars({"x": [1, 3], "y": [2, 2]}, "acc", "B")
    assert [p.get_height() for p in fig.axes[0].patches] == [2, 2]
    images = np.zeros((3, 4, 4, 3), np.uint8)
    fig = plots.image_grid(images, [0, 1, 0], ["cat", "dog"], predictions=[0, 0, 0], columns=2)
    assert [ax.get_title() for ax in fig.axes[:3]] == ["cat -> cat", "dog -> cat", "cat -> cat"]
    fig = plots.confusion_matrix(np.array([[2, 1], [0, 3]]), ["cat", "dog"])
    assert fig.axes[0].get_title() == "Confusion matrix"
