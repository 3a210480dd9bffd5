"""Weight initializers: each draws a ``(fan_in, fan_out)`` array from a given generator.

All take ``(shape, fan_in, fan_out, rng, dtype)`` so convolution kernels, whose fans are not the
first two dimensions, use them too.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import DTypeLike

from ..errors import ConfigError

Initializer = Callable[[tuple[int, ...], int, int, np.random.Generator, DTypeLike], np.ndarray]


def he_normal(
    shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator, dtype: DTypeLike
) -> np.ndarray:
    """N(0, 2 / fan_in): keeps the variance of ReLU activations constant from layer to layer."""
    return (rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(dtype)


def he_uniform(
    shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator, dtype: DTypeLike
) -> np.ndarray:
    """U(-l, l) with l = sqrt(6 / fan_in): the uniform law with He's variance 2 / fan_in."""
    limit = math.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, shape).astype(dtype)


def glorot_normal(
    shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator, dtype: DTypeLike
) -> np.ndarray:
    """N(0, 2 / (fan_in + fan_out)): Glorot & Bengio (2010), for tanh and sigmoid."""
    return (rng.standard_normal(shape) * math.sqrt(2.0 / (fan_in + fan_out))).astype(dtype)


def glorot_uniform(
    shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator, dtype: DTypeLike
) -> np.ndarray:
    """U(-l, l) with l = sqrt(6 / (fan_in + fan_out)): Glorot & Bengio (2010)."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(dtype)


def tutorial_uniform(
    shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator, dtype: DTypeLike
) -> np.ndarray:
    """U(-0.5, 0.5) for weights and biases alike, as the classic tutorial draws them."""
    return rng.uniform(-0.5, 0.5, shape).astype(dtype)


def orthogonal(
    shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator, dtype: DTypeLike
) -> np.ndarray:
    """A random orthogonal matrix (Saxe et al., 2014): orthonormal rows when there are no
    more rows than columns; a stack of square orthogonal blocks otherwise (an LSTM's (4H, H)
    recurrent weights: one per gate). Each is the Q of a Gaussian matrix's QR decomposition,
    its signs fixed so that the law is uniform. Repeated products with an orthogonal matrix
    neither grow nor shrink a vector, which suits recurrences."""
    rows, cols = shape[0], int(np.prod(shape[1:]))

    def square_q(size: int, width: int) -> np.ndarray:
        q, r = np.linalg.qr(rng.standard_normal((size, width)))
        return q * np.sign(np.diag(r))  # (size, width), orthonormal columns

    if rows <= cols:
        matrix = square_q(cols, rows).T
    else:
        blocks = [square_q(cols, cols) for _ in range(-(-rows // cols))]
        matrix = np.concatenate(blocks)[:rows]
    return np.ascontiguousarray(matrix.reshape(shape), dtype=dtype)


def zeros(
    shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator, dtype: DTypeLike
) -> np.ndarray:
    """All zeros: the usual start for biases."""
    return np.zeros(shape, dtype=dtype)


INITIALIZERS: dict[str, Initializer] = {
    "he": he_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "glorot": glorot_uniform,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "orthogonal": orthogonal,
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
