"""How good a trained model really is: every metric on a labelled dataset, and which data it was.

``nnscratch evaluate`` is :func:`evaluate_file` plus a table; in Python::

    from nnscratch.evaluation import evaluate_file
    report = evaluate_file("mlp.npz")            # the bundled MNIST test set
    report["accuracy"], report["per_class"][3]["f1"], report["confusion_matrix"][3][5]
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import numpy as np

from .datasets import load_source
from .errors import ConfigError, ModelFileError
from .metrics import classification_report
from .model import Sequential

SPLITS = ("auto", "test", "train")


@dataclasses.dataclass(frozen=True, eq=False)
class LabelledData:
    """Images uint8 (N, H, W), labels uint8 (N,), and what they are: ``source`` (a path or
    "bundled MNIST"), ``split`` ("test", "train", or "all" for a CSV), ``name`` and ``sha256``
    (the source's identity, as a model file records its training data)."""

    images: np.ndarray = dataclasses.field(repr=False)
    labels: np.ndarray = dataclasses.field(repr=False)
    source: str
    split: str
    name: str
    sha256: str

    def describe(self) -> dict[str, Any]:
        return {"source": self.source, "split": self.split, "count": int(len(self.labels)),
                "name": self.name, "sha256": self.sha256}


def load_labelled(spec: str | os.PathLike[str] = "mnist", split: str = "auto") -> LabelledData:
    """The labelled images to evaluate on.

    ``spec`` is what ``nnscratch train --data`` takes (``"mnist"``, a folder of IDX files, a
    CSV file with labels). ``split``: ``"test"``, ``"train"``, or ``"auto"``: the test set when
    the source has one, else its training data (all rows of a CSV, reported as split "all").
    Raises DataError for bad data and ConfigError for a split the source does not have.
    """
    if split not in SPLITS:
        raise ConfigError(f"unknown --split {split!r}; choose one of: {', '.join(SPLITS)}")
    dataset = load_source(spec)
    has_test = dataset.test_images is not None
    if split == "test" and not has_test:
        raise ConfigError(f"{dataset.source} has no test set; use --split train")
    use_test = has_test and split != "train"
    is_csv = os.fspath(spec) != "mnist" and os.path.isfile(spec)  # as load_source decides
    return LabelledData(
        images=dataset.test_images if use_test else dataset.train_images,
        labels=dataset.test_labels if use_test else dataset.train_labels,
        source=dataset.source, split="test" if use_test else ("all" if is_csv else "train"),
        name=dataset.name, sha256=dataset.sha256)


def check_fit(model: Sequential, images: np.ndarray, model_path: str, data_source: str) -> None:
    """Raise ModelFileError if ``model`` cannot take ``images`` (N, H, W): it names both.

    The model's recorded image shape (its ``preprocessing.image_shape``) must match when it is
    known; the number of inputs must always match.
    """
    shape = list(images.shape[1:])
    recorded = (model.metadata.get("preprocessing") or {}).get("image_shape")
    takes = model.input_size
    features = int(np.prod(shape)) if shape else 0
    if (recorded and list(recorded) != shape) or (takes is not None and takes != features):
        wanted = (f"{'x'.join(map(str, recorded))} images ({takes} inputs)" if recorded
                  else f"{takes} inputs per image")
        raise ModelFileError(f"{model_path} takes {wanted}, but {data_source} holds "
                             f"{'x'.join(map(str, shape))} images ({features} inputs)")


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
    report = classification_report(predicted, data.labels.astype(np.int64), classes,
                                   loss=float(scores["loss"]))
    trained_on = (model.metadata.get("data") or {}).get("sha256")
    return {"data": data.describe(),
            "seen_in_training": bool(trained_on == data.sha256 and data.split != "test"),
            **report}


def evaluate_file(model_path: str | os.PathLike[str], data: str | os.PathLike[str] = "mnist",
                  split: str = "auto") -> dict[str, Any]:
    """Load the model file and the data, check they fit, and :func:`evaluate`; the result
    also holds ``model`` (the file's path)."""
    model = Sequential.load(model_path)
    labelled = load_labelled(data, split)
    check_fit(model, labelled.images, os.fspath(model_path), labelled.source)
    return {"model": os.fspath(model_path), **evaluate(model, labelled)}
