"""Which pixels push the answer: the gradient of log p(class) through the engine's backward
pass (saliency), and how much p(class) drops when a patch is blanked (occlusion); and the same
questions asked of the class's logit, which a confident answer does not flatten
(:func:`attributions`: gradient, gradient x input, integrated gradients, occlusion)."""

from __future__ import annotations

from dataclasses import dataclass

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
    return _occluded(model, np.asarray(image), target, patch, on_logit=False)


def _occluded(
    model: Sequential, image: np.ndarray, target: int | None, patch: int, *, on_logit: bool
) -> tuple[np.ndarray, int]:
    """The drop of p(``target``), or of its logit (``on_logit``), when a ``patch`` square
    centred on each pixel is blanked: float64 (H, W), 0 where the square holds no ink; and
    the target (by default the predicted class)."""
    score = model.outputs if on_logit else model.predict_proba
    base = score(image[None])[0].astype(np.float64)
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
    drop[centres[:, 0], centres[:, 1]] = base[target] - score(blanked)[:, target]
    return drop, target


# --- explanations measured on the logit ------------------------------------------------------
# A confident answer saturates the softmax: d log p / d pixel = (1 - p) dz_t/dpixel - ...
# vanishes as p -> 1 (about 4e-5 for a 7 at 100 %), and blanking a stroke barely moves p.
# The logit z_t does not saturate, so the maps below are all measured on it.

INTEGRATION_STEPS = 32  # points on the path from blank paper to the image (a Riemann sum)

MAP_SENTENCES = {
    "gradient": "How fast the class's score (its logit) would rise (orange) or fall (blue) "
    "if a little ink were added at each pixel, on the ink or off it.",
    "gradient_x_input": "The score's gradient times the ink there: what each inked pixel "
    "adds to (orange) or takes from (blue) the score, to first order; blank paper shows nothing.",
    "integrated_gradients": "Each inked pixel's share of the score's rise from blank paper to "
    "your drawing (integrated gradients): the shares add up to that rise.",
    "occlusion": "How much the score falls (orange) or rises (blue) when a 5x5 square around "
    "each pixel is rubbed out.",
}


@dataclass(frozen=True)
class Attributions:
    """The maps of one image for class ``target``, each float64 (H, W), in units of the
    target's logit: ``gradient`` (dz/d ink), ``gradient_x_input`` (dz/d ink times the ink,
    0-1), ``integrated_gradients`` (their sum is ``logit - blank_logit`` up to the Riemann
    sum's error) and ``occlusion`` (the logit's drop when a patch is blanked). ``logits`` and
    ``probabilities`` (C,) are the image's; ``blank_logit`` is the target's logit on blank
    paper. :data:`MAP_SENTENCES` says in one sentence what each map shows."""

    target: int
    logits: np.ndarray
    probabilities: np.ndarray
    blank_logit: float
    gradient: np.ndarray
    gradient_x_input: np.ndarray
    integrated_gradients: np.ndarray
    occlusion: np.ndarray

    def maps(self) -> dict[str, np.ndarray]:
        """The four maps by name, in :data:`MAP_SENTENCES`'s order."""
        return {name: getattr(self, name) for name in MAP_SENTENCES}


def logit_gradients(model: Sequential, images: np.ndarray, target: int) -> np.ndarray:
    """The gradient d logit_target / d ink for each of ``images`` (N, H, W) of raw pixels,
    through the engine's backward pass: float64 (N, H, W), per unit of ink (a pixel going
    0 -> 255 is one unit)."""
    images = np.asarray(images)
    x = model.prepare(images)
    for layer in model.layers:
        x = layer.forward(x, training=False)
    if not 0 <= target < x.shape[1]:
        raise ConfigError(f"class {target} does not exist (the model has {x.shape[1]})")
    grad = np.zeros_like(x)
    grad[:, target] = 1
    for layer in reversed(model.layers):
        below = layer.backward(grad, input_grad=True)
        assert below is not None  # asked for with input_grad=True
        grad = below
    scale = model.input_scale if model.input_scale is not None else 1.0
    return grad.reshape(images.shape).astype(np.float64) * scale * 255.0


def attributions(
    model: Sequential,
    image: np.ndarray,
    target: int | None = None,
    steps: int = INTEGRATION_STEPS,
    patch: int = OCCLUSION_PATCH,
) -> Attributions:
    """The four maps of :class:`Attributions` for ``image`` (H, W) of raw pixels (0-255) and
    class ``target`` (default: the predicted one).

    Integrated gradients (Sundararajan et al. 2017) rather than SmoothGrad: it is
    deterministic (no noise drawn, so the page shows the same map for the same drawing), its
    baseline, blank paper, is what "no digit" means here, and its shares add up to a number
    the page can show (the logit's rise from blank paper), which a test can check. It uses
    the midpoints of ``steps`` equal segments of the path, in one batch.
    """
    image = np.asarray(image)
    logits = model.outputs(image[None])[0].astype(np.float64)
    classes = len(logits)
    target = int(logits.argmax()) if target is None else int(target)
    if not 0 <= target < classes:
        raise ConfigError(f"class {target} does not exist (the model has {classes})")
    if not 1 <= steps <= 256:
        raise ConfigError(f"steps must be 1-256, got {steps}")
    ink = image.astype(np.float64) / 255.0
    gradient = logit_gradients(model, image[None], target)[0]
    alphas = (np.arange(steps) + 0.5) / steps
    path = alphas[:, None, None] * image.astype(np.float64)[None]
    along = logit_gradients(model, path, target).mean(axis=0)
    blank = float(model.outputs(np.zeros_like(image, dtype=np.float64)[None])[0, target])
    return Attributions(
        target=target,
        logits=logits,
        probabilities=model.loss.probabilities(logits[None])[0],
        blank_logit=blank,
        gradient=gradient,
        gradient_x_input=gradient * ink,
        integrated_gradients=along * ink,
        occlusion=_occluded(model, image, target, patch, on_logit=True)[0],
    )
