"""Charts of a model's scores on a test set: the confusion matrix as a heat map, and precision,
recall and F1 per class."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .figures import (
    HEATMAP_CMAP,
)


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
