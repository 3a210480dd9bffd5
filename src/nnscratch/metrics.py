"""Classification metrics on integer labels."""

from __future__ import annotations

import numpy as np


def accuracy(predicted: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of predictions equal to the labels. Shapes: (N,) and (N,); 0.0 when N is 0."""
    predicted, labels = np.asarray(predicted), np.asarray(labels)
    if predicted.shape != labels.shape:
        raise ValueError(f"predictions {predicted.shape} and labels {labels.shape} differ in shape")
    return float(np.mean(predicted == labels)) if labels.size else 0.0
