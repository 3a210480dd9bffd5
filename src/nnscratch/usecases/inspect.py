"""A trained classifier looked at closely on one data set: what it predicts for every image,
how sure it is, what each image costs it, and which images are its mistakes and hardest cases.
The report and ``show`` draw these.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.losses import log_softmax
from ..engine.metrics import classification_report
from ..errors import ModelFileError


@dataclass
class Inspection:
    """A model's answers on ``images`` (N, H, W) with ``labels`` (N,).

    ``probabilities`` (N, C) float64; ``predicted`` (N,) int64; ``losses`` (N,) float64, each
    image's cross-entropy ``-log p(label)``; ``report`` the
    :func:`~nnscratch.metrics.classification_report` (with the mean loss); ``seconds`` the time
    the forward passes took.
    """

    images: np.ndarray
    labels: np.ndarray
    probabilities: np.ndarray
    predicted: np.ndarray
    losses: np.ndarray
    report: dict[str, Any]
    seconds: float


def inspect_model(model, images: np.ndarray, labels: np.ndarray) -> Inspection:
    """Run ``model`` (a softmax classifier) over ``images`` and measure it against ``labels``.

    Shapes: images (N, ...) raw pixels as the model takes them, labels (N,) integers.
    """
    if model.loss.name != "softmax_cross_entropy":
        raise ModelFileError(
            f"only softmax classifiers can be inspected; this model's loss is {model.loss.name}"
        )
    labels = np.asarray(labels).astype(np.int64)
    start = time.perf_counter()
    logits = model.outputs(images)
    seconds = time.perf_counter() - start
    # float64 from here: an example's loss can be 1e-9 or 30, and both matter.
    log_p = log_softmax(logits.astype(np.float64))
    losses = -log_p[np.arange(len(labels)), labels]
    predicted = log_p.argmax(axis=1)
    report = classification_report(
        predicted, labels, model.output_size, loss=float(losses.mean()) if len(losses) else None
    )
    return Inspection(
        images=images,
        labels=labels,
        probabilities=np.exp(log_p),
        predicted=predicted,
        losses=losses,
        report=report,
        seconds=seconds,
    )


def misclassified_indices(
    probabilities: np.ndarray, labels: np.ndarray, count: int | None = None
) -> np.ndarray:
    """Indices (int64) of the wrongly predicted examples, the most confident mistakes first
    (ties by index), at most ``count``. Shapes: probabilities (N, C), labels (N,)."""
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probabilities[wrong, predicted[wrong]]
    order = wrong[np.argsort(-confidence, kind="stable")]
    return order[:count].astype(np.int64)


def hardest_indices(losses: np.ndarray, count: int | None = None) -> np.ndarray:
    """Indices (int64) of the examples with the highest loss, highest first (ties by index),
    at most ``count``. Shape: losses (N,)."""
    return np.argsort(-np.asarray(losses), kind="stable")[:count].astype(np.int64)
