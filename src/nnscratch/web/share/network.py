"""A network as the exported page's JavaScript reads it: its layers as JSON, its arrays as one
float32 block, and the plan of its glance (which layers are drawn, named how)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...engine.layers import Conv2D, Dense
from ...errors import ConfigError
from ...explain.inside import activation_after, output_layer
from ...explain.maths import layer_title, weighted_layers
from ...model import Sequential

# The layer types forward.js computes (its LAYERS); a unit test holds the two lists together.
JS_LAYERS = frozenset(
    {
        "Dense",
        "Conv2D",
        "ReLU",
        "LeakyReLU",
        "Sigmoid",
        "Tanh",
        "Dropout",
        "Flatten",
        "Reshape",
        "MaxPool2D",
        "AvgPool2D",
        "GlobalAvgPool2D",
        "BatchNorm",
        "LayerNorm",
        "LSTM",
        "GRU",
    }
)
JS_LOSSES = frozenset({"softmax_cross_entropy", "binary_cross_entropy", "mean_squared_error"})


def check_shareable(model: Sequential) -> None:
    """ConfigError naming each layer (its position and type) the page's JavaScript does not
    compute, or a loss whose probabilities it does not know."""
    unknown = [f"layer {i} ({layer.name})" for i, layer in enumerate(model.layers)]
    unknown = [
        words
        for words, layer in zip(unknown, model.layers, strict=True)
        if layer.name not in JS_LAYERS
    ]
    if unknown:
        raise ConfigError(
            f"the exported page has no forward pass for {', '.join(unknown)}; it computes "
            f"{', '.join(sorted(JS_LAYERS))}"
        )
    if model.loss.name not in JS_LOSSES:
        raise ConfigError(f"the exported page does not know the loss {model.loss.name!r}")


def describe(model: Sequential) -> tuple[dict[str, Any], np.ndarray]:
    """The network's description for forward.js and its arrays: ``({layers: [{type, config,
    arrays: {name: {shape, offset}}}], loss, input_scale}, numbers)``, numbers float32 (total,)
    little-endian, every array's in turn (offset: where it starts in them)."""
    check_shareable(model)
    layers, blocks, offset = [], [], 0
    for layer in model.layers:
        arrays = {}
        for name, array in {**layer.params, **layer.buffers}.items():
            arrays[name] = {"shape": list(array.shape), "offset": offset}
            blocks.append(np.asarray(array, dtype="<f4").reshape(-1))
            offset += array.size
        layers.append({"type": layer.name, "config": layer.config(), "arrays": arrays})
    numbers = np.concatenate(blocks) if blocks else np.zeros(0, dtype="<f4")
    description = {"layers": layers, "loss": model.loss.name, "input_scale": model.input_scale}
    return description, numbers


def glance_plan(model: Sequential) -> list[dict[str, Any]]:
    """For each layer with weights, what glance.js needs besides the numbers: its index,
    number, title, kind, units, the layer whose output shows its values (``after``: its
    activation's, the network's last layer's for the output) and whether it is the output (and
    a softmax one). Empty when the network has no Dense output layer to explain."""
    try:
        last = output_layer(model)
    except ConfigError:
        return []
    plan = []
    for number, index in enumerate(weighted_layers(model), start=1):
        layer = model.layers[index]
        output = index == last
        assert isinstance(layer, (Dense, Conv2D))
        units = layer.out_channels if isinstance(layer, Conv2D) else layer.out_features
        plan.append(
            {
                "index": index,
                "number": number,
                "title": layer_title(model, index),
                "kind": "conv" if isinstance(layer, Conv2D) else "dense",
                "units": units,
                "after": len(model.layers) - 1 if output else activation_after(model, index)[0],
                "output": output,
                "softmax": output and model.loss.name == "softmax_cross_entropy",
            }
        )
    return plan
