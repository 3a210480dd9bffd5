"""Charts made of images: galleries of digits (misclassified, hardest), a model's first-layer
weights and convolution filters as tiles, and one image beside its class probabilities."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .figures import (
    INK_CMAP,
    percent,
)


class TileGrid:
    """A grid of captioned images drawn on ONE axes that covers the figure, laid out by
    arithmetic in inches.

    A grid of 64 small axes spent most of a report's time in matplotlib (each axes builds
    ticks it never shows, and the layout engine measured every caption on every draw); images
    and texts on one axes cost a fraction. Each row is a caption band of ``caption_lines``
    lines of ``fontsize`` points above a square image; a ``title`` gets a band at the top.
    """

    EDGE = 0.05  # inches kept free around the grid
    GAP = 0.08  # inches between two tiles of a row

    def __init__(self, figure, count: int, columns: int, caption_lines: int, *, fontsize, title):
        figure.set_layout_engine(None)  # the geometry is computed here
        self.width, self.height = (float(v) for v in figure.get_size_inches())
        self.columns = max(1, min(columns, count))
        rows = math.ceil(count / self.columns)
        self.fontsize = fontsize
        self.caption = (caption_lines * 1.2 * fontsize + 2) / 72
        self.top = 0.4 if title else self.EDGE
        self.cell_width = (self.width - 2 * self.EDGE) / self.columns
        self.cell_height = (self.height - self.top - self.EDGE) / rows
        self.side = max(
            min(self.cell_width - self.GAP, self.cell_height - self.caption - self.GAP), 0.05
        )
        self.ax = figure.add_axes((0, 0, 1, 1))
        self.ax.set_axis_off()
        self.ax.set_xlim(0, self.width)
        self.ax.set_ylim(self.height, 0)  # inches from the top-left corner

    def draw(self, i: int, image: np.ndarray, caption: str, **imshow):
        """Draw ``image`` (h, w) as tile ``i`` (row-major) with ``caption`` above it."""
        row, column = divmod(i, self.columns)
        centre = self.EDGE + (column + 0.5) * self.cell_width
        image_top = self.top + row * self.cell_height + self.caption
        left = centre - self.side / 2
        self.ax.imshow(
            image,
            extent=(left, left + self.side, image_top + self.side, image_top),
            interpolation="nearest",
            **imshow,
        )
        self.ax.text(
            centre,
            image_top - 0.02,
            caption,
            ha="center",
            va="bottom",
            fontsize=self.fontsize,
            linespacing=1.1,
        )


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
        caption_lines = max(caption.count("\n") + 1 for caption in captions)
        grid = TileGrid(figure, count, columns, caption_lines, fontsize=8, title=title)
        for i, (image, caption) in enumerate(zip(images, captions, strict=False)):
            grid.draw(i, image, caption, cmap=INK_CMAP, vmin=0, vmax=255)
    if title:
        figure.suptitle(title, fontsize=11)
    return figure


def misclassified_gallery(
    figure,
    images: np.ndarray,
    labels: np.ndarray,
    probabilities: np.ndarray,
    indices: Sequence[int] | np.ndarray,
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
    indices: Sequence[int] | np.ndarray,
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
    grid = TileGrid(figure, count, columns, 1, fontsize=7, title=title)
    for i, tile in enumerate(tiles):
        scale = float(np.abs(tile).max()) or 1.0
        caption = captions[i] if captions is not None else str(i)
        grid.draw(i, tile, caption, cmap="gray", vmin=-scale, vmax=scale)
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
