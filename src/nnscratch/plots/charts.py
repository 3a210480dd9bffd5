"""Charts of a run and of a model: each draws into the Axes or Figure it is given and returns it.

Being pure drawing functions, the same chart serves ``nnscratch show``, the HTML report and any
notebook. They take plain arrays and the JSON-able dicts the library already produces (a
``History.as_dict()``, a :func:`~nnscratch.metrics.classification_report`), never a file.

Figures are made with :func:`new_figure` (a bare ``matplotlib.figure.Figure``, rendered by Agg:
no window, no global pyplot state) and turned into PNG bytes by :func:`png_bytes`. Colours are
chosen to read in greyscale: sequential maps whose lightness changes monotonically, and series
told apart by marker and line style as well as by colour.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "new_figure",
    "png_bytes",
    "save_png",
    "percent",
    "loss_curves",
    "accuracy_curves",
    "learning_curves",
    "confusion_heatmap",
    "per_class_scores",
    "digit_gallery",
    "misclassified_gallery",
    "hardest_gallery",
    "weight_tiles",
    "first_layer_weights",
    "conv_filters",
    "probability_view",
    "lr_find_curve",
    "recurrent_input_weights",
]

# Series styles: colour *and* marker/line style, so a greyscale print still tells them apart.
TRAIN_STYLE = dict(color="#1f4e79", linestyle="-", marker="o")
DEV_STYLE = dict(color="#d95f02", linestyle="--", marker="s")
BEST_STYLE = dict(color="0.35", linestyle=":", linewidth=1.2)
HEATMAP_CMAP = "Blues"  # lightness falls monotonically with the count
INK_CMAP = "gray_r"  # digits as ink on paper: 0 is white, 255 is black


def new_figure(width: float, height: float, dpi: int = 100):
    """A matplotlib Figure (width x height inches) with an Agg canvas; no pyplot involved."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def png_bytes(figure, dpi: int | None = None) -> bytes:
    """The figure rendered as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def save_png(figure, path, dpi: int | None = None) -> None:
    """Write the figure to ``path`` as a PNG, atomically."""
    from ..errors import ConfigError
    from ..fileio import atomic_write

    data = png_bytes(figure, dpi)
    with atomic_write(path, ConfigError) as handle:
        handle.write(data)


def percent(p: float) -> str:
    """A probability as a percentage with one decimal; ">99.9%" rather than a 100.0% that
    rounding would claim for 0.9996."""
    return ">99.9%" if 0.999 < p < 1 else f"{p:.1%}"


# --- learning curves ----------------------------------------------------------------------------


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


def lr_find_curve(ax, lrs, losses, smoothed, *, minimum: float, suggestion: float):
    """The learning-rate range test: each batch's loss (light) and its moving average (dark)
    against the learning rate on a log scale, the smoothed minimum and the suggested rate
    (a tenth of it) marked by vertical lines. ``lrs``, ``losses``, ``smoothed``: one value per
    batch, as :class:`~nnscratch.usecases.lrfind.RangeTest` holds them."""
    ax.plot(lrs, losses, color="0.75", linewidth=0.8, label="batch loss")
    ax.plot(lrs, smoothed, color=TRAIN_STYLE["color"], linewidth=1.8, label="smoothed loss")
    ax.axvline(minimum, **BEST_STYLE, label=f"lowest smoothed loss at {minimum:.2g}")
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


# --- metrics -------------------------------------------------------------------------------------


def confusion_heatmap(ax, confusion):
    """The confusion matrix (classes, classes) of counts, rows true and columns predicted, as a
    heat map with every count written in its cell. The colour scale is logarithmic, so the few
    mistakes show beside the thousand correct answers of a diagonal cell."""
    from matplotlib.colors import LogNorm

    counts = np.asarray(confusion, dtype=np.int64)
    classes = counts.shape[0]
    # Zeros are left white (masked): a log scale has no place for them, and blank reads as none.
    shown = np.ma.masked_equal(counts, 0)
    image = ax.imshow(shown, cmap=HEATMAP_CMAP, norm=LogNorm(vmin=1, vmax=max(counts.max(), 2)))
    threshold = math.sqrt(max(counts.max(), 1))  # dark cells (upper half, log scale): white text
    for true in range(classes):
        for predicted in range(classes):
            count = int(counts[true, predicted])
            ax.text(
                predicted,
                true,
                str(count),
                ha="center",
                va="center",
                fontsize=8 if count < 1000 else 7,
                color="white" if count > threshold else ("0.6" if count == 0 else "black"),
            )
    ax.set_xticks(range(classes))
    ax.set_yticks(range(classes))
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    ax.set_title("confusion matrix (counts)")
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label="count (log scale)")
    return ax


SCORE_STYLES = {
    "precision": dict(marker="o", color="#1f4e79", offset=-0.2),
    "recall": dict(marker="s", color="#d95f02", offset=0.0),
    "f1": dict(marker="D", color="black", offset=0.2),
}


def per_class_scores(ax, report: dict[str, Any]):
    """Precision, recall and F1 of each class, from a
    :func:`~nnscratch.metrics.classification_report`, as a dot plot: one stem per class and
    figure, told apart by marker. The y axis zooms on the range the scores span (with 1.0 at
    the top), so differences of a few tenths of a percent stay visible."""
    rows = report["per_class"]
    labels = np.array([row["label"] for row in rows])
    lowest = min(min(row[key] for key in SCORE_STYLES) for row in rows)
    bottom = max(0.0, math.floor((lowest - 0.005) * 100) / 100)
    for key, style in SCORE_STYLES.items():
        values = np.array([row[key] for row in rows])
        x = labels + style["offset"]
        ax.vlines(x, bottom, values, color=style["color"], linewidth=1, alpha=0.6)
        ax.plot(
            x,
            values,
            linestyle="none",
            marker=style["marker"],
            color=style["color"],
            markersize=5,
            label=key if key != "f1" else "F1",
        )
    ax.set_ylim(bottom, 1.0 + (1.0 - bottom) * 0.02)
    ax.set_xticks(labels)
    ax.set_xlabel("class (digit)")
    ax.set_ylabel("score")
    ax.set_title(f"per-class precision, recall and F1 (macro F1 {report['macro_avg']['f1']:.4f})")
    ax.grid(True, axis="y", color="0.9")
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


# --- images --------------------------------------------------------------------------------------


def digit_gallery(
    figure,
    images: np.ndarray,
    captions: Sequence[str],
    *,
    columns: int = 8,
    title: str | None = None,
):
    """A grid of digit images (N, H, W) uint8, each with its caption above, ink dark on white.
    Returns ``figure``; an empty ``images`` gives a figure that says so."""
    count = len(images)
    if count == 0:
        ax = figure.add_subplot()
        ax.text(0.5, 0.5, "none", ha="center", va="center", fontsize=12)
        ax.set_axis_off()
    else:
        rows = math.ceil(count / columns)
        axes = np.atleast_1d(figure.subplots(rows, columns)).ravel()
        for ax in axes:
            ax.set_axis_off()
        for ax, image, caption in zip(axes, images, captions, strict=False):
            ax.imshow(image, cmap=INK_CMAP, vmin=0, vmax=255, interpolation="nearest")
            ax.set_title(caption, fontsize=8, linespacing=1.1)
    if title:
        figure.suptitle(title, fontsize=11)
    return figure


def misclassified_gallery(
    figure,
    images: np.ndarray,
    labels: np.ndarray,
    probabilities: np.ndarray,
    indices: Sequence[int],
    *,
    columns: int = 8,
):
    """The images at ``indices`` (see :func:`nnscratch.inspection.misclassified_indices`), each
    captioned with the predicted label and its probability, the true label and the index.
    Shapes: images (N, H, W) uint8, labels (N,), probabilities (N, C)."""
    indices = list(indices)
    captions = []
    for i in indices:
        guess = int(np.argmax(probabilities[i]))
        captions.append(
            f"pred {guess} ({percent(probabilities[i, guess])})\ntrue {int(labels[i])}  #{i}"
        )
    return digit_gallery(figure, images[indices], captions, columns=columns)


def hardest_gallery(
    figure,
    images: np.ndarray,
    labels: np.ndarray,
    losses: np.ndarray,
    probabilities: np.ndarray,
    indices: Sequence[int],
    *,
    columns: int = 8,
):
    """The images at ``indices`` (highest loss first, see
    :func:`nnscratch.inspection.hardest_indices`), captioned with their label, the network's
    guess and the example's loss ``-log p(label)``. Shapes: images (N, H, W), labels (N,),
    losses (N,), probabilities (N, C)."""
    indices = list(indices)
    captions = []
    for i in indices:
        guess = int(np.argmax(probabilities[i]))
        captions.append(
            f"label {int(labels[i])}  #{i}\n"
            f"model {guess} ({percent(probabilities[i, guess])})\nloss {losses[i]:.1f}"
        )
    return digit_gallery(figure, images[indices], captions, columns=columns)


def weight_tiles(
    figure,
    tiles: np.ndarray,
    *,
    columns: int = 8,
    captions: Sequence[str] | None = None,
    title: str | None = None,
):
    """Weights drawn as small images: ``tiles`` (U, h, w), each scaled to its own largest
    magnitude with zero at mid-grey, so white pixels excite the unit and black ones inhibit it.
    ``captions`` default to the tile's index. Returns ``figure``."""
    tiles = np.asarray(tiles)
    count = len(tiles)
    columns = max(1, min(columns, count))
    axes = np.atleast_1d(figure.subplots(math.ceil(count / columns), columns)).ravel()
    for ax in axes:
        ax.set_axis_off()
    for i, (ax, tile) in enumerate(zip(axes, tiles, strict=False)):
        scale = float(np.abs(tile).max()) or 1.0
        ax.imshow(tile, cmap="gray", vmin=-scale, vmax=scale, interpolation="nearest")
        ax.set_title(captions[i] if captions is not None else str(i), fontsize=7, pad=2)
    if title:
        figure.suptitle(title, fontsize=10)
    return figure


def first_layer_weights(
    figure,
    weights: np.ndarray,
    image_shape: tuple[int, int] = (28, 28),
    *,
    count: int = 64,
    columns: int = 8,
):
    """What each of the first ``count`` hidden units of a first Dense layer looks for: its
    weight column of ``weights`` (H*W, units) drawn as an H x W image (see
    :func:`weight_tiles`)."""
    weights = np.asarray(weights)
    units = min(count, weights.shape[1])
    tiles = weights[:, :units].T.reshape(units, *image_shape)
    return weight_tiles(
        figure,
        tiles,
        columns=columns,
        title=f"first layer: weights of hidden units 0-{units - 1} of "
        f"{weights.shape[1]} (white excites, black inhibits)",
    )


def recurrent_input_weights(figure, w_ih: np.ndarray, gates: Sequence[str]):
    """What a recurrent layer reads from each step's input: ``w_ih`` (G·H, F), one (H, F)
    block per gate named in ``gates`` (PyTorch's order), drawn side by side with a unit per
    row and an input value (a pixel of the image's row) per column, all on one scale with zero
    at mid-grey. Returns ``figure``."""
    w_ih = np.asarray(w_ih)
    blocks = np.split(w_ih, len(gates))
    scale = float(np.abs(w_ih).max()) or 1.0
    axes = np.atleast_1d(figure.subplots(1, len(gates)))
    for ax, block, gate in zip(axes, blocks, gates, strict=False):
        image = ax.imshow(
            block, cmap="gray", vmin=-scale, vmax=scale, aspect="auto", interpolation="nearest"
        )
        ax.set_title(f"{gate} gate", fontsize=9)
        ax.set_xlabel("pixel of the row", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].set_ylabel("unit", fontsize=8)
    figure.colorbar(image, ax=list(axes), shrink=0.8, label="weight")
    return figure


def conv_filters(figure, kernels: np.ndarray, *, count: int = 64, columns: int = 8):
    """The first ``count`` kernels of a first Conv2D layer, ``kernels`` (C_out, C_in, k, k),
    each drawn as a k x k image (see :func:`weight_tiles`); with several input channels, their
    mean."""
    kernels = np.asarray(kernels)
    shown = min(count, kernels.shape[0])
    tiles = kernels[:shown, 0] if kernels.shape[1] == 1 else kernels[:shown].mean(axis=1)
    k = kernels.shape[-1]
    return weight_tiles(
        figure,
        tiles,
        columns=columns,
        title=f"first layer: {shown} of {kernels.shape[0]} {k}x{k} "
        f"convolution kernels (white excites, black inhibits)",
    )


def probability_view(
    figure,
    image: np.ndarray,
    probabilities: np.ndarray,
    label: int | None = None,
    *,
    title: str | None = None,
):
    """One image beside the network's probability for every class: the tutorial's view, plus
    what the network thought of the other digits. ``image`` (H, W) uint8, ``probabilities``
    (C,). The predicted class is the dark bar; the true label, if known, is hatched and named
    on the axis; ``title`` goes above both. Returns ``figure``."""
    probabilities = np.asarray(probabilities, dtype=float)
    guess = int(np.argmax(probabilities))
    image_ax, bars_ax = figure.subplots(1, 2, width_ratios=[1, 1.5])
    image_ax.imshow(image, cmap=INK_CMAP, vmin=0, vmax=255, interpolation="nearest")
    image_ax.set_xticks([])
    image_ax.set_yticks([])
    verdict = f"predicted {guess} ({percent(probabilities[guess])})"
    if label is not None:
        verdict += f"\nlabel {label}: " + ("right" if guess == label else "WRONG")
    image_ax.set_title(verdict, fontsize=10)
    classes = np.arange(len(probabilities))
    colours = ["#1f4e79" if c == guess else "0.75" for c in classes]
    bars = bars_ax.bar(classes, probabilities, color=colours, edgecolor="black", linewidth=0.6)
    if label is not None:
        bars[label].set_hatch("///")
    for c, p in zip(classes, probabilities, strict=False):
        if p >= 0.005:
            shown = ">99%" if 0.995 <= p < 1 else f"{p:.0%}"  # no rounded-up certainty
            bars_ax.text(c, p + 0.02, shown, ha="center", va="bottom", fontsize=7)
    # Every tick label has two lines, the second empty but under the true label: a one-line
    # label is laid out shorter than a two-line one, so "0\ntrue" beside "1" set its digit lower.
    bars_ax.set_xticks(
        classes,
        [f"{c}\n{'true' if c == label else ' '}" if label is not None else str(c) for c in classes],
    )
    bars_ax.set_ylim(0, 1.12)
    bars_ax.set_xlabel("digit")
    bars_ax.set_ylabel("probability")
    bars_ax.set_title("the network's probabilities", fontsize=10)
    if title:
        figure.suptitle(title, fontsize=11)
    return figure
