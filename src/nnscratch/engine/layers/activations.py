"""Element-wise activations. Each caches what its derivative needs and nothing more."""

from __future__ import annotations

import numpy as np

from ... import checks
from ...errors import ConfigError
from .base import Layer


class ReLU(Layer):
    """a = max(z, 0); da/dz = 1 where z > 0, else 0."""

    def forward(self, x, training=False, rng=None):
        # Keep the output, not a mask: the next layer holds it anyway, and prediction (which
        # never goes backward) then pays for no mask.
        self._a = np.maximum(x, 0)
        return self._a

    def backward(self, grad_y, input_grad=True):
        # grad_y is consumed: zero it where the unit was off (a = 0 exactly where z <= 0).
        return np.multiply(grad_y, self._a > 0, out=grad_y)

    def infer(self, x):
        return np.maximum(x, 0)


class LeakyReLU(Layer):
    """a = z where z > 0, else alpha·z; da/dz = 1 or alpha."""

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = checks.real("LeakyReLU alpha", alpha, low=0, high=1, high_open=True)

    def forward(self, x, training=False, rng=None):
        self._slope = np.where(x > 0, 1.0, self.alpha).astype(x.dtype, copy=False)
        return x * self._slope

    def backward(self, grad_y, input_grad=True):
        return np.multiply(grad_y, self._slope, out=grad_y)

    def config(self):
        return {"alpha": self.alpha}


def _sigmoid_parts(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E = e^-|z|, in (0, 1], and σ(|z|) = 1 / (1 + e), in [1/2, 1]: new arrays like z.

    Everything else follows without a difference of nearly equal numbers: σ(-|z|) = e·σ(|z|),
    σ(z) σ(-z) = e·σ(|z|)². e never overflows, so the small values keep their relative
    precision down to where e^-|z| itself underflows (|z| > 745 in float64, 103 in float32).
    """
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)
    large = e + 1
    np.reciprocal(large, out=large)
    return e, large


def _sigmoid_of(sign_of: np.ndarray, e: np.ndarray, large: np.ndarray) -> np.ndarray:
    """σ(z) for z of the sign of ``sign_of``: σ(|z|) where z >= 0, e·σ(|z|) where z < 0.

    Written as σ(|z|)·max(e, [z >= 0]): the same numbers as np.where would pick, at a
    fraction of its cost on randomly signed z (where it mispredicts every other branch)."""
    factor = np.greater_equal(sign_of, 0, out=np.empty_like(e))  # 1.0 or 0.0
    np.maximum(factor, e, out=factor)
    factor *= large
    return factor


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^-z), to a few ulps of relative precision on both tails (where
    (1 + tanh(z/2)) / 2 loses it below z = -10 and is 0 below -38 in float64); never
    overflows. Shapes: any -> the shape and dtype of z."""
    return _sigmoid_of(z, *_sigmoid_parts(z))


def sigmoid_pair(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """σ(z) and σ(-z) = 1 - σ(z), each to a few ulps of relative precision on both tails (1 - σ(z)
    computed as such would lose it where σ(z) is close to 1). Shapes: any -> two arrays like z.
    """
    e, large = _sigmoid_parts(z)
    return _sigmoid_of(z, e, large), _sigmoid_of(np.negative(z), e, large)


class Sigmoid(Layer):
    """a = σ(z) = 1 / (1 + e^-z); da/dz = a (1 - a) = σ(z) σ(-z) = e^-|z| σ(|z|)².

    The derivative is computed in the last form (see :func:`sigmoid`): on the a ≈ 1 tail,
    1 - a would be a difference of nearly equal numbers and lose its precision.
    """

    def forward(self, x, training=False, rng=None):
        e, large = _sigmoid_parts(x)
        a = _sigmoid_of(x, e, large)
        e *= large
        e *= large
        self._da = e  # da/dz, kept instead of a: backward is then one multiplication
        return a

    def backward(self, grad_y, input_grad=True):
        grad_y *= self._da
        return grad_y


class Tanh(Layer):
    """a = tanh(z); da/dz = 1 - a²."""

    def forward(self, x, training=False, rng=None):
        self._a = np.tanh(x)
        return self._a

    def backward(self, grad_y, input_grad=True):
        grad_y *= 1 - self._a * self._a
        return grad_y


ACTIVATIONS = {"relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "tanh": Tanh}


def get_activation(name: str) -> Layer:
    """A new activation layer by name: relu, leaky_relu, sigmoid or tanh."""
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        valid = ", ".join(ACTIVATIONS)
        raise ConfigError(f"unknown activation {name!r}; choose one of: {valid}") from None
