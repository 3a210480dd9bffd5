"""Data checked against a Sequential model before it predicts or trains: the input size per
example, and labels that are integers among the model's classes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ..errors import ConfigError, DataError

if TYPE_CHECKING:
    from .sequential import Sequential


def check_input(model: Sequential, x: np.ndarray) -> None:
    """Raise DataError unless ``x`` (N, ...) holds finite real numbers (no complex, object or
    string arrays, no NaN) and has the model's ``input_size`` values per example (any size
    passes when the model takes any)."""
    if x.dtype.kind not in "biuf":
        raise DataError(f"x must hold real numbers (integers or floats), got an array of {x.dtype}")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        bad = int(np.flatnonzero(~np.isfinite(x.reshape(len(x), -1)).all(axis=1))[0])
        raise DataError(
            f"x holds NaN or infinite values (first in example {bad}); a prediction of them "
            f"would mean nothing"
        )
    # math.prod, not np.prod: this runs for every prediction, even of one image, and
    # np.prod first builds an array from the shape tuple.
    features = math.prod(x.shape[1:]) if x.ndim > 1 else None
    if model.input_size is not None and features != model.input_size:
        raise DataError(
            f"the model takes {model.input_size} inputs per example "
            f"(e.g. 28x28 pixels), the data has shape {x.shape}"
        )


def check_training_data(
    model: Sequential, x: ArrayLike, y: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` as arrays, checked: as many labels as inputs, inputs the model takes, and
    for softmax cross-entropy (N,) integer labels in [0, C), returned as intp.

    Raises:
        DataError: saying which label or shape is wrong, and where.
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise DataError(f"{len(x)} inputs but {len(y)} labels")
    check_input(model, x)
    if y.ndim == 1 and model.loss.name == "softmax_cross_entropy":
        if not np.issubdtype(y.dtype, np.integer):
            bad = 0
            if np.issubdtype(y.dtype, np.floating):
                fractional = np.flatnonzero(y != np.round(y))
                bad = int(fractional[0]) if len(fractional) else 0
            where = f" (label {y[bad]} at index {bad})" if len(y) else ""
            raise DataError(f"labels must be integers, got {y.dtype}{where}")
        classes = model.output_size
        if len(y) and (y.min() < 0 or y.max() >= classes):
            bad = int(np.flatnonzero((y < 0) | (y >= classes))[0])
            raise DataError(f"label {y[bad]} at index {bad} is outside 0-{classes - 1}")
        y = y.astype(np.intp, copy=False)
    return x, y


# Arrays per parameter while training: the weights, their gradients and an optimizer's two
# moments (Adam's); what a network of a given size costs, said before any of it is allocated.
TRAINING_COPIES = 4


def check_network_size(layers: Sequence[Any], dtype: np.dtype) -> None:
    """Raise ConfigError, before allocating, for a network whose arrays would take more than
    the budget's data_bytes (:mod:`nnscratch.budget`), saying how much they would take: a
    ``--hidden 100000000`` costs 584 GiB, which ends in MemoryError after minutes if tried."""
    from ..budget import current_budget

    count = sum(math.prod(shape) for layer in layers for shape in layer.array_shapes().values())
    weights = count * dtype.itemsize
    limit = current_budget().data_bytes
    if weights * TRAINING_COPIES > limit:
        raise ConfigError(
            f"the network has {count:,} parameters: {_gib(weights)} of {dtype} weights, and "
            f"about {_gib(weights * TRAINING_COPIES)} to train; more than the {_gib(limit)} "
            f"allowed: choose smaller layers"
        )


def _gib(count: int) -> str:
    return f"{count / 2**30:,.1f} GiB"
