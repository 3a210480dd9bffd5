"""Charts of a run over time: loss and accuracy per epoch (or step), train against dev, and the
learning-rate finder's loss against the rate."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .figures import (
    BEST_STYLE,
    DEV_STYLE,
    TRAIN_STYLE,
)


def _history_arrays(history) -> dict[str, Any]:
    """Epochs and figures as float arrays (nan where a dev figure is missing)."""
    if not isinstance(history, dict):
        history = history.as_dict()

    def floats(key):
        return np.array([math.nan if v is None else v for v in history.get(key, [])], float)

    return {
        "epoch": np.asarray(history["epoch"], dtype=float),
        "train_loss": floats("train_loss"),
        "train_accuracy": floats("train_accuracy"),
        "dev_loss": floats("dev_loss"),
        "dev_accuracy": floats("dev_accuracy"),
        "best_epoch": history.get("best_epoch"),
    }


def _curves(ax, history, figure: str, unit: str, ylabel: str):
    data = _history_arrays(history)
    epochs = data["epoch"]
    # Markers help on a few epochs and only clutter hundreds of full-batch iterations.
    few = len(epochs) <= 30
    for split, style in (("train", TRAIN_STYLE), ("dev", DEV_STYLE)):
        values = data[f"{split}_{figure}"]
        if len(values) and not np.all(np.isnan(values)):
            ax.plot(
                epochs,
                values,
                label=split,
                markersize=4,
                **{**style, "marker": style["marker"] if few else None},
            )
    best = data["best_epoch"]
    if best is not None:
        ax.axvline(best, label=f"best dev ({unit} {best})", **BEST_STYLE)
    ax.set_xlabel(unit)
    ax.set_ylabel(ylabel)
    if len(epochs) <= 12:
        ax.set_xticks(epochs)
    ax.grid(True, color="0.9")
    ax.legend(frameon=False)
    return ax


def loss_curves(ax, history, *, unit: str = "epoch"):
    """Train and dev loss per epoch (``unit="iteration"`` for full-batch runs), with the best
    dev epoch marked. ``history``: a :class:`~nnscratch.training.History` or its ``as_dict``."""
    _curves(ax, history, "loss", unit, "cross-entropy loss")
    ax.set_title("loss")
    return ax


def accuracy_curves(ax, history, *, unit: str = "epoch"):
    """Train and dev accuracy per epoch (or iteration), with the best dev epoch marked."""
    _curves(ax, history, "accuracy", unit, "accuracy")
    ax.set_title("accuracy")
    return ax


def learning_curves(figure, history, *, unit: str = "epoch"):
    """Loss and accuracy side by side in ``figure``; returns it."""
    loss_ax, accuracy_ax = figure.subplots(1, 2)
    loss_curves(loss_ax, history, unit=unit)
    accuracy_curves(accuracy_ax, history, unit=unit)
    return figure


def lr_find_curve(ax, lrs, losses, smoothed, *, minimum: float, suggestion: float | None):
    """The learning-rate range test: each batch's loss (light) and its moving average (dark)
    against the learning rate on a log scale, the smoothed minimum and the suggested rate
    (a tenth of it; None: none) marked by vertical lines. ``lrs``, ``losses``, ``smoothed``:
    one value per batch, as :class:`~nnscratch.usecases.lrfind.RangeTest` holds them."""
    ax.plot(lrs, losses, color="0.75", linewidth=0.8, label="batch loss")
    ax.plot(lrs, smoothed, color=TRAIN_STYLE["color"], linewidth=1.8, label="smoothed loss")
    ax.axvline(minimum, **BEST_STYLE, label=f"lowest smoothed loss at {minimum:.2g}")
    if suggestion is not None:  # None: a sweep cut short before the curve says one
        ax.axvline(
            suggestion,
            color=DEV_STYLE["color"],
            linestyle="--",
            linewidth=1.5,
            label=f"suggested rate {suggestion:.2g}",
        )
        ax.plot(
            [suggestion],
            [np.interp(np.log(suggestion), np.log(lrs), smoothed)],
            marker="o",
            color=DEV_STYLE["color"],
        )
    ax.set_xscale("log")
    # The loss may shoot up at the end: keep the interesting part in view.
    low, high = min(min(losses), min(smoothed)), max(smoothed[0], min(smoothed) * 2)
    ax.set_ylim(low - 0.05 * (high - low), high + 0.25 * (high - low))
    ax.set_xlabel("learning rate")
    ax.set_ylabel("training loss")
    ax.set_title("learning-rate range test")
    ax.grid(True, color="0.9", which="both")
    ax.legend(frameon=False)
    return ax
