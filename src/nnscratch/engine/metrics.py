"""Classification metrics on integer labels: accuracy, the confusion matrix, and per-class
precision, recall and F1 with their macro and weighted averages.

Conventions (those of scikit-learn's ``zero_division=0``): a ratio whose denominator is zero is
0.0, with no warning. So a class never predicted has precision 0; a class that never occurs has
recall 0 and support 0, and it counts in the macro average (which weighs classes equally) but
not in the weighted one (which weighs them by support).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike


def _as_labels(predicted: ArrayLike, labels: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    predicted, labels = np.asarray(predicted), np.asarray(labels)
    if predicted.shape != labels.shape or predicted.ndim != 1:
        raise ValueError(
            f"predictions {predicted.shape} and labels {labels.shape} must be two (N,) arrays"
        )
    return predicted, labels


def accuracy(predicted: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of predictions equal to the labels. Shapes: (N,) and (N,); 0.0 when N is 0."""
    predicted, labels = _as_labels(predicted, labels)
    return float(np.mean(predicted == labels)) if labels.size else 0.0


def confusion_matrix(predicted: np.ndarray, labels: np.ndarray, classes: int = 10) -> np.ndarray:
    """Counts (classes, classes) int64: row = true label, column = predicted label.

    Shapes: ``predicted`` and ``labels`` (N,) integers in [0, classes).
    """
    predicted, labels = _as_labels(predicted, labels)
    for name, values in (("prediction", predicted), ("label", labels)):
        if values.size and (values.min() < 0 or values.max() >= classes):
            raise ValueError(f"a {name} is outside 0-{classes - 1}")
    # One bincount over the flattened (true, predicted) pair: no Python loop over examples.
    flat = labels.astype(np.int64) * classes + predicted.astype(np.int64)
    return np.bincount(flat, minlength=classes * classes).reshape(classes, classes)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Numerator / denominator, 0.0 where the denominator is 0 (no warning)."""
    out = np.zeros(np.shape(numerator), dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def precision_recall_f1(confusion: np.ndarray) -> dict[str, np.ndarray]:
    """Per-class figures from a confusion matrix (rows true, columns predicted).

    * precision_c = TP_c / (TP_c + FP_c) = C[c, c] / Σ_r C[r, c]
    * recall_c    = TP_c / (TP_c + FN_c) = C[c, c] / Σ_k C[c, k]
    * f1_c        = 2 precision_c recall_c / (precision_c + recall_c)
    * support_c   = Σ_k C[c, k], the examples whose true label is c

    Returns arrays of shape (classes,): ``precision``, ``recall``, ``f1`` (float64) and
    ``support`` (int64). A zero denominator gives 0.0 (see the module's docstring).
    """
    confusion = np.asarray(confusion)
    true_positives = np.diag(confusion).astype(np.float64)
    predicted_count = confusion.sum(axis=0)
    support = confusion.sum(axis=1)
    precision = _ratio(true_positives, predicted_count)
    recall = _ratio(true_positives, support)
    f1 = _ratio(2 * precision * recall, precision + recall)
    return {"precision": precision, "recall": recall, "f1": f1, "support": support.astype(np.int64)}


def classification_report(
    predicted: np.ndarray, labels: np.ndarray, classes: int = 10, *, loss: float | None = None
) -> dict[str, Any]:
    """Every figure ``nnscratch evaluate`` shows, JSON-able.

    Returns ``{"count", "accuracy", "loss", "per_class": [{"label", "precision", "recall",
    "f1", "support"}, ...], "macro_avg": {...}, "weighted_avg": {...},
    "confusion_matrix": [[...], ...]}``. ``loss`` is passed through (``None`` if not given).
    """
    predicted, labels = _as_labels(predicted, labels)
    confusion = confusion_matrix(predicted, labels, classes)
    scores = precision_recall_f1(confusion)
    support = scores["support"]
    total = int(support.sum())

    def average(weights: np.ndarray) -> dict[str, float]:
        weight_sum = weights.sum()
        return {
            key: float(np.dot(scores[key], weights) / weight_sum) if weight_sum else 0.0
            for key in ("precision", "recall", "f1")
        } | {"support": total}

    per_class = [
        {
            "label": c,
            "precision": float(scores["precision"][c]),
            "recall": float(scores["recall"][c]),
            "f1": float(scores["f1"][c]),
            "support": int(support[c]),
        }
        for c in range(classes)
    ]
    return {
        "count": total,
        "accuracy": accuracy(predicted, labels),
        "loss": loss,
        "per_class": per_class,
        "macro_avg": average(np.ones(classes)),
        "weighted_avg": average(support.astype(np.float64)),
        "confusion_matrix": confusion.tolist(),
    }
