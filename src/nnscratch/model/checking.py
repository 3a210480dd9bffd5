"""What a Sequential model refuses: arrays loaded that do not fit its layers, training data
that does not fit its input or its classes. Kept apart so sequential.py stays one idea."""

from __future__ import annotations

import numpy as np

from ..errors import DataError, ModelFileError


def check_loaded(model, path, arrays: dict[str, np.ndarray]) -> None:
    """Refuse (ModelFileError) arrays loaded from ``path`` that are not exactly those the
    layers of ``model`` hold: each layer says its own (:meth:`Layer.array_shapes`), so the
    check knows every layer type."""
    for i, layer in enumerate(model.layers):
        for key, shape in layer.array_shapes().items():
            array = arrays.get(f"layers.{i}.{key}")
            if array is None or array.shape != tuple(shape):
                raise ModelFileError(f"{path}: layer {i} ({layer!r}) has arrays that do "
                                     f"not fit it")
            if array.dtype != model.dtype:
                raise ModelFileError(f"{path}: layer {i} arrays are {array.dtype}, "
                                     f"the model says {model.dtype}")
    known = {f"layers.{i}.{k}" for i, layer in enumerate(model.layers)
             for k in layer.array_shapes()}
    if set(arrays) != known:
        raise ModelFileError(f"{path}: unexpected arrays {sorted(set(arrays) - known)}")


def check_training_data(model, x, y) -> tuple[np.ndarray, np.ndarray]:
    """``x`` (N, ...) and ``y`` (N,) as arrays, refused (DataError) unless they fit ``model``:
    as many labels as inputs, the input size, integer labels within its classes."""
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise DataError(f"{len(x)} inputs but {len(y)} labels")
    model._check_input(x)
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
