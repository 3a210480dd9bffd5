"""Which data a command runs on: labelled images from a ``--data`` spec, or the data a model
file says it was trained on; and whether a model can take those images.

Shared by ``evaluate``, ``report``, ``show`` and the web app, so each says the same.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import numpy as np

from ..datasets import DigitDataset, load_source
from ..datasets.sources import source_files
from ..errors import ConfigError, DataError, ModelFileError
from ..model import Sequential

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
        """The data in JSON-able figures: source, split, count and identity."""
        return {
            "source": self.source,
            "split": self.split,
            "count": int(len(self.labels)),
            "name": self.name,
            "sha256": self.sha256,
        }


def load_labelled(spec: str | os.PathLike[str] = "mnist", split: str = "auto") -> LabelledData:
    """The labelled images to evaluate on.

    ``spec`` is what ``nnscratch train --data`` takes (``"mnist"``, a folder of IDX files, a
    CSV file with labels). ``split``: ``"test"``, ``"train"``, or ``"auto"``: the test set when
    the source has one, else its training data (all rows of a CSV, reported as split "all").
    Raises DataError for bad data and ConfigError for a split the source does not have.
    """
    if split not in SPLITS:
        raise ConfigError(f"unknown --split {split!r}; choose one of: {', '.join(SPLITS)}")
    dataset = load_source(spec, test_only=split != "train")
    test = dataset.test
    if split == "test" and test is None:
        raise ConfigError(f"{dataset.source} has no test set; use --split train")
    use_test = test is not None and split != "train"
    train = dataset.train_images, dataset.train_labels
    images, labels = test if test is not None and use_test else train
    is_csv = os.fspath(spec) != "mnist" and os.path.isfile(spec)  # as load_source decides
    return LabelledData(
        images=images,
        labels=labels,
        source=dataset.source,
        split="test" if use_test else ("all" if is_csv else "train"),
        name=dataset.name,
        sha256=dataset.sha256,
    )


def check_fit(model: Sequential, images: np.ndarray, model_path: str, data_source: str) -> None:
    """Raise ModelFileError if ``model`` cannot take ``images`` (N, H, W): it names both.

    The model's recorded image shape (its ``preprocessing.image_shape``) must match when it is
    known; the number of inputs must always match.
    """
    shape = list(images.shape[1:])
    recorded = model.image_shape
    takes = model.input_size
    features = int(np.prod(shape)) if shape else 0
    if (recorded and list(recorded) != shape) or (takes is not None and takes != features):
        wanted = (
            f"{'x'.join(map(str, recorded))} images ({takes} inputs)"
            if recorded
            else f"{takes} inputs per image"
        )
        raise ModelFileError(
            f"{model_path} takes {wanted}, but {data_source} holds "
            f"{'x'.join(map(str, shape))} images ({features} inputs)"
        )


@dataclasses.dataclass
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
    what = (
        f"a file of the data the model was trained on ({spec})"
        if recorded
        else f"a file of the data (--data {spec})"
    )
    return [(what, path) for path in source_files(spec)]


def load_model_data(
    metadata: dict[str, Any], data: str | None = None, *, test_only: bool = False
) -> ModelData:
    """Load ``data`` (a ``--data`` spec), or else the data the model file recorded;
    ``test_only``: the caller looks at the test set alone (see :func:`load_source`).

    Raises DataError if neither is known or the recorded data is no longer where it was.
    """
    spec = data if data is not None else recorded_data_spec(metadata)
    if spec is None:
        raise DataError("the model file does not say which data it was trained on; pass --data")
    try:
        dataset = load_source(spec, test_only=test_only)
    except DataError as error:
        if data is None:
            raise DataError(
                f"the model was trained on {spec}, which cannot be loaded now "
                f"({error}); pass --data"
            ) from None
        raise
    recorded = (metadata.get("data") or {}).get("sha256")
    return ModelData(dataset, spec, None if recorded is None else recorded == dataset.sha256)
