"""Networks written as a list of layer specs: what a recipe's ``layers`` field (and the
``[[layers]]`` tables of a recipe file) hold.

A spec is a layer's type and its constructor's options, ``{"type": "Conv2D", "out_channels":
32, "kernel_size": 3, "padding": "same"}``. The sizes a layer takes from the one before it
need not be written, and are filled in from the shape that reaches it, as each layer type says
(``options_from_shape``): ``in_channels`` of a Conv2D, ``in_features`` of a Dense, ``features``
of a BatchNorm, ``input_size`` of an LSTM or GRU, ``shape`` of a LayerNorm (the last axis).
Images reach the first layer as (H, W): before a layer that takes images (a convolution, a
pooling) they become one channel, (1, H, W); before one that takes rows (a Dense layer),
anything that is not yet a row of values is flattened. The network ends with a Dense layer to the
classes' logits, added after the last spec (as the presets' ``hidden`` sizes exclude it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import checks
from ..engine.layers import LAYER_TYPES, Dense, Flatten, Layer, Reshape
from ..engine.layers.base import IMAGES, ROWS
from ..errors import ConfigError


def _shape_words(shape: tuple[int, ...]) -> str:
    if len(shape) == 1:
        return f"rows of {shape[0]} values"
    if len(shape) == 2:
        return f"sequences of {shape[0]} steps of {shape[1]} values"
    if len(shape) == 3:
        return f"images of {shape[0]} channels of {shape[1]}x{shape[2]}"
    return f"arrays of shape {'x'.join(map(str, shape))}"


def check_specs(name: str, value: Any) -> tuple[dict[str, Any], ...]:
    """``value`` as a tuple of specs if each names a layer type and options its constructor
    takes with values it accepts; else ConfigError naming the spec (``layers[2] (Conv2D)``).
    The options filled in from the shape are tried with 1, so every other value is checked
    now, before any data is loaded."""
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{name} must be a list of layers, got {value!r}")
    specs = []
    for i, spec in enumerate(value):
        where = f"{name}[{i}]"
        if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
            raise ConfigError(f"{where} must be a table with a layer type, got {spec!r}")
        spec = dict(spec)
        layer_type = spec.get("type")
        if layer_type not in LAYER_TYPES:
            raise ConfigError(
                f"{where}: unknown layer type {layer_type!r}; choose one of: "
                f"{', '.join(LAYER_TYPES)}"
            )
        options = {k: v for k, v in spec.items() if k != "type"}
        _make(where, layer_type, options, trial=True)
        specs.append(spec)
    return tuple(specs)


def build_layers(
    specs: Sequence[dict[str, Any]], image_shape: tuple[int, ...], classes: int
) -> list[Layer]:
    """The layers the specs describe, for images of ``image_shape``, sizes filled in, with
    the Reshape and Flatten layers the shapes need, and the final Dense to ``classes`` logits.
    Raises ConfigError naming the spec that does not fit the shape that reaches it."""
    shape = tuple(image_shape)
    layers: list[Layer] = []
    if specs and LAYER_TYPES[specs[0]["type"]].takes is IMAGES:
        layers.append(Reshape((1, *shape)))
        shape = (1, *shape)
    else:
        # Fix the values per example up front, so predict checks what it is given.
        layers.append(Reshape(shape))
    for i, spec in enumerate(specs):
        where = f"layers[{i}] ({spec['type']})"
        layer_type, options = spec["type"], {k: v for k, v in spec.items() if k != "type"}
        takes = LAYER_TYPES[layer_type].takes
        if takes is IMAGES and len(shape) == 2:
            layers.append(Reshape((1, *shape)))
            shape = (1, *shape)
        if takes is ROWS and len(shape) > 1:
            layers.append(Flatten())
            shape = (math.prod(shape),)
        if takes is not None and len(shape) != takes.axes:
            raise ConfigError(f"{where} takes {takes.words}, but {_shape_words(shape)} reach it")
        options = LAYER_TYPES[layer_type].options_from_shape(shape) | options
        layer = _make(where, layer_type, options)
        shape = _output_shape(where, layer, shape)
        layers.append(layer)
    if len(shape) > 1:
        layers.append(Flatten())
    layers.append(Dense(math.prod(shape), classes))
    return layers


def describe_specs(specs: Sequence[dict[str, Any]]) -> str:
    """The specs in words: ``Conv2D(out_channels=32, kernel_size=3), BatchNorm, ReLU``."""
    words = []
    for spec in specs:
        options = ", ".join(f"{k}={v}" for k, v in spec.items() if k != "type")
        words.append(f"{spec['type']}({options})" if options else spec["type"])
    return ", ".join(words)


def _make(where: str, layer_type: str, options: dict[str, Any], trial: bool = False) -> Layer:
    cls = LAYER_TYPES[layer_type]
    if trial:  # fill what the shape would give with 1, to check everything else now
        ones = (1,) * (cls.takes.axes if cls.takes is not None else 1)
        options = cls.options_from_shape(ones) | options
    try:
        checks.keyword_options(f"{where} ({layer_type})", cls, options)
        return cls(**options)
    except ConfigError as error:
        message = str(error)
        if not message.startswith(where):
            message = f"{where} ({layer_type}): {message}"
        raise ConfigError(message) from None
    except (TypeError, ValueError, OverflowError) as error:  # int("x"), int(inf)
        raise ConfigError(f"{where} ({layer_type}): {error}") from None


def _output_shape(where: str, layer: Layer, shape: tuple[int, ...]) -> tuple[int, ...]:
    """One example's shape after ``layer``, as the layer declares it."""
    try:
        return layer.output_shape(shape)
    except ConfigError as error:
        raise ConfigError(
            f"{where} does not fit the shape {'x'.join(map(str, shape))} that reaches it: {error}"
        ) from None
