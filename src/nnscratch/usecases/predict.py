"""Using a trained model on new images: labels and probabilities, traced to their files, and
Kaggle's submission file.

``nnscratch predict`` is :func:`predict_files` plus a table; in Python::

    from nnscratch.usecases.predict import predict_files, write_submission
    result = predict_files("mlp.npz", ["test.csv", "my-seven.png"])
    result.labels, result.probabilities[0], result.sources[-1]   # (N,), (N, 10), {"file": ...}
    write_submission("submission.csv", result.labels)
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..datasets.inputs import read_inputs
from ..errors import ConfigError
from ..fileio import atomic_write, check_outputs
from ..model import Sequential
from .data import check_fit


@dataclasses.dataclass(frozen=True, eq=False)
class Predictions:
    """Predictions for N images in input order.

    ``labels`` int64 (N,), ``probabilities`` float64 (N, C) (softmax: rows sum to 1 within
    float32 rounding, as the model computes in float32), ``sources`` N
    dicts ``{"file"}`` plus ``"row"`` (CSV, 1-based) or ``"index"`` (IDX, 0-based), and
    ``images`` uint8 (N, H, W): what the model saw (pictures after their conversion).
    """

    labels: np.ndarray
    probabilities: np.ndarray
    sources: list[dict]
    images: np.ndarray = dataclasses.field(repr=False)

    def top(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` most likely labels of each image, most likely first, and their
        probabilities: int64 (N, k) and float64 (N, k). Ties go to the smaller label."""
        k = min(k, self.probabilities.shape[1])
        order = np.argsort(-self.probabilities, axis=1, kind="stable")[:, :k]
        return order, np.take_along_axis(self.probabilities, order, axis=1)

    def as_json(self, top: int | None = None) -> list[dict[str, Any]]:
        """One dict per image: ``source``, ``label``, ``probabilities`` (all C), and ``top``
        (``[{"label", "probability"}]``, most likely first) when ``top`` is given."""
        rows = [
            {
                "source": source,
                "label": int(label),
                "probabilities": [float(p) for p in probabilities],
            }
            for source, label, probabilities in zip(
                self.sources, self.labels, self.probabilities, strict=False
            )
        ]
        if top:
            labels, probabilities = self.top(top)
            for row, ks, ps in zip(rows, labels, probabilities, strict=False):
                row["top"] = [
                    {"label": int(k), "probability": float(p)} for k, p in zip(ks, ps, strict=False)
                ]
        return rows


def predict(model: Sequential, images: np.ndarray, sources: list[dict]) -> Predictions:
    """Predict ``images`` (N, H, W) uint8, each from the matching entry of ``sources``."""
    probabilities = model.predict_proba(images).astype(np.float64)
    return Predictions(
        labels=probabilities.argmax(axis=1),
        probabilities=probabilities,
        sources=list(sources),
        images=images,
    )


def predict_files(
    model_path: str | os.PathLike[str], inputs: Sequence[str | os.PathLike[str]]
) -> Predictions:
    """Load the model, read every input (IDX, CSV, pictures; see
    :func:`nnscratch.datasets.inputs.read_inputs`) and predict them, in input order.

    Pictures are brought to the model's image size when it records a square one (28x28 for
    MNIST models). Raises ModelFileError (bad model file, or one that does not take these
    images) or DataError (a bad input, naming its file).
    """
    model = Sequential.load(model_path)
    shape = model.image_shape or (28, 28)
    size = shape[0] if len(shape) == 2 and shape[0] == shape[1] else 28
    images, sources = read_inputs(inputs, size=size)
    # read_inputs made sure all inputs share one image size: the first file speaks for all.
    check_fit(model, images, os.fspath(model_path), os.fspath(inputs[0]))
    return predict(model, images, sources)


def check_output(
    path: str | os.PathLike[str],
    model_path: str | os.PathLike[str],
    inputs: Sequence[str | os.PathLike[str]],
) -> None:
    """Refuse an ``--output`` that cannot be written, or that is the model file or one of the
    ``inputs`` (which writing it would destroy), before any work is done."""
    check_outputs(
        [("--output", path, "submission.csv")],
        [
            ("the model file MODEL", model_path),
            *(("one of the INPUTS", source) for source in inputs),
        ],
    )


def write_submission(path: str | os.PathLike[str], labels: np.ndarray) -> None:
    """Write Kaggle's "Digit Recognizer" submission: a header ``ImageId,Label``, then one row
    ``i,label`` per image with ``i`` counting from 1, in order. ``labels``: (N,) integers.
    Written atomically: on any error the file is not created (or an old one is kept)."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be (N,), got shape {labels.shape}")
    lines = ["ImageId,Label"] + [f"{i},{int(label)}" for i, label in enumerate(labels, 1)]
    with atomic_write(path, ConfigError) as handle:
        handle.write(("\n".join(lines) + "\n").encode("ascii"))
