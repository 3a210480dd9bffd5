"""Gradient checks: analytic gradients against central finite differences, in float64.

For a layer we check the scalar L = Σ y ⊙ R for a fixed random R, whose gradient with respect
to y is R; backward(R) must then give dL/dx and dL/dparams. Each entry is compared with
(L(θ + ε) - L(θ - ε)) / 2ε, whose error is O(ε²).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .layers.base import Layer
from .losses import Loss


def numerical_gradient(
    f: Callable[[], float],
    x: np.ndarray,
    eps: float = 1e-6,
    entries: Iterable[tuple[int, ...]] | None = None,
) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to every entry of ``x`` (perturbed
    in place and restored), or only those at the index tuples ``entries`` (the others are 0).
    Shapes: ``x`` any; result like ``x``, float64."""
    grad = np.zeros(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape) if entries is None else entries:  # any memory layout
        saved = x[i]
        x[i] = saved + eps
        f_plus = f()
        x[i] = saved - eps
        f_minus = f()
        x[i] = saved
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """||a - n|| / (||a|| + ||n||): about 1e-9 for a correct float64 gradient, 1/3 for one off by
    a factor of 2; infinite when either holds a NaN or an infinity (a failure, never a pass).

    Norms over the whole array, not entry by entry: an entry whose true value is 1e-6 carries
    finite-difference noise of about 1e-11, which entry-wise would read as a 1e-5 error.
    """
    if not (np.isfinite(analytic).all() and np.isfinite(numeric).all()):
        return math.inf  # a NaN would compare as below any tolerance nowhere, and pass as 0
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return float(np.linalg.norm(analytic - numeric) / scale) if scale > 0 else 0.0


def check_layer(
    layer: Layer,
    x: np.ndarray,
    rng: np.random.Generator,
    eps: float = 1e-6,
    training: bool = False,
    layer_rng: Any = None,  # a Generator, or a Repeating that duck-types one
    samples: int | None = None,
) -> dict[str, float]:
    """Relative errors of a layer's input and parameter gradients. ``x`` and the layer's
    parameters must be float64. Returns {"x": err, "W": err, ...}. ``rng`` draws the check's
    random direction (and the entries checked); ``layer_rng`` is what the layer's forward
    draws from in training. ``samples``: compare only that many entries of each array, drawn
    at random (a Dense layer of 400,000 weights would take 800,000 forward passes in full).

    With ``training=True`` a stochastic layer (dropout) must draw the same mask on every call:
    pass a ``layer_rng`` that gives the same numbers each time (:class:`Repeating`).
    """
    y = layer.forward(x, training=training, rng=layer_rng)
    r = rng.standard_normal(y.shape)

    def loss() -> float:
        return float(np.sum(layer.forward(x, training=training, rng=layer_rng) * r))

    def error(analytic: np.ndarray, array: np.ndarray) -> float:
        if samples is None or samples >= array.size:
            return relative_error(analytic, numerical_gradient(loss, array, eps))
        flat = rng.choice(array.size, samples, replace=False)
        entries = [np.unravel_index(i, array.shape) for i in flat]
        numeric = numerical_gradient(loss, array, eps, entries)
        picked = tuple(np.array(axis) for axis in zip(*entries, strict=False))
        return relative_error(analytic[picked], numeric[picked])

    layer.forward(x, training=training, rng=layer_rng)
    analytic_x = layer.backward(r.copy())
    if analytic_x is None:
        raise ValueError(f"{layer.name}.backward returned no input gradient to check")
    analytic = {key: layer.grads[key].copy() for key in layer.params}
    errors = {"x": error(analytic_x, x)}
    for key, param in layer.params.items():
        errors[key] = error(analytic[key], param)
    return errors


class Repeating:
    """A stand-in for a random generator that gives the same numbers on every call (each
    method call is made on a fresh ``numpy.random.default_rng(seed)``), so that dropout draws
    the same mask on every forward pass of a gradient check."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __getattr__(self, name: str) -> Any:
        return getattr(np.random.default_rng(self.seed), name)


def check_loss(loss: Loss, outputs: np.ndarray, targets: np.ndarray, eps: float = 1e-6) -> float:
    """Relative error of ``loss.backward()`` against finite differences of ``loss.forward``."""
    loss.forward(outputs, targets)
    analytic = loss.backward().copy()
    numeric = numerical_gradient(lambda: loss.forward(outputs, targets), outputs, eps)
    return relative_error(analytic, numeric)
