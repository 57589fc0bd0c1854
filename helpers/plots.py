"""Plots with titles, labels and legends: learning curves, sweeps, image grids, confusion matrix.

Every function draws on a new figure and returns it; end the notebook cell with ``plt.show()``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def _history_dict(history) -> dict[str, list[float]]:
    return history.history if hasattr(history, "history") else dict(history)


def learning_curves(histories: Mapping[str, object], metric: str = "accuracy",
                    fine_tune_start: int | None = None, title: str = "Learning curves"):
    """Train (dashed) and validation (solid) ``metric`` per epoch for each named run.

    ``fine_tune_start`` (epochs completed before fine-tuning) draws a vertical marker.
    """
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, (name, history) in enumerate(histories.items()):
        values = _history_dict(history)
        color = f"C{i}"
        epochs = np.arange(1, len(values[metric]) + 1)
        ax.plot(epochs, values[metric], "--", color=color, label=f"{name} (train)")
        if f"val_{metric}" in values:
            ax.plot(epochs, values[f"val_{metric}"], "-", color=color, label=f"{name} (validation)")
    if fine_tune_start is not None:
        ax.axvline(fine_tune_start + 0.5, color="gray", linestyle=":", label="fine-tuning starts")
    ax.set(title=title, xlabel="epoch", ylabel=metric)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return fig


def sweep(x: Sequence, series: Mapping[str, Sequence[Sequence[float]]], xlabel: str,
          ylabel: str, title: str, logx: bool = False):
    """One line per series: mean over runs with a ±1 std band; ``series[name][i]`` are the runs
    at ``x[i]``."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, runs in series.items():
        means = np.array([np.mean(r) for r in runs])
        stds = np.array([np.std(r) for r in runs])
        ax.plot(x, means, "o-", label=name)
        ax.fill_between(x, means - stds, means + stds, alpha=0.2)
    if logx:
        ax.set_xscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend()
    ax.grid(alpha=0.3)
    return fig


def image_grid(images: np.ndarray, labels: Sequence[int], class_names: Sequence[str],
               predictions: Sequence[int] | None = None, columns: int = 6,
               title: str = "Images"):
    """Images with their labels; with ``predictions``, titles show 'true -> predicted' and
    wrong predictions in red."""
    n = len(images)
    rows = max(1, int(np.ceil(n / columns)))
    fig, axes = plt.subplots(rows, columns, figsize=(2 * columns, 2.2 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, label, i in zip(axes.flat, images, labels, range(n)):
        ax.imshow(np.asarray(image).astype("uint8"))
        text, color = class_names[label], "black"
        if predictions is not None:
            text = f"{class_names[label]} -> {class_names[predictions[i]]}"
            color = "black" if predictions[i] == label else "red"
        ax.set_title(text, fontsize=9, color=color)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def confusion_matrix(matrix: np.ndarray, class_names: Sequence[str],
                     title: str = "Confusion matrix"):
    """A labelled confusion matrix (rows: true class, columns: predicted class)."""
    from sklearn.metrics import ConfusionMatrixDisplay

    fig, ax = plt.subplots(figsize=(5, 4.5))
    ConfusionMatrixDisplay(matrix, display_labels=list(class_names)).plot(
        ax=ax, colorbar=False, xticks_rotation=45)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def bars(values: Mapping[str, Sequence[float]], ylabel: str, title: str):
    """Bar per name: mean of its runs with a ±1 std error bar."""
    fig, ax = plt.subplots(figsize=(7, 4))
    names = list(values)
    means = [np.mean(values[n]) for n in names]
    stds = [np.std(values[n]) for n in names]
    ax.bar(names, means, yerr=stds, capsize=4, color=[f"C{i}" for i in range(len(names))])
    ax.set(title=title, ylabel=ylabel)
    ax.tick_params(axis="x", rotation=20)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig
