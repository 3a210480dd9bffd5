"""A Sequential model's arrays by name (``layers.<index>.<name>``): what a model file, a
checkpoint and early stopping's best epoch keep, and their way back into the layers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import ModelFileError

if TYPE_CHECKING:
    from .sequential import Sequential


def named_arrays(model: Sequential) -> dict[str, np.ndarray]:
    """Every parameter and buffer of the layers (the arrays themselves, not copies), named
    ``layers.<index>.<name>``."""
    return {
        f"layers.{i}.{key}": value
        for i, layer in enumerate(model.layers)
        for key, value in {**layer.params, **layer.buffers}.items()
    }


def copy_weights(model: Sequential, weights: dict[str, np.ndarray]) -> None:
    """Copy ``weights`` (named as :func:`named_arrays` names them) into the model's parameters
    and buffers, in place, casting to the model's dtype.

    Raises:
        ModelFileError: naming a missing, unexpected or wrongly shaped array; nothing is
            copied when a name is missing or unexpected.
    """
    expected = named_arrays(model)
    if set(weights) != set(expected):
        missing = sorted(set(expected) - set(weights))
        extra = sorted(set(weights) - set(expected))
        raise ModelFileError(
            f"weights do not fit the layers (missing {missing}, unexpected {extra})"
        )
    for name, target in expected.items():
        if weights[name].shape != target.shape:
            raise ModelFileError(
                f"weights {name} have shape {weights[name].shape}, the layer needs {target.shape}"
            )
        np.copyto(target, weights[name], casting="same_kind")
