"""A Sequential's model file: one ``.npz`` of its arrays and a JSON document (see
:mod:`nnscratch.modelfile`), checked against the layers on reading."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..errors import ConfigError, ModelFileError
from ..modelfile import read_model_file, write_model_file


def save_model(model, path: str | os.PathLike, **metadata: Any) -> None:
    """Write the Sequential ``model`` to ``path``: see :meth:`Sequential.save`."""
    document = {**model.metadata, **metadata}
    preprocessing = {"scale": model.input_scale, "image_shape": None,
                     **document.get("preprocessing", {})}
    image_shape = preprocessing["image_shape"]
    if image_shape and model.input_size is not None \
            and int(np.prod(image_shape)) != model.input_size:
        raise ConfigError(f"preprocessing image_shape {image_shape} has "
                          f"{int(np.prod(image_shape))} pixels, the model takes "
                          f"{model.input_size} inputs")
    document.update(preprocessing=preprocessing,
                    architecture=model.architecture(image_shape),
                    model=model.config())
    write_model_file(path, document, model.get_weights())


def load_model(cls, path: str | os.PathLike):
    """The Sequential (of class ``cls``) written to ``path``: see :meth:`Sequential.load`."""
    document, arrays = read_model_file(path)
    if "model" not in document:
        raise ModelFileError(f"{path}: the document has no model description")
    model = cls.from_config(document["model"], initialize=False)
    _check_loaded(model, path, arrays)
    _allocate(model)
    model.set_weights(arrays)
    model.metadata = {k: v for k, v in document.items() if k != "model"}
    return model


def _allocate(model) -> None:
    """Zeroed parameters, gradients and buffers of every layer's own shapes, to load into."""
    for layer in model.layers:
        shapes = layer.array_shapes()
        buffers = set(layer.buffer_names)
        layer.params = {k: np.zeros(shape, model.dtype) for k, shape in shapes.items()
                        if k not in buffers}
        layer.buffers = {k: np.zeros(shape, model.dtype) for k, shape in shapes.items()
                         if k in buffers}
        layer.grads = {k: np.zeros_like(v) for k, v in layer.params.items()}


def _check_loaded(model, path, arrays) -> None:
    """Refuse arrays that are not exactly those the layers hold: each layer says its own
    (:meth:`Layer.array_shapes`), so the check knows every layer type."""
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
