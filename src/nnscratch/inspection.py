"""A trained classifier looked at closely on one data set: what it predicts for every image,
how sure it is, what each image costs it, and which images are its mistakes and hardest cases.

Also finds the data a model file was trained on, from what the file recorded, so a report or a
``show`` can be made from the model file alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .datasets import DigitDataset, load_source
from .datasets.sources import source_files
from .errors import DataError, ModelFileError
from .losses import log_softmax
from .metrics import classification_report


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
        raise ModelFileError(f"only softmax classifiers can be inspected; this model's loss "
                             f"is {model.loss.name}")
    labels = np.asarray(labels).astype(np.int64)
    start = time.perf_counter()
    logits = model.outputs(images)
    seconds = time.perf_counter() - start
    # float64 from here: an example's loss can be 1e-9 or 30, and both matter.
    log_p = log_softmax(logits.astype(np.float64))
    losses = -log_p[np.arange(len(labels)), labels]
    predicted = log_p.argmax(axis=1)
    report = classification_report(predicted, labels, model.output_size,
                                   loss=float(losses.mean()) if len(losses) else None)
    return Inspection(images=images, labels=labels, probabilities=np.exp(log_p),
                      predicted=predicted, losses=losses, report=report, seconds=seconds)


def misclassified_indices(probabilities: np.ndarray, labels: np.ndarray,
                          count: int | None = None) -> np.ndarray:
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


@dataclass
class ModelData:
    """The data a model is looked at on: the dataset, the spec it was loaded from, and whether
    its SHA-256 is the one recorded at training (``None`` when nothing was recorded)."""

    dataset: DigitDataset
    spec: str
    same_as_training: bool | None


def recorded_data_spec(metadata: dict[str, Any]) -> str | None:
    """The ``--data`` spec of the data a model file says it was trained on, or None."""
    data = metadata.get("data") or {}
    if data.get("name") == "mnist" and data.get("source") == "bundled MNIST":
        return "mnist"
    return data.get("source")


def data_inputs(spec: str | None, *, recorded: bool = False) -> list[tuple[str, Any]]:
    """The files of the ``--data`` spec ``spec`` (none for None), as the inputs
    :func:`~nnscratch.fileio.check_outputs` keeps a command from writing over; ``recorded``:
    the spec is the one the model file records, not an option given."""
    if spec is None:
        return []
    what = (f"a file of the data the model was trained on ({spec})" if recorded
            else f"a file of the data (--data {spec})")
    return [(what, path) for path in source_files(spec)]


def load_model_data(metadata: dict[str, Any], data: str | None = None) -> ModelData:
    """Load ``data`` (a ``--data`` spec), or else the data the model file recorded.

    Raises DataError if neither is known or the recorded data is no longer where it was.
    """
    spec = data if data is not None else recorded_data_spec(metadata)
    if spec is None:
        raise DataError("the model file does not say which data it was trained on; "
                        "pass --data")
    try:
        dataset = load_source(spec)
    except DataError as error:
        if data is None:
            raise DataError(f"the model was trained on {spec}, which cannot be loaded now "
                            f"({error}); pass --data") from None
        raise
    recorded = (metadata.get("data") or {}).get("sha256")
    return ModelData(dataset, spec, None if recorded is None else recorded == dataset.sha256)
