"""One unit's computation with the numbers of one image: z = sum_i w_i a_i + b written out with
its largest terms, the activation, and at the output the softmax of the actual logits; the
shapes in the tutorial's notation (examples as columns) and in ours (examples as rows); each
layer named in a reader's terms ("Dense 784->128, ReLU"), not by its index in the list."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.layers import Conv2D, Dense, Flatten, Layer
from ..errors import ConfigError
from ..model import Sequential
from .inside import activation_after, layer_outputs, output_layer

MAX_TERMS = 64  # the most terms of a sum written out; the rest are summed into one number


def weighted_layers(model: Sequential) -> list[int]:
    """Indices of the layers with weights (Dense, Conv2D), input side first: layer l of the
    tutorial's notation (W1, W2...) is ``weighted_layers(model)[l - 1]``."""
    return [i for i, layer in enumerate(model.layers) if isinstance(layer, (Dense, Conv2D))]


def layer_title(model: Sequential, index: int) -> str:
    """A layer as a reader would name it, with its sizes and the activation that follows:
    "Dense 784->128, ReLU", "Dense 128->10, softmax", "Conv 5x5, 1->16 maps, ReLU",
    "MaxPool 2x2", "Flatten"."""
    layer = model.layers[index]
    if isinstance(layer, Dense):
        title = f"Dense {layer.in_features}->{layer.out_features}"
    elif isinstance(layer, Conv2D):
        k = layer.kernel_size
        title = f"Conv {k}x{k}, {layer.in_channels}->{layer.out_channels} maps"
        if layer.stride != 1 or layer.padding:
            title += f" (stride {layer.stride}, padding {layer.padding})"
    elif hasattr(layer, "pool_size"):
        side = layer.pool_size
        title = f"{layer.name.removesuffix('2D')} {side}x{side}"
    else:
        return layer.name
    if index == output_layer(model) and model.loss.name == "softmax_cross_entropy":
        return title + ", softmax"
    _, activation = activation_after(model, index)
    return title if activation == "none" else f"{title}, {activation}"


@dataclass(frozen=True)
class Term:
    """One term w_i a_i of a unit's sum: ``index`` into the layer's input as a flat row,
    ``where`` that place in the input's own shape ((row, col) of the image for a first Dense
    layer; (channel, row, col) behind convolutions or in a convolution's window, where a row
    or column outside the input, -1 or H, is padding), ``weight``, ``input`` and ``product``."""

    index: int
    where: tuple[int, ...]
    weight: float
    input: float
    product: float


@dataclass(frozen=True)
class Notation:
    """The layer's equation and its arrays' shapes, ``m`` the number of examples."""

    equation: str
    shapes: dict[str, tuple[int | str, ...]]


@dataclass(frozen=True)
class UnitMaths:
    """What :func:`unit_maths` finds for one unit (a Dense layer's unit, or one position of a
    Conv2D's feature map ``unit``).

    ``terms``: the largest |w_i a_i|, largest first; ``rest``: the sum of the ``rest_count``
    other terms; ``z = sum(terms) + rest + bias`` (float64 over the float32 model's numbers).
    ``activation`` names what follows ("relu", "softmax", "none"), ``value`` the unit's output
    after it. ``position`` (conv): the (row, col) in the map, and ``receptive_field`` the
    rows and columns (first, last) of the layer's input the window covers. At the output,
    ``logits`` and ``probabilities`` (C,) are the whole softmax's."""

    layer: int
    number: int
    title: str
    kind: str
    unit: int
    units: int
    position: tuple[int, int] | None
    receptive_field: tuple[int, int, int, int] | None
    terms: list[Term]
    rest: float
    rest_count: int
    bias: float
    z: float
    activation: str
    value: float
    tutorial: list[Notation]
    ours: list[Notation]
    logits: np.ndarray | None
    probabilities: np.ndarray | None


def unit_maths(
    model: Sequential,
    image: np.ndarray,
    layer: int,
    unit: int,
    position: tuple[int, int] | None = None,
    top: int = 8,
) -> UnitMaths:
    """Unit ``unit`` of layer ``layer`` (its index, a Dense or Conv2D) computed on ``image``
    (H, W, raw pixels): the ``top`` largest terms of its sum, the rest, the bias, z, the
    activation and its value. For a Conv2D, ``unit`` is a feature map and ``position`` the
    (row, col) in it (default: where the map's z is largest). Raises ConfigError naming a
    layer, unit, position or ``top`` that does not exist."""
    if not 0 <= layer < len(model.layers):
        raise ConfigError(f"layer {layer} does not exist (the model has {len(model.layers)})")
    chosen: Layer = model.layers[layer]
    if not isinstance(chosen, (Dense, Conv2D)):
        raise ConfigError(
            f"layer {layer} ({layer_title(model, layer)}) is not a Dense or Conv2D layer, "
            f"whose units this view writes out; these are: "
            f"{', '.join(str(i) for i in weighted_layers(model))}"
        )
    units = chosen.out_features if isinstance(chosen, Dense) else chosen.out_channels
    if not 0 <= unit < units:
        raise ConfigError(f"unit {unit} does not exist ({layer_title(model, layer)} has {units})")
    if position is not None and isinstance(chosen, Dense):
        raise ConfigError(f"a position is for a feature map; {layer_title(model, layer)} has none")
    if not 1 <= top <= MAX_TERMS:
        raise ConfigError(f"top must be 1-{MAX_TERMS} terms, got {top}")
    seen = layer_outputs(model, image)
    x = seen[layer][0].astype(np.float64)
    W = chosen.params["W"].astype(np.float64)
    b = float(chosen.params["b"][unit])
    if isinstance(chosen, Dense):
        shape = x.shape
        if layer >= 1 and isinstance(model.layers[layer - 1], Flatten):
            shape = seen[layer - 1][0].shape  # what the Flatten received: the image, or maps
        weights, inputs = W[:, unit], x
        places = [tuple(int(n) for n in np.unravel_index(i, shape)) for i in range(x.size)]
        position, field = None, None
    else:
        weights, inputs, places, position, field = _window(
            chosen, x, seen[layer + 1][0], unit, position
        )
    products = weights * inputs
    order = np.argsort(-np.abs(products), kind="stable")
    shown, hidden = order[:top], order[top:]
    terms = [
        Term(int(i), places[i], float(weights[i]), float(inputs[i]), float(products[i]))
        for i in shown
    ]
    z = float(products.sum() + b)
    logits = probabilities = None
    if layer == output_layer(model) and model.loss.name == "softmax_cross_entropy":
        logits = seen[-1][0].astype(np.float64)
        probabilities = model.loss.probabilities(logits[None])[0]
        activation, value = "softmax", float(probabilities[unit])
    else:
        after, activation = activation_after(model, layer)
        out = seen[after + 1][0]
        value = float(out[unit] if position is None else out[unit][position])
    tutorial, ours = notation(model, layer)
    return UnitMaths(
        layer=layer,
        number=weighted_layers(model).index(layer) + 1,
        title=layer_title(model, layer),
        kind="dense" if isinstance(chosen, Dense) else "conv",
        unit=unit,
        units=units,
        position=position,
        receptive_field=field,
        terms=terms,
        rest=float(products[hidden].sum()),
        rest_count=len(hidden),
        bias=b,
        z=z,
        activation=activation,
        value=value,
        tutorial=tutorial,
        ours=ours,
        logits=logits,
        probabilities=probabilities,
    )


def _window(
    conv: Conv2D,
    x: np.ndarray,
    z_maps: np.ndarray,
    unit: int,
    position: tuple[int, int] | None,
) -> tuple[
    np.ndarray, np.ndarray, list[tuple[int, ...]], tuple[int, int], tuple[int, int, int, int]
]:
    """A Conv2D map's sum at one position as flat terms: the kernel (C_in*k*k,), the window of
    the input ``x`` (C_in, H, W) it multiplies, each term's (channel, row, col), the position
    and the receptive field (first row, last row, first col, last col)."""
    height, width = z_maps.shape[1:]
    if position is None:
        flat = int(np.argmax(z_maps[unit]))
        position = (flat // width, flat % width)
    row, col = (int(n) for n in position)
    if not (0 <= row < height and 0 <= col < width):
        raise ConfigError(f"position ({row}, {col}) is outside the {height}x{width} feature map")
    k, s, p = conv.kernel_size, conv.stride, conv.padding
    padded = np.pad(x, ((0, 0), (p, p), (p, p)))
    top, left = row * s, col * s  # in padded coordinates
    inputs = padded[:, top : top + k, left : left + k].ravel()
    places: list[tuple[int, ...]] = [
        (c, top + u - p, left + v - p)
        for c in range(x.shape[0])
        for u in range(k)
        for v in range(k)
    ]
    field = (top - p, top - p + k - 1, left - p, left - p + k - 1)
    return conv.params["W"][unit].astype(np.float64).ravel(), inputs, places, (row, col), field


def notation(model: Sequential, layer: int) -> tuple[list[Notation], list[Notation]]:
    """Layer ``layer``'s equations with shapes, the tutorial's (examples as columns, ``Z_l =
    W_l A_{l-1} + b_l``) and ours (examples as rows, ``z_l = a_{l-1} W_l + b_l``); then the
    activation's, softmax at the output."""
    chosen = model.layers[layer]
    n = weighted_layers(model).index(layer) + 1
    a_in = "X" if n == 1 else f"A{n - 1}"
    mine_in = "x" if n == 1 else f"a{n - 1}"
    last = layer == output_layer(model) and model.loss.name == "softmax_cross_entropy"
    _, activation = activation_after(model, layer)
    then = "softmax" if last else activation
    if isinstance(chosen, Dense):
        n_in, n_out = chosen.in_features, chosen.out_features
        tutorial = [
            Notation(
                f"Z{n} = W{n}·{a_in} + b{n}",
                {
                    f"W{n}": (n_out, n_in),
                    a_in: (n_in, "m"),
                    f"b{n}": (n_out, 1),
                    f"Z{n}": (n_out, "m"),
                },
            )
        ]
        ours = [
            Notation(
                f"z{n} = {mine_in} @ W{n} + b{n}",
                {
                    mine_in: ("m", n_in),
                    f"W{n}": (n_in, n_out),
                    f"b{n}": (n_out,),
                    f"z{n}": ("m", n_out),
                },
            )
        ]
        tail_t: tuple[int | str, ...] = (n_out, "m")
        tail_o: tuple[int | str, ...] = ("m", n_out)
    else:
        assert isinstance(chosen, Conv2D)
        seen_shape = _input_shape(model, layer)
        c_in, h, w = seen_shape
        k, c_out = chosen.kernel_size, chosen.out_channels
        h_out, w_out = chosen.output_shape(seen_shape)[1:]
        tutorial = [
            Notation(
                f"Z{n}[o,i,j] = Σ_c,u,v W{n}[o,c,u,v]·{a_in}[c,i+u,j+v] + b{n}[o]",
                {
                    f"W{n}": (c_out, c_in, k, k),
                    a_in: (c_in, h, w, "m"),
                    f"b{n}": (c_out,),
                    f"Z{n}": (c_out, h_out, w_out, "m"),
                },
            )
        ]
        ours = [
            Notation(
                f"z{n}[n,o,i,j] = Σ_c,u,v W{n}[o,c,u,v]·{mine_in}[n,c,i+u,j+v] + b{n}[o]",
                {
                    mine_in: ("m", c_in, h, w),
                    f"W{n}": (c_out, c_in, k, k),
                    f"b{n}": (c_out,),
                    f"z{n}": ("m", c_out, h_out, w_out),
                },
            )
        ]
        tail_t, tail_o = (c_out, h_out, w_out, "m"), ("m", c_out, h_out, w_out)
    if then != "none":
        tutorial.append(Notation(f"A{n} = {then}(Z{n})", {f"A{n}": tail_t}))
        ours.append(Notation(f"a{n} = {then}(z{n})", {f"a{n}": tail_o}))
    return tutorial, ours


def _input_shape(model: Sequential, layer: int) -> tuple[int, ...]:
    """One example's shape as it reaches ``layer``, from the model's own shape rules."""
    shape: tuple[int, ...] = tuple(model.image_shape or (28, 28))
    for earlier in model.layers[:layer]:
        shape = earlier.output_shape(shape)
    return shape
