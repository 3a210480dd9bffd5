"""A Sequential model in a model file: its document and arrays written and read back,
checked against the layers' own shapes (:mod:`nnscratch.modelfile` does the file itself)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError, ModelFileError
from ..modelfile import read_model_file, write_model_file

if TYPE_CHECKING:
    from .sequential import Sequential


def save_model(model: Sequential, path: str | os.PathLike[str], **metadata: Any) -> None:
    """Write the model to one ``.npz`` file (atomically), with ``metadata`` (JSON-able:
    preset, metrics, history...) in its document. Never pickled.

    The document always holds ``preprocessing`` (``scale``, and ``image_shape`` when
    known: pass it, or it is kept from a loaded model's metadata) and ``architecture``
    (see :meth:`Sequential.architecture`), so a reader needs no NumPy to see what the file
    holds.
    """
    document = {**model.metadata, **metadata}
    preprocessing = {
        "scale": model.input_scale,
        "image_shape": None,
        **document.get("preprocessing", {}),
    }
    image_shape = preprocessing["image_shape"]
    if (
        image_shape
        and model.input_size is not None
        and int(np.prod(image_shape)) != model.input_size
    ):
        raise ConfigError(
            f"preprocessing image_shape {image_shape} has "
            f"{int(np.prod(image_shape))} pixels, the model takes "
            f"{model.input_size} inputs"
        )
    document.update(
        preprocessing=preprocessing,
        architecture=model.architecture(image_shape),
        model=model.config(),
    )
    write_model_file(path, document, model.get_weights())


def load_model(cls: type[Sequential], path: str | os.PathLike[str]) -> Sequential:
    """Read a model written by :func:`save_model` as a ``cls``; its document is in
    ``model.metadata``."""
    document, arrays = read_model_file(path)
    if document.get("kind") == "checkpoint":  # training.checkpoint's KIND, a tier above
        raise ModelFileError(
            f"{path} is a training checkpoint, not a model file: carry its run on with "
            f"nnscratch train --resume {path} (the model file is written when the run ends)"
        )
    if "model" not in document:
        raise ModelFileError(f"{path}: the document has no model description")
    try:
        model = cls.from_config(document["model"], initialize=False)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, OverflowError) as error:
        # An edited description: a layer type that does not exist ("os.system"), a size that
        # is not a number. The file is named, whatever the description's own error says.
        detail = str(error) if isinstance(error, ValueError) else f"{type(error).__name__}: {error}"
        raise ModelFileError(
            f"{path}: the model description cannot be built ({detail}); "
            f"the file was edited or damaged"
        ) from None
    _check_loaded(model, path, arrays)
    _allocate(model)
    model.set_weights(arrays)
    model.metadata = {k: v for k, v in document.items() if k != "model"}
    return model


def _allocate(model: Sequential) -> None:
    """Zeroed parameters, gradients and buffers of every layer's own shapes, to load into."""
    for layer in model.layers:
        shapes = layer.array_shapes()
        buffers = set(layer.buffer_names)
        layer.params = {
            k: np.zeros(shape, model.dtype) for k, shape in shapes.items() if k not in buffers
        }
        layer.buffers = {
            k: np.zeros(shape, model.dtype) for k, shape in shapes.items() if k in buffers
        }
        layer.grads = {k: np.zeros_like(v) for k, v in layer.params.items()}


def _check_loaded(
    model: Sequential, path: str | os.PathLike[str], arrays: dict[str, np.ndarray]
) -> None:
    """Refuse arrays that are not exactly those the layers hold: each layer says its own
    (:meth:`Layer.array_shapes`), so the check knows every layer type."""
    for i, layer in enumerate(model.layers):
        for key, shape in layer.array_shapes().items():
            array = arrays.get(f"layers.{i}.{key}")
            if array is None or array.shape != tuple(shape):
                raise ModelFileError(f"{path}: layer {i} ({layer!r}) has arrays that do not fit it")
            if array.dtype != model.dtype:
                raise ModelFileError(
                    f"{path}: layer {i} arrays are {array.dtype}, the model says {model.dtype}"
                )
    known = {
        f"layers.{i}.{k}" for i, layer in enumerate(model.layers) for k in layer.array_shapes()
    }
    if set(arrays) != known:
        raise ModelFileError(f"{path}: unexpected arrays {sorted(set(arrays) - known)}")
