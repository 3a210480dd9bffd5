"""How good a trained model really is: every metric on a labelled dataset, and which data it was.

``nnscratch evaluate`` is :func:`evaluate_file` plus a table; in Python::

    from nnscratch.usecases.evaluate import evaluate_file
    report = evaluate_file("mlp.npz")            # the bundled MNIST test set
    report["accuracy"], report["per_class"][3]["f1"], report["confusion_matrix"][3][5]
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..engine.metrics import classification_report
from ..model import Sequential
from .data import LabelledData, check_fit, load_labelled


def evaluate(model: Sequential, data: LabelledData) -> dict[str, Any]:
    """Loss, accuracy, per-class precision/recall/F1/support, their macro and weighted
    averages, and the confusion matrix of ``model`` on ``data``, as one JSON-able dict.

    Keys: those of :func:`nnscratch.metrics.classification_report`, plus ``data`` (source,
    split, count, name, sha256) and ``seen_in_training`` (True when ``data`` is the very
    data the model was trained on, by its recorded SHA-256, and not a test split: then the
    figures flatter the model).
    """
    classes = model.output_size
    scores = model.evaluate(data.images, data.labels)  # checks labels against the classes
    predicted = model.predict(data.images)
    report = classification_report(
        predicted, data.labels.astype(np.int64), classes, loss=float(scores["loss"])
    )
    trained_on = (model.metadata.get("data") or {}).get("sha256")
    return {
        "data": data.describe(),
        "seen_in_training": bool(trained_on == data.sha256 and data.split != "test"),
        **report,
    }


def evaluate_file(
    model_path: str | os.PathLike[str], data: str | os.PathLike[str] = "mnist", split: str = "auto"
) -> dict[str, Any]:
    """Load the model file and the data, check they fit, and :func:`evaluate`; the result
    also holds ``model`` (the file's path)."""
    model = Sequential.load(model_path)
    labelled = load_labelled(data, split)
    check_fit(model, labelled.images, os.fspath(model_path), labelled.source)
    return {"model": os.fspath(model_path), **evaluate(model, labelled)}
