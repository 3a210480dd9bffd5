"""What each layer of a trained network computes for one image: the hidden layers' activations,
the output layer's evidence, one unit's weights times its input, the first layer's weights as
images."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.layers import Conv2D, Dense, Flatten, Layer
from ..errors import ConfigError
from ..model import Sequential


@dataclass(frozen=True)
class LayerOutput:
    """One hidden layer's output on the image: ``index`` of the layer that computed it (a Dense
    or Conv2D; ``values`` is taken after its activation), ``kind`` ("dense" or "conv") and
    ``values`` float32, (units,) or (maps, H, W)."""

    index: int
    kind: str
    activation: str
    values: np.ndarray


@dataclass(frozen=True)
class Inside:
    """What :func:`look_inside` finds. ``layers``: the hidden layers' outputs, input side first.
    ``logits``, ``probabilities``: (C,). ``evidence_for`` and ``evidence_against`` (C,): the sums
    of the positive and of the negative terms ``a_j W[j, c]`` of each logit, and ``bias`` (C,)
    the rest, so ``logits = evidence_for + evidence_against + bias``."""

    layers: list[LayerOutput]
    logits: np.ndarray
    probabilities: np.ndarray
    evidence_for: np.ndarray
    evidence_against: np.ndarray
    bias: np.ndarray


def network_kind(model: Sequential) -> str:
    """``"conv"`` for a network with a convolution, else ``"dense"``."""
    return "conv" if any(isinstance(layer, Conv2D) for layer in model.layers) else "dense"


def layer_outputs(model: Sequential, image: np.ndarray) -> list[np.ndarray]:
    """Forward one image (H, W); the input of every layer and, last, the output: a list of
    len(layers) + 1 arrays, each with a batch axis of 1."""
    x = model.prepare(np.asarray(image)[None])
    seen = [x]
    for layer in model.layers:
        x = layer.forward(x, training=False)
        seen.append(x)
    return seen


def output_layer(model: Sequential) -> int:
    """Index of the last Dense layer (the one that computes the logits)."""
    dense = [i for i, layer in enumerate(model.layers) if isinstance(layer, Dense)]
    if not dense:
        raise ConfigError("the model has no Dense output layer to explain")
    return dense[-1]


def activation_after(model: Sequential, index: int) -> tuple[int, str]:
    """The layer right after ``index`` when it is an activation (its index and name), else
    (index, "none"): where a layer's visible output is taken."""
    following = model.layers[index + 1] if index + 1 < len(model.layers) else None
    if following is not None and not following.params and following.is_activation:
        return index + 1, following.name
    return index, "none"


def look_inside(model: Sequential, image: np.ndarray) -> Inside:
    """Run ``image`` (H, W) through ``model`` and keep each hidden Dense or Conv2D layer's
    output (after its activation), and the output layer's evidence (see :class:`Inside`)."""
    seen = layer_outputs(model, image)
    last = output_layer(model)
    layers = []
    for i, layer in enumerate(model.layers[:last]):
        if isinstance(layer, (Dense, Conv2D)):
            shown, activation = activation_after(model, i)
            layers.append(
                LayerOutput(
                    i,
                    "conv" if isinstance(layer, Conv2D) else "dense",
                    activation,
                    seen[shown + 1][0].copy(),
                )
            )
    a = seen[last][0].astype(np.float64)
    terms = a[:, None] * model.layers[last].params["W"]  # (in, C): a_j W[j, c]
    logits = seen[-1][0].astype(np.float64)
    return Inside(
        layers=layers,
        logits=logits,
        probabilities=model.loss.probabilities(logits[None])[0],
        evidence_for=np.where(terms > 0, terms, 0).sum(axis=0),
        evidence_against=np.where(terms < 0, terms, 0).sum(axis=0),
        bias=model.layers[last].params["b"].astype(np.float64),
    )


@dataclass(frozen=True)
class UnitView:
    """One unit's weights and what they do to its input. ``weights``, ``inputs`` and
    ``products``: for a Dense unit, (in,) reshaped as the input was before its Flatten (28x28
    for the first layer of an MLP, (C, H, W) behind convolutions); for a feature map of a
    Conv2D, ``weights`` is its kernel (C_in, k, k), ``inputs`` the layer's input (C_in, H, W)
    and ``products`` (C_in, H_out, W_out) each input channel's share of the map's
    pre-activation. ``preactivation``: the unit's z (Dense) or the map's (H_out, W_out)."""

    index: int
    unit: int
    kind: str
    weights: np.ndarray
    inputs: np.ndarray
    products: np.ndarray
    bias: float
    preactivation: np.ndarray


def unit_view(model: Sequential, image: np.ndarray, index: int, unit: int) -> UnitView:
    """The weights into ``unit`` of layer ``index`` (a Dense or Conv2D) and weights times the
    input that ``image`` gives that layer. Raises ConfigError for a layer or unit that does
    not exist."""
    if not 0 <= index < len(model.layers):
        raise ConfigError(
            f"layer {index} does not exist (the model has {len(model.layers)} layers)"
        )
    layer: Layer = model.layers[index]
    if not isinstance(layer, (Dense, Conv2D)):
        raise ConfigError(f"layer {index} is a {layer.name}, which has no units with weights")
    units = layer.out_features if isinstance(layer, Dense) else layer.out_channels
    if not 0 <= unit < units:
        raise ConfigError(f"unit {unit} does not exist (layer {index} has {units})")
    seen = layer_outputs(model, image)
    W, b = layer.params["W"], float(layer.params["b"][unit])
    if isinstance(layer, Dense):
        x = seen[index][0]
        shape = x.shape
        before = index - 1
        if before >= 0 and isinstance(model.layers[before], Flatten):
            shape = seen[before][0].shape  # what the Flatten received: an image, or maps
        weights = W[:, unit]
        products = weights * x
        return UnitView(
            index,
            unit,
            "dense",
            weights.reshape(shape),
            x.reshape(shape),
            products.reshape(shape),
            b,
            np.asarray(products.sum() + b),
        )
    x = seen[index][0]  # (C_in, H, W)
    p, k, s = layer.padding, layer.kernel_size, layer.stride
    padded = np.pad(x, ((0, 0), (p, p), (p, p))) if p else x
    windows = np.lib.stride_tricks.sliding_window_view(padded, (k, k), axis=(1, 2))
    windows = windows[:, ::s, ::s]  # (C_in, H_out, W_out, k, k)
    kernel = W[unit]  # (C_in, k, k)
    products = np.einsum("chwuv,cuv->chw", windows, kernel)
    return UnitView(index, unit, "conv", kernel, x, products, b, products.sum(axis=0) + b)


def first_layer_tiles(
    model: Sequential, image_shape: tuple[int, int] = (28, 28), count: int = 16
) -> np.ndarray:
    """What the first layer with weights looks for, as images: float32 (U, h, w), U at most
    ``count``. A first Dense layer's weights (H*W, units): each of its first units' column as
    an H x W image; a first Conv2D's kernels (C_out, C_in, k, k): each k x k kernel (the mean
    over input channels when there are several). Raises ConfigError for a network with
    neither."""
    for layer in model.layers:
        if isinstance(layer, Dense):
            weights = layer.params["W"]
            units = min(count, weights.shape[1])
            return np.ascontiguousarray(weights[:, :units].T).reshape(units, *image_shape)
        if isinstance(layer, Conv2D):
            kernels = layer.params["W"][:count]
            return kernels[:, 0].copy() if kernels.shape[1] == 1 else kernels.mean(axis=1)
    raise ConfigError("the model has no Dense or Conv2D layer")
