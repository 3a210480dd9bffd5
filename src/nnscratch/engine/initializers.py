"""Weight initializers: each draws a ``(fan_in, fan_out)`` array from a given generator.

All take ``(shape, fan_in, fan_out, rng, dtype)`` so convolution kernels, whose fans are not the
first two dimensions, use them too.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import ConfigError

Initializer = Callable[[tuple[int, ...], int, int, np.random.Generator, np.dtype], np.ndarray]


def he_normal(shape, fan_in, fan_out, rng, dtype):
    """N(0, 2 / fan_in): keeps the variance of ReLU activations constant from layer to layer."""
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)


def he_uniform(shape, fan_in, fan_out, rng, dtype):
    """U(-l, l) with l = sqrt(6 / fan_in): the uniform law with He's variance 2 / fan_in."""
    limit = np.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, shape).astype(dtype)


def glorot_normal(shape, fan_in, fan_out, rng, dtype):
    """N(0, 2 / (fan_in + fan_out)): Glorot & Bengio (2010), for tanh and sigmoid."""
    return (rng.standard_normal(shape) * np.sqrt(2.0 / (fan_in + fan_out))).astype(dtype)


def glorot_uniform(shape, fan_in, fan_out, rng, dtype):
    """U(-l, l) with l = sqrt(6 / (fan_in + fan_out)): Glorot & Bengio (2010)."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(dtype)


def tutorial_uniform(shape, fan_in, fan_out, rng, dtype):
    """U(-0.5, 0.5) for weights and biases alike, as the classic tutorial draws them."""
    return rng.uniform(-0.5, 0.5, shape).astype(dtype)


def zeros(shape, fan_in, fan_out, rng, dtype):
    """All zeros: the usual start for biases."""
    return np.zeros(shape, dtype=dtype)


INITIALIZERS: dict[str, Initializer] = {
    "he": he_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "glorot": glorot_uniform,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "tutorial": tutorial_uniform,
    "zeros": zeros,
}


def get_initializer(name: str) -> Initializer:
    """Return the initializer called ``name`` (see :data:`INITIALIZERS`)."""
    try:
        return INITIALIZERS[name]
    except KeyError:
        valid = ", ".join(sorted(INITIALIZERS))
        raise ConfigError(f"unknown initializer {name!r}; choose one of: {valid}") from None
