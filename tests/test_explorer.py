import matplotlib

matplotlib.use("Agg")
import keras
import matplotlib.pyplot as plt
import numpy as np

from helpers import explorer, finetune


def tiny_base():
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, name="c1")(inputs)
    x = keras.layers.BatchNormalization(name="bn1")(x)
    x = keras.layers.Conv2D(6, 1, name="c2")(x)
    base = keras.Model(inputs, x)
    base.trainable = False
    return base


def fake_run(values):
    return finetune.Run({}, {"val_accuracy": values, "accuracy": values}, 0.01, 1.0)


def test_layer_map_colors_follow_the_states():
    base = tiny_base()
    fig = explorer.plot_layer_map(base, 2)
    ax = fig.axes[0]
    colors = [matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches]
    assert colors == [explorer.STATE_COLORS[s] for s in
                      ["frozen", "frozen", "batchnorm (frozen)", "trainable"]]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "cache cut" in labels and "trainable" in labels
    assert "top 2 of 4 layers" in ax.get_title()


def test_plot_runs_draws_the_mean():
    fig = explorer.plot_runs([fake_run([0.5, 0.7]), fake_run([0.7, 0.9])])
    mean_line = fig.axes[0].lines[-1]
    assert np.allclose(mean_line.get_ydata(), [0.6, 0.8])


def test_explorer_shows_runs_and_trains_on_click_only():
    base = tiny_base()
    calls = []

    def train(depth, rate):
        calls.append((depth, rate))
        return [fake_run([0.5, 0.6])]

    widget = explorer.FineTuneExplorer(base, [0, 2], [1e-4, 1e-2],
                                       {(0, 1e-4): [fake_run([0.5, 0.8])]}, train=train)
    assert calls == [] and "0.500 -> after fine-tuning 0.800" in widget.status.value
    assert widget.button.disabled
    widget.depth.value = 2
    assert "No run" in widget.status.value and not widget.button.disabled
    widget.button.click()
    assert calls == [(2, 1e-4)] and (2, 1e-4) in widget.runs and widget.button.disabled
    widget.button.click()
    assert len(calls) == 1  # already trained: no second run


def test_explorer_without_a_train_function_disables_the_button():
    widget = explorer.FineTuneExplorer(tiny_base(), [1], [1e-3], {})
    assert widget.button.disabled and "Click" not in widget.status.value


def test_show_png_displays_an_image_and_closes_the_figure(monkeypatch):
    shown = []
    monkeypatch.setattr(explorer, "display", shown.append)
    fig = explorer.plot_runs([fake_run([0.5, 0.7])])
    explorer.show_png(fig)
    assert len(shown) == 1 and shown[0].data.startswith(b"\x89PNG")
    assert not plt.fignum_exists(fig.number)
