"""A trained network looked at on one input: what each layer computes, which pixels push the
answer, and how the answer changes when the input does.

Every function takes a :class:`~nnscratch.model.Sequential` and one image (H, W) of raw pixels
(0-255, light ink on 0, MNIST's form), and runs the model's own layers: forward for the
activations, the engine's backward pass for the gradient. They use the model's layer caches,
so give each thread its own model (:meth:`~nnscratch.model.Sequential.replica`).

* :func:`look_inside`: each hidden layer's activations (a dense layer's units, a convolution's
  feature maps) and the output layer's evidence for each class;
* :func:`unit_view`: one unit's (or feature map's) weights, and weights times its input;
* :func:`saliency`: d log p(class) / d pixel, through the engine's backward pass;
* :func:`occlusion`: how much p(class) drops when each pixel's neighbourhood is blanked;
* :func:`probe`: the probabilities over a range of shifts, rotations, thickness or noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..datasets import transforms
from ..engine.layers import Conv2D, Dense, Flatten, Layer
from ..errors import ConfigError
from ..model import Sequential

OCCLUSION_PATCH = 5  # side of the blanked square, in pixels (about a stroke's width and more)
PROBES = {
    # kind: (values the slider takes, what a value does to the image)
    "shift_x": (list(range(-8, 9)), lambda image, v: transforms.shift(image, v, 0)),
    "shift_y": (list(range(-8, 9)), lambda image, v: transforms.shift(image, 0, v)),
    "rotate": (list(range(-60, 61, 10)), transforms.rotate),
    "thickness": ([-2, -1, 0, 1, 2, 3], transforms.thicken),
    "noise": ([round(0.1 * i, 1) for i in range(11)], transforms.add_noise),
}


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
    """ "conv" for a network with a convolution, else "dense"."""
    return "conv" if any(isinstance(layer, Conv2D) for layer in model.layers) else "dense"


def _run(model: Sequential, image: np.ndarray) -> list[np.ndarray]:
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


def _activation_after(model: Sequential, index: int) -> tuple[int, str]:
    """The layer right after ``index`` when it is an activation (its index and name), else
    (index, "none"): where a layer's visible output is taken."""
    following = model.layers[index + 1] if index + 1 < len(model.layers) else None
    if (
        following is not None
        and not following.params
        and following.name in {"ReLU", "LeakyReLU", "Sigmoid", "Tanh"}
    ):
        return index + 1, following.name
    return index, "none"


def look_inside(model: Sequential, image: np.ndarray) -> Inside:
    """Run ``image`` (H, W) through ``model`` and keep each hidden Dense or Conv2D layer's
    output (after its activation), and the output layer's evidence (see :class:`Inside`)."""
    seen = _run(model, image)
    last = output_layer(model)
    layers = []
    for i, layer in enumerate(model.layers[:last]):
        if isinstance(layer, (Dense, Conv2D)):
            shown, activation = _activation_after(model, i)
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
    seen = _run(model, image)
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


def saliency(
    model: Sequential, image: np.ndarray, target: int | None = None
) -> tuple[np.ndarray, int, np.ndarray]:
    """The gradient of log p(``target``) with respect to each pixel's ink (0 to 1), through
    the engine's backward pass. ``target`` defaults to the predicted class.

    Returns ``(gradient, target, probabilities)``: float64 (H, W), int, (C,). Positive where
    more ink would make ``target`` more likely. Uses d log p_t / dz = onehot(t) - p for the
    logits z, then every layer's ``backward`` down to the pixels; the pixels' scale into the
    model (``input_scale``) is applied last, times 255 for "per unit of ink".
    """
    seen = _run(model, image)
    probabilities = model.loss.probabilities(seen[-1])[0].astype(np.float64)
    classes = len(probabilities)
    target = int(probabilities.argmax()) if target is None else int(target)
    if not 0 <= target < classes:
        raise ConfigError(f"class {target} does not exist (the model has {classes})")
    grad = -probabilities[None].astype(model.dtype)
    grad[0, target] += 1
    for layer in reversed(model.layers):
        grad = layer.backward(grad, input_grad=True)
    scale = model.input_scale if model.input_scale is not None else 1.0
    return (
        grad[0].reshape(np.shape(image)).astype(np.float64) * scale * 255.0,
        target,
        probabilities,
    )


def occlusion(
    model: Sequential, image: np.ndarray, target: int | None = None, patch: int = OCCLUSION_PATCH
) -> tuple[np.ndarray, int]:
    """How much p(``target``) falls when a ``patch`` x ``patch`` square centred on each pixel
    is blanked (set to 0, the paper): float64 (H, W), positive where the ink there spoke for
    ``target``. Squares holding no ink change nothing and are not computed (0).
    ``target`` defaults to the predicted class."""
    image = np.asarray(image)
    base = model.predict_proba(image[None])[0]
    target = int(base.argmax()) if target is None else int(target)
    if not 0 <= target < len(base):
        raise ConfigError(f"class {target} does not exist (the model has {len(base)})")
    height, width = image.shape
    half = patch // 2
    inked = np.pad(image > 0, half)
    windows = np.lib.stride_tricks.sliding_window_view(inked, (patch, patch))
    centres = np.argwhere(windows.any(axis=(2, 3)))  # squares that cover some ink
    drop = np.zeros((height, width))
    if len(centres) == 0:
        return drop, target
    blanked = np.repeat(image[None], len(centres), axis=0)
    for n, (r, c) in enumerate(centres):
        blanked[n, max(r - half, 0) : r + half + 1, max(c - half, 0) : c + half + 1] = 0
    drop[centres[:, 0], centres[:, 1]] = base[target] - model.predict_proba(blanked)[:, target]
    return drop, target


def probe_values(kind: str) -> list:
    """The values the probe ``kind`` tries (see ``PROBES``); ConfigError for an unknown kind."""
    if kind not in PROBES:
        raise ConfigError(f"unknown probe {kind!r}; choose one of: {', '.join(PROBES)}")
    return list(PROBES[kind][0])


def probe_images(image: np.ndarray, kind: str) -> tuple[list, np.ndarray]:
    """The image changed by each value of the probe ``kind``: (values, float32 (V, H, W))."""
    values = probe_values(kind)
    change = PROBES[kind][1]
    return values, np.stack([change(image, value) for value in values])


def probe(model: Sequential, images: np.ndarray) -> np.ndarray:
    """Probabilities (V, C) of the model for the probe's images (V, H, W), from
    :func:`probe_images` (made once, shared by every model probed)."""
    return model.predict_proba(images).astype(np.float64)


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
