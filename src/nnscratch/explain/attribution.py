"""Which pixels push the answer: the gradient of log p(class) through the engine's backward
pass (saliency), and how much p(class) drops when a patch is blanked (occlusion)."""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from ..model import Sequential
from .inside import layer_outputs

OCCLUSION_PATCH = 5  # side of the blanked square, in pixels (about a stroke's width and more)


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
    seen = layer_outputs(model, image)
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
