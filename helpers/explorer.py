"""An interactive fine-tuning explorer (lesson 06): pick how many layers to unfreeze and the
learning rate, see which layers train and the validation curve of that setting.

The explorer shows runs the lesson already computed; for a setting it has no run for, a button
trains it on demand (a few seconds with cached activations). Nothing trains until you click.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, display
from matplotlib.patches import Patch

from helpers import cutting, finetune, models

STATE_COLORS = {"frozen": "#b0b0b0", "trainable": "#1f77b4", "batchnorm (frozen)": "#ff7f0e"}


def show_png(fig) -> None:
    """Show ``fig`` as a PNG image and close it: works whatever matplotlib backend the kernel
    uses (``plt.show()`` draws nothing under ``MPLBACKEND=Agg``)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    display(Image(buffer.getvalue()))

def plot_layer_map(base, n_trainable: int, ax=None, title: str | None = None):
    """A strip with one cell per layer of ``base``: frozen, trainable or frozen BatchNorm.

    A dotted line marks the deepest point whose activations can be cached for this setting."""
    states = models.layer_states(base, n_trainable)
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 1.6))
    colors = [STATE_COLORS[s] for s in states]
    ax.bar(np.arange(len(states)), np.ones(len(states)), width=1.0, color=colors, linewidth=0)
    if n_trainable:
        ax.axvline(cutting.cut_for(base, n_trainable) + 0.5, color="black", linestyle=":")
    n_params = models.trainable_params(base, n_trainable)
    ax.set(xlim=(-0.5, len(states) - 0.5), yticks=[], xlabel="layer (input -> output)",
           title=title or f"top {n_trainable} of {len(states)} layers unfrozen: "
                          f"{n_params:,} base parameters train")
    handles = [Patch(color=c, label=s) for s, c in STATE_COLORS.items()]
    if n_trainable:
        handles.append(plt.Line2D([], [], color="black", linestyle=":", label="cache cut"))
    ax.legend(handles=handles, fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.15))
    return fig or ax.figure


def plot_runs(runs: Sequence[finetune.Run], ax=None, title: str = "Validation accuracy"):
    """Validation accuracy per fine-tuning epoch (epoch 0 = head only) of each run, and the mean."""
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 3.5))
    for run in runs:
        values = run.history["val_accuracy"]
        ax.plot(range(len(values)), values, color="C0", alpha=0.35, linewidth=1)
    if runs:
        length = min(len(r.history["val_accuracy"]) for r in runs)
        mean = np.mean([r.history["val_accuracy"][:length] for r in runs], axis=0)
        ax.plot(range(length), mean, "o-", color="C0", label=f"mean of {len(runs)} seed(s)")
        ax.legend(fontsize="small")
    ax.set(title=title, xlabel="fine-tuning epoch (0 = before)", ylabel="validation accuracy",
           ylim=(0, 1.02))
    ax.grid(alpha=0.3)
    return fig or ax.figure


class FineTuneExplorer(widgets.VBox):
    """Two selectors (layers to unfreeze, learning rate), the layer map and the curve.

    ``runs[(n_trainable, learning_rate)]`` holds the runs already computed. ``train`` (optional)
    is called as ``train(n_trainable, learning_rate)`` when you click the button for a setting
    without runs, and must return a list of runs."""

    def __init__(self, base, depths: Sequence[int], learning_rates: Sequence[float],
                 runs: Mapping[tuple[int, float], Sequence[finetune.Run]],
                 train: Callable[[int, float], Sequence[finetune.Run]] | None = None):
        self.base, self.runs, self.train = base, dict(runs), train
        self.depth = widgets.SelectionSlider(options=list(depths), value=depths[0],
                                             description="unfreeze top",
                                             style={"description_width": "initial"})
        self.rate = widgets.SelectionSlider(options=[(f"{r:g}", r) for r in learning_rates],
                                            value=learning_rates[0], description="learning rate",
                                            style={"description_width": "initial"})
        self.button = widgets.Button(description="Train this setting", icon="play")
        self.status = widgets.HTML()
        self.output = widgets.Output()
        self.depth.observe(lambda _: self.render(), names="value")
        self.rate.observe(lambda _: self.render(), names="value")
        self.button.on_click(lambda _: self.train_current())
        super().__init__([widgets.HBox([self.depth, self.rate]),
                          widgets.HBox([self.button, self.status]), self.output])
        self.render()

    def key(self) -> tuple[int, float]:
        return self.depth.value, self.rate.value

    def summary(self) -> str:
        """One line on the current setting: its runs, or that none exists yet."""
        runs = self.runs.get(self.key(), [])
        if not runs:
            return "No run for this setting yet." + (" Click the button to train it."
                                                     if self.train else "")
        finals = [r.final for r in runs]
        return (f"{len(runs)} run(s): head only {np.mean([r.start for r in runs]):.3f} -> "
                f"after fine-tuning {np.mean(finals):.3f} ± {np.std(finals):.3f}, "
                f"lowest on the way {np.mean([r.worst for r in runs]):.3f}")

    def render(self) -> None:
        """Redraw the map and the curve for the current setting."""
        runs = self.runs.get(self.key(), [])
        self.button.disabled = bool(runs) or self.train is None
        self.status.value = self.summary()
        with self.output:
            self.output.clear_output(wait=True)
            fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.2),
                                              gridspec_kw={"height_ratios": [1, 3]})
            plot_layer_map(self.base, self.depth.value, ax=top)
            plot_runs(runs, ax=bottom, title=f"unfreeze top {self.depth.value}, "
                                             f"learning rate {self.rate.value:g}")
            fig.tight_layout()
            show_png(fig)

    def train_current(self) -> None:
        """Train the current setting with ``train`` and show it."""
        if self.train is None or self.runs.get(self.key()):
            return
        self.status.value = "Training..."
        self.runs[self.key()] = list(self.train(*self.key()))
        self.render()
